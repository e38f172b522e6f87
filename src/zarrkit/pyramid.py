"""Multiscale pyramids by 2x2 block means, built one output shard at a time.

Means are taken in float64 over the real pixels of each block (a partial block at the
edge averages what it has), NaN is ignored (an all-NaN block stays NaN), and integer
data is rounded half-to-even and cast back.  :func:`build_level` reads only the input
region behind each output shard, so memory stays near a few shard budgets.

With ``valid=`` or ``alpha_axis=`` the mean is taken over **valid children only** (one valid
child gives its value, none gives ``fill``), so no-data never darkens edges; RGBA colour is
Σ(c·a)/Σa and alpha is the mean of the children present (``alpha="coverage"``) or 255 when
any is non-zero (``"any"``).  ``axes=`` picks the two axes to halve, e.g. ``(0, 1)`` on
(y, x, band) blocks.  :func:`build_levels` builds a whole pyramid one output shard per
task on any :mod:`zarrkit.parallel` executor.

Example:
    >>> import numpy as np
    >>> block_mean(np.array([[1, 2, 3], [3, 4, 5]], dtype="int16")).tolist()
    [[2, 4]]
    >>> block_mean(np.array([[np.nan, np.nan], [np.nan, 1.0]])).tolist()
    [[1.0]]
"""

from __future__ import annotations

import itertools
import json
import warnings
from dataclasses import dataclass

import numpy as np

from zarrkit import core
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.pool import run_all
from zarrkit.progress import track

__all__ = ["block_mean", "build_level", "build_levels", "half_level", "level_shapes",
           "pyramid_shapes", "METHOD"]

METHOD = "zarrkit.pyramid.block_mean"


def block_mean(data: np.ndarray, *, factor: int = 2, axes: tuple[int, int] | None = None, valid: np.ndarray | None = None,
               alpha_axis: int | None = None, alpha: str = "coverage", fill: float = 0) -> np.ndarray:
    """2x2 mean over the last two axes (or ``axes``); output side ``ceil(side / 2)``.

    Example:
        >>> rgba = np.zeros((2, 2, 4), "uint8"); rgba[0, 0] = (200, 100, 50, 255)
        >>> block_mean(rgba, axes=(0, 1), alpha_axis=2).tolist()
        [[[200, 100, 50, 64]]]
        >>> block_mean(np.array([[4.0, 8.0], [0.0, 0.0]]), valid=np.array([[True, True], [False, False]])).tolist()
        [[6.0]]
    """
    data = np.asarray(data)
    if factor != 2 or axes is not None or valid is not None or alpha_axis is not None:
        return _weighted_block_mean(data, factor, axes or (-2, -1), valid, alpha_axis, alpha, fill)
    if data.dtype.kind in "iu" or not np.isnan(data).any():
        mean = _finite_block_mean(data)
    else:
        mean = _nan_block_mean(data)
    if data.dtype.kind in "iu":
        info = np.iinfo(data.dtype)
        return np.clip(np.rint(mean), info.min, info.max).astype(data.dtype)
    return mean.astype(data.dtype)


def _block_sum(x: np.ndarray, f: int) -> np.ndarray:
    """Sums over f×f blocks of the last two axes, zero-padded to whole blocks."""
    *lead, h, w = x.shape
    oh, ow = -(-h // f), -(-w // f)
    if (h, w) != (oh * f, ow * f):
        x = np.pad(x, [(0, 0)] * len(lead) + [(0, oh * f - h), (0, ow * f - w)])
    if f == 2:  # strided adds: several times faster than a reshaped sum over interleaved axes
        return x[..., 0::2, 0::2] + x[..., 0::2, 1::2] + x[..., 1::2, 0::2] + x[..., 1::2, 1::2]
    return x.reshape(*lead, oh, f, ow, f).sum(axis=(-3, -1))


def _weighted_block_mean(data, f, axes, valid, alpha_axis, alpha, fill):
    nd = data.ndim
    axes = tuple(a % nd for a in axes)
    x = np.moveaxis(data, axes, (-2, -1)).astype(np.float64)
    present = np.ones(x.shape[-2:])
    if alpha_axis is not None:
        ch = [a for a in range(nd) if a not in axes].index(alpha_axis % nd)
        x = np.moveaxis(x, ch, 0)
        weight = x[-1]
        colour = _block_sum(x[:-1] * weight, f)
        wsum = _block_sum(weight, f)
        with np.errstate(invalid="ignore", divide="ignore"):
            colour = np.where(wsum > 0, colour / np.where(wsum > 0, wsum, 1), 0)
        if alpha == "any":
            a = np.where(wsum > 0, 255.0, 0.0)
        else:
            a = wsum / _block_sum(present, f)
        out = np.moveaxis(np.concatenate([colour, a[None]]), 0, ch)
    else:
        ok = np.ones(x.shape, bool) if valid is None else np.broadcast_to(
            np.moveaxis(np.asarray(valid), [a for a in axes if a < np.ndim(valid)], (-2, -1))
            if np.ndim(valid) == nd else np.asarray(valid), x.shape)
        if x.dtype.kind == "f":
            ok = ok & np.isfinite(x)
        n = _block_sum(ok.astype(np.float64), f)
        total = _block_sum(np.where(ok, x, 0.0), f)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(n > 0, total / np.where(n > 0, n, 1), fill)
    out = np.moveaxis(out, (-2, -1), axes)
    if data.dtype.kind in "iu":
        info = np.iinfo(data.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(data.dtype)
    return out.astype(data.dtype)


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


def level_shapes(shape: tuple[int, int], stop: int) -> list[tuple[int, int]]:
    """Shapes of levels 0…n: halve (rounding up) until the longer side is ≤ ``stop`` (one inner chunk).

    Example:
        >>> level_shapes((600, 1000), 256)
        [(600, 1000), (300, 500), (150, 250)]
    """
    out = [tuple(shape)]
    while max(out[-1]) > stop:
        h, w = out[-1]
        out.append((-(-h // 2), -(-w // 2)))
    return out


def shard_key(path: str, meta: core.ArrayMetadata, index: tuple[int, ...]) -> str:
    """The store key of stored object ``index`` (one per leading axis) of a default-encoded v3 array.

    Example:
        >>> shard_key("p/rgb", core.array_metadata((8, 8, 4), "u1", (4, 4, 4)), (1, 0))
        'p/rgb/c/1/0/0'
    """
    full = tuple(index) + (0,) * (meta.ndim - len(index))
    return f"{path}/c/" + "/".join(map(str, full))


def write_shard(store, path: str, meta: core.ArrayMetadata, index: tuple[int, int], block: np.ndarray) -> dict | None:
    """Encode one whole shard with the python encoder (every executor gives the same bytes) and
    put it with one atomic write; ``{bytes, crc32c}``, or ``None`` when all fill (a stale
    object is removed).

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = core.array_metadata((4, 4), "u1", (2, 2), shards=(4, 4), fill_value=0)
        >>> write_shard(s, "a", m, (0, 0), np.ones((4, 4), "u1"))["bytes"] > 0
        True
        >>> write_shard(s, "a", m, (0, 0), np.zeros((4, 4), "u1")) is None, s.exists("a/c/0/0")
        (True, False)
    """
    import crc32c

    from zarrkit.storage import open_store

    step = meta.chunk_shape
    box = tuple(slice(i * s, min((i + 1) * s, n)) for i, s, n in zip(index, step, meta.shape)) + \
        (slice(None),) * (meta.ndim - len(index))
    scratch = open_store("memory://", mode="w")
    core.write_region(scratch, path, box, block, metadata=meta, backend="python")
    key = shard_key(path, meta, index)
    raw = scratch.get(key)
    if raw is None:
        if store.exists(key):
            store.delete(key)
        return None
    store.set(key, raw)
    return {"bytes": len(raw), "crc32c": crc32c.crc32c(raw)}


@dataclass(frozen=True)
class LevelTask:
    """One output shard of one pyramid level: reads its 2×2 input shards, writes one shard."""

    key: str
    fingerprint: str
    est_bytes: int
    url: str
    source: str
    target: str
    source_doc: str
    target_doc: str
    ij: tuple[int, int]
    alpha_axis: int | None = None
    rows: int = 512  # input rows per sub-tile: bounds the float64 temporaries
    method: str = "mean"  # or "mode" / "nearest" (zarrkit.categorical), valid where != nodata
    nodata: float | None = None


def run_level_task(task: LevelTask) -> dict:
    """Build one output shard (module-level, so it runs on any executor); returns its receipt."""
    from zarrkit.storage import open_store

    store = open_store(task.url, mode="r+")
    src = ArrayMetadata.from_dict(json.loads(task.source_doc))
    dst = ArrayMetadata.from_dict(json.loads(task.target_doc))
    sy, sx = dst.chunk_shape[:2]
    y0, x0 = task.ij[0] * sy, task.ij[1] * sx
    y1, x1 = min(y0 + sy, dst.shape[0]), min(x0 + sx, dst.shape[1])
    out = np.zeros((sy, sx, *dst.shape[2:]), dtype=dst.dtype)
    if task.method != "mean":
        from zarrkit import categorical

        reduce = getattr(categorical, f"block_{task.method}")
        fill = task.nodata if task.nodata is not None else (dst.fill_value or 0)
        out[...] = fill
    for r in range(y0, y1, task.rows // 2):
        r1 = min(r + task.rows // 2, y1)
        block = core.read_region(store, task.source, (slice(2 * r, min(2 * r1, src.shape[0])),
                                                      slice(2 * x0, min(2 * x1, src.shape[1]))), metadata=src)
        if task.method == "mean" and not block.any() and not src.fill_value:  # all fill: stays fill
            continue
        if task.method != "mean":
            out[r - y0:r1 - y0, :x1 - x0] = reduce(block, axes=(0, 1), nodata=task.nodata, fill=fill)
            continue
        out[r - y0:r1 - y0, :x1 - x0] = block_mean(block, axes=(0, 1), alpha_axis=task.alpha_axis,
                                                   valid=None if task.alpha_axis is not None else np.ones(block.shape[:2], bool))
    info = write_shard(store, task.target, dst, task.ij, out[:y1 - y0, :x1 - x0] if (y1 - y0, x1 - x0) != (sy, sx) else out)
    store.close()
    return {"task": task.key, "phase": task.key.rsplit("/", 1)[0], "fp": task.fingerprint,
            "status": "written" if info else "empty", "arrays": {task.target: info} if info else {}}


def build_levels(url: str, paths: list[str], children: dict[tuple[int, int], str], *, alpha_axis: int | None = None,
                 executor=None, workers: int | None = None, memory=None, ledger=None, phase: str = "pyramid",
                 force: bool = False, method: str = "mean", nodata: float | None = None) -> list[dict[tuple[int, int], str]]:
    """Fill levels ``paths[1:]`` (already created, sharded) from ``paths[0]``, one task per output
    shard that has a written child; ``children`` maps level-0 shards to a digest of their
    content (a crc32c or a fingerprint).  A task's fingerprint hashes its 4 children's
    digests, so dirt propagates up and clean shards are skipped through the ledger.
    ``method="mode"`` / ``"nearest"`` reduce categorical data (:mod:`zarrkit.categorical`;
    ``nodata`` values do not count).  Returns every level's ``{shard: digest}``.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://doc-levels", mode="w")
        >>> m0 = core.create_array(s, "0", core.array_metadata((4, 4), "f4", (2, 2), shards=(2, 2)))
        >>> m1 = core.create_array(s, "1", core.array_metadata((2, 2), "f4", (2, 2), shards=(2, 2)))
        >>> core.write_region(s, "0", ..., np.arange(16, dtype="f4").reshape(4, 4), metadata=m0)
        >>> _ = build_levels("memory://doc-levels", ["0", "1"], {(0, 0): "a", (0, 1): "b", (1, 0): "c", (1, 1): "d"},
        ...                  executor="serial")
        >>> core.read_region(s, "1", ...).tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    import hashlib

    from zarrkit.parallel import run_tasks
    from zarrkit.storage import open_store

    if method not in ("mean", "mode", "nearest"):
        from zarrkit.errors import InvalidOptionError

        raise InvalidOptionError(f"{url}: pyramid method {method!r} for {paths[0]}: expected mean, mode or nearest")
    store = open_store(url, mode="r")
    metas = [core.read_metadata(store, p) for p in paths]
    out = [dict(children)]
    for k in range(1, len(paths)):
        prev, tasks = out[-1], {}
        src_doc, dst_doc = json.dumps(metas[k - 1].to_dict()), json.dumps(metas[k].to_dict())
        for ij in sorted({(i // 2, j // 2) for i, j in prev}):
            kids = [[i, j, prev.get((i, j))] for i in (2 * ij[0], 2 * ij[0] + 1) for j in (2 * ij[1], 2 * ij[1] + 1)]
            how = [] if method == "mean" and nodata is None else [method, nodata]  # mean keeps its old fingerprints
            fp = hashlib.sha256(json.dumps([dst_doc, alpha_axis, kids, *how]).encode()).hexdigest()
            est = 12 * int(np.prod(metas[k].chunk_shape)) * 8
            tasks[ij] = LevelTask(f"{phase}/{k}/{ij[0]}.{ij[1]}", fp, est, url, paths[k - 1], paths[k], src_doc, dst_doc,
                                  ij, alpha_axis, method=method, nodata=nodata)
        kw = dict(executor=executor, workers=workers, memory=memory, phase=f"{phase}/{k}", progress=True)
        if ledger is not None:
            run_tasks(run_level_task, list(tasks.values()), ledger=ledger, resume=not force, **kw)
            got = ledger.matching(f"{phase}/{k}")
            receipts = [got[(t.key, t.fingerprint)] for t in tasks.values()]
        else:
            receipts = run_tasks(run_level_task, list(tasks.values()), **kw)
        out.append({ij: r["fp"] for ij, r in zip(tasks, receipts) if r["status"] == "written"})
    store.close()
    return out
