"""§1 grids and §2 store layout, checked with the real readers (xarray, rioxarray, zarr-python)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.geo.conftest import scheme
from tests.geo.tiles import BANDS, SIZE, TILES, tile_geometry, tile_values
from zarrkit.conventions.geo import GEOEMB_UUID, MULTISCALES_UUID, PROJ_UUID, SPATIAL_UUID
from zarrkit.errors import GridMismatchError, TileError
from zarrkit.geo.grid import Grid, utm_zones
from zarrkit.geo.layout import plan_chunks


def test_utm_zone_extent_is_the_spec_one_and_fixed():
    for n in (1, 31, 60):
        g = utm_zones().zone(n)
        assert (g.origin, g.shape) == ((81920.0, 9338880.0), (1822720, 81920))
        assert g.name == f"utm{n:02d}" and g.crs == f"EPSG:326{n:02d}"
    g = utm_zones().zone(31)
    # northing 0 is a shard boundary for every power-of-two shard side up to align
    assert (g.origin[1] / g.res[1]) % 4096 == 0


def test_southern_tile_lands_at_northing_minus_ten_thousand_km():
    g = scheme().zone(31)
    crs, t, _, _ = tile_geometry("S1")
    south = g.offset(crs, t)
    north = g.offset("EPSG:32631", [t[0], 0, t[2], 0, t[4], t[5] - 10_000_000])
    assert south == north


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 300), st.integers(1, 300), st.sampled_from([16, 32, 64]))
def test_each_source_pixel_lands_exactly_once(row, col, h, w, s):
    from zarrkit.geo.layout import ZoneLayout
    from zarrkit.geo.plan import _tasks
    from zarrkit.geo.sources import TileSource

    grid = Grid("g", "EPSG:32631", (1.0, 1.0), (0.0, 4096.0), (4096, 4096), align=4096)
    tile = TileSource("t", "t.npy", "npy", "EPSG:32631", (1, 0, col, 0, -1, 4096 - row), (h, w), 1, "f4")
    tasks = _tasks(ZoneLayout(grid, 1, shard=s), [(tile, row, col)], "memory://x", "2024")
    hits = np.zeros((h, w), int)
    for task in tasks:
        (sw,) = task.sources
        r0, r1, c0, c1 = sw.src
        d0, d1, e0, e1 = sw.dst
        assert (r1 - r0, c1 - c0) == (d1 - d0, e1 - e0)
        assert (task.ij[0] * s + d0, task.ij[1] * s + e0) == (row + r0, col + c0)
        hits[r0:r1, c0:c1] += 1
    assert (hits == 1).all()


def test_off_lattice_and_rotated_tiles_are_refused():
    g = scheme().zone(31)
    crs, t, _, _ = tile_geometry("N1")
    with pytest.raises(GridMismatchError, match="lattice"):
        g.offset(crs, [t[0], 0, t[2] + 30, 0, t[4], t[5]], "half.npy")
    with pytest.raises(GridMismatchError, match="rotation"):
        g.offset(crs, [t[0], 1, t[2], 0, t[4], t[5]], "rot.npy")
    with pytest.raises(TileError, match="not finite"):
        g.offset(crs, [t[0], 0, float("nan"), 0, t[4], t[5]], "nan.npy")


def test_chunk_calculator_profiles():
    assert plan_chunks({"embeddings": 128, "scales": 4}, "point") == {"embeddings": (4, 128), "scales": (32, 128)}
    assert plan_chunks({"embeddings": 128}, "region") == {"embeddings": (32, 512)}
    assert plan_chunks({"rgb": 4}, "visual") == {"rgb": (256, 2048)}


def _zarr_json(root, path):
    return json.load(open(os.path.join(root, "2024.zarr", path, "zarr.json")))


def test_store_layout_and_registration(built):
    root = _zarr_json(built, "")
    assert root["attributes"]["zarrkit"]["format"] == "geo"
    assert root["attributes"]["zarrkit"]["zones"] == ["utm31", "utm32"]
    assert root["attributes"]["geoemb:spatial_layout"] == "utm_zones"
    assert [c["uuid"] for c in root["attributes"]["zarr_conventions"]] == [GEOEMB_UUID]
    zone = _zarr_json(built, "utm31")["attributes"]
    assert [c["uuid"] for c in zone["zarr_conventions"]] == [PROJ_UUID, SPATIAL_UUID, GEOEMB_UUID]
    assert MULTISCALES_UUID not in json.dumps(zone)
    assert "refs/tags/v1/" not in json.dumps(root)
    assert zone["spatial:transform"][:3] == [100.0, 0.0, 0.0] and "geoemb:spatial_layout" not in zone
    assert zone["zarrkit"]["n_tiles"] == 3
    emb = _zarr_json(built, "utm31/embeddings")
    assert emb["dimension_names"] == ["y", "x", "band"] and emb["fill_value"] == 0
    assert "_FillValue" not in emb["attributes"] and emb["attributes"]["grid_mapping"] == "spatial_ref"
    assert _zarr_json(built, "utm31/scales")["fill_value"] == "Infinity"
    assert _zarr_json(built, "utm31/rgb")["dimension_names"] == ["y", "x", "rgba"]
    ref = _zarr_json(built, "utm31/spatial_ref")["attributes"]
    assert ref["crs_wkt"] == ref["spatial_ref"] and ref["grid_mapping_name"] == "transverse_mercator"


def test_zarrkit_validate_passes_with_the_v01_schemas(built):
    from zarrkit.validate import validate

    report = validate(os.path.join(built, "2024.zarr"))
    assert report.passed, [c for c in report.checks if c.status == "fail"]
    names = {c.name for c in report.checks}
    assert {"proj v0.1 schema", "spatial v0.1 schema", "geoemb keys"} <= names


def test_xarray_and_rioxarray_read_crs_transform_and_values(built):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    ds = xr.open_zarr(os.path.join(built, "2024.zarr"), group="utm31", chunks={"y": 4096, "x": 4096})
    assert ds.embeddings.dims == ("y", "x", "band") and "spatial_ref" in ds.embeddings.coords
    assert ds.rio.crs.to_epsg() == 32631
    g = scheme().zone(31)
    assert tuple(ds.embeddings.rio.transform())[:6] == (100.0, 0.0, g.origin[0], 0.0, -100.0, g.origin[1])
    # S1 (EPSG:32731) sits at canonical northings below zero, values intact
    crs, t, xs, ys = tile_geometry("S1")
    row, col = g.offset(crs, t)
    sub = ds.isel(y=slice(row + 20, row + 30), x=slice(col + 20, col + 30))
    np.testing.assert_allclose(sub.y.values, ys[20:30])
    assert (sub.y.values < 0).all()
    deq = sub.embeddings.values.astype("f4") * sub.scales.values[..., None]
    truth = tile_values("S1")[20:30, 20:30]
    np.testing.assert_allclose(deq[..., 1:], truth[..., 1:], atol=float(np.nanmax(sub.scales.values)) / 2 + 1e-6)


def test_composite_rule_and_masks(built):
    import zarr

    g = scheme().zone(31)
    grp = zarr.open_group(os.path.join(built, "2024.zarr"), mode="r")
    emb, scales = grp["utm31/embeddings"], grp["utm31/scales"]
    r1, c1 = g.offset(*tile_geometry("N1")[:2])
    r2, c2 = g.offset(*tile_geometry("N2")[:2])
    assert r1 == r2 and c1 != c2
    band0 = emb[r1:r1 + SIZE, c1:c2 + SIZE, 0].astype("f4") * scales[r1:r1 + SIZE, c1:c2 + SIZE]
    # in the overlap, each pixel belongs to the nearer tile centre
    cols = np.arange(c1, c2 + SIZE)
    nearer_n1 = np.abs(cols + 0.5 - (c1 + SIZE / 2)) <= np.abs(cols + 0.5 - (c2 + SIZE / 2))
    mid = SIZE // 2
    np.testing.assert_allclose(band0[mid, 20:-20][nearer_n1[20:-20]], TILES["N1"][3], rtol=1e-2)
    np.testing.assert_allclose(band0[mid, 20:-20][~nearer_n1[20:-20]], TILES["N2"][3], rtol=1e-2)
    # N1's masked corner: covered but masked = NaN; outside every tile = +inf
    assert np.isnan(scales[r1 + 2, c1 + 2])
    assert np.isposinf(scales[r1 - 5, c1 - 5])
    assert BANDS == emb.shape[2]
