"""Multiscale pyramids by 2x2 block means, built one output shard at a time.

Means are taken in float64 over the real pixels of each block (a partial block at the
edge averages what it has), NaN is ignored (an all-NaN block stays NaN), and integer
data is rounded half-to-even and cast back.  :func:`build_level` reads only the input
region behind each output shard, so memory stays near a few shard budgets.

Example:
    >>> import numpy as np
    >>> block_mean(np.array([[1, 2, 3], [3, 4, 5]], dtype="int16")).tolist()
    [[2, 4]]
    >>> block_mean(np.array([[np.nan, np.nan], [np.nan, 1.0]])).tolist()
    [[1.0]]
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from zarrkit import core
from zarrkit.core.pool import run_all
from zarrkit.progress import track

__all__ = ["block_mean", "build_level", "half_level", "pyramid_shapes", "METHOD"]

METHOD = "zarrkit.pyramid.block_mean"


def block_mean(data: np.ndarray) -> np.ndarray:
    """2x2 mean over the last two axes; output side ``ceil(side / 2)``."""
    data = np.asarray(data)
    if data.dtype.kind in "iu" or not np.isnan(data).any():
        mean = _finite_block_mean(data)
    else:
        mean = _nan_block_mean(data)
    if data.dtype.kind in "iu":
        info = np.iinfo(data.dtype)
        return np.clip(np.rint(mean), info.min, info.max).astype(data.dtype)
    return mean.astype(data.dtype)


def _nan_block_mean(data: np.ndarray) -> np.ndarray:
    *lead, h, w = data.shape
    out_h, out_w = -(-h // 2), -(-w // 2)
    padded = np.full((*lead, out_h * 2, out_w * 2), np.nan, dtype=np.float64)
    padded[..., :h, :w] = data
    blocks = padded.reshape(*lead, out_h, 2, out_w, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks give NaN, as intended
        return np.nanmean(blocks, axis=(-3, -1))


def _finite_block_mean(data: np.ndarray) -> np.ndarray:
    """The same means without NaN to skip: four strided sums, no padded float64 copy
    (several times faster than nanmean on a 4096² image)."""
    *lead, h, w = data.shape
    he, we = h - h % 2, w - w % 2
    out = np.empty((*lead, -(-h // 2), -(-w // 2)), dtype=np.float64)
    a = data[..., :he, :we]
    inner = a[..., 0::2, 0::2].astype(np.float64)
    inner += a[..., 0::2, 1::2]
    inner += a[..., 1::2, 0::2]
    inner += a[..., 1::2, 1::2]
    out[..., :he // 2, :we // 2] = inner * 0.25
    if w % 2:  # the last column: pairs of rows
        col = data[..., :he, w - 1].astype(np.float64)
        out[..., :he // 2, -1] = (col[..., 0::2] + col[..., 1::2]) * 0.5
    if h % 2:  # the last row: pairs of columns
        row = data[..., h - 1, :we].astype(np.float64)
        out[..., -1, :we // 2] = (row[..., 0::2] + row[..., 1::2]) * 0.5
    if h % 2 and w % 2:
        out[..., -1, -1] = data[..., h - 1, w - 1]
    return out


def half_level(data: np.ndarray, *, band_rows: int = 512) -> np.ndarray:
    """The next pyramid level of an in-memory array, computed in bands of ``band_rows``
    output rows so the float64 temporaries stay a few MB whatever the image size.

    Example:
        >>> half_level(np.arange(16, dtype="f4").reshape(4, 4), band_rows=1).tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    data = np.asarray(data)
    *lead, h, w = data.shape
    out = np.empty((*lead, -(-h // 2), -(-w // 2)), dtype=data.dtype)
    rows = max(1, band_rows)

    def band(y0: int) -> None:
        y1 = min(y0 + rows, out.shape[-2])
        out[..., y0:y1, :] = block_mean(data[..., 2 * y0:2 * y1, :])

    run_all(band, range(0, out.shape[-2], rows))
    return out


def build_level(store, source: str, target: str, meta: core.ArrayMetadata) -> None:
    """Fill ``target`` (already created with ``meta``) from ``source`` one output shard at a
    time, with a bar per shard when :mod:`zarrkit.progress` is on.

    Example:
        >>> from zarrkit.storage import open_store
        >>> store = open_store("memory://doc-pyramid", mode="w")
        >>> src = core.create_array(store, "0", core.array_metadata((4, 6), "float32", (2, 2)))
        >>> core.write_region(store, "0", ..., np.arange(24, dtype="f4").reshape(4, 6), metadata=src)
        >>> half = core.create_array(store, "1", core.array_metadata((2, 3), "float32", (1, 2)))
        >>> build_level(store, "0", "1", half)
        >>> core.read_region(store, "1", ...).tolist()
        [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]]
    """
    src = core.read_metadata(store, source)
    step = meta.chunk_shape  # the shard (or chunk) shape: each is written whole, once
    lead = meta.ndim - 2
    ranges = [range(0, n, s) for n, s in zip(meta.shape[-2:], step[-2:])]
    shards = list(itertools.product(*ranges))
    for y0, x0 in track(shards, f"Building {target}"):
        y1, x1 = min(y0 + step[-2], meta.shape[-2]), min(x0 + step[-1], meta.shape[-1])
        sel = (Ellipsis, slice(2 * y0, min(2 * y1, src.shape[-2])), slice(2 * x0, min(2 * x1, src.shape[-1])))
        block = core.read_region(store, source, sel, metadata=src)
        out = block_mean(block)
        core.write_region(store, target, (*(slice(None),) * lead, slice(y0, y1), slice(x0, x1)), out, metadata=meta)


def pyramid_shapes(shape: tuple[int, ...], levels: bool | int) -> list[tuple[int, ...]]:
    """Shapes of levels 1…n, halving (rounding up) the last two axes: ``levels`` more of them,
    or with ``True`` until the previous level's longer side is at most 256.

    Example:
        >>> pyramid_shapes((3, 1000, 600), True)
        [(3, 500, 300), (3, 250, 150)]
        >>> pyramid_shapes((64, 64), 2)
        [(32, 32), (16, 16)]
    """
    out: list[tuple[int, ...]] = []
    if levels is False or levels == 0:
        return out
    limit = None if levels is True else int(levels)
    cur = tuple(shape)
    while max(cur[-2:]) > 256 if limit is None else len(out) < limit:
        cur = (*cur[:-2], -(-cur[-2] // 2), -(-cur[-1] // 2))
        out.append(cur)
        if max(cur[-2:]) <= 1:
            break
    return out
