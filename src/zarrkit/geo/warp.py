"""Reprojecting zone windows onto one output grid and compositing them (§9 reads across zones).

A read spanning zones picks a target grid (``dst_crs``, default the zone of the bbox centre,
snapped to that zone's lattice so its own pixels come through unresampled), warps every
zone's dequantised window onto it with nearest resampling (values stay exact: no mixing of
quantised pixels), and fills each output pixel from the first zone with data in the §7
order: highest coverage, then nearest central meridian, then zone name.

Example:
    >>> grid = TargetGrid.covering((0.0, 0.0, 250.0, 100.0), "EPSG:32631", 100.0, anchor=(50.0, 0.0))
    >>> grid.shape, grid.transform
    ((1, 3), (100.0, 0.0, -50.0, 0.0, -100.0, 100.0))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Sequence

import numpy as np

__all__ = ["TargetGrid", "central_meridian", "composite", "meridian_distance", "reproject_window"]


@cache
def central_meridian(crs: str) -> float:
    """The longitude of a projected CRS's natural origin (a UTM zone's central meridian), else 0.

    Example:
        >>> central_meridian("EPSG:32631"), central_meridian("EPSG:32760"), central_meridian("EPSG:4326")
        (3.0, 177.0, 0.0)
    """
    from pyproj import CRS

    op = CRS.from_user_input(crs).coordinate_operation
    for p in getattr(op, "params", None) or []:
        if p.name in ("Longitude of natural origin", "Longitude of origin", "Longitude of central meridian"):
            return float(p.value)
    return 0.0


def meridian_distance(lon: np.ndarray | float, crs: str) -> np.ndarray:
    """Degrees from ``lon`` to the CRS's central meridian, across ±180.

    Example:
        >>> float(meridian_distance(-179.0, "EPSG:32660"))
        4.0
    """
    return np.abs((np.asarray(lon, "f8") - central_meridian(crs) + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class TargetGrid:
    """The output grid of a read: CRS, Affine-order transform, ``(H, W)``."""

    crs: str
    transform: tuple[float, float, float, float, float, float]
    shape: tuple[int, int]

    @classmethod
    def covering(cls, bounds: Sequence[float], crs: str, res: float, anchor: Sequence[float] = (0.0, 0.0)) -> TargetGrid:
        """The smallest grid of pixel size ``res`` on the lattice through ``anchor`` holding ``bounds``."""
        x0, y0, x1, y1 = bounds
        ax, ay = anchor
        left = ax + math.floor((x0 - ax) / res + 1e-9) * res
        top = ay + math.ceil((y1 - ay) / res - 1e-9) * res
        w = max(1, math.ceil((x1 - left) / res - 1e-9))
        h = max(1, math.ceil((top - y0) / res - 1e-9))
        return cls(crs, (res, 0.0, left, 0.0, -res, top), (h, w))

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre ``(y, x)`` coordinates."""
        a, _, c, _, e, f = self.transform
        return f + e * (np.arange(self.shape[0]) + 0.5), c + a * (np.arange(self.shape[1]) + 0.5)


def reproject_window(values: np.ndarray, crs: str, transform: Sequence[float], grid: TargetGrid) -> np.ndarray:
    """``(y, x, band)`` float32 ``values`` (NaN = no data) warped onto ``grid`` (nearest).

    Example:
        >>> v = np.arange(4, dtype="f4").reshape(2, 2, 1)
        >>> g = TargetGrid("EPSG:32631", (1.0, 0, 0, 0, -1.0, 2), (2, 2))
        >>> reproject_window(v, "EPSG:32631", (1.0, 0, 0, 0, -1.0, 2), g)[..., 0].tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject

    out = np.full((values.shape[2], *grid.shape), np.nan, "f4")
    reproject(np.ascontiguousarray(np.moveaxis(values, -1, 0)), out, src_transform=Affine(*transform),
              src_crs=crs, src_nodata=np.nan, dst_transform=Affine(*grid.transform), dst_crs=grid.crs,
              dst_nodata=np.nan, resampling=Resampling.nearest, num_threads=1)
    return np.moveaxis(out, 0, -1)


def composite(layers: Sequence[tuple[str, str, np.ndarray]], centre_lon: float) -> np.ndarray:
    """One array from ``(zone, crs, values)`` layers on a common grid: per pixel the first
    layer with data in the §7 order (coverage, then central meridian, then zone name).

    Example:
        >>> a = np.array([[[1.0], [np.nan]]], "f4"); b = np.array([[[2.0], [3.0]]], "f4")
        >>> composite([("utm31", "EPSG:32631", a), ("utm32", "EPSG:32632", b)], 6.0)[..., 0].tolist()
        [[2.0, 3.0]]
    """
    def order(layer):
        zone, crs, values = layer
        coverage = int(np.isfinite(values).any(axis=-1).sum())
        return (-coverage, float(meridian_distance(centre_lon, crs)), zone)

    ranked = sorted(layers, key=order)
    out = ranked[0][2].copy()
    for _, _, values in ranked[1:]:
        empty = ~np.isfinite(out).any(axis=-1)
        out[empty] = values[empty]
    return out
