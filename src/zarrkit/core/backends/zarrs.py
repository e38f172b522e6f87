"""The ``zarrs`` backend: Rust zarrs through ``zarrista`` 0.1.0, for v3 arrays on local files.

Every zarrista call lives in this module (its API is beta).  What it serves:

* reads of v3 arrays in a local directory, or in a zip file on the local disk: step-1
  boxes go to zarrista whole (``retrieve_array_subset``, its rayon pool does the fan-out);
  other selections read each touched chunk or inner chunk (``retrieve_subchunk`` with a
  per-array ``ShardCache``);
* writes of whole and partial chunks: zarrista *encodes* (into its in-memory store) and
  zarrkit's own store writes the bytes, so the storage guarantees hold (temp file and
  rename, nothing written after return); zarrs' filesystem store would write in place.

Everything else (v2, variable-length and string dtypes, ``numcodecs.*`` codecs, other
stores, ``write_empty_chunks=True``, ``missing="raise"``, inner-chunk writes) is outside
its declared :data:`capabilities`, and :func:`zarrkit.core.backends.choice.choose_backend`
falls back to ``python``.

Example:
    >>> from zarrkit.storage import open_store
    >>> store_refusal(open_store("memory://", mode="w"), op="read")
    'store kind memory'
"""

from __future__ import annotations

import itertools
import os
import threading

import numpy as np

from zarrkit.core import cache
from zarrkit.core.backends import python as py
from zarrkit.core.backends import shards
from zarrkit.core.backends.base import Capabilities
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.pool import run_all
from zarrkit.core.selection import OrthogonalPlan, PointPlan, index_tuple
from zarrkit.errors import ChunkDecodeError, OutOfBoundsError

__all__ = [
    "available",
    "capabilities",
    "name",
    "read_box",
    "read_chunk",
    "read_plan",
    "read_points",
    "store_refusal",
    "write_chunk",
    "write_plan",
    "write_points",
]

name = "zarrs"
ZARRISTA_VERSION = "0.1.0"

try:  # an optional accelerator: absent, the python backend serves everything
    import zarrista
    from zarrista.store import FilesystemStore, MemoryStore, ZipStore
except ImportError:  # pragma: no cover - depends on the install
    zarrista = None


def available() -> bool:
    """True when zarrista 0.1.0 is importable."""
    if zarrista is None:
        return False
    try:
        from importlib.metadata import version

        return version("zarrista") == ZARRISTA_VERSION
    except Exception:
        return False


_AVAILABLE = available()


def _local_location(store) -> tuple[str, str | None] | None:
    """``(directory, zip member or None)`` when zarrista can open the store natively."""
    inner = getattr(store, "_inner", store)
    if inner.kind == "local":
        return inner.root, None
    if inner.kind == "zip" and store.read_only:
        path = getattr(inner, "_path", None)
        if path and type(getattr(inner, "_source", None)).__name__ == "_LocalSource":
            return os.path.dirname(os.path.abspath(path)), os.path.basename(path)
    return None


_CODECS = frozenset({"bytes", "transpose", "gzip", "zstd", "blosc", "crc32c", "sharding_indexed"})

#: v3 arrays of fixed-size types in local directories (or local zips, read-only); encode-only
#: writes without the python backend's extra options
capabilities = Capabilities(
    missing_requirement=None if _AVAILABLE else f"zarrista {ZARRISTA_VERSION} is not installed",
    zarr_formats=frozenset({3}),
    operations=frozenset({"read", "write"}),
    codecs=_CODECS,
    variable_length_types=False,  # zarrista returns those as ragged tensors
    zero_dimensional=False,  # zarrista 0.1.0 sees a 0-d tensor as shape [1]
    metadata_extensions=False,
    write_empty_chunks=False,
    missing_raise=False,
    inner_chunk_writes=False,
    box_views=True,
    # zarrs sizes a shard's buffer from gzip's bound too tightly: incompressible inner chunks
    # fail ("Sharding did not allocate a large enough buffer") or panic (zarrs e68838b)
    shard_write_refused=frozenset({"gzip"}),
)


def store_refusal(store, *, op: str) -> str | None:
    """zarrista opens local directories natively, and local zip files for reading."""
    loc = _local_location(store)
    if loc is None:
        inner_kind = getattr(getattr(store, "_inner", store), "kind", "?")
        return f"store kind {inner_kind}" if inner_kind != "zip" else "zip not on the local disk, or open for writing"
    if op == "write" and loc[1] is not None:
        return "zip is read-only"
    return None


def metadata_refusal(meta: ArrayMetadata) -> str | None:
    """Why zarrista would not take this metadata (a codec configuration zarrs reads more
    strictly than zarrkit, say), or ``None``; asked once per metadata by ``refusal``."""
    doc = meta.to_dict()
    doc["attributes"] = {}
    try:
        zarrista.Array.from_metadata(doc, MemoryStore(), "/probe")
    except Exception:  # zarrista's ArrayCreateError and plain Exceptions from serde
        return "metadata zarrs rejects"
    return None


def _check_shards(node: py.Node, box: tuple[slice, ...]) -> None:
    """Check the index of every shard ``box`` touches before zarrs reads them.

    zarrs trusts a shard index: an entry claiming a huge length makes it allocate that
    much and abort the process.  zarrkit's own (cached) index read checks each entry
    first, so a hostile index becomes a ``ChunkDecodeError`` naming the shard.
    """
    meta = node.meta
    if meta.sharding is None:
        return
    ranges = [range(b.start // s, (b.stop - 1) // s + 1) for b, s in zip(box, meta.chunk_shape) if b.stop > b.start]
    if len(ranges) < len(box):
        return
    for shard in itertools.product(*ranges):
        shards.shard_index(node, node.key(shard))


class _Handle:
    """The cached zarrista objects for one array: the reader, its shard cache, an encoder."""

    def __init__(self, store, path: str, meta: ArrayMetadata) -> None:
        root, member = _local_location(store)
        doc = meta.to_dict()
        doc["attributes"] = {}
        self.doc = doc
        base = FilesystemStore(root)
        zstore = ZipStore(base, member) if member else base
        self.array = zarrista.Array.from_metadata(doc, zstore, "/" + path)
        self.shard_cache = self.array.shard_cache() if meta.shards else None
        self._encoder = None
        self._lock = threading.Lock()
        self.path = path

    def encoder(self):
        """A twin array in zarrista's memory store: encode there, copy the bytes out."""
        with self._lock:
            if self._encoder is None:
                self._encoder = zarrista.Array.from_metadata(self.doc, MemoryStore(), "/" + self.path)
            return self._encoder


def _handle(node: py.Node) -> _Handle:
    key = (node.identity, node.path, "zarrs", node.meta.cache_key)
    return cache.array_objects.get_or_build(key, lambda: _Handle(node.store, node.path, node.meta))


def _tensor(node: py.Node, call, *args, key: str | None = None, **kwargs) -> np.ndarray:
    """Run one zarrista read; its errors become ``ChunkDecodeError`` (naming ``key`` when one chunk is read)."""
    cache.count("zarrs:calls")
    try:
        return np.asarray(call(*args, **kwargs))
    except Exception as err:  # zarrista raises its own ArrayError / StorageError
        raise ChunkDecodeError(f"zarrs could not read: {err}", url=node.store.url, path=node.path, key=key) from err


# ---------------------------------------------------------------------------- reads
def read_box(node: py.Node, box: tuple[slice, ...]) -> np.ndarray:
    """A step-1 box as a read-only zero-copy array from zarrista (shape keeps every axis)."""
    h = _handle(node)
    _check_shards(node, box)
    try:
        view = _tensor(node, h.array.retrieve_array_subset, box)
    except ChunkDecodeError:
        _name_failing_chunk(node, h, box)
        raise
    view.flags.writeable = False  # zarrista owns the memory: callers must not write into it
    return view


def _name_failing_chunk(node: py.Node, h: _Handle, box: tuple[slice, ...]) -> None:
    """After a failed box read, read its chunks one by one so the error names the bad one.

    Only runs on the error path; returns quietly when every chunk reads alone.
    """
    grid_chunk = node.meta.read_chunks
    ranges = [range(b.start // c, (b.stop - 1) // c + 1) for b, c in zip(box, grid_chunk)]
    for coords in itertools.product(*ranges):
        _read_grid_chunk(node, h, coords)


def read_single_chunk_box(node: py.Node, starts: list[int], stops: list[int]) -> np.ndarray:
    """A step-1 box: inside one (inner) chunk through the shard cache, else zarrista's box read.

    ``retrieve_array_subset`` reads the shard index on every call; for point reads the
    cached ``retrieve_subchunk`` halves the cost.
    """
    meta = node.meta
    grid_chunk = meta.read_chunks
    coords = [a // c for a, c in zip(starts, grid_chunk)]
    if all((b - 1) // c == k for b, c, k in zip(stops, grid_chunk, coords)):
        h = _handle(node)
        chunk = _read_grid_chunk(node, h, coords)
        local = tuple(slice(a - k * c, b - k * c) for a, b, c, k in zip(starts, stops, grid_chunk, coords))
        return chunk[local].copy()
    return read_box(node, tuple(slice(a, b) for a, b in zip(starts, stops)))


def read_plan(node: py.Node, plan: OrthogonalPlan, out: np.ndarray, missing: str = "fill") -> None:
    if plan.is_box:
        out[...] = read_box(node, plan.box()).reshape(out.shape)
        return
    # Not a box: one call per touched (inner) chunk, on the calling thread.
    h = _handle(node)
    meta = node.meta
    grid_chunk = meta.read_chunks
    for coords, csel, osel in plan.tasks(grid_chunk):
        out[index_tuple(osel)] = _read_grid_chunk(node, h, coords)[index_tuple(csel)]


def _read_grid_chunk(node: py.Node, h: _Handle, coords) -> np.ndarray:
    if node.meta.sharding is not None:
        per = node.meta.sharding.per_shard
        key = node.key(tuple(c // p for c, p in zip(coords, per)))
        shards.shard_index(node, key)
        return _tensor(node, h.array.retrieve_subchunk, list(coords), shard_cache=h.shard_cache, key=key)
    return _tensor(node, h.array.retrieve_chunk, list(coords), key=node.key(tuple(coords)))


def read_points(node: py.Node, plan: PointPlan, out_flat: np.ndarray, missing: str = "fill") -> None:
    h = _handle(node)
    meta = node.meta
    grid_chunk = meta.read_chunks
    for coords, local, positions in plan.tasks(grid_chunk):
        out_flat[positions] = _read_grid_chunk(node, h, coords)[local]


def read_chunk(node: py.Node, coords, *, inner: bool = False, missing: str = "fill") -> np.ndarray:
    meta = node.meta
    sharded = inner and meta.sharding is not None
    chunk = meta.chunks if sharded else meta.chunk_shape
    grid = tuple(-(-s // c) for s, c in zip(meta.shape, chunk))
    coords = tuple(int(c) for c in coords)
    if len(coords) != len(grid) or any(not 0 <= c < g for c, g in zip(coords, grid)):
        raise OutOfBoundsError(f"chunk coordinates {list(coords)} are outside the chunk grid {list(grid)}",
                               url=node.store.url, path=node.path)
    h = _handle(node)
    per = meta.sharding.per_shard if sharded else (1,) * meta.ndim
    key = node.key(tuple(c // p for c, p in zip(coords, per)))
    if meta.sharding is not None:
        shards.shard_index(node, key)
    if sharded:
        data = _tensor(node, h.array.retrieve_subchunk, list(coords), shard_cache=h.shard_cache, key=key)
    else:
        data = _tensor(node, h.array.retrieve_chunk, list(coords), key=key)
    # zarrista trims edge chunks to the array; the API returns the full chunk with padding
    if data.shape != tuple(chunk):
        full = np.full(chunk, meta.fill_value, dtype=meta.dtype)
        full[tuple(slice(0, s) for s in data.shape)] = data
        return full
    return data.copy()


# ---------------------------------------------------------------------------- writes
def _encode_store(node: py.Node, h: _Handle, coords: tuple[int, ...], chunk: np.ndarray) -> None:
    """Encode one stored chunk with zarrs, then write it through zarrkit's store."""
    key = node.key(coords)
    if h.shard_cache is not None:
        h.shard_cache.clear()
    if py.is_fill(chunk, node.meta.fill_value):  # zarrkit's byte-wise rule, shared with python
        node.store.delete(key)
        return
    enc = h.encoder()
    cache.count("zarrs:calls")
    data = np.ascontiguousarray(chunk)
    if data.dtype.kind == "c":  # zarrista 0.1.0 takes no complex DLPack tensors; raw bytes are fine
        data = memoryview(data).cast("B")
    enc.store_chunks(tuple(coords), data, store_empty_chunks=True)
    encoded = enc.retrieve_encoded_chunk(list(coords))
    enc.erase_chunk(list(coords))
    if encoded is None:  # a shard whose inner chunks all equal the fill value
        node.store.delete(key)
    else:
        raw = bytes(encoded.buffer)
        if node.meta.sharding is not None:
            raw = node.meta.sharding.canonical(raw)
        node.store.set(key, raw)


def write_plan(node: py.Node, plan: OrthogonalPlan, value: np.ndarray, write_empty: bool = False) -> None:
    h = _handle(node)
    meta = node.meta

    def one(task) -> None:
        coords, csel, osel = task
        key = node.key(coords)
        region = tuple(min(c, s - i * c) for i, c, s in zip(coords, meta.chunk_shape, meta.shape))
        full = py._full_cover(csel, region) and all(isinstance(s, slice) and (s.step or 1) == 1 for s in osel)
        if full:
            chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
            chunk[tuple(slice(0, r) for r in region)] = value[index_tuple(osel)]
            _encode_store(node, h, coords, chunk)
            return
        with py.chunk_lock(node, key):
            chunk = _full_chunk(node, h, coords)
            chunk[index_tuple(csel)] = value[index_tuple(osel)]
            _encode_store(node, h, coords, chunk)

    # zarrs encodes one chunk per call; the core pool overlaps encoding and the store writes
    run_all(one, list(plan.tasks(meta.chunk_shape)))


def _full_chunk(node: py.Node, h: _Handle, coords) -> np.ndarray:
    meta = node.meta
    key = node.key(tuple(coords))
    if meta.sharding is not None:
        shards.shard_index(node, key)
    data = _tensor(node, h.array.retrieve_chunk, list(coords), key=key)
    chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
    chunk[tuple(slice(0, s) for s in data.shape)] = data
    return chunk


def write_points(node: py.Node, plan: PointPlan, values_flat: np.ndarray, write_empty: bool = False) -> None:
    h = _handle(node)
    for coords, local, positions in plan.tasks(node.meta.chunk_shape):
        key = node.key(coords)
        with py.chunk_lock(node, key):
            chunk = _full_chunk(node, h, coords)
            chunk[local] = values_flat[positions]
            _encode_store(node, h, coords, chunk)


def write_chunk(node: py.Node, coords, data: np.ndarray, *, inner: bool = False, write_empty: bool = False) -> None:
    meta = node.meta
    grid = meta.grid_shape
    if any(not 0 <= c < g for c, g in zip(coords, grid)):
        raise OutOfBoundsError(f"chunk coordinates {list(coords)} are outside the chunk grid {list(grid)}",
                               url=node.store.url, path=node.path)
    chunk = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
    chunk[tuple(slice(0, d) for d in data.shape)] = data
    _encode_store(node, _handle(node), tuple(coords), chunk)
