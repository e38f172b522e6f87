"""§9 reads across zones: compositing, target grids, shard-aligned blocks, point ordering, bytes moved."""

from __future__ import annotations

import numpy as np
import pytest

from tests.geo.tiles import tile_geometry, tile_values


def _bbox(name: str, lo: int, hi: int):
    """The native-CRS bbox of a tile's pixels lo..hi (both axes)."""
    _, t, _, _ = tile_geometry(name)
    return (t[2] + lo * 100, t[5] - hi * 100, t[2] + hi * 100, t[5] - lo * 100)


def test_a_read_across_zones_keeps_the_home_zone_pixels(built):
    from zarrkit import geo

    mosaic = geo.open(built)
    bbox = _bbox("E1", 30, 60)
    assert len(mosaic._hits(bbox, "EPSG:32632", "2024")) == 2  # utm31's extent reaches E1 too
    got = mosaic.read_region(bbox, crs="EPSG:32632", time="2024")
    truth = tile_values("E1")[30:60, 30:60]
    assert got.shape == truth.shape
    np.testing.assert_allclose(got, truth, atol=0.04)  # utm32's own pixels, not warped


def test_a_read_in_lon_lat_composites_both_zones(built):
    pytest.importorskip("rioxarray")
    from zarrkit import geo

    da = geo.open(built).read_region((2.9, -0.2, 9.2, 0.2), time="2024", dst_crs="EPSG:4326", res=0.002,
                                     out="xarray")
    assert da.rio.crs.to_epsg() == 4326 and da.shape == (200, 3150, 8)
    assert da.rio.transform().a == pytest.approx(0.002)
    at = lambda lon, lat: da.sel(x=lon, y=lat, method="nearest").values  # noqa: E731
    assert at(3.05, 0.05)[0] == pytest.approx(1, abs=0.02)  # N1 (utm31)
    assert at(9.05, 0.05)[0] == pytest.approx(4, abs=0.04)  # E1 (utm32)
    assert at(3.05, -0.05)[0] == pytest.approx(2, abs=0.02)  # S1, placed from its 327NN tile
    assert np.isnan(at(6.0, 0.0)).all()  # between the tiles: no data in either zone


def test_read_limits_and_shard_aligned_blocks(built):
    from zarrkit import geo
    from zarrkit.errors import RegionTooLargeError

    mosaic = geo.open(built)
    bbox = _bbox("N1", 20, 140)
    whole = mosaic.read_region(bbox, crs="EPSG:32631", time="2024")
    small = geo.Mosaic(built, max_bytes=whole.nbytes - 1)
    with pytest.raises(RegionTooLargeError, match="iter_region"):
        small.read_region(bbox, crs="EPSG:32631", time="2024")
    blocks = list(small.iter_region(bbox, crs="EPSG:32631", time="2024"))
    ((zone, (r0, _, c0, _), _),) = [b for b in blocks[:1]]
    pieced = np.full_like(whole, -1)
    for z, (a, b, c, d), values in blocks:
        assert z == zone and (a % 64 == 0 or a == r0) and (b % 64 == 0 or b - a < 64) and values.shape[:2] == (b - a, d - c)
        pieced[a - r0:b - r0, c - c0:d - c0] = values
    np.testing.assert_array_equal(pieced, whole)


class _Counting:
    """Counts the keys and bytes a store hands out."""

    def __init__(self, store, monkeypatch):
        self.keys, self.bytes = [], 0
        for name in ("get", "get_range"):
            real = getattr(store, name)
            monkeypatch.setattr(store, name, self._wrap(real))

    def _wrap(self, real):
        def counted(key, *args, **kwargs):
            data = real(key, *args, **kwargs)
            self.keys.append(key)
            self.bytes += len(data or b"")
            return data
        return counted


def test_points_try_the_nearest_zone_first_and_move_few_bytes(built, monkeypatch):
    from zarrkit import geo

    monkeypatch.setenv("ZARRKIT_CORE_BACKEND", "python")  # zarrs would read the files itself, uncounted
    mosaic = geo.open(built)
    mosaic.zones("2024")  # metadata from the consolidated copy
    counting = _Counting(mosaic.hierarchy("2024").store, monkeypatch)
    first = mosaic.sample_points([9.05], [0.05], time="2024")
    assert first[0, 0] == pytest.approx(4, abs=0.04)
    # E1 lies inside utm31's extent too, but utm32's meridian is nearer: utm31 is never read
    assert counting.keys and all(k.startswith("utm32/") for k in counting.keys)
    counting.keys, counting.bytes = [], 0
    # another pixel of the same shard, 32 px away (other inner chunks of both arrays): the
    # shard indexes are cached, so only the two chunks move
    lon, lat = _same_shard_neighbour(mosaic.zones("2024")["utm32"], 9.05, 0.05)
    second = mosaic.sample_points([lon], [lat], time="2024")
    assert np.isfinite(second).all()
    assert counting.bytes <= 8 * 1024 and len(counting.keys) == 2, (counting.bytes, counting.keys)
    assert len(set(counting.keys)) == 2 and all(k.startswith("utm32/") for k in counting.keys)


def _same_shard_neighbour(attrs, lon: float, lat: float, shard: int = 64):
    """lon/lat of the pixel 32 columns over from (lon, lat)'s pixel, inside the same shard."""
    from pyproj import Transformer

    a, _, c, _, e, f = attrs["spatial:transform"]
    x, y = Transformer.from_crs("EPSG:4326", attrs["proj:code"], always_xy=True).transform(lon, lat)
    col = int((x - c) // a)
    col2 = col - col % shard + (col % shard + 32) % shard
    return Transformer.from_crs(attrs["proj:code"], "EPSG:4326", always_xy=True).transform(c + (col2 + 0.5) * a, y)


def test_cli_exit_codes_come_from_the_error_class(built, tmp_path):
    import os
    import subprocess
    import sys

    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(src, "src"), src])}
    cmd = [sys.executable, "-m", "zarrkit.cli.main", "geo", "read", built, "--time", "2024",
           "--bbox", "100,50,100.1,50.1", "--out", str(tmp_path / "x.npy")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "NoZoneError" in proc.stderr and "outside every zone" in proc.stderr
    assert not (tmp_path / "x.npy").exists()


def test_transient_failures_and_interrupts_map_to_75_and_130():
    from zarrkit.errors import GeoInterruptedError, GeoRetryableError, StoreIOError, TileError, ZarrkitError
    from zarrkit.geo.cli import as_zarrkit_error

    assert isinstance(as_zarrkit_error(StoreIOError("get 'k' in file:///x: boom")), GeoRetryableError)
    assert isinstance(as_zarrkit_error(KeyboardInterrupt()), GeoInterruptedError)
    assert as_zarrkit_error(ValueError("bug")).__class__ is ValueError  # bugs keep their traceback
    assert ZarrkitError("x").exit_code == 1 and TileError("x").exit_code == 2


def test_dask_windows_follow_worker_memory_limits():
    from zarrkit.parallel import dask_window

    workers = [{"nthreads": 4, "memory_limit": 2**30}, {"nthreads": 4, "memory_limit": 2**30}]
    assert dask_window(workers, 2**28, 16) == 6  # 0.8 GiB / 256 MiB = 3 per worker
    assert dask_window(workers, 2**31, 16) == 2  # over the limit: still one each, never zero
    assert dask_window(workers, 0, 5) == 5  # no estimate: threads, capped by slots


def _points_over_the_fixture(n: int):
    """lon/lat points over every tile (N1 with its masked corner, S1, N2, E1), the gap between
    the zones, and outside every zone."""
    rng = np.random.default_rng(11)
    lon = np.concatenate([rng.uniform(2.95, 3.25, n), rng.uniform(8.95, 9.15, n // 4), [6.0, 120.0, -179.9]])
    lat = np.concatenate([rng.uniform(-0.15, 0.15, n), rng.uniform(-0.05, 0.15, n // 4), [0.0, 45.0, 0.0]])
    return lon, lat


def test_point_by_point_reads_equal_the_batched_ones(built):
    """The warm path (sample_point, and sample_points of a few points) against the batched
    one (per zone, per shard through vindex) and against a fresh, uncached mosaic."""
    from zarrkit import geo

    lon, lat = _points_over_the_fixture(400)
    mosaic = geo.open(built)
    batched = mosaic.sample_points(lon, lat, time="2024")
    assert np.isfinite(batched).all(axis=1).sum() > 200 and np.isnan(batched).all(axis=1).sum() > 100
    one_by_one = np.stack([mosaic.sample_point(x, y, time="2024") for x, y in zip(lon, lat)])
    np.testing.assert_array_equal(one_by_one, batched)  # bit for bit, NaN where no zone has data
    few = np.concatenate([mosaic.sample_points(lon[k:k + 3], lat[k:k + 3], time="2024") for k in range(0, len(lon), 3)])
    np.testing.assert_array_equal(few, batched)
    bands = [5, 0, 2]
    np.testing.assert_array_equal(mosaic.sample_point(lon[0], lat[0], time="2024", bands=bands), batched[0, bands])
    fresh = geo.open(built)
    np.testing.assert_array_equal(fresh.sample_points(lon[:5], lat[:5], time="2024"), batched[:5])
    mosaic.refresh()
    np.testing.assert_array_equal(mosaic.sample_point(lon[1], lat[1], time="2024"), batched[1])
