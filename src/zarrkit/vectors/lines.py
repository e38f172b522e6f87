"""Polylines and streamlines (spec §2.8): split at chunk boundaries without inserting
vertices, one fragment per maximal same-chunk run, manifests in traversal order, and one
undirected width-2 record per chunk transition.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "streamlines", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> line = np.array([[1, 1], [6, 1], [6, 6], [1, 2]], "f4")
    >>> _ = s.write_polylines([line])
    >>> p = s.read_polylines(ids=[0])
    >>> p.vertices.tolist() == line.tolist(), p.offsets.tolist()
    (True, [0, 4])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from zarrkit.errors import VectorInputError
from zarrkit.vectors.inputs import check_vertices, prepare_attributes, strings_of
from zarrkit.vectors.level import VertexCells, arrays_present
from zarrkit.vectors.links import place, write_records
from zarrkit.vectors.objects import (
    ObjectIndex,
    read_groups,
    read_object_attributes,
    write_groups,
    write_object_attributes,
)
from zarrkit.vectors.points import WriteReport, write_grouped

__all__ = ["Polylines", "read_polylines", "write_polylines"]


@dataclass
class Polylines:
    """Polylines as flat ``vertices`` with ``offsets (P+1,)``; ``ids`` per polyline (or part)."""

    vertices: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    object_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    inserted: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def line(self, i: int) -> np.ndarray:
        return self.vertices[self.offsets[i]:self.offsets[i + 1]]


def _flatten(vs, lines, offsets):
    if offsets is not None:
        verts = np.asarray(lines)
        offsets = np.asarray(offsets, np.int64)
    else:
        lines = [np.asarray(x) for x in lines]
        if any(x.ndim != 2 or x.shape[1] != vs.ndim for x in lines):
            raise VectorInputError(f"every polyline must be (n, {vs.ndim})", url=vs.store.url, path="0")
        verts = np.concatenate(lines) if lines else np.zeros((0, vs.ndim))
        offsets = np.r_[0, np.cumsum([len(x) for x in lines])].astype(np.int64)
    if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != len(verts) or np.any(np.diff(offsets) < 1):
        raise VectorInputError("offsets must start at 0, end at the vertex count and give every polyline >= 1 vertex",
                               url=vs.store.url, path="0")
    return verts, offsets


def write_polylines(vs, lines, *, offsets=None, attributes=None, object_attributes=None, ids=None, groups=None,
                    on_out_of_bounds="raise", on_pyramid="raise", level: int = 0) -> WriteReport:
    """Append polylines; new ids are the next free ones unless ``ids`` are given (reuse raises)."""
    t0 = time.perf_counter()
    verts, offsets = _flatten(vs, lines, offsets)
    n_lines = len(offsets) - 1
    index = ObjectIndex.read(vs.store, str(level))
    taken = index.ids if index is not None else np.zeros(0, np.int64)
    if ids is None:
        start = int(taken.max()) + 1 if taken.size else 0
        ids = np.arange(start, start + n_lines, dtype=np.int64)
    else:
        ids = np.asarray(ids, np.int64)
        if ids.shape != (n_lines,) or len(np.unique(ids)) != n_lines or (ids.size and ids.min() < 0):
            raise VectorInputError(f"ids must be {n_lines} distinct non-negative integers", url=vs.store.url, path="0")
        reused = np.intersect1d(ids, taken)
        if reused.size:
            raise VectorInputError(f"polyline ids {reused[:5].tolist()} already exist", url=vs.store.url,
                                   path=f"{level}/object_index")
    columns = prepare_attributes(vs, level, "vertex_attributes", attributes, len(verts))
    obj_attrs = {}
    for name, values in (object_attributes or {}).items():
        values = np.asarray(values)
        if values.shape[:1] != (n_lines,):
            raise VectorInputError(f"object attribute {name!r} needs {n_lines} rows", url=vs.store.url, path="0")
        obj_attrs[name] = dict(zip(ids.tolist(), values))
    if level == 0:
        vs.check_pyramid(on_pyramid)
    xyz = check_vertices(vs, verts, on_out_of_bounds)
    line_of = np.repeat(np.arange(n_lines), np.diff(offsets))
    lin = vs.root.grid.linear(vs.root.grid.cells_of(xyz))
    boundary = np.r_[True, (lin[1:] != lin[:-1]) | (line_of[1:] != line_of[:-1])]
    run_of = np.cumsum(boundary) - 1
    run_start = np.flatnonzero(boundary)
    run_line = line_of[run_start]
    # rows are ordered by id, then run, inside every chunk
    run_rank = np.empty(len(run_start), np.int64)
    run_rank[np.lexsort((np.arange(len(run_start)), ids[run_line]))] = np.arange(len(run_start))
    touched, pairs, local = write_grouped(vs, level, xyz, run_rank[run_of], columns)
    pair_of_run = np.searchsorted(pairs.keys, run_rank, sorter=np.argsort(pairs.keys))
    pair_of_run = np.argsort(pairs.keys)[pair_of_run]
    blocks = {}
    line_runs = np.searchsorted(run_line, np.arange(n_lines + 1))
    for i, oid in enumerate(ids.tolist()):
        sel = pair_of_run[line_runs[i]:line_runs[i + 1]]
        blocks[oid] = (pairs.cells[sel], pairs.frags[sel])
    # one record per chunk transition: (last row of a run, first row of the next run of the same line)
    nxt = np.flatnonzero(run_line[1:] == run_line[:-1])
    a_end = np.r_[run_start[1:], len(xyz)][nxt] - 1
    b_start = run_start[nxt + 1]
    cells = vs.root.grid.cells_of(xyz)
    ends = np.stack([a_end, b_start], axis=1)
    if len(ends):
        write_records(vs, level, 2, place(cells[ends], local[ends], vs.root.grid), {})
    index = (index or ObjectIndex(np.zeros(0, np.int64), [])).merged(blocks)
    if obj_attrs:  # before the index: old attribute rows follow the old index rows on disk
        write_object_attributes(vs.store, str(level), index, obj_attrs, codecs=vs.codecs)
    index.write(vs.store, str(level), ndim=vs.ndim, codecs=vs.codecs)
    if groups:
        write_groups(vs.store, str(level), groups, codecs=vs.codecs)
    info = vs.level_info(level)
    first = info.vertex_count == 0
    info.vertex_count += len(xyz)
    info.arrays_present = arrays_present(vs, level)
    info.fragments_tile = first and info.fragments_tile or first
    vs.write_level(info)
    return WriteReport(len(xyz), ids, touched, time.perf_counter() - t0)


def read_polylines(vs, *, ids=None, box=None, clip: str = "whole", level: int = 0, groups=None) -> Polylines:
    """Polylines by id (requested order) and/or box; ``clip`` is ``"whole"`` or ``"inside"``."""
    if clip not in ("whole", "inside", "exact"):
        raise VectorInputError(f"clip must be 'whole', 'inside' or 'exact', got {clip!r}")
    index = ObjectIndex.read(vs.store, str(level))
    empty = Polylines(np.zeros((0, vs.ndim), vs.dtype), np.zeros(1, np.int64), np.zeros(0, np.int64))
    if index is None:
        return empty
    if groups is not None:
        members = read_groups(vs.store, str(level))
        ids = np.unique(np.concatenate([members.get(int(g), np.zeros(0, np.int64)) for g in np.atleast_1d(groups)]))
    if ids is None:
        ids = index.ids
        if box is not None:
            # candidates: objects with a fragment in a chunk the box touches (segments may cross others)
            ids = _box_candidates(vs, index, box)
    ids = np.atleast_1d(np.asarray(ids, np.int64))
    plan = {int(o): index.blocks(int(o), vs.ndim) for o in ids.tolist()}
    cells = sorted({c for blocks in plan.values() for c, _ in blocks})
    data = VertexCells.read(vs, level, cells)
    lines, line_ids, attrs = [], [], {n: [] for n in data.attributes}
    for o in ids.tolist():
        rows = [(c, data.fragments[c].rows_of(f)) for c, frags in plan[o] for f in frags]
        if not rows:
            continue
        lines.append(np.concatenate([data.vertices[c][r] for c, r in rows]))
        line_ids.append(o)
        for n in attrs:
            attrs[n].append(np.concatenate([data.attributes[n][c][r] for c, r in rows]))
    if clip == "exact" and box is not None:
        parts, part_ids, part_attrs, inserted = _clip_exact(lines, line_ids, attrs, box)
    else:
        parts, part_ids, part_attrs = _clip(lines, line_ids, attrs, box, clip)
        inserted = np.zeros(sum(len(p) for p in parts), bool)
    objattr = read_object_attributes(vs.store, str(level))
    obj_out = {k: v[np.searchsorted(rid, np.asarray(part_ids, np.int64))] if len(part_ids) else v[:0]
               for k, (rid, v) in objattr.items()}
    offsets = np.r_[0, np.cumsum([len(p) for p in parts])].astype(np.int64)
    verts = np.concatenate(parts) if parts else empty.vertices
    return Polylines(verts, offsets, np.asarray(part_ids, np.int64),
                     {n: strings_of(np.concatenate(v), data.specs[n]) if v else np.zeros(0) for n, v in part_attrs.items()},
                     obj_out, inserted)


def _clip_exact(lines, ids, attrs, box):
    """Liang–Barsky parts with crossing points inserted (float64 vertices, ``inserted`` flags)."""
    from zarrkit.vectors.clip import clip_line

    lo, hi = (np.asarray(b, np.float64) for b in box)
    parts, part_ids, part_attrs, flags = [], [], {n: [] for n in attrs}, []
    for i, line in enumerate(lines):
        for pts, values, inserted in clip_line(line, {n: attrs[n][i] for n in attrs}, lo, hi):
            parts.append(pts)
            part_ids.append(ids[i])
            flags.append(inserted)
            for n in attrs:
                part_attrs[n].append(values[n])
    return parts, part_ids, part_attrs, np.concatenate(flags) if flags else np.zeros(0, bool)


def _box_candidates(vs, index, box):
    lo, hi = (np.asarray(b, np.float64) for b in box)
    clo, chi = vs.root.grid.cells_of(lo[None])[0], vs.root.grid.cells_of(hi[None])[0]
    out = []
    for oid in index.ids.tolist():
        blocks = index.blocks(oid, vs.ndim)
        cs = np.array([c for c, _ in blocks], np.int64).reshape(-1, vs.ndim)
        # a segment between consecutive runs may cross the box even if no vertex chunk is in range
        if len(cs) and np.all(cs.min(0) <= chi) and np.all(cs.max(0) >= clo):
            out.append(oid)
    return np.asarray(out, np.int64)


def _segment_hits(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Liang–Barsky: does segment a→b (rows) meet the closed box?"""
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(a.shape[1]):
            zero = d[:, k] == 0
            outside = zero & ((a[:, k] < lo[k]) | (a[:, k] > hi[k]))
            ta = (lo[k] - a[:, k]) / d[:, k]
            tb = (hi[k] - a[:, k]) / d[:, k]
            tmin, tmax = np.minimum(ta, tb), np.maximum(ta, tb)
            t0 = np.where(zero, t0, np.maximum(t0, tmin))
            t1 = np.where(zero, t1, np.minimum(t1, tmax))
            t1 = np.where(outside, -1.0, t1)
    return t0 <= t1


def _clip(lines, ids, attrs, box, clip):
    if box is None:
        return lines, ids, attrs
    lo, hi = (np.asarray(b, np.float64) for b in box)
    parts, part_ids, part_attrs = [], [], {n: [] for n in attrs}
    for i, line in enumerate(lines):
        x = line.astype(np.float64)
        inside = np.all((x >= lo) & (x <= hi), axis=1)
        if clip == "whole":
            hit = inside.any() or (len(x) > 1 and _segment_hits(x[:-1], x[1:], lo, hi).any())
            if hit:
                parts.append(line)
                part_ids.append(ids[i])
                for n in attrs:
                    part_attrs[n].append(attrs[n][i])
            continue
        edges = np.flatnonzero(np.diff(np.r_[0, inside.astype(np.int8), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            parts.append(line[a:b])
            part_ids.append(ids[i])
            for n in attrs:
                part_attrs[n].append(attrs[n][i][a:b])
    return parts, part_ids, part_attrs
