"""Writing an :class:`ImageArchive` as one Zarr v3 group (image format 1.0).

Written through the archive engine (:mod:`zarrkit.formats.archive`): every array and
sub-group first; the root ``zarr.json``, carrying the OME block, the ``zarrkit`` marker and
the consolidated metadata of every node, once, last.  A failed write removes what it wrote.

Example:
    >>> import numpy as np
    >>> from zarrkit.image.model import ImageArchive
    >>> url = write(ImageArchive(np.arange(12, dtype="f4").reshape(3, 4)), "memory://doc-image")
    >>> url
    'memory://doc-image'
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import numpy as np

import zarrkit
from zarrkit import core
from zarrkit.conventions import cf
from zarrkit.conventions.marker import RootMarker
from zarrkit.conventions.ome import Axis, Multiscale, OmeImage, OmeroChannel
from zarrkit.errors import ArchiveError
from zarrkit.formats.archive import ArchiveWriter
from zarrkit.image import layout
from zarrkit.image.model import ImageArchive
from zarrkit.progress import Advance, enabled, task
from zarrkit.pyramid import METHOD, half_level

__all__ = ["write", "header_bytes"]


def header_bytes(header: Any) -> bytes:
    """FITS header bytes: raw bytes kept from the source file, or ``Header.tostring()``."""
    if header is None:
        return b""
    if isinstance(header, (bytes, bytearray)):
        return bytes(header)
    if isinstance(header, str):
        return header.encode("ascii")
    return header.tostring().encode("ascii")


class _Builder:
    """Builds each array's metadata from the codec profile and writes it through the engine."""

    def __init__(self, writer: ArchiveWriter, profile: str) -> None:
        self.writer = writer
        self.store = writer.store
        self.profile = profile
        self.advance: Advance = lambda steps=1: None  # the "Writing arrays" bar, while it is open

    def group(self, path: str) -> None:
        self.writer.group(path)

    def array(self, path: str, data: np.ndarray, dims: tuple[str, ...], chunks: tuple[int, ...],
              shards: tuple[int, ...] | None, attributes: dict[str, Any], *, text: bool = False,
              compressors: Any = "profile") -> core.ArrayMetadata:
        data = np.asarray(data)
        if compressors == "profile":
            kwargs = layout.codecs_for(data.dtype, self.profile, text=text)
        else:
            kwargs = {"compressors": compressors}
        if self.profile == "compat":
            shards = None
        meta = core.array_metadata(
            data.shape, data.dtype, chunks, shards=shards, fill_value=0, dimension_names=list(dims),
            attributes=attributes, **kwargs,
        )
        meta = self.writer.array(path, meta, data)
        self.advance(data.size)
        return meta


def write(archive: ImageArchive, url: Any, *, overwrite: bool = False, chunks: int | tuple[int, int] | None = None,
          shard_bytes: int = 16 * 2**20, pyramid: bool | int = True, profile: str = "default", ome: str = "0.5",
          storage_options: dict[str, Any] | None = None, executor: Any = None, progress: bool | None = None) -> str:
    """Write ``archive`` to ``url`` (path, ``file://``, ``memory://``, ``s3://``, ``.zarr.zip``/``.ozx``,
    ``icechunk+…``) through the archive engine, on ``executor`` when given.

    Refuses an existing target (:class:`ArchiveExistsError`) unless ``overwrite=True``.
    ``progress=True`` draws bars for the arrays and the pyramid on a terminal (default: the
    process-wide :mod:`zarrkit.progress` setting, off in library use).  Returns the store's URL.

    Example:
        >>> import numpy as np
        >>> write(ImageArchive(np.ones((600, 600), "f4")), "memory://doc-write-levels", pyramid=2)
        'memory://doc-write-levels'
    """
    if not isinstance(archive, ImageArchive):
        raise ArchiveError("write takes an ImageArchive")
    archive.validate()
    if profile not in ("default", "compat"):
        raise ArchiveError(f"profile: must be 'default' or 'compat', got {profile!r}")
    if ome != "0.5":
        raise ArchiveError(f"ome: only '0.5' is written by this release, got {ome!r}")
    marker = RootMarker(layout.FORMAT, layout.FORMAT_VERSION)
    # the bars stay open until the write has finished or failed (bars.close() on the way out)
    with enabled(progress), contextlib.ExitStack() as bars, ArchiveWriter(
            url, marker, overwrite=overwrite, storage_options=storage_options, executor=executor,
            block_bytes=shard_bytes, commit_message=f"zarrkit image archive {archive.name!r}") as writer:
        attributes, extra = _write_nodes(archive, writer, bars, chunks=chunks, shard_bytes=shard_bytes,
                                         pyramid=pyramid, profile=profile)
        return writer.finish(attributes, marker_extra=extra)


def _planned_elements(archive: ImageArchive, image: np.ndarray) -> int:
    """Elements the data arrays will hold (the "Writing arrays" bar counts them as they land)."""
    total = image.size + image.shape[-2] + image.shape[-1]  # the image and its y / x coordinates
    if archive.variance is not None:
        total += np.asarray(archive.variance).size
    if archive.mask is not None:
        words = layout.split_mask_bits([p.bit for p in archive.mask.planes])
        total += len(words) * np.asarray(archive.mask.array).size
    if archive.psf is not None:
        total += np.asarray(archive.psf).size
    return total


def _write_nodes(archive: ImageArchive, writer: ArchiveWriter, bars: contextlib.ExitStack, *, chunks,
                 shard_bytes: int, pyramid, profile: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every node of the archive; returns the root's attributes and the marker's domain keys."""
    b = _Builder(writer, profile)
    store = writer.store
    image = np.asarray(archive.image)
    shape = image.shape
    b.advance = bars.enter_context(task("Writing arrays", total=_planned_elements(archive, image)))
    spatial_dims = ("y", "x")
    dims = ("c", *spatial_dims) if archive.channels else spatial_dims
    if archive.cells is not None:
        img_chunks = (1,) * (len(shape) - 2) + tuple(min(c, s) for c, s in zip(archive.cells.cell_shape, shape[-2:]))
    else:
        img_chunks = layout.spatial_chunks(shape, chunks)
    img_shards = layout.shard_shape(shape, img_chunks, image.dtype.itemsize, shard_bytes)
    contents: dict[str, Any] = {"image": "image"}

    units = cf.units_string(archive.unit)
    ancillary = []
    if archive.variance is not None:
        ancillary.append("variance")
    words = {}
    if archive.mask is not None:
        words = layout.split_mask_bits([p.bit for p in archive.mask.planes])
        ancillary.extend("mask" if k == 0 else f"mask_{k}" for k in sorted(words))
    attrs: dict[str, Any] = {"long_name": archive.name}
    if units:
        attrs["units"] = units
    if ancillary:
        attrs["ancillary_variables"] = cf.ancillary_variables(ancillary)
    image_meta = b.array("image", image, dims, img_chunks, img_shards, attrs)

    sp_chunks, sp_shards = img_chunks[-2:], img_shards[-2:] if img_shards else None
    if archive.variance is not None:
        vattrs: dict[str, Any] = {"long_name": "variance"}
        vunits = _squared(archive.unit)
        if vunits:
            vattrs["units"] = vunits
        b.array("variance", np.asarray(archive.variance), dims, img_chunks, img_shards, vattrs)
        contents["variance"] = "variance"
    if archive.mask is not None:
        names = []
        for k in sorted(words):
            path = "mask" if k == 0 else f"mask_{k}"
            planes = sorted((p for p in archive.mask.planes if p.bit // 32 == k), key=lambda p: p.bit)
            packed = layout.pack_mask_word(archive.mask.array, k, [p.bit for p in planes])
            mattrs = cf.flag_attributes([(p.name, p.bit - 32 * k) for p in planes])
            mattrs["zarrkit"] = {"planes": [{"name": p.name, "bit": int(p.bit), "description": p.description} for p in planes]}
            b.array(path, packed, spatial_dims, sp_chunks, sp_shards, mattrs,
                    compressors=layout.codecs_for(packed.dtype, b.profile, mask=True)["compressors"])
            names.append(path)
        contents["mask"] = names
    y0, x0 = (int(v) for v in archive.origin)
    b.array("y", np.arange(shape[-2], dtype=np.int64) + y0, ("y",), (shape[-2],), None,
            {"long_name": "row in the parent grid"}, compressors=None)
    b.array("x", np.arange(shape[-1], dtype=np.int64) + x0, ("x",), (shape[-1],), None,
            {"long_name": "column in the parent grid"}, compressors=None)
    contents["coords"] = ["y", "x"]
    if archive.psf is not None:
        psf = np.asarray(archive.psf)
        pchunks = (1, 1, psf.shape[2], psf.shape[3])
        b.array("psf", psf, ("cell_y", "cell_x", "psf_y", "psf_x"), pchunks,
                layout.shard_shape(psf.shape, pchunks, psf.dtype.itemsize, shard_bytes), {"units": "1"})
        contents["psf"] = "psf"

    # pyramid: one group per level, built shard by shard from the level above
    b.advance = lambda steps=1: None  # pyramid levels have their own bar
    level_paths = ["image"]
    level_shapes = layout.pyramid_shapes(shape, pyramid)
    if level_shapes:
        b.group("pyramid")
        level = image
        # counted in pixels: level 1 is three quarters of the work, which a count of levels would hide
        advance_levels = bars.enter_context(task("Building pyramid levels", total=sum(math.prod(s) for s in level_shapes)))
        for n, lshape in enumerate(level_shapes, start=1):
            b.group(f"pyramid/{n}")
            # each level from the one above, still in memory: a quarter of its size, and no
            # decode of what was just encoded
            level = half_level(level)
            lchunks = layout.spatial_chunks(lshape, 256)
            path = f"pyramid/{n}/image"
            b.array(path, level, dims, lchunks, layout.shard_shape(lshape, lchunks, image.dtype.itemsize, shard_bytes),
                    dict(attrs, long_name=archive.name))
            level_paths.append(path)
            advance_levels(math.prod(lshape))
        contents["pyramid"] = level_paths[1:]

    # metadata arrays
    meta_nodes: list[tuple[str, bytes, tuple[str, str]]] = []
    if archive.header is not None:
        meta_nodes.append(("meta/header", header_bytes(archive.header), ("card", "char")))
        contents["header"] = "meta/header"
    hdu = {}
    for component, hdr in sorted((archive.hdu_headers or {}).items()):
        meta_nodes.append((f"meta/hdu_{component}", header_bytes(hdr), (f"{component}_card", "char")))
        hdu[component] = f"meta/hdu_{component}"
    if hdu:
        contents["hdu_headers"] = hdu
    if archive.wcs is not None:
        meta_nodes.append(("meta/wcs", archive.wcs.to_header(relax=True).tostring().encode("ascii"), ("wcs_card", "char")))
        contents["wcs"] = "meta/wcs"
    tree = None
    if archive.metadata:
        tree = json.dumps(archive.metadata, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        contents["metadata"] = "meta/tree"
    if meta_nodes or tree is not None:
        b.group("meta")
        for path, raw, mdims in meta_nodes:
            arr = layout.header_to_array(raw)
            b.array(path, arr, mdims, arr.shape, None, {}, text=True)
        if tree is not None:
            arr = np.frombuffer(tree, dtype=np.uint8)
            b.array("meta/tree", arr, ("tree_byte",), (max(1, arr.size),), None, {}, text=True)

    return {"ome": _ome_block(archive, store, dims, level_paths, image_meta)}, _marker_extra(archive, contents, profile)


def _squared(unit: Any) -> str | None:
    if unit is None:
        return None
    if isinstance(unit, str):
        return None  # an unparsed unit (JY/BEAM): no variance unit is better than a wrong one
    try:
        return cf.units_string(unit**2)
    except Exception:
        return None


def _ome_block(archive: ImageArchive, store, dims, level_paths, image_meta) -> dict[str, Any]:
    axes = [Axis("c", "channel")] if archive.channels else []
    axes += [Axis("y", "space"), Axis("x", "space")]
    y0, x0 = (float(v) for v in archive.origin)
    ms = Multiscale.pyramid(
        archive.name, level_paths, origin=(y0, x0), axes=axes,
        metadata={"description": "2x2 block mean of the previous level", "method": METHOD,
                  "version": zarrkit.__version__, "kwargs": {"factor": 2}},
    )
    channels = None
    if archive.channels:
        coarsest = level_paths[-1]
        data = core.read_region(store, coarsest, ...)
        channels = []
        for i, ch in enumerate(archive.channels):
            plane = np.asarray(data[i], dtype=np.float64)
            finite = plane[np.isfinite(plane)]
            lo, hi = (float(np.percentile(finite, 0.5)), float(np.percentile(finite, 99.5))) if finite.size else (0.0, 1.0)
            start, end = ch.window if ch.window else (lo, hi)
            channels.append(OmeroChannel(ch.name, ch.color, (lo, hi, start, end)))
    return OmeImage([ms], tuple(channels) if channels else None).to_dict()


def _marker_extra(archive: ImageArchive, contents: dict[str, Any], profile: str) -> dict[str, Any]:
    """The image format's keys in the root marker, after format, version and writer."""
    out: dict[str, Any] = {
        "kind": archive.kind,
        "origin": [int(v) for v in archive.origin],
        "profile": profile,
        "contents": contents,
    }
    if archive.cells is not None:
        out["cells"] = {"cell_shape": list(archive.cells.cell_shape), "grid_shape": list(archive.cells.grid_shape)}
    if archive.channels:
        out["channels"] = [{"name": c.name, "color": c.color} for c in archive.channels]
    if archive.fits_info:
        out["fits"] = {k: v for k, v in archive.fits_info.items() if k != "raw"}
    return out
