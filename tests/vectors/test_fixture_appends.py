"""zarrkit appends to every store zarr_vectors 0.9.2 wrote (the committed fixtures): zarrkit
reads old and new exactly; where zarr_vectors is installed it reads them too and its
validator (level 5) reports no errors.  Appending onto a foreign store is where zarrkit's own
writer options are absent (a float64 store once got float32 rows)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors import make_fixtures as mf
from tests.vectors.helpers import rows
from tests.vectors.truth import edge_set, face_set

CASES = [c for c in mf.CASES if c not in mf.READ_ONLY]


def _zv():
    try:
        import zarr_vectors
        from zarr_vectors.validate import validate
    except ImportError:
        return None, None
    return zarr_vectors, validate


@pytest.mark.parametrize("case", CASES)
def test_append_to_a_zarr_vectors_store(case, tmp_path):
    path = str(tmp_path / f"{case}.zv")
    shutil.copytree(mf.FIXTURES / f"{case}.zv", path)
    e, s = mf.inputs(case), vx.open(path, "r+")
    rng = np.random.default_rng(100 + CASES.index(case))
    ndim = e["positions"].shape[1]
    more = rng.uniform(1, 39, (9, ndim)).astype(e["positions"].dtype) * (1 if ndim == 3 else 1.5)
    zv, validate = _zv()
    kind = mf.KIND[case]
    if case in ("points_ids", "pyramid"):
        first = int(e["object_ids"][0])
        ids = np.r_[[first] * 4, [77] * 5]
        s.write_points(more, ids=ids, on_pyramid="drop")  # the pyramid's zarr_vectors levels are dropped
        xyz, oid = np.r_[e["positions"], more], np.r_[e["ids"], ids]
        got = vx.open(path).read_points()
        assert rows(np.c_[got.xyz, got.ids]) == rows(np.c_[xyz.astype(float), oid])
        assert vx.open(path).levels() == [0]
        if zv is not None:
            assert rows(zv.open(path).select(objects=[first]).read().positions) == rows(xyz[oid == first])
            assert rows(zv.open(path).read().positions) == rows(xyz)
    elif kind == "points":
        attrs = {"intensity": np.ones(9, "f4"), "rgb": np.ones((9, 3), "u1")} if case == "points" else \
            {"label": np.array(["soma", "glia", "axon"] * 3)}
        s.write_points(more, attributes=attrs)
        xyz = np.r_[e["positions"], more]
        assert rows(vx.open(path).read_points().xyz) == rows(xyz)
        if zv is not None:
            assert rows(zv.open(path).read().positions) == rows(xyz)
    elif kind in ("polylines", "streamlines"):
        extra = {"attributes": {"fa": np.ones(9, "f4")}, "object_attributes": {"length": np.array([3.0])}} \
            if kind == "streamlines" else {}
        s.write_polylines([more], **extra)
        lines = [x.tolist() for x in mf.split_lines(e) + [more]]
        got = vx.open(path).read_polylines()
        assert [got.line(i).tolist() for i in range(len(got))] == lines
        if zv is not None:
            assert [np.asarray(x).tolist() for x in zv.open(path).read().polylines] == lines
    elif kind == "graph":
        edges = np.c_[np.arange(8), np.arange(1, 9)]
        s.write_graph(more, edges, edge_attributes={"weight": np.ones(8, "f4")})
        want = edge_set(e["positions"], e["edges"]) | edge_set(more, edges)
        g = vx.open(path).read_graph()
        assert edge_set(g.nodes, g.edges) == want and s.objects().ids.tolist() == [0, 1]
        if zv is not None:
            r = zv.open(path).read()
            assert edge_set(r.positions, r.edges) == want
    else:
        faces = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [1, 8, 5, 2]])[:, :e["faces"].shape[1]]
        s.write_mesh(more, faces)
        want = face_set(e["positions"], e["faces"]) | face_set(more, faces)
        m = vx.open(path).read_mesh()
        assert face_set(m.vertices, m.faces) == want
        if zv is not None:
            r = zv.open(path).read()
            assert face_set(r.positions, r.faces) == want
    if validate is not None:
        assert list(validate(path, level=5).errors) == []
