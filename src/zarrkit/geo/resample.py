"""``resample="nearest"|"average"``: tiles that do not land on their grid's lattice (another
CRS, another pixel size, a fractional offset, rotation) are warped onto it.

:func:`onto_grid` turns such a tile into a virtual tile on the lattice: its footprint (the
outline, 21 points per edge, projected into the grid CRS) snapped outward to whole grid
pixels, with the grid's CRS and pixel size.  Reading a window of it reads the source window
behind it (padded by 2 px) and reprojects it with rasterio (``num_threads=1``, so every
executor gives the same values) on float32 planes where invalid source pixels are NaN, so
``average`` mixes valid pixels only and no-data never leaks in.  Integer data is rounded
half to even; pre-quantised int8 + scales is dequantised first.  The virtual tile's identity
is the source's plus the method, so fingerprints follow both.

Example:
    >>> import numpy as np
    >>> from zarrkit.geo.grid import Grid
    >>> from zarrkit.geo.sources import TileSource
    >>> g = Grid("g", "EPSG:32631", (10.0, 10.0), (500000.0, 1000.0), (8, 8), align=4)
    >>> src = TileSource("t", "t", "callable", "EPSG:32631", (10.0, 0, 500005.0, 0, -10.0, 995.0), (4, 4), 1, "float32",
    ...                  identity="v1", reader=lambda w: np.ones((w[1] - w[0], w[3] - w[2], 1), "f4"))
    >>> v = onto_grid(src, g, "nearest")
    >>> v.transform, v.shape
    ((10.0, 0.0, 500000.0, 0.0, -10.0, 1000.0), (5, 5))
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import numpy as np

from zarrkit.errors import GeoError

__all__ = ["METHODS", "onto_grid", "warped_window"]

METHODS = ("nearest", "average")


def onto_grid(tile, grid, method: str):
    """The virtual lattice-aligned tile of ``tile`` on ``grid`` (see the module docstring)."""
    from dataclasses import replace

    from rasterio.warp import transform_bounds

    from zarrkit.geo.footprint import EDGE_POINTS

    if method not in METHODS:
        raise GeoError(f"resample: expected one of {list(METHODS)}, got {method!r}")
    a, b, c, d, e, f = tile.transform
    h, w = tile.shape
    xs = [c, c + a * w + b * h, c + a * w, c + b * h]
    ys = [f, f + d * w + e * h, f + d * w, f + e * h]
    x0, y0, x1, y1 = transform_bounds(tile.crs, grid.crs, min(xs), min(ys), max(xs), max(ys), densify_pts=EDGE_POINTS)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise GeoError(f"{tile.path}: its footprint does not project into {grid.crs} (grid {grid.name})")
    (xres, yres), (ox, oy) = grid.res, grid.origin
    col0, col1 = math.floor((x0 - ox) / xres + 1e-9), math.ceil((x1 - ox) / xres - 1e-9)
    row0, row1 = math.floor((oy - y1) / yres + 1e-9), math.ceil((oy - y0) / yres - 1e-9)
    transform = (xres, 0.0, ox + col0 * xres, 0.0, -yres, oy - row0 * yres)
    return replace(tile, format="warp", crs=grid.crs, transform=transform, shape=(row1 - row0, col1 - col0),
                   identity=f"warp:{method}:{tile.identity}", warp=(tile, method), scales=None, mask=None, reader=None)


def _source_window(tile, crs: str, transform: Sequence[float], shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The source rows/cols behind a target window, padded by 2 px, or ``None`` when outside."""
    from rasterio.transform import Affine, rowcol
    from rasterio.warp import transform_bounds

    a, _, c, _, e, f = transform
    h, w = shape
    bounds = transform_bounds(crs, tile.crs, c, f + e * h, c + a * w, f, densify_pts=21)
    inv = Affine(*tile.transform)
    rows, cols = rowcol(inv, [bounds[0], bounds[2], bounds[0], bounds[2]], [bounds[1], bounds[1], bounds[3], bounds[3]],
                        op=math.floor)
    r0, r1 = max(0, min(rows) - 2), min(tile.shape[0], max(rows) + 3)
    c0, c1 = max(0, min(cols) - 2), min(tile.shape[1], max(cols) + 3)
    return None if r1 <= r0 or c1 <= c0 else (r0, r1, c0, c1)


@lru_cache(maxsize=4)  # read() and read_mask() of one window come one after the other
def warped_window(tile, window: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values (y, x, band) in the source dtype, valid (y, x), covered (y, x))`` of a window of a
    virtual tile; ``covered`` is the source's footprint (valid or masked), the rest of the
    snapped rectangle lies outside the source."""
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject

    source, method = tile.warp
    r0, r1, c0, c1 = window
    a, _, c, _, e, f = tile.transform
    dst_t = (a, 0.0, c + c0 * a, 0.0, e, f + r0 * e)
    out = np.full((tile.bands + 1, r1 - r0, c1 - c0), np.nan, "f4")  # the bands, then the footprint
    src_win = _source_window(source, tile.crs, dst_t, (r1 - r0, c1 - c0))
    if src_win is not None:
        data = source.read(src_win)
        valid = source.read_mask(src_win, data)
        scales = source.read_scales(src_win)
        values = data.astype("f4")
        if scales is not None:  # pre-quantised: warp the values, the build quantises again
            values = values * (scales if scales.ndim == 3 else scales[..., None])
        values[~valid] = np.nan
        sa, sb, sc, sd, se, sf = source.transform
        src_t = Affine(sa, sb, sc + src_win[2] * sa + src_win[0] * sb, sd, se, sf + src_win[2] * sd + src_win[0] * se)
        planes = np.concatenate([np.moveaxis(values, -1, 0), np.ones((1, *values.shape[:2]), "f4")])
        reproject(np.ascontiguousarray(planes), out, src_transform=src_t, src_crs=source.crs,
                  src_nodata=np.nan, dst_transform=Affine(*dst_t), dst_crs=tile.crs, dst_nodata=np.nan,
                  resampling=getattr(Resampling, method), num_threads=1)
    values = np.moveaxis(out[:-1], 0, -1)
    covered = np.isfinite(out[-1])
    ok = np.isfinite(values).all(axis=-1)
    dtype = np.dtype("f4") if source.scales else np.dtype(tile.dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        fill = tile.nodata if tile.nodata is not None else 0
        values = np.where(ok[..., None], np.clip(np.rint(np.nan_to_num(values)), info.min, info.max), fill)
    return values.astype(dtype), ok, covered
