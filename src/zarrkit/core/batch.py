"""Batched chunk functions: write or read many chunks of one array in one call.

:func:`write_chunks` encodes the chunks on the core thread pool and stores them with
``set_many``, a window of chunks at a time while the next window encodes; on a sharded
array with ``inner=True`` it groups inner chunks by shard and rewrites each touched shard
once.  :func:`read_chunks` fetches the stored objects with one ``get_many`` and decodes
them on the pool.  Both take chunk coordinates on the write/read
grid, exactly as :func:`zarrkit.core.write_chunk` / :func:`zarrkit.core.read_chunk` do.

For variable-length arrays (``bytes`` / ``str`` data types) a value that is not an array
fills the whole chunk, so ``{(0, 1): b"payload"}`` writes a one-element chunk.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core import array_metadata, create_array, read_region
    >>> s = open_store("memory://", mode="w")
    >>> m = create_array(s, "a", array_metadata((4,), "u1", (2,)))
    >>> write_chunks(s, "a", {(0,): np.array([1, 2], "u1"), (1,): np.array([3, 4], "u1")}, metadata=m)
    2
    >>> read_region(s, "a", ..., metadata=m).tolist()
    [1, 2, 3, 4]
    >>> [c.tolist() for c in read_chunks(s, "a", [(1,), (0,)], metadata=m)]
    [[3, 4], [1, 2]]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import wait
from typing import Any

import numpy as np

from zarrkit.core.backends import python as python_backend
from zarrkit.core.backends import shards
from zarrkit.core.backends.base import Node
from zarrkit.core.chunk import as_value, check_missing
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.context import node_path
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.node import array_node, check_codecs
from zarrkit.core.pool import run_all, submit, usable_cores
from zarrkit.core.sharding import is_fill, shard_index_cache
from zarrkit.errors import OutOfBoundsError, ReadOnlyError, ShapeMismatchError

__all__ = ["read_chunks", "write_chunks"]


def _grid(meta: ArrayMetadata, inner: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(chunk shape, grid shape) of the grid ``inner`` addresses."""
    full = meta.chunks if inner and meta.sharding is not None else meta.chunk_shape
    return full, tuple(-(-s // c) for s, c in zip(meta.shape, full))


def _as_chunk(store, path: str, meta: ArrayMetadata, coords, data: Any, full, grid) -> tuple[tuple[int, ...], np.ndarray]:
    """Check one item and return ``(coords, full chunk-shaped array)`` with fill padding."""
    coords = tuple(int(c) for c in coords)
    if len(coords) != meta.ndim or any(not 0 <= c < g for c, g in zip(coords, grid)):
        raise OutOfBoundsError(f"chunk coordinates {list(coords)} are outside the grid {list(grid)}",
                               url=store.url, path=path)
    if meta.dtype.kind == "O" and not isinstance(data, np.ndarray):
        arr = np.empty(full, dtype=object)
        arr[...] = data  # one variable-length value fills the chunk
        return coords, arr
    arr = as_value(store, path, meta, data)
    in_bounds = tuple(min(c, s - i * c) for i, c, s in zip(coords, full, meta.shape))
    if arr.shape == full:
        return coords, np.ascontiguousarray(arr, dtype=meta.dtype)
    if arr.shape != in_bounds:
        raise ShapeMismatchError(f"chunk {list(coords)} has shape {arr.shape}; expected {full} or {in_bounds}",
                                 url=store.url, path=path)
    out = np.full(full, meta.fill_value, dtype=meta.dtype)
    out[tuple(slice(0, d) for d in arr.shape)] = arr
    return coords, out


def write_chunks(store, path: str, chunks: Mapping[Any, Any] | Iterable[tuple[Any, Any]], *,
                 metadata: ArrayMetadata | None = None, inner: bool = False,
                 write_empty_chunks: bool = False) -> int:
    """Write many whole chunks without reading them; returns how many objects were stored.

    ``chunks`` maps grid coordinates to chunk data (full chunk shape or the in-bounds part
    of an edge chunk).  Everything is validated before the first write.  Chunks equal to
    the fill value are deleted instead of stored (unless ``write_empty_chunks``).  With
    ``inner=True`` on a sharded array, coordinates address inner chunks; each touched shard
    is read once, updated and rewritten once (other inner chunks are kept).

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array, read_chunk
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "v", array_metadata((2, 2), bytes, (1, 1), shards=(2, 2)))
        >>> write_chunks(s, "v", {(0, 0): b"a", (1, 1): b"bc"}, metadata=m, inner=True)
        1
        >>> read_chunk(s, "v", (1, 1), inner=True, metadata=m).tolist()
        [[b'bc']]
    """
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    if store.read_only:
        raise ReadOnlyError("the store is open read-only", url=store.url, key=path, op="write")
    check_codecs(store, path, meta)
    items = chunks.items() if isinstance(chunks, Mapping) else chunks
    full, grid = _grid(meta, inner)
    checked = dict(_as_chunk(store, path, meta, c, d, full, grid) for c, d in items)
    node = Node(store, path, meta)
    if inner and meta.sharding is not None:
        return _write_inner(node, checked, write_empty_chunks)
    return _store_all(node, list(checked.items()), write_empty_chunks)


def _encode(node: Node, coords: tuple[int, ...], chunk: np.ndarray, write_empty: bool) -> tuple[str, bytes | None]:
    key = node.key(coords)
    meta = node.meta
    if not write_empty and is_fill(chunk, meta.fill_value):
        return key, None
    try:
        return key, meta.chain.encode(chunk)
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None


def _store_all(node: Node, items: list[tuple[tuple[int, ...], np.ndarray]], write_empty: bool) -> int:
    """Encode and store in windows: window k + 1 encodes on the pool while window k is stored
    (one ``set_many`` each), so encoded bytes for at most two windows are held at once."""
    # variable-length values can fail to encode (a wrong element type): all of them are
    # encoded before the first store, so such a call changes nothing
    window = max(1, len(items)) if node.meta.dtype.kind == "O" else 4 * usable_cores()
    stored = 0
    pending = None
    try:
        for start in range(0, len(items), window):
            encoded = run_all(lambda it: _encode(node, it[0], it[1], write_empty), items[start:start + window])
            if pending is not None:
                stored += pending.result()
            pending = submit(_store_window, node, encoded)
        if pending is not None:
            stored += pending.result()
    finally:
        if pending is not None:
            wait([pending])  # on a failure too: nothing keeps writing after the call returns
    return stored


def _store_window(node: Node, encoded: list[tuple[str, bytes | None]]) -> int:
    if node.meta.sharding is not None:
        for key, _ in encoded:
            shard_index_cache.discard(shards.index_key(node, key))
    node.store.set_many([(k, v) for k, v in encoded if v is not None])
    for key, value in encoded:
        if value is None:
            node.store.delete(key)
    return sum(v is not None for _, v in encoded)


def _write_inner(node: Node, inner_chunks: dict[tuple[int, ...], np.ndarray], write_empty: bool) -> int:
    meta = node.meta
    per = meta.sharding.per_shard
    by_shard: dict[tuple[int, ...], list] = {}
    for coords, data in inner_chunks.items():
        by_shard.setdefault(tuple(c // p for c, p in zip(coords, per)), []).append((coords, data))
    keys = [node.key(shard) for shard in by_shard]
    # shards written whole need no read; partly covered ones are read once, together
    n_inner = int(np.prod(per))
    partial = [k for k, group in zip(keys, by_shard.values()) if len(group) < n_inner]
    stored = dict(zip(partial, node.store.get_many(partial))) if partial else {}

    def build(shard, group, key):
        raw = stored.get(key)
        if raw is None:
            shard_arr = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
        else:
            shard_arr = np.array(shards.decode_chunk(node, key, raw, meta.chain), copy=True)
        for coords, data in group:
            local = tuple(slice((c % p) * s, (c % p + 1) * s) for c, p, s in zip(coords, per, meta.chunks))
            shard_arr[local] = data
        return shard, shard_arr

    # per-shard locks keep concurrent writers of the same shard from losing each other's chunks
    locks = sorted({python_backend.chunk_lock(node, k) for k in keys}, key=id)
    for lock in locks:
        lock.acquire()
    try:
        built = [build(s, g, k) for (s, g), k in zip(by_shard.items(), keys)]
        return _store_all(node, built, write_empty)
    finally:
        for lock in reversed(locks):
            lock.release()


def read_chunks(store, path: str, coords: Iterable[Any], *, metadata: ArrayMetadata | None = None,
                inner: bool = False, missing: str = "fill") -> list[np.ndarray]:
    """Decoded chunks (full chunk shape) at each of ``coords``, in the order given.

    Non-sharded chunks (and whole shards) are fetched with one ``get_many``; inner chunks
    of a sharded array go through the python backend's shard-grouped reader.  A missing
    chunk reads as the fill value, or raises ``ChunkNotFoundError`` with ``missing="raise"``.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "v", array_metadata((3,), bytes, (1,)))
        >>> _ = write_chunks(s, "v", {(2,): b"xyz"}, metadata=m)
        >>> [c.tolist() for c in read_chunks(s, "v", [(2,), (0,)], metadata=m)]
        [[b'xyz'], [b'']]
    """
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    check_missing(missing)
    check_codecs(store, path, meta)
    full, grid = _grid(meta, inner)
    wanted = []
    for c in coords:
        c = tuple(int(x) for x in c)
        if len(c) != meta.ndim or any(not 0 <= x < g for x, g in zip(c, grid)):
            raise OutOfBoundsError(f"chunk coordinates {list(c)} are outside the grid {list(grid)}",
                                   url=store.url, path=path)
        wanted.append(c)
    node = Node(store, path, meta)
    if inner and meta.sharding is not None:
        return run_all(lambda c: python_backend.read_chunk(node, c, inner=True, missing=missing), wanted)
    keys = [node.key(c) for c in wanted]
    raws = store.get_many(keys)

    def decode(key_raw):
        key, raw = key_raw
        if raw is None:
            if missing == "raise":
                raise node.missing(key)
            return np.full(full, meta.fill_value, dtype=meta.dtype)
        out = shards.decode_chunk(node, key, raw, meta.chain)
        return out if out.flags.writeable else out.copy()

    pairs = list(zip(keys, raws))
    return run_all(decode, pairs) if len(pairs) > 8 else [decode(p) for p in pairs]
