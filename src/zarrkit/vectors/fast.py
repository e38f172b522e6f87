"""Vectorised helpers for the hot paths (spec §3.2 "no Python loop per point, record or
fragment"): a stable order of small integer keys by 16-bit radix passes, run boundaries of
sorted keys, gathering many row ranges at once, and the ZVFG payloads of many all-range
cells from one table.

Example:
    >>> stable_order(np.array([70000, 3, 70000, 1])).tolist()
    [3, 1, 0, 2]
    >>> gather_ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
"""

from __future__ import annotations

import numpy as np

from zarrkit.errors import VectorFormatError
from zarrkit.vectors.encoding import _HEADER, MAGIC, _bitmap_bytes, encode_ranges

__all__ = ["cell_ranks", "fragment_rows", "gather_ranges", "inside_box", "range_payloads", "runs", "stable_order"]


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for non-negative integer keys, by LSD radix passes
    over 16-bit digits (numpy radix-sorts 16-bit integers; int64 keys would take timsort).

    Example:
        >>> k = np.random.default_rng(0).integers(0, 2**20, 1000)
        >>> bool(np.array_equal(stable_order(k), np.argsort(k, kind="stable")))
        True
    """
    keys = np.asarray(keys)
    if keys.size == 0:
        return np.zeros(0, np.int64)
    top = int(keys.max())
    if keys.dtype.kind not in "iu" or int(keys.min()) < 0 or top >= 1 << 48:
        return np.argsort(keys, kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while top >> shift:
        digit = ((keys >> shift) & 0xFFFF).astype(np.uint16)[order]
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and the bounds of each run (``len + 1`` entries).

    Example:
        >>> [a.tolist() for a in runs(np.array([2, 2, 5]))]
        [[2, 5], [0, 2, 3]]
    """
    if sorted_keys.size == 0:
        return sorted_keys, np.zeros(1, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return sorted_keys[starts], np.r_[starts, sorted_keys.size]


def gather_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + c)`` for every pair, without a Python loop."""
    starts = np.asarray(starts, np.int64)
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    keep = counts > 0
    starts, counts = starts[keep], counts[keep]
    ends = np.cumsum(counts)
    step = np.ones(total, np.int64)
    step[0] = starts[0]
    step[ends[:-1]] = starts[1:] - (starts[:-1] + counts[:-1]) + 1
    return np.cumsum(step)


def range_payloads(counts: np.ndarray) -> list[bytes]:
    """ZVFG payloads of cells whose fragments are consecutive ranges with the given counts
    (``(cells, F)``, empty fragments included): the bytes :func:`encode_ranges` would give.

    Example:
        >>> range_payloads(np.array([[2, 3]]))[0] == encode_ranges(np.array([0, 2]), np.array([2, 3]))
        True
    """
    counts = np.asarray(counts, np.int64)
    cells, n = counts.shape
    if cells == 0:
        return []
    if n == 0:
        return [encode_ranges(np.zeros(0), np.zeros(0))] * cells
    table = np.empty((cells, n, 2), "<i8")
    table[:, :, 1] = counts
    table[:, :, 0] = np.cumsum(counts, axis=1) - counts
    bitmap = np.zeros(_bitmap_bytes(n), np.uint8)
    packed = np.packbits(np.ones(n, bool), bitorder="little")
    bitmap[:packed.size] = packed
    head = _HEADER.pack(MAGIC, 1, 0, n, n) + bitmap.tobytes()
    body = table.reshape(cells, -1)
    tail = b"\x00\x00\x00\x00"
    return [head + row.tobytes() + tail for row in body]


def cell_ranks(lin: np.ndarray, grid) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(lin, return_inverse=True)`` for linear cell indices of ``grid``: by one
    ``bincount`` over the grid when it is not much larger than the data, else by sorting.

    Example:
        >>> from zarrkit.vectors.profile import Grid
        >>> [a.tolist() for a in cell_ranks(np.array([3, 0, 3]), Grid([1], [[0], [9]]))]
        [[0, 3], [1, 0, 1]]
    """
    lin = np.asarray(lin, np.int64)
    size = int(np.prod(grid.shape))
    if size > 4 * lin.size + (1 << 20):
        uniq, inverse = np.unique(lin, return_inverse=True)
        return uniq, inverse.reshape(-1)
    present = np.bincount(lin, minlength=size) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[lin]


def fragment_rows(data, cells, cell_of: np.ndarray, frags: np.ndarray):
    """Rows of ``(cells[cell_of[i]], frags[i])`` in the cells' concatenation, as ``(starts, counts)``
    of consecutive runs (explicit fragments become runs of one row), and the rows of each block.

    Example:
        >>> from zarrkit.vectors.encoding import decode_fragments, encode_fragments
        >>> from zarrkit.vectors.level import VertexCells
        >>> data = VertexCells()
        >>> data.vertices = {(0,): np.zeros((5, 1)), (1,): np.zeros((2, 1))}
        >>> data.fragments = {(0,): decode_fragments(encode_fragments([(0, 2), (2, 3)])),
        ...                   (1,): decode_fragments(encode_fragments([np.array([1, 0])]))}
        >>> [a.tolist() for a in fragment_rows(data, [(0,), (1,)], np.array([1, 0]), np.array([0, 1]))]
        [[6, 5, 2], [1, 1, 3], [2, 3]]
    """
    base = np.r_[0, np.cumsum([len(data.vertices[c]) for c in cells])].astype(np.int64)
    starts = np.zeros(len(frags), np.int64)
    counts = np.zeros(len(frags), np.int64)
    explicit = []
    for i, cell in enumerate(cells):
        fr = data.fragments[cell]
        sel = np.flatnonzero(cell_of == i) if len(cells) > 1 else np.arange(len(frags))
        f = frags[sel]
        if np.any((f < 0) | (f >= len(fr))):
            raise VectorFormatError(f"a manifest names fragment {int(f.max())} of cell {cell}, which has {len(fr)}")
        if fr.is_range.all():
            starts[sel] = base[i] + fr.starts[f]
            counts[sel] = fr.counts[f]
        else:
            explicit += [(j, base[i] + fr.rows_of(int(g))) for j, g in zip(sel.tolist(), f.tolist())]
    if not explicit:
        return starts, counts, counts
    # explicit fragments: expand every block into one-row runs, in block order
    pieces_s, pieces_c = [], []
    rows_of = dict(explicit)
    per_block = counts.copy()
    for j in range(len(frags)):
        if j in rows_of:
            pieces_s.append(rows_of[j])
            pieces_c.append(np.ones(len(rows_of[j]), np.int64))
            per_block[j] = len(rows_of[j])
        else:
            pieces_s.append(starts[j:j + 1])
            pieces_c.append(counts[j:j + 1])
    return np.concatenate(pieces_s), np.concatenate(pieces_c), per_block


def inside_box(x: np.ndarray, lo, hi) -> np.ndarray:
    """Rows of ``x`` with ``lo <= x <= hi`` on every axis, decided exactly as in float64 but
    without converting float32 data: the bounds become the nearest float32 values on the
    inside (no float32 lies strictly between), then one pass per column.

    Example:
        >>> x = np.array([[0.1, 5.0], [0.05, 5.0]], "f4")   # float32(0.1) is a little above 0.1
        >>> inside_box(x, [0.0, 0.0], [0.1, 9.0]).tolist(), bool(x[0, 0] <= np.float32(0.1))
        ([False, True], True)
    """
    x = np.asarray(x)
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    if x.dtype == np.float32:
        with np.errstate(over="ignore"):
            lo_c, hi_c = lo.astype(np.float32), hi.astype(np.float32)
        lo_c = np.where(lo_c.astype(np.float64) < lo, np.nextafter(lo_c, np.float32(np.inf)), lo_c).astype(np.float32)
        hi_c = np.where(hi_c.astype(np.float64) > hi, np.nextafter(hi_c, np.float32(-np.inf)), hi_c).astype(np.float32)
    else:
        x = x.astype(np.float64, copy=False)
        lo_c, hi_c = lo, hi
    out = np.ones(len(x), bool)
    for k in range(x.shape[1] if x.ndim == 2 else 0):
        col = x[:, k]
        out &= col >= lo_c[k]
        out &= col <= hi_c[k]
    return out
