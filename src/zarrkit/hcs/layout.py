"""The on-disk layout of a plate (spec §2): array metadata per layout, the OME documents of
field images and wells, the root marker, and encoding one well into stored objects.

A well is encoded into a scratch memory store and handed back as ``{relative key: bytes}``,
so the bytes depend only on the data (not on the executor or the target store) and any
publisher (a staging folder, an object store, an icechunk session) stores them unchanged.

Example:
    >>> import numpy as np
    >>> from zarrkit.hcs.image_spec import ImageSpec
    >>> objs = encode_well(WellPlan("B/3", ImageSpec("yx"), {"0": np.ones((8, 8), "uint16")}))
    >>> sorted(objs)
    ['0/0/c/0/0', '0/0/zarr.json', '0/zarr.json', 'zarr.json']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from zarrkit import core
from zarrkit.conventions.marker import RootMarker
from zarrkit.conventions.ome import Dataset, Multiscale, OmeImage, Well, WellImage
from zarrkit.hcs.image_spec import Compression, ImageSpec, Layout

__all__ = ["FORMAT", "FORMAT_VERSION", "READS_MAJOR", "NAMING", "WellPlan", "field_metadata", "encode_well",
           "root_marker", "well_attributes", "STATE_COMPLETE", "STATE_WRITING"]

FORMAT = "hcs"
FORMAT_VERSION = "1.0"
READS_MAJOR = 1
NAMING = "{well}_s{field}_w{channel}_z{z}.tif"
STATE_COMPLETE, STATE_WRITING = "complete", "writing"
TILE_ABOVE, TILE = 4096, 2048  # planes above 4096² are tiled at 2048²
SHARD_LIMIT = 2 * 2**30  # raw bytes of one shard before it is split per t, then per z
METHOD = "zarrkit.pyramid.block_mean"


def _inner_chunk(shape: tuple[int, ...]) -> tuple[int, ...]:
    """One plane per inner chunk, tiled at 2048² when the plane is larger than 4096²."""
    y, x = shape[-2:]
    tile = (min(y, TILE), min(x, TILE)) if max(y, x) > TILE_ABOVE else (y, x)
    return (1,) * (len(shape) - 2) + tile


def _shard(shape: tuple[int, ...], axes: str, itemsize: int) -> tuple[int, ...]:
    """The whole field level, split per t and then per z while it exceeds 2 GiB raw."""
    shard = list(shape)
    for axis in "tz":
        if math.prod(shard) * itemsize <= SHARD_LIMIT:
            break
        if axis in axes:
            shard[axes.index(axis)] = 1
    return tuple(shard)


def field_metadata(shape: tuple[int, ...], image: ImageSpec, layout: Layout, compression: Compression
                   ) -> core.ArrayMetadata:
    """The array metadata of one field level under ``layout``.

    Example:
        >>> from zarrkit.hcs.image_spec import ImageSpec
        >>> m = field_metadata((2, 3, 64, 64), ImageSpec(), Layout.SHARDED, Compression())
        >>> m.shape, m.chunk_shape, m.sharding is not None, m.dimension_names
        ((2, 3, 64, 64), (2, 3, 64, 64), True, ('c', 'z', 'y', 'x'))
    """
    itemsize = image.dtype.itemsize
    common = dict(fill_value=0, compressors=compression.codecs(itemsize) or None,
                  dimension_names=list(image.axes), chunk_key_encoding={"name": "default", "configuration": {"separator": "/"}})
    inner = _inner_chunk(shape)
    if layout is Layout.SHARDED:
        return core.array_metadata(shape, image.dtype, inner, shards=_shard(shape, image.axes, itemsize),
                                   index_codecs=[{"name": "bytes", "configuration": {"endian": "little"}},
                                                 {"name": "crc32c"}], index_location="end", **common)
    if layout is Layout.PLANE:
        return core.array_metadata(shape, image.dtype, inner, **common)
    return core.array_metadata(shape, image.dtype, shape, **common)


def _level_shapes(shape: tuple[int, ...], n: int) -> list[tuple[int, ...]]:
    from zarrkit.pyramid import pyramid_shapes

    return [tuple(shape), *pyramid_shapes(tuple(shape), n - 1)]


def field_image_attributes(name: str, image: ImageSpec, nlevels: int, translation: tuple[float, float] | None
                           ) -> dict[str, Any]:
    """The ``ome`` block of one field image: multiscales (levels ``"0"``, ``"1"``, …) + omero.

    Level k has y/x scale ×2^k and translation +(2^k − 1)/2 · pixel size (pixel centres).
    """
    base = image.scale()
    spatial = [i for i, a in enumerate(image.axes) if a in "yx"]
    origin = list(translation) if translation is not None else [0.0, 0.0]
    datasets = []
    for k in range(nlevels):
        f = 2.0**k
        scale = tuple(s * f if i in spatial else s for i, s in enumerate(base))
        shifted = iter(o + (f - 1) / 2 * image.pixel_size[j] for j, o in enumerate(origin))
        trans = tuple(next(shifted) if i in spatial else 0.0 for i in range(len(base)))
        use_translation = translation is not None or nlevels > 1
        datasets.append(Dataset(str(k), scale, trans if use_translation else None))
    ms = Multiscale(name, tuple(image.ome_axes()), tuple(datasets), "mean", {"method": METHOD})
    channels = tuple(c.omero(image.dtype) for c in image.channels) or None
    return {"ome": OmeImage([ms], channels).to_dict()}


def well_attributes(fields: list[str], acquisition: int, files: Mapping[str, Any] | None, *, state: str
                    ) -> dict[str, Any]:
    """A well's attributes: ``ome.well`` (omitted while ``writing``) plus ``zarrkit.state``/``files``.

    Example:
        >>> well_attributes(["0"], 0, {"B03_s1_w1_z01.tif": ("0", None, 0, 0)}, state="complete")["zarrkit"]
        {'state': 'complete', 'files': {'B03_s1_w1_z01.tif': ['0', None, 0, 0]}}
    """
    own: dict[str, Any] = {"state": state}
    if files:
        own["files"] = {name: list(coords) for name, coords in sorted(files.items())}
    if state != STATE_COMPLETE:
        return {"zarrkit": own}
    well = Well(tuple(WellImage(f, acquisition) for f in fields))
    return {"ome": {"version": well.version, "well": well.to_dict()}, "zarrkit": own}


@dataclass
class WellPlan:
    """Everything needed to encode one well; small and picklable (a process task)."""

    path: str
    image: ImageSpec
    fields: dict[str, Any]  # field name -> array in the image's axes
    layout: Layout = Layout.SHARDED
    compression: Compression = field(default_factory=Compression)
    acquisition: int = 0
    files: dict[str, tuple] | None = None
    translations: dict[str, tuple[float, float]] = field(default_factory=dict)


def encode_well(plan: WellPlan) -> dict[str, bytes]:
    """Encode a well into ``{key relative to the well: bytes}``; ``"zarr.json"`` is the well's
    own document (state ``complete``), which publishers store last."""
    from zarrkit.pyramid import half_level
    from zarrkit.storage import open_store

    scratch = open_store("memory://", mode="w")
    for name, data in plan.fields.items():
        data = np.ascontiguousarray(np.asarray(data))
        shapes = _level_shapes(data.shape, plan.image.level_count(data.shape[-2:]))
        attrs = field_image_attributes(f"{plan.path}/{name}", plan.image, len(shapes), plan.translations.get(name))
        core.create_group(scratch, name, attributes=attrs, parents=False)
        for k, shape in enumerate(shapes):
            if k:
                data = half_level(data)
            meta = field_metadata(shape, plan.image, plan.layout, plan.compression)
            core.create_array(scratch, f"{name}/{k}", meta, parents=False)
            # the python encoder on every executor, so a well's bytes never depend on where it ran
            core.write_region(scratch, f"{name}/{k}", ..., data, metadata=meta, backend="python")
    attrs = well_attributes(list(plan.fields), plan.acquisition, plan.files, state=STATE_COMPLETE)
    objects = {key: scratch.get(key) for key in scratch.list_prefix("")}
    objects.update(core.GroupMetadata(attrs).to_documents())  # the well's own document, created last
    return objects



def root_marker(geometry: Any, image: ImageSpec, layout: Layout, compression: Compression, *,
                naming: str = NAMING, listing: str = "finalize") -> RootMarker:
    """The ``zarrkit`` marker of a plate root: format ``hcs`` plus the writer's settings."""
    return RootMarker(FORMAT, FORMAT_VERSION, extra={
        "geometry": geometry.geometry, "layout": layout.value, "image": image.to_dict(), "naming": naming,
        "plate": geometry.to_dict(), "compression": compression.to_text(), "listing": listing})
