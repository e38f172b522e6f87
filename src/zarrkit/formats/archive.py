"""The archive engine: how every zarrkit format writes and opens a store.

Writing: every array and sub-group first, block by block on any ``zarrkit.parallel``
executor; then the root ``zarr.json`` once, last, carrying the format's attributes, the
root marker and the consolidated metadata of every node.  A store without its root is an
incomplete archive, so readers never see half a write.  An icechunk target gets the whole
archive as one commit; a failed write removes what it wrote (and the target folder, when
the write created it) and commits nothing.

Opening: one GET of the root document; arrays come back as :class:`zarrkit.core.Array`
handles built from the consolidated metadata, with no further metadata request.

Example:
    >>> import numpy as np
    >>> from zarrkit import core
    >>> from zarrkit.conventions.marker import RootMarker
    >>> with ArchiveWriter("memory://doc-engine", RootMarker("toy", "1.0")) as w:
    ...     meta = w.array("data", core.array_metadata((4, 4), "uint8", (2, 2), dimension_names=["y", "x"]),
    ...                    np.eye(4, dtype="uint8"))
    ...     url = w.finish({"title": "a toy archive"})
    >>> arch = open_archive(url, format="toy")
    >>> arch.marker.format, arch.attributes["title"], int(arch.array("data")[...].sum())
    ('toy', 'a toy archive', 4)
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from zarrkit import core
from zarrkit.conventions.marker import KEY, RootMarker
from zarrkit.core.metadata import GroupMetadata, dumps, parse_documents
from zarrkit.errors import (
    ArchiveError,
    ArchiveExistsError,
    ContainsDataError,
    NodeNotFoundError,
    NodeTypeError,
    NotAnArchiveError,
    ZarrkitError,
)
from zarrkit.parallel import TaskExecutor, check_executor, get_executor
from zarrkit.progress import track
from zarrkit.storage import open_store
from zarrkit.storage.consolidated import with_consolidated
from zarrkit.storage.url import parse_target

__all__ = ["ENCODER", "ArchiveWriter", "OpenedArchive", "open_archive", "blocks"]

# One encoder for every store and executor, so an archive's bytes depend only on its data:
# zarrs' blosc differs from numcodecs' in its output, and zarrs only serves local stores.
ENCODER = "python"


def blocks(meta: core.ArrayMetadata, budget: int) -> list[tuple[slice, ...]]:
    """Boxes covering the array, each made of whole stored objects: one shard, or as many
    whole chunks as fit ``budget`` bytes (growing the last axes first).

    Example:
        >>> m = core.array_metadata((8, 8), "uint8", (2, 2))
        >>> blocks(m, 32)[:2]
        [(slice(0, 4, None), slice(0, 8, None)), (slice(4, 8, None), slice(0, 8, None))]
    """
    step = list(meta.chunk_shape)
    if meta.sharding is None:
        itemsize = np.dtype(meta.dtype).itemsize
        for axis in reversed(range(meta.ndim)):
            while step[axis] < meta.shape[axis] and itemsize * math.prod(step) * 2 <= budget:
                step[axis] = min(step[axis] * 2, -(-meta.shape[axis] // meta.chunk_shape[axis]) * meta.chunk_shape[axis])
    ranges = [range(0, n, s) for n, s in zip(meta.shape, step)]
    return [tuple(slice(o, min(o + s, n)) for o, s, n in zip(origin, step, meta.shape))
            for origin in itertools.product(*ranges)]


def _encode_block(task: tuple[str, dict[str, Any], tuple[slice, ...], np.ndarray]) -> dict[str, bytes]:
    """Encode one block into a scratch memory store; return the objects it produced.

    Runs where the executor runs it (another process, a Dask worker), so the writer only
    stores bytes and any kind of target works with any executor.
    """
    path, doc, box, block = task
    meta = parse_documents({"zarr.json": doc})
    scratch = open_store("memory://", mode="w")
    core.write_region(scratch, path, box, block, metadata=meta, backend=ENCODER)
    return {key: scratch.get(key) for key in scratch.list_prefix("")}


class ArchiveWriter:
    """Write one archive; use as a context manager and call :meth:`finish` last.

    ``marker`` is the format's :class:`RootMarker`; ``executor`` any ``zarrkit.parallel``
    executor spec (``None`` writes on the core's own thread pool); ``block_bytes`` bounds
    the unsharded blocks handed to an executor.  Leaving the block without :meth:`finish`
    (an exception, or forgetting it) removes everything written.
    """

    def __init__(self, url: Any, marker: RootMarker, *, overwrite: bool = False,
                 storage_options: Mapping[str, Any] | None = None, executor: Any = None,
                 block_bytes: int = 16 * 2**20, commit_message: str | None = None) -> None:
        if not isinstance(marker, RootMarker):
            raise ArchiveError("ArchiveWriter needs a RootMarker")
        check_executor(executor)  # before the target is opened (and perhaps created)
        self.marker = marker
        self.block_bytes = block_bytes
        self.commit_message = commit_message or f"zarrkit {marker.format} archive"
        self.documents: dict[str, dict[str, Any]] = {}
        self.url: str | None = None
        self._created_dir = _new_local_dir(url)
        try:
            self.store = open_store(url, mode="w", overwrite=overwrite, options=storage_options)
        except ContainsDataError as err:
            if overwrite:  # refused even with overwrite (not a Zarr hierarchy): the store says why
                raise
            raise ArchiveExistsError(f"{err.url} already holds data; pass overwrite=True to replace it") from None
        self._spec = executor
        self.executor: TaskExecutor | None = None if executor is None else get_executor(executor)
        self._finished = False

    def __enter__(self) -> "ArchiveWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self._finished:
                self._remove_written()
        finally:
            if self.executor is not None and self.executor is not self._spec:
                self.executor.close()

    # ------------------------------------------------------------------ nodes
    def group(self, path: str, attributes: Mapping[str, Any] | None = None) -> GroupMetadata:
        """Create sub-group ``path`` (its parent must exist: archives are written top down)."""
        meta = core.create_group(self.store, path, attributes=attributes, parents=False)
        self.documents[path] = meta.to_dict()
        return meta

    def array(self, path: str, metadata: core.ArrayMetadata, data: Any = None) -> core.ArrayMetadata:
        """Create array ``path`` and, when ``data`` is given, write all of it."""
        core.create_array(self.store, path, metadata, parents=False)
        self.documents[path] = metadata.to_dict()
        if data is not None:
            self.write(path, metadata, data)
        return metadata

    def write(self, path: str, metadata: core.ArrayMetadata, data: Any) -> None:
        """Write a whole array: on the core's pool, or one task per block on the executor."""
        data = np.asarray(data)
        if self.executor is None or data.size == 0:
            core.write_region(self.store, path, ..., data, metadata=metadata, backend=ENCODER)
            return
        boxes = blocks(metadata, self.block_bytes)
        label = f"Writing {path} ({self.executor.name})"
        if self.executor.shares_memory:
            store = self.store
            done = self.executor.map(
                lambda box: core.write_region(store, path, box, data[box], metadata=metadata, backend=ENCODER), boxes)
            for _ in track(done, label, total=len(boxes)):
                pass
            return
        doc = metadata.to_dict()
        tasks = ((path, doc, box, np.ascontiguousarray(data[box])) for box in boxes)
        for objects in track(self.executor.map(_encode_block, tasks), label, total=len(boxes)):
            self.store.set_many(objects)

    # ------------------------------------------------------------------ the root
    def finish(self, attributes: Mapping[str, Any] | None = None, *,
               marker_extra: Mapping[str, Any] | None = None) -> str:
        """Write the root (``attributes`` + the marker + consolidated metadata), commit an
        icechunk target, close the store; returns the archive's URL.

        ``marker_extra`` adds domain keys known only once the nodes are written (a table of
        contents, say) to the marker's own.
        """
        if marker_extra:
            self.marker = replace(self.marker, extra={**self.marker.extra, **marker_extra})
        attrs = dict(attributes or {})
        attrs[KEY] = self.marker.to_dict()
        root = GroupMetadata(attrs).to_dict()
        self.store.set("zarr.json", dumps(with_consolidated(root, self.documents)))
        if self.store.kind == "icechunk":  # one snapshot: readers see all of the archive or none
            self.store.commit(self.commit_message)
        self._finished = True
        self.url = self.store.url
        self.store.close()
        return self.url

    def _remove_written(self) -> None:
        store = self.store
        try:
            if store.kind in ("zip", "icechunk"):
                store.discard()
            else:
                store.delete_prefix("")
        except ZarrkitError:
            pass
        finally:
            try:
                store.close()
            except Exception:
                pass
        if self._created_dir and os.path.isdir(self._created_dir):
            _remove_empty_tree(self._created_dir)


def _new_local_dir(url: Any) -> str | None:
    """The local folder this write would create, or ``None`` (it exists, or is not local)."""
    if not isinstance(url, (str, os.PathLike)):
        return None
    try:
        target = parse_target(url)
    except ZarrkitError:
        return None
    if target.kind != "local" or os.path.exists(target.path):
        return None
    return os.path.abspath(target.path)


def _remove_empty_tree(top: str) -> None:
    """Remove ``top`` and the empty folders under it; a file anywhere keeps it (never lose data)."""
    for dirpath, _dirs, _files in os.walk(top, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            return


class OpenedArchive:
    """An archive opened from one GET: its marker, attributes and lazy array handles.

    ``hierarchy`` is the core's view of the store (:func:`zarrkit.core.open_hierarchy`):
    every consolidated node's metadata, parsed on first use.
    """

    def __init__(self, hierarchy: core.Hierarchy, marker: RootMarker) -> None:
        self.hierarchy = hierarchy
        self.store = hierarchy.store
        self.url = self.store.url
        self.marker = marker
        self.attributes: Mapping[str, Any] = hierarchy.root.attributes

    def array(self, path: str) -> core.Array:
        """A handle on array ``path``, from consolidated metadata when the root has it."""
        return self.hierarchy.array(path)

    def close(self) -> None:
        self.store.close()


def open_archive(target: Any, *, format: str, reads_major: int = 1,
                 storage_options: Mapping[str, Any] | None = None) -> OpenedArchive:
    """Open the archive at ``target`` (a URL, path or open store) as format ``format``.

    Raises :class:`NotAnArchiveError` when there is no root, or its marker names another
    format (or none), :class:`FormatVersionError` for a newer major version, and
    ``MetadataError`` (store, node, key) for a malformed root.
    """
    store = target if hasattr(target, "get") and hasattr(target, "kind") else open_store(
        target, mode="r", options=storage_options)
    try:
        hierarchy = core.open_hierarchy(store)
    except (NodeNotFoundError, NodeTypeError):
        raise NotAnArchiveError(f"{store.url}: no root group (not a Zarr group, or an incomplete archive)") from None
    marker = RootMarker.from_attributes(hierarchy.root.attributes)
    if marker is None or marker.format != format:
        raise NotAnArchiveError(f"{store.url}: not a zarrkit {format} archive (no zarrkit.format == {format!r})")
    marker.check_readable(reads_major, where=store.url)
    return OpenedArchive(hierarchy, marker)
