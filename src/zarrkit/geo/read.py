"""Reads: ``zarrkit.geo.open(root) -> Mosaic``; dequantised float32 with NaN for no data.

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
from typing import Any, Sequence

import numpy as np

from zarrkit import core
from zarrkit.errors import NoZoneError, RegionTooLargeError
from zarrkit.geo.grid import utm_alias
from zarrkit.geo.plan import store_url
from zarrkit.geo.quantize import dequantize
from zarrkit.storage import open_store

__all__ = ["Mosaic", "open_mosaic"]


class Mosaic:
    """The stores of one build root, opened lazily per time."""

    def __init__(self, root: str, max_bytes: int = 2**30) -> None:
        self.root, self.max_bytes = str(root), max_bytes
        self._open: dict[str, core.Hierarchy] = {}

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

    def read_region(self, bbox: Sequence[float], crs: str = "EPSG:4326", *, time: str, bands=None,
                    out: str = "numpy") -> Any:
        """float32 ``(y, x, band)`` of ``bbox`` on the zone holding its centre (native pixels).

        Reads crossing zones are not reprojected by this release: the zone of the bbox centre is used.
        """
        zones = self.zones(time)
        hits = {z: w for z, a in zones.items() if (w := self._window(a, bbox, crs)) is not None}
        if not hits:
            raise NoZoneError(f"bbox {list(bbox)} ({crs}) lies outside every zone of {store_url(self.root, time)}")
        zone = max(hits, key=lambda z: (hits[z][1] - hits[z][0]) * (hits[z][3] - hits[z][2]))
        r0, r1, c0, c1 = hits[zone]
        h = self.hierarchy(time)
        emb = h.array(f"{zone}/embeddings")
        n = emb.shape[2] if bands is None else len(bands)
        if (r1 - r0) * (c1 - c0) * n * 4 > self.max_bytes:
            raise RegionTooLargeError(f"bbox {list(bbox)} needs {(r1 - r0) * (c1 - c0) * n * 4 / 2**30:.1f} GiB "
                                      f"(max_bytes {self.max_bytes}); read it in shard-aligned blocks")
        sel = (slice(r0, r1), slice(c0, c1))
        q = emb[(*sel, slice(None) if bands is None else list(bands))]
        values = dequantize(q, h.array(f"{zone}/scales")[sel])
        if out != "xarray":
            return values
        return self._to_xarray(values, zones[zone], h, zone, (r0, c0), bands)

    def _to_xarray(self, values, attrs, h, zone, corner, bands):
        import xarray as xr

        a, _, c, _, e, f = attrs["spatial:transform"]
        ys = f + e * (corner[0] + np.arange(values.shape[0]) + 0.5)
        xs = c + a * (corner[1] + np.arange(values.shape[1]) + 0.5)
        ref = h.metadata(f"{zone}/spatial_ref").attributes
        band = np.arange(values.shape[2]) if bands is None else np.asarray(bands)
        return xr.DataArray(values, dims=("y", "x", "band"), name="embeddings",
                            coords={"y": ys, "x": xs, "band": band, "spatial_ref": xr.Variable((), 0, dict(ref))},
                            attrs={"grid_mapping": "spatial_ref"})

    def sample_points(self, lon: Sequence[float], lat: Sequence[float], *, time: str, bands=None) -> np.ndarray:
        """``(n, band)`` float32 at lon/lat points; zones by distance to their central meridian,
        the first with data wins, else NaN."""
        from pyproj import Transformer

        lon, lat = np.asarray(lon, "f8"), np.asarray(lat, "f8")
        zones = self.zones(time)
        h = self.hierarchy(time)
        first = h.array(f"{next(iter(zones))}/embeddings")
        n = first.shape[2] if bands is None else len(bands)
        out = np.full((len(lon), n), np.nan, "f4")
        todo = np.ones(len(lon), bool)
        for zone, attrs in sorted(zones.items()):
            if not todo.any():
                break
            x, y = Transformer.from_crs("EPSG:4326", attrs["proj:code"], always_xy=True).transform(lon[todo], lat[todo])
            a, _, c, _, e, f = attrs["spatial:transform"]
            rows, cols = np.floor((f - y) / -e).astype(int), np.floor((x - c) / a).astype(int)
            hgt, wid = attrs["spatial:shape"]
            inside = (rows >= 0) & (rows < hgt) & (cols >= 0) & (cols < wid)
            idx = np.flatnonzero(todo)[inside]
            if not len(idx):
                continue
            r, cc = rows[inside], cols[inside]
            scale = core.read_region(h.store, f"{zone}/scales", (r, cc), indexing="points")
            q = np.stack([core.read_region(h.store, f"{zone}/embeddings", (r, cc, np.full(len(r), b)), indexing="points")
                          for b in (range(n) if bands is None else bands)], axis=-1)
            vals = dequantize(q, scale)
            ok = np.isfinite(scale)
            out[idx[ok]] = vals[ok]
            todo[idx[ok]] = False
        return out

    def to_xarray(self, time: str, zone: str, dequantize: bool = True):
        """``xr.open_zarr`` of a zone, plus a lazy float32 ``values`` = embeddings × scales (NaN masked).

        Dask chunks are blocks of whole shards up to the grid's alignment (4096 px): one
        dask chunk per shard would give millions of tasks on a full UTM zone.
        """
        import xarray as xr

        attrs = self.zones(time)[zone]
        side = min(4096, *attrs["spatial:shape"])
        ds = xr.open_zarr(store_url(self.root, time), group=zone, chunks={"y": side, "x": side})
        if dequantize:
            scale = ds.scales.where(np.isfinite(ds.scales))
            ds["values"] = (ds.embeddings.astype("f4") * scale).astype("f4")
        return ds


def open_mosaic(root: str) -> Mosaic:
    """A :class:`Mosaic` over the build root ``root`` (``zarrkit.geo.open``)."""
    return Mosaic(root)
