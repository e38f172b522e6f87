"""Format versions (spec §2.1, §2.12, §5): zarrkit reads zv_version 0.9.x and refuses every
other version (0.8 and 0.10 included) on open, with a VectorFormatError naming the store
and the version, leaving the store untouched."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

import zarrkit.vectors as vx
from tests.vectors import make_fixtures as mf
from zarrkit.errors import VectorFormatError

REFUSED = ["0.8.1", "0.8", "0.10.0", "0.10", "1.0.0", "0.90.0", "", None]
ACCEPTED = ["0.9.0", "0.9.2", "0.9.9"]


def _with_version(tmp_path, version):
    path = tmp_path / "v.zv"
    shutil.copytree(mf.FIXTURES / "points.zv", path)
    doc = json.loads((path / "zarr.json").read_text())
    if version is None:
        doc["attributes"]["zarr_vectors"].pop("zv_version")
    else:
        doc["attributes"]["zarr_vectors"]["zv_version"] = version
    (path / "zarr.json").write_text(json.dumps(doc))
    return path


def _listing(path):
    return sorted((p.relative_to(path).as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in path.rglob("*"))


@pytest.mark.parametrize("version", REFUSED)
def test_other_versions_are_refused_naming_store_and_version(tmp_path, version):
    path = _with_version(tmp_path, version)
    before = _listing(path)
    shown = repr(version if version is not None else "")
    for attempt in (lambda: vx.open(str(path)), lambda: vx.open(str(path), "r+"), lambda: vx.info(str(path))):
        with pytest.raises(VectorFormatError) as err:
            attempt()
        assert f"zv_version {shown}" in str(err.value) and "0.9.x" in str(err.value)
        assert str(path) in str(err.value)
    assert _listing(path) == before


def test_cli_prints_one_line_and_validate_fails_the_root_check(tmp_path, monkeypatch, capsys):
    import warnings

    from zarrkit.cli.main import run
    from zarrkit.validate import validate

    path = _with_version(tmp_path, "0.10.0")
    before = _listing(path)
    # the console-script entry, in process; it installs a warnings hook and an env default: undone after
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    monkeypatch.setenv("ICECHUNK_LOG", "icechunk=error")
    monkeypatch.setattr(sys, "argv", ["zarrkit", "vectors", "info", str(path)])
    with pytest.raises(SystemExit) as done:
        run()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert done.value.code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("error: VectorFormatError") and "'0.10.0'" in lines[0] and str(path) in lines[0]
    check = {c.name: c for c in validate(str(path)).checks}["vectors.root"]
    assert check.status == "fail" and "'0.10.0'" in check.detail
    assert _listing(path) == before


@pytest.mark.parametrize("version", ACCEPTED)
def test_every_0_9_release_is_read(tmp_path, version):
    path = _with_version(tmp_path, version)
    s = vx.open(str(path))
    assert s.root.version == version and len(s.read_points().xyz) == len(mf.inputs("points")["positions"])
