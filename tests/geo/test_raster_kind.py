"""§2/§3 ``kind="raster"``: plain rasters keep their dtype in ``data`` (fill = nodata), no scales,
no geoemb; xarray masks the nodata, previews and STAC follow the array."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.geo.conftest import scheme
from tests.geo.tiles import SIZE, TILES, tile_geometry, tile_values
from zarrkit.errors import TileError
from zarrkit.geo.build import build

NODATA = -9999
ARGS = dict(time="2024", shard=64, progress=False, kind="raster")


def _raster(name):
    """Two int16 bands: the tile index ×100 (composite winners), and a smooth field; a nodata corner."""
    v = tile_values(name)
    out = np.stack([np.full(v.shape[:2], TILES[name][3] * 100), np.nan_to_num(v[..., 1]) * 1000], axis=-1)
    out = out.astype("i2")
    out[-8:, -8:] = NODATA
    return out


def _write(directory, names, nodata=NODATA, fmt="npy"):
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name in names:
        crs, t, _, _ = tile_geometry(name)
        if fmt == "tif":
            import rasterio
            from rasterio.transform import Affine

            path = os.path.join(directory, f"{name}.tif")
            with rasterio.open(path, "w", driver="GTiff", width=SIZE, height=SIZE, count=2, dtype="int16", crs=crs,
                               transform=Affine(*t), nodata=nodata) as ds:
                ds.write(np.moveaxis(_raster(name), -1, 0))
        else:
            path = os.path.join(directory, f"{name}.npy")
            np.save(path, _raster(name))
            with open(os.path.join(directory, f"{name}.json"), "w") as f:
                json.dump({"crs": crs, "transform": t, "nodata": nodata}, f)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def raster_root(tmp_path_factory):
    d = tmp_path_factory.mktemp("geo-raster")
    paths = _write(str(d / "t"), ["N1", "S1"]) + _write(str(d / "t"), ["N2"], fmt="tif")
    out = str(d / "root")
    build(paths, out, scheme=scheme(), **ARGS)
    return out


def test_raster_store_keeps_dtype_and_nodata(raster_root):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    from zarrkit.validate import validate

    path = os.path.join(raster_root, "2024.zarr")
    zone = json.load(open(os.path.join(path, "utm31", "zarr.json")))["attributes"]
    root = json.load(open(os.path.join(path, "zarr.json")))["attributes"]
    assert not any(k.startswith("geoemb:") for k in {**zone, **root})
    assert "scales" not in os.listdir(os.path.join(path, "utm31"))
    data = json.load(open(os.path.join(path, "utm31", "data", "zarr.json")))
    assert data["data_type"] == "int16" and data["fill_value"] == NODATA and data["dimension_names"] == ["y", "x", "band"]
    assert data["attributes"]["_FillValue"] == NODATA
    report = validate(path)
    assert report.passed, [c for c in report.checks if c.status == "fail"]

    ds = xr.open_zarr(path, group="utm31", chunks=None)
    assert ds.rio.crs.to_epsg() == 32631
    g = scheme().zone(31)
    r1, c1 = g.offset(*tile_geometry("N1")[:2])
    r2, c2 = g.offset(*tile_geometry("N2")[:2])
    r3, c3 = g.offset(*tile_geometry("S1")[:2])
    got = ds.data.isel(y=slice(r3, r3 + SIZE), x=slice(c3, c3 + SIZE)).values
    truth = _raster("S1").astype("f8")
    truth[truth == NODATA] = np.nan
    # no quantisation: S1's pixels come back exactly where no other tile is nearer
    np.testing.assert_array_equal(got[40:, :60], truth[40:, :60])
    assert np.isnan(got[-8:, -8:]).all()  # nodata: masked by xarray
    # N1 and N2 overlap: each pixel from the nearer centre (band 0 holds the tile index ×100)
    row = ds.data.isel(y=r1 + SIZE // 2, x=slice(c1, c2 + SIZE), band=0).values
    cols = np.arange(c1, c2 + SIZE)
    nearer_n1 = np.abs(cols + 0.5 - (c1 + SIZE / 2)) <= np.abs(cols + 0.5 - (c2 + SIZE / 2))
    assert (row[nearer_n1] == 100).all() and (row[~nearer_n1] == 300).all()


def test_raster_preview_and_stac_follow_the_data(raster_root, tmp_path):
    import shutil

    import pystac
    import zarr

    from zarrkit.geo.preview import preview
    from zarrkit.geo.stac import write_catalog

    out = str(tmp_path / "root")
    shutil.copytree(raster_root, out)
    preview(out, base_res=0.01)
    g = zarr.open_group(os.path.join(out, "2024.zarr"), mode="r")
    assert g.attrs["zarrkit"]["rgb"]["bands"] == [0, 0, 0]  # two bands: band 0 as grey
    r1, c1 = scheme().zone(31).offset(*tile_geometry("N2")[:2])
    alpha = g["utm31/rgb"][r1:r1 + SIZE, c1:c1 + SIZE, 3]
    data = g["utm31/data"][r1:r1 + SIZE, c1:c1 + SIZE]
    assert ((alpha == 255) == ~(data == NODATA).all(axis=-1)).all() and (alpha == 0).any()
    item = next(pystac.Catalog.from_file(write_catalog(out)).get_items(recursive=True))
    bands = item.assets["data"].extra_fields["bands"]
    assert [b["name"] for b in bands] == ["data[band=0]", "data[band=1]"] and bands[0]["data_type"] == "int16"
    assert set(item.properties["cube:variables"]) == {"data", "rgb"}


def test_rasters_with_two_nodata_values_are_refused(tmp_path):
    paths = _write(str(tmp_path / "a"), ["N1"]) + _write(str(tmp_path / "b"), ["N2"], nodata=-1)
    with pytest.raises(TileError, match=r"N2\.npy: nodata -1\.0 differs from -9999\.0"):
        build(paths, str(tmp_path / "out"), scheme=scheme(), **ARGS)
    assert not os.path.exists(tmp_path / "out")


def test_raster_reads_give_the_data_with_nodata_as_nan(raster_root):
    from pyproj import Transformer

    from zarrkit.geo.read import open_mosaic

    m = open_mosaic(raster_root)
    g = scheme().zone(31)
    r3, c3 = g.offset(*tile_geometry("S1")[:2])
    truth = _raster("S1").astype("f4")
    truth[truth == NODATA] = np.nan
    # a window inside S1 in the zone's own CRS: the pixels as stored, nodata as NaN
    a, _, c, _, e, f = g.transform
    x0, y1 = c + a * (c3 + 40), f + e * (r3 + 40)
    bbox = (x0, y1 + e * (SIZE - 40), x0 + a * (SIZE - 40), y1)
    got = m.read_region(bbox, g.crs, time="2024")
    assert got.dtype == np.float32 and got.shape == (SIZE - 40, SIZE - 40, 2)
    np.testing.assert_array_equal(got[:, :20], truth[40:, 40:60])
    assert np.isnan(got[-8:, -8:]).all()
    # points: pixel centres of S1 by lon/lat, batched and one by one; a nodata pixel and a point
    # outside every zone are NaN
    rows, cols = np.array([50, 60, SIZE - 2]), np.array([5, 30, SIZE - 2])
    x, y = c + a * (c3 + cols + 0.5), f + e * (r3 + rows + 0.5)
    lon, lat = Transformer.from_crs(g.crs, "EPSG:4326", always_xy=True).transform(x, y)
    lon, lat = np.append(lon, 120.0), np.append(lat, 60.0)
    want = np.vstack([truth[rows, cols], [np.nan, np.nan]])
    np.testing.assert_array_equal(m.sample_points(lon, lat, time="2024"), want)
    many = np.tile(lon, 3), np.tile(lat, 3)  # more than the one-by-one path takes: the batch path
    np.testing.assert_array_equal(m.sample_points(*many, time="2024"), np.tile(want, (3, 1)))
    np.testing.assert_array_equal(m.sample_point(lon[0], lat[0], time="2024", bands=[1]), truth[rows[0], cols[0], [1]])
    values = m.to_xarray("2024", "utm31")["values"]
    np.testing.assert_array_equal(values.isel(y=slice(r3 + 40, r3 + SIZE), x=slice(c3 + 40, c3 + 60)).values, truth[40:, 40:60])
