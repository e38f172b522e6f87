"""§1 ``resample=``: tiles off the lattice are refused, or warped onto it with nearest or
average resampling (another pixel offset, another CRS)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from pyproj import Transformer

from tests.geo.conftest import BUILD_ARGS, scheme
from tests.geo.tiles import canonical_values
from zarrkit.errors import GeoError, GridMismatchError
from zarrkit.geo.build import build


def _tile(directory, name, crs, transform, values, **side):
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, f"{name}.npy"), values)
    with open(os.path.join(directory, f"{name}.json"), "w") as f:
        json.dump({"crs": crs, "transform": list(transform), **side}, f)
    return os.path.join(directory, f"{name}.npy")


def test_an_off_lattice_raster_is_refused_then_warped_with_nearest(tmp_path):
    import zarr

    # 0.3 px east of the lattice: nearest maps grid column j to source column j exactly
    x0, y0 = 500_030.0, 20_000.0
    rng = np.random.default_rng(0)
    values = rng.integers(-500, 500, (40, 50, 2)).astype("i2")
    path = _tile(str(tmp_path / "t"), "OFF", "EPSG:32631", (100, 0, x0, 0, -100, y0), values, nodata=-9999)
    args = dict(time="2024", shard=64, progress=False, kind="raster")
    with pytest.raises(GridMismatchError, match="OFF.npy: corner sits"):
        build([path], str(tmp_path / "refused"), scheme=scheme(), **args)
    assert not os.path.exists(tmp_path / "refused")
    with pytest.raises(GeoError, match="bilinear"):
        build([path], str(tmp_path / "refused"), scheme=scheme(), resample="bilinear", **args)

    out = str(tmp_path / "nearest")
    build([path], out, scheme=scheme(), resample="nearest", **args)
    g = zarr.open_group(os.path.join(out, "2024.zarr"), mode="r")
    zone = scheme().zone(31)
    row, col = int((zone.origin[1] - y0) / 100), int((500_000.0 - zone.origin[0]) / 100)
    got = g["utm31/data"][row:row + 40, col:col + 51]
    np.testing.assert_array_equal(got[:, :50], values)  # every pixel, unresampled values
    assert (got[:, 50] == -9999).all() or (got[:, 50] == values[:, 49]).all()  # the 0.3 px sliver past the edge
    assert (g["utm31/data"][row - 1, col:col + 50] == -9999).all()


def test_a_geographic_tile_is_averaged_onto_the_utm_grid(tmp_path):
    import zarr

    res = 0.001  # ~111 m: a little coarser than the 100 m grid
    lon0, lat0 = 3.0, 0.12
    lons = lon0 + (np.arange(120) + 0.5) * res
    lats = lat0 - (np.arange(100) + 0.5) * res
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    xx, yy = to_utm.transform(*np.meshgrid(lons, lats))
    values = np.stack([np.full(xx.shape, 0.5)] + [np.sin(xx / 3000.0 + k) * np.cos(yy / 5000.0 - k) * 0.8
                                                  for k in range(1, 8)], axis=-1).astype("f4")
    values[:5, :5] = np.nan  # masked in the source: stays masked (NaN scale), never +inf
    path = _tile(str(tmp_path / "t"), "GEO", "EPSG:4326", (res, 0, lon0, 0, -res, lat0), values)
    out = str(tmp_path / "avg")
    build([path], out, scheme=scheme(), resample="average", **BUILD_ARGS)
    g = zarr.open_group(os.path.join(out, "2024.zarr"), mode="r")
    zone = scheme().zone(31)
    x_w, y_n = to_utm.transform(lon0, lat0)
    x_e, y_s = to_utm.transform(lon0 + 120 * res, lat0 - 100 * res)
    r0, c0 = int((zone.origin[1] - y_n) / 100), int((x_w - zone.origin[0]) / 100)
    r1, c1 = int((zone.origin[1] - y_s) / 100), int((x_e - zone.origin[0]) / 100)
    q = g["utm31/embeddings"][r0 + 10:r1 - 2, c0 + 10:c1 - 2].astype("f4")
    s = g["utm31/scales"][r0 + 10:r1 - 2, c0 + 10:c1 - 2]
    got = q * s[..., None]
    ys = zone.origin[1] - (np.arange(r0 + 10, r1 - 2) + 0.5) * 100
    xs = zone.origin[0] + (np.arange(c0 + 10, c1 - 2) + 0.5) * 100
    truth = canonical_values(xs, ys, 0.5)
    # a smooth field averaged over ~1 grid pixel, then quantised: close to its value at the pixel
    # centre (measured 0.0012 on average; half a pixel off in x and y gives 0.007, nearest 0.004)
    err = np.abs(got - truth)
    assert err.mean() < 0.002 and err.max() < 0.02, (err.mean(), err.max())
    assert np.isnan(g["utm31/scales"][r0 + 1, c0 + 1])  # the masked corner: covered but masked
    assert np.isposinf(g["utm31/scales"][r0 - 3, c0 - 3])  # outside the tile: never covered
