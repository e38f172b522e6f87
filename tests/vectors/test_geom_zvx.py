"""zarrkit's extras under ``<k>/zvx/`` (spec §2.11): their contents against numpy, zarr_vectors
still reading and validating the store, box reads using them (fewer chunks, no manifests),
and stale extras ignored with a warning, then dropped."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box, rows, zv_or_skip, zv_validate_errors
from tests.vectors.test_geom_prune import Reads
from tests.vectors.test_linked import torus, walks
from zarrkit import core
from zarrkit.errors import NodeNotFoundError, StaleExtrasWarning
from zarrkit.vectors.objects import ObjectIndex
from zarrkit.vectors.zvx import Extras

B = ([0.0] * 3, [100.0] * 3)
C = 25.0


def _write(kind, path, rng):
    """Two appends of one kind; returns the store, all vertices and their object ids (or None)."""
    s = vx.create(str(path), "points" if kind == "ids" else kind, bounds=B, chunk_shape=(C,) * 3,
                  ids=True if kind == "ids" else None)
    if kind == "points":
        x = rng.uniform(0, 100, (600, 3)).astype("f4")
        s.write_points(x[:400]), s.write_points(x[400:])
        return s, x, None
    if kind == "ids":
        x = rng.uniform(0, 100, (600, 3)).astype("f4")
        ids = rng.integers(0, 30, 600) * 7
        s.write_points(x[:400], ids=ids[:400]), s.write_points(x[400:], ids=ids[400:])
        return s, x, ids
    if kind == "polylines":
        a, b = walks(4, (30, 12, 50)), walks(5, (9, 40))
        s.write_polylines(a), s.write_polylines(b)
        lines = a + b
        return s, np.concatenate(lines), np.repeat(np.arange(len(lines)), [len(x) for x in lines])
    if kind == "graph":
        n1, n2 = rng.uniform(0, 100, (40, 3)).astype("f4"), rng.uniform(0, 100, (25, 3)).astype("f4")
        s.write_graph(n1, rng.integers(0, 40, (60, 2))), s.write_graph(n2, rng.integers(0, 25, (30, 2)))
        return s, np.r_[n1, n2], np.r_[np.zeros(40, int), np.ones(25, int)]
    verts, quads = torus()
    s.write_mesh(verts, quads[:50]), s.write_mesh(verts, quads[50:])
    return s, np.r_[verts, verts], np.r_[np.zeros(len(verts), int), np.ones(len(verts), int)]


@pytest.mark.parametrize("kind", ["points", "ids", "polylines", "graph", "mesh"])
def test_extras_match_numpy_and_zarr_vectors_still_reads(tmp_path, kind):
    s, x, owner = _write(kind, tmp_path / "s.zv", np.random.default_rng(3))
    ex = Extras.load(s, 0)
    assert ex is not None
    coords, counts, bbox = ex.chunk_table()
    cells = np.floor(x.astype(np.float64) / C).astype(int)
    want = sorted(set(map(tuple, cells.tolist())))
    assert [tuple(c) for c in coords.tolist()] == want
    for c, n, bb in zip(want, counts, bbox):
        m = np.all(cells == c, axis=1)
        assert n == m.sum()
        assert np.array_equal(bb, np.stack([x[m].min(0), x[m].max(0)]).astype(np.float64))
    index = ObjectIndex.read(s.store, "0")
    if owner is None:
        assert not ex.has_objects() and index is None
    else:  # fragment owners agree with the manifests; object bounds with numpy
        from_manifests = index.fragment_owners(3, s.root.grid, want)
        from_extras = ex.fragment_objects(want)
        assert all(np.array_equal(from_manifests[c], from_extras[c]) for c in want)
        obb = core.read_region(s.store, "0/zvx/object_bbox", ...)
        for i, oid in enumerate(index.ids.tolist()):
            m = owner == oid
            assert np.array_equal(obb[i], np.stack([x[m].min(0), x[m].max(0)]).astype(np.float64))
    assert "zvx" not in s.level_info(0).arrays_present
    zv = zv_or_skip()
    got = zv.open(str(tmp_path / "s.zv")).read()
    if kind in ("points", "ids"):
        assert rows(got.positions) == rows(x)
    assert zv_validate_errors(tmp_path / "s.zv") == []


def test_box_reads_use_the_extras(tmp_path, monkeypatch):
    rng = np.random.default_rng(11)
    centres = rng.uniform(5, 95, (12, 3))
    x = (centres[rng.integers(0, 12, 3000)] + rng.normal(0, 1.5, (3000, 3))).clip(0, 100).astype("f4")
    ids = rng.integers(0, 50, len(x))
    s = vx.create(str(tmp_path / "c.zv"), "points", bounds=B, chunk_shape=(C,) * 3, ids=True)
    s.write_points(x, ids=ids)
    s = vx.open(str(tmp_path / "c.zv"))
    reads = Reads(monkeypatch, s.store)
    box = ((20.0, 20.0, 20.0), (80.0, 80.0, 80.0))
    got = s.read_points(box=box)
    m = in_box(x, *box)
    assert rows(np.c_[got.xyz, got.ids]) == rows(np.c_[x[m], ids[m]])
    assert not [k for k in reads.keys if "object_index/manifests" in k], "box reads take owners from the extras"
    occupied = set(map(tuple, np.floor(x.astype(np.float64) / C).astype(int).tolist()))
    in_range = {c for c in occupied if all(0 <= v <= 3 for v in c)}
    assert reads.cells("vertices") < in_range  # clusters missing the box: their chunks are not read


def test_stale_extras_are_ignored_then_dropped(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, (500, 3)).astype("f4")
    ids = rng.integers(0, 10, 500)
    s = vx.create(str(tmp_path / "p.zv"), "points", bounds=B, chunk_shape=(C,) * 3, ids=True)
    s.write_points(x[:300], ids=ids[:300])
    # another tool changes ZV-visible metadata: the fingerprint no longer matches
    core.update_attributes(s.store, "0/object_index", {"num_objects": 99})
    box = ((10.0, 10.0, 10.0), (60.0, 70.0, 80.0))
    with pytest.warns(StaleExtrasWarning):
        got = s.read_points(box=box)
    m = in_box(x[:300], *box)
    assert rows(np.c_[got.xyz, got.ids]) == rows(np.c_[x[:300][m], ids[:300][m]])
    s.write_points(x[300:], ids=ids[300:])  # a zarrkit write drops what it cannot trust
    with pytest.raises(NodeNotFoundError):
        core.read_metadata(s.store, "0/zvx")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleExtrasWarning)
        got = s.read_points(box=box)
    m = in_box(x, *box)
    assert rows(np.c_[got.xyz, got.ids]) == rows(np.c_[x[m], ids[m]])


def test_extras_off_and_after_expanding_bounds():
    x = np.random.default_rng(6).uniform(0, 100, (200, 3)).astype("f4")
    s = vx.create("memory://", "points", bounds=B, chunk_shape=(C,) * 3, extras=False)
    s.write_points(x)
    with pytest.raises(NodeNotFoundError):
        core.read_metadata(s.store, "0/zvx")
    s = vx.create("memory://", "points", bounds=B, chunk_shape=(C,) * 3)
    s.write_points(x)
    s.write_points(np.array([[-30.0, 5.0, 5.0]], "f4"), on_out_of_bounds="expand")
    assert Extras.load(s, 0) is None  # laid out on the old grid: dropped, never misread
    got = s.read_points(box=((-40.0, 0.0, 0.0), (50.0, 50.0, 50.0)))
    assert len(got.xyz) == int(in_box(x, (-40.0, 0.0, 0.0), (50.0, 50.0, 50.0)).sum()) + 1


def test_pyramid_levels_keep_valid_extras():
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 100, (3000, 3)).astype("f4")
    ids = rng.integers(0, 40, len(x))
    s = vx.create("memory://", "points", bounds=B, chunk_shape=(C,) * 3, ids=True)
    s.write_points(x, ids=ids)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleExtrasWarning)
        s.build_pyramid(levels=2, sparsity=2.0)  # absent objects join each level's index afterwards
        for k in (1, 2):
            ex = Extras.load(s, k)
            assert ex is not None and ex.has_objects()
            p = s.read_points(level=k)
            obb = core.read_region(s.store, f"{k}/zvx/object_bbox", ...)
            index = ObjectIndex.read(s.store, str(k))
            assert len(obb) == len(index) == 40
            for i, oid in enumerate(index.ids.tolist()):
                m = p.ids == oid
                want = np.stack([p.xyz[m].min(0), p.xyz[m].max(0)]) if m.any() else np.full((2, 3), np.nan)
                assert np.array_equal(obb[i], want, equal_nan=True)
            box = ((10.0, 20.0, 30.0), (70.0, 60.0, 90.0))
            got = s.read_points(level=k, box=box)
            inb = in_box(p.xyz, *box)
            assert rows(np.c_[got.xyz, got.ids]) == rows(np.c_[p.xyz[inb], p.ids[inb]])
