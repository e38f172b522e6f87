"""Planning a build from tile footprints alone: no pixel is read.

Each tile goes to its grid (the scheme), lands at an integer offset on the lattice (alias
shift for 327NN), and overlaps some shards; per (time, zone) that gives one
:class:`ShardTask` per touched shard, listing every overlapping source window, in Morton
order (neighbours share tiles).  A task's fingerprint hashes what decides its bytes:
source ids, identities and windows, the layout, the quantiser, the compositing rule and the
format version; a task whose receipt carries its fingerprint is done.

Example:
    >>> morton(3, 5), sorted([(1, 1), (0, 1), (1, 0), (0, 0)], key=lambda ij: morton(*ij))
    (27, [(0, 0), (0, 1), (1, 0), (1, 1)])
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from zarrkit.errors import GridMismatchError, NoZoneError
from zarrkit.geo import quantize
from zarrkit.geo.grid import GridScheme
from zarrkit.geo.layout import ZoneLayout
from zarrkit.geo.resample import onto_grid
from zarrkit.geo.sources import TileSource

__all__ = ["COMPOSITE", "FORMAT_VERSION", "ShardTask", "SourceWindow", "ZonePlan", "morton", "plan_build", "store_url"]

FORMAT_VERSION = "1.0"
COMPOSITE = "nearest-centre,smaller-id/1"


def morton(i: int, j: int) -> int:
    """Interleaved bits of ``(i, j)``: the Z-order index."""
    out = 0
    for b in range(32):
        out |= ((i >> b) & 1) << (2 * b + 1) | ((j >> b) & 1) << (2 * b)
    return out


def store_url(root: str, time: str) -> str:
    """``{root}/{time}.zarr``."""
    return f"{str(root).rstrip('/')}/{time}.zarr"


@dataclass(frozen=True)
class SourceWindow:
    """The part of one tile that one shard needs: tile rows/cols ``src``, shard rows/cols ``dst``."""

    tile: TileSource
    src: tuple[int, int, int, int]
    dst: tuple[int, int, int, int]
    centre: tuple[float, float]  # the tile centre in shard pixel coordinates (row, col)


@dataclass(frozen=True)
class ShardTask:
    """One output shard of one zone: pure, idempotent, picklable."""

    key: str
    fingerprint: str
    est_bytes: int
    url: str
    zone: str
    ij: tuple[int, int]
    layout: ZoneLayout = field(repr=False)
    sources: tuple[SourceWindow, ...] = field(repr=False)


@dataclass
class ZonePlan:
    """Everything planned for one (time, zone)."""

    time: str
    zone: str
    layout: ZoneLayout
    tiles: list[TileSource]
    tasks: list[ShardTask]

    def describe(self) -> dict[str, Any]:
        return {"time": self.time, "zone": self.zone, "tiles": len(self.tiles), "tasks": len(self.tasks),
                "peak_bytes": max((t.est_bytes for t in self.tasks), default=0)}


def _fingerprint(layout_key: str, ij: tuple[int, int], sources: Sequence[SourceWindow]) -> str:
    doc = {"format": FORMAT_VERSION, "layout": layout_key, "quantizer": quantize.METHOD, "composite": COMPOSITE,
           "shard": list(ij), "sources": [[s.tile.id, s.tile.identity, list(s.src), list(s.dst)] for s in sources]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def plan_build(tiles: Sequence[TileSource], scheme: GridScheme, out: str, *, time: str | None = None,
               kind: str = "embeddings", profile: str = "point", shard: int | None = None,
               chunk: int | None = None, resample: str | None = None) -> list[ZonePlan]:
    """Per (time, zone) plans, sorted by time then zone (see the module docstring); with
    ``resample`` a tile off its grid's lattice is warped onto it (:mod:`zarrkit.geo.resample`)."""
    placed: dict[tuple[str, str], list[tuple[TileSource, int, int]]] = {}
    grids = {}
    for tile in tiles:
        t = tile.time or time
        if not t:
            raise NoZoneError(f"{tile.path}: no time (give --time or a 'time' in its sidecar or manifest)")
        lon, lat = tile.centre_lonlat()
        grid = scheme.grid_for(tile.crs, lon, lat, tile.path)
        try:
            row, col = grid.offset(tile.crs, tile.transform, tile.path)
        except GridMismatchError:
            if not resample:
                raise
            tile = onto_grid(tile, grid, resample)
            row, col = grid.offset(tile.crs, tile.transform, tile.path)
        if not grid.contains(row, col, *tile.shape):
            raise NoZoneError(f"{tile.path}: spills beyond zone {grid.name}'s fixed extent")
        grids[grid.name] = grid
        placed.setdefault((str(t), grid.name), []).append((tile, row, col))
    plans = []
    nodata = None if kind == "embeddings" else raster_nodata(tiles)
    for (t, zone), members in sorted(placed.items()):
        first = members[0][0]
        dtype = "int8" if kind == "embeddings" else first.dtype
        layout = ZoneLayout(grids[zone], first.bands, dtype, kind, profile, shard, chunk, nodata)
        plans.append(ZonePlan(t, zone, layout, [m[0] for m in members], _tasks(layout, members, store_url(out, t), t)))
    return plans


def raster_nodata(tiles: Sequence[TileSource]) -> float | None:
    """The one nodata value the tiles of a raster build declare (``None``: none does); tiles that
    declare different ones are refused, since the mosaic can carry only one.

    Example:
        >>> from zarrkit.geo.sources import TileSource
        >>> t = lambda i, nd: TileSource(i, i, "npy", "EPSG:32631", (1, 0, 0, 0, -1, 0), (1, 1), 1, "i2", nd)
        >>> raster_nodata([t("a", -9999), t("b", None), t("c", -9999.0)])
        -9999.0
    """
    import math

    from zarrkit.errors import TileError

    seen: dict[float, str] = {}
    for tile in tiles:
        if tile.nodata is None:
            continue
        v = float(tile.nodata)
        key = "nan" if math.isnan(v) else v
        seen.setdefault(key, tile.path)
    if len(seen) > 1:
        (a, pa), (b, pb) = list(seen.items())[:2]
        raise TileError(f"{pb}: nodata {b} differs from {a} of {pa}; a raster mosaic has one nodata value")
    return float("nan") if "nan" in seen else (next(iter(seen)) if seen else None)


def _tasks(layout: ZoneLayout, members, url: str, time: str) -> list[ShardTask]:
    s = layout.shard_side
    by_shard: dict[tuple[int, int], list[SourceWindow]] = {}
    for tile, row, col in members:
        h, w = tile.shape
        centre = (row + h / 2, col + w / 2)
        for i in range(row // s, (row + h - 1) // s + 1):
            for j in range(col // s, (col + w - 1) // s + 1):
                r0, r1 = max(row, i * s), min(row + h, (i + 1) * s)
                c0, c1 = max(col, j * s), min(col + w, (j + 1) * s)
                by_shard.setdefault((i, j), []).append(SourceWindow(
                    tile, (r0 - row, r1 - row, c0 - col, c1 - col), (r0 - i * s, r1 - i * s, c0 - j * s, c1 - j * s),
                    (centre[0] - i * s, centre[1] - j * s)))
    key = layout.key()
    raw = s * s * (layout.bands * np.dtype(layout.dtype).itemsize + 4 + 4)  # data, scales and rgb of one shard
    out = []
    for ij in sorted(by_shard, key=lambda ij: morton(*ij)):
        srcs = tuple(sorted(by_shard[ij], key=lambda sw: sw.tile.id))
        windows = sum((sw.src[1] - sw.src[0]) * (sw.src[3] - sw.src[2]) * layout.bands * 4 for sw in srcs)
        out.append(ShardTask(f"{time}/{layout.grid.name}/{ij[0]}.{ij[1]}", _fingerprint(key, ij, srcs),
                             3 * raw + windows + s * s * layout.bands * 4, url, layout.grid.name, ij, layout, srcs))
    return out
