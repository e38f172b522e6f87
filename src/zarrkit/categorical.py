"""Block reductions for categorical data (class maps, masks, labels), where a mean would
invent classes: the most frequent valid child (:func:`block_mode`) or the first valid one
(:func:`block_nearest`).  Same conventions as :func:`zarrkit.pyramid.block_mean`: ``axes``
picks the two halved axes, output sides are ``ceil(side / factor)``, children beyond an odd
edge do not exist, and only **valid** children count (``valid=`` mask, ``nodata=`` value, NaN);
a block without one gives ``fill``.

Example:
    >>> import numpy as np
    >>> block_mode(np.array([[1, 2, 5], [2, 3, 5]])).tolist()
    [[2, 5]]
    >>> block_nearest(np.array([[0, 2], [3, 4]]), nodata=0).tolist()
    [[2]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_mode", "block_nearest"]


def _children(data, factor, axes, valid, nodata):
    """The f² children of every block as ``(values, ok)`` stacks of shape ``(f², …, h', w')``,
    the halved axes moved last; missing edge children are not ``ok``."""
    nd = data.ndim
    axes = tuple(a % nd for a in (axes or (-2, -1)))
    x = np.moveaxis(data, axes, (-2, -1))
    ok = np.ones(x.shape, bool)
    if valid is not None:
        v = np.asarray(valid, bool)
        ok &= np.moveaxis(v, axes, (-2, -1)) if v.ndim == nd else np.broadcast_to(v, x.shape)
    if nodata is not None:
        ok &= ~(x == nodata)
    if x.dtype.kind == "f":
        ok &= ~np.isnan(x)
    *lead, h, w = x.shape
    oh, ow = -(-h // factor), -(-w // factor)
    pad = [(0, 0)] * len(lead) + [(0, oh * factor - h), (0, ow * factor - w)]
    x, ok = np.pad(x, pad), np.pad(ok, pad)  # padded children are never ok
    kids = [(x[..., i::factor, j::factor], ok[..., i::factor, j::factor]) for i in range(factor) for j in range(factor)]
    return np.stack([k for k, _ in kids]), np.stack([o for _, o in kids]), axes


def block_mode(data: np.ndarray, *, factor: int = 2, axes: tuple[int, int] | None = None, valid: np.ndarray | None = None,
               nodata: float | None = None, fill: float = 0) -> np.ndarray:
    """The most frequent valid value of each ``factor × factor`` block; ties go to the smaller value.

    Example:
        >>> block_mode(np.array([[7, 7], [0, 0]]), nodata=0).tolist(), block_mode(np.array([[4, 3], [3, 4]])).tolist()
        ([[7]], [[3]])
    """
    data = np.asarray(data)
    kids, ok, axes = _children(data, factor, axes, valid, nodata)
    counts = np.stack([((kids == kids[k]) & ok).sum(axis=0) for k in range(len(kids))])
    counts[~ok] = -1
    top = counts.max(axis=0)
    best = ok & (counts == top)
    if data.dtype.kind in "iub":
        big = np.iinfo(data.dtype).max if data.dtype.kind != "b" else True
    else:
        big = np.inf
    out = np.where(best, kids, big).min(axis=0)
    out = np.where(top > 0, out, fill).astype(data.dtype)
    return np.moveaxis(out, (-2, -1), axes)


def block_nearest(data: np.ndarray, *, factor: int = 2, axes: tuple[int, int] | None = None,
                  valid: np.ndarray | None = None, nodata: float | None = None, fill: float = 0) -> np.ndarray:
    """The first valid child of each block in row-major order (the top-left one when valid):
    a value that exists in the data, cheaper than the mode.

    Example:
        >>> block_nearest(np.array([[1, 2, 3], [4, 5, 6]])).tolist()
        [[1, 3]]
    """
    data = np.asarray(data)
    kids, ok, axes = _children(data, factor, axes, valid, nodata)
    out = np.full(kids.shape[1:], fill, dtype=data.dtype)
    for k in range(len(kids) - 1, -1, -1):  # backwards, so the first valid child is written last
        out = np.where(ok[k], kids[k], out)
    return np.moveaxis(out, (-2, -1), axes)
