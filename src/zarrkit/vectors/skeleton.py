"""Skeletons (spec §2.8, read-only in v1): ``links_convention`` ``implicit_sequential_with_branches``.

Within a fragment, vertex ``i``'s parent is vertex ``i − 1`` (in the fragment's row order),
except at the fragment's first vertex; an explicit ``[child, parent]`` record overrides the
implied parent of its child.  zarr_vectors stores only the edges this rule does not imply, so a
reader that takes the link records alone misses most edges of a tree.  This module turns the
implied parents of some chunks into ordinary edge records, which the graph reader then selects
exactly like stored ones (by box, by id, every clip mode).

Example:
    >>> from zarrkit.vectors.encoding import decode_fragments, encode_fragments
    >>> frag = decode_fragments(encode_fragments([(0, 3), np.array([5, 3, 4])]))
    >>> implied_pairs(frag).tolist()   # [child, parent] rows: 1->0, 2->1, then 3->5, 4->3
    [[1, 0], [2, 1], [3, 5], [4, 3]]
"""

from __future__ import annotations

import numpy as np

from zarrkit.errors import VectorInputError
from zarrkit.vectors.encoding import Fragments, decode_fragments
from zarrkit.vectors.links import Records

__all__ = ["IMPLICIT", "implied_pairs", "implied_records", "is_skeleton", "merged", "refuse_writes"]

IMPLICIT = "implicit_sequential_with_branches"


def is_skeleton(vs) -> bool:
    """Whether the store's links follow the skeleton convention (as zarr_vectors decides: the
    root's ``links_convention``; the geometry token when a foreign root omits it).

    Example:
        >>> import zarrkit.vectors as vx
        >>> is_skeleton(vx.create("memory://", "graph", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5)))
        False
    """
    conv = (vs.root.raw.get("zarr_vectors") or {}).get("links_convention")
    return conv == IMPLICIT if conv else vs.root.geometry == "skeleton"


def refuse_writes(vs, what: str) -> None:
    """Raise ``VectorInputError`` before ``what`` touches a skeleton store: zarrkit writes graphs
    with every edge stored, which the sequential rule would read with extra implied edges."""
    if is_skeleton(vs):
        raise VectorInputError(f"{what}: skeleton stores ({IMPLICIT}) are read-only in zarrkit v1",
                               url=vs.store.url, path="")


def _runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``[child, child − 1]`` for every non-first row of each range ``(start, count)``."""
    m = np.maximum(np.asarray(counts, np.int64) - 1, 0)
    total = int(m.sum())
    if total == 0:
        return np.zeros((0, 2), np.int64)
    child = np.repeat(np.asarray(starts, np.int64) + 1, m) + np.arange(total) - np.repeat(np.cumsum(m) - m, m)
    return np.stack([child, child - 1], axis=1)


def implied_pairs(frag: Fragments) -> np.ndarray:
    """``(K, 2)`` ``[child, parent]`` chunk-local rows the sequential rule implies in one chunk,
    range fragments first, then explicit ones (each in its own row order).

    Example:
        >>> from zarrkit.vectors.encoding import decode_fragments, encode_fragments
        >>> implied_pairs(decode_fragments(encode_fragments([(0, 2), (2, 1)]))).tolist()
        [[1, 0]]
    """
    out = [_runs(frag.starts, frag.counts)]
    rows, offsets = np.asarray(frag.rows, np.int64), np.asarray(frag.offsets, np.int64)
    if rows.size:
        first = np.zeros(rows.size, bool)
        lead = offsets[:-1][offsets[1:] > offsets[:-1]]  # the first row of every non-empty list
        first[lead] = True
        later = np.flatnonzero(~first)
        out.append(np.stack([rows[later], rows[later - 1]], axis=1))
    return np.concatenate(out)


def implied_records(vs, level: int, cells, explicit: Records) -> Records:
    """The implied edges of ``cells`` as records (endpoints in the same cell), minus those whose
    child an ``explicit`` record overrides; edge attributes of implied edges are absent (NaN,
    or the integer minimum / unsigned maximum, as object attributes mark absence)."""
    grid, ndim = vs.root.grid, vs.ndim
    cells = [tuple(int(v) for v in c) for c in cells]
    arr = vs.cells(level, "vertex_fragments")
    raws = arr.read(cells) if arr is not None and cells else [None] * len(cells)
    verts = vs.cells(level, "vertices")
    all_cells, all_rows = [np.zeros((0, ndim), np.int64)], [np.zeros((0, 2), np.int64)]
    counts = None
    for cell, raw in zip(cells, raws):
        if raw is None:  # no fragment index: the whole cell is one fragment
            if counts is None:
                counts = dict(zip(cells, (len(r or b"") for r in verts.read(cells))))
            n = counts[cell] // (vs.dtype.itemsize * ndim)
            pairs = _runs(np.array([0]), np.array([n]))
        else:
            pairs = implied_pairs(decode_fragments(raw, where=f"{vs.store.url} node '/{level}/vertex_fragments' "
                                                              f"cell {cell}"))
        all_rows.append(pairs)
        all_cells.append(np.broadcast_to(np.asarray(cell, np.int64), (len(pairs), ndim)))
    rows = np.concatenate(all_rows)
    ecells = np.concatenate(all_cells)
    lin = grid.linear(ecells) if len(ecells) else np.zeros(0, np.int64)
    if len(explicit.rows) and len(rows):
        child = (grid.linear(explicit.cells[:, 0]) << 32) | explicit.rows[:, 0]
        keep = ~np.isin((lin << 32) | rows[:, 0], child)
        rows, ecells = rows[keep], ecells[keep]
    k = len(rows)
    attrs = {name: _absent(v, k) for name, v in explicit.attributes.items()}
    return Records(np.repeat(ecells[:, None, :], 2, axis=1), rows, attrs)


def _absent(like: np.ndarray, k: int) -> np.ndarray:
    like = np.asarray(like)
    dt = like.dtype
    fill = np.nan if dt.kind == "f" else (np.iinfo(dt).min if dt.kind == "i" else
                                          np.iinfo(dt).max if dt.kind == "u" else 0)
    return np.full((k, *like.shape[1:]), fill, dt)


def merged(explicit: Records, implied: Records, grid) -> Records:
    """Stored and implied records together, ordered by child (cell, row) as zarr_vectors
    lists a tree's edges."""
    cells = np.concatenate([explicit.cells, implied.cells])
    rows = np.concatenate([explicit.rows, implied.rows])
    attrs = {n: np.concatenate([v, implied.attributes[n]]) for n, v in explicit.attributes.items()}
    if not len(rows):
        return Records(cells, rows, attrs)
    order = np.lexsort((rows[:, 0], grid.linear(cells[:, 0])))
    return Records(cells[order], rows[order], {n: v[order] for n, v in attrs.items()})
