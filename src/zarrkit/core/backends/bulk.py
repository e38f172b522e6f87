"""Bulk reads for the python backend: step-1 boxes decoded straight into the output.

A box read (ints and step-1 slices, the ``a[...]`` and ``a[r0:r1, c0:c1]`` case) is cut into
jobs that a few worker loops pull from one queue, instead of one pool future per chunk:

* an unsharded chunk is one job: read its bytes, decode;
* a shard that the box needs most of is one job that reads the whole shard once and then
  queues one decode job per inner chunk (ahead of the other shards' reads, so at most a
  few shards are held in memory); while one worker reads a shard the others decode, so
  I/O overlaps decoding on every core (the codecs release the GIL);
* a shard the box needs little of goes through :func:`~zarrkit.core.backends.shards.read_shard_group`
  (cached index, coalesced ranges).

A chunk the box covers whole whose place in the output is contiguous is decompressed into
the output itself; any other chunk is decompressed into one reusable per-thread buffer
(:func:`~zarrkit.core.backends.shards.scratch_for`) and copied from there, so no chunk
allocates.  Hostile bytes raise the same errors as the chunk-by-chunk path: a decode
failure names the chunk's (or shard's) key, a bad shard index is refused before use.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> from zarrkit.core.selection import plan_selection
    >>> from zarrkit.core.backends import python
    >>> node = Node(open_store("memory://", mode="w"), "a", array_metadata((4, 4), "u1", (2, 2), shards=(4, 4)))
    >>> python.write_plan(node, plan_selection(..., (4, 4)).ortho, np.arange(16, dtype="u1").reshape(4, 4))
    >>> out = np.empty((2, 3), "u1")
    >>> read_box(node, plan_selection((slice(1, 3), slice(1, 4)), (4, 4)).ortho, out, "fill")
    True
    >>> out.tolist()
    [[5, 6, 7], [9, 10, 11]]
"""

from __future__ import annotations

import itertools
import threading
from collections import deque

import numpy as np

from zarrkit.core.backends.base import Node
from zarrkit.core.backends.shards import decode_chunk, read_shard_group, read_whole_shard, scratch_for
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.pool import in_worker, run_all, usable_cores
from zarrkit.core.selection import OrthogonalPlan
from zarrkit.core.sharding import MISSING

__all__ = ["read_box"]

#: below this many chunks the queue's hand-offs cost more than they save
_MIN_PARALLEL = 2


def read_box(node: Node, plan: OrthogonalPlan, out: np.ndarray, missing: str) -> bool:
    """Fill ``out`` (the plan's full shape) for a step-1 box; ``False`` when the plan is not one.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core.metadata import array_metadata
        >>> from zarrkit.core.selection import plan_selection
        >>> node = Node(open_store("memory://", mode="w"), "a", array_metadata((4,), "u1", (2,), fill_value=7))
        >>> out = np.empty(3, "u1")
        >>> read_box(node, plan_selection(slice(1, 4), (4,)).ortho, out, "fill"), out.tolist()
        (True, [7, 7, 7])
    """
    if not plan.is_box or plan.empty or node.meta.dtype.kind in "OU":
        return False
    meta = node.meta
    grid_chunk = meta.read_chunks
    per_axis = [_axis_parts(a.start, a.size, c) for a, c in zip(plan.axes, grid_chunk)]
    sharding = meta.sharding
    if sharding is None:
        chain = meta.chain
        jobs = [(_read_chunk_job, (node, chain, coords, _view(out, osel), csel, full, missing))
                for coords, csel, osel, full in _combos(per_axis, grid_chunk)]
    else:
        jobs = _shard_jobs(node, per_axis, grid_chunk, out, missing)
    _drain(jobs)
    return True


# ---------------------------------------------------------------------------- planning
def _axis_parts(start: int, size: int, chunk: int) -> list[tuple[int, slice, slice, bool]]:
    """``(chunk index, slice in the chunk, slice in the output, covers the chunk)`` per touched chunk."""
    stop = start + size
    parts = []
    for k in range(start // chunk, (stop - 1) // chunk + 1):
        lo = max(start, k * chunk)
        hi = min(stop, (k + 1) * chunk)
        parts.append((k, slice(lo - k * chunk, hi - k * chunk), slice(lo - start, hi - start),
                      hi - lo == chunk))
    return parts


def _combos(per_axis, grid_chunk):
    """``(coords, chunk selection, output selection, whole chunk)`` for every touched chunk."""
    for combo in itertools.product(*per_axis):
        yield (tuple(p[0] for p in combo), tuple(p[1] for p in combo), tuple(p[2] for p in combo),
               all(p[3] for p in combo))


def _view(out: np.ndarray, osel: tuple) -> np.ndarray:
    return out[osel] if osel else out  # a 0-d array indexed with () would give a scalar


def _shard_jobs(node: Node, per_axis, grid_chunk, out: np.ndarray, missing: str) -> list:
    meta = node.meta
    codec = meta.sharding
    per = codec.per_shard
    n_inner = 1
    for p in per:
        n_inner *= p
    groups: dict[tuple[int, ...], list] = {}
    for coords, csel, osel, full in _combos(per_axis, grid_chunk):
        flat = 0
        for c, p in zip(coords, per):
            flat = flat * p + c % p
        shard = tuple(c // p for c, p in zip(coords, per))
        groups.setdefault(shard, []).append((flat, _view(out, osel), csel, full))
    jobs = []
    for shard, items in groups.items():
        if len(items) * 2 > n_inner:
            jobs.append((_read_shard_job, (node, shard, items, missing)))
        else:
            jobs.append((_partial_shard_job, (node, shard, items, missing)))
    return jobs


# ---------------------------------------------------------------------------- jobs
def _place(node: Node, key: str, chain, raw, dest: np.ndarray, csel: tuple, full: bool) -> None:
    """Decode one chunk's bytes into its place in the output."""
    if full and chain.direct and dest.flags.c_contiguous:
        decode_chunk(node, key, raw, chain, dest)
        return
    chunk = decode_chunk(node, key, raw, chain, scratch_for(chain.spec) if chain.direct else None)
    dest[...] = chunk if full else chunk[csel]


def _fill(node: Node, key: str, dest: np.ndarray, missing: str) -> None:
    if missing == "raise":
        raise node.missing(key)
    dest[...] = node.meta.fill_value


def _read_chunk_job(node: Node, chain, coords, dest, csel, full, missing) -> None:
    key = node.key(coords)
    raw = node.store.get(key)
    if raw is None:
        _fill(node, key, dest, missing)
    else:
        _place(node, key, chain, raw, dest, csel, full)
    return None


def _read_shard_job(node: Node, shard, items, missing) -> list | None:
    """Read a whole shard once; return one decode job per wanted inner chunk."""
    codec = node.meta.sharding
    key = node.key(shard)
    whole_shard = read_whole_shard(node, codec, key)
    if whole_shard is None:
        for _, dest, _, _ in items:
            _fill(node, key, dest, missing)
        return None
    view, index = whole_shard
    size = len(view)
    chain = codec.inner
    pieces = []
    for flat, dest, csel, full in items:
        off, nb = index[flat]
        if off == MISSING and nb == MISSING:
            _fill(node, key, dest, missing)
            continue
        off, nb = int(off), int(nb)
        if off + nb > size:
            raise node.decode_error(key, CodecFailure("sharding_indexed", "inner chunk runs past the end of the shard"))
        pieces.append((view[off : off + nb], dest, csel, full))
    # a few batches, not one job per inner chunk: fewer hand-offs, and every loop still gets work
    step = max(1, -(-len(pieces) // (2 * _loops())))
    return [(_place_all, (node, key, chain, pieces[i : i + step])) for i in range(0, len(pieces), step)]


def _place_all(node: Node, key: str, chain, pieces: list) -> None:
    for raw, dest, csel, full in pieces:
        _place(node, key, chain, raw, dest, csel, full)


def _partial_shard_job(node: Node, shard, items, missing) -> None:
    """A few inner chunks of a shard: cached index and coalesced ranges (``read_shard_group``)."""
    chain = node.meta.sharding.inner

    def consumer(dest, csel, full):
        def consume(chunk):
            if chunk is None:
                dest[...] = node.meta.fill_value
            else:
                dest[...] = chunk if full else chunk[csel]
        return consume

    group = []
    for flat, dest, csel, full in items:
        into = dest if full and chain.direct and dest.flags.c_contiguous else None
        group.append((flat, consumer(dest, csel, full), into))
    read_shard_group(node, shard, group, missing)
    return None


# ---------------------------------------------------------------------------- the queue
def _drain(jobs: list) -> None:
    """Run ``jobs`` (``(fn, args)``; ``fn`` may return more jobs, run next) on a few worker loops."""
    if len(jobs) < _MIN_PARALLEL or in_worker():
        _serial(jobs)
        return
    queue = _Queue(jobs)
    run_all(lambda _: queue.work(), range(min(_loops(), len(jobs))))
    if queue.error is not None:
        raise queue.error


def _loops() -> int:
    # as many loops as the core pool has workers: every core decodes while others wait on reads
    return max(2, usable_cores() * 2)


def _serial(jobs: list) -> None:
    pending = deque(jobs)
    while pending:
        fn, args = pending.popleft()
        more = fn(*args)
        if more:
            pending.extendleft(reversed(more))


class _Queue:
    """Jobs shared by the worker loops; a job's follow-ups go to the front (finish a shard first)."""

    def __init__(self, jobs: list) -> None:
        self.jobs: deque = deque(jobs)
        self.running = 0
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def work(self) -> None:
        jobs, cond = self.jobs, self.cond
        while True:
            with cond:
                while not jobs and self.running and self.error is None:
                    cond.wait()  # a shard being read may still queue its inner chunks
                if self.error is not None or not jobs:
                    cond.notify_all()
                    return
                fn, args = jobs.popleft()
                self.running += 1
            try:
                more = fn(*args)
            except BaseException as err:  # noqa: BLE001 - handed to the caller by _drain
                with cond:
                    if self.error is None:
                        self.error = err
                    self.running -= 1
                    cond.notify_all()
                return
            with cond:
                if more:
                    jobs.extendleft(reversed(more))
                self.running -= 1
                cond.notify_all()

