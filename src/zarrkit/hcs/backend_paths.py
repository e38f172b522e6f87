"""Path resolution for the file-like backend: which store a path is in, under which name,
and whether it is a passthrough file — by reads only, on local folders and on object or
memory stores alike (:mod:`zarrkit.hcs.backend_space`).

Example:
    >>> import os, tempfile
    >>> from zarrkit.hcs.backend_space import LocalSpace
    >>> d = tempfile.mkdtemp(); os.makedirs(f"{d}/run/s.zarr"); open(f"{d}/run/s.zarr/zarr.json", "w").write("{}")
    2
    >>> t = resolve_path(LocalSpace(), f"{d}/run/s.zarr/sub/a.tif", (".csv",))
    >>> t.store == f"{d}/run/s.zarr", t.name, t.passthrough
    (True, 'sub/a.tif', False)
    >>> passthrough_suffix("cells.ROI.zip", (".zip", ".roi.zip"))
    '.roi.zip'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from zarrkit.errors import StorageResolutionError
from zarrkit.hcs.backend_space import Space, ancestors, join, normalize, split_url

__all__ = ["Target", "resolve_path", "passthrough_suffix", "files_dir", "staging_dir", "root_attributes", "MAX_HOPS",
           "normalize"]

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
    return store.rstrip("/") + ".files"


def staging_dir(store: str) -> str:
    """``<store>.staging``: a plate's transient wells (local folders only)."""
    return store.rstrip("/") + ".staging"


def root_attributes(space: Space, store: str) -> dict[str, Any]:
    """The attributes of a store's root document ({} when unreadable)."""
    try:
        attrs = json.loads(space.read(join(store, "zarr.json")) or b"{}").get("attributes", {})
        return attrs if isinstance(attrs, dict) else {}
    except ValueError:
        return {}


@dataclass(frozen=True)
class Target:
    """Where a path points: ``store`` (None outside any store), ``name`` inside it, whether it
    is a passthrough file (then ``file`` is its real location), and the ``space`` it lives in."""

    path: str
    store: str | None
    name: str
    passthrough: bool
    file: str | None = None
    space: Space | None = field(default=None, compare=False, repr=False)

    @property
    def is_root(self) -> bool:
        return self.store is not None and self.name == ""

    @property
    def real(self) -> str:
        """The location of a plain or passthrough file."""
        return self.file or self.path


def find_store(space: Space, path: str) -> str | None:
    """The topmost ancestor of ``path`` (or ``path`` itself) holding a ``zarr.json``; a bucket
    root is never a store (its ``.files`` sibling would be another bucket)."""
    chain = [a for a in ancestors(path) if (split_url(a) or ("", "/"))[1]]
    for candidate in chain:
        if space.is_file(join(candidate, "zarr.json")):
            return candidate
    # <store>.files/<name>: a passthrough path given by its real location
    for head in chain[:-1]:
        if head.endswith(".files") and space.is_file(join(head[: -len(".files")], "zarr.json")):
            return head[: -len(".files")]
    return None


def _relative(full: str, base: str) -> str | None:
    if full == base:
        return ""
    return full[len(base) + 1:] if full.startswith(base.rstrip("/") + "/") else None


def resolve_path(space: Space, path: Any, suffixes: tuple[str, ...], *, store_hint: str | None = None) -> Target:
    """Resolve ``path`` without following links; ``store_hint`` is the store a write would use
    when the path is in none (its parent folder, or a configured plate)."""
    full = normalize(path)
    store = find_store(space, full) or store_hint
    if store is None or not (split_url(store) or ("", "/"))[1]:  # outside any store (a bucket root is none)
        return Target(full, None, full.rsplit("/", 1)[-1], bool(passthrough_suffix(full, suffixes)), full, space)
    name = _relative(full, files_dir(store))
    if not name:
        name = _relative(full, store)
    if name is None:
        raise StorageResolutionError(f"{full} is not inside the store {store}")
    passthrough = bool(name) and passthrough_suffix(name, suffixes) is not None
    return Target(full, store, name, passthrough, join(files_dir(store), name) if passthrough else None, space)
