"""Encoding a whole shard: inner chunks encoded in parallel from one reused buffer per thread,
then the shard assembled with one copy (inner chunks in C order, then the index).

:meth:`zarrkit.core.sharding.ShardingCodec.encode` and ``assemble`` call these.  An inner
chunk is a strided block of the shard; it is copied once into a per-thread contiguous buffer,
checked against the fill value there and encoded from it (the codec chain takes the buffer's
memory, see :attr:`~zarrkit.core.codecs.CodecChain.encodes_view`), so each inner chunk costs
one copy and no allocation besides its encoded bytes.  The bytes are those the codec spec
gives: present inner chunks back to back in C order, absent ones marked ``2**64 - 1`` twice.

Example:
    >>> import numpy as np
    >>> from zarrkit.core.metadata import array_metadata
    >>> codec = array_metadata((4,), "u1", (2,), shards=(4,), compressors=None).sharding
    >>> shard = encode_shard(codec, np.array([0, 0, 7, 8], "u1"), np.zeros((), "u1"))
    >>> shard[:2], len(shard)  # the one present inner chunk, then 2 index entries and a CRC
    (b'\\x07\\x08', 38)
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from zarrkit.core.pool import in_worker, run_all, usable_cores

__all__ = ["assemble_shard", "encode_shard", "inner_block_slices"]

_ABSENT = np.uint64(2**64 - 1)
_local = threading.local()
_SCRATCH_LIMIT = 4 * 2**20


def inner_block_slices(codec) -> list[tuple[slice, ...]]:
    """Each inner chunk's slice of the shard, in C order (computed once per resolved codec).

    Example:
        >>> from zarrkit.core.metadata import array_metadata
        >>> codec = array_metadata((4, 4), "u1", (2, 2), shards=(4, 4)).sharding
        >>> inner_block_slices(codec)[1]
        (slice(0, 2, None), slice(2, 4, None))
    """
    cached = codec.__dict__.get("_block_slices")
    if cached is None:
        cached = [codec.inner_slices(i) for i in range(int(np.prod(codec.per_shard)))]
        codec.__dict__["_block_slices"] = cached
    return cached


def thread_scratch(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """This thread's contiguous buffer of ``shape`` and ``dtype``, reused between calls (no
    allocation per chunk); the whole-chunk writer stages its chunks here too.

    Example:
        >>> thread_scratch((2, 2), np.dtype("f4")) is thread_scratch((2, 2), np.dtype("f4"))
        True
    """
    table = getattr(_local, "buffers", None)
    if table is None:
        table = _local.buffers = {}
    key = (shape, dtype.str)
    buf = table.get(key)
    if buf is None:
        if len(table) > 8:
            table.clear()
        buf = table[key] = np.empty(shape, dtype=dtype)
    return buf


def encode_shard(codec, arr: np.ndarray, fill: np.ndarray) -> bytes | None:
    """The encoded shard for the shard-shaped ``arr``; ``None`` when every inner chunk is fill.

    Inner chunks are encoded on the core pool (inline when already inside a pool worker, so
    shards written side by side each take a worker).

    Example:
        >>> from zarrkit.core.metadata import array_metadata
        >>> codec = array_metadata((4,), "u1", (2,), shards=(4,)).sharding
        >>> encode_shard(codec, np.zeros(4, "u1"), np.zeros((), "u1")) is None
        True
    """
    from zarrkit.core.sharding import is_fill  # the codec module imports this one

    inner = codec.inner
    blocks = inner_block_slices(codec)
    shape = inner.spec.shape
    by_object = arr.dtype.kind == "O"
    big = inner.spec.nbytes > _SCRATCH_LIMIT  # not kept per thread: allocated per inner chunk

    def one(sl: tuple[slice, ...]) -> bytes | None:
        block = arr[sl]
        if by_object or big:
            buf = np.array(block, copy=True)  # (numcodecs' vlen encoders want a writable array)
        else:
            buf = thread_scratch(shape, arr.dtype)
            np.copyto(buf, block)
        if is_fill(buf, fill):
            return None
        return inner.encode(buf)  # new bytes: the buffer is free again when this returns

    if len(blocks) <= 4 or in_worker():
        return assemble_shard(codec, [one(sl) for sl in blocks])
    # a few runs of consecutive inner chunks per worker: tiny inner chunks (2 KiB) would
    # otherwise cost more in pool hand-offs than in encoding
    groups = min(len(blocks), 4 * usable_cores())
    bounds = [len(blocks) * g // groups for g in range(groups + 1)]
    runs = run_all(lambda g: [one(sl) for sl in blocks[bounds[g]:bounds[g + 1]]], range(groups))
    return assemble_shard(codec, [piece for run in runs for piece in run])


def assemble_shard(codec, pieces: list[Any]) -> bytes | None:
    """Concatenate encoded inner chunks (``None`` = absent) in C order with the index, in one copy.

    Example:
        >>> from zarrkit.core.metadata import array_metadata
        >>> codec = array_metadata((4,), "u1", (2,), shards=(4,), compressors=None).sharding
        >>> assemble_shard(codec, [None, None]) is None, len(assemble_shard(codec, [b"ab", None]))
        (True, 38)
    """
    present = [p for p in pieces if p is not None]
    if not present:
        return None
    index = np.full((len(pieces), 2), _ABSENT, dtype="u8")
    start = codec.index_nbytes if codec.index_location == "start" else 0
    sizes = np.fromiter((len(p) if p is not None else 0 for p in pieces), dtype="u8", count=len(pieces))
    ends = np.cumsum(sizes, dtype="u8") + np.uint64(start)
    mask = np.fromiter((p is not None for p in pieces), dtype=bool, count=len(pieces))
    index[mask, 0] = (ends - sizes)[mask]
    index[mask, 1] = sizes[mask]
    raw_index = codec.index_chain.encode(index.reshape(*codec.per_shard, 2))
    if codec.index_location == "start":
        return b"".join([raw_index, *present])
    present.append(raw_index)
    return b"".join(present)
