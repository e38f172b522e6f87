"""Table (CSV, Parquet) and PLY input/output (spec §3.5): streamed imports equal numpy."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, rows
from tests.vectors.test_linked import face_set, torus
from zarrkit.errors import VectorInputError

pa = pytest.importorskip("pyarrow")
B = ([0.0] * 3, [100.0] * 3)


def _table(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    xyz = rng.uniform(0, 100, (n, 3)).astype("f4")
    return xyz, {"px": xyz[:, 0], "py": xyz[:, 1], "pz": xyz[:, 2], "cell": rng.integers(0, 30, n),
                 "score": rng.random(n).astype("f4"), "label": np.array(["a", "b", "c"])[rng.integers(0, 3, n)]}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_import_streams_through_a_bounded_buffer(tmp_path, suffix):
    xyz, cols = _table()
    path = str(tmp_path / f"t{suffix}")
    if suffix == ".csv":
        import pyarrow.csv as csv

        csv.write_csv(pa.table(cols), path)
    else:
        import pyarrow.parquet as pq

        pq.write_table(pa.table(cols), path, row_group_size=1000)
    s = vx.create(str(tmp_path / "p.zv"), "points", bounds=B, chunk_shape=(25,) * 3, ids=True)
    report = vx.io.points_from_table(s, path, x="px", y="py", z="pz", id="cell", attributes=["score", "label"],
                                     buffer_bytes=40_000)
    assert report.vertices == len(xyz) and report.writes > 1  # several appends, not one big read
    got = s.read_points()
    expect = np.c_[xyz, cols["cell"], cols["score"]].astype(np.float64)
    score = got.attributes["score"].astype("f4").astype(np.float64)  # CSV text reads back as float64
    assert rows(np.c_[got.xyz.astype(np.float64), got.ids, score]) == rows(expect)
    box = ((10, 20, 30), (60, 70, 80))
    assert rows(s.read_points(box=box).xyz) == rows(xyz[in_box(xyz, *box)])
    out = str(tmp_path / f"out{suffix}")
    assert vx.io.points_to_table(s, out, box=box) == int(in_box(xyz, *box).sum())
    back = vx.create(str(tmp_path / "b.zv"), "points", bounds=B, chunk_shape=(25,) * 3, ids=True)
    vx.io.points_from_table(back, out, id="id")
    got = back.read_points()
    assert rows(got.xyz) == rows(xyz[in_box(xyz, *box)])
    assert sorted(got.attributes["label"].tolist()) == sorted(cols["label"][in_box(xyz, *box)].tolist())


def test_table_errors_name_the_column(tmp_path):
    import pyarrow.csv as csv

    path = str(tmp_path / "t.csv")
    csv.write_csv(pa.table({"x": [1.0], "y": [2.0]}), path)
    s = vx.create(str(tmp_path / "p.zv"), "points", bounds=B, chunk_shape=(25,) * 3)
    with pytest.raises(VectorInputError, match="no column 'z'"):
        vx.io.points_from_table(s, path)
    with pytest.raises(VectorInputError, match="unknown table format"):
        vx.io.points_from_table(s, str(tmp_path / "t.json"))


def test_ply_mesh_round_trip_keeps_winding_and_attributes(tmp_path):
    pytest.importorskip("plyfile")
    verts, quads = torus()
    tris = np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    m = vx.create(str(tmp_path / "m.zv"), "mesh", bounds=B, chunk_shape=(50,) * 3)
    m.write_mesh(verts, tris, attributes={"q": np.arange(len(verts), dtype="f4")})
    assert vx.io.mesh_to_ply(m, str(tmp_path / "m.ply")) == len(tris)
    assert (tmp_path / "m.ply").read_bytes().startswith(b"ply\nformat binary_little_endian 1.0\n")
    back = vx.create(str(tmp_path / "b.zv"), "mesh", bounds=B, chunk_shape=(50,) * 3)
    vx.io.mesh_from_ply(back, str(tmp_path / "m.ply"))
    r = back.read_mesh()
    assert face_set(r.vertices, r.faces) == face_set(verts, tris)
    assert np.array_equal(verts[r.attributes["q"].astype(int)], r.vertices)
    pts = vx.create(str(tmp_path / "p.zv"), "points", bounds=B, chunk_shape=(50,) * 3)
    assert vx.io.points_from_ply(pts, str(tmp_path / "m.ply")).vertices == len(verts)
    assert rows(pts.read_points().xyz) == rows(verts)


def test_ply_mixed_faces_are_fan_triangulated(tmp_path):
    plyfile = pytest.importorskip("plyfile")
    verts = np.array([[10, 10, 10], [20, 10, 10], [20, 20, 10], [10, 20, 10], [5, 15, 10]], "f4")
    vert = np.array([tuple(v) for v in verts], dtype=[("x", "f4"), ("y", "f4"), ("z", "f4")])
    face = np.empty(2, dtype=[("vertex_indices", object)])
    face["vertex_indices"] = [np.array([0, 1, 2, 3]), np.array([0, 3, 4])]
    plyfile.PlyData([plyfile.PlyElement.describe(vert, "vertex"), plyfile.PlyElement.describe(face, "face")],
                    text=True).write(str(tmp_path / "mixed.ply"))
    m = vx.create(str(tmp_path / "m.zv"), "mesh", bounds=B, chunk_shape=(50,) * 3)
    with pytest.warns(UserWarning, match="fan-triangulated"):
        vx.io.mesh_from_ply(m, str(tmp_path / "mixed.ply"))
    r = m.read_mesh()
    assert face_set(r.vertices, r.faces) == face_set(verts, np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4]]))
