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

import numpy as np

from zarrkit.errors import VectorInputError
from zarrkit.vectors import zvx
from zarrkit.vectors.inputs import check_vertices, prepare_attributes
from zarrkit.vectors.level import arrays_present
from zarrkit.vectors.lineread import Polylines, read_polylines
from zarrkit.vectors.links import place, write_records
from zarrkit.vectors.objects import ObjectIndex, write_groups, write_object_attributes
from zarrkit.vectors.points import WriteReport, write_grouped

__all__ = ["Polylines", "read_polylines", "write_polylines"]


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
    if n_lines == 0:  # nothing to append (and nothing to check)
        return WriteReport(0, np.zeros(0, np.int64), 0, time.perf_counter() - t0)
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
    extras = zvx.begin(vs, level)
    if extras is not None:
        extras.remember_ids(index)
    sink: dict = {}
    touched, pairs, local = write_grouped(vs, level, xyz, run_rank[run_of], columns, sink)
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
    if extras is not None:
        extras.finish(sink.get("vertices", {}), sink.get("fragments", {}), new_blocks=blocks, index=index, xyz=xyz,
                      stats=sink.get("stats"),
                      owner=ids[line_of])
    return WriteReport(len(xyz), ids, touched, time.perf_counter() - t0)
