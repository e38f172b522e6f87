"""The geo part of ``zarrkit demo``: six synthetic tiles in utm31 and utm32 (one south of the
equator, one a GeoTIFF) → build → preview (0.001°) → STAC; no downloads.

Example:
    >>> demo_tiles("/tmp/never-written", write=False)[:2]
    ['a31n', 'b31n']
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import numpy as np

from zarrkit.formats.plugin import DemoResult

__all__ = ["demo_tiles", "run_demo"]

#: name -> (lon, lat of the centre, EPSG)
TILES = {"a31n": (3.05, 0.06, 32631), "b31n": (3.12, 0.06, 32631), "c31s": (3.05, -0.06, 32731),
         "d31s": (3.12, -0.06, 32731), "e32n": (9.05, 0.06, 32632), "f32s": (9.05, -0.06, 32732)}
RES, SIZE, BANDS = 100.0, 128, 8


def demo_tiles(directory: str, *, write: bool = True) -> list[str]:
    """Write the tiles (``f32s`` as a GeoTIFF); returns their names."""
    if not write:
        return list(TILES)
    from pyproj import Transformer

    os.makedirs(directory, exist_ok=True)
    for name, (lon, lat, epsg) in TILES.items():
        x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(lon, lat)
        x0, y0 = np.floor(x / RES) * RES - SIZE / 2 * RES, np.floor(y / RES) * RES + SIZE / 2 * RES
        xs = x0 + (np.arange(SIZE) + 0.5) * RES
        ys = y0 - (np.arange(SIZE) + 0.5) * RES - (1e7 if epsg // 100 == 327 else 0)
        xx, yy = np.meshgrid(xs, ys)
        values = np.stack([np.sin(xx / 2500 + b) * np.cos(yy / 4000 - b) for b in range(BANDS)], -1).astype("f4")
        transform = [RES, 0.0, float(x0), 0.0, -RES, float(y0)]
        if name == "f32s":
            import rasterio
            from rasterio.transform import Affine

            with rasterio.open(os.path.join(directory, name + ".tif"), "w", driver="GTiff", width=SIZE, height=SIZE,
                               count=BANDS, dtype="float32", crs=f"EPSG:{epsg}", transform=Affine(*transform)) as ds:
                ds.write(np.moveaxis(values, -1, 0))
            continue
        np.save(os.path.join(directory, name + ".npy"), values)
        with open(os.path.join(directory, name + ".json"), "w") as f:
            json.dump({"crs": f"EPSG:{epsg}", "transform": transform}, f)
    return list(TILES)


def run_demo(directory: str, *, overwrite: bool, console: Any) -> DemoResult:
    """Build the demo mosaic under ``directory`` and show it; ``ok`` when validate passes."""
    try:
        from zarrkit import geo
        from zarrkit.geo.preview import preview
        from zarrkit.geo.stac import write_catalog
        from zarrkit.validate import validate
    except ImportError as err:  # pragma: no cover - the geo extra is missing
        return DemoResult(ok=False, skipped=f"{err} (pip install 'zarrkit[geo]')")
    out = os.path.join(directory, "mosaic")
    if os.path.exists(out):
        if not overwrite:
            return DemoResult(ok=False, skipped=f"{out} exists; rerun with --overwrite")
        shutil.rmtree(out)
    tiles = os.path.join(directory, "tiles")
    demo_tiles(tiles)
    result = geo.build([os.path.join(tiles, "*.npy"), os.path.join(tiles, "*.tif")], out, time="2024",
                       scheme=geo.utm_zones(res=RES), shard=64, model="https://example.org/demo-model/v1",
                       source_data=["https://example.org/synthetic"], progress=False)
    preview(out, base_res=0.001)
    catalog = write_catalog(out, validate=False)
    store = result.stores[0]
    report = validate(store)
    mosaic = geo.open(out)
    points = mosaic.sample_points([3.05, 9.05, 50.0], [0.06, -0.06, 50.0], time="2024")
    region = mosaic.read_region((3.0, 0.0, 3.1, 0.1), time="2024", out="xarray")
    console.print(f"  built {store}: zones {sorted(mosaic.zones('2024'))}; {report.summary()}")
    console.print(f"  sampled 3 points, bands 0-2: {[[round(float(v), 3) for v in p] for p in points[:, :3]]}")
    console.print(f"  region (3.0, 0.0, 3.1, 0.1): shape {region.shape}, CRS "
                  f"{region.spatial_ref.attrs.get('projected_crs_name')}")
    console.print(f"  STAC catalog: {catalog}")
    console.print(mosaic.to_xarray("2024", "utm31"))
    return DemoResult(written=[store, catalog], ok=report.passed)
