"""Point reads: a step-1 box inside one (inner) chunk, such as ``a[i, j, :]``, with everything
but the I/O and the decode worked out once per array.

A warm point read on the geo layout (int8, 4×4×128 inner chunks in 256×256×128 shards) costs
about 2 µs of ``pread`` and 8 µs of zstd; the general path (selection planning, backend
choice, building a ``Node`` and the key strings per call) added as much again.  A
:class:`PointReader` keeps the chunk grid, the codec chain and the shard keys it has built,
takes Python and numpy integers alike, and returns ``None`` for anything it does not serve
(several chunks, steps, arrays, out-of-range indices, a 0-d array) so the caller falls back
to :func:`zarrkit.core.region.read_region`, which raises the proper errors.

It reads through the python backend's shard-index cache (so chunk writes and
``core.invalidate`` reach it) and re-reads a cached index once when a chunk read under it
comes back short or does not decode, as every read path does.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core import array_metadata, create_array, write_region
    >>> s = open_store("memory://", mode="w")
    >>> m = create_array(s, "g", array_metadata((8, 8, 3), "i1", (2, 2, 3), shards=(4, 4, 3)))
    >>> write_region(s, "g", ..., np.arange(192).reshape(8, 8, 3) % 100, metadata=m)
    >>> r = point_reader(s, "g", m)
    >>> r.read((np.int64(5), 6, slice(None))).tolist(), r.read((slice(0, 3), 0)) is None
    ([38, 39, 40], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrkit.core import blosc_zstd
from zarrkit.core.backends.base import Node
from zarrkit.core.backends.shards import decode_chunk, scratch_for, shard_index
from zarrkit.core.cache import array_objects
from zarrkit.core.codecs import CodecFailure
from zarrkit.core.codecs.compressors import BloscCodec
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.errors import ChunkDecodeError, ZarrkitError

__all__ = ["PointReader", "point_reader"]

_ABSENT = 2**64 - 1
_KEYS_KEPT = 4096  # shard keys remembered per array: a key string costs ~1 µs to build
_INT = (int, np.integer)


class PointReader:
    """Reads step-1 boxes that lie inside one (inner) chunk of one array (see the module doc)."""

    __slots__ = ("blosc", "chain", "direct", "fill", "grid_chunk", "keys", "meta", "node", "per_shard", "shape")

    def __init__(self, store, path: str, meta: ArrayMetadata) -> None:
        self.meta = meta
        self.node = Node(store, path, meta)
        self.shape = meta.shape
        sharding = meta.sharding
        self.per_shard = sharding.per_shard if sharding is not None else None
        self.grid_chunk = meta.chunks if sharding is not None else meta.chunk_shape
        self.chain = sharding.inner if sharding is not None else meta.chain
        self.direct = self.chain.direct
        stages = getattr(self.chain, "bytes_bytes", ())
        # blosc(zstd) chunks skip c-blosc's per-call zstd context (zarrkit.core.blosc_zstd)
        self.blosc = self.direct and len(stages) == 1 and isinstance(stages[0], BloscCodec)
        self.fill = meta.fill_value
        self.keys: dict[tuple[int, ...], str] = {}

    def read(self, selection: Any) -> np.ndarray | None:
        """The selected values as a new array, or ``None`` when this is not a one-chunk box."""
        if type(selection) is not tuple:
            selection = (selection,)
        shape = self.shape
        if len(selection) > len(shape):
            return None
        coords: list[int] = []
        local: list[slice] = []
        out_shape: list[int] = []
        for axis, c in enumerate(self.grid_chunk):
            n = shape[axis]
            s = selection[axis] if axis < len(selection) else _FULL
            if isinstance(s, _INT) and not isinstance(s, (bool, np.bool_)):
                s = int(s)
                if s < 0:
                    s += n
                if not 0 <= s < n:
                    return None
                k = s // c
                local.append(slice(s - k * c, s - k * c + 1))
            elif type(s) is slice and (s.step is None or s.step == 1):
                a, b, _ = s.indices(n)
                if b <= a:
                    return None
                k = a // c
                if (b - 1) // c != k:
                    return None
                local.append(slice(a - k * c, b - k * c))
                out_shape.append(b - a)
            else:
                return None
            coords.append(k)
        if not coords:
            return None  # a 0-d array: the general path
        chunk = self._chunk(tuple(coords))
        if chunk is None:
            return np.full(out_shape, self.fill, dtype=self.meta.dtype)
        # copy the selected part only: the chunk may be the thread's scratch buffer
        return chunk[tuple(local)].copy().reshape(out_shape)

    # ---------------------------------------------------------------- internals
    def _key(self, coords: tuple[int, ...]) -> str:
        key = self.keys.get(coords)
        if key is None:
            if len(self.keys) >= _KEYS_KEPT:
                self.keys.clear()
            key = self.keys[coords] = self.node.key(coords)
        return key

    def _chunk(self, coords: tuple[int, ...]) -> np.ndarray | None:
        """The decoded chunk at ``coords`` (inner-chunk coordinates when sharded), or ``None``."""
        key, raw = self._fetch(coords, use_cache=True)
        if raw is None:
            return None
        chain = self.chain
        scratch = scratch_for(chain.spec) if self.direct else None
        if self.blosc and blosc_zstd.decode_into(raw, scratch):
            return scratch
        try:
            return decode_chunk(self.node, key, raw, chain, scratch)
        except ChunkDecodeError:
            if self.per_shard is None:
                raise
        # a shard rewritten by another writer since its index was cached: read the index again
        key, raw = self._fetch(coords, use_cache=False)
        return None if raw is None else decode_chunk(self.node, key, raw, chain, scratch)

    def _fetch(self, coords: tuple[int, ...], *, use_cache: bool) -> tuple[str, bytes | None]:
        node = self.node
        per = self.per_shard
        if per is None:
            key = self._key(coords)
            return key, node.store.get(key)
        shard, flat = _shard_and_flat(coords, per)
        key = self._key(shard)
        index = shard_index(node, key, use_cache=use_cache)
        if index is None:
            return key, None
        off, nb = index[flat].tolist()
        if off == _ABSENT and nb == _ABSENT:
            return key, None
        raw = node.store.get_range(key, off, nb)
        if raw is not None and len(raw) == nb:
            return key, raw
        if use_cache:  # the shard was rewritten under a cached index: read the index again
            return self._fetch(coords, use_cache=False)
        raise node.decode_error(key, CodecFailure("sharding_indexed", "shard is shorter than its index says"))


def _shard_and_flat(coords: tuple[int, ...], per: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    flat = 0
    for k, p in zip(coords, per):
        flat = flat * p + k % p
    return tuple(k // p for k, p in zip(coords, per)), flat


_FULL = slice(None)


def point_reader(store, path: str, meta: ArrayMetadata) -> PointReader | None:
    """The cached :class:`PointReader` of an array, or ``None`` when its codecs cannot be
    resolved (the general path then raises the proper error).

    Readers live in core's array-object LRU (per store object), so metadata changes drop them.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array
        >>> s = open_store("memory://", mode="w"); m = create_array(s, "a", array_metadata((4,), "u1", (2,)))
        >>> point_reader(s, "a", m) is point_reader(s, "a", m)
        True
    """

    def build() -> PointReader | bool:
        try:
            return PointReader(store, path, meta)
        except ZarrkitError:
            return False  # cached too: a bad codec list is not re-parsed per call

    # keyed on the store object too: a reader reads through the store it was built with,
    # and another object on the same location (reopened, wrapped, closed) must not share it
    reader = array_objects.get_or_build((store.identity, path, meta.cache_key, "point", id(store)), build)
    if reader and reader.node.store is not store:  # the id of a store since collected
        reader = build()
    return reader or None
