"""The data task: one output shard, composited from every overlapping tile, written once.

Pure and idempotent: read each source window, quantise, composite (per pixel, among valid
sources the nearest footprint centre wins, ties to the smaller tile id), encode each array's
shard into a scratch memory store with the python encoder (so every executor gives the same
bytes), then put the objects with atomic writes; no read-modify-write, no ordering.  An
all-fill shard stores no object (and removes a stale one): its receipt says ``empty``.

``ZARRKIT_GEO_FAIL_ONCE`` and ``ZARRKIT_GEO_CRASH=<point>:<n>`` are fault injection for the
tests: the first fails one task with a transient error; the second kills the process (SIGKILL) at ``point`` (``mid-write``:
between two arrays; ``after-write``: before the receipt) of its n-th task: the crash tests
use it, nothing else should; ``rgb:<n>`` and ``world:<n>`` kill a preview task the same way
(:func:`crash_after_write`).

Example:
    >>> import numpy as np
    >>> shard_key("utm31/embeddings", (2, 5), 3), shard_key("utm31/scales", (2, 5), 2)
    ('utm31/embeddings/c/2/5/0', 'utm31/scales/c/2/5')
"""

from __future__ import annotations

import os
import signal
from functools import lru_cache
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.geo.layout import ZoneLayout
from zarrkit.geo.plan import ShardTask
from zarrkit.geo.quantize import quantize_source
from zarrkit.pyramid import write_shard
from zarrkit.storage import open_store

__all__ = ["composite", "crash_after_write", "open_cached", "run_shard", "shard_key", "write_shard"]

_counter = {"tasks": 0}


@lru_cache(maxsize=8)
def open_cached(url: str):
    """A per-process open store for ``url`` (tasks reopen stores by URL wherever they run)."""
    return open_store(url, mode="r+")


@lru_cache(maxsize=32)
def _arrays(layout: ZoneLayout) -> dict[str, core.ArrayMetadata]:
    return layout.arrays()


def shard_key(path: str, ij: tuple[int, int], ndim: int) -> str:
    """The store key of shard ``ij`` of a (y, x[, …]) array at ``path``."""
    return "/".join([path, "c", str(ij[0]), str(ij[1]), *["0"] * (ndim - 2)])


def _crash(point: str) -> None:
    spec = os.environ.get("ZARRKIT_GEO_CRASH", "")
    if spec and spec.split(":")[0] == point and _counter["tasks"] == int(spec.split(":")[1]):
        os.kill(os.getpid(), signal.SIGKILL)


def crash_after_write(phase: str) -> None:
    """Fault injection for the preview tasks (``ZARRKIT_GEO_CRASH=rgb:3`` or ``world:1``): SIGKILL
    after the n-th task of ``phase`` in this process wrote its shard, before its receipt."""
    spec = os.environ.get("ZARRKIT_GEO_CRASH", "")
    if not spec.startswith(phase + ":"):
        return
    _counter[phase] = _counter.get(phase, 0) + 1
    if _counter[phase] == int(spec.split(":")[1]):
        os.kill(os.getpid(), signal.SIGKILL)


def composite(task: ShardTask) -> tuple[np.ndarray, np.ndarray | None]:
    """``(q (s, s, band) int8, scale (s, s) float32)`` of one shard: +inf never covered, NaN masked;
    for a raster, ``(data (s, s, band) of the source dtype, None)`` with the nodata fill where no
    source is valid."""
    s, n, layout = task.layout.shard_side, task.layout.bands, task.layout
    raster = layout.kind != "embeddings"
    q = np.full((s, s, n), layout.fill, dtype=layout.dtype) if raster else np.zeros((s, s, n), dtype="i1")
    scale = None if raster else np.full((s, s), np.inf, dtype="f4")
    best = np.full((s, s), np.inf)
    for sw in task.sources:  # sorted by tile id: a strict "<" leaves ties to the smaller id
        data = sw.tile.read(sw.src)
        valid = sw.tile.read_mask(sw.src, data)
        if raster:
            qq, ss, ok = data, None, valid
        else:
            qq, ss = quantize_source(data, valid, sw.tile.read_scales(sw.src))
            ok = np.isfinite(ss)
        r0, r1, c0, c1 = sw.dst
        rows = (np.arange(r0, r1) + 0.5 - sw.centre[0]) ** 2
        cols = (np.arange(c0, c1) + 0.5 - sw.centre[1]) ** 2
        dist = rows[:, None] + cols[None, :]
        sub_best, sub_q = best[r0:r1, c0:c1], q[r0:r1, c0:c1]
        win = ok & (dist < sub_best)
        sub_best[win], sub_q[win] = dist[win], qq[win]
        if scale is not None:
            sub_scale = scale[r0:r1, c0:c1]
            sub_scale[win] = ss[win]
            masked = ~ok & np.isposinf(sub_scale)
            covered = sw.tile.read_coverage(sw.src)  # a warped tile's snapped rectangle exceeds its source
            sub_scale[masked if covered is None else masked & covered] = np.nan  # covered, but masked here
    return q, scale


def _fail_once() -> None:
    # ZARRKIT_GEO_FAIL_ONCE=<file>: the first task to remove the file fails with a transient
    # error (the retry tests use it)
    flag = os.environ.get("ZARRKIT_GEO_FAIL_ONCE")
    if flag:
        try:
            os.remove(flag)
        except FileNotFoundError:
            return
        raise OSError(f"injected transient failure ({flag})")


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Composite, quantise and write one shard of ``embeddings`` and ``scales`` (a raster's
    ``data``); the receipt."""
    _counter["tasks"] += 1
    _fail_once()
    store = open_cached(task.url)
    arrays = _arrays(task.layout)
    q, scale = composite(task)
    written = {}
    name = task.layout.data_name
    for n, (arr, block) in enumerate(((name, q), ("scales", scale)) if scale is not None else ((name, q),)):
        info = write_shard(store, f"{task.zone}/{arr}", arrays[arr], task.ij, block)
        if info is not None:
            written[arr] = info
        if n == 0:
            _crash("mid-write")
    _crash("after-write")
    return {"task": task.key, "phase": f"{task.key.split('/')[0]}/data", "fp": task.fingerprint,
            "status": "written" if written else "empty", "arrays": written}
