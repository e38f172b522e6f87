"""The ``python`` backend: numpy, numcodecs (``zstandard`` for zstd) and crc32c, synchronous, on the core thread pool.

It serves every store, both Zarr formats and every codec zarrkit knows.  The facade in
:mod:`zarrkit.core.region` and :mod:`zarrkit.core.chunk` hand it a :class:`Node` (store, path, metadata) and a plan from
:mod:`zarrkit.core.selection`; this module turns the plan into chunk reads and writes:

* step-1 box reads (``a[...]``, ``a[r0:r1, c0:c1]``) go to :mod:`~zarrkit.core.backends.bulk`,
  which decodes straight into the output on a few worker loops;
* other reads group the touched chunks; on a sharded array they group inner chunks by shard,
  read the shard index once (cached) and fetch the needed inner chunks as coalesced ranges,
  or the whole shard when most of it is needed;
* writes build whole chunks without reading, and read-modify-write partial ones under a
  striped lock keyed on the chunk (or shard) key;
* empty chunks (bytes equal to the fill value) are not stored, and stale ones are deleted.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> store = open_store("memory://", mode="w")
    >>> node = Node(store, "a", array_metadata((4,), "int16", (2,)))
    >>> write_chunk(node, (1,), np.array([5, 6], "int16"))
    >>> read_chunk(node, (1,)).tolist(), sorted(store.list_prefix(""))
    ([5, 6], ['a/c/1'])
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from zarrkit.core.backends import bulk
from zarrkit.core.backends.base import Capabilities, Node
from zarrkit.core.backends.shards import (
    Consumer,
    decode_chunk,
    index_key,
    inner_flat,
    read_shard_group,
    rewrite_shard,
    scratch_for,
    shard_index,
)
from zarrkit.core.backends.whole_write import write_whole, write_whole_shards
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.pool import in_worker, run_all
from zarrkit.core.selection import OrthogonalPlan, PointPlan, index_tuple
from zarrkit.core.sharding import is_fill, shard_index_cache
from zarrkit.errors import OutOfBoundsError

__all__ = ["Node", "capabilities", "chunk_lock", "delete_chunk", "is_fill", "name", "read_chunk", "read_plan",
           "read_points", "store_refusal", "write_chunk", "write_plan", "write_points"]

name = "python"
#: serves every case: both formats, every registered codec, every store and option
capabilities = Capabilities()


def store_refusal(store, *, op: str) -> str | None:
    """The python backend works through zarrkit's own store: any store will do."""
    return None


_ABSENT = 2**64 - 1
_STRIPES = [threading.Lock() for _ in range(256)]


def chunk_lock(node: Node, key: str) -> threading.Lock:
    """The striped lock serialising read-modify-writes of one chunk or shard."""
    return _STRIPES[hash((node.identity, key)) % len(_STRIPES)]



def _check_coords(node: Node, coords: tuple[int, ...], grid: tuple[int, ...]) -> tuple[int, ...]:
    coords = tuple(int(c) for c in coords)
    if len(coords) != len(grid) or any(not 0 <= c < g for c, g in zip(coords, grid)):
        raise OutOfBoundsError(
            f"chunk coordinates {list(coords)} are outside the chunk grid {list(grid)}", url=node.store.url, path=node.path
        )
    return coords


def _inner_grid(meta: ArrayMetadata) -> tuple[int, ...]:
    return tuple(-(-s // c) for s, c in zip(meta.shape, meta.chunks))



def _read_stored(node: Node, coords: tuple[int, ...], consumer: Consumer, dest: np.ndarray | None, missing: str) -> None:
    key = node.key(coords)
    raw = node.store.get(key)
    if raw is None:
        if missing == "raise":
            raise node.missing(key)
        consumer(None)
        return
    chain = node.meta.chain
    if dest is not None:
        decode_chunk(node, key, raw, chain, dest)
        return
    scratch = scratch_for(chain.spec) if chain.direct else None
    consumer(decode_chunk(node, key, raw, chain, scratch))


def _read_items(node: Node, items: list[tuple[tuple[int, ...], Consumer, np.ndarray | None]], missing: str) -> None:
    """Read chunks on the read grid (inner chunks when sharded) and hand each to its consumer."""
    if node.meta.sharding is None:
        if len(items) == 1:
            _read_stored(node, *items[0], missing)
        else:
            run_all(lambda it: _read_stored(node, *it, missing), items)
        return
    groups: dict[tuple[int, ...], list] = {}
    for coords, consumer, dest in items:
        shard, flat = inner_flat(node.meta, coords)
        groups.setdefault(shard, []).append((flat, consumer, dest))
    if len(groups) == 1:
        (shard, group), = groups.items()
        read_shard_group(node, shard, group, missing)
    else:
        run_all(lambda kv: read_shard_group(node, kv[0], kv[1], missing), list(groups.items()))


def read_single_chunk_box(node: Node, starts: list[int], stops: list[int]) -> np.ndarray | None:
    """The hot path: a step-1 box inside one (inner) chunk, read inline with no planning.

    Returns ``None`` when the box spans several chunks (the caller plans instead).
    """
    meta = node.meta
    sharding = meta.sharding
    grid_chunk = meta.chunks if sharding is not None else meta.chunk_shape
    coords = []
    local = []
    for a, b, c in zip(starts, stops, grid_chunk):
        k = a // c
        if (b - 1) // c != k:
            return None
        coords.append(k)
        local.append(slice(a - k * c, b - k * c))
    local = tuple(local)
    if sharding is None:
        key = node.key(tuple(coords))
        raw = node.store.get(key)
        chain = meta.chain
    else:
        per = sharding.per_shard
        shard = tuple(k // p for k, p in zip(coords, per))
        flat = 0
        for k, p in zip(coords, per):
            flat = flat * p + k % p
        key = node.key(shard)
        chain = sharding.inner
        raw = None
        for attempt in (0, 1):
            index = shard_index(node, key, use_cache=attempt == 0)
            if index is None:
                break
            off, nb = index[flat].tolist()
            if off == _ABSENT and nb == _ABSENT:
                break
            raw = node.store.get_range(key, off, nb)
            if raw is not None and len(raw) == nb:
                break
            if attempt == 1:
                raise node.decode_error(key, CodecFailure("sharding_indexed", "shard is shorter than its index says"))
            raw = None
    if raw is None:
        return np.full(tuple(b - a for a, b in zip(starts, stops)), meta.fill_value, dtype=meta.dtype)
    chunk = decode_chunk(node, key, raw, chain, scratch_for(chain.spec) if chain.direct else None)
    return chunk[local].copy()


# ---------------------------------------------------------------------------- public reads
def read_chunk(node: Node, coords, *, inner: bool = False, missing: str = "fill") -> np.ndarray:
    """One decoded chunk (full chunk shape, padding included); a new array the caller owns."""
    meta = node.meta
    sharded = inner and meta.sharding is not None
    grid = _inner_grid(meta) if sharded else meta.grid_shape
    coords = _check_coords(node, coords, grid)
    shape = meta.chunks if sharded else meta.chunk_shape
    out = np.empty(shape, dtype=meta.dtype)

    def consume(chunk):
        out[...] = meta.fill_value if chunk is None else chunk

    if sharded:
        shard, flat = inner_flat(meta, coords)
        read_shard_group(node, shard, [(flat, consume, None)], missing)
    else:
        _read_stored(node, coords, consume, out if meta.chain.direct else None, missing)
    return out


def _full_cover(csel: tuple, chunk_shape: tuple[int, ...]) -> bool:
    return all(
        isinstance(s, slice) and s.start == 0 and s.stop == c and (s.step or 1) == 1 for s, c in zip(csel, chunk_shape)
    )


def read_plan(node: Node, plan: OrthogonalPlan, out: np.ndarray, missing: str = "fill") -> None:
    """Fill ``out`` (the plan's full shape, integer axes kept) from the touched chunks."""
    if bulk.read_box(node, plan, out, missing):  # step-1 boxes: decoded straight into ``out``
        return
    meta = node.meta
    grid_chunk = meta.read_chunks
    fill = meta.fill_value
    items = []
    for coords, csel, osel in plan.tasks(grid_chunk):
        oidx = index_tuple(osel)
        cidx = index_tuple(csel)
        dest = None
        if _full_cover(csel, grid_chunk) and all(isinstance(s, slice) and (s.step or 1) == 1 for s in osel):
            view = out[oidx]
            if view.flags.c_contiguous and view.shape == tuple(grid_chunk):
                dest = view

        def consume(chunk, oidx=oidx, cidx=cidx):
            if chunk is None:
                out[oidx] = fill
            else:
                out[oidx] = chunk[cidx]

        items.append((coords, consume, dest))
    _read_items(node, items, missing)


def read_points(node: Node, plan: PointPlan, out_flat: np.ndarray, missing: str = "fill") -> None:
    """Fill the flat output of a point selection."""
    meta = node.meta
    grid_chunk = meta.read_chunks
    fill = meta.fill_value
    items = []
    for coords, local, positions in plan.tasks(grid_chunk):

        def consume(chunk, local=local, positions=positions):
            out_flat[positions] = fill if chunk is None else chunk[local]

        items.append((coords, consume, None))
    _read_items(node, items, missing)


# ---------------------------------------------------------------------------- writes
def _store_encoded(node: Node, key: str, chunk: np.ndarray, write_empty: bool, known_missing: bool) -> None:
    meta = node.meta
    if not write_empty and is_fill(chunk, meta.fill_value):
        encoded = None
    else:
        try:
            encoded = meta.chain.encode(chunk)
        except CodecFailure as failure:
            raise node.decode_error(key, failure) from None
    if meta.sharding is not None:
        shard_index_cache.discard(index_key(node, key))
    if encoded is None:
        if not known_missing:
            node.store.delete(key)
    else:
        node.store.set(key, encoded)


def _chunk_region(meta: ArrayMetadata, coords: tuple[int, ...]) -> tuple[int, ...]:
    """The in-bounds extent of a stored chunk (smaller than the chunk at the array edge)."""
    return tuple(min(c, s - i * c) for i, c, s in zip(coords, meta.chunk_shape, meta.shape))


def _write_one(node: Node, coords, producer: Callable[[np.ndarray], None], full: bool, write_empty: bool,
               csel: tuple | None = None, source: np.ndarray | None = None) -> None:
    """Write one stored chunk: whole without reading, else read-modify-write under its lock.

    A partial write into a shard (``csel``, the shard-local selection, given) re-encodes only
    the inner chunks it touches (:func:`~zarrkit.core.backends.shards.rewrite_shard`).
    """
    meta = node.meta
    key = node.key(coords)
    if full:
        region = _chunk_region(meta, coords)
        if source is not None and source.shape == meta.chunk_shape:
            write_whole(node, key, source, write_empty)  # encoded from the caller's values, no staging array
            return
        if region == meta.chunk_shape:
            chunk = np.empty(meta.chunk_shape, dtype=meta.dtype)
        else:
            chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
        producer(chunk)
        _store_encoded(node, key, chunk, write_empty, known_missing=False)
        return
    if csel is not None and meta.sharding is not None:
        with chunk_lock(node, key):
            rewrite_shard(node, key, csel, producer, write_empty)
        return
    with chunk_lock(node, key):
        raw = node.store.get(key)
        if raw is None:
            chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
        else:
            chunk = decode_chunk(node, key, raw, meta.chain)
            if not chunk.flags.writeable or chunk.base is not None and not chunk.flags.owndata:
                chunk = chunk.copy()
        producer(chunk)
        _store_encoded(node, key, chunk, write_empty, known_missing=raw is None)


def write_plan(node: Node, plan: OrthogonalPlan, value: np.ndarray, write_empty: bool = False) -> None:
    """Write ``value`` (already broadcast to the plan's full shape) into the touched chunks."""
    meta = node.meta
    items = []
    for coords, csel, osel in plan.tasks(meta.chunk_shape):
        region = _chunk_region(meta, coords)
        full = _full_cover(csel, region) and all(isinstance(s, slice) and (s.step or 1) == 1 for s in osel)
        cidx = index_tuple(csel)
        oidx = index_tuple(osel)
        if full:

            def produce(chunk, oidx=oidx, region=region):
                chunk[tuple(slice(0, r) for r in region)] = value[oidx]

        else:

            def produce(chunk, oidx=oidx, cidx=cidx):
                chunk[cidx] = value[oidx]

        source = value[(*oidx, Ellipsis)] if full and region == meta.chunk_shape else None  # a view, also 0-d
        items.append((coords, produce, full, write_empty, None if full else cidx, source))
    if meta.sharding is not None and not in_worker():
        whole = [it for it in items if it[5] is not None and it[5].shape == meta.chunk_shape]
        if len(whole) > 1:  # shard after shard, every core on each: see write_whole_shards
            write_whole_shards(node, [(node.key(it[0]), it[5]) for it in whole], write_empty)
            items = [it for it in items if not (it[5] is not None and it[5].shape == meta.chunk_shape)]
    if not items:
        return
    if len(items) == 1:
        _write_one(node, *items[0])
    else:
        run_all(lambda it: _write_one(node, *it), items)


def write_points(node: Node, plan: PointPlan, values_flat: np.ndarray, write_empty: bool = False) -> None:
    """Scatter point values; duplicate coordinates keep the last value."""
    meta = node.meta
    items = []
    for coords, local, positions in plan.tasks(meta.chunk_shape):

        def produce(chunk, local=local, positions=positions):
            chunk[local] = values_flat[positions]

        items.append((coords, produce, False, write_empty, local))
    run_all(lambda it: _write_one(node, *it), items)


def write_chunk(node: Node, coords, data: np.ndarray, *, inner: bool = False, write_empty: bool = False) -> None:
    """Write one whole chunk (or inner chunk, rewriting its shard) from ``data``."""
    meta = node.meta
    if inner and meta.sharding is not None:
        coords = _check_coords(node, coords, _inner_grid(meta))
        shard, _ = inner_flat(meta, coords)
        per = meta.sharding.per_shard
        local = tuple(slice((c % p) * s, (c % p) * s + d) for c, p, s, d in zip(coords, per, meta.chunks, data.shape))

        def produce(chunk):
            chunk[local] = data

        _write_one(node, shard, produce, False, write_empty, local)
        return
    coords = _check_coords(node, coords, meta.grid_shape)

    def produce_whole(chunk):
        chunk[tuple(slice(0, d) for d in data.shape)] = data

    key = node.key(coords)
    if data.shape == meta.chunk_shape:
        chunk = np.ascontiguousarray(data, dtype=meta.dtype)
    else:
        chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
        produce_whole(chunk)
    _store_encoded(node, key, chunk, write_empty, known_missing=False)


def delete_chunk(node: Node, coords, *, inner: bool = False) -> None:
    """Delete a chunk; an inner chunk is cleared by rewriting its shard (deleted if left empty)."""
    meta = node.meta
    if inner and meta.sharding is not None:
        coords = _check_coords(node, coords, _inner_grid(meta))
        shard, _ = inner_flat(meta, coords)
        per = meta.sharding.per_shard
        local = tuple(slice((c % p) * s, (c % p + 1) * s) for c, p, s in zip(coords, per, meta.chunks))
        key = node.key(shard)

        def clear(chunk):
            chunk[local] = meta.fill_value

        with chunk_lock(node, key):
            if node.store.exists(key):
                rewrite_shard(node, key, local, clear, False)
        return
    coords = _check_coords(node, coords, meta.grid_shape)
    key = node.key(coords)
    if meta.sharding is not None:
        shard_index_cache.discard(index_key(node, key))
    node.store.delete(key)
