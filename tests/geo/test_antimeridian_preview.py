"""§7 previews across ±180°: a zone-60 tile straddling the antimeridian appears at both edges
of the EPSG:4326 pyramid, and nowhere else."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from pyproj import Transformer

from tests.geo.conftest import BUILD_ARGS, scheme
from tests.geo.tiles import canonical_values

BASE_RES = 0.005


@pytest.fixture(scope="module")
def straddling(tmp_path_factory):
    from zarrkit.geo.build import build
    from zarrkit.geo.preview import preview

    d = tmp_path_factory.mktemp("geo-antimeridian")
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32660", always_xy=True).transform(179.97, 0.05)
    x0, y0 = np.floor(x / 100) * 100 - 75 * 100, np.floor(y / 100) * 100 + 75 * 100
    xs, ys = x0 + (np.arange(150) + 0.5) * 100, y0 - (np.arange(150) + 0.5) * 100
    np.save(d / "AM.npy", canonical_values(xs, ys, 5.0))
    (d / "AM.json").write_text(json.dumps({"crs": "EPSG:32660", "transform": [100, 0, x0, 0, -100, y0], "time": "2024"}))
    out = str(d / "root")
    build([str(d / "AM.npy")], out, scheme=scheme(), **BUILD_ARGS)
    preview(out, base_res=BASE_RES, levels=3)
    return out


def _pixel(lon, lat, k=0):
    r = BASE_RES * 2**k
    return int((90 - lat) / r), int((lon + 180) / r)


def test_a_zone_over_the_antimeridian_is_previewed_at_both_edges(straddling):
    import zarr

    g = zarr.open_group(os.path.join(straddling, "2024.zarr"), mode="r")
    level0, rgb = g["preview/0/rgb"], g["utm60/rgb"]
    zone = scheme().zone(60)
    to_zone = Transformer.from_crs("EPSG:4326", "EPSG:32660", always_xy=True)
    for lon in (179.95, 179.99, -179.99, -179.97):  # both sides of 180°, inside the tile
        i, j = _pixel(lon, 0.05)
        got = level0[i, j]
        assert got[3] == 255, lon
        x, y = to_zone.transform((j + 0.5) * BASE_RES - 180, 90 - (i + 0.5) * BASE_RES)
        row, col = int((zone.origin[1] - y) / 100), int((x - zone.origin[0]) / 100)
        # the preview pixel averages ~5×5 zone pixels of smooth values: close to the centre one
        np.testing.assert_allclose(got[:3].astype(int), rgb[row, col, :3].astype(int), atol=24)
    # beyond the tile, on either side, and in the middle of the map: nothing
    for lon in (179.85, -179.85, 0.0):
        i, j = _pixel(lon, 0.05)
        assert level0[i, j, 3] == 0, lon
    # the opaque pixels of level 0 lie only at the two edges, in one narrow band of rows
    west = level0[_pixel(0, 0.2)[0]:_pixel(0, -0.1)[0], :64, 3]
    east = level0[_pixel(0, 0.2)[0]:_pixel(0, -0.1)[0], -64:, 3]
    assert west.any() and east.any()
    # and the coarser levels keep both halves
    for k in (1, 2):
        lvl = g[f"preview/{k}/rgb"]
        i_w, j_w = _pixel(-179.99, 0.05, k)
        i_e, j_e = _pixel(179.95, 0.05, k)
        assert lvl[i_w, j_w, 3] > 0 and lvl[i_e, j_e, 3] > 0
