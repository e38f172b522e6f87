"""The ``sharding_indexed`` codec, its index, and the process-wide shard-index cache.

A shard is one stored object holding a grid of inner chunks plus an index of
``(offset, nbytes)`` uint64 pairs in C order (``2**64 - 1`` twice marks an absent inner
chunk), encoded with ``index_codecs`` (default ``bytes`` little-endian + ``crc32c``) and
placed at the start or the end.  Reading one inner chunk costs one index read (cached in
:class:`ShardIndexCache`) and one ranged read.

Example:
    >>> import numpy as np
    >>> from zarrkit.core.codecs import ChunkSpec, build_chain
    >>> spec = ChunkSpec((4, 4), np.dtype("u1"), np.zeros((), "u1"))
    >>> chain = build_chain([{"name": "sharding_indexed", "configuration": {
    ...     "chunk_shape": [2, 2], "codecs": [{"name": "bytes"}]}}], spec)
    >>> data = np.zeros((4, 4), "u1"); data[3, 3] = 7
    >>> shard = chain.encode(data)
    >>> len(shard)  # one non-empty 2x2 inner chunk + 4 index entries * 16 bytes + crc
    72
    >>> chain.decode(shard)[3, 3]
    np.uint8(7)
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np

from zarrkit.core.codecs import (
    ArrayBytesCodec,
    BytesCodec,
    ChunkSpec,
    CodecChain,
    CodecFailure,
    Crc32cCodec,
    build_chain,
    register_codec,
)
from zarrkit.core.pool import run_all
from zarrkit.core.shard_encode import assemble_shard, encode_shard
from zarrkit.errors import MetadataError

__all__ = ["MISSING", "ShardIndexCache", "ShardingCodec", "is_fill", "shard_index_cache"]

MISSING = np.uint64(2**64 - 1)


def is_fill(arr: np.ndarray, fill: np.ndarray) -> bool:
    """True when every element's bytes equal the fill value's bytes (so ``-0.0`` != ``0.0``).

    Example:
        >>> is_fill(np.zeros(3), np.zeros(())), is_fill(np.array([0.0, -0.0]), np.zeros(()))
        (True, False)
    """
    if arr.dtype.kind == "O":
        v = fill[()]
        return all(x == v for x in arr.reshape(-1))
    if arr.dtype.kind == "U":
        return bool(np.all(arr == fill[()]))
    size = arr.dtype.itemsize
    if size in (1, 2, 4, 8):
        ui = np.dtype(f"u{size}")
        if not arr.flags.c_contiguous and not arr.flags.f_contiguous:
            arr = np.ascontiguousarray(arr)
        bits = np.asarray(fill, dtype=arr.dtype).view(ui)[()]
        view = arr.reshape(-1).view(ui) if arr.flags.c_contiguous else arr.T.reshape(-1).view(ui)
        if view.size and (view[0] != bits or view[-1] != bits or view[view.size // 2] != bits):
            return False  # most chunks written hold data: settle it without a pass over them
        return not bool((view != bits).any())
    raw = np.ascontiguousarray(arr).view(np.uint8).reshape(-1, size)
    return bool((raw == np.frombuffer(np.asarray(fill, arr.dtype).tobytes(), np.uint8)).all())


class ShardingCodec(ArrayBytesCodec):
    """``sharding_indexed``: splits a shard into inner chunks, each through its own chain."""

    name = "sharding_indexed"
    #: a vlen inner chain (zarr-python writes them) is checked by ``build_chain`` in ``resolve``
    variable_length = True

    def __init__(self, chunk_shape, codecs=None, index_codecs=None, index_location="end") -> None:
        if not isinstance(chunk_shape, (list, tuple)) or not all(isinstance(c, int) and c > 0 for c in chunk_shape):
            raise MetadataError(f"sharding chunk_shape must be positive integers, got {chunk_shape!r}")
        if index_location not in ("start", "end"):
            raise MetadataError(f"sharding index_location must be 'start' or 'end', got {index_location!r}")
        self.chunk_shape = tuple(chunk_shape)
        self.codecs = list(codecs) if codecs is not None else [{"name": "bytes", "configuration": {"endian": "little"}}]
        self.index_codecs = (
            list(index_codecs)
            if index_codecs is not None
            else [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]
        )
        self.index_location = index_location
        self.inner: CodecChain | None = None
        self.index_chain: CodecChain | None = None
        self.per_shard: tuple[int, ...] = ()
        self.index_nbytes = 0

    def resolve(self, spec: ChunkSpec) -> ShardingCodec:
        if len(self.chunk_shape) != len(spec.shape):
            raise MetadataError(f"sharding chunk_shape {list(self.chunk_shape)} does not match {len(spec.shape)} dimensions")
        if any(s % c for s, c in zip(spec.shape, self.chunk_shape)):
            raise MetadataError(
                f"shard shape {list(spec.shape)} is not a multiple of the inner chunk shape {list(self.chunk_shape)}"
            )
        out = ShardingCodec(self.chunk_shape, self.codecs, self.index_codecs, self.index_location)
        out.per_shard = tuple(s // c for s, c in zip(spec.shape, self.chunk_shape))
        out.inner = build_chain(out.codecs, ChunkSpec(self.chunk_shape, spec.dtype, spec.fill))
        out.codecs = out.inner.to_dicts()
        index_spec = ChunkSpec((*out.per_shard, 2), np.dtype("u8"), np.array(MISSING))
        out.index_chain = build_chain(out.index_codecs, index_spec)
        chain = out.index_chain
        if chain.array_array or not isinstance(chain.array_bytes, BytesCodec) or not all(
            isinstance(c, Crc32cCodec) for c in chain.bytes_bytes
        ):
            raise MetadataError("sharding index_codecs must be 'bytes' optionally followed by 'crc32c' (fixed size)")
        out.index_codecs = chain.to_dicts()
        out.index_nbytes = 16 * int(np.prod(out.per_shard)) + 4 * len(chain.bytes_bytes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": list(self.chunk_shape),
                "codecs": [c if isinstance(c, dict) else c.to_dict() for c in self.codecs],
                "index_codecs": [c if isinstance(c, dict) else c.to_dict() for c in self.index_codecs],
                "index_location": self.index_location,
            },
        }

    # ------------------------------------------------------------------ the index
    def index_range(self) -> tuple[int, int | None]:
        """``(start, length)`` for ``get_range``: a suffix read at the end, a prefix at the start."""
        if self.index_location == "end":
            return -self.index_nbytes, None
        return 0, self.index_nbytes

    def decode_index(self, raw: Any) -> np.ndarray:
        """The ``(*per_shard, 2)`` uint64 index from its encoded bytes; checks the CRC."""
        if raw is None or len(raw) != self.index_nbytes:
            got = 0 if raw is None else len(raw)
            raise CodecFailure("sharding_indexed", f"shard index needs {self.index_nbytes} bytes, got {got}")
        index = self.index_chain.decode(raw)
        index = index if index.flags.writeable else index.copy()
        self.check_index(index.reshape(-1, 2))
        return index

    def check_index(self, flat: np.ndarray) -> None:
        """Refuse an index no encoder writes, before any range is read from it.

        Absent chunks have both fields ``2**64 - 1``; a present chunk must start after an
        index at the start, end within int64 (``offset + nbytes`` must not overflow), and be
        no larger than its inner chunk could encode to (bounded, for fixed-size data, by
        twice the decoded size plus 64 KiB: no codec expands data that much).  Offsets past
        the end of the shard are caught when the range is read.
        """
        offsets, sizes = flat[:, 0], flat[:, 1]
        absent = (offsets == MISSING) & (sizes == MISSING)
        present = ~absent
        if not present.any():
            return
        off, nb = offsets[present], sizes[present]
        limit = np.uint64(2**63 - 1)
        if (off > limit).any() or (nb > limit).any() or (off > limit - nb).any():
            raise CodecFailure("sharding_indexed", "shard index entry out of range (offset + nbytes overflows)")
        if self.index_location == "start" and (off < self.index_nbytes).any():
            raise CodecFailure("sharding_indexed", "shard index entry points into the index")
        if self.inner is not None and self.inner.spec.dtype.kind != "O":
            bound = 2 * self.inner.spec.nbytes + 2**16
            if (nb > bound).any():
                raise CodecFailure("sharding_indexed",
                                   f"shard index entry of {int(nb.max())} bytes exceeds what an inner chunk encodes to")

    def split_index(self, shard: Any) -> tuple[np.ndarray, int]:
        """Index of a whole shard's bytes, and where the chunk data starts (for offsets)."""
        if len(shard) < self.index_nbytes:
            raise CodecFailure("sharding_indexed", f"shard of {len(shard)} bytes is shorter than its index")
        view = memoryview(shard)
        if self.index_location == "end":
            return self.decode_index(view[len(view) - self.index_nbytes :]), 0
        return self.decode_index(view[: self.index_nbytes]), 0

    # ------------------------------------------------------------------ encode / decode
    def inner_slices(self, flat: int) -> tuple[slice, ...]:
        coords = np.unravel_index(flat, self.per_shard)
        return tuple(slice(int(i) * c, (int(i) + 1) * c) for i, c in zip(coords, self.chunk_shape))

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> bytes | None:
        """The shard's bytes; ``None`` when every inner chunk equals the fill value."""
        return encode_shard(self, arr, spec.fill)

    def assemble(self, pieces: list[Any]) -> bytes | None:
        """Concatenate encoded inner chunks (``None`` = absent) in C order and add the index."""
        return assemble_shard(self, pieces)

    def canonical(self, shard: bytes) -> bytes:
        """The same shard with its inner chunks laid out in C order, as :meth:`assemble` does.

        Encoders that write inner chunks in completion order (zarrs) produce valid but
        run-dependent bytes; reordering makes a rewrite of the same data byte-identical.
        """
        index, _ = self.split_index(shard)
        flat = index.reshape(-1, 2)
        present = flat[:, 0] != MISSING
        offsets = flat[present, 0]
        base = self.index_nbytes if self.index_location == "start" else 0
        sizes = flat[present, 1]
        if offsets.size == 0 or (offsets[0] == base and np.array_equal(offsets[1:], offsets[:-1] + sizes[:-1])):
            return shard
        view = memoryview(shard)
        return self.assemble([bytes(view[int(o):int(o) + int(n)]) if o != MISSING else None for o, n in flat])

    def decode(self, buf: Any, spec: ChunkSpec) -> np.ndarray:
        out = np.empty(spec.shape, dtype=spec.dtype)
        self.decode_into(buf, out, spec)
        return out

    def decode_into(self, buf: Any, out: np.ndarray, spec: ChunkSpec) -> None:
        index, _ = self.split_index(buf)
        flat_index = index.reshape(-1, 2)
        view = memoryview(buf)

        def one(i: int) -> None:
            offset, nbytes = flat_index[i]
            target = out[self.inner_slices(i)]
            if offset == MISSING and nbytes == MISSING:
                target[...] = spec.fill
                return
            if int(offset) + int(nbytes) > len(view):
                raise CodecFailure("sharding_indexed", f"inner chunk {i} runs past the end of the shard")
            dest = target if target.flags.c_contiguous else None
            decoded = self.inner.decode(view[int(offset) : int(offset) + int(nbytes)], dest)
            if dest is None:
                target[...] = decoded

        n = len(flat_index)
        if n > 4:
            run_all(one, range(n))
        else:
            for i in range(n):
                one(i)


class ShardIndexCache:
    """An LRU of decoded shard indexes under one byte budget, shared by the whole process.

    Keys are ``(store identity, node path, generation, shard key)``; bumping a node's
    generation makes its old entries unreachable, and they age out.

    Example:
        >>> cache = ShardIndexCache(budget=64)
        >>> cache.put(("s", "a", 0, "c/0"), np.zeros(4, "u8")); cache.get(("s", "a", 0, "c/0")).nbytes
        32
        >>> cache.put(("s", "a", 0, "c/1"), np.zeros(8, "u8")); cache.get(("s", "a", 0, "c/0")) is None
        True
    """

    def __init__(self, budget: int = 256 * 2**20) -> None:
        self.budget = budget
        self._entries: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, index: np.ndarray) -> None:
        if index.nbytes > self.budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._entries[key] = index
            self._bytes += index.nbytes
            while self._bytes > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    def discard(self, key: Hashable) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


shard_index_cache = ShardIndexCache()


def inner_coords_of(per_shard: tuple[int, ...]):
    """Every inner-chunk coordinate of a shard, in C order."""
    return itertools.product(*(range(n) for n in per_shard))


register_codec("sharding_indexed", ShardingCodec)
