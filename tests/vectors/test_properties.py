"""Property tests (spec §5, hypothesis): random data appended in random batches, then read by
box and by id, equals the numpy selection of everything written; a single write equals
zarr_vectors' writer cell for cell (and anonymous points do after any batching, since their
cells are rebuilt bin by bin); zarrkit's link placement equals zarr_vectors'
``partition_records_by_offset``.

Coordinates are multiples of 1/4 in [-20, 20] with chunks of 10, so vertices land on chunk
and bin boundaries and on the upper bound.  The default run is a small sample;
``ZARRKIT_FUZZ=nightly`` runs many more examples.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays as np_arrays

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box
from tests.vectors.truth import edge_set, payloads

NIGHTLY = os.environ.get("ZARRKIT_FUZZ", "").lower() == "nightly"


def sample(default: int, nightly: int):
    return settings(max_examples=nightly if NIGHTLY else default, deadline=None, derandomize=not NIGHTLY,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


CHUNK = 10.0
LO, HI = -20.0, 20.0


def _zv():
    try:
        import zarr_vectors
    except ImportError:
        return None
    return zarr_vectors


@st.composite
def clouds(draw, min_n=1, max_n=50):
    """(ndim, positions (n, D) float32 on a 1/4 lattice, batch boundaries, a box)."""
    ndim = draw(st.sampled_from([2, 3]))
    n = draw(st.integers(min_n, max_n))
    xyz = draw(np_arrays(np.int64, (n, ndim), elements=st.integers(-80, 80))).astype("f4") / 4
    cuts = sorted(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=3, unique=True))) if n > 1 else []
    corners = draw(np_arrays(np.int64, (2, ndim), elements=st.integers(-84, 84))) / 4
    box = (tuple(corners.min(0).tolist()), tuple(corners.max(0).tolist()))
    return ndim, xyz, [0, *cuts, n], box


def _create(root: Path | None, kind: str, ndim: int, **kw):
    url = str(root / "zk.zv") if root is not None else f"memory://prop-{uuid.uuid4().hex}"
    return vx.create(url, kind, bounds=([LO] * ndim, [HI] * ndim), chunk_shape=(CHUNK,) * ndim,
                     axes=("x", "y", "z")[:ndim], **kw)


def _table(xyz, *cols) -> list[tuple]:
    t = np.column_stack([np.asarray(xyz, np.float64)] + [np.asarray(c, np.float64) for c in cols])
    return sorted(map(tuple, t.tolist()))


def _same_cells(zk: Path, zv: Path) -> None:
    ours, theirs = payloads(zk), payloads(zv)
    assert sorted(k for k in ours if "/zvx/" not in k) == sorted(theirs)
    assert [k for k in theirs if ours[k] != theirs[k]] == []


@sample(4, 300)
@given(clouds(), st.sampled_from([1, 2, 4]))
def test_anonymous_points_batches_box_and_cells(case, bpc):
    ndim, xyz, cuts, box = case
    index = np.arange(len(xyz), dtype="i4")  # an attribute that names its point
    zv = _zv()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if zv is not None else None
        s = _create(root, "points", ndim, bin_shape=(CHUNK / bpc,) * ndim)
        for a, b in zip(cuts[:-1], cuts[1:]):
            s.write_points(xyz[a:b], attributes={"i": index[a:b]})
        for query in (None, box):
            got = s.read_points(box=query)
            m = in_box(xyz, *query) if query is not None else np.ones(len(xyz), bool)
            # an empty selection comes back without attribute columns (test_empty_selection_keeps_columns)
            assert _table(got.xyz, got.attributes.get("i", np.zeros(0))) == _table(xyz[m], index[m])
        if zv is not None:  # appends rebuild bins: the cells are those of one zarr_vectors write of everything
            from zarr_vectors.types.points import write_points

            write_points(str(root / "zv.zv"), xyz, chunk_shape=(CHUNK,) * ndim, bin_shape=(CHUNK / bpc,) * ndim,
                         bounds=([LO] * ndim, [HI] * ndim), vertex_attributes={"i": index}, compressor="zstd")
            _same_cells(root / "zk.zv", root / "zv.zv")


@sample(4, 300)
@given(clouds(), st.lists(st.sampled_from([0, 3, 7, 2**40 + 1, 2**62]), min_size=1, max_size=4, unique=True),
       st.data())
def test_points_with_ids_batches_by_id_and_box(case, pool, data):
    ndim, xyz, cuts, box = case
    ids = np.asarray(data.draw(st.lists(st.sampled_from(pool), min_size=len(xyz), max_size=len(xyz))), np.int64)
    zv = _zv() if len(cuts) == 2 else None  # one write: zarr_vectors' id'd layout with bin = chunk
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if zv is not None else None
        s = _create(root, "points", ndim, ids=True)
        for a, b in zip(cuts[:-1], cuts[1:]):
            s.write_points(xyz[a:b], ids=ids[a:b])
        got = s.read_points(box=box)
        m = in_box(xyz, *box)
        assert _table(got.xyz, got.ids) == _table(xyz[m], ids[m])
        want = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        got = s.read_points(ids=want)
        order = [i for w in want for i in np.flatnonzero(ids == w)]
        assert got.ids.tolist() == ids[order].tolist()  # requested order, then the object's rows
        assert _table(got.xyz, got.ids) == _table(xyz[order], ids[order])
        assert s.objects().ids.tolist() == sorted(set(ids.tolist()))
        if zv is not None:
            from zarr_vectors.types.points import write_points

            write_points(str(root / "zv.zv"), xyz, chunk_shape=(CHUNK,) * ndim, bounds=([LO] * ndim, [HI] * ndim),
                         object_ids=ids, compressor="zstd")
            _same_cells(root / "zk.zv", root / "zv.zv")


def test_empty_selection_keeps_columns():
    s = _create(None, "points", 2)
    s.write_points(np.zeros((1, 2), "f4"), attributes={"i": np.zeros(1, "i4"), "rgb": np.zeros((1, 3), "u1")})
    got = s.read_points(box=((-5.0, -5.0), (-1.0, -1.0)))  # meets no stored chunk
    assert len(got.xyz) == 0 and got.attributes["i"].dtype == np.int32
    assert got.attributes["rgb"].shape == (0, 3) and got.attributes["rgb"].dtype == np.uint8


@st.composite
def line_sets(draw):
    ndim, xyz, _, box = draw(clouds(min_n=2, max_n=40))
    n = len(xyz)
    ends = sorted(draw(st.lists(st.integers(1, n - 1), max_size=5, unique=True)))
    offsets = [0, *ends, n]
    lines = [xyz[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
    batch_cuts = sorted(draw(st.lists(st.integers(1, max(1, len(lines) - 1)), max_size=2, unique=True))) \
        if len(lines) > 1 else []
    return ndim, lines, [0, *batch_cuts, len(lines)], box


@sample(4, 300)
@given(line_sets(), st.data())
def test_polylines_batches_by_id_and_box(case, data):
    ndim, lines, cuts, box = case
    zv = _zv() if len(cuts) == 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if zv is not None else None
        s = _create(root, "polylines", ndim)
        for a, b in zip(cuts[:-1], cuts[1:]):
            s.write_polylines(lines[a:b])
        got = s.read_polylines()
        assert got.ids.tolist() == list(range(len(lines)))
        assert [got.line(i).tolist() for i in range(len(got))] == [x.tolist() for x in lines]
        want = data.draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=3, unique=True))
        some = s.read_polylines(ids=want)
        assert some.ids.tolist() == want and [some.line(i).tolist() for i in range(len(want))] == \
            [lines[w].tolist() for w in want]
        inside = s.read_polylines(box=box, clip="inside")
        expect = []
        for line in lines:  # maximal runs of inside vertices, in line order
            edges = np.flatnonzero(np.diff(np.r_[0, in_box(line, *box).astype(int), 0]))
            expect += [line[a:b].tolist() for a, b in zip(edges[::2], edges[1::2])]
        assert [inside.line(i).tolist() for i in range(len(inside))] == expect
        if zv is not None:
            from zarr_vectors.types.polylines import write_polylines

            write_polylines(str(root / "zv.zv"), lines, chunk_shape=(CHUNK,) * ndim, bounds=([LO] * ndim, [HI] * ndim),
                            geometry_type="polyline", compressor="zstd")
            _same_cells(root / "zk.zv", root / "zv.zv")


@st.composite
def graphs(draw):
    ndim, xyz, cuts, box = draw(clouds(min_n=2, max_n=40))
    edges = []
    for a, b in zip(cuts[:-1], cuts[1:]):  # each batch is one object; its edges index its own nodes
        m = draw(st.integers(0, 2 * (b - a)))
        e = draw(np_arrays(np.int64, (m, 2), elements=st.integers(0, b - a - 1)))
        edges.append(e[e[:, 0] != e[:, 1]])
    return ndim, xyz, cuts, edges, box


@sample(4, 300)
@given(graphs())
def test_graph_batches_by_id_and_box(case):
    ndim, xyz, cuts, edges, box = case
    zv = _zv() if len(cuts) == 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) if zv is not None else None
        s = _create(root, "graph", ndim)
        for (a, b), e in zip(zip(cuts[:-1], cuts[1:]), edges):
            s.write_graph(xyz[a:b], e)
        every = np.concatenate([e + a for a, e in zip(cuts, edges)]) if edges else np.zeros((0, 2), np.int64)
        inside = s.read_graph(box=box)
        keep = in_box(xyz, *box)[every].all(1) if len(every) else np.zeros(0, bool)
        assert edge_set(inside.nodes, inside.edges) == edge_set(xyz, every[keep])
        for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
            g = s.read_graph(ids=[k])
            assert _table(g.nodes) == _table(xyz[a:b]) and edge_set(g.nodes, g.edges) == edge_set(xyz[a:b], edges[k])
        if zv is not None:
            from zarr_vectors.types.graphs import write_graph

            write_graph(str(root / "zv.zv"), xyz, edges[0], chunk_shape=(CHUNK,) * ndim,
                        bounds=([LO] * ndim, [HI] * ndim), compressor="zstd")
            _same_cells(root / "zk.zv", root / "zv.zv")


@st.composite
def meshes(draw):
    ndim, xyz, cuts, box = draw(clouds(min_n=3, max_n=40))
    width = draw(st.sampled_from([3, 4]))
    faces = []
    for a, b in zip(cuts[:-1], cuts[1:]):  # faces of distinct vertices of this batch, winding as drawn
        m = draw(st.integers(0, 2 * (b - a)))
        faces.append(np.array([draw(st.permutations(range(b - a)))[:width] for _ in range(m)], np.int64)
                     .reshape(-1, width) if b - a >= width else np.zeros((0, width), np.int64))
    return ndim, xyz, cuts, faces, box


@sample(4, 300)
@given(meshes())
def test_mesh_batches_by_id_and_box(case):
    from tests.vectors.truth import face_set

    ndim, xyz, cuts, faces, box = case
    width = faces[0].shape[1]
    s = _create(None, "mesh", ndim)
    for (a, b), f in zip(zip(cuts[:-1], cuts[1:]), faces):
        s.write_mesh(xyz[a:b], f)
    every = np.concatenate([f + a for a, f in zip(cuts, faces)])
    inside = s.read_mesh(box=box)
    keep = in_box(xyz, *box)[every].all(1) if len(every) else np.zeros(0, bool)
    assert inside.faces.shape[1:] == (width,) and face_set(inside.vertices, inside.faces) == face_set(xyz, every[keep])
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        m = s.read_mesh(ids=[k])
        assert _table(m.vertices) == _table(xyz[a:b]) and face_set(m.vertices, m.faces) == face_set(xyz[a:b], faces[k])


@sample(40, 2000)
@given(st.sampled_from([2, 3]), st.sampled_from([2, 3, 4]), st.data())
def test_link_placement_parity(ndim, width, data):
    """zarrkit's placement (array name, source cell, stored row, Lehmer code, input order)
    equals zarr_vectors' ``partition_records_by_offset`` for undirected delta-0 records."""
    zv_boundary = pytest.importorskip("zarr_vectors.spatial.boundary")
    from zarrkit.vectors.links import place
    from zarrkit.vectors.profile import Grid

    m = data.draw(st.integers(1, 12))
    cells = data.draw(np_arrays(np.int64, (m, width, ndim), elements=st.integers(-2, 2)))
    rows = data.draw(np_arrays(np.int64, (m, width), elements=st.integers(0, 4)))
    ours = {}
    for name, p in place(cells, rows, Grid([1.0] * ndim, [[-2.0] * ndim, [2.0] * ndim])).items():
        for src, row, idx in zip(p.sources.tolist(), p.rows.tolist(), p.index.tolist()):
            code, vi = (row[0], row[1:]) if p.has_perm else (0, row)
            ours.setdefault((name, tuple(src)), []).append((vi, code, idx))
    records = [[(tuple(c), int(r)) for c, r in zip(cells[i].tolist(), rows[i].tolist())] for i in range(m)]
    theirs = zv_boundary.partition_records_by_offset(records, width, ndim, scale_src=[1] * ndim,
                                                     scale_trg=[1] * ndim)
    assert ours == {k: [(list(v), int(c), int(i)) for v, c, i in recs] for k, recs in theirs.items()}
