"""Exact clipping of polylines to a closed box (spec §3.3, ``clip="exact"``): Liang–Barsky
per segment, crossing points inserted (flagged in ``inserted``), float attributes
interpolated at the crossing, other attributes taken from the nearer endpoint.

Example:
    >>> line = np.array([[0.0, 5.0], [10.0, 5.0], [10.0, 20.0]])
    >>> parts = clip_line(line, {}, np.array([2.0, 0.0]), np.array([8.0, 10.0]))
    >>> [(p.tolist(), ins.tolist()) for p, _, ins in parts]
    [([[2.0, 5.0], [8.0, 5.0]], [True, True])]
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip_line", "segment_params"]


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
