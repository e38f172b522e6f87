"""§7 previews, §8 STAC and §9 reads on a copy of the reference build."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from tests.geo.conftest import scheme
from tests.geo.tiles import SIZE, tile_geometry, tile_values


@pytest.fixture(scope="module")
def previewed(built, tmp_path_factory):
    from zarrkit.geo.preview import preview

    out = str(tmp_path_factory.mktemp("geo-preview") / "root")
    shutil.copytree(built, out)
    preview(out, base_res=0.001)
    return out


def test_preview_pyramid_is_sharded_registered_and_valid(previewed):
    import zarr

    from zarrkit.conventions.geo import MULTISCALES_UUID
    from zarrkit.validate import validate

    report = validate(os.path.join(previewed, "2024.zarr"))
    assert report.passed, [c for c in report.checks if c.status == "fail"]
    assert any(c.name == "multiscales v0.1 schema" and c.status == "ok" for c in report.checks)
    g = zarr.open_group(os.path.join(previewed, "2024.zarr"), mode="r")
    attrs = dict(g["preview"].attrs)
    assert MULTISCALES_UUID in [c["uuid"] for c in attrs["zarr_conventions"]]
    assert "spatial:transform" not in attrs and attrs["spatial:bbox"] == [-180.0, -90.0, 180.0, 90.0]
    layout = attrs["multiscales"]["layout"]
    for k in range(1, len(layout)):
        h, w = layout[k - 1]["spatial:shape"]
        assert layout[k]["spatial:shape"] == [-(-h // 2), -(-w // 2)] and layout[k]["derived_from"] == str(k - 1)
        assert g[f"preview/{k}/rgb"].shards is not None
    level0 = g["preview/0/rgb"]
    lon, lat = 3.05, 0.05
    i, j = int((90 - lat) / 0.001), int((lon + 180) / 0.001)
    assert level0[i, j, 3] == 255  # inside N1: opaque
    assert level0[i + 3000, j, 3] == 0  # far south of every tile: empty
    assert dict(g.attrs)["zarrkit"]["rgb"]["percentiles"] == [2, 98]


def test_zone_rgb_alpha_marks_valid_data(previewed):
    import zarr

    g = zarr.open_group(os.path.join(previewed, "2024.zarr"), mode="r")
    row, col = scheme().zone(31).offset(*tile_geometry("N1")[:2])
    alpha = g["utm31/rgb"][row:row + SIZE, col:col + SIZE, 3]
    scales = g["utm31/scales"][row:row + SIZE, col:col + SIZE]
    assert ((alpha == 255) == np.isfinite(scales)).all()


def test_rerunning_preview_changes_nothing(previewed):
    from tests.geo.conftest import store_digest
    from zarrkit.geo.preview import preview

    before = store_digest(os.path.join(previewed, "2024.zarr"))
    preview(previewed, base_res=0.001)
    assert store_digest(os.path.join(previewed, "2024.zarr")) == before


def test_stac_catalog_structure(previewed):
    pystac = pytest.importorskip("pystac")
    from rasterio.warp import transform_bounds

    from zarrkit.conventions.stac import EXTENSIONS, ZARR_MEDIA_TYPE, ZARR_MULTISCALES_MEDIA_TYPE
    from zarrkit.geo.stac import write_catalog

    path = write_catalog(previewed)
    cat = pystac.Catalog.from_file(path)
    (coll,) = cat.get_children()
    assert coll.id == "mosaic-2024" and coll.assets["preview"].media_type == ZARR_MULTISCALES_MEDIA_TYPE
    assert coll.assets["preview"].roles == ["overview", "visual"]
    items = {i.id: i for i in coll.get_items()}
    assert set(items) == {"utm31_2024", "utm32_2024"}
    item = items["utm31_2024"]
    assert item.datetime is None and item.properties["start_datetime"].startswith("2024")
    assert item.assets["data"].media_type == ZARR_MEDIA_TYPE and item.stac_extensions == EXTENSIONS
    assert [link.rel for link in item.links if link.rel == "store"] == ["store"]
    zone = json.load(open(os.path.join(previewed, "2024.zarr", "utm31", "zarr.json")))["attributes"]
    assert item.properties["proj:transform"] == zone["spatial:transform"]
    expected = transform_bounds("EPSG:32631", "EPSG:4326", *zone["zarrkit"]["data_bbox"], densify_pts=21)
    np.testing.assert_allclose(item.bbox, expected, atol=1e-6)
    assert "application/vnd+zarr" not in open(path).read()


def test_read_region_equals_dequantised_source_and_327_twin(built):
    from zarrkit import geo
    from zarrkit.errors import NoZoneError

    mosaic = geo.open(built)
    crs, t, xs, ys = tile_geometry("S1")
    # a bbox of S1's pixels 30..60 in its own 327NN coordinates
    bbox = (t[2] + 30 * 100, t[5] - 60 * 100, t[2] + 60 * 100, t[5] - 30 * 100)
    got = mosaic.read_region(bbox, crs="EPSG:32731", time="2024")
    truth = tile_values("S1")[30:60, 30:60]
    assert got.shape == truth.shape and got.dtype == np.float32
    np.testing.assert_allclose(got[..., 1:], truth[..., 1:], atol=0.01)
    twin = mosaic.read_region((bbox[0], bbox[1] - 1e7, bbox[2], bbox[3] - 1e7), crs="EPSG:32631", time="2024")
    np.testing.assert_array_equal(got, twin)
    pytest.importorskip("rioxarray")
    da = mosaic.read_region(bbox, crs="EPSG:32731", time="2024", out="xarray")
    assert da.rio.crs.to_epsg() == 32631
    with pytest.raises(NoZoneError, match="outside every zone"):
        mosaic.read_region((100.0, 50.0, 100.1, 50.1), time="2024")


def test_sample_points(built):
    from zarrkit import geo

    vals = geo.open(built).sample_points([3.05, 9.05, 120.0], [-0.05, 0.05, 45.0], time="2024")
    assert vals.shape == (3, 8)
    assert abs(vals[0, 0] - 2.0) < 0.02 and abs(vals[1, 0] - 4.0) < 0.04  # band 0 holds the tile index
    assert np.isnan(vals[2]).all()


def test_stac_validates_offline_against_vendored_schemas(previewed, tmp_path, monkeypatch):
    pystac = pytest.importorskip("pystac")
    pytest.importorskip("jsonschema")
    import socket

    from zarrkit.geo.stac import validate_catalog, write_catalog

    read_local = pystac.stac_io.DefaultStacIO.read_text_from_href

    def no_network(self, href, *args, **kwargs):
        if "://" in str(href):  # the catalog's own files are local; every schema is http(s)
            raise AssertionError(f"validation tried to fetch {href}")
        return read_local(self, href, *args, **kwargs)

    def no_socket(*args, **kwargs):
        raise AssertionError("validation opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_socket)
    monkeypatch.setattr(pystac.stac_io.DefaultStacIO, "read_text_from_href", no_network)
    path = write_catalog(previewed, out=str(tmp_path / "stac"), validate=True)
    cat = pystac.Catalog.from_file(path)
    assert validate_catalog(cat) == 2
    item = next(cat.get_items(recursive=True))
    item.properties["proj:shape"] = "not a shape"  # the projection extension's schema refuses it
    with pytest.raises(pystac.STACValidationError, match="projection"):
        validate_catalog(cat)


def test_footprint_of_an_antimeridian_zone_is_split():
    from zarrkit.geo.footprint import footprint

    zone = scheme().zone(60)
    (x0, _), (_, w), (xres, _) = zone.origin, zone.shape, zone.res
    # the zone's full width (its overhang crosses 180°) across the equator; near the poles
    # the projected rectangle spans far more longitude
    bbox, geom = footprint(zone.crs, [x0, -1e6, x0 + w * xres, 1e6])
    assert geom["type"] == "MultiPolygon" and len(geom["coordinates"]) == 2
    west, east = geom["coordinates"]
    assert max(p[0] for p in west[0]) == 180.0 and min(p[0] for p in east[0]) == -180.0
    assert all(p[0] > 170 for p in west[0]) and all(p[0] < -170 for p in east[0])
    # west > east; the edges lie beyond the zone's 174°..180° band (overhang, snapping to 409.6 km)
    assert bbox[0] > bbox[2] and 170 < bbox[0] < 174 and -180 < bbox[2] < -174
    # a zone away from ±180 stays one polygon whose bbox is the densified transform_bounds
    from rasterio.warp import transform_bounds

    box = [300_000.0, -1e6, 700_000.0, 1e6]
    bbox, geom = footprint("EPSG:32631", box)
    assert geom["type"] == "Polygon"
    np.testing.assert_allclose(bbox, transform_bounds("EPSG:32631", "EPSG:4326", *box, densify_pts=21), atol=1e-6)


def test_gdal_reads_a_preview_level_with_its_crs_and_values(previewed):
    """GDAL (through rasterio) as a reader of the EPSG:4326 previews. Every level is sharded,
    so this runs where GDAL has the sharding codec (3.13+) and is skipped, saying why, before."""
    rasterio = pytest.importorskip("rasterio")
    gdal = tuple(int(p) for p in rasterio.__gdal_version__.split(".")[:2])
    if gdal < (3, 13):
        pytest.skip(f"GDAL {rasterio.__gdal_version__} has no sharding_indexed codec; the previews are sharded "
                    "(every level), which GDAL reads from 3.13")
    from zarrkit import core
    from zarrkit.storage import open_store

    store_path = os.path.join(previewed, "2024.zarr")
    coarsest = max(int(n) for n in os.listdir(os.path.join(store_path, "preview")) if n.isdigit())
    expected = core.read_region(open_store(store_path), f"preview/{coarsest}/rgb", ...)
    with rasterio.open(f'ZARR:"{store_path}":/preview/{coarsest}/rgb') as ds:
        got = ds.read()  # bands first: (rgba, y, x)
        assert ds.crs is not None and ds.crs.to_epsg() == 4326
    assert np.array_equal(np.moveaxis(got, 0, -1), expected)
