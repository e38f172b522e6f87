"""Box reads of polylines, graphs and meshes read only the chunks whose bounds can meet the box
(spec §3.3, "candidates without a scan"), counted at the store, and still equal the answer
computed from the full input with numpy."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box
from tests.vectors.test_geom_clip import check_graph_box, check_mesh_box, graph_store, mesh_store
from zarrkit.vectors.clip import clip_line

B = ([0.0] * 3, [100.0] * 3)
C = 12.5


class Reads:
    """Chunk keys fetched from a store, by array path."""

    def __init__(self, monkeypatch, store) -> None:
        self.keys: list[str] = []
        get, get_many = store.get, store.get_many

        def counting_get(key, *a, **k):
            self.keys.append(key)
            return get(key, *a, **k)

        def counting_get_many(keys, *a, **k):
            self.keys.extend(keys)
            return get_many(keys, *a, **k)

        monkeypatch.setattr(store, "get", counting_get)
        monkeypatch.setattr(store, "get_many", counting_get_many)

    def cells(self, array: str) -> set[tuple[int, ...]]:
        prefix = f"0/{array}/c/"
        return {tuple(int(v) for v in k[len(prefix):].split("/")) for k in self.keys if k.startswith(prefix)}

    def clear(self) -> None:
        self.keys.clear()


def chunks_of(x) -> set[tuple[int, ...]]:
    return set(map(tuple, np.floor(np.asarray(x, np.float64) / C).astype(int).tolist()))


def in_range(cells, box) -> set[tuple[int, ...]]:
    clo, chi = (np.floor(np.asarray(b, np.float64) / C).astype(int) for b in box)
    return {c for c in cells if all(a <= v <= b for a, v, b in zip(clo, c, chi))}


def lines_input(seed=5, n=30):
    rng = np.random.default_rng(seed)
    return [np.clip(np.cumsum(rng.normal(0, 6, (int(k), 3)), 0) + rng.uniform(10, 90, 3), 0, 100).astype("f4")
            for k in rng.integers(2, 60, n)]


def expected_parts(lines, box, clip):
    lo, hi = (np.asarray(b, np.float64) for b in box)
    out = []
    for i, line in enumerate(lines):
        if clip == "exact":
            out += [(i, p.tolist(), ins.tolist()) for p, _, ins in clip_line(line, {}, lo, hi)]
        elif clip == "inside":
            m = in_box(line, lo, hi)
            edges = np.flatnonzero(np.diff(np.r_[0, m.astype(int), 0]))
            out += [(i, line[a:b].tolist(), [False] * (b - a)) for a, b in zip(edges[::2], edges[1::2])]
        elif clip_line(line, {}, lo, hi):
            out.append((i, line.tolist(), [False] * len(line)))
    return out


def test_polyline_box_reads_only_candidate_chunks(tmp_path, monkeypatch):
    lines = lines_input()
    s = vx.create(str(tmp_path / "p.zv"), "polylines", bounds=B, chunk_shape=(C,) * 3)
    s.write_polylines(lines, attributes={"t": np.concatenate([np.arange(len(x), dtype="f4") for x in lines])})
    s = vx.open(str(tmp_path / "p.zv"))
    every = chunks_of(np.concatenate(lines))
    reads = Reads(monkeypatch, s.store)
    rng = np.random.default_rng(8)
    boxes = [((40.0, 40.0, 40.0), (55.0, 55.0, 55.0))] + \
        [tuple(map(tuple, np.sort(rng.uniform(0, 100, (2, 3)), axis=0).tolist())) for _ in range(5)]
    for box in boxes:
        for clip in ("inside", "whole", "exact"):
            reads.clear()
            got = s.read_polylines(box=box, clip=clip)
            parts = [(int(got.ids[i]), got.line(i).astype(np.float64).tolist(),
                      got.inserted[got.offsets[i]:got.offsets[i + 1]].tolist()) for i in range(len(got))]
            assert parts == expected_parts(lines, box, clip), (box, clip)
            read = reads.cells("vertices")
            assert read == reads.cells("vertex_fragments")
            if clip == "inside":  # exactly the occupied chunks of the box's range
                assert read == in_range(every, box)
            else:
                assert read >= in_range(every, box)
        if box is boxes[0]:
            assert len(read) < len(every) / 4, "a small box must not read most chunks"


def graph_cells(parts, box):
    """Vertex chunks a graph/mesh box read needs: occupied chunks of the box's range whose tight
    bounds (zarrkit's extras) meet the box, plus, unless clip is inside, the chunks of every
    element whose chunk hull meets the range."""
    lo, hi = (np.asarray(b, np.float64) for b in box)
    clo, chi = (np.floor(b / 25.0).astype(int) for b in (lo, hi))
    nodes = np.concatenate([p[0] for p in parts]).astype(np.float64)
    cells = np.floor(nodes / 25.0).astype(int)
    inside = set()
    for c in set(map(tuple, cells.tolist())):
        if all(a <= v <= b for a, v, b in zip(clo, c, chi)):
            x = nodes[np.all(cells == c, axis=1)]
            if np.all(x.min(0) <= hi) and np.all(x.max(0) >= lo):
                inside.add(c)
    extra = set()
    for p in parts:
        ends = np.floor(p[0].astype(np.float64) / 25.0).astype(int)[p[1]]
        meets = np.all((ends.min(1) <= chi) & (ends.max(1) >= clo), axis=1)
        extra |= set(map(tuple, ends[meets].reshape(-1, 3).tolist()))
    return inside, inside | extra


def _vertex_cells(reads):
    return {tuple(c) for c in reads.cells("vertices")}


@pytest.mark.parametrize("kind", ["graph", "mesh"])
def test_linked_box_reads_only_candidate_chunks(tmp_path, monkeypatch, kind):
    if kind == "graph":
        s, parts = graph_store(tmp_path / "g.zv", seed=3)
    else:
        s, parts = mesh_store(tmp_path / "m.zv", 3)
    s = vx.open(s.store.root)
    reads = Reads(monkeypatch, s.store)
    total = len(s.cells(0, "vertices").nonempty())
    for box in (((5.0, 5.0, 5.0), (20.0, 20.0, 20.0)), ((30.0, 10.0, 40.0), (70.0, 45.0, 60.0))):
        inside_cells, whole_cells = graph_cells(parts, box)
        for clip in ("inside", "whole", "exact"):
            reads.clear()
            (s.read_graph if kind == "graph" else s.read_mesh)(box=box, clip=clip)
            assert _vertex_cells(reads) == (inside_cells if clip == "inside" else whole_cells), clip
        assert len(inside_cells) < total
        (check_graph_box if kind == "graph" else check_mesh_box)(s, parts, box)
