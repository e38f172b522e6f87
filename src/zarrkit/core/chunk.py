"""Chunk functions: read, write and delete one stored chunk (or one inner chunk of a shard).

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.node import create_array
    >>> from zarrkit.core.metadata import array_metadata
    >>> s = open_store("memory://", mode="w")
    >>> m = create_array(s, "a", array_metadata((4,), "u1", (2,)))
    >>> write_chunk(s, "a", (1,), np.array([3, 4], "u1"), metadata=m)
    >>> read_chunk(s, "a", (1,), metadata=m).tolist(), read_chunk(s, "a", (0,), metadata=m).tolist()
    ([3, 4], [0, 0])
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from zarrkit.core.backends import python as python_backend
from zarrkit.core.backends.base import Node
from zarrkit.core.backends.choice import choose_backend
from zarrkit.core.context import in_context, node_path
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.node import array_node
from zarrkit.errors import (
    ChunkDecodeError,
    DTypeError,
    InvalidOptionError,
    NodeError,
    OutOfBoundsError,
    ShapeMismatchError,
)

__all__ = ["as_value", "check_missing", "delete_chunk", "name_the_chunk", "read_chunk", "write_chunk"]


def check_missing(missing: str) -> None:
    """Refuse a ``missing=`` other than ``"fill"`` or ``"raise"``."""
    if missing not in ("fill", "raise"):
        raise InvalidOptionError(f"missing must be 'fill' or 'raise', got {missing!r}")


def as_value(store, path: str, meta: ArrayMetadata, value: Any) -> np.ndarray:
    """``value`` as an array the array's dtype can take under ``"same_kind"`` casting.

    numpy arrays and scalars are judged by dtype; plain Python values by what they hold, so
    ``[1, 2]`` fits a uint8 array but ``-1`` or ``300`` does not.
    """
    dtype = meta.dtype
    if dtype.kind == "O":
        return np.asarray(value, dtype=object)
    from_python = not isinstance(value, (np.ndarray, np.generic))
    arr = np.asarray(value)
    ok = np.can_cast(arr.dtype, dtype, "same_kind") and arr.dtype.kind != "O"
    if not ok and from_python and arr.dtype.kind in "biu" and dtype.kind in "iu":
        ok = True  # plain ints into an unsigned array: numpy's own range check decides below
    if not ok:
        raise DTypeError(
            f"cannot cast {arr.dtype} to the array's {meta.data_type.name} under 'same_kind'", url=store.url, path=path
        )
    if from_python and arr.dtype != dtype:
        try:
            arr = np.asarray(value, dtype=dtype)
        except (OverflowError, ValueError) as err:
            raise DTypeError(f"value does not fit {meta.data_type.name}: {err}", url=store.url, path=path) from None
    return arr


def name_the_chunk(err: ChunkDecodeError, read_again) -> NoReturn:
    """Raise the python backend's error for the same read (it names the chunk key), or ``err``.

    Only called on the error path, so the second read costs nothing in the normal case.
    """
    try:
        read_again()
    except ChunkDecodeError as precise:
        if precise.key is not None:
            raise precise from err
    raise err


def read_chunk(store, path: str, coords, *, metadata: ArrayMetadata | None = None, inner: bool = False,
               out: np.ndarray | None = None, copy: bool = True, missing: str = "fill", backend: str | None = None
               ) -> np.ndarray:
    """The decoded chunk at grid ``coords`` (full chunk shape; edge chunks include padding).

    ``inner=True`` addresses a sharded array's inner-chunk grid and reads only that inner
    chunk.  A missing chunk reads as the fill value, or raises ``ChunkNotFoundError`` with
    ``missing="raise"``.  Out-of-grid coordinates raise ``IndexError``.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((4, 4), "i4", (2, 2), shards=(4, 4), fill_value=-1))
        >>> read_chunk(s, "a", (1, 1), inner=True, metadata=m).tolist()
        [[-1, -1], [-1, -1]]
    """
    try:
        return _read_chunk(store, path, coords, metadata=metadata, inner=inner,
                            out=out, copy=copy, missing=missing, backend=backend)
    except ChunkDecodeError as err:
        if err.key is not None or backend == "python":
            raise
        # a fast backend reports a failure for a whole box; the python backend names the chunk
        name_the_chunk(err, lambda: _read_chunk(store, path, coords, metadata=metadata, inner=inner,
                                           out=out, copy=copy, missing=missing, backend="python"))


def _read_chunk(store, path: str, coords, *, metadata: ArrayMetadata | None = None, inner: bool = False,
               out: np.ndarray | None = None, copy: bool = True, missing: str = "fill", backend: str | None = None
               ) -> np.ndarray:
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    check_missing(missing)
    be = choose_backend(store, path, meta, backend, op="read", missing=missing, inner=inner)
    try:
        chunk = be.read_chunk(Node(store, path, meta), coords, inner=inner, missing=missing)
    except NodeError as err:
        if err.url is None:
            raise in_context(err, store, path) from None
        raise
    if out is not None:
        if out.shape != chunk.shape:
            raise ShapeMismatchError(f"out has shape {out.shape}, the chunk {chunk.shape}", url=store.url, path=path)
        out[...] = chunk
        return out
    return chunk


def write_chunk(store, path: str, coords, data, *, metadata: ArrayMetadata | None = None, inner: bool = False,
                write_empty_chunks: bool = False, backend: str | None = None) -> None:
    """Write one chunk from ``data`` without reading (``inner=True`` rewrites the shard).

    ``data`` has the full chunk shape or the in-bounds part of an edge chunk; it must cast
    to the array's dtype under ``"same_kind"`` (else ``DTypeError``).

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array, read_region
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((3,), "i2", (2,)))
        >>> write_chunk(s, "a", (1,), np.array([9], "i2"), metadata=m)
        >>> read_region(s, "a", slice(None), metadata=m).tolist()
        [0, 0, 9]
    """
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    arr = as_value(store, path, meta, data)
    sharded = inner and meta.sharding is not None
    full = meta.chunks if sharded else meta.chunk_shape
    grid = tuple(-(-s // c) for s, c in zip(meta.shape, full))
    coords = tuple(int(c) for c in coords)
    if len(coords) != meta.ndim or any(not 0 <= c < g for c, g in zip(coords, grid)):
        raise OutOfBoundsError(f"chunk coordinates {list(coords)} are outside the grid {list(grid)}", url=store.url, path=path)
    in_bounds = tuple(min(c, s - i * c) for i, c, s in zip(coords, full, meta.shape))
    if arr.shape not in (full, in_bounds):
        raise ShapeMismatchError(
            f"chunk data has shape {arr.shape}; expected {full} or the in-bounds part {in_bounds}", url=store.url, path=path
        )
    if arr.dtype != meta.dtype:
        arr = arr.astype(meta.dtype)
    be = choose_backend(store, path, meta, backend, op="write", write_empty=write_empty_chunks, inner=inner)
    be.write_chunk(Node(store, path, meta), coords, arr, inner=inner, write_empty=write_empty_chunks)


def delete_chunk(store, path: str, coords, *, metadata: ArrayMetadata | None = None, inner: bool = False) -> None:
    """Delete one chunk (idempotent); ``inner=True`` clears an inner chunk of its shard.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array, read_region, write_region
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((2,), "u1", (1,)))
        >>> write_region(s, "a", slice(None), 5, metadata=m); delete_chunk(s, "a", (0,), metadata=m)
        >>> read_region(s, "a", slice(None), metadata=m).tolist()
        [0, 5]
    """
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    # only the python backend deletes (zarrs declares no "delete" operation)
    python_backend.delete_chunk(Node(store, path, meta), coords, inner=inner)
