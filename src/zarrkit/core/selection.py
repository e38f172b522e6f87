"""Selections: numpy, orthogonal and point indexing turned into per-chunk work.

A selection is normalised axis by axis into :class:`AxisIndex` objects (an integer, a
slice with any step, or an integer array), and an :class:`OrthogonalPlan` yields, for a
given chunk shape, one task per touched chunk: ``(chunk coords, selection inside the chunk,
selection inside the output)``.  Only chunks that hold a selected element appear, so a
large step or a sparse index array never reads an untouched chunk.  Numpy's rules for
several advanced indices are applied on top (see :func:`plan_selection`), and point
selections group coordinates by chunk (:class:`PointPlan`).

Example:
    >>> plan = plan_selection((slice(None, None, -3), 1), (10, 4))
    >>> plan.out_shape, [t[0] for t in plan.ortho.tasks((4, 4))]
    ((4,), [(0, 0), (1, 0), (2, 0)])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarrkit.errors import OutOfBoundsError, SelectionError

__all__ = ["AxisIndex", "OrthogonalPlan", "PointPlan", "SelectionPlan", "index_tuple", "plan_selection"]


@dataclass(frozen=True)
class AxisIndex:
    """One axis of a selection: ``kind`` is ``"int"``, ``"slice"`` or ``"array"``."""

    kind: str
    size: int  # length along this axis in the (undropped) output
    start: int = 0
    stop: int = 0
    step: int = 1
    values: np.ndarray | None = None

    def parts(self, chunk: int) -> list[tuple[int, Any, Any]]:
        """``(chunk index, selection in chunk, selection in output)`` for every touched chunk."""
        if self.size == 0:
            return []
        if self.kind == "int":
            k, r = divmod(self.start, chunk)
            return [(k, slice(r, r + 1), slice(0, 1))]
        if self.kind == "array":
            return _array_parts(self.values, chunk)
        step = self.step
        if abs(step) >= chunk and self.size > 1:
            return _array_parts(np.arange(self.start, self.stop, step), chunk)
        if step > 0:
            return _slice_parts(self.start, step, self.size, chunk, reverse=False)
        first = self.start + (self.size - 1) * step  # smallest index
        return _slice_parts(first, -step, self.size, chunk, reverse=True)


def _slice_parts(first: int, step: int, count: int, chunk: int, *, reverse: bool) -> list[tuple[int, Any, Any]]:
    last = first + (count - 1) * step
    out = []
    for k in range(first // chunk, last // chunk + 1):
        lo, hi = k * chunk, min((k + 1) * chunk, last + 1)
        begin = first if lo <= first else first + -(-(lo - first) // step) * step
        if begin >= hi:
            continue
        n = (hi - 1 - begin) // step + 1
        o = (begin - first) // step
        chunk_sel = slice(begin - lo, begin - lo + (n - 1) * step + 1, step)
        if reverse:
            top = count - 1 - o
            out_sel = slice(top, top - n if top - n >= 0 else None, -1)
        else:
            out_sel = slice(o, o + n)
        out.append((k, chunk_sel, out_sel))
    return out


def _array_parts(values: np.ndarray, chunk: int) -> list[tuple[int, Any, Any]]:
    ids = values // chunk
    if ids.size and ids[0] == ids[-1] and (ids == ids[0]).all():
        k = int(ids[0])
        return [(k, values - k * chunk, slice(0, values.size))]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    bounds = np.flatnonzero(np.diff(sorted_ids)) + 1
    out = []
    for seg in np.split(order, bounds):
        k = int(ids[seg[0]])
        out.append((k, values[seg] - k * chunk, seg))
    return out


def index_tuple(sel: tuple[Any, ...]) -> tuple[Any, ...]:
    """Make a tuple of slices and index arrays select orthogonally in numpy (``np.ix_`` style)."""
    if sum(isinstance(s, np.ndarray) for s in sel) <= 1:
        return sel
    n = len(sel)
    out = []
    for j, s in enumerate(sel):
        if not isinstance(s, np.ndarray):
            # slice → explicit positions; callers only pass slices with known bounds
            s = np.arange(s.start, s.stop if s.stop is not None else -1, s.step or 1)
        shape = [1] * n
        shape[j] = s.size
        out.append(s.reshape(shape))
    return tuple(out)


class OrthogonalPlan:
    """Each axis selects independently; integer axes are kept (length 1) until the end."""

    def __init__(self, axes: list[AxisIndex], shape: tuple[int, ...]) -> None:
        self.axes = axes
        self.shape = shape
        self.full_shape = tuple(a.size for a in axes)  # no axis dropped
        self.out_shape = tuple(a.size for a in axes if a.kind != "int")
        self.empty = any(s == 0 for s in self.full_shape)

    @property
    def is_box(self) -> bool:
        """True when the selection is one step-1 box (ints and step-1 slices only)."""
        return all(a.kind == "int" or (a.kind == "slice" and a.step == 1) for a in self.axes)

    def box(self) -> tuple[slice, ...]:
        """The step-1 box of an ``is_box`` selection."""
        return tuple(slice(a.start, a.start + a.size) for a in self.axes)

    def tasks(self, chunk_shape: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], tuple, tuple]]:
        """``(chunk coords, selection in the chunk, selection in the full-shape output)``."""
        if self.empty:
            return
        per_axis = [a.parts(c) for a, c in zip(self.axes, chunk_shape)]
        for combo in itertools.product(*per_axis):
            yield tuple(p[0] for p in combo), tuple(p[1] for p in combo), tuple(p[2] for p in combo)

    def chunk_count(self, chunk_shape: tuple[int, ...]) -> int:
        return math.prod(len(a.parts(c)) for a, c in zip(self.axes, chunk_shape))


class PointPlan:
    """Pointwise coordinates (``vindex``): ``coords`` is ``(ndim, n)``, result shape ``out_shape``."""

    def __init__(self, coords: np.ndarray, out_shape: tuple[int, ...]) -> None:
        self.coords = coords
        self.out_shape = out_shape
        self.empty = coords.shape[1] == 0 if coords.ndim == 2 else True

    def tasks(self, chunk_shape: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], tuple, np.ndarray]]:
        """``(chunk coords, per-axis positions in the chunk, positions in the flat output)``."""
        if self.empty:
            return
        cs = np.asarray(chunk_shape, dtype=np.intp)[:, None]
        ids = self.coords // cs
        local = self.coords - ids * cs
        if ids.shape[0] == 0:
            yield (), (), np.arange(self.coords.shape[1])
            return
        flat = np.ravel_multi_index(tuple(ids), tuple(int(i) + 1 for i in ids.max(axis=1)))
        order = np.argsort(flat, kind="stable")
        bounds = np.flatnonzero(np.diff(flat[order])) + 1
        for seg in np.split(order, bounds):
            yield tuple(int(i) for i in ids[:, seg[0]]), tuple(local[:, seg]), seg


@dataclass
class SelectionPlan:
    """What a read or write needs: the orthogonal plan to run and how to finish numpy's rules.

    ``post`` is ``None`` (the orthogonal result is final after dropping integer axes), or an
    index tuple applied to the orthogonal result (which then keeps every axis);
    ``move_front`` moves one output axis to the front (one array with a non-adjacent int).
    """

    ortho: OrthogonalPlan | None
    out_shape: tuple[int, ...]
    post: tuple | None = None
    points: PointPlan | None = None
    move_front: int | None = None

    @property
    def empty(self) -> bool:
        if self.points is not None:
            return self.points.empty
        return self.ortho.empty or 0 in self.out_shape


def _expand(selection: Any, ndim: int) -> list[Any]:
    if not isinstance(selection, tuple):
        selection = (selection,)
    items: list[Any] = []
    for s in selection:
        if isinstance(s, np.ndarray) and s.dtype == bool and s.ndim > 1:
            items.extend(np.nonzero(s))  # a k-D mask stands for k index arrays
            continue
        items.append(s)
    n_ell = sum(s is Ellipsis for s in items)
    if n_ell > 1:
        raise SelectionError("a selection may hold only one Ellipsis")
    if n_ell:
        i = next(i for i, s in enumerate(items) if s is Ellipsis)
        fill = ndim - (len(items) - 1)
        items = items[:i] + [slice(None)] * max(fill, 0) + items[i + 1 :]
    if len(items) > ndim:
        raise OutOfBoundsError(f"too many indices: {len(items)} for an array of {ndim} dimensions")
    return items + [slice(None)] * (ndim - len(items))


def _as_index_array(s: Any, size: int, axis: int) -> np.ndarray:
    arr = np.asarray(s)
    if arr.dtype == bool:
        if arr.ndim != 1 or arr.shape[0] != size:
            raise OutOfBoundsError(f"boolean index of shape {arr.shape} does not match axis {axis} of length {size}")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return arr.astype(np.intp).reshape(arr.shape)
    if arr.dtype.kind not in "iu":
        raise SelectionError(f"index arrays must hold integers or booleans, got dtype {arr.dtype} on axis {axis}")
    arr = arr.astype(np.intp)
    if arr.size and (arr.min() < -size or arr.max() >= size):
        bad = arr[(arr < -size) | (arr >= size)][0]
        raise OutOfBoundsError(f"index {int(bad)} is out of bounds for axis {axis} with size {size}")
    return np.where(arr < 0, arr + size, arr)


def _axis(s: Any, size: int, axis: int) -> AxisIndex | np.ndarray:
    if isinstance(s, (bool, np.bool_)):
        raise SelectionError(f"a boolean scalar is not a valid index (axis {axis})")
    if isinstance(s, (int, np.integer)):
        i = int(s)
        if not -size <= i < size:
            raise OutOfBoundsError(f"index {i} is out of bounds for axis {axis} with size {size}")
        return AxisIndex("int", 1, i + size if i < 0 else i)
    if isinstance(s, slice):
        for part in (s.start, s.stop, s.step):
            if part is not None and (isinstance(part, bool) or not isinstance(part, (int, np.integer))):
                raise SelectionError(f"slice bounds must be integers, got {s!r} on axis {axis}")
        if s.step == 0:
            raise SelectionError(f"slice step cannot be zero (axis {axis})")
        start, stop, step = s.indices(size)
        n = len(range(start, stop, step))
        return AxisIndex("slice", n, start, stop, step)
    if s is None:
        raise SelectionError("None / np.newaxis is not supported in a Zarr selection")
    if isinstance(s, (list, np.ndarray)):
        return _as_index_array(s, size, axis)
    raise SelectionError(f"unsupported index {s!r} of type {type(s).__name__} on axis {axis}")


def _array_axis(values: np.ndarray) -> AxisIndex:
    return AxisIndex("array", int(values.size), values=values.reshape(-1))


def plan_selection(selection: Any, shape: tuple[int, ...], mode: str = "numpy") -> SelectionPlan:
    """Normalise ``selection`` against ``shape`` under ``mode`` (numpy, orthogonal, points).

    Example:
        >>> p = plan_selection((0, slice(None), [2, 1]), (3, 4, 5))   # numpy: advanced dims go first
        >>> p.out_shape
        (2, 4)
        >>> plan_selection(([0, 2], [1, 3]), (3, 4), "points").out_shape
        (2,)
    """
    ndim = len(shape)
    if mode not in ("numpy", "orthogonal", "points"):
        raise SelectionError(f"indexing must be 'numpy', 'orthogonal' or 'points', got {mode!r}")
    items = _expand(selection, ndim)
    axes = [_axis(s, n, j) for j, (s, n) in enumerate(zip(items, shape))]

    if mode == "points":
        if not all(isinstance(a, np.ndarray) or (isinstance(a, AxisIndex) and a.kind == "int") for a in axes):
            raise SelectionError("point selection (vindex) needs an integer or boolean array on every axis")
        arrays = [a if isinstance(a, np.ndarray) else np.asarray(a.start) for a in axes]
        try:
            arrays = np.broadcast_arrays(*arrays)
        except ValueError as err:
            raise SelectionError(f"point index arrays do not broadcast: {err}") from None
        out_shape = arrays[0].shape if arrays else ()
        coords = np.stack([a.reshape(-1) for a in arrays]) if arrays else np.zeros((0, 1), np.intp)
        return SelectionPlan(None, tuple(out_shape), points=PointPlan(coords, tuple(out_shape)))

    array_pos = [j for j, a in enumerate(axes) if isinstance(a, np.ndarray)]
    if mode == "orthogonal" or not array_pos:
        ortho = OrthogonalPlan([_array_axis(a) if isinstance(a, np.ndarray) else a for a in axes], shape)
        if mode == "orthogonal" and any(isinstance(a, np.ndarray) and a.ndim != 1 for a in axes):
            raise SelectionError("orthogonal selection takes 1-D index arrays")
        return SelectionPlan(ortho, ortho.out_shape)

    # numpy with advanced indices: ints count as advanced too
    advanced = [j for j, a in enumerate(axes) if isinstance(a, np.ndarray) or a.kind == "int"]
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    if len(array_pos) == 1 and axes[array_pos[0]].ndim == 1:
        ortho = OrthogonalPlan([_array_axis(a) if isinstance(a, np.ndarray) else a for a in axes], shape)
        move = None
        if not adjacent:
            kept = [j for j, a in enumerate(axes) if not (isinstance(a, AxisIndex) and a.kind == "int")]
            move = kept.index(array_pos[0])
        out_shape = list(ortho.out_shape)
        if move is not None:
            out_shape.insert(0, out_shape.pop(move))
        return SelectionPlan(ortho, tuple(out_shape), move_front=move)

    # General case: read the orthogonal product of the distinct values, then let numpy
    # apply its own rules to remapped indices.
    ortho_axes, post = [], []
    for a in axes:
        if isinstance(a, AxisIndex) and a.kind != "int":
            ortho_axes.append(a)
            post.append(slice(None))
            continue
        values = a if isinstance(a, np.ndarray) else np.asarray(a.start, dtype=np.intp)
        uniq, inverse = np.unique(values.reshape(-1), return_inverse=True)
        ortho_axes.append(_array_axis(uniq))
        post.append(inverse.reshape(values.shape))
    ortho = OrthogonalPlan(ortho_axes, shape)
    try:
        dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), ortho.full_shape, (0,) * len(ortho.full_shape))
        out_shape = dummy[tuple(post)].shape
    except IndexError as err:
        raise SelectionError(f"index arrays do not broadcast: {err}") from None
    return SelectionPlan(ortho, out_shape, post=tuple(post))
