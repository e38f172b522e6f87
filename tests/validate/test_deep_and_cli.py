"""``--deep`` names each bad chunk by key; the ``zarrkit validate`` command's lines, JSON and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from zarrkit.cli.main import app
from zarrkit.validate import validate
from zarrkit.validate.deep import NOT_READ

zarr = pytest.importorskip("zarr")


def _store(path):
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    a = root.create_array("a", shape=(8, 8), dtype="i4", chunks=(4, 4), dimension_names=["y", "x"])
    a[...] = np.arange(64, dtype="i4").reshape(8, 8)
    s = root.create_array("s", shape=(8,), dtype="f8", chunks=(2,), shards=(4,), dimension_names=["x2"])
    s[...] = np.linspace(0, 1, 8)
    return path


def _snapshot(path):
    out = {}
    for folder, _, names in os.walk(path):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, path)] = fh.read()
    return out


def test_without_deep_the_report_says_chunks_were_not_read(tmp_path):
    report = validate(str(_store(tmp_path / "d.zarr")))
    assert [(c.status, c.detail) for c in report.checks if c.name == "chunks"] == [("skip", NOT_READ)]


def test_deep_reads_every_chunk_and_shard(tmp_path):
    report = validate(str(_store(tmp_path / "d.zarr")), deep=True)
    chunks = {c.node: c for c in report.checks if c.name == "chunks"}
    assert report.passed and chunks["a"].detail == "4 stored chunks decode" and chunks["s"].detail == "2 stored chunks decode"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_deep_names_each_bad_chunk_and_changes_nothing(tmp_path, damage):
    path = _store(tmp_path / "d.zarr")
    for key in ("a/c/1/0", "s/c/1"):
        raw = (path / key).read_bytes()
        (path / key).write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"\x00junk" * 7, "empty": b""}[damage])
    before = _snapshot(path)
    report = validate(str(path), deep=True)
    bad = [(c.node, c.key) for c in report.checks if c.name == "chunks" and c.status == "fail"]
    assert bad == [("a", "a/c/1/0"), ("s", "s/c/1")] and not report.passed
    assert _snapshot(path) == before


runner = CliRunner()


def test_cli_prints_one_line_per_check_and_a_summary(tmp_path):
    path = _store(tmp_path / "d.zarr")
    result = runner.invoke(app, ["validate", str(path)])
    lines = result.stdout.strip().splitlines()
    report = validate(str(path))
    assert result.exit_code == 0
    assert len(lines) == 1 + len(report.checks) + 1
    assert lines[-1] == report.summary() and lines[-1].startswith("passed:")
    assert any("[/ zarr.json]" in line and "consolidated metadata" in line for line in lines)


def test_cli_strict_fails_on_the_missing_consolidation_warning(tmp_path):
    path = _store(tmp_path / "d.zarr")
    assert runner.invoke(app, ["validate", "--strict", str(path)]).exit_code == 1
    zarr.consolidate_metadata(str(path))
    assert runner.invoke(app, ["validate", "--strict", str(path)]).exit_code == 0


def test_cli_deep_fails_on_a_bad_chunk_and_names_it(tmp_path):
    path = _store(tmp_path / "d.zarr")
    (path / "a" / "c" / "0" / "1").write_bytes(b"xx")
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0  # not read without --deep
    result = runner.invoke(app, ["validate", "--deep", str(path)])
    assert result.exit_code == 1 and "a/c/0/1" in result.stdout and "FAILED:" in result.stdout


def test_cli_json_on_failure(tmp_path):
    path = _store(tmp_path / "d.zarr")
    (path / "a" / "zarr.json").write_text("{")
    result = runner.invoke(app, ["validate", "--json", str(path)])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["passed"] is False and doc["exit_code"] == 1
    assert {"name": "documents", "status": "fail", "node": "a", "key": "a/zarr.json"}.items() <= \
        next(c for c in doc["checks"] if c["status"] == "fail").items()


def test_cli_malformed_root_is_a_report(tmp_path):
    path = _store(tmp_path / "d.zarr")
    (path / "zarr.json").write_text("not json")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "documents [/ zarr.json]: malformed JSON" in result.stdout


def test_cli_missing_store_is_the_usual_one_line_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "zarrkit.cli.main", "validate", str(tmp_path / "none.zarr")], check=False,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "StoreNotFoundError" in out.stderr
