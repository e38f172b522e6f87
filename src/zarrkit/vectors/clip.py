"""Exact clipping to a closed box (spec §3.3, ``clip="exact"``): Liang–Barsky per polyline
segment or graph edge, Sutherland–Hodgman per mesh face (vectorised over faces), crossing
points inserted (flagged in ``inserted``), float attributes interpolated at the crossing,
other attributes taken from the nearer endpoint.

Example:
    >>> line = np.array([[0.0, 5.0], [10.0, 5.0], [10.0, 20.0]])
    >>> parts = clip_line(line, {}, np.array([2.0, 0.0]), np.array([8.0, 10.0]))
    >>> [(p.tolist(), ins.tolist()) for p, _, ins in parts]
    [([[2.0, 5.0], [8.0, 5.0]], [True, True])]
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip_line", "clip_polygons", "segment_params"]


def segment_params(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Liang–Barsky for segments ``a[i] → b[i]``: ``(t_enter, t_leave, hits)`` against the closed box.

    Example:
        >>> t0, t1, hit = segment_params(np.array([[0.0, 0.0]]), np.array([[4.0, 0.0]]), np.zeros(2) + 1, np.zeros(2) + 3)
        >>> t0.tolist(), t1.tolist(), hit.tolist()
        ([0.25], [0.75], [False])
    """
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    miss = np.zeros(len(a), bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(a.shape[1]):
            flat = d[:, k] == 0
            miss |= flat & ((a[:, k] < lo[k]) | (a[:, k] > hi[k]))
            ta = (lo[k] - a[:, k]) / d[:, k]
            tb = (hi[k] - a[:, k]) / d[:, k]
            t0 = np.where(flat, t0, np.maximum(t0, np.minimum(ta, tb)))
            t1 = np.where(flat, t1, np.minimum(t1, np.maximum(ta, tb)))
    return t0, t1, ~miss & (t0 <= t1)


def _at(x, attrs, i: int, t: float, lo, hi):
    """The point at parameter ``t`` of segment ``i``, clamped into the box against rounding, and its attributes."""
    p = np.clip(x[i] + t * (x[i + 1] - x[i]), lo, hi)
    values = {}
    for name, v in attrs.items():
        if v.dtype.kind == "f":
            values[name] = v[i] + t * (v[i + 1] - v[i])
        else:
            values[name] = v[i] if t < 0.5 else v[i + 1]
    return p, values


def clip_line(line: np.ndarray, attrs: dict, lo: np.ndarray, hi: np.ndarray):
    """The parts of one polyline inside the box, in order: ``[(vertices float64, attributes, inserted)]``."""
    x = np.asarray(line, np.float64)
    inside = np.all((x >= lo) & (x <= hi), axis=1)
    if len(x) == 1:
        return [(x, {n: v for n, v in attrs.items()}, np.zeros(1, bool))] if inside[0] else []
    t0, t1, hit = segment_params(x[:-1], x[1:], lo, hi)
    pieces = []  # (first segment or vertex position, part)
    edges = np.flatnonzero(np.diff(np.r_[0, inside.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2]):  # each maximal run of inside vertices
        pts, vals, ins = [x[a:b]], [{n: v[a:b] for n, v in attrs.items()}], [np.zeros(b - a, bool)]
        if a > 0 and t0[a - 1] < 1.0:  # entering on segment a-1 (not exactly at vertex a)
            p, v = _at(x, attrs, a - 1, t0[a - 1], lo, hi)
            pts.insert(0, p[None]), vals.insert(0, {n: np.asarray(q)[None] for n, q in v.items()}), ins.insert(0, [True])
        if b < len(x) and t1[b - 1] > 0.0:  # leaving on segment b-1 (not exactly at vertex b-1)
            p, v = _at(x, attrs, b - 1, t1[b - 1], lo, hi)
            pts.append(p[None]), vals.append({n: np.asarray(q)[None] for n, q in v.items()}), ins.append([True])
        pieces.append((a, pts, vals, ins))
    # segments passing through the box with both ends outside
    for i in np.flatnonzero(~inside[:-1] & ~inside[1:] & hit):
        p0, v0 = _at(x, attrs, i, t0[i], lo, hi)
        p1, v1 = _at(x, attrs, i, t1[i], lo, hi)
        pieces.append((i + 0.5, [np.stack([p0, p1])], [{n: np.stack([v0[n], v1[n]]) for n in attrs}],
                       [np.ones(2, bool)]))
    out = []
    for _, pts, vals, ins in sorted(pieces, key=lambda piece: piece[0]):
        out.append((np.concatenate(pts), {n: np.concatenate([v[n] for v in vals]) for n in attrs},
                    np.concatenate([np.asarray(i, bool) for i in ins])))
    return out


def clip_polygons(x: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Sutherland–Hodgman against the closed box for ``F`` polygons of ``K`` vertices at once.

    ``x`` is ``(F, K, C)`` float64: the first ``D = len(lo)`` columns are positions, the rest are
    values interpolated linearly with them (float attributes).  Returns ``(y, nearest,
    inserted, n)``: clipped polygons padded to a common width (``y (F, M, C)``), the index
    ``0…K-1`` of the original corner nearest to each output vertex, whether each output
    vertex is a crossing point, and each polygon's vertex count (0 when it misses the box).
    Winding is kept; positions of crossing points are clamped into the box.

    Example:
        >>> tri = np.array([[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]])
        >>> y, near, ins, n = clip_polygons(tri, np.array([1.0, -1.0]), np.array([9.0, 9.0]))
        >>> y[0, :n[0]].tolist(), ins[0, :n[0]].tolist()
        ([[1.0, 0.0], [4.0, 0.0], [1.0, 3.0]], [True, False, True])
    """
    f, k, _ = x.shape
    d = len(lo)
    y = np.asarray(x, np.float64).copy()
    near = np.broadcast_to(np.arange(k), (f, k)).copy()
    ins = np.zeros((f, k), bool)
    n = np.full(f, k, np.int64)
    for axis in range(d):
        for bound, keep_ge in ((lo[axis], True), (hi[axis], False)):
            y, near, ins, n = _clip_plane(y, near, ins, n, axis, float(bound), keep_ge)
    y[:, :, :d] = np.clip(y[:, :, :d], lo, hi)
    # a corner on a plane is emitted twice (itself and a crossing at t = 0 or 1): keep it once
    if y.shape[1]:
        prev = np.take_along_axis(y[:, :, :d], ((np.arange(y.shape[1])[None, :] - 1) % np.maximum(n, 1)[:, None])[:, :, None],
                                  axis=1)
        keep = (np.arange(y.shape[1])[None, :] < n[:, None]) & ~np.all(prev == y[:, :, :d], axis=2)
        keep[:, 0] |= (n > 0) & ~keep.any(axis=1)  # a polygon touching the box at one point keeps it
        order = np.argsort(~keep, axis=1, kind="stable")
        y = np.take_along_axis(y, order[:, :, None], axis=1)
        near, ins = np.take_along_axis(near, order, axis=1), np.take_along_axis(ins, order, axis=1)
        n = keep.sum(axis=1).astype(np.int64)
    return y, near, ins, n


def _clip_plane(y, near, ins, n, axis: int, bound: float, keep_ge: bool):
    """One Sutherland–Hodgman pass: keep the half-space ``x[axis] >= bound`` (or ``<=``)."""
    f, k, c = y.shape
    if f == 0 or k == 0:
        return y, near, ins, n
    valid = np.arange(k)[None, :] < n[:, None]
    nxt_idx = (np.arange(k)[None, :] + 1) % np.maximum(n, 1)[:, None]
    nxt = np.take_along_axis(y, nxt_idx[:, :, None], axis=1)
    a, b = y[:, :, axis], nxt[:, :, axis]
    in_a = (a >= bound) if keep_ge else (a <= bound)
    in_b = (b >= bound) if keep_ge else (b <= bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(b != a, (bound - a) / (b - a), 0.0)
    cross = y + t[:, :, None] * (nxt - y)
    cross[:, :, axis] = bound
    near_b = np.take_along_axis(near, nxt_idx, axis=1)
    cross_near = np.where(t < 0.5, near, near_b)
    # per edge (i, i+1): emit vertex i if inside, then the crossing point if the edge crosses the plane
    emit = np.stack([valid & in_a, valid & (in_a != in_b)], axis=2).reshape(f, 2 * k)
    cand = np.stack([y, cross], axis=2).reshape(f, 2 * k, c)
    cand_near = np.stack([near, cross_near], axis=2).reshape(f, 2 * k)
    cand_ins = np.stack([ins, np.ones_like(ins)], axis=2).reshape(f, 2 * k)
    order = np.argsort(~emit, axis=1, kind="stable")
    m = max(int(emit.sum(axis=1).max()), 1)
    order = order[:, :m]
    return (np.take_along_axis(cand, order[:, :, None], axis=1), np.take_along_axis(cand_near, order, axis=1),
            np.take_along_axis(cand_ins, order, axis=1), emit.sum(axis=1).astype(np.int64))
