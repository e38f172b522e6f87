"""Grids: fixed per-zone pixel lattices, independent of which tiles exist.

A :class:`Grid` is one zone group: canonical CRS, resolution, the top-left corner of
pixel (0, 0) and a full fixed shape (a multiple of ``align``, so shard boundaries never
move).  A scheme maps a tile to its grid: :func:`utm_zones` (zone of the tile centre,
group ``utmNN``, CRS always ``EPSG:326NN``; a ``EPSG:327NN`` tile is the same projection
with a false northing of 10 000 km, so it is placed by an exact alias shift),
:func:`single_grid`, :func:`grids` or :func:`custom`.

Example:
    >>> g = Grid("toy", "EPSG:32631", (10.0, 10.0), (500000.0, 100.0), (8, 8), align=4,
    ...          aliases={"EPSG:32731": (0.0, -10_000_000.0)})
    >>> g.offset("EPSG:32631", (10.0, 0.0, 500020.0, 0.0, -10.0, 80.0))
    (2, 2)
    >>> g.offset("EPSG:32731", (10.0, 0.0, 500020.0, 0.0, -10.0, 10000080.0))
    (2, 2)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

from zarrkit.errors import GridMismatchError, NoZoneError, TileError

__all__ = ["Grid", "GridScheme", "custom", "grids", "single_grid", "utm_zones", "utm_alias"]

_TOLERANCE = 1e-6  # pixels: how far a tile corner may sit from the lattice
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_UTM = re.compile(r"EPSG:32([67])(\d\d)")


def utm_alias(crs: str) -> tuple[str, tuple[float, float]] | None:
    """``(canonical, (dx, dy))`` for a UTM code: 327NN is 326NN shifted by −10 000 000 m.

    Example:
        >>> utm_alias("EPSG:32731"), utm_alias("EPSG:32631"), utm_alias("EPSG:4326")
        (('EPSG:32631', (0.0, -10000000.0)), ('EPSG:32631', (0.0, 0.0)), None)
    """
    m = _UTM.fullmatch(crs.upper())
    if not m or not 1 <= int(m.group(2)) <= 60:
        return None
    return f"EPSG:326{m.group(2)}", (0.0, -10_000_000.0 if m.group(1) == "7" else 0.0)


@dataclass(frozen=True)
class Grid:
    """One zone group's lattice (see the module docstring)."""

    name: str
    crs: str
    res: tuple[float, float]
    origin: tuple[float, float]
    shape: tuple[int, int]
    align: int = 4096
    aliases: Mapping[str, tuple[float, float]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise TileError(f"grid name {self.name!r}: use letters, digits, '_' and '-' only")
        if min(self.res) <= 0 or not all(math.isfinite(v) for v in (*self.res, *self.origin)):
            raise TileError(f"grid {self.name}: resolution must be > 0 and the origin finite")
        if any(s % self.align for s in self.shape) or self.align & (self.align - 1):
            raise TileError(f"grid {self.name}: shape {self.shape} must be a multiple of align {self.align} (a power of two)")

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """Affine order ``(xres, 0, x0, 0, −yres, y0)`` of pixel corners."""
        return (self.res[0], 0.0, self.origin[0], 0.0, -self.res[1], self.origin[1])

    def shift(self, crs: str) -> tuple[float, float] | None:
        """The ``(dx, dy)`` taking coordinates in ``crs`` to the grid's CRS, ``None`` if unrelated."""
        crs = crs.upper()
        if crs == self.crs.upper():
            return (0.0, 0.0)
        for alias, delta in self.aliases.items():
            if alias.upper() == crs:
                return tuple(delta)
        return None

    def offset(self, crs: str, transform: Sequence[float], tile: str = "tile") -> tuple[int, int]:
        """``(row, col)`` of a tile's pixel (0, 0) on this lattice, or :class:`GridMismatchError`."""
        a, b, c, d, e, f = (float(v) for v in transform)
        if not all(math.isfinite(v) for v in (a, b, c, d, e, f)):
            raise TileError(f"{tile}: the transform {list(transform)} is not finite")
        delta = self.shift(crs)
        if delta is None:
            raise GridMismatchError(f"{tile}: CRS {crs} is neither {self.crs} nor an alias of it (grid {self.name})")
        if b or d or not math.isclose(a, self.res[0], rel_tol=1e-9) or not math.isclose(-e, self.res[1], rel_tol=1e-9):
            raise GridMismatchError(f"{tile}: pixel size ({a}, {e}) with rotation ({b}, {d}) does not match grid "
                                    f"{self.name} ({self.res[0]}, {-self.res[1]}), north up")
        col = (c + delta[0] - self.origin[0]) / self.res[0]
        row = (self.origin[1] - (f + delta[1])) / self.res[1]
        if abs(col - round(col)) > _TOLERANCE or abs(row - round(row)) > _TOLERANCE:
            raise GridMismatchError(f"{tile}: corner sits {col:.6f}, {row:.6f} pixels into grid {self.name}; "
                                    "tiles must land on the lattice (whole pixels)")
        return int(round(row)), int(round(col))

    def contains(self, row: int, col: int, height: int, width: int) -> bool:
        """Whether a ``height × width`` window at ``(row, col)`` lies inside the grid."""
        return row >= 0 and col >= 0 and row + height <= self.shape[0] and col + width <= self.shape[1]

    def to_json(self) -> dict[str, Any]:
        """The JSON form ``--grid`` reads (a list of these)."""
        return {"name": self.name, "crs": self.crs, "res": list(self.res), "origin": list(self.origin),
                "shape": list(self.shape), "align": self.align, "aliases": {k: list(v) for k, v in self.aliases.items()}}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "Grid":
        """A grid from :meth:`to_json`'s form."""
        return cls(doc["name"], doc["crs"], tuple(doc["res"]), tuple(doc["origin"]), tuple(doc["shape"]),
                   int(doc.get("align", 4096)), {k: tuple(v) for k, v in (doc.get("aliases") or {}).items()})


class GridScheme:
    """Maps a tile (its CRS and centre in lon/lat) to its grid; ``name`` is recorded in the store."""

    name = "custom"
    spatial_layout: str | None = None

    def __init__(self, choose: Callable[[str, float, float], Grid | None], name: str = "custom") -> None:
        self._choose, self.name = choose, name

    def grid_for(self, crs: str, lon: float, lat: float, tile: str = "tile") -> Grid:
        """The grid of a tile whose centre is at ``lon, lat``."""
        grid = self._choose(crs, lon, lat)
        if grid is None:
            raise NoZoneError(f"{tile}: centre ({lon:.6f}, {lat:.6f}) lies in no zone of the {self.name} scheme")
        return grid


def custom(fn: Callable[[str, float, float], Grid | None]) -> GridScheme:
    """A scheme from ``fn(crs, lon, lat) -> Grid | None``.

    Example:
        >>> g = Grid("a", "EPSG:4326", (1.0, 1.0), (-180.0, 90.0), (180, 360), align=4)
        >>> custom(lambda crs, lon, lat: g).grid_for("EPSG:4326", 0, 0).name
        'a'
    """
    return GridScheme(fn, "custom")


def single_grid(grid: Grid) -> GridScheme:
    """Every tile on one grid."""
    return GridScheme(lambda crs, lon, lat: grid, "single")


def grids(candidates: Sequence[Grid]) -> GridScheme:
    """The first grid whose extent holds the tile centre (projected into the grid's CRS)."""
    def choose(crs: str, lon: float, lat: float) -> Grid | None:
        for g in candidates:
            x, y = _project(g.crs, lon, lat)
            col, row = (x - g.origin[0]) / g.res[0], (g.origin[1] - y) / g.res[1]
            if 0 <= col < g.shape[1] and 0 <= row < g.shape[0]:
                return g
        return None
    return GridScheme(choose, "grids")


class UtmScheme(GridScheme):
    """The UTM zones (see :func:`utm_zones`)."""

    name = "utm"
    spatial_layout = "utm_zones"

    def __init__(self, res: float, align: int, lat_range: tuple[float, float], overhang_deg: float) -> None:
        self.res, self.align, self.lat_range, self.overhang = float(res), int(align), tuple(lat_range), float(overhang_deg)

    def zone(self, number: int) -> Grid:
        """The fixed grid of UTM zone ``number`` (1..60)."""
        return _utm_grid(number, self.res, self.align, self.lat_range, self.overhang)

    def grid_for(self, crs: str, lon: float, lat: float, tile: str = "tile") -> Grid:
        if not (self.lat_range[0] <= lat <= self.lat_range[1]) or not math.isfinite(lon):
            raise NoZoneError(f"{tile}: centre ({lon:.6f}, {lat:.6f}) lies outside the UTM zones "
                              f"(latitudes {self.lat_range[0]}..{self.lat_range[1]})")
        return self.zone(min(60, max(1, int(math.floor((lon + 180.0) / 6.0)) + 1)))


def utm_zones(res: float = 10, align: int = 4096, lat_range: tuple[float, float] = (-80, 84),
              overhang_deg: float = 0.5) -> UtmScheme:
    """The UTM scheme: zone of the tile centre, group ``utmNN``, canonical CRS ``EPSG:326NN``.

    Extent: the zone's longitude band widened by ``overhang_deg`` × ``lat_range``, its outline
    densified (21 points per edge) into 326NN and snapped outward to ``align · res``.

    Example:
        >>> g = utm_zones().zone(31)
        >>> g.name, g.crs, g.origin, g.shape
        ('utm31', 'EPSG:32631', (81920.0, 9338880.0), (1822720, 81920))
    """
    return UtmScheme(res, align, lat_range, overhang_deg)


@lru_cache(maxsize=256)
def _utm_grid(number: int, res: float, align: int, lat_range: tuple[float, float], overhang: float) -> Grid:
    crs = f"EPSG:326{number:02d}"
    lon0 = -180.0 + 6.0 * (number - 1) - overhang
    lon1 = lon0 + 6.0 + 2 * overhang
    lat0, lat1 = lat_range
    t = [i / 20 for i in range(21)]
    lons = [lon0 + (lon1 - lon0) * s for s in t] * 2 + [lon0] * 21 + [lon1] * 21
    lats = [lat0] * 21 + [lat1] * 21 + [lat0 + (lat1 - lat0) * s for s in t] * 2
    xs, ys = _project_many(crs, lons, lats)
    step = align * res
    x0, x1 = math.floor(min(xs) / step) * step, math.ceil(max(xs) / step) * step
    y0, y1 = math.floor(min(ys) / step) * step, math.ceil(max(ys) / step) * step
    shape = (int(round((y1 - y0) / res)), int(round((x1 - x0) / res)))
    aliases = {f"EPSG:327{number:02d}": (0.0, -10_000_000.0)}
    return Grid(f"utm{number:02d}", crs, (res, res), (float(x0), float(y1)), shape, align, aliases)


@lru_cache(maxsize=64)
def _to_crs(crs: str):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(crs: str, lon: float, lat: float) -> tuple[float, float]:
    return _to_crs(crs).transform(lon, lat)


def _project_many(crs: str, lons, lats):
    return _to_crs(crs).transform(lons, lats)
