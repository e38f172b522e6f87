"""Path resolution for the file-like backend: which store a path is in, under which name,
whether it is a passthrough file, and where symlinks lead — by reads only.

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); os.makedirs(f"{d}/run/s.zarr"); open(f"{d}/run/s.zarr/zarr.json", "w").write("{}")
    2
    >>> t = resolve_path(f"{d}/run/s.zarr/sub/a.tif", (".csv",))
    >>> t.store == f"{d}/run/s.zarr", t.name, t.passthrough
    (True, 'sub/a.tif', False)
    >>> passthrough_suffix("cells.ROI.zip", (".zip", ".roi.zip"))
    '.roi.zip'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from zarrkit.errors import StorageResolutionError

__all__ = ["Target", "resolve_path", "passthrough_suffix", "files_dir", "root_attributes", "MAX_HOPS"]

MAX_HOPS = 40


def passthrough_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    """The passthrough suffix ``name`` ends with (case-insensitive, longest first), or None."""
    lower = name.lower()
    for suffix in sorted(suffixes, key=len, reverse=True):
        if lower.endswith(suffix.lower()):
            return suffix
    return None


def files_dir(store: str) -> str:
    """``<store>.files``: where passthrough files of a store live, beside it."""
    return os.path.normpath(store) + ".files"


def root_attributes(store: str) -> dict[str, Any]:
    """The attributes of a store's root document ({} when unreadable)."""
    try:
        with open(os.path.join(store, "zarr.json"), "rb") as f:
            attrs = json.load(f).get("attributes", {})
        return attrs if isinstance(attrs, dict) else {}
    except (OSError, ValueError):
        return {}


def _fspath(path: Any) -> str:
    if isinstance(path, str) and path.startswith("file://"):
        path = path[len("file://"):]
    if isinstance(path, str) and "://" in path:
        raise StorageResolutionError(f"{path}: the file-like backend resolves local paths in this release")
    try:
        return os.path.abspath(os.fspath(path))
    except TypeError:
        raise TypeError(f"a path must be str, os.PathLike or a file:// URL, got {type(path).__name__}") from None


@dataclass(frozen=True)
class Target:
    """Where a path points: ``store`` (None outside any store), ``name`` inside it, and whether
    it is a passthrough file (then ``file`` is its real location)."""

    path: str
    store: str | None
    name: str
    passthrough: bool
    file: str | None = None

    @property
    def is_root(self) -> bool:
        return self.store is not None and self.name == ""


def find_store(path: str) -> str | None:
    """The topmost ancestor of ``path`` (or ``path`` itself) holding a ``zarr.json``."""
    parts = path.split(os.sep)
    for i in range(2, len(parts) + 1):
        candidate = os.sep.join(parts[:i]) or os.sep
        if os.path.isfile(os.path.join(candidate, "zarr.json")):
            return candidate
    # <store>.files/<name>: a passthrough path given by its real location
    for i in range(2, len(parts)):
        head = os.sep.join(parts[:i])
        if head.endswith(".files") and os.path.isfile(os.path.join(head[: -len(".files")], "zarr.json")):
            return head[: -len(".files")]
    return None


def resolve_path(path: Any, suffixes: tuple[str, ...], *, store_hint: str | None = None) -> Target:
    """Resolve ``path`` without following links; ``store_hint`` is the store a write would use
    when the path is in none (its parent directory, or a configured plate)."""
    full = _fspath(path)
    store = find_store(full) or store_hint
    if store is None:
        return Target(full, None, os.path.basename(full), bool(passthrough_suffix(full, suffixes)), full)
    pt_dir = files_dir(store)
    if full.startswith(pt_dir + os.sep):
        name = os.path.relpath(full, pt_dir)
    elif full == store or full.startswith(store + os.sep):
        name = "" if full == store else os.path.relpath(full, store).replace(os.sep, "/")
    else:
        raise StorageResolutionError(f"{full} is not inside the store {store}")
    passthrough = bool(name) and passthrough_suffix(name, suffixes) is not None
    return Target(full, store, name, passthrough, os.path.join(pt_dir, *name.split("/")) if passthrough else None)
