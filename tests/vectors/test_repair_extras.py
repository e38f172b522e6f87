"""``zarrkit vectors check --repair`` rebuilds zarrkit's extras (``zvx``) of a level that a
writer not maintaining them changed: chunk table, ``fragment_objects`` and ``object_bbox``
equal what numpy computes from the inputs, and reads use them again (spec §2.11, §3.2)."""

from __future__ import annotations

import warnings

import numpy as np
from typer.testing import CliRunner

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box
from tests.vectors.truth import edge_set
from zarrkit import core
from zarrkit.cli.main import app
from zarrkit.errors import StaleExtrasWarning
from zarrkit.vectors.zvx import Extras


def _check(path):
    out = CliRunner().invoke(app, ["vectors", "check", str(path), "--repair"])
    assert out.exit_code == 0, out.output
    return out.output


def test_repair_rebuilds_stale_extras(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "g.zv"
    parts = [(rng.uniform(0, 100, (n, 3)).astype("f4"), rng.integers(0, n, (n, 2))) for n in (30, 20, 25)]
    s = vx.create(str(path), "graph", bounds=([0.0] * 3, [100.0] * 3), chunk_shape=(50.0,) * 3)
    s.write_graph(*parts[0])
    other = vx.open(str(path), "r+")
    other.options["extras"] = False  # a writer that does not keep zarrkit's extras in step
    other.write_graph(*parts[1], ids=5)
    other.write_graph(*parts[2], ids=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Extras.load(vx.open(str(path)), 0) is None
    assert any(issubclass(w.category, StaleExtrasWarning) for w in caught)
    assert "0/zvx: stale extras rebuilt" in _check(path)
    s = vx.open(str(path))
    extras = Extras.load(s, 0)
    assert extras is not None and "vertex_ids" not in extras.attrs["arrays"]
    xyz = np.concatenate([p[0] for p in parts]).astype(np.float64)
    owner = np.repeat([0, 5, 2], [len(p[0]) for p in parts])
    coords, counts, bbox = extras.chunk_table()
    cells = np.floor(xyz / 50.0).astype(np.int64)
    for c, n, bb in zip(coords.tolist(), counts.tolist(), bbox):
        m = np.all(cells == c, axis=1)
        assert n == int(m.sum()) and np.array_equal(bb, [xyz[m].min(0), xyz[m].max(0)])
    assert int(counts.sum()) == len(xyz)
    obb = core.read_region(s.store, "0/zvx/object_bbox", ...)
    for row, o in enumerate(s.objects().ids.tolist()):
        assert np.array_equal(obb[row], [xyz[owner == o].min(0), xyz[owner == o].max(0)])
    edges = np.concatenate([parts[0][1], parts[1][1] + 30, parts[2][1] + 50])
    box = ((0.0, 10.0, 20.0), (70.0, 100.0, 90.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleExtrasWarning)  # reads trust the rebuilt extras
        g = s.read_graph(box=box, ids=[5])
    m = in_box(xyz, *box) & (owner == 5)
    assert edge_set(g.nodes, g.edges) == edge_set(xyz, edges[m[edges].all(1)])
    assert np.array_equal(np.sort(g.ids), np.full(int(m.sum()), 5))
    assert "repair: 0 fixes" in _check(path)


def test_repair_restores_extras_dropped_by_a_bounds_expansion(tmp_path):
    path = tmp_path / "p.zv"
    s = vx.create(str(path), "points", bounds=([0.0, 0.0], [9.0, 9.0]), chunk_shape=(5.0, 5.0))
    s.write_points(np.array([[1.0, 1.0], [6.0, 7.0]]))
    s.write_points(np.array([[-3.0, 2.0]]), on_out_of_bounds="expand")  # the low side moved: zvx dropped
    assert Extras.load(vx.open(str(path)), 0) is None
    assert "0/zvx: missing extras rebuilt" in _check(path)
    coords, counts, _ = Extras.load(vx.open(str(path)), 0).chunk_table()
    assert coords.tolist() == [[-1, 0], [0, 0], [1, 1]] and counts.tolist() == [1, 1, 1]
