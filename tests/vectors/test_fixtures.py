"""zarrkit reads the committed stores zarr_vectors 0.9.2 wrote (spec §5, offline fixtures).

Truth is the ``.npz`` beside each store (the seeded inputs; for the pyramid also what
zarr_vectors read back per level), so these tests run without zarr_vectors.  Only the last
test, which regenerates every fixture and compares, needs it.
"""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors import make_fixtures as mf
from tests.vectors.helpers import in_box, rows
from tests.vectors.truth import documents, edge_set, face_set, payloads, sorted_rows
from zarrkit.vectors.objects import read_groups, read_object_attributes

# the whole store, boxes cutting chunks and bins, a box ending just below a chunk boundary
BOXES_3D = [((-40, -40, -40), (40, 40, 40)), ((-25, -3, -40), (12.5, 30, 7)), ((0, 0, 0), (40, 40, 40)),
            ((-20, -20, -20), (-0.001, 20, 20)), ((-32.5, -40, -17.5), (2.5, 22.5, 40))]


def fixture(case: str):
    """The store (opened read-only) and its expected arrays."""
    with np.load(mf.FIXTURES / f"{case}.npz") as npz:
        expect = {k: npz[k] for k in npz.files}
    return vx.open(str(mf.FIXTURES / f"{case}.zv"), "r"), expect


def test_inputs_are_reproducible_without_zarr_vectors():
    # the generator is numpy only: the npz files are what it produces today
    for case in mf.CASES:
        _, expect = fixture(case)
        for name, values in mf.inputs(case).items():
            assert np.array_equal(expect[name], values), (case, name)


def _joined(xyz, *columns):
    """Positions with their attribute columns, as sortable rows (attributes follow their point)."""
    table = np.column_stack([np.asarray(xyz, np.float64)] + [np.asarray(c, np.float64) for c in columns])
    return sorted(map(tuple, table.tolist()))


def test_anonymous_points_with_attributes_and_bins():
    s, e = fixture("points")
    assert s.kind == "points" and s.root.bin_shape == [10.0] * 3 and s.root.grid.origin.tolist() == [-1] * 3
    for box in BOXES_3D:
        got = s.read_points(box=box)
        m = in_box(e["positions"], *box)
        assert m.any()
        assert _joined(got.xyz, got.attributes["intensity"], got.attributes["rgb"]) == \
            _joined(e["positions"][m], e["intensity"][m], e["rgb"][m])
        assert got.attributes["rgb"].dtype == np.uint8


def test_float64_2d_points_with_a_dictionary_string_attribute():
    s, e = fixture("points_2d")
    assert s.dtype == np.float64 and s.ndim == 2
    for box in [((0, 0), (60, 60)), ((10.5, 0), (30, 44.25)), ((25.5, 20), (60, 45.5))]:
        got = s.read_points(box=box)
        m = in_box(e["positions"], *box)
        assert m.any() and got.xyz.dtype == np.float64
        assert sorted(zip(map(tuple, got.xyz.tolist()), got.attributes["label"].tolist())) == \
            sorted(zip(map(tuple, e["positions"][m].tolist()), e["label"][m].tolist()))


def test_zarrkit_appends_to_a_zarr_vectors_float64_store(tmp_path):
    """A foreign store carries no zarrkit options: appends take the dtype of its vertex cells."""
    import shutil

    path = tmp_path / "p.zv"
    shutil.copytree(mf.FIXTURES / "points_2d.zv", path)
    _, e = fixture("points_2d")
    more = np.array([[0.125, 59.875], [30.0, 30.0], [12.3456789012345, 1.0]])
    s = vx.open(str(path), "r+")
    assert s.dtype == np.float64
    s.write_points(more, attributes={"label": np.array(["axon", "glia", "soma"])})
    got = vx.open(str(path)).read_points()
    assert got.xyz.dtype == np.float64 and rows(got.xyz) == rows(np.r_[e["positions"], more])
    assert sorted(got.attributes["label"].tolist()) == sorted(e["label"].tolist() + ["axon", "glia", "soma"])
    zv = pytest.importorskip("zarr_vectors")
    assert rows(zv.open(str(path)).read().positions) == rows(np.r_[e["positions"], more])


@pytest.mark.parametrize("case", ["points_ids", "pyramid"])
def test_points_with_ids_and_fine_bins_defect_1(case):
    s, e = fixture(case)
    xyz, ids = e["positions"], e["ids"]
    assert s.root.bin_shape == [10.0] * 3  # zarr_vectors' own id'd layout: bpc = 4 (§4 #1)
    for box in BOXES_3D:
        got = s.read_points(box=box)
        m = in_box(xyz, *box)
        assert m.any()
        assert _joined(got.xyz, got.ids) == _joined(xyz[m], ids[m])
    a, b = e["object_ids"][3], e["object_ids"][0]
    got = s.read_points(ids=[a, b])
    assert got.ids.tolist() == [a] * int((ids == a).sum()) + [b] * int((ids == b).sum())
    assert rows(got.xyz) == rows(np.r_[xyz[ids == a], xyz[ids == b]])
    assert s.objects().ids.tolist() == e["object_ids"].tolist() and s.objects().present.all()
    got_ids, weight = read_object_attributes(s.store, "0")["weight"]
    assert got_ids.tolist() == e["object_ids"].tolist() and np.array_equal(weight, e["weight"])


def test_pyramid_levels():
    s, e = fixture("pyramid")
    assert s.levels() == [0, 1, 2] and s.root.level_bins == {0: [10.0] * 3, 1: [20.0] * 3, 2: [40.0] * 3}
    # level 1 of zarr_vectors' per_object method: one metavertex per occupied 20-unit bin, its centroid
    xyz = e["positions"].astype(np.float64)
    _, inv = np.unique(np.floor(xyz / 20.0), axis=0, return_inverse=True)
    centroids = np.stack([np.bincount(inv.ravel(), weights=xyz[:, d]) for d in range(3)], 1) / np.bincount(
        inv.ravel())[:, None]
    for k in (1, 2):
        got = sorted_rows(s.read_points(level=k).xyz)
        assert np.array_equal(got, e[f"level{k}"])  # what zarr_vectors reads at this level
        assert s.level_info(k).vertex_count == len(got)
        for o in e["object_ids"][:2].tolist():
            assert np.array_equal(sorted_rows(s.read_points(level=k, ids=[o]).xyz), e[f"level{k}_object{o}"])
    assert np.allclose(sorted_rows(s.read_points(level=1).xyz), sorted_rows(centroids), atol=1e-4)


@pytest.mark.parametrize("case", ["polylines", "streamlines", "streamlines_sharded"])
def test_polylines_exact_sequence_per_id(case):
    s, e = fixture(case)
    lines = mf.split_lines(e)
    assert s.kind == mf.KIND[case] and s.info().sharded == (case in mf.SHARDED)
    got = s.read_polylines()
    assert got.ids.tolist() == list(range(len(lines)))
    assert [got.line(i).tolist() for i in range(len(got))] == [x.tolist() for x in lines]
    back = s.read_polylines(ids=[2, 0])
    assert [back.line(i).tolist() for i in range(2)] == [lines[2].tolist(), lines[0].tolist()]
    if mf.KIND[case] == "streamlines":
        assert np.array_equal(got.attributes["fa"], e["fa"])
        assert np.array_equal(got.object_attributes["length"], e["length"])
        assert {g: v.tolist() for g, v in read_groups(s.store, "0").items()} == mf.groups_of(e)


def test_polyline_reentry_and_box():
    s, e = fixture("polylines")
    lines = mf.split_lines(e)
    # the last line leaves chunk (0, 0) and comes back: two fragments there, one object
    from zarrkit.vectors.objects import ObjectIndex

    blocks = ObjectIndex.read(s.store, "0").blocks(4, 2)
    assert [c for c, _ in blocks] == [(0, 0), (1, 0), (0, 0)]
    box = ((6, 6), (36, 13))
    inside = s.read_polylines(box=box, clip="inside")
    expect = []
    for line in lines:
        m = in_box(line, *box)
        edges = np.flatnonzero(np.diff(np.r_[0, m.astype(int), 0]))
        expect += [line[a:b].tolist() for a, b in zip(edges[::2], edges[1::2])]
    assert [inside.line(i).tolist() for i in range(len(inside))] == expect


def test_graph_edges_and_edge_attributes():
    s, e = fixture("graph")
    g = s.read_graph()
    assert edge_set(g.nodes, g.edges) == edge_set(e["positions"], e["edges"])
    want = {frozenset(map(tuple, e["positions"][ed].tolist())): w for ed, w in zip(e["edges"], e["edge_weight"])}
    have = {frozenset(map(tuple, g.nodes[ed].tolist())): w for ed, w in zip(g.edges, g.edge_attributes["weight"])}
    assert have == want
    box = ((-30, -40, -20), (10, 35, 40))
    inside = s.read_graph(box=box)
    keep = in_box(e["positions"], *box)[e["edges"]].all(1)
    assert edge_set(inside.nodes, inside.edges) == edge_set(e["positions"], e["edges"][keep])
    assert edge_set(*(lambda r: (r.nodes, r.edges))(s.read_graph(ids=[0]))) == edge_set(e["positions"], e["edges"])


def test_skeleton_edges():
    s, e = fixture("skeleton")
    assert s.root.geometry == "skeleton" and s.kind == "graph"
    g = s.read_graph()
    assert len(g.nodes) == len(e["positions"])
    assert edge_set(g.nodes, g.edges) == edge_set(e["positions"], e["edges"])


@pytest.mark.parametrize("case", ["mesh_tri", "mesh_quad"])
def test_mesh_faces_keep_winding(case):
    s, e = fixture(case)
    m = s.read_mesh()
    assert m.faces.shape[1] == e["faces"].shape[1]
    assert face_set(m.vertices, m.faces) == face_set(e["positions"], e["faces"])
    box = ((-40, -40, -40), (40, 0, 40))
    inside = s.read_mesh(box=box)
    keep = in_box(e["positions"], *box)[e["faces"]].all(1)
    assert face_set(inside.vertices, inside.faces) == face_set(e["positions"], e["faces"][keep])


def test_info_of_every_fixture():
    for case in mf.CASES:
        s, e = fixture(case)
        info = s.info()
        assert info.kind == mf.KIND[case] and info.version == "0.9.2" and info.writer is None
        assert info.levels[0]["vertices"] == len(e["positions"])


def test_fixtures_are_what_zarr_vectors_writes_today(zv_written):
    """Rewrite every fixture with the installed zarr_vectors and compare node for node:
    documents equal, every stored cell equal once decompressed (independent of the
    compressor's bytes), expected arrays equal."""
    for case in mf.CASES:
        new, old = zv_written(case), mf.FIXTURES / f"{case}.zv"
        assert documents(new) == documents(old), case
        fresh, committed = payloads(new), payloads(old)
        assert sorted(fresh) == sorted(committed), case
        assert [k for k in committed if fresh[k] != committed[k]] == [], case
        _, expect = fixture(case)
        regenerated = mf.expected(case, new)
        assert sorted(regenerated) == sorted(expect), case
        assert [k for k in expect if not np.array_equal(regenerated[k], expect[k])] == [], case
