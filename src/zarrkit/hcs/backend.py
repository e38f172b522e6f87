"""``FileBackend``: a file-like view of plates and flat Zarr stores for pipelines that address
images by file name (spec §4; the anchor is OpenHCS's ``ZarrStorageBackend``).

Paths are local paths or URLs of a bucket or named memory store (``s3://bucket/run/plate.ome.zarr``,
``memory://scratch/run.zarr``; connection settings in ``FileConfig.storage_options``).  The
same contract holds on each, except where the store kind cannot (see
:mod:`zarrkit.hcs.backend_space`): object and memory stores have no symlinks
(``create_symlink`` raises UnsupportedOperationError, ``is_symlink`` is False), their
directories are prefixes (``ensure_directory`` outside a store creates nothing), and moves
there are copy-then-delete.

Queries (``exists``, ``is_*``, ``stat``, ``load*``, ``list_*``, ``is_symlink``) never create
anything.  Names ending in a passthrough extension are plain files in ``<store>.files/``.
Missing paths raise ``FileNotFoundError`` (never ``None``); builtin errors are raised as
themselves.

Example:
    >>> import os, tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> fb = FileBackend()
    >>> fb.save(np.eye(3, dtype="uint8"), f"{d}/run.zarr/img.tif")
    >>> fb.save({"ok": True}, f"{d}/run.zarr/meta.json")
    >>> [os.path.basename(p) for p in fb.list_files(f"{d}/run.zarr")], int(fb.load(f"{d}/run.zarr/img.tif").sum())
    (['img.tif', 'meta.json'], 3)
"""

from __future__ import annotations

import contextlib
import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from zarrkit.errors import StorageResolutionError, ZarrkitError
from zarrkit.hcs import backend_fs as fs
from zarrkit.hcs import backend_tree as tree
from zarrkit.hcs.backend_paths import MAX_HOPS, Target, resolve_path, root_attributes
from zarrkit.hcs.backend_space import LocalSpace, Space, StoreSpace, join, normalize, parent, split_url
from zarrkit.hcs.convert import to_numpy
from zarrkit.hcs.layout import NAMING

__all__ = ["FileBackend", "FileConfig"]

PASSTHROUGH = (".json", ".csv", ".txt", ".roi.zip", ".zip")


@dataclass
class FileConfig:
    """How the backend writes: a plate (geometry + image spec, naming, layout, compression,
    listing, declared planes per well in ``sizes``) or flat stores, passthrough suffixes, and
    the connection ``storage_options`` for object-store URLs (``endpoint_url``, credentials...)."""

    plate: Any = None
    image: Any = None
    naming: str = NAMING
    layout: Any = "sharded"
    compression: Any = "zstd:3"
    listing: str = "finalize"
    passthrough: tuple[str, ...] = PASSTHROUGH
    sizes: Mapping[str, int] = field(default_factory=dict)
    storage_options: Mapping[str, Any] | None = None


def _one_read(method):
    """Within one query each object-store answer (a HEAD, GET or listing) is fetched once."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._reads():
            return method(self, *args, **kwargs)
    return wrapper


class FileBackend:
    """The file-like backend; one instance may serve many stores."""

    def __init__(self, config: FileConfig | None = None) -> None:
        self.config = config or FileConfig()
        self._plates: dict[str, Any] = {}
        self._spaces: dict[str, Space] = {"": LocalSpace()}
        self._local = threading.local()  # this thread's answer cache while it runs one query

    def _memo(self) -> dict | None:
        return getattr(self._local, "memo", None)

    @contextlib.contextmanager
    def _reads(self):
        """One answer cache for the object and memory stores during one query (local paths
        answer from the OS each time; writes never run under it)."""
        if self._memo() is not None:
            yield
            return
        self._local.memo = {}
        try:
            yield
        finally:
            self._local.memo = None

    def _space(self, path: str) -> Space:
        """The space of a normalised path: the local file system, or its bucket / memory store."""
        root = (split_url(path) or ("",))[0]
        if root not in self._spaces:
            self._spaces[root] = StoreSpace(root, self.config.storage_options, memo=self._memo)
        return self._spaces[root]

    def _open(self, store: str, mode: str):
        """A zarrkit store on ``store`` (a local path or URL) for ``zarrkit.core``."""
        from zarrkit.storage import open_store

        remote = split_url(store) is not None and not store.startswith("memory://")
        return open_store(store, mode=mode, options=self.config.storage_options if remote else None)

    def _target(self, path: Any, *, write: bool = False) -> Target:
        full = normalize(path)
        return resolve_path(self._space(full), full, tuple(self.config.passthrough),
                            store_hint=parent(full) if write else None)

    def _is_plate(self, space: Space, store: str) -> bool:
        if space.is_file(join(store, "zarr.json")):
            return (root_attributes(space, store).get("zarrkit") or {}).get("format") == "hcs"
        return self.config.plate is not None

    def _plate(self, space: Space, store: str):
        from zarrkit.hcs.backend_plate import PlateSide

        if store not in self._plates:
            c = self.config
            self._plates[store] = PlateSide(store, space, plate=c.plate, image=c.image, naming=c.naming,
                                            layout=c.layout, compression=c.compression, listing=c.listing,
                                            sizes=c.sizes, storage_options=c.storage_options)
        return self._plates[store]

    def _follow(self, target: Target) -> Target:
        """Follow symlinks with a visited set and at most 40 hops; a cycle names its chain."""
        chain = [target.path]
        for _ in range(MAX_HOPS):
            link = fs.link_of(self, target)
            if link is None:
                return target
            target = self._target(link)
            if target.path in chain:
                raise StorageResolutionError(f"symlink cycle: {' -> '.join([*chain, target.path])}")
            chain.append(target.path)
        raise StorageResolutionError(f"more than {MAX_HOPS} symlink hops: {' -> '.join(chain[:5])} ...")

    def _kind(self, path: Any, *, follow: bool = True) -> tuple[str, Target]:
        target = self._target(path)
        if follow:
            target = self._follow(target)
        return fs.kind_of(self, target), target

    # ------------------------------------------------------------------ queries
    @_one_read
    def exists(self, path: Any) -> bool:
        """True for an existing file or directory (a dangling link or cycle: False); never raises."""
        try:
            return self._kind(path)[0] in ("file", "directory")
        except Exception:
            return False

    @_one_read
    def is_file(self, path: Any) -> bool:
        """True for a file; missing -> FileNotFoundError, a directory -> IsADirectoryError."""
        kind, t = self._kind(path)
        if kind == "missing":
            raise FileNotFoundError(f"no such file: {t.path}")
        if kind == "directory":
            raise IsADirectoryError(f"is a directory: {t.path}")
        return True

    @_one_read
    def is_dir(self, path: Any) -> bool:
        """True for a directory; missing -> FileNotFoundError, a file -> NotADirectoryError."""
        kind, t = self._kind(path)
        if kind == "missing":
            raise FileNotFoundError(f"no such directory: {t.path}")
        if kind != "directory":
            raise NotADirectoryError(f"not a directory: {t.path}")
        return True

    @_one_read
    def is_symlink(self, path: Any) -> bool:
        """Whether ``path`` itself is a link (not followed); never raises for a missing path.
        Always False on object and memory stores, which have no links."""
        try:
            return fs.link_of(self, self._target(path)) is not None
        except Exception:
            return False

    @_one_read
    def stat(self, path: Any) -> dict[str, Any]:
        """``{"type", "path", "exists", "target"?, "well"?, "index"?, "shape"?, "dtype"?}``; never raises."""
        try:
            target = self._target(path)
            out: dict[str, Any] = {"path": target.path}
            link = fs.link_of(self, target)
            if link is not None:
                out.update(type="symlink", target=str(link), exists=self.exists(path))
                return out
            kind = fs.kind_of(self, target)
            out.update(type=kind, exists=kind != "missing")
            if kind == "file":
                out.update(fs.describe(self, target))
            return out
        except Exception as err:  # stat reports; it never raises
            return {"type": "missing", "path": str(path), "exists": False, "error": f"{type(err).__name__}: {err}"}

    @_one_read
    def list_files(self, directory: Any, pattern: str | None = None, extensions: Sequence[str] | None = None,
                   recursive: bool = False) -> list[str]:
        """Full paths of the files under ``directory``, breadth-first and sorted."""
        return tree.listing(self, directory, pattern, extensions, recursive, dirs=False)

    @_one_read
    def list_dir(self, directory: Any, pattern: str | None = None, extensions: Sequence[str] | None = None) -> list[str]:
        """Full paths of the entries (files and directories) one level below ``directory``."""
        return tree.listing(self, directory, pattern, extensions, False, dirs=True)

    # ------------------------------------------------------------------ reading
    @_one_read
    def load(self, path: Any) -> Any:
        """A file's content: an array, or for passthrough files parsed JSON, ``str`` or ``bytes``."""
        kind, target = self._kind(path)
        if kind == "missing":
            raise FileNotFoundError(f"no such file: {target.path}")
        if kind == "directory":
            raise IsADirectoryError(f"is a directory: {target.path}")
        return fs.read(self, target)

    @_one_read
    def load_batch(self, paths: Sequence[Any]) -> list[Any]:
        """``load`` for many paths, in input order; any missing path raises before anything is read."""
        resolved = []
        for p in paths:
            kind, target = self._kind(p)
            if kind == "missing":
                raise FileNotFoundError(f"no such file: {target.path}")
            if kind == "directory":
                raise IsADirectoryError(f"is a directory: {target.path}")
            resolved.append(target)
        return [fs.read(self, t) for t in resolved]

    # ------------------------------------------------------------------ writing
    def _prepare(self, data: Any, path: Any, coords: Any) -> tuple[Target, Any]:
        target = self._target(path, write=True)
        if target.is_root or target.store is None and not target.passthrough:
            raise StorageResolutionError(f"{target.path}: not a file name inside a store")
        if fs.kind_of(self, target) != "missing" or fs.link_of(self, target) is not None:
            raise FileExistsError(f"already exists: {target.path}")
        if target.passthrough:
            return target, fs.passthrough_bytes(data, target)
        array = to_numpy(data)
        if target.store and self._is_plate(target.space, target.store):
            side = self._plate(target.space, target.store)
            side.coords(target.name, coords)  # unmappable -> StorageResolutionError, before anything is written
            side.check_plane(target.name, array)
        return target, array

    def save(self, data: Any, path: Any, *, coords: Any = None) -> None:
        """Save one file; an existing name raises FileExistsError (never a silent overwrite)."""
        with self._reads():
            target, payload = self._prepare(data, path, coords)
        fs.write(self, target, payload, coords)

    def save_batch(self, data_list: Sequence[Any], paths: Sequence[Any], *, coords: Sequence[Any] | None = None) -> None:
        """Save many files; lengths, duplicates, existing names, shapes and dtypes are all
        checked before the first write."""
        if len(data_list) != len(paths) or (coords is not None and len(coords) != len(paths)):
            raise ValueError(f"save_batch: {len(data_list)} data for {len(paths)} paths")
        with self._reads():
            full = [self._target(p, write=True).path for p in paths]
            if len(set(full)) != len(full):
                raise ValueError(f"save_batch: duplicate names {sorted({p for p in full if full.count(p) > 1})}")
            prepared = [self._prepare(d, p, coords[i] if coords else None)
                        for i, (d, p) in enumerate(zip(data_list, paths))]
        arrays = [a for t, a in prepared if isinstance(a, np.ndarray)]
        if len({(a.shape, a.dtype.str) for a in arrays}) > 1:
            raise ValueError("save_batch: arrays differ in shape or dtype")
        for i, (target, payload) in enumerate(prepared):
            fs.write(self, target, payload, coords[i] if coords else None)

    def flush(self, *, partial: bool = False) -> None:
        """Publish open plate wells and list them; an incomplete well raises IncompleteWellError
        unless ``partial=True``."""
        for side in self._plates.values():
            side.flush(partial)

    def close(self) -> None:
        self.flush()

    # ------------------------------------------------------------------ deleting and directories
    def delete(self, path: Any) -> None:
        """Remove a file or an empty directory (a non-empty one raises IsADirectoryError)."""
        target = self._target(path)
        kind = "symlink" if fs.link_of(self, target) is not None else fs.kind_of(self, target)
        if kind == "missing":
            raise FileNotFoundError(f"no such file or directory: {target.path}")
        fs.remove(self, target, kind, recursive=False)

    def delete_all(self, path: Any) -> None:
        """Remove recursively: a directory, a well, or a store with its .files/ and .staging/."""
        target = self._target(path)
        kind = fs.kind_of(self, target)
        if kind == "missing" and fs.link_of(self, target) is None:
            raise FileNotFoundError(f"no such file or directory: {target.path}")
        try:
            fs.remove(self, target, kind, recursive=True)
        except (FileNotFoundError, ZarrkitError):
            raise
        except OSError as err:
            raise StorageResolutionError(f"{target.path}: delete_all failed: {err}") from err

    def ensure_directory(self, path: Any) -> str:
        """``mkdir -p`` outside a store, the root group on a store path, groups in a flat store;
        a plate store has no directories (StorageResolutionError).  Outside a store on an object
        or memory store a directory is a prefix: nothing is created, and it exists (``is_dir``)
        once something is stored below it."""
        return fs.make_directory(self, self._target(path))

    # ------------------------------------------------------------------ links, move and copy
    def create_symlink(self, source: Any, link_name: Any, overwrite: bool = False) -> None:
        """Store a link ``link_name`` -> ``source`` (an attribute inside a store, an OS symlink
        outside).  Local paths only: on object and memory stores it raises
        UnsupportedOperationError naming the store and key, and writes nothing."""
        fs.make_link(self, self._target(source), self._target(link_name, write=True), overwrite)

    def move(self, source: Any, destination: Any) -> None:
        """Move a file or a whole store (also between a local folder and a bucket); never
        overwrites.  A rename on a local disk, copy-then-delete anywhere else."""
        tree.transfer(self, source, destination, move=True)

    def copy(self, source: Any, destination: Any) -> None:
        """Copy a file or a whole store; never overwrites."""
        tree.transfer(self, source, destination, move=False)

