"""``zarrkit vectors`` import / export / pyramid / check --repair, through the real command."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, rows, zv_or_skip
from tests.vectors.test_linked import face_set, torus
from zarrkit import core
from zarrkit.cli.main import app

pa = pytest.importorskip("pyarrow")


def _run(*args):
    result = CliRunner().invoke(app, ["vectors", *map(str, args)])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_import_pyramid_query_export(tmp_path):
    import pyarrow.csv as csv

    xyz = np.random.default_rng(0).uniform(-20, 80, (4000, 3)).astype("f4")
    csv.write_csv(pa.table({"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2], "v": np.arange(4000)}),
                  str(tmp_path / "p.csv"))
    store = tmp_path / "p.zv"
    assert "imported 4000 vertices" in _run("import", tmp_path / "p.csv", store)
    s = vx.open(str(store))
    assert s.root.chunk_shape == [25.0] * 3  # extent / 4, rounded to a readable edge
    got = s.read_points()
    assert np.array_equal(xyz[got.attributes["v"]], got.xyz)
    assert "built 2 levels" in _run("pyramid", store, "--levels", "2")
    assert vx.open(str(store)).levels() == [0, 1, 2]
    lo, hi = (0, 10, 20), (40, 50, 60)
    expect = int(in_box(xyz, lo, hi).sum())
    assert _run("query", store, "--lo", "0,10,20", "--hi", "40,50,60").startswith(f"{expect} vertices")
    assert f"wrote {expect} rows" in _run("export", store, tmp_path / "box.parquet", "--lo", "0,10,20",
                                          "--hi", "40,50,60")
    import pyarrow.parquet as pq

    t = pq.read_table(str(tmp_path / "box.parquet"))
    assert rows(np.c_[t["x"], t["y"], t["z"]]) == rows(xyz[in_box(xyz, lo, hi)])


def test_import_and_export_ply_mesh(tmp_path):
    pytest.importorskip("plyfile")
    verts, quads = torus()
    m = vx.create(str(tmp_path / "m.zv"), "mesh", bounds=([0] * 3, [100] * 3), chunk_shape=(50,) * 3)
    m.write_mesh(verts, quads)
    assert f"wrote {len(quads)} faces" in _run("export", tmp_path / "m.zv", tmp_path / "m.ply")
    assert f"and {len(quads)} faces" in _run("import", tmp_path / "m.ply", tmp_path / "back.zv")
    r = vx.open(str(tmp_path / "back.zv")).read_mesh()
    assert face_set(r.vertices, r.faces) == face_set(verts, quads)


def test_check_repair_restores_occupancy_and_counts(tmp_path):
    zv = zv_or_skip()
    nodes = np.random.default_rng(1).uniform(0, 100, (200, 3)).astype("f4")
    edges = np.random.default_rng(2).integers(0, 200, (300, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    path = str(tmp_path / "g.zv")
    s = vx.create(path, "graph", bounds=([0] * 3, [100] * 3), chunk_shape=(50,) * 3)
    s.write_graph(nodes, edges)
    # an interrupted write: cells stored, their stamps not
    for arr in ("0/vertices", "0/links/0/0.0.0"):
        attrs = dict(core.read_metadata(s.store, arr).attributes)
        attrs.pop("nonempty_chunks")
        core.update_attributes(s.store, arr, attrs, replace=True)
    core.update_attributes(s.store, "0", {"zarr_vectors_level": {**s.level_info(0).to_attributes()["zarr_vectors_level"],
                                                                 "vertex_count": 5}})
    assert len(zv.open(path).read().positions) < len(nodes)  # zarr_vectors silently misses the unstamped cells
    out = CliRunner().invoke(app, ["vectors", "check", path, "--repair"])
    assert "fixed 0/vertices: nonempty_chunks" in out.output and "vertex_count 5 -> 200" in out.output
    assert out.exit_code == 0, out.output
    r = zv.open(path).read()
    assert rows(r.positions) == rows(nodes) and len(r.edges) == len(edges)
    assert "repair: 0 fixes" in _run("check", path, "--repair")


def test_errors_are_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text("x,y,z\n1,2,3\n4,5\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "zarrkit.cli.main", "vectors", "import", str(tmp_path / "bad.csv"),
                           str(tmp_path / "b.zv")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: VectorInputError") and "bad.csv" in lines[0], done.stderr
