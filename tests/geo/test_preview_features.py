"""§7 previews beyond the basics: a killed preview resumes to identical bytes, a saved
stretch shared across builds (``--stretch``), native-CRS zone pyramids (``--zone-levels``)
and deterministic shard encoding."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from tests.geo.conftest import BUILD_ARGS, scheme, store_digest
from tests.geo.tiles import TILES

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE_RES = "0.01"  # a 18 000 × 36 000 level 0: few levels, cheap tasks, the same code paths


def _preview_cli(root, *extra, env=None):
    cmd = [sys.executable, "-m", "zarrkit.cli.main", "geo", "preview", root, "--base-res", BASE_RES,
           "--zone-levels", "2", "--no-progress", *extra]
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(SRC, "src"), SRC]), **(env or {})}
    return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def reference(built, tmp_path_factory):
    """The reference build previewed in one uninterrupted run, with two zone levels."""
    from zarrkit.geo.preview import preview

    out = str(tmp_path_factory.mktemp("geo-prev-ref") / "root")
    shutil.copytree(built, out)
    preview(out, base_res=float(BASE_RES), zone_levels=2)
    return out


def _store(root):
    return store_digest(os.path.join(root, "2024.zarr"))


def test_killed_preview_resumes_to_identical_bytes(built, reference, tmp_path):
    """SIGKILL after a level-0 preview shard is written, before its receipt (and, with
    ZARRKIT_FUZZ=nightly, first after a zone-rgb shard); the last run finishes, skipping
    finished work, with the reference's bytes."""
    out = str(tmp_path / "root")
    shutil.copytree(built, out)
    if os.environ.get("ZARRKIT_FUZZ") == "nightly":
        first = _preview_cli(out, env={"ZARRKIT_GEO_CRASH": "rgb:7"})
        assert first.returncode == -signal.SIGKILL, first.stderr
        assert not os.path.exists(os.path.join(out, "2024.zarr", "preview"))
    second = _preview_cli(out, env={"ZARRKIT_GEO_CRASH": "world:1"})
    assert second.returncode == -signal.SIGKILL, second.stderr
    receipts = os.path.join(out, "_zarrkit", "receipts", "2024")
    assert os.listdir(os.path.join(receipts, "rgb")) and not os.path.exists(os.path.join(receipts, "preview"))
    assert _store(out) != _store(reference)
    third = _preview_cli(out)
    assert third.returncode == 0, third.stderr
    assert _store(out) == _store(reference)


def test_shard_encoding_does_not_depend_on_the_calling_thread():
    """numcodecs' blosc varies its zstd output from call to call on the main thread for buffers
    over ~256 KiB; write_shard must not (resumes and Dask compare bytes)."""
    from zarrkit import core, pyramid
    from zarrkit.storage import open_store

    meta = core.array_metadata((1024, 1024, 4), "uint8", (512, 512, 4), shards=(1024, 1024, 4), fill_value=0,
                               compressors=[{"name": "blosc", "configuration": {
                                   "cname": "zstd", "clevel": 3, "shuffle": "bitshuffle", "typesize": 1, "blocksize": 0}}])
    block = (np.sin(np.arange(1024 * 1024 * 4) / 37.0) * 100).astype("u1").reshape(1024, 1024, 4)
    store = open_store("memory://", mode="w")
    main = {pyramid.write_shard(store, "a", meta, (0, 0), block)["crc32c"] for _ in range(8)}
    other: list[int] = []
    t = threading.Thread(target=lambda: other.append(pyramid.write_shard(store, "a", meta, (0, 0), block)["crc32c"]))
    t.start()
    t.join()
    assert main == set(other) and len(main) == 1


def test_zone_levels_are_native_crs_overviews(reference):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("rioxarray")
    import zarr

    from zarrkit.conventions.geo import MULTISCALES_UUID
    from zarrkit.pyramid import block_mean
    from zarrkit.validate import validate

    path = os.path.join(reference, "2024.zarr")
    g = zarr.open_group(path, mode="r")
    zone = scheme().zone(31)
    ov = dict(g["utm31/overviews"].attrs)
    assert MULTISCALES_UUID in [c["uuid"] for c in ov["zarr_conventions"]]
    assert [i["asset"] for i in ov["multiscales"]["layout"]] == ["1", "2"]
    rgb0, rgb1, rgb2 = g["utm31/rgb"], g["utm31/overviews/1/rgb"], g["utm31/overviews/2/rgb"]
    assert rgb1.shape == (-(-zone.shape[0] // 2), -(-zone.shape[1] // 2), 4) and rgb1.shards == rgb0.shards
    assert rgb2.shape[:2] == (-(-rgb1.shape[0] // 2), -(-rgb1.shape[1] // 2))
    # the data's neighbourhood: level 1 is the alpha-weighted 2×2 mean of the zone's rgb
    row, col = zone.offset(*_geometry("N1"))
    row, col = row - row % 2 - 100, col - col % 2 - 100
    src = rgb0[row:row + 512, col:col + 512]
    assert src[..., 3].any() and not src[..., 3].all()
    np.testing.assert_array_equal(rgb1[row // 2:row // 2 + 256, col // 2:col // 2 + 256],
                                  block_mean(src, axes=(0, 1), alpha_axis=2))
    ds = xr.open_zarr(path, group="utm31/overviews/1", chunks=None)
    assert ds.rio.crs.to_epsg() == 32631
    assert tuple(ds.rgb.rio.transform())[:6] == (200.0, 0.0, zone.origin[0], 0.0, -200.0, zone.origin[1])
    report = validate(path)
    assert report.passed, [c for c in report.checks if c.status == "fail"]
    assert any(c.node == "utm31/overviews" and c.name == "multiscales v0.1 schema" and c.status == "ok"
               for c in report.checks)


def test_zone_levels_are_kept_then_removed(reference, tmp_path):
    from zarrkit.geo.preview import preview

    out = str(tmp_path / "root")
    shutil.copytree(reference, out)
    preview(out, base_res=float(BASE_RES))  # not asked again: the recorded two levels stay, nothing changes
    assert _store(out) == _store(reference)
    preview(out, base_res=float(BASE_RES), zone_levels=0)
    assert not os.path.exists(os.path.join(out, "2024.zarr", "utm31", "overviews"))
    root = json.load(open(os.path.join(out, "2024.zarr", "zarr.json")))
    assert not any("overviews" in k for k in root["consolidated_metadata"]["metadata"])


def test_a_saved_stretch_is_shared_by_another_build(reference, tile_dir, tmp_path, capsys, monkeypatch):
    from zarrkit.cli.main import run
    from zarrkit.geo.build import build
    from zarrkit.geo.preview import to_rgb
    from zarrkit.geo.quantize import dequantize

    saved = json.load(open(os.path.join(reference, "2024.zarr", "zarr.json")))["attributes"]["zarrkit"]["rgb"]
    other = str(tmp_path / "other")
    build([os.path.join(tile_dir, "E1.npy")], other, scheme=scheme(), **BUILD_ARGS)
    # E1 alone has one value in band 0 (its index), so its own sampled stretch could not be the saved one
    assert saved["bands"][0] == 0 and saved["stretch"][0][0] < TILES["E1"][3] <= saved["stretch"][0][1]

    store = os.path.join(other, "2024.zarr")
    monkeypatch.setattr(sys, "argv", ["zarrkit", "geo", "preview", other, "--base-res", BASE_RES,
                                      "--stretch", os.path.join(reference, "2024.zarr")])
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code in (0, None)
    got = json.load(open(os.path.join(store, "zarr.json")))["attributes"]["zarrkit"]["rgb"]
    assert got["stretch"] == saved["stretch"] and got["bands"] == saved["bands"]
    import zarr

    g = zarr.open_group(store, mode="r")
    row, col = scheme().zone(32).offset(*_geometry("E1"))
    box = (slice(row, row + 64), slice(col, col + 64))
    expect = to_rgb(dequantize(g["utm32/embeddings"][box][..., :3], g["utm32/scales"][box]), g["utm32/scales"][box],
                    saved["stretch"])
    np.testing.assert_array_equal(g["utm32/rgb"][box], expect)

    # a malformed stretch: one line naming the file, exit 2, the store untouched
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stretch": [[0, 1], [2, 1], [0, 1]]}))
    before = store_digest(store)
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["zarrkit", "geo", "preview", other, "--base-res", BASE_RES, "--stretch", str(bad)])
    with pytest.raises(SystemExit) as failed:
        run()
    err = capsys.readouterr().err
    assert failed.value.code == 2 and "bad.json" in err and "lo < hi" in err and "Traceback" not in err
    assert store_digest(store) == before


def _geometry(name):
    from tests.geo.tiles import tile_geometry

    return tile_geometry(name)[:2]
