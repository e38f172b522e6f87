"""Reads: ``zarrkit.geo.open(root) -> Mosaic``; dequantised float32 with NaN for no data.

Embedding stores give ``embeddings × scales``; raster stores (``kind="raster"``) give their
``data`` array as float32 with its fill value (the tiles' nodata) as NaN.

Across zones, windows are warped (nearest) onto one grid and composited (``zarrkit.geo.warp``).
Metadata comes from each store's consolidated metadata (one GET); arrays through core's
handles and shard-index caches.  A 327NN request is shifted by the grid alias (exact); a
lon/lat request goes to 326NN with pyproj, which already gives negative northings.

Example:
    >>> Mosaic("/nowhere").times()
    []
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from typing import Any, Iterator, Sequence

import numpy as np

from zarrkit import core
from zarrkit.errors import NoZoneError, RegionTooLargeError
from zarrkit.geo.grid import utm_alias
from zarrkit.geo.plan import store_url
from zarrkit.geo.quantize import dequantize
from zarrkit.geo.warp import TargetGrid, central_meridian, composite, meridian_distance, reproject_window
from zarrkit.storage import open_store

__all__ = ["Mosaic", "open_mosaic"]


class Mosaic:
    """The stores of one build root, opened lazily per time."""

    def __init__(self, root: str, max_bytes: int = 2**30) -> None:
        self.root, self.max_bytes = str(root), max_bytes
        self._open: dict[str, core.Hierarchy] = {}
        self._points: dict[str, _PointZones] = {}

    def times(self) -> list[str]:
        """Times with a store under the root (local roots)."""
        if not os.path.isdir(self.root):
            return []
        return sorted(f[:-5] for f in os.listdir(self.root) if f.endswith(".zarr"))

    def hierarchy(self, time: str) -> core.Hierarchy:
        if time not in self._open:
            self._open[time] = core.open_hierarchy(open_store(store_url(self.root, time), mode="r"))
        return self._open[time]

    def refresh(self) -> None:
        """Forget cached metadata (another writer changed the stores)."""
        for h in self._open.values():
            core.invalidate(h.store)
        self._open.clear()
        self._points.clear()

    def zones(self, time: str) -> dict[str, dict[str, Any]]:
        """``zone -> attributes`` of every zone group."""
        h = self.hierarchy(time)
        return {z: h.metadata(z).attributes for z in h.root.attributes["zarrkit"]["zones"]}

    def _window(self, attrs, bbox, crs: str):
        """Pixel window of ``bbox`` (in ``crs``) on a zone, or ``None``."""
        from rasterio.warp import transform_bounds

        zcrs = attrs["proj:code"]
        alias = utm_alias(crs)
        if alias and alias[0] == zcrs:
            dx, dy = alias[1]
            x0, y0, x1, y1 = bbox[0] + dx, bbox[1] + dy, bbox[2] + dx, bbox[3] + dy
        else:
            x0, y0, x1, y1 = transform_bounds(crs, zcrs, *bbox, densify_pts=21)
        a, _, c, _, e, f = attrs["spatial:transform"]
        h, w = attrs["spatial:shape"]
        c0, c1 = max(0, math.floor((x0 - c) / a + 1e-9)), min(w, math.ceil((x1 - c) / a - 1e-9))
        r0, r1 = max(0, math.floor((f - y1) / -e + 1e-9)), min(h, math.ceil((f - y0) / -e - 1e-9))
        return None if c1 <= c0 or r1 <= r0 else (r0, r1, c0, c1)

    def _hits(self, bbox, crs: str, time: str) -> dict[str, tuple[int, int, int, int]]:
        hits = {z: w for z, a in self.zones(time).items() if (w := self._window(a, bbox, crs)) is not None}
        if not hits:
            raise NoZoneError(f"bbox {list(bbox)} ({crs}) lies outside every zone of {store_url(self.root, time)}")
        return hits

    def _read_window(self, time: str, zone: str, window, bands) -> np.ndarray:
        h = self.hierarchy(time)
        r0, r1, c0, c1 = window
        sel = (slice(r0, r1), slice(c0, c1))
        data, scales = zone_arrays(h, zone)
        # copy=False: the int8 block is only read once, into the float32 result
        q = data.read_region((*sel, slice(None) if bands is None else list(bands)), copy=False)
        if scales is None:
            return raster_values(q, data.fill_value)
        scale = scales.read_region(sel, copy=False)
        # dequantize's float32 q × scale (NaN for a non-finite scale) in one pass, no int8→f4 temporary
        scale = np.where(np.isfinite(scale), scale, np.float32(np.nan)).astype("f4", copy=False)
        return np.multiply(q, scale[..., None], dtype=np.float32)

    def _check_size(self, bbox, pixels: int, n: int) -> None:
        if pixels * n * 4 > self.max_bytes:
            raise RegionTooLargeError(f"bbox {list(bbox)} needs {pixels * n * 4 / 2**30:.2f} GiB (max_bytes "
                                      f"{self.max_bytes}); read it with iter_region (shard-aligned blocks)")

    def read_region(self, bbox: Sequence[float], crs: str = "EPSG:4326", *, time: str, bands=None,
                    out: str = "numpy", dst_crs: str | None = None, res: float | None = None) -> Any:
        """float32 ``(y, x, band)`` of ``bbox`` (in ``crs``): ``q × scale``, NaN for no data.

        Inside one zone (and no ``dst_crs``/``res``) the zone's own pixels; across zones each
        zone's window is warped (nearest) onto ``dst_crs`` (default: the zone of the bbox
        centre, on its lattice) at ``res`` and composited (coverage, central meridian, name).
        ``out="xarray"`` gives a DataArray with x/y/band and a CF ``spatial_ref``.
        """
        zones = self.zones(time)
        hits = self._hits(bbox, crs, time)
        first = zone_arrays(self.hierarchy(time), next(iter(hits)))[0]
        n = first.shape[2] if bands is None else len(bands)
        if len(hits) == 1 and dst_crs is None and res is None:
            ((zone, (r0, r1, c0, c1)),) = hits.items()
            self._check_size(bbox, (r1 - r0) * (c1 - c0), n)
            a, _, c, _, e, f = zones[zone]["spatial:transform"]
            grid = TargetGrid(zones[zone]["proj:code"], (a, 0.0, c + a * c0, 0.0, e, f + e * r0), (r1 - r0, c1 - c0))
            values = self._read_window(time, zone, (r0, r1, c0, c1), bands)
        else:
            grid, values = self._composite(bbox, crs, time, bands, hits, n, dst_crs, res)
        return values if out != "xarray" else _to_xarray(values, grid, bands)

    def _composite(self, bbox, crs, time, bands, hits, n, dst_crs, res):
        zones = self.zones(time)
        centre_lon = _centre_lon(bbox, crs)
        home = min(hits, key=lambda z: (float(meridian_distance(centre_lon, zones[z]["proj:code"])), z))
        dst = dst_crs or zones[home]["proj:code"]
        anchor = (0.0, 0.0)
        on_zone = [z for z in sorted(hits) if zones[z]["proj:code"] == dst]
        if on_zone:  # the lattice of a zone in the target CRS: its pixels come through unresampled
            a, _, c, _, _, f = zones[on_zone[0]]["spatial:transform"]
            anchor, res = (c, f), res or a
        grid = TargetGrid.covering(_bounds_in(bbox, crs, dst), dst, res or _default_res(zones[home], dst), anchor)
        self._check_size(bbox, grid.shape[0] * grid.shape[1], n)
        layers = []
        for zone, (r0, r1, c0, c1) in sorted(hits.items()):
            zcrs = zones[zone]["proj:code"]
            a, _, c, _, e, f = zones[zone]["spatial:transform"]
            values = self._read_window(time, zone, (r0, r1, c0, c1), bands)
            layers.append((zone, zcrs, reproject_window(values, zcrs, (a, 0.0, c + a * c0, 0.0, e, f + e * r0), grid)))
        return grid, composite(layers, centre_lon)

    def iter_region(self, bbox: Sequence[float], crs: str = "EPSG:4326", *, time: str, bands=None,
                    block: int | None = None) -> Iterator[tuple[str, tuple[int, int, int, int], np.ndarray]]:
        """``(zone, (r0, r1, c0, c1), values)`` over ``bbox`` in native pixels, zone by zone, in
        blocks aligned to the zone's shards (``block`` px, default one shard): reads of any size
        in bounded memory.  Overlapping zones each yield their pixels; nothing is composited.

        Example:
            >>> list(Mosaic("/nowhere").iter_region((0, 0, 1, 1), time="2024"))
            Traceback (most recent call last):
            ...
            zarrkit.errors.NoZoneError: no store for time '2024' under /nowhere
        """
        if time not in self.times():
            raise NoZoneError(f"no store for time {time!r} under {self.root}")
        for zone, (r0, r1, c0, c1) in sorted(self._hits(bbox, crs, time).items()):
            side = block or zone_arrays(self.hierarchy(time), zone)[0].shards[0]
            for br in range(r0 - r0 % side, r1, side):
                for bc in range(c0 - c0 % side, c1, side):
                    window = (max(r0, br), min(r1, br + side), max(c0, bc), min(c1, bc + side))
                    yield zone, window, self._read_window(time, zone, window, bands)

    def sample_point(self, lon: float, lat: float, *, time: str, bands=None) -> np.ndarray:
        """float32 ``(band,)`` at one lon/lat point, as :meth:`sample_points` gives it, by the
        warm-read path: zones, arrays and transformers cached on the mosaic, and two one-chunk
        reads (scale, then the pixel's bands) through core's point reader.

        Example:
            >>> Mosaic("/nowhere").sample_point(3.0, 0.0, time="2024")
            Traceback (most recent call last):
            ...
            zarrkit.errors.StoreNotFoundError: no such directory (in /nowhere/2024.zarr)
        """
        return self._point_zones(time).sample(float(lon), float(lat), bands)

    def _point_zones(self, time: str) -> _PointZones:
        zones = self._points.get(time)
        if zones is None:
            zones = self._points[time] = _PointZones(self.hierarchy(time), self.zones(time))
        return zones

    def sample_points(self, lon: Sequence[float], lat: Sequence[float], *, time: str, bands=None) -> np.ndarray:
        """``(n, band)`` float32 at lon/lat points.  Each point tries the zones in order of their
        central meridian's distance to it; the first with data wins, else NaN.  Points are
        batched per zone and each array read once per batch (every chunk fetched once); a
        handful of points goes one by one through :meth:`sample_point` (same values).
        """
        lon, lat = np.asarray(lon, "f8"), np.asarray(lat, "f8")
        if lon.ndim == 1 and lon.shape == lat.shape and len(lon) <= _FEW_POINTS:
            sample = self._point_zones(time).sample
            rows = [sample(x, y, bands) for x, y in zip(lon.tolist(), lat.tolist())]
            if len(rows) == 1:
                return rows[0][None]
            if rows:
                return np.stack(rows)
        zones = self.zones(time)
        h = self.hierarchy(time)
        names = sorted(zones)
        band_idx = np.arange(zone_arrays(h, names[0])[0].shape[2]) if bands is None else np.asarray(bands)
        out = np.full((len(lon), len(band_idx)), np.nan, "f4")
        # rank[p, k]: index in ``names`` of point p's k-th nearest zone
        rank = np.argsort(np.stack([meridian_distance(lon, zones[z]["proj:code"]) for z in names], axis=1),
                          axis=1, kind="stable")
        todo = np.ones(len(lon), bool)
        for k in range(len(names)):
            for zi, zone in enumerate(names):
                pts = np.flatnonzero(todo & (rank[:, k] == zi))
                if len(pts):
                    done = _sample_zone(h, zone, zones[zone], lon[pts], lat[pts], band_idx)
                    out[pts[done[0]]] = done[1]
                    todo[pts[done[0]]] = False
        return out

    def to_xarray(self, time: str, zone: str, dequantize: bool = True):
        """``xr.open_zarr`` of a zone, plus a lazy float32 ``values`` = embeddings × scales (NaN masked),
        or for a raster store ``data`` as float32 with its nodata as NaN.

        Dask chunks are blocks of whole shards up to the grid's alignment (4096 px): one
        dask chunk per shard would give millions of tasks on a full UTM zone.
        """
        import xarray as xr

        attrs = self.zones(time)[zone]
        side = min(4096, *attrs["spatial:shape"])
        ds = xr.open_zarr(store_url(self.root, time), group=zone, chunks={"y": side, "x": side})
        if dequantize and "scales" in ds:
            scale = ds.scales.where(np.isfinite(ds.scales))
            ds["values"] = (ds.embeddings.astype("f4") * scale).astype("f4")
        elif dequantize:  # xarray has already masked the CF _FillValue (NaN)
            ds["values"] = ds.data.astype("f4")
        return ds


def open_mosaic(root: str) -> Mosaic:
    """A :class:`Mosaic` over the build root ``root`` (``zarrkit.geo.open``)."""
    return Mosaic(root)


def zone_arrays(h: core.Hierarchy, zone: str) -> tuple[core.Array, core.Array | None]:
    """``(data array, scales array or None)`` of a zone: embeddings with their scales, or a
    raster's ``data`` (told apart by the consolidated members: no extra read)."""
    if f"{zone}/embeddings" not in h.members and f"{zone}/data" in h.members:
        return h.array(f"{zone}/data"), None
    return h.array(f"{zone}/embeddings"), h.array(f"{zone}/scales")


def raster_values(values: np.ndarray, fill: Any) -> np.ndarray:
    """float32 copy of raster pixels with the fill value (the tiles' nodata) as NaN.

    Example:
        >>> raster_values(np.array([[[1], [-9]]], "i2"), -9)[0, :, 0].tolist()
        [1.0, nan]
    """
    out = np.asarray(values, dtype=np.float32).copy()
    if not (isinstance(fill, float) and math.isnan(fill)):
        out[np.asarray(values) == fill] = np.nan
    return out


def _sample_zone(h, zone: str, attrs, lon: np.ndarray, lat: np.ndarray, band_idx: np.ndarray):
    """``(positions with data, their (k, band) values)`` of lon/lat points on one zone."""
    x, y = _transformer("EPSG:4326", attrs["proj:code"]).transform(lon, lat)
    a, _, c, _, e, f = attrs["spatial:transform"]
    rows, cols = np.floor((f - y) / -e).astype(int), np.floor((x - c) / a).astype(int)
    hgt, wid = attrs["spatial:shape"]
    pos = np.flatnonzero((rows >= 0) & (rows < hgt) & (cols >= 0) & (cols < wid))
    if not len(pos):
        return pos, np.empty((0, len(band_idx)), "f4")
    r, cc = rows[pos], cols[pos]
    data, scales = zone_arrays(h, zone)
    if scales is None:
        values = raster_values(data.read_region((r[:, None], cc[:, None], band_idx[None, :])), data.fill_value)
        ok = ~np.isnan(values).all(axis=1)
        return pos[ok], values[ok]
    # through the hierarchy's handles: metadata from the consolidated copy, never re-read per call
    scale = scales.read_region((r, cc), indexing="points")
    ok = np.isfinite(scale)
    pos, r, cc = pos[ok], r[ok], cc[ok]
    if not len(pos):
        return pos, np.empty((0, len(band_idx)), "f4")
    q = data.read_region((r[:, None], cc[:, None], band_idx[None, :]))
    return pos, dequantize(q, scale[ok])


_FEW_POINTS = 8  # up to this many, point by point: the batch path's planning costs ~100 µs a call


class _PointZones:
    """What a warm point read needs of one store, worked out once: per zone (sorted by
    name, as the batch path ranks them) its central meridian, transform, shape, the
    lon/lat → zone transformer and the two array handles."""

    def __init__(self, h: core.Hierarchy, zones: dict[str, dict[str, Any]]) -> None:
        self.zones = []
        for z in sorted(zones):
            attrs = zones[z]
            a, _, c, _, e, f = attrs["spatial:transform"]
            hgt, wid = attrs["spatial:shape"]
            self.zones.append((central_meridian(attrs["proj:code"]), _transformer("EPSG:4326", attrs["proj:code"]).transform,
                               a, c, e, f, hgt, wid, *zone_arrays(h, z)[::-1]))
        self.n_bands = self.zones[0][-1].shape[2] if self.zones else 0

    def sample(self, lon: float, lat: float, bands) -> np.ndarray:
        zones = self.zones
        if len(zones) > 1:
            # meridian_distance's arithmetic on Python floats (bit for bit the same as numpy's,
            # % included), ties by name: the batch path's stable argsort
            zones = sorted(zones, key=lambda z: abs((lon - z[0] + 180.0) % 360.0 - 180.0))
        for _, to_zone, a, c, e, f, hgt, wid, scales, embeddings in zones:
            x, y = to_zone(lon, lat)
            r, cc = math.floor((f - y) / -e), math.floor((x - c) / a)
            if not (0 <= r < hgt and 0 <= cc < wid):
                continue
            if scales is None:  # a raster: the pixel's bands, nodata as NaN; no data in every band: next zone
                values = raster_values(embeddings[r, cc, :], embeddings.fill_value)
                values = values if bands is None else values[np.asarray(bands)]
                if np.isnan(values).all():
                    continue
                return values
            scale = scales[r, cc]
            if not math.isfinite(scale):
                continue
            q = embeddings[r, cc, :]
            # float32 q × float32 scale: dequantize's product for a finite scale
            return (q if bands is None else q[np.asarray(bands)]).astype(np.float32) * scale
        return np.full(self.n_bands if bands is None else len(bands), np.nan, "f4")


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str):
    """A cached pyproj transformer: building one costs far more than a warm pixel read."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _centre_lon(bbox, crs: str) -> float:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return float(_transformer(crs, "EPSG:4326").transform(cx, cy)[0])


def _bounds_in(bbox, crs: str, dst: str) -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    alias = utm_alias(crs)
    if alias and alias[0] == dst:  # 327NN -> 326NN is an exact shift, never a pyproj round trip
        dx, dy = alias[1]
        return bbox[0] + dx, bbox[1] + dy, bbox[2] + dx, bbox[3] + dy
    if crs == dst:
        return tuple(bbox)
    return transform_bounds(crs, dst, *bbox, densify_pts=21)


def _default_res(attrs, dst: str) -> float:
    """The zone's pixel size carried into ``dst`` (rasterio's default for a warp of one align block)."""
    from rasterio.warp import calculate_default_transform

    a, _, c, _, _, f = attrs["spatial:transform"]
    side = min(4096, *attrs["spatial:shape"])
    transform, _, _ = calculate_default_transform(attrs["proj:code"], dst, side, side, left=c, bottom=f - side * a,
                                                  right=c + side * a, top=f)
    return abs(transform.a)


def _to_xarray(values: np.ndarray, grid: TargetGrid, bands):
    """A DataArray with x/y/band coordinates and a CF ``spatial_ref`` (``.rio.crs`` works)."""
    import xarray as xr
    from pyproj import CRS

    from zarrkit.conventions.cf import grid_mapping

    crs = CRS.from_user_input(grid.crs)
    cf_keys = {k: v for k, v in crs.to_cf().items() if isinstance(v, (str, int, float))}
    ref = grid_mapping(crs.to_wkt(), cf_keys, grid.transform)
    ys, xs = grid.coordinates()
    band = np.arange(values.shape[2]) if bands is None else np.asarray(bands)
    return xr.DataArray(values, dims=("y", "x", "band"), name="embeddings",
                        coords={"y": ys, "x": xs, "band": band, "spatial_ref": xr.Variable((), 0, ref)},
                        attrs={"grid_mapping": "spatial_ref"})
