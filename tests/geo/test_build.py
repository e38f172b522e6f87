"""§4 build pipeline: crash and resume to identical bytes, Dask = serial, incremental builds, bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.geo.conftest import BUILD_ARGS, scheme, store_digest
from tests.geo.tiles import MODEL, SOURCE, write_tiles
from zarrkit.errors import LayoutMismatchError, NoZoneError, TileError
from zarrkit.geo.build import build, ledger_for

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(tile_dir, out, *extra, env=None, **popen):
    cmd = [sys.executable, "-m", "zarrkit.cli.main", "geo", "build", os.path.join(tile_dir, "*.npy"), "--out", out,
           "--time", "2024", "--res", "100", "--shard", "64", "--model", MODEL, "--source-data", SOURCE[0],
           "--no-progress", *extra]
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(SRC, "src"), SRC]), **(env or {})}
    return subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _store(root):
    return store_digest(os.path.join(root, "2024.zarr"))


@pytest.mark.parametrize("point", ["mid-write:5", "after-write:9"])
def test_killed_inside_a_task_resumes_to_identical_bytes(tile_dir, built, tmp_path, point):
    out = str(tmp_path / "out")
    proc = _cli(tile_dir, out, env={"ZARRKIT_GEO_CRASH": point})
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert _store(out) != _store(built)
    proc = _cli(tile_dir, out)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    assert _store(out) == _store(built)
    assert "already done" in stdout.decode()


def test_killed_from_outside_on_processes_resumes(tile_dir, built, tmp_path):
    out = str(tmp_path / "out")
    proc = _cli(tile_dir, out, "--executor", "processes", "--workers", "2", start_new_session=True)
    receipts = os.path.join(out, "_zarrkit", "receipts")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.isdir(receipts) and any(files for _, _, files in os.walk(receipts)):
            break
        time.sleep(0.02)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    proc = _cli(tile_dir, out, "--executor", "processes", "--workers", "2")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    assert _store(out) == _store(built)


def test_dask_local_cluster_equals_serial_with_a_retried_failure(tile_dir, built, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    flag = tmp_path / "fail-once"
    flag.write_text("")
    monkeypatch.setenv("ZARRKIT_GEO_FAIL_ONCE", str(flag))
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        out = str(tmp_path / "dask")
        result = build([os.path.join(tile_dir, "*.npy")], out, scheme=scheme(), executor=client, **BUILD_ARGS)
        assert client.submit(abs, -1).result() == 1  # the caller's client stays open
    finally:
        client.close()
        cluster.close()
    assert not flag.exists()  # the injected failure happened, and was retried
    assert result.ran == 44
    assert _store(out) == _store(built)


def test_incremental_build_reruns_only_dirty_shards(tile_dir, built, tmp_path):
    out = str(tmp_path / "inc")
    first = build([os.path.join(tile_dir, n + ".npy") for n in ("N1", "E1")], out, scheme=scheme(), **BUILD_ARGS)
    again = build([os.path.join(tile_dir, "*.npy")], out, scheme=scheme(), **BUILD_ARGS)
    assert _store(out) == _store(built)
    # N1's shards away from S1 and N2 keep their receipts: fewer tasks ran than planned
    assert 0 < again.ran < sum(s.total for s in again.summaries)
    assert first.ran == sum(s.total for s in first.summaries)
    zone = json.load(open(os.path.join(out, "2024.zarr", "utm31", "zarr.json")))
    assert zone["attributes"]["zarrkit"]["n_tiles"] == 3
    # --force reruns everything and changes nothing
    forced = build([os.path.join(tile_dir, "*.npy")], out, scheme=scheme(), force=True, **BUILD_ARGS)
    assert forced.ran == sum(s.total for s in forced.summaries) and _store(out) == _store(built)


def test_geotiff_tiles_give_the_same_store(built, tmp_path):
    tifs = write_tiles(str(tmp_path / "tif"), fmt="tif")
    out = str(tmp_path / "from-tif")
    build(tifs, out, scheme=scheme(), **BUILD_ARGS)
    assert _store(out) == _store(built)


def test_another_layout_needs_force(tile_dir, tmp_path):
    out = str(tmp_path / "lay")
    build([os.path.join(tile_dir, "E1.npy")], out, scheme=scheme(), **BUILD_ARGS)
    args = {**BUILD_ARGS, "shard": 128}
    with pytest.raises(LayoutMismatchError, match="utm32"):
        build([os.path.join(tile_dir, "E1.npy")], out, scheme=scheme(), **args)
    build([os.path.join(tile_dir, "E1.npy")], out, scheme=scheme(), force=True, **args)


def _bad_tile(directory, name, side, values=None):
    os.makedirs(directory, exist_ok=True)
    np.save(os.path.join(directory, name + ".npy"), np.ones((8, 8, 8), "f4") if values is None else values)
    with open(os.path.join(directory, name + ".json"), "w") as f:
        json.dump(side, f)
    return os.path.join(directory, name + ".npy")


@pytest.mark.parametrize("side, values, error, words", [
    ({"transform": [100, 0, 500000, 0, -100, 1000]}, None, TileError, "no CRS"),
    ({"crs": "EPSG:32631"}, None, TileError, "no transform"),
    ({"crs": "EPSG:32631", "transform": [100, 0, float("inf"), 0, -100, 1000]}, None, TileError, "not finite"),
    ({"crs": "EPSG:32631", "transform": [100, 0, 500000, 0, -100, 9_900_000]}, None, NoZoneError, "outside"),
    ({"crs": "EPSG:32631", "transform": [100, 0, 500000, 0, -100, 1000]}, np.ones((8, 8, 3), "f4"), TileError, "bands"),
])
def test_bad_input_names_the_tile_and_writes_nothing(tile_dir, tmp_path, side, values, error, words):
    bad = _bad_tile(str(tmp_path / "bad"), "bad", side, values)
    out = str(tmp_path / "out")
    with pytest.raises(error, match=words) as info:
        build([os.path.join(tile_dir, "N1.npy"), bad], out, scheme=scheme(), **BUILD_ARGS)
    assert "bad" in str(info.value)
    assert not os.path.exists(out)


def test_ledger_has_explicit_empty_receipts(tile_dir, tmp_path):
    out = str(tmp_path / "empty")
    d = str(tmp_path / "tiles")
    shutil.copytree(tile_dir, d)
    v = np.load(os.path.join(d, "E1.npy"))
    v[:] = np.nan  # every pixel masked: the scales shards hold NaN, the embeddings none
    np.save(os.path.join(d, "E1.npy"), v)
    build([os.path.join(d, "E1.npy")], out, scheme=scheme(), **BUILD_ARGS)
    receipts = ledger_for(out).receipts("2024/data")
    assert receipts and all("embeddings" not in r["arrays"] for r in receipts.values())
