"""Shard access for the python backend: shard indexes (cached), inner-chunk reads as coalesced
ranges, and partial shard rewrites that re-encode only the inner chunks a write touches.

A shard is read through its index (one suffix or prefix read, cached in
:data:`~zarrkit.core.sharding.shard_index_cache` under the node's generation); the index is
checked when decoded (:meth:`~zarrkit.core.sharding.ShardingCodec.decode_index`), so a hostile
index raises ``ChunkDecodeError`` naming the shard's key before any range is read.  A write
into part of a shard decodes and re-encodes only the touched inner chunks and copies the
others' encoded bytes (:func:`rewrite_shard`).

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> from zarrkit.core.backends.base import Node
    >>> store = open_store("memory://", mode="w")
    >>> node = Node(store, "a", array_metadata((4,), "u1", (2,), shards=(4,), compressors=None))
    >>> rewrite_shard(node, "a/c/0", (slice(2, 3),), lambda shard: shard.__setitem__(2, 9), write_empty=False)
    >>> shard_index(node, "a/c/0").tolist()
    [[18446744073709551615, 18446744073709551615], [0, 2]]
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from zarrkit.core.backends.base import Node
from zarrkit.core.cache import generation
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.pool import run_all
from zarrkit.core.sharding import MISSING, is_fill, shard_index_cache
from zarrkit.errors import ChunkDecodeError, ZarrkitError

__all__ = ["Consumer", "decode_chunk", "index_key", "inner_flat", "read_shard_group", "read_whole_shard", "rewrite_shard",
           "scratch_for", "shard_index", "touched_inner"]

_COALESCE_GAP = 64 * 1024  # merge inner-chunk ranges closer than this into one read

def decode_chunk(node: Node, key: str, raw: Any, chain, out: np.ndarray | None = None) -> np.ndarray:
    try:
        return chain.decode(raw, out)
    except ZarrkitError:
        raise
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None
    except Exception as failure:  # a codec library's own error on corrupt bytes
        raise node.decode_error(key, failure) from failure


def index_key(node: Node, key: str) -> tuple:
    return (node.identity, node.path, generation(node.identity, node.path), key)


def shard_index(node: Node, key: str, *, use_cache: bool = True) -> np.ndarray | None:
    """The flat ``(n, 2)`` index of a shard, or ``None`` when the shard is not stored."""
    cache_key = index_key(node, key)
    if use_cache:
        index = shard_index_cache.get(cache_key)
        if index is not None:
            return index
    codec = node.meta.sharding
    start, length = codec.index_range()
    raw = node.store.get_range(key, start, length)
    if raw is None:
        return None
    try:
        index = codec.decode_index(raw).reshape(-1, 2)
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None
    shard_index_cache.put(cache_key, index)
    return index


def inner_flat(meta: ArrayMetadata, coords: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """Shard coordinates and the flat position inside the shard for inner-chunk ``coords``."""
    per = meta.sharding.per_shard
    shard = tuple(c // p for c, p in zip(coords, per))
    flat = 0
    for c, p in zip(coords, per):
        flat = flat * p + c % p
    return shard, flat


Consumer = Callable[[np.ndarray | None], None]


def read_shard_group(node: Node, shard: tuple[int, ...], items: list[tuple[int, Consumer, np.ndarray | None]],
                      missing: str) -> None:
    """Read some inner chunks of one shard: ``items`` are ``(flat position, consumer, dest)``."""
    meta = node.meta
    codec = meta.sharding
    inner = codec.inner
    key = node.key(shard)
    n_inner = len(codec.per_shard) and int(np.prod(codec.per_shard))
    whole = len(items) * 2 > n_inner
    for attempt in (0, 1):
        try:
            if whole:
                whole_shard = read_whole_shard(node, codec, key)
                if whole_shard is None:
                    return all_missing(node, key, items, missing)
                view, index = whole_shard
                pieces = []
                for flat, consumer, dest in items:
                    off, nb = index[flat]
                    if off == MISSING and nb == MISSING:
                        pieces.append((None, consumer, dest))
                    else:
                        if int(off) + int(nb) > len(view):
                            raise node.decode_error(
                                key, CodecFailure("sharding_indexed", "inner chunk runs past the end of the shard"))
                        pieces.append((view[int(off) : int(off) + int(nb)], consumer, dest))
            else:
                index = shard_index(node, key, use_cache=attempt == 0)
                if index is None:
                    return all_missing(node, key, items, missing)
                pieces = fetch_ranges(node, key, index, items)
            decode_pieces(node, key, inner, pieces, missing)
            return
        except ChunkDecodeError:
            if whole or attempt == 1:
                raise
            shard_index_cache.discard(index_key(node, key))  # maybe rewritten elsewhere: retry once


def read_whole_shard(node: Node, codec, key: str) -> tuple[memoryview, np.ndarray] | None:
    """One GET of the shard at ``key``: ``(its bytes, its (n, 2) offset/length index)``, or
    ``None`` when the shard is absent; a malformed index names the key.

    Example:
        >>> read_whole_shard.__name__  # used by the grouped and the bulk shard readers
        'read_whole_shard'
    """
    raw = node.store.get(key)
    if raw is None:
        return None
    try:
        index, _ = codec.split_index(raw)
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None
    return memoryview(raw), index.reshape(-1, 2)


def all_missing(node: Node, key: str, items, missing: str) -> None:
    if missing == "raise":
        raise node.missing(key)
    for _, consumer, _ in items:
        consumer(None)


def fetch_ranges(node: Node, key: str, index: np.ndarray, items) -> list:
    wanted = []
    absent = []
    for flat, consumer, dest in items:
        off, nb = index[flat]
        if off == MISSING and nb == MISSING:
            absent.append((None, consumer, dest))
        else:
            wanted.append((int(off), int(nb), consumer, dest))
    wanted.sort(key=lambda w: w[0])
    groups: list[list] = []
    for w in wanted:
        if groups and w[0] - (groups[-1][-1][0] + groups[-1][-1][1]) <= _COALESCE_GAP:
            groups[-1].append(w)
        else:
            groups.append([w])

    def fetch(group):
        start = group[0][0]
        end = max(o + n for o, n, _, _ in group)
        raw = node.store.get_range(key, start, end - start)
        if raw is None or len(raw) < end - start:
            raise node.decode_error(key, CodecFailure("sharding_indexed", "shard is shorter than its index says"))
        view = memoryview(raw)
        return [(view[o - start : o - start + n], c, d) for o, n, c, d in group]

    pieces = absent
    for got in run_all(fetch, groups) if len(groups) > 1 else map(fetch, groups):
        pieces.extend(got)
    return pieces


_scratch = threading.local()


def scratch_for(spec) -> np.ndarray:
    """A per-thread decode buffer, so decoding a chunk does not allocate (and page-fault) anew."""
    key = (spec.shape, spec.dtype.str)
    buf = getattr(_scratch, "buffers", None)
    if buf is None:
        buf = _scratch.buffers = {}
    arr = buf.get(key)
    if arr is None:
        if len(buf) > 8:
            buf.clear()
        arr = buf[key] = np.empty(spec.shape, dtype=spec.dtype)
    return arr


def decode_pieces(node: Node, key: str, chain, pieces: list, missing: str) -> None:
    def one(piece):
        raw, consumer, dest = piece
        if raw is None:
            if missing == "raise":
                raise node.missing(key)
            consumer(None)
        elif dest is not None:
            decode_chunk(node, key, raw, chain, dest)
        else:
            scratch = scratch_for(chain.spec) if chain.direct else None
            consumer(decode_chunk(node, key, raw, chain, scratch))

    if len(pieces) > 2:
        run_all(one, pieces)
    else:
        for p in pieces:
            one(p)



# ---------------------------------------------------------------------------- partial writes
def touched_inner(codec, csel: tuple) -> list[int]:
    """Flat positions of the inner chunks a shard-local selection touches, in C order.

    ``csel`` holds one slice (step 1 or not) or integer array per axis; a point selection's
    arrays give the inner chunks of their cartesian product (a superset, never fewer).

    Example:
        >>> from zarrkit.core.metadata import array_metadata
        >>> codec = array_metadata((8, 8), "u1", (2, 2), shards=(8, 8)).sharding
        >>> touched_inner(codec, (slice(0, 2), slice(5, 7)))
        [2, 3]
    """
    per_axis = []
    for sel, size, n in zip(csel, codec.chunk_shape, codec.per_shard):
        if isinstance(sel, slice):
            start, stop, step = sel.indices(size * n)
            hit = np.unique(np.arange(start, stop, step) // size) if step != 1 else range(start // size,
                                                                                       -(-stop // size))
        else:
            hit = np.unique(np.asarray(sel, dtype=np.intp).reshape(-1) // size)
        per_axis.append([int(i) for i in hit])
    flats = np.ravel_multi_index(np.ix_(*per_axis), codec.per_shard) if per_axis else np.zeros(1, np.intp)
    return sorted(int(f) for f in np.asarray(flats).reshape(-1))


def rewrite_shard(node: Node, key: str, csel: tuple, producer: Callable[[np.ndarray], None],
                  write_empty: bool) -> None:
    """Apply ``producer`` to part of one shard, re-encoding only the inner chunks ``csel`` touches.

    The touched inner chunks are decoded (or filled) into a shard-shaped buffer, ``producer``
    writes its values there, and those chunks are encoded again; every other inner chunk
    keeps its encoded bytes.  The result is the same shard :meth:`ShardingCodec.encode`
    would give for the whole updated shard.  The caller holds the shard's lock.
    """
    meta = node.meta
    codec = meta.sharding
    fill = meta.fill_value
    raw = node.store.get(key)
    index = None
    if raw is not None:
        try:
            index, _ = codec.split_index(raw)
        except CodecFailure as failure:
            raise node.decode_error(key, failure) from None
        index = index.reshape(-1, 2)
    view = memoryview(raw) if raw is not None else None
    touched = touched_inner(codec, csel)
    shard = np.empty(meta.chunk_shape, dtype=meta.dtype)  # untouched blocks are never read
    for flat in touched:
        block = shard[codec.inner_slices(flat)]
        if index is None or index[flat, 0] == MISSING:
            block[...] = fill
        else:
            block[...] = decode_chunk(node, key, _piece(node, key, view, index[flat]), codec.inner)
    producer(shard)
    touched_set = set(touched)
    pieces = []
    for flat in range(len(index) if index is not None else int(np.prod(codec.per_shard))):
        if flat in touched_set:
            block = shard[codec.inner_slices(flat)]
            pieces.append(None if is_fill(block, fill) else _encode(node, key, codec.inner, block))
        elif index is None or index[flat, 0] == MISSING:
            pieces.append(None)
        else:
            pieces.append(_piece(node, key, view, index[flat]))
    encoded = codec.assemble(pieces)
    shard_index_cache.discard(index_key(node, key))
    if encoded is None:
        if raw is not None:
            node.store.delete(key)
    else:
        node.store.set(key, encoded)


def _piece(node: Node, key: str, view: memoryview, entry) -> memoryview:
    offset, nbytes = int(entry[0]), int(entry[1])
    if offset + nbytes > len(view):
        raise node.decode_error(key, CodecFailure("sharding_indexed", "inner chunk runs past the end of the shard"))
    return view[offset : offset + nbytes]


def _encode(node: Node, key: str, chain, block: np.ndarray) -> bytes:
    try:
        return chain.encode(np.ascontiguousarray(block))
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None
