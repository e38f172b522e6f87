"""Skeleton reads (spec §2.8, ``implicit_sequential_with_branches``): the edges zarr_vectors
leaves implied (``parent(i) = i − 1`` inside a fragment) come back with the stored ones, by
box in every clip mode and by id, equal to the numpy selection of the input tree."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, zv_or_skip
from tests.vectors.test_fixtures import BOXES_3D, fixture
from tests.vectors.test_geom_clip import ref_segment
from zarrkit.errors import VectorInputError
from zarrkit.vectors.encoding import decode_fragments, encode_fragments
from zarrkit.vectors.skeleton import implied_pairs


def _directed(xyz, edges) -> list:
    x = np.asarray(xyz, np.float64)
    return sorted((tuple(x[a].tolist()), tuple(x[b].tolist())) for a, b in np.asarray(edges).reshape(-1, 2))


def check_box(s, xyz, edges, owner, box, ids=None):
    """Every clip mode of ``read_graph(box, ids)`` against the input tree filtered with numpy."""
    lo, hi = box
    x = np.asarray(xyz, np.float64)
    mine = np.ones(len(x), bool) if ids is None else np.isin(owner, ids)
    m = in_box(x, lo, hi) & mine
    own = mine[edges].all(1)
    cuts = [ref_segment(x[a].tolist(), x[b].tolist(), lo, hi) for a, b in edges]
    hit = m[edges].any(1) | (own & np.array([c is not None for c in cuts], bool))
    g = s.read_graph(box=box, ids=ids, clip="inside")
    assert _directed(g.nodes, g.edges) == _directed(x, edges[m[edges].all(1)])
    assert sorted(map(tuple, g.nodes.astype(np.float64).tolist())) == sorted(map(tuple, x[m].tolist()))
    g = s.read_graph(box=box, ids=ids, clip="whole")
    assert _directed(g.nodes, g.edges) == _directed(x, edges[hit])
    assert sorted(map(tuple, g.nodes[g.inside].astype(np.float64).tolist())) == sorted(map(tuple, x[m].tolist()))
    g = s.read_graph(box=box, ids=ids, clip="exact")
    got = sorted(map(tuple, np.asarray(g.nodes, np.float64)[g.edges].reshape(-1, 2 * x.shape[1]).tolist()))
    want = sorted(tuple(c[0] + c[1]) for c, h in zip(cuts, hit) if h and c is not None)
    assert len(got) == len(want) and np.allclose(got, want, rtol=0, atol=1e-9)
    return int(m[edges].all(1).sum())


def test_implied_pairs_of_range_and_explicit_fragments():
    frag = decode_fragments(encode_fragments([(0, 3), (3, 1), np.array([7, 5]), np.zeros(0, np.int64),
                                              np.array([4, 6, 8])]))
    assert implied_pairs(frag).tolist() == [[1, 0], [2, 1], [5, 7], [6, 4], [8, 6]]


def test_fixture_skeleton_directed_by_box_and_id():
    s, e = fixture("skeleton")
    xyz, edges = e["positions"], e["edges"]
    g = s.read_graph()
    assert _directed(g.nodes, g.edges) == _directed(xyz, edges)  # [child, parent], as written
    owner = np.zeros(len(xyz), np.int64)
    assert sum(check_box(s, xyz, edges, owner, box) for box in BOXES_3D) > 0
    check_box(s, xyz, edges, owner, BOXES_3D[1], ids=[0])
    by_id = s.read_graph(ids=[0])
    assert _directed(by_id.nodes, by_id.edges) == _directed(xyz, edges)
    assert len(s.read_graph(ids=[1]).edges) == 0


def _tree(rng, n, start):
    """A random tree grown as a walk (each node near its parent), in depth-first-like order."""
    xyz = [start]
    parent = []
    for i in range(1, n):
        p = i - 1 if rng.random() < 0.8 else int(rng.integers(0, i))
        parent.append(p)
        xyz.append(np.clip(xyz[p] + rng.normal(0, 9, 3), -39.5, 39.5))
    return np.asarray(xyz, "f4"), np.array([[i + 1, p] for i, p in enumerate(parent)], np.int64)


@pytest.fixture(scope="module")
def zv_skeleton(tmp_path_factory):
    """Two trees (objects 0 and 1) written by zarr_vectors as a skeleton: fragments cross chunks,
    most edges are implied."""
    zv_or_skip()
    from zarr_vectors.types.graphs import write_graph

    rng = np.random.default_rng(5)
    a, ea = _tree(rng, 60, np.array([-20.0, -20.0, -20.0]))
    b, eb = _tree(rng, 40, np.array([20.0, 20.0, 20.0]))
    xyz, edges = np.r_[a, b], np.r_[ea, eb + len(a)]
    owner = np.r_[np.zeros(len(a), np.int64), np.ones(len(b), np.int64)]
    path = str(tmp_path_factory.mktemp("skel") / "two.zv")
    weight = np.arange(1, len(edges) + 1, dtype="f4")
    write_graph(path, xyz, edges, kind="skeleton", object_ids=owner, chunk_shape=(40.0,) * 3,
                bounds=([-40.0] * 3, [40.0] * 3), link_attributes={"w": weight})
    return path, xyz, edges, owner


def test_zarr_vectors_skeleton_of_two_trees(zv_skeleton):
    import zarr_vectors as zv

    path, xyz, edges, owner = zv_skeleton
    s = vx.open(path)
    g = s.read_graph()
    assert _directed(g.nodes, g.edges) == _directed(xyz, edges)
    theirs = zv.open(path).read()  # zarr_vectors' own reader agrees
    assert _directed(theirs.positions, theirs.edges) == _directed(xyz, edges)
    # stored edges keep their attribute; implied ones have none (NaN)
    x = np.asarray(xyz, np.float64)
    want = {(tuple(x[a].tolist()), tuple(x[b].tolist())): float(i + 1) for i, (a, b) in enumerate(edges)}
    got_w = g.edge_attributes["w"]
    pairs = [(tuple(p.tolist()), tuple(q.tolist())) for p, q in np.asarray(g.nodes, np.float64)[g.edges]]
    stored = ~np.isnan(got_w)
    assert 0 < stored.sum() < len(got_w)
    assert all(want[pr] == w for pr, w, k in zip(pairs, got_w.tolist(), stored) if k)
    for o in (1, 0):
        got = s.read_graph(ids=[o])
        assert _directed(got.nodes, got.edges) == _directed(xyz, edges[owner[edges[:, 0]] == o])
    n = 0
    for corner in np.ndindex(2, 2, 2):  # one chunk each: cross records to other chunks are not selected,
        lo = np.array(corner) * 40.0 - 40.0  # yet they still override the implied parent of their child
        n += check_box(s, xyz, edges, owner, (tuple(lo), tuple(lo + 39.99)))
    rng = np.random.default_rng(2)
    for _ in range(4):
        p, q = rng.uniform(-45, 45, (2, 3))
        box = (tuple(np.minimum(p, q)), tuple(np.maximum(p, q)))
        n += check_box(s, xyz, edges, owner, box)
        check_box(s, xyz, edges, owner, box, ids=[1])
    assert n > 0


def test_writes_into_a_skeleton_store_are_refused(tmp_path):
    import shutil

    from tests.vectors import make_fixtures as mf

    path = tmp_path / "s.zv"
    shutil.copytree(mf.FIXTURES / "skeleton.zv", path)
    before = sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))
    s = vx.open(str(path), "r+")
    with pytest.raises(VectorInputError, match="skeleton"):
        s.write_graph(np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], "f4"), np.array([[1, 0]]))
    with pytest.raises(VectorInputError, match="skeleton"):
        s.build_pyramid()
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*")) == before
