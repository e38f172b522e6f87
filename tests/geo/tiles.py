"""The §11 fixture: 100 m, 8-band tiles of ~150² px in two UTM zones, one south of the equator.

Values are smooth in canonical (x, y, band) coordinates, so overlapping tiles agree, except
band 0, which holds the tile's index (composite winners are checkable).  N1 carries a
masked (NaN) corner.
"""

from __future__ import annotations

import json
import os

import numpy as np
from pyproj import Transformer

RES = 100.0
BANDS = 8
SIZE = 150
#: id -> (lon, lat of the centre, EPSG code, band-0 value)
TILES = {
    "N1": (3.05, 0.05, 32631, 1.0),
    "S1": (3.05, -0.05, 32731, 2.0),
    "N2": (3.15, 0.05, 32631, 3.0),
    "E1": (9.05, 0.05, 32632, 4.0),
}
MODEL = "https://example.org/model/v1"
SOURCE = ["https://example.org/sentinel-2"]


def canonical_values(x: np.ndarray, y: np.ndarray, index: float) -> np.ndarray:
    """(y, x, band) float32 values at canonical (326NN) pixel centres."""
    xx, yy = np.meshgrid(x, y)
    bands = [np.full(xx.shape, index)]
    for b in range(1, BANDS):
        bands.append(np.sin(xx / 3000.0 + b) * np.cos(yy / 5000.0 - b) * 0.8)
    return np.stack(bands, axis=-1).astype("f4")


def tile_geometry(name: str):
    """(crs, transform (Affine order), canonical x and y of the pixel centres)."""
    lon, lat, epsg, _ = TILES[name]
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)
    x0 = np.floor(x / RES) * RES - SIZE / 2 * RES
    y0 = np.floor(y / RES) * RES + SIZE / 2 * RES
    shift = -10_000_000.0 if epsg // 100 == 327 else 0.0
    xs = x0 + (np.arange(SIZE) + 0.5) * RES
    ys = y0 + shift - (np.arange(SIZE) + 0.5) * RES
    return f"EPSG:{epsg}", [RES, 0.0, float(x0), 0.0, -RES, float(y0)], xs, ys


def tile_values(name: str) -> np.ndarray:
    _, _, xs, ys = tile_geometry(name)
    v = canonical_values(xs, ys, TILES[name][3])
    if name == "N1":
        v[:10, :10] = np.nan  # a masked corner
    return v


def write_tiles(directory: str, names=tuple(TILES), fmt: str = "npy") -> list[str]:
    """Write the tiles as .npy + sidecar (or GeoTIFF); returns their paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name in names:
        crs, transform, _, _ = tile_geometry(name)
        values = tile_values(name)
        if fmt == "npy":
            path = os.path.join(directory, f"{name}.npy")
            np.save(path, values)
            with open(os.path.join(directory, f"{name}.json"), "w") as f:
                json.dump({"crs": crs, "transform": transform, "time": "2024"}, f)
        else:
            import rasterio
            from rasterio.transform import Affine

            path = os.path.join(directory, f"{name}.tif")
            with rasterio.open(path, "w", driver="GTiff", width=SIZE, height=SIZE, count=BANDS, dtype="float32",
                               crs=crs, transform=Affine(*transform), nodata=float("nan")) as ds:
                ds.write(np.moveaxis(values, -1, 0))
        paths.append(path)
    return paths
