"""Writing an :class:`ImageArchive` as one Zarr v3 group (image format 1.0).

Every array and sub-group is written first; the root ``zarr.json``, carrying the OME and
``zarrkit`` attributes and the consolidated metadata of every node, is written once, last:
a store without it is an incomplete archive.  A failed write removes what it wrote.

Example:
    >>> import numpy as np
    >>> from zarrkit.image.model import ImageArchive
    >>> url = write(ImageArchive(np.arange(12, dtype="f4").reshape(3, 4)), "memory://doc-image")
    >>> url
    'memory://doc-image'
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np

import zarrkit
from zarrkit import core
from zarrkit.conventions import cf
from zarrkit.conventions.ome import Axis, Multiscale, OmeImage, OmeroChannel
from zarrkit.core.metadata import GroupMetadata, dumps, parse_documents
from zarrkit.errors import (
    ArchiveError,
    ArchiveExistsError,
    ContainsDataError,
    ZarrkitError,
)
from zarrkit.image import layout
from zarrkit.image.model import ImageArchive
from zarrkit.parallel import TaskExecutor, check_executor, get_executor
from zarrkit.pyramid import METHOD, half_level
from zarrkit.storage import open_store
from zarrkit.storage.consolidated import with_consolidated

__all__ = ["write", "header_bytes"]

# One encoder for every store and executor, so an archive's bytes depend only on its data:
# zarrs' blosc differs from numcodecs' in its output, and zarrs only serves local stores.
ENCODER = "python"


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
    """Creates nodes with ``parents=False`` and remembers every document for the root."""

    def __init__(self, store, profile: str, shard_bytes: int, executor: TaskExecutor | None = None) -> None:
        self.store = store
        self.profile = profile
        self.shard_bytes = shard_bytes
        self.executor = executor
        self.docs: dict[str, dict[str, Any]] = {}

    def write_data(self, path: str, meta: core.ArrayMetadata, data: np.ndarray) -> None:
        """Write a whole array: on the core's own pool, or as one task per block on the executor.

        Tasks in another process get the block and encode it into a scratch memory store; the
        stored objects come back as bytes and are written here, so every kind of store (zip,
        memory, icechunk) works and the bytes do not depend on the executor.
        """
        if self.executor is None or data.size == 0:
            core.write_region(self.store, path, ..., data, metadata=meta, backend=ENCODER)
            return
        boxes = _blocks(meta, self.shard_bytes)
        if self.executor.shares_memory:
            store = self.store
            list(self.executor.map(lambda box: core.write_region(store, path, box, data[box], metadata=meta, backend=ENCODER), boxes))
            return
        doc = meta.to_dict()
        tasks = ((path, doc, box, np.ascontiguousarray(data[box])) for box in boxes)
        for objects in self.executor.map(_encode_block, tasks):
            self.store.set_many(objects)

    def group(self, path: str) -> None:
        meta = core.create_group(self.store, path, parents=False)
        self.docs[path] = meta.to_dict()

    def array(self, path: str, data: np.ndarray, dims: tuple[str, ...], chunks: tuple[int, ...],
              shards: tuple[int, ...] | None, attributes: dict[str, Any], *, text: bool = False,
              compressors: Any = "profile") -> core.ArrayMetadata:
        data = np.asarray(data)
        kwargs = layout.codecs_for(data.dtype, self.profile, text=text) if compressors == "profile" else {"compressors": compressors}
        if self.profile == "compat":
            shards = None
        meta = core.array_metadata(
            data.shape, data.dtype, chunks, shards=shards, fill_value=0, dimension_names=list(dims),
            attributes=attributes, **kwargs,
        )
        core.create_array(self.store, path, meta, parents=False)
        self.write_data(path, meta, data)
        self.docs[path] = meta.to_dict()
        return meta



def _blocks(meta: core.ArrayMetadata, budget: int) -> list[tuple[slice, ...]]:
    """Boxes covering the array, each whole stored objects: one shard, or as many whole
    chunks as fit ``budget`` bytes (growing the last axes first)."""
    step = list(meta.chunk_shape)
    if meta.sharding is None:
        itemsize = np.dtype(meta.dtype).itemsize
        for axis in reversed(range(meta.ndim)):
            while step[axis] < meta.shape[axis] and itemsize * math.prod(step) * 2 <= budget:
                step[axis] = min(step[axis] * 2, -(-meta.shape[axis] // meta.chunk_shape[axis]) * meta.chunk_shape[axis])
    ranges = [range(0, n, s) for n, s in zip(meta.shape, step)]
    return [tuple(slice(o, min(o + s, n)) for o, s, n in zip(origin, step, meta.shape))
            for origin in itertools.product(*ranges)]


def _encode_block(task: tuple[str, dict[str, Any], tuple[slice, ...], np.ndarray]) -> dict[str, bytes]:
    """Encode one block of an array into a scratch store; return the objects it produced."""
    path, doc, box, block = task
    meta = parse_documents({"zarr.json": doc})
    scratch = open_store("memory://", mode="w")
    core.write_region(scratch, path, box, block, metadata=meta, backend=ENCODER)
    return {key: scratch.get(key) for key in scratch.list_prefix("")}


def write(archive: ImageArchive, url: Any, *, overwrite: bool = False, chunks: int | tuple[int, int] | None = None,
          shard_bytes: int = 16 * 2**20, pyramid: bool | int = True, profile: str = "default", ome: str = "0.5",
          storage_options: dict[str, Any] | None = None, executor: Any = None) -> str:
    """Write ``archive`` to ``url`` (path, ``file://``, ``memory://``, ``s3://``, ``.zarr.zip``/``.ozx``).

    Refuses an existing target (:class:`ArchiveExistsError`) unless ``overwrite=True``.
    Returns the store's URL.
    """
    if not isinstance(archive, ImageArchive):
        raise ArchiveError("write takes an ImageArchive")
    archive.validate()
    if profile not in ("default", "compat"):
        raise ArchiveError(f"profile: must be 'default' or 'compat', got {profile!r}")
    if ome != "0.5":
        raise ArchiveError(f"ome: only '0.5' is written by this release, got {ome!r}")
    check_executor(executor)  # before the store is opened (and perhaps created)
    try:
        store = open_store(url, mode="w", overwrite=overwrite, options=storage_options)
    except ContainsDataError as err:
        raise ArchiveExistsError(f"{err.url} already holds data; pass overwrite=True to replace it") from None
    tasks = None if executor is None else get_executor(executor)
    try:
        _write_nodes(archive, store, chunks=chunks, shard_bytes=shard_bytes, pyramid=pyramid, profile=profile,
                     executor=tasks)
        if store.kind == "icechunk":  # the whole archive is one snapshot: readers see all of it or none
            store.commit(f"zarrkit image archive {archive.name!r}")
    except BaseException:
        _remove_written(store)
        raise
    finally:
        if tasks is not None and tasks is not executor:
            tasks.close()
    written = store.url
    store.close()
    return written


def _remove_written(store) -> None:
    try:
        if store.kind in ("zip", "icechunk"):
            store.discard()
        else:
            store.delete_prefix("")
    except ZarrkitError:
        pass
    finally:
        try:
            store.close()
        except Exception:
            pass


def _write_nodes(archive: ImageArchive, store, *, chunks, shard_bytes: int, pyramid, profile: str,
                 executor: TaskExecutor | None) -> None:
    b = _Builder(store, profile, shard_bytes, executor)
    image = np.asarray(archive.image)
    shape = image.shape
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
            b.array(path, packed, spatial_dims, sp_chunks, sp_shards, mattrs)
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
    level_paths = ["image"]
    level_shapes = layout.pyramid_shapes(shape, pyramid)
    if level_shapes:
        b.group("pyramid")
        level = image
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

    root_attrs = {
        "ome": _ome_block(archive, store, dims, level_paths, image_meta),
        "zarrkit": _zarrkit_block(archive, contents, profile),
    }
    root = GroupMetadata(root_attrs).to_dict()
    store.set("zarr.json", dumps(with_consolidated(root, b.docs)))


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


def _zarrkit_block(archive: ImageArchive, contents: dict[str, Any], profile: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": layout.FORMAT,
        "version": layout.FORMAT_VERSION,
        "writer": f"zarrkit {zarrkit.__version__}",
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
