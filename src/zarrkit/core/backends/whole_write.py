"""Writing a chunk (or shard) that a write covers entirely, straight from the caller's values.

A whole in-bounds chunk needs no read and no chunk-shaped staging array: the encoder reads
the caller's block itself.  A C-contiguous block is encoded as it is; a strided or read-only one
(a 512² tile of a larger image) is copied once into a per-thread buffer, checked against the fill
value there and encoded from it.  A shard is handed to the sharding codec as the strided
block: each inner chunk is copied once (see :mod:`zarrkit.core.shard_encode`), and a shard
whose inner chunks are all fill encodes to nothing, so it is deleted rather than stored.
Several whole shards go one after another through :func:`write_whole_shards`, a two-stage
pipeline: every core encodes the inner chunks of shard k + 1 while shard k is being stored.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> from zarrkit.core.backends.base import Node
    >>> store = open_store("memory://", mode="w")
    >>> node = Node(store, "a", array_metadata((4, 4), "u2", (2, 2)))
    >>> image = np.arange(16, dtype="u2").reshape(4, 4)
    >>> write_whole(node, "a/c/1/1", image[2:, 2:], write_empty=False)
    >>> node.meta.chain.decode(store.get("a/c/1/1")).tolist()
    [[10, 11], [14, 15]]
"""

from __future__ import annotations

from concurrent.futures import wait

import numpy as np

from zarrkit.core.backends.base import Node
from zarrkit.core.backends.shards import index_key
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.pool import submit
from zarrkit.core.shard_encode import thread_scratch
from zarrkit.core.sharding import is_fill, shard_index_cache

__all__ = ["write_whole", "write_whole_shards"]

#: chunks up to this size are staged in a reused per-thread buffer (what each pool thread
#: keeps between calls); larger ones allocate, a cost small beside their encode
_SCRATCH_LIMIT = 4 * 2**20


def write_whole(node: Node, key: str, block: np.ndarray, write_empty: bool) -> None:
    """Encode the chunk-shaped ``block`` and store it at ``key``, or delete ``key`` if it is empty.

    ``block`` covers the whole chunk (no padding) and has the array's dtype; it may be a
    strided view of the caller's array and is never written to.

    Example:
        >>> import numpy as np
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core.metadata import array_metadata
        >>> store = open_store("memory://", mode="w")
        >>> node = Node(store, "a", array_metadata((2,), "u1", (2,)))
        >>> write_whole(node, "a/c/0", np.zeros(2, "u1"), write_empty=False)
        >>> store.exists("a/c/0")
        False
    """
    _store(node, key, _encode(node, key, block, write_empty))


def write_whole_shards(node: Node, items: list[tuple[str, np.ndarray]], write_empty: bool) -> None:
    """Whole shards one after another: each one's inner chunks encoded on every core, its store
    write overlapped with the next shard's encode (one write in flight).

    Memory stays at about two encoded shards whatever the number of shards, and the cores
    share out inner chunks rather than whole shards (no core idles on the last shard).

    Example:
        >>> import numpy as np
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core.metadata import array_metadata
        >>> store = open_store("memory://", mode="w")
        >>> node = Node(store, "a", array_metadata((4,), "u1", (1,), shards=(2,)))
        >>> data = np.arange(4, dtype="u1")
        >>> write_whole_shards(node, [("a/c/0", data[:2]), ("a/c/1", data[2:])], write_empty=False)
        >>> sorted(store.list_prefix("a/"))
        ['a/c/0', 'a/c/1']
    """
    pending = None
    try:
        for key, block in items:
            encoded = _encode(node, key, block, write_empty)
            if pending is not None:
                pending.result()
            pending = submit(_store, node, key, encoded)
        if pending is not None:
            pending.result()
    finally:
        if pending is not None:
            wait([pending])  # on a failure too: nothing keeps writing after the call returns


def _encode(node: Node, key: str, block: np.ndarray, write_empty: bool) -> bytes | None:
    meta = node.meta
    chain = meta.chain
    try:
        if meta.sharding is not None:
            # the shard codec checks each inner chunk; all of them fill -> None (not stored)
            return chain.encode(block)
        if block.dtype.kind == "O":
            chunk = np.array(block, copy=True)  # numcodecs' vlen encoders want a writable array
        elif block.flags.c_contiguous and block.flags.writeable:
            chunk = block  # (some numcodecs filters refuse read-only buffers: those are staged)
        elif block.nbytes <= _SCRATCH_LIMIT:
            chunk = thread_scratch(block.shape, block.dtype)
            np.copyto(chunk, block)
        else:
            chunk = np.array(block, order="C", copy=True)
        return None if not write_empty and is_fill(chunk, meta.fill_value) else chain.encode(chunk)
    except CodecFailure as failure:
        raise node.decode_error(key, failure) from None


def _store(node: Node, key: str, encoded: bytes | None) -> None:
    if node.meta.sharding is not None:
        shard_index_cache.discard(index_key(node, key))
    if encoded is None:
        node.store.delete(key)
    else:
        node.store.set(key, encoded)
