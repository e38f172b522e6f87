"""Where the file-like backend's paths live: local folders, or one bucket of an object store
or a named memory store, seen through ``zarrkit.storage``.

A path is a string: an absolute local path, or ``<scheme>://<bucket>/<key>`` for
``memory://``, ``s3://``, ``gs://`` and ``az://``.  Each root (the local file system, one
bucket) is a :class:`Space` with the same small set of file operations, so the backend's
logic is written once:

==================  ==============================  =====================================
operation           local folders (os)              object and memory stores
==================  ==============================  =====================================
file                a regular file                  an object
directory           a directory, even empty         a prefix with at least one object
                                                    below it; the bucket root while the
                                                    bucket exists
``makedirs``        ``mkdir -p``                    nothing (a prefix appears with its
                                                    first object)
exclusive write     ``open(..., "xb")``             ``set_if_absent`` (If-None-Match: *)
``rmtree``          ``shutil.rmtree``               ``delete_prefix``
``rename``          ``os.rename`` (atomic)          copy, then delete (not atomic)
symlinks            real ones (``os.symlink``)      none: ``readlink`` is None,
                                                    ``symlink`` raises
                                                    UnsupportedOperationError
==================  ==============================  =====================================

Queries never create anything: on a memory store that does not exist yet, or a missing
bucket, every path is missing.

Example:
    >>> sp = StoreSpace("memory://space-doc", None)
    >>> sp.is_dir("memory://space-doc"), sp.is_file("memory://space-doc/a/b.txt")
    (False, False)
    >>> sp.write("memory://space-doc/a/b.txt", b"hi", exclusive=True)
    >>> sp.entries("memory://space-doc"), sp.is_dir("memory://space-doc/a"), sp.read("memory://space-doc/a/b.txt")
    ([('a', True)], True, b'hi')
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from typing import Any, Mapping

from zarrkit.errors import StorageResolutionError, StoreNotFoundError, UnsupportedOperationError

__all__ = ["Space", "LocalSpace", "StoreSpace", "normalize", "split_url", "parent", "join", "ancestors", "copy_tree"]

URL_SCHEMES = ("memory", "s3", "gs", "gcs", "az", "abfs")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def split_url(path: str) -> tuple[str, str] | None:
    """``(root, key)`` of a normalised URL path; None for a local path.

    Example:
        >>> split_url("s3://b/run/x.tif"), split_url("/tmp/x")
        (('s3://b', 'run/x.tif'), None)
    """
    m = _SCHEME.match(path)
    if m is None:
        return None
    bucket, _, key = path[m.end():].partition("/")
    return f"{m.group(1)}://{bucket}", key


def normalize(path: Any) -> str:
    """The canonical string of a path: an absolute local path, or ``scheme://bucket/key`` with
    ``.``/``..`` resolved inside the bucket and no trailing slash.

    Example:
        >>> normalize("s3://b/run/./x/../a.tif/"), normalize("file:///tmp/x/../y")
        ('s3://b/run/a.tif', '/tmp/y')
    """
    if isinstance(path, str) and _SCHEME.match(path):
        scheme = _SCHEME.match(path).group(1).lower()
        rest = path[len(scheme) + 3:]
        if scheme == "file":
            return os.path.abspath("/" + rest.partition("/")[2]) if rest.startswith("localhost/") else \
                os.path.abspath(rest if rest.startswith("/") else "/" + rest)
        if scheme not in URL_SCHEMES:
            raise StorageResolutionError(f"{path}: the file-like backend resolves local paths, memory:// and "
                                         f"object-store URLs ({', '.join(s + '://' for s in URL_SCHEMES[1:])})")
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise StorageResolutionError(f"{path}: name the bucket or memory store (e.g. memory://NAME/run.zarr)")
        key = posixpath.normpath("/" + key).lstrip("/") if key.strip("/") else ""
        return f"{scheme}://{bucket}" + (f"/{key}" if key else "")
    try:
        return os.path.abspath(os.fspath(path))
    except TypeError:
        raise TypeError(f"a path must be str, os.PathLike or a URL, got {type(path).__name__}") from None


def parent(path: str) -> str:
    """The folder holding ``path`` (a bucket root is its own parent).

    Example:
        >>> parent("s3://b/run/x.tif"), parent("s3://b"), parent("/tmp/x")
        ('s3://b/run', 's3://b', '/tmp')
    """
    split = split_url(path)
    if split is None:
        return os.path.dirname(path)
    root, key = split
    return f"{root}/{posixpath.dirname(key)}" if "/" in key else root


def join(path: str, *parts: str) -> str:
    """``path/part/...`` for local paths and URLs alike (parts are relative, ``/``-separated).

    Example:
        >>> join("s3://b", "run", "x.tif"), join("/tmp/", "a/b")
        ('s3://b/run/x.tif', '/tmp/a/b')
    """
    return "/".join([path.rstrip("/") or "", *[p for p in parts if p]]) if parts else path


def ancestors(path: str) -> list[str]:
    """``path`` and every folder above it, topmost first (the bucket root for URLs, never ``/``).

    Example:
        >>> ancestors("s3://b/run/x"), ancestors("/tmp/a")
        (['s3://b', 's3://b/run', 's3://b/run/x'], ['/tmp', '/tmp/a'])
    """
    split = split_url(path)
    if split is None:
        parts = path.strip("/").split("/")
        return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    root, key = split
    parts = key.split("/") if key else []
    return [root] + [f"{root}/{'/'.join(parts[:i])}" for i in range(1, len(parts) + 1)]


class Space:
    """The file operations the backend needs, on one root (see the module table)."""

    local = False

    # Each space implements: is_file, is_dir, read (None when missing), write (exclusive:
    # FileExistsError when present), entries (one level, sorted (name, is_dir)), remove,
    # rmdir, rmtree, makedirs.

    def readlink(self, path: str) -> str | None:
        """Where a symlink at ``path`` points (absolute), or None: object stores have none."""
        return None

    def symlink(self, source: str, link: str) -> None:
        root = split_url(link)
        raise UnsupportedOperationError("symlinks exist only on local paths; an object or memory store has none "
                                        "(copy the file instead)", url=root[0] if root else link,
                                        key=root[1] if root else None, op="create_symlink")

    def size(self, path: str) -> int:
        data = self.read(path)
        if data is None:
            raise FileNotFoundError(path)
        return len(data)

    def walk(self, path: str) -> list[tuple[str, bool]]:
        """``(relative path, is_dir)`` of everything below ``path`` (symlinked folders are not entered)."""
        out: list[tuple[str, bool]] = []
        stack = [""] if self.is_dir(path) else []
        while stack:
            rel = stack.pop()
            for name, is_dir in self.entries(join(path, rel)):
                sub = f"{rel}/{name}" if rel else name
                out.append((sub, is_dir))
                if is_dir and self.readlink(join(path, sub)) is None:
                    stack.append(sub)
        return out

    def rename(self, source: str, destination: str) -> None:
        """Move a file or folder within this space; here a copy then a delete (not atomic)."""
        copy_tree(self, source, self, destination)
        self.rmtree(source) if self.is_dir(source) else self.remove(source)


class LocalSpace(Space):
    """The local file system, through ``os``: real empty directories and symlinks."""

    local = True

    def is_file(self, path):
        return os.path.isfile(path)

    def is_dir(self, path):
        return os.path.isdir(path)

    def read(self, path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, path, data, *, exclusive):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "xb" if exclusive else "wb") as f:
            f.write(data)

    def entries(self, path):
        with os.scandir(path) as it:
            return sorted((e.name, e.is_dir()) for e in it)

    def remove(self, path):
        os.unlink(path)

    def rmdir(self, path):
        os.rmdir(path)

    def rmtree(self, path):
        shutil.rmtree(path, ignore_errors=True)

    def makedirs(self, path):
        os.makedirs(path, exist_ok=True)

    def readlink(self, path):
        return os.path.join(os.path.dirname(path), os.readlink(path)) if os.path.islink(path) else None

    def symlink(self, source, link):
        os.symlink(source, link)

    def size(self, path):
        return os.path.getsize(path)

    def rename(self, source, destination):
        os.rename(source, destination)


class StoreSpace(Space):
    """One bucket (or named memory store) through a zarrkit byte store opened at its root.

    Queries use a read-only handle; a bucket or memory store that does not exist reads as
    empty.  The first write opens a writable handle (``mode="a"``: on ``memory://`` that
    creates the named store, as any write there does)."""

    def __init__(self, root: str, options: Mapping[str, Any] | None, memo=None) -> None:
        self.root, self.options = root, options
        self._reader = self._writer = None
        #: ``memo()`` is a dict while the caller answers one query (each answer is fetched
        #: once), else None; per thread, so concurrent queries never share answers
        self.memo = memo or (lambda: None)

    def _cached(self, what: str, path: str, compute):
        memo = self.memo()
        if memo is None:
            return compute()
        key = (what, path)
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def _open(self, mode: str):
        from zarrkit.storage import open_store

        remote = not self.root.startswith("memory://")
        return open_store(self.root, mode=mode, options=self.options if remote else None)

    def _store(self, write: bool = False):
        if write and self._writer is None:
            self._writer = self._open("a")
        if self._writer is not None:
            return self._writer
        if self._reader is None:
            try:
                self._reader = self._cached("open", self.root, lambda: self._open("r"))
            except StoreNotFoundError:
                if self.memo() is not None:
                    self.memo()[("open", self.root)] = None
                return None  # nothing there yet: every path is missing (and nothing is created)
        return self._reader

    def key(self, path: str) -> str:
        split = split_url(path)
        if split is None or split[0] != self.root:
            raise StorageResolutionError(f"{path} is not in {self.root}")
        return split[1]

    def is_file(self, path):
        def compute():
            store, key = self._store(), self.key(path)
            return bool(key) and store is not None and store.exists(key)
        return self._cached("file", path, compute)

    def is_dir(self, path):
        def compute():
            store, key = self._store(), self.key(path)
            if store is None:
                return False
            return not key or next(iter(store.list_prefix(key + "/")), None) is not None
        return self._cached("dir", path, compute)

    def read(self, path):
        def compute():
            store, key = self._store(), self.key(path)
            return store.get(key) if store is not None and key else None
        return self._cached("read", path, compute)

    def write(self, path, data, *, exclusive):
        store, key = self._store(write=True), self.key(path)
        if not exclusive:
            store.set(key, data)
        elif not store.set_if_absent(key, data):
            raise FileExistsError(f"already exists: {path}")

    def entries(self, path):
        def compute():
            store, key = self._store(), self.key(path)
            if store is None:
                return []
            return sorted((n.rstrip("/"), n.endswith("/")) for n in store.list_dir(f"{key}/" if key else ""))
        return self._cached("entries", path, compute)

    def remove(self, path):
        self._store(write=True).delete(self.key(path))

    def rmdir(self, path):
        """An empty prefix is already gone."""

    def rmtree(self, path):
        key = self.key(path)
        self._store(write=True).delete_prefix(f"{key}/" if key else "")

    def makedirs(self, path):
        """A prefix needs no creating: it exists once an object is stored below it."""

    def walk(self, path):
        store, key = self._store(), self.key(path)
        if store is None:
            return []
        prefix = f"{key}/" if key else ""
        out: set[tuple[str, bool]] = set()
        for full in store.list_prefix(prefix):
            parts = full[len(prefix):].split("/")
            out.update(("/".join(parts[:i]), True) for i in range(1, len(parts)))
            out.add((full[len(prefix):], False))
        return sorted(out)


def copy_tree(src_space: Space, source: str, dst_space: Space, destination: str) -> None:
    """Copy a file or a folder between any two spaces, never overwriting (FileExistsError).

    Example:
        >>> mem = StoreSpace("memory://copy-doc", None)
        >>> mem.write("memory://copy-doc/a/x", b"1", exclusive=True)
        >>> copy_tree(mem, "memory://copy-doc/a", mem, "memory://copy-doc/b"); mem.read("memory://copy-doc/b/x")
        b'1'
    """
    if src_space.local and dst_space.local:
        if os.path.isdir(source):
            shutil.copytree(source, destination, symlinks=True)
        else:
            if os.path.lexists(destination):
                raise FileExistsError(f"already exists: {destination}")
            shutil.copy2(source, destination, follow_symlinks=False)
        return
    if not src_space.is_dir(source):
        dst_space.write(destination, src_space.read(source), exclusive=True)
        return
    for rel, is_dir in src_space.walk(source):
        if not is_dir:
            dst_space.write(join(destination, rel), src_space.read(join(source, rel)), exclusive=True)
