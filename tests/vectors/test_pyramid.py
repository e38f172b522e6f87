"""Pyramids (spec §2.9, §3.4): real-point levels for every kind, read and validated by
zarr_vectors, the on_pyramid and on_existing policies, and rerun stability."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, rows, zv_or_skip, zv_validate_errors
from tests.vectors.test_linked import face_set, torus, walks
from zarrkit.errors import ContainsNodeError, PyramidStaleError

B = ([0.0] * 3, [100.0] * 3)
BOX = ((10.0, 20.0, 5.0), (60.0, 70.0, 55.0))


def _points(tmp_path, ids=False, n=6000):
    rng = np.random.default_rng(0)
    xyz = rng.uniform(0, 100, (n, 3)).astype("f4")
    s = vx.create(str(tmp_path / "p.zv"), "points", bounds=B, chunk_shape=(25,) * 3, ids=True if ids else None)
    oid = rng.integers(0, 40, n) if ids else None
    s.write_points(xyz, ids=oid, attributes={"i": np.arange(n, dtype="i4")})
    return s, xyz, oid


@pytest.mark.parametrize("ids", [False, True])
def test_point_levels_are_real_nested_and_read_by_zarr_vectors(tmp_path, ids):
    s, xyz, oid = _points(tmp_path, ids)
    assert s.build_pyramid(levels=2) == [1, 2]
    prev = {tuple(r) for r in xyz.tolist()}
    for k in (1, 2):
        got = s.read_points(level=k)
        assert len(got.xyz) == s.level_info(k).vertex_count > 0
        here = {tuple(r) for r in got.xyz.tolist()}
        assert here <= prev  # real points, and each level is drawn from the one below
        prev = here
        assert np.array_equal(xyz[got.attributes["i"]], got.xyz)  # attributes follow their points
        if ids:
            assert np.array_equal(oid[got.attributes["i"]], got.ids)
        # one point per (object, level bin): no two kept points share one
        binned = np.floor(got.xyz.astype(np.float64) / (6.25 if not ids else 25.0) / 2**k).astype(int)
        key = np.c_[got.ids, binned] if ids else binned
        assert len(np.unique(key, axis=0)) == len(key)
        box = s.read_points(level=k, box=BOX)
        assert rows(box.xyz) == rows(got.xyz[in_box(got.xyz, *BOX)])
    zv = zv_or_skip()
    d = zv.open(str(tmp_path / "p.zv"))
    for k in (1, 2):
        level = s.read_points(level=k)
        assert rows(d.level(k).read().positions) == rows(level.xyz)
        q = d.select(bbox=(np.array(BOX[0]), np.array(BOX[1])), level=k).read()
        assert rows(q.positions) == rows(level.xyz[in_box(level.xyz, *BOX)])
    assert zv_validate_errors(tmp_path / "p.zv") == []


def test_rerun_is_byte_identical_and_resume_finishes(tmp_path):
    s, _, _ = _points(tmp_path)
    s.build_pyramid(levels=2, seed=3)
    first = [s.read_points(level=k).xyz.tobytes() for k in (1, 2)]
    s.build_pyramid(levels=2, seed=3, on_existing="replace")
    assert [s.read_points(level=k).xyz.tobytes() for k in (1, 2)] == first
    # an interrupted build: level 2 written but never stamped
    s.root.level_bins.pop(2)
    s.write_root()
    assert vx.open(s.store).levels() == [0, 1]
    assert s.build_pyramid(levels=2, seed=3, on_existing="resume") == [2]
    assert [s.read_points(level=k).xyz.tobytes() for k in (1, 2)] == first
    with pytest.raises(ContainsNodeError):
        s.build_pyramid(levels=2)


def test_default_levels_stop_at_target_and_random_method(tmp_path):
    s, xyz, _ = _points(tmp_path)
    assert s.build_pyramid() == []  # 6,000 points is already small enough
    built = s.build_pyramid(levels=2, method="random", on_existing="replace")
    counts = [s.level_info(k).vertex_count for k in built]
    assert built == [1, 2] and len(xyz) > counts[0] > counts[1]
    assert s.level_info(1).coarsening_method == "zarrkit_random"


def test_on_pyramid_policies(tmp_path):
    s, xyz, _ = _points(tmp_path)
    s.build_pyramid(levels=2, seed=1)
    more = np.random.default_rng(9).uniform(0, 100, (500, 3)).astype("f4")
    extra = {"i": np.arange(len(xyz), len(xyz) + 500, dtype="i4")}
    with pytest.raises(PyramidStaleError):
        s.write_points(more, attributes=extra)
    s.write_points(more, attributes=extra, on_pyramid="rebuild")
    assert s.levels() == [0, 1, 2]
    both = np.r_[xyz, more]
    fresh = vx.create(str(tmp_path / "f.zv"), "points", bounds=B, chunk_shape=(25,) * 3)
    fresh.write_points(both, attributes={"i": np.arange(len(both), dtype="i4")})
    fresh.build_pyramid(levels=2, seed=1)
    for k in (1, 2):  # rebuilt from the appended level 0 = built once from everything
        assert rows(s.read_points(level=k).xyz) == rows(fresh.read_points(level=k).xyz)
    s.write_points(more, attributes=extra, on_pyramid="drop")
    assert s.levels() == [0] and not (tmp_path / "p.zv" / "1").exists()


def test_sparsity_keeps_every_object_in_the_index(tmp_path):
    s, _, oid = _points(tmp_path, ids=True)
    s.build_pyramid(levels=2, sparsity=2.0)
    for k in (1, 2):
        table = s.objects(k)
        assert table.ids.tolist() == sorted(set(oid.tolist()))
        assert 0 < table.present.sum() < len(table.ids)
        assert set(np.unique(s.read_points(level=k).ids).tolist()) == set(table.ids[table.present].tolist())
    assert s.level_info(2).extra["inherited_num_objects"] == len(np.unique(oid))
    assert "preserved_object_ids" in vx.open(s.store).root.capabilities


def test_polyline_levels_keep_ends_and_zarr_vectors_reads_them(tmp_path):
    lines = walks(11, (40, 200, 90))
    s = vx.create(str(tmp_path / "l.zv"), "streamlines", bounds=B, chunk_shape=(25,) * 3)
    s.write_polylines(lines, object_attributes={"n": np.array([40.0, 200, 90])})
    s.build_pyramid(levels=1)
    got = s.read_polylines(level=1)
    assert got.ids.tolist() == [0, 1, 2] and got.object_attributes["n"].tolist() == [40, 200, 90]
    for i, line in enumerate(lines):
        coarse = got.line(i)
        assert 2 <= len(coarse) < len(line)
        assert np.array_equal(coarse[[0, -1]], line[[0, -1]])
        assert {tuple(r) for r in coarse.tolist()} <= {tuple(r) for r in line.tolist()}
    zv = zv_or_skip()
    back = zv.open(str(tmp_path / "l.zv")).level(1).read().polylines
    assert all(np.array_equal(back[i], got.line(i)) for i in range(3))
    assert zv_validate_errors(tmp_path / "l.zv") == []


def test_graph_and_mesh_levels_keep_topology(tmp_path):
    rng = np.random.default_rng(4)
    nodes = rng.uniform(0, 100, (200, 3)).astype("f4")
    edges = rng.integers(0, 200, (300, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    g = vx.create(str(tmp_path / "g.zv"), "graph", bounds=B, chunk_shape=(25,) * 3)
    g.write_graph(nodes, edges, edge_attributes={"w": np.arange(len(edges), dtype="f4")})
    g.build_pyramid(levels=1)
    c = g.read_graph(level=1)
    assert len(c.nodes) < len(nodes) and {tuple(r) for r in c.nodes.tolist()} <= {tuple(r) for r in nodes.tolist()}
    assert len(c.edges) and np.all(c.edges[:, 0] != c.edges[:, 1])
    assert len({tuple(sorted(e)) for e in c.edges.tolist()}) == len(c.edges)
    verts, quads = torus(24, 12)
    tris = np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    m = vx.create(str(tmp_path / "m.zv"), "mesh", bounds=B, chunk_shape=(25,) * 3)
    m.write_mesh(verts, tris)
    m.build_pyramid(levels=1)
    mc = m.read_mesh(level=1)
    assert 0 < len(mc.faces) < len(tris)
    assert np.all(np.sort(mc.faces, 1)[:, 1:] != np.sort(mc.faces, 1)[:, :-1])
    zv = zv_or_skip()
    r = zv.open(str(tmp_path / "m.zv")).level(1).read()
    assert face_set(r.positions, r.faces) == face_set(mc.vertices, mc.faces)
    r = zv.open(str(tmp_path / "g.zv")).level(1).read()
    assert len(r.edges) == len(c.edges)
    assert zv_validate_errors(tmp_path / "g.zv") == [] and zv_validate_errors(tmp_path / "m.zv") == []
