"""Graph and mesh box reads in every clip mode against a brute-force reference computed from
the input arrays with plain Python geometry (spec §3.3: every box read equals the numpy
selection).  Random boxes from a seeded generator, plus a small hypothesis sample;
``ZARRKIT_FUZZ=nightly`` runs many more examples."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box
from tests.vectors.test_linked import torus

B = ([0.0] * 3, [100.0] * 3)
NIGHTLY = os.environ.get("ZARRKIT_FUZZ") == "nightly"


# ---------------------------------------------------------------------------- scalar reference geometry
def ref_segment(a, b, lo, hi):
    """Liang–Barsky in plain floats: the clipped (p, q) or None."""
    t0, t1 = 0.0, 1.0
    for k in range(len(a)):
        d = b[k] - a[k]
        if d == 0:
            if a[k] < lo[k] or a[k] > hi[k]:
                return None
            continue
        u, v = (lo[k] - a[k]) / d, (hi[k] - a[k]) / d
        t0, t1 = max(t0, min(u, v)), min(t1, max(u, v))
    if t0 > t1:
        return None
    return [a[k] + t0 * (b[k] - a[k]) for k in range(len(a))], [a[k] + t1 * (b[k] - a[k]) for k in range(len(a))]


def ref_polygon(poly, lo, hi):
    """Sutherland–Hodgman in plain floats: the clipped polygon's corners (may be empty)."""
    out = [list(p) for p in poly]
    for k in range(len(lo)):
        for bound, ge in ((lo[k], True), (hi[k], False)):
            src, out = out, []
            for i, p in enumerate(src):
                q = src[(i + 1) % len(src)]
                pin = p[k] >= bound if ge else p[k] <= bound
                qin = q[k] >= bound if ge else q[k] <= bound
                if pin:
                    out.append(p)
                if pin != qin:
                    t = (bound - p[k]) / (q[k] - p[k])
                    out.append([p[j] + t * (q[j] - p[j]) for j in range(len(p))])
            if not out:
                return []
    return out


def vector_area(poly) -> np.ndarray:
    p = np.asarray(poly, np.float64)
    if len(p) < 3:
        return np.zeros(3)
    return 0.5 * np.sum(np.cross(p - p[0], np.roll(p, -1, axis=0) - p[0]), axis=0)


def face_set(xyz, faces):
    out = set()
    for f in faces:
        pts = [tuple(p) for p in np.asarray(xyz, np.float64)[f].tolist()]
        k = pts.index(min(pts))
        out.add(tuple(pts[k:] + pts[:k]))
    return out


# ---------------------------------------------------------------------------- fixtures
def graph_store(path=None, seed=0):
    """A graph store of two objects (in memory unless ``path``) and its input arrays."""
    rng = np.random.default_rng(seed)
    parts = []
    s = vx.create(str(path) if path else "memory://", "graph", bounds=B, chunk_shape=(25.0,) * 3)
    for obj, n in enumerate((50, 30)):
        nodes = rng.uniform(0, 100, (n, 3)).astype("f4")
        edges = rng.integers(0, n, (2 * n, 2))
        edges = edges[edges[:, 0] != edges[:, 1]]
        w = rng.normal(size=len(edges)).astype("f4")
        t = rng.uniform(0, 1, n).astype("f4")
        s.write_graph(nodes, edges, attributes={"t": t}, edge_attributes={"w": w})
        parts.append((nodes, edges, w, t, obj))
    return s, parts


def random_box(rng):
    a, b = rng.uniform(-10, 110, (2, 3))
    return tuple(np.minimum(a, b).tolist()), tuple(np.maximum(a, b).tolist())


def _edges_of(g):
    return sorted(((tuple(map(tuple, g.nodes[e].astype(np.float64).tolist())), float(w))
                   for e, w in zip(g.edges, g.edge_attributes["w"])), key=lambda r: (r[1], r[0]))


def check_graph_box(s, parts, box, ids=None):
    lo, hi = box
    want = {"inside": [], "whole": [], "exact": []}
    inside_nodes = []
    for nodes, edges, w, _, obj in parts:
        if ids is not None and obj not in ids:
            continue
        x = nodes.astype(np.float64)
        m = in_box(x, lo, hi)
        inside_nodes += [tuple(p) for p in x[m].tolist()]
        for e, wi in zip(edges, w.tolist()):
            a, b = x[e[0]].tolist(), x[e[1]].tolist()
            pair = (tuple(a), tuple(b))
            if m[e].all():
                want["inside"].append((pair, wi))
            cut = ref_segment(a, b, lo, hi)
            if m[e].any() or cut is not None:
                want["whole"].append((pair, wi))
                want["exact"].append((tuple(map(tuple, cut)), wi))
    for clip in ("inside", "whole"):
        g = s.read_graph(box=box, clip=clip, ids=ids)
        assert _edges_of(g) == sorted(want[clip], key=lambda r: (r[1], r[0])), clip
        kept = g.nodes[g.inside].astype(np.float64)
        assert sorted(map(tuple, kept.tolist())) == sorted(inside_nodes)
    g = s.read_graph(box=box, clip="exact", ids=ids)
    got = _edges_of(g)
    assert len(got) == len(want["exact"])
    for (gp, gw), (wp, ww) in zip(got, sorted(want["exact"], key=lambda r: (r[1], r[0]))):
        assert gw == ww and np.allclose(gp, wp, rtol=0, atol=1e-9)
    assert np.all(in_box(g.nodes, lo, hi))
    orig = g.nodes[~g.inserted]
    assert set(map(tuple, orig.tolist())) >= set(inside_nodes)
    if len(g.nodes):  # inserted points lie on the box surface and interpolate the float attribute
        on_face = np.any(np.isclose(g.nodes[g.inserted], lo) | np.isclose(g.nodes[g.inserted], hi), axis=1)
        assert on_face.all()


def test_graph_clip_modes_equal_brute_force():
    s, parts = graph_store()
    rng = np.random.default_rng(1)
    for _ in range(4):
        check_graph_box(s, parts, random_box(rng))
    check_graph_box(s, parts, random_box(rng), ids=[1])
    check_graph_box(s, parts, ((0.0,) * 3, (100.0,) * 3))
    check_graph_box(s, parts, ((30.0, 30.0, 30.0), (30.0, 30.0, 30.0)))  # a point box


_STORES: dict[int, tuple] = {}


@settings(max_examples=60 if NIGHTLY else 5, deadline=None)
@given(st.integers(0, 60 if NIGHTLY else 1), st.integers(0, 2**16))
def test_graph_clip_property(seed, box_seed):
    if seed not in _STORES:
        _STORES[seed] = graph_store(seed=seed)
    s, parts = _STORES[seed]
    check_graph_box(s, parts, random_box(np.random.default_rng(box_seed)), ids=[0] if box_seed % 3 == 0 else None)


def mesh_store(path, width, seed=0):
    """A torus (object 0) and two large faces (object 1), in memory unless ``path``."""
    verts, quads = torus(16, 10)
    rng = np.random.default_rng(seed)
    faces = quads if width == 4 else np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]
    big = rng.uniform(0, 100, (6, 3)).astype("f4")  # a second object: few faces spanning many chunks
    big_faces = np.array([[0, 1, 2, 3], [2, 3, 4, 5]])[:, :width]
    s = vx.create(str(path) if path else "memory://", "mesh", bounds=B, chunk_shape=(25.0,) * 3)
    s.write_mesh(verts, faces, attributes={"t": np.arange(len(verts), dtype="f4")})
    s.write_mesh(big, big_faces, attributes={"t": np.arange(len(big), dtype="f4")})
    return s, [(verts, faces, 0), (big, big_faces, 1)]


def check_mesh_box(s, parts, box):
    lo, hi = box
    inside, whole, areas = [], [], []
    for verts, faces, _ in parts:
        x = verts.astype(np.float64)
        m = in_box(x, lo, hi)
        for f in faces:
            clipped = ref_polygon(x[f].tolist(), lo, hi)
            if m[f].all():
                inside.append(f)
            if m[f].any() or clipped:
                whole.append(x[f])
                areas.append(vector_area(clipped) if not m[f].all() else vector_area(x[f]))
    g = s.read_mesh(box=box, clip="inside")
    truth = set()
    for verts, faces, _ in parts:
        m = in_box(verts, lo, hi)
        truth |= face_set(verts, faces[m[faces].all(1)])
    assert face_set(g.vertices, g.faces) == truth
    g = s.read_mesh(box=box, clip="whole")
    assert face_set(g.vertices, g.faces) == {next(iter(face_set(w, [np.arange(len(w))]))) for w in whole}
    g = s.read_mesh(box=box, clip="exact")
    assert g.faces.shape[1] == 3 and np.all(in_box(g.vertices, lo, hi))
    got = np.zeros(3)
    if len(g.faces):
        p = g.vertices[g.faces]
        got = 0.5 * np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]).sum(axis=0)
        # original corners come back as themselves; the others lie on the box surface
        cut = g.vertices[g.inserted]
        assert np.all(np.any(np.isclose(cut, lo) | np.isclose(cut, hi), axis=1))
    expect = np.sum(areas, axis=0) if areas else np.zeros(3)
    assert np.allclose(got, expect, rtol=1e-9, atol=1e-6)
    t = g.attributes["t"]
    assert t.shape == (len(g.vertices),) and np.all(np.isfinite(t))


@pytest.mark.parametrize("width", [3, 4])
def test_mesh_clip_modes_equal_brute_force(width):
    s, parts = mesh_store(None, width)
    rng = np.random.default_rng(2)
    for _ in range(4):
        check_mesh_box(s, parts, random_box(rng))
    check_mesh_box(s, parts, ((40.0, 0.0, 40.0), (60.0, 100.0, 60.0)))


def test_inside_box_equals_the_float64_selection():
    from zarrkit.vectors.fast import inside_box

    rng = np.random.default_rng(4)
    for t in range(60):
        x = rng.uniform(-5, 5, (500, 3)).astype("f4")
        if t % 2:  # values on a grid, so bounds land exactly on some of them
            x = np.round(x, 1).astype("f4")
        lo = rng.uniform(-5, 5, 3)
        hi = lo + rng.uniform(0, 5, 3)
        if t % 3 == 0:
            lo, hi = np.round(lo, 1), np.round(hi, 1)
        for arr in (x, x.astype(np.float64)):
            assert np.array_equal(inside_box(arr, lo, hi), in_box(arr, lo, hi))
