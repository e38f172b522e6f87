"""Polylines/streamlines, graphs and meshes: zarrkit <-> zarr_vectors 0.9.2, appends, by-id and box reads."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, zv_or_skip, zv_validate_errors
from zarrkit.errors import VectorInputError

B = ([0.0] * 3, [100.0] * 3)


def walks(seed, sizes):
    rng = np.random.default_rng(seed)
    return [np.clip(np.cumsum(rng.normal(0, 15, (n, 3)), 0) + 50, 0, 100).astype("f4") for n in sizes]


def edge_set(xyz, edges):
    return {tuple(sorted(map(tuple, xyz[e].tolist()))) for e in edges}


def face_set(xyz, faces):
    """Faces as rotation-canonical vertex tuples, so winding is checked."""
    out = set()
    for f in faces:
        pts = [tuple(p) for p in xyz[f].tolist()]
        k = pts.index(min(pts))
        out.add(tuple(pts[k:] + pts[:k]))
    return out


@pytest.mark.parametrize("kind", ["streamlines", "polylines"])
def test_polylines_both_ways(tmp_path, kind):
    zv = zv_or_skip()
    lines = walks(1, (5, 30, 12, 1, 60, 9))
    s = vx.create(str(tmp_path / "p.zv"), kind, bounds=B, chunk_shape=(25, 25, 25))
    s.write_polylines(lines[:3], attributes={"t": np.arange(47, dtype="f4")},
                      object_attributes={"len": np.array([5.0, 30, 12])})
    s.write_polylines(lines[3:], attributes={"t": np.arange(47, 117, dtype="f4")},
                      object_attributes={"len": np.array([1.0, 60, 9])})
    got = s.read_polylines()
    assert all(np.array_equal(got.line(i), lines[i]) for i in range(6))
    assert got.object_attributes["len"].tolist() == [5, 30, 12, 1, 60, 9]
    assert [x.tolist() for x in (s.read_polylines(ids=[4, 1]).line(0), s.read_polylines(ids=[4, 1]).line(1))] == \
        [lines[4].tolist(), lines[1].tolist()]
    d = zv.open(str(tmp_path / "p.zv"))
    r = d.read()
    assert all(np.array_equal(r.polylines[i], lines[i]) for i in range(6))
    assert np.array_equal(d.select(objects=[2]).read().polylines[0], lines[2])
    assert zv_validate_errors(tmp_path / "p.zv") == []
    with pytest.raises(VectorInputError, match="already exist"):
        s.write_polylines(lines[:1], ids=[2], attributes={"t": np.zeros(5, "f4")})


def test_polyline_box_clips(tmp_path):
    lines = walks(2, (40, 25, 70))
    s = vx.create(str(tmp_path / "p.zv"), "polylines", bounds=B, chunk_shape=(25, 25, 25))
    s.write_polylines(lines)
    box = ((30, 30, 30), (60, 60, 60))
    inside = s.read_polylines(box=box, clip="inside")
    expect = []
    for line in lines:
        m = in_box(line, *box)
        edges = np.flatnonzero(np.diff(np.r_[0, m.astype(int), 0]))
        expect += [line[a:b].tolist() for a, b in zip(edges[::2], edges[1::2])]
    assert [inside.line(i).tolist() for i in range(len(inside))] == expect
    whole = s.read_polylines(box=box, clip="whole")
    assert set(whole.ids.tolist()) >= {i for i, line in enumerate(lines) if in_box(line, *box).any()}


def test_zarrkit_reads_zarr_vectors_polylines(tmp_path):
    zv_or_skip()
    from zarr_vectors.types.polylines import write_polylines

    lines = walks(3, (8, 33, 17))
    write_polylines(str(tmp_path / "zv.zv"), lines, chunk_shape=(25, 25, 25), bounds=B,
                    object_attributes={"len": np.array([8.0, 33, 17])})
    got = vx.open(str(tmp_path / "zv.zv")).read_polylines()
    assert all(np.array_equal(got.line(i), lines[i]) for i in range(3))
    assert got.object_attributes["len"].tolist() == [8, 33, 17]


def graph_input(seed, n=40, m=60):
    rng = np.random.default_rng(seed)
    nodes = rng.uniform(0, 100, (n, 3)).astype("f4")
    edges = rng.integers(0, n, (m, 2))
    return nodes, edges[edges[:, 0] != edges[:, 1]]


def test_graph_both_ways_and_by_id_defect_4(tmp_path):
    zv = zv_or_skip()
    a_nodes, a_edges = graph_input(4)
    b_nodes, b_edges = graph_input(5, 20, 30)
    s = vx.create(str(tmp_path / "g.zv"), "graph", bounds=B, chunk_shape=(50, 50, 50))
    s.write_graph(a_nodes, a_edges, edge_attributes={"w": np.arange(len(a_edges), dtype="f4")})
    s.write_graph(b_nodes, b_edges, edge_attributes={"w": -np.arange(1, len(b_edges) + 1, dtype="f4")})
    g = s.read_graph(ids=[1])
    assert edge_set(g.nodes, g.edges) == edge_set(b_nodes, b_edges)
    assert sorted(g.edge_attributes["w"].tolist()) == sorted((-np.arange(1, len(b_edges) + 1)).tolist())
    box = ((0, 0, 0), (60, 60, 60))
    inside = s.read_graph(box=box)
    sel = in_box(a_nodes, *box)
    truth = edge_set(a_nodes, a_edges[sel[a_edges].all(1)]) | edge_set(b_nodes, b_edges[in_box(b_nodes, *box)[b_edges].all(1)])
    assert edge_set(inside.nodes, inside.edges) == truth
    r = zv.open(str(tmp_path / "g.zv")).read()
    assert edge_set(r.positions, r.edges) == edge_set(a_nodes, a_edges) | edge_set(b_nodes, b_edges)
    assert zv_validate_errors(tmp_path / "g.zv") == []


@pytest.mark.xfail(strict=True, reason="zarr_vectors 0.9.2 §4 #4: select(objects=...) raises for graphs")
def test_zv_graph_by_id_defect_4(tmp_path):
    zv = zv_or_skip()
    nodes, edges = graph_input(6)
    s = vx.create(str(tmp_path / "g.zv"), "graph", bounds=B, chunk_shape=(50, 50, 50))
    s.write_graph(nodes, edges)
    r = zv.open(str(tmp_path / "g.zv")).select(objects=[0]).read()
    assert edge_set(r.positions, r.edges) == edge_set(nodes, edges)


def torus(n_u=12, n_v=8):
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, n_u, endpoint=False), np.linspace(0, 2 * np.pi, n_v, endpoint=False))
    x = (30 + 12 * np.cos(v)) * np.cos(u) + 50
    y = (30 + 12 * np.cos(v)) * np.sin(u) + 50
    z = 12 * np.sin(v) + 50
    verts = np.c_[x.ravel(), y.ravel(), z.ravel()].astype("f4")
    idx = np.arange(n_u * n_v).reshape(n_v, n_u)
    quads = np.c_[idx.ravel(), np.roll(idx, -1, 1).ravel(), np.roll(np.roll(idx, -1, 0), -1, 1).ravel(),
                  np.roll(idx, -1, 0).ravel()]
    return verts, quads


@pytest.mark.parametrize("width", [3, 4])
def test_mesh_both_ways(tmp_path, width):
    zv = zv_or_skip()
    verts, quads = torus()
    faces = quads if width == 4 else np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    s = vx.create(str(tmp_path / "m.zv"), "mesh", bounds=B, chunk_shape=(50, 50, 50))
    s.write_mesh(verts, faces)
    m = s.read_mesh(ids=[0])
    assert face_set(m.vertices, m.faces) == face_set(verts, faces)
    r = zv.open(str(tmp_path / "m.zv")).read()
    assert face_set(r.positions, r.faces) == face_set(verts, faces)
    assert zv_validate_errors(tmp_path / "m.zv") == []


def test_zarrkit_reads_zarr_vectors_graph_and_mesh(tmp_path):
    zv_or_skip()
    from zarr_vectors.types.graphs import write_graph
    from zarr_vectors.types.meshes import write_mesh

    nodes, edges = graph_input(7)
    write_graph(str(tmp_path / "g.zv"), nodes, edges, chunk_shape=(50, 50, 50), bounds=B)
    g = vx.open(str(tmp_path / "g.zv")).read_graph()
    assert edge_set(g.nodes, g.edges) == edge_set(nodes, edges)
    verts, quads = torus()
    tris = np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    write_mesh(str(tmp_path / "m.zv"), verts, tris, chunk_shape=(50, 50, 50), bounds=B)
    m = vx.open(str(tmp_path / "m.zv")).read_mesh()
    assert face_set(m.vertices, m.faces) == face_set(verts, tris)


def test_bad_links_write_nothing(tmp_path):
    nodes, edges = graph_input(8)
    s = vx.create(str(tmp_path / "g.zv"), "graph", bounds=B, chunk_shape=(50, 50, 50))
    before = sorted(p.name for p in (tmp_path / "g.zv").rglob("*"))
    with pytest.raises(VectorInputError, match="indexes past"):
        s.write_graph(nodes, np.r_[edges, [[0, 40]]])
    assert sorted(p.name for p in (tmp_path / "g.zv").rglob("*")) == before
