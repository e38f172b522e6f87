"""Resizing an array in place: new shape in ``zarr.json``, no stale data left behind.

zarr-python's ``Array.resize`` rewrites the metadata and deletes chunks wholly outside the
new grid.  :func:`resize_array` does the same and also clears the cut-off part of edge
chunks when shrinking (else a later grow would show the old values again), bumps the node's
cache generation so open handles re-read, and strips then restores consolidated metadata
at the root.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core import array_metadata, create_array, read_region, write_region
    >>> s = open_store("memory://", mode="w")
    >>> m = create_array(s, "a", array_metadata((4,), "i2", (2,)))
    >>> write_region(s, "a", ..., [1, 2, 3, 4], metadata=m)
    >>> resize_array(s, "a", (3,)).shape
    (3,)
    >>> read_region(s, "a", ..., metadata=resize_array(s, "a", (6,))).tolist()
    [1, 2, 3, 0, 0, 0]
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from zarrkit.core import cache
from zarrkit.core.backends import python as python_backend
from zarrkit.core.backends import shards
from zarrkit.core.backends.base import Node
from zarrkit.core.context import node_path
from zarrkit.core.metadata import ArrayMetadata, GroupMetadata
from zarrkit.core.node import _strip_consolidated, _write_documents, array_node, consolidate, read_metadata
from zarrkit.errors import InvalidOptionError, ReadOnlyError

__all__ = ["resize_array"]


def _was_consolidated(store) -> bool:
    if getattr(store, "kind", None) == "icechunk":
        return False
    if store.exists(".zmetadata"):
        return True
    try:
        root = read_metadata(store, "")
    except Exception:  # no root group: nothing to restore
        return False
    return isinstance(root, GroupMetadata) and root.consolidated is not None


def _outside_chunks(meta: ArrayMetadata, new_shape: tuple[int, ...]):
    """Stored-grid coordinates of chunks that are wholly (first) or partly (second) cut off."""
    old_grid = meta.grid_shape
    new_grid = tuple(-(-s // c) for s, c in zip(new_shape, meta.chunk_shape))
    whole, partial = [], []
    for coords in itertools.product(*(range(g) for g in old_grid)):
        if any(c >= g for c, g in zip(coords, new_grid)):
            whole.append(coords)
            continue
        ends_old = [min((c + 1) * k, s) for c, k, s in zip(coords, meta.chunk_shape, meta.shape)]
        ends_new = [min((c + 1) * k, s) for c, k, s in zip(coords, meta.chunk_shape, new_shape)]
        if any(n < o for n, o in zip(ends_new, ends_old)):
            partial.append(coords)
    return whole, partial


def resize_array(store, path: str, shape, *, metadata: ArrayMetadata | None = None) -> ArrayMetadata:
    """Give the array at ``path`` a new ``shape`` (same rank); returns the new metadata.

    Growing writes only ``zarr.json``: new regions read as the fill value.  Shrinking also
    deletes chunks (shards) wholly outside the new shape and resets the cut-off part of
    partly covered edge chunks to the fill value, so growing again never resurrects data.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import array_metadata, create_array
        >>> s = open_store("memory://", mode="w")
        >>> _ = create_array(s, "o", array_metadata((0,), bytes, (16,)))
        >>> resize_array(s, "o", (40,)).grid_shape
        (3,)
    """
    path = node_path(store, path) if metadata is None else path
    meta = array_node(store, path, metadata)
    if store.read_only:
        raise ReadOnlyError("the store is open read-only", url=store.url, key=path, op="write")
    new_shape = tuple(int(s) for s in shape)
    if len(new_shape) != meta.ndim or any(s < 0 for s in new_shape):
        raise InvalidOptionError(f"shape {list(new_shape)} must be {meta.ndim} non-negative sizes")
    if new_shape == meta.shape:
        return meta
    whole, partial = _outside_chunks(meta, new_shape)
    restore = _was_consolidated(store)
    _strip_consolidated(store, path)
    new = dataclasses.replace(meta, shape=new_shape)
    node = Node(store, path, meta)
    for coords in partial:
        key = node.key(coords)
        with python_backend.chunk_lock(node, key):
            raw = store.get(key)
            if raw is None:
                continue
            chunk = np.array(shards.decode_chunk(node, key, raw, meta.chain), copy=True)
            keep = tuple(slice(0, max(0, s - c * k)) for c, k, s in zip(coords, meta.chunk_shape, new_shape))
            trimmed = np.full(meta.chunk_shape, meta.fill_value, dtype=meta.dtype)
            trimmed[keep] = chunk[keep]
            python_backend._store_encoded(Node(store, path, new), key, trimmed, False, known_missing=False)
    docs = new.to_documents()
    if meta.zarr_format == 2:
        docs = {".zarray": docs[".zarray"]}
    _write_documents(store, path, docs, exclusive=False)
    for coords in whole:
        store.delete(node.key(coords))
    cache.bump(store.identity, path)
    if restore:
        consolidate(store)
    return new
