"""The global EPSG:4326 preview pyramid ``preview/`` (see :mod:`zarrkit.geo.preview`).

Every level ``k`` is a group ``preview/k`` holding a sharded ``rgb`` (y, x, rgba) and its
``x``, ``y``, ``spatial_ref``; the group carries the zarr-conventions v0.1 ``multiscales``
layout with proj:/spatial: (no group-level transform or shape).

Example:
    >>> LevelGrid.world(0.5, 0).shape, LevelGrid.world(0.5, 1).transform
    ((360, 720), (1.0, 0.0, -180.0, 0.0, -1.0, 90.0))
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarrkit import core, pyramid
from zarrkit.conventions.geo import multiscales_attributes, proj_attributes, registration, spatial_attributes
from zarrkit.core.metadata import GroupMetadata, dumps
from zarrkit.geo.layout import INDEX_CODECS, codecs, coordinate_arrays, coordinate_values, crs_facts
from zarrkit.geo.tasks import crash_after_write, open_cached
from zarrkit.geo.warp import meridian_distance

__all__ = ["LevelGrid", "build_world", "lon_spans"]

SHARD, INNER = 2048, 256  # the visual profile: (256, 256, 4) chunks in (2048, 2048, 4) shards


@dataclass(frozen=True)
class LevelGrid:
    """The lattice of one preview level (duck-types :class:`zarrkit.geo.grid.Grid` for the layout helpers)."""

    crs: str
    res: tuple[float, float]
    origin: tuple[float, float]
    shape: tuple[int, int]

    @classmethod
    def world(cls, base_res: float, k: int) -> "LevelGrid":
        r = base_res * 2**k
        return cls("EPSG:4326", (r, r), (-180.0, 90.0), (math.ceil(180 / base_res / 2**k), math.ceil(360 / base_res / 2**k)))

    @property
    def transform(self) -> tuple[float, ...]:
        return (self.res[0], 0.0, self.origin[0], 0.0, -self.res[1], self.origin[1])

    def rgb_metadata(self) -> core.ArrayMetadata:
        shard = min(SHARD, 1 << max(0, (max(self.shape) - 1).bit_length()))
        inner = min(INNER, shard)
        code, wkt, *_ = crs_facts(self.crs)
        attrs = {**registration(["proj", "spatial"]), **proj_attributes(code, wkt),
                 **spatial_attributes(self.res, self.origin, self.shape), "grid_mapping": "spatial_ref",
                 "coordinates": "spatial_ref", "_CRS": {"wkt": wkt}, "long_name": "RGBA preview"}
        return core.array_metadata((*self.shape, 4), "uint8", (inner, inner, 4), shards=(shard, shard, 4), fill_value=0,
                                   compressors=codecs("uint8"), index_codecs=INDEX_CODECS,
                                   dimension_names=["y", "x", "rgba"], attributes=attrs)


@dataclass(frozen=True)
class WorldTask:
    key: str
    fingerprint: str
    est_bytes: int
    url: str
    ij: tuple[int, int]
    meta: str = field(repr=False)
    # zone, crs, transform, shape, and the rows/cols (r0, r1, c0, c1) of its written rgb shards here
    sources: tuple[tuple[str, str, tuple[float, ...], tuple[int, int], tuple[int, int, int, int]], ...] = ()


def _ensure_levels(store, base_res: float, n: int) -> list[core.ArrayMetadata]:
    grids = [LevelGrid.world(base_res, k) for k in range(n)]
    code, wkt, *_ = crs_facts("EPSG:4326")
    group = {**registration(["multiscales", "proj", "spatial"]),
             **multiscales_attributes(base_res, (-180.0, 90.0), [g.shape for g in grids]),
             **proj_attributes(code, wkt), **spatial_attributes(grids[0].res, grids[0].origin, grids[0].shape, transform=False)}
    metas = [g.rgb_metadata() for g in grids]
    raw = store.get("preview/zarr.json")
    if raw is not None and json.loads(raw).get("attributes") == json.loads(dumps(GroupMetadata(group).to_dict()))["attributes"]:
        return metas
    if raw is not None:
        core.delete_node(store, "preview")
    core.create_group(store, "preview", attributes=group, parents=False)
    for k, (g, meta) in enumerate(zip(grids, metas)):
        core.create_group(store, f"preview/{k}", parents=False)
        core.create_array(store, f"preview/{k}/rgb", meta, parents=False)
        for name, m in coordinate_arrays(g, None).items():
            core.create_array(store, f"preview/{k}/{name}", m, parents=False)
            values = coordinate_values(g, name)
            if values is not None:
                core.write_region(store, f"preview/{k}/{name}", ..., values, metadata=m, backend="python")
    return metas


def _lonlat_bounds(crs: str, transform, window) -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    a, _, c, _, e, f = transform
    r0, r1, c0, c1 = window
    return transform_bounds(crs, "EPSG:4326", c + a * c0, f + e * r1, c + a * c1, f + e * r0, densify_pts=21)


def lon_spans(west: float, east: float) -> list[tuple[float, float]]:
    """Longitude intervals of a lon/lat box; one crossing ±180° (west > east, as
    ``transform_bounds`` reports it) is split in two.

    Example:
        >>> lon_spans(10.0, 20.0), lon_spans(179.5, -179.5)
        ([(10.0, 20.0)], [(179.5, 180.0), (-180.0, -179.5)])
    """
    return [(west, east)] if west <= east else [(west, 180.0), (-180.0, east)]


def _reach(crs: str, src_t, src_shape, corner, r: float, hw) -> tuple[int, int, int, int]:
    """Rows and columns ``(y0, y1, x0, x1)`` of an output shard (top-left ``corner``, pixel
    ``r``, shape ``hw``) that a source window can reach, padded by 2 px."""
    from rasterio.warp import transform_bounds

    (h, w), (west, north) = hw, corner
    x0 = src_t.c
    y1 = src_t.f
    x1, y0 = x0 + src_t.a * src_shape[1], y1 + src_t.e * src_shape[0]
    lw, ls, le, ln = transform_bounds(crs, "EPSG:4326", x0, y0, x1, y1, densify_pts=21)
    rows = (max(0, math.floor((north - ln) / r) - 2), min(h, math.ceil((north - ls) / r) + 2))
    cols = [(max(0, math.floor((a - west) / r) - 2), min(w, math.ceil((b - west) / r) + 2)) for a, b in lon_spans(lw, le)]
    cols = [c for c in cols if c[1] > c[0]]
    if not cols:
        return 0, 0, 0, 0
    return rows[0], rows[1], min(c[0] for c in cols), max(c[1] for c in cols)


def _shard_box(shards, side: int) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` spanned by zone shards of side ``side``."""
    return (min(i for i, _ in shards) * side, (max(i for i, _ in shards) + 1) * side,
            min(j for _, j in shards) * side, (max(j for _, j in shards) + 1) * side)


def run_world(task: WorldTask) -> dict[str, Any]:
    """One level-0 shard: every zone's rgb reprojected (premultiplied, average) and composited."""
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject, transform_bounds

    store = open_cached(task.url)
    meta = core.ArrayMetadata.from_dict(json.loads(task.meta))
    s = meta.chunk_shape[0]
    r = -meta.attributes["spatial:transform"][4]
    h, w = min(s, meta.shape[0] - task.ij[0] * s), min(s, meta.shape[1] - task.ij[1] * s)
    west, north = -180 + task.ij[1] * s * r, 90 - task.ij[0] * s * r
    best = np.zeros((4, h, w), "f4")
    for zone, crs, zt, zshape, box in task.sources:  # already ordered: nearest central meridian, then name
        x0, y0, x1, y1 = transform_bounds("EPSG:4326", crs, west, north - h * r, west + w * r, north, densify_pts=21)
        # only the written shards can hold data: read no further than them (plus the margin below)
        pad = 2 + 2 * math.ceil(max(r * 111_320 / zt[0], r / zt[0]))
        c0 = max(0, int(math.floor((x0 - zt[2]) / zt[0])) - 2, box[2] - pad)
        c1 = min(zshape[1], int(math.ceil((x1 - zt[2]) / zt[0])) + 2, box[3] + pad)
        r0 = max(0, int(math.floor((zt[5] - y1) / -zt[4])) - 2, box[0] - pad)
        r1 = min(zshape[0], int(math.ceil((zt[5] - y0) / -zt[4])) + 2, box[1] + pad)
        if c1 <= c0 or r1 <= r0:
            continue
        rgba = core.read_region(store, f"{zone}/rgb", (slice(r0, r1), slice(c0, c1))).astype("f4")
        a = rgba[..., 3] / 255
        rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
        if not len(rows):
            continue
        # crop to the data, keeping a margin wider than one output pixel, so every output
        # pixel the crop changes would have averaged transparent pixels only (same result)
        top, bottom = max(0, rows[0] - pad), min(a.shape[0], rows[-1] + 1 + pad)
        left, right = max(0, cols[0] - pad), min(a.shape[1], cols[-1] + 1 + pad)
        rgba, a = rgba[top:bottom, left:right], a[top:bottom, left:right]
        r0, c0 = r0 + top, c0 + left
        planes = np.stack([rgba[..., 0] * a, rgba[..., 1] * a, rgba[..., 2] * a, a])
        src_t = Affine(zt[0], 0, zt[2] + c0 * zt[0], 0, zt[4], zt[5] + r0 * zt[4])
        # warp only the part of the output shard the window can reach: GDAL's cost follows the
        # output pixels, and a zone window usually covers a small part of a 2048² shard
        y0, y1, x0_, x1_ = _reach(crs, src_t, planes.shape[1:], (west, north), r, (h, w))
        if y1 <= y0 or x1_ <= x0_:
            continue
        out = np.zeros((4, y1 - y0, x1_ - x0_), "f4")
        reproject(planes, out, src_transform=src_t, src_crs=crs, dst_crs="EPSG:4326",
                  dst_transform=Affine(r, 0, west + x0_ * r, 0, -r, north - y0 * r),
                  resampling=Resampling.average, num_threads=1, src_nodata=None, dst_nodata=None)
        sub = best[:, y0:y1, x0_:x1_]
        take = out[3] > sub[3]
        sub[:, take] = out[:, take]
    with np.errstate(invalid="ignore", divide="ignore"):
        colour = np.where(best[3] > 0, best[:3] / np.where(best[3] > 0, best[3], 1), 0)
    rgba = np.concatenate([np.clip(np.rint(colour), 0, 255), np.rint(255 * best[3:])]).astype("u1")
    block = np.zeros((s, s, 4), "u1")
    block[:h, :w] = np.moveaxis(rgba, 0, -1)
    info = pyramid.write_shard(store, "preview/0/rgb", meta, task.ij, block[:h, :w] if (h, w) != (s, s) else block)
    crash_after_write("world")
    return {"task": task.key, "phase": task.key.rsplit("/", 1)[0], "fp": task.fingerprint,
            "status": "written" if info else "empty", "arrays": {"rgb": info} if info else {}}


def build_world(url: str, store, time: str, zones: list[str], docs: dict[str, Any], rgb: dict, base_res: float,
                levels: int | None, ledger, executor, workers, memory, force) -> None:
    """Create (or keep) ``preview/`` and fill every level whose inputs changed."""
    from zarrkit.parallel import run_tasks

    level0 = LevelGrid.world(base_res, 0)
    n = levels or len(pyramid.level_shapes(level0.shape, INNER))
    metas = _ensure_levels(store, base_res, n)
    s = metas[0].chunk_shape[0]
    by_shard: dict[tuple[int, int], list] = {}
    zone_info = {}
    for (zone, ij), digest in sorted(rgb.items()):
        attrs = docs[zone]["attributes"]
        zt, zshape = attrs["spatial:transform"], attrs["spatial:shape"]
        zs = docs[f"{zone}/rgb"]["chunk_grid"]["configuration"]["chunk_shape"][0]
        window = (ij[0] * zs, (ij[0] + 1) * zs, ij[1] * zs, (ij[1] + 1) * zs)
        west, south, east, north = _lonlat_bounds(attrs["proj:code"], zt, window)
        zone_info[zone] = (attrs["proj:code"], tuple(zt), tuple(zshape), zs)
        cols = {j for w_, e_ in lon_spans(west, east)  # a zone shard over ±180° feeds both edges
                for j in range(int((w_ + 180) / base_res) // s, min(int((e_ + 180) / base_res), level0.shape[1] - 1) // s + 1)}
        for i in range(int((90 - north) / base_res) // s, min(int((90 - south) / base_res), level0.shape[0] - 1) // s + 1):
            for j in sorted(cols):
                by_shard.setdefault((i, j), []).append((zone, ij, digest))
    doc = json.dumps(metas[0].to_dict())
    tasks = []
    for ij, inputs in sorted(by_shard.items()):
        centre = -180 + (ij[1] + 0.5) * s * base_res
        names = sorted({z for z, _, _ in inputs}, key=lambda z: (float(meridian_distance(centre, zone_info[z][0])), z))
        fp = hashlib.sha256(json.dumps([doc, names, [[z, list(k), d] for z, k, d in inputs]]).encode()).hexdigest()
        boxes = {z: _shard_box([k for z_, k, _ in inputs if z_ == z], zone_info[z][3]) for z in names}
        tasks.append(WorldTask(f"{time}/preview/0/{ij[0]}.{ij[1]}", fp, 40 * s * s * 4, url, ij, doc,
                               tuple((z, *zone_info[z][:3], boxes[z]) for z in names)))
    run_tasks(run_world, tasks, executor=executor, workers=workers, memory=memory, ledger=ledger,
              phase=f"{time}/preview/0", resume=not force)
    got = ledger.matching(f"{time}/preview/0")
    children = {t.ij: got[(t.key, t.fingerprint)]["fp"] for t in tasks if got[(t.key, t.fingerprint)]["status"] == "written"}
    pyramid.build_levels(url, [f"preview/{k}/rgb" for k in range(n)], children, alpha_axis=2, executor=executor,
                         workers=workers, memory=memory, ledger=ledger, phase=f"{time}/preview", force=force)
