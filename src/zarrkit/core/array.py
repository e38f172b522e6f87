"""The thin :class:`Array` handle over the functional API, and :func:`open_array`.

It holds the metadata and passes it as ``metadata=`` on every call; before each call it
compares one integer, the generation of its node (and ancestors), which every zarrkit
metadata change in this process bumps.  Changes made by other processes need
:meth:`Array.refresh`.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core import create_array, array_metadata
    >>> s = open_store("memory://", mode="w")
    >>> _ = create_array(s, "img", array_metadata((4, 4), "u2", (2, 2), dimension_names=["y", "x"]))
    >>> a = Array(s, "img")
    >>> a[1:3, [0, 3]] = 9
    >>> a.oindex[[1, 2], [0, 3]].tolist(), a.vindex[[1, 2], [3, 0]].tolist()
    ([[9, 9], [9, 9]], [9, 9])
    >>> a.shape, a.chunks, a.dimension_names
    ((4, 4), (2, 2), ('y', 'x'))
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from zarrkit.core import cache
from zarrkit.core import chunk as chunk_functions
from zarrkit.core import node as node_functions
from zarrkit.core import region as region_functions
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.point import point_reader
from zarrkit.errors import InvalidOptionError, NodeTypeError, ZarrkitError
from zarrkit.storage import ByteStore, open_store
from zarrkit.storage.keys import check_node_path

__all__ = ["Array", "open_array"]


class Array:
    """A Zarr array in a store: numpy-style ``[]``, ``oindex``, ``vindex`` and the chunk functions."""

    def __init__(self, store, path: str = "", *, backend: str | None = None, owns_store: bool = False) -> None:
        self.store = store
        self.path = check_node_path(path, url=store.url)
        self.backend = backend
        self._owns_store = owns_store
        self._gen_keys = cache.generation_keys(store.identity, self.path)
        self.refresh()

    @classmethod
    def from_metadata(cls, store, path: str, metadata: ArrayMetadata, *, backend: str | None = None) -> Array:
        """A handle on metadata the caller already holds (from consolidated metadata, say): no read."""
        self = cls.__new__(cls)
        self.store = store
        self.path = check_node_path(path, url=store.url)
        self.backend = backend
        self._owns_store = False
        self._gen_keys = cache.generation_keys(store.identity, self.path)
        self._gen = self._generation()
        self._meta = metadata
        return self

    # ------------------------------------------------------------------ metadata
    def refresh(self) -> Array:
        """Re-read the metadata (after changes by another process)."""
        self._gen = self._generation()
        meta = node_functions.read_metadata(self.store, self.path)
        if not isinstance(meta, ArrayMetadata):
            raise NodeTypeError("this node is a group, not an array", url=self.store.url, path=self.path)
        self._meta = meta
        return self

    def _generation(self) -> int:
        get = cache._generations.get
        return sum(get(k, 0) for k in self._gen_keys)

    @property
    def metadata(self) -> ArrayMetadata:
        if self._generation() != self._gen:
            self.refresh()
        return self._meta

    @property
    def shape(self) -> tuple[int, ...]:
        return self.metadata.shape

    @property
    def dtype(self) -> np.dtype:
        return self.metadata.dtype

    @property
    def ndim(self) -> int:
        return self.metadata.ndim

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def chunks(self) -> tuple[int, ...]:
        """The chunk shape (the inner chunk when sharded, as in zarr-python)."""
        return self.metadata.chunks

    @property
    def shards(self) -> tuple[int, ...] | None:
        return self.metadata.shards

    @property
    def fill_value(self) -> Any:
        return self.metadata.fill_value[()]

    @property
    def attrs(self) -> dict[str, Any]:
        """A copy of the attributes; change them with :meth:`update_attributes`."""
        return dict(self.metadata.attributes)

    @property
    def dimension_names(self) -> tuple[str | None, ...] | None:
        return self.metadata.dimension_names

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"<zarrkit.Array /{self.path} shape={self.shape} dtype={self.dtype} in {self.store.url}>"

    # ------------------------------------------------------------------ data
    def _read(self, selection: Any, indexing: str) -> np.ndarray:
        return region_functions.read_region(self.store, self.path, selection, indexing=indexing,
                                            metadata=self.metadata, backend=self.backend)

    def _write(self, selection: Any, value: Any, indexing: str) -> None:
        region_functions.write_region(self.store, self.path, selection, value, indexing=indexing,
                                      metadata=self.metadata, backend=self.backend)

    _point_meta: ArrayMetadata | None = None  # the metadata ``_point`` was built for
    _point = None

    def __getitem__(self, selection: Any) -> np.ndarray:
        meta = self.metadata
        if self._point_meta is not meta:
            self._point, self._point_meta = point_reader(self.store, self.path, meta), meta
        if self._point is not None and (self.backend or cache.default_backend()) != "zarrs":
            # a box inside one chunk (``a[i, j, :]``) skips the planner: see zarrkit.core.point
            result = self._point.read(selection)
            if result is not None:
                return result
        return self._read(selection, "numpy")

    def __setitem__(self, selection: Any, value: Any) -> None:
        self._write(selection, value, "numpy")

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        data = self[...]
        return data if dtype is None else data.astype(dtype)

    def to_dask(self, chunks: Any = None):
        """A lazy ``dask.array`` over this array, one task per stored object (shard or chunk)
        unless ``chunks`` says otherwise.  Tasks read through this handle, so they see writes
        made before compute; on a distributed cluster the handle is pickled with its store.

        Example:
            >>> from zarrkit.storage import open_store
            >>> from zarrkit.core import create_array, array_metadata, write_region
            >>> s = open_store("memory://", mode="w"); _ = create_array(s, "a", array_metadata((6,), "i4", (4,)))
            >>> write_region(s, "a", ..., range(6)); d = Array(s, "a").to_dask()
            >>> d.chunks, int(d.sum().compute())
            (((4, 2),), 15)
        """
        import dask.array as da
        from dask.base import tokenize

        meta = self.metadata
        name = "zarrkit-" + tokenize(self.store.url, self.path, self._generation(), meta.to_dict(), chunks)
        return da.from_array(self, chunks=chunks or meta.chunk_shape, name=name, lock=False, asarray=True,
                             fancy=False, meta=np.empty((0,) * meta.ndim, dtype=meta.dtype))

    @property
    def oindex(self) -> _Indexer:
        """Orthogonal indexing: each index array selects along its own axis."""
        return _Indexer(self, "orthogonal")

    @property
    def vindex(self) -> _Indexer:
        """Point indexing: the index arrays give coordinates, broadcast together."""
        return _Indexer(self, "points")

    def read_region(self, selection: Any = Ellipsis, **kwargs: Any) -> np.ndarray:
        return region_functions.read_region(self.store, self.path, selection, metadata=self.metadata,
                                            backend=self.backend, **kwargs)

    def write_region(self, selection: Any, value: Any, **kwargs: Any) -> None:
        region_functions.write_region(self.store, self.path, selection, value, metadata=self.metadata,
                                      backend=self.backend, **kwargs)

    def read_chunk(self, coords, **kwargs: Any) -> np.ndarray:
        return chunk_functions.read_chunk(self.store, self.path, coords, metadata=self.metadata, backend=self.backend, **kwargs)

    def write_chunk(self, coords, data, **kwargs: Any) -> None:
        chunk_functions.write_chunk(self.store, self.path, coords, data, metadata=self.metadata, backend=self.backend, **kwargs)

    def delete_chunk(self, coords, **kwargs: Any) -> None:
        chunk_functions.delete_chunk(self.store, self.path, coords, metadata=self.metadata, **kwargs)

    def iter_chunks(self, *, inner: bool = False) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...]]]:
        """``(chunk coords, region of the array)`` for every chunk (inner chunks with ``inner=True``).

        Example:
            >>> from zarrkit.storage import open_store
            >>> from zarrkit.core import create_array, array_metadata
            >>> s = open_store("memory://", mode="w"); _ = create_array(s, "a", array_metadata((3,), "u1", (2,)))
            >>> list(Array(s, "a").iter_chunks())
            [((0,), (slice(0, 2, None),)), ((1,), (slice(2, 3, None),))]
        """
        meta = self.metadata
        chunk = meta.chunks if inner else meta.chunk_shape
        grid = [range(-(-s // c)) for s, c in zip(meta.shape, chunk)]
        for coords in itertools.product(*grid):
            yield coords, tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(coords, chunk, meta.shape))

    def update_attributes(self, updates, *, replace: bool = False) -> dict[str, Any]:
        """Merge (or replace) attributes; returns the new attributes."""
        new = node_functions.update_attributes(self.store, self.path, updates, replace=replace)
        return dict(new.attributes)

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Close the store if this handle opened it."""
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Array:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Indexer:
    __slots__ = ("array", "mode")

    def __init__(self, array: Array, mode: str) -> None:
        self.array, self.mode = array, mode

    def __getitem__(self, selection: Any) -> np.ndarray:
        return self.array._read(selection, self.mode)

    def __setitem__(self, selection: Any, value: Any) -> None:
        self.array._write(selection, value, self.mode)


def open_array(target, path: str = "", *, mode: str = "r", backend: str | None = None, **open_store_kwargs: Any):
    """Open an array handle on a URL, path or open store.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array
        >>> s = open_store("memory://demo-open", mode="w")
        >>> _ = create_array(s, "x", array_metadata((3,), "u1", (3,)))
        >>> with open_array(s, "x", mode="r+") as a:
        ...     a[1] = 4
        ...     a[:].tolist()
        [0, 4, 0]
    """
    if mode not in ("r", "r+"):
        raise InvalidOptionError(f"open_array mode must be 'r' or 'r+', got {mode!r}")
    owned = not isinstance(target, ByteStore)
    store = open_store(target, mode=mode, **open_store_kwargs) if owned else target
    try:
        return Array(store, path, backend=backend, owns_store=owned)
    except ZarrkitError:
        if owned:
            store.close()
        raise
