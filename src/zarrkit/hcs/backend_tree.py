"""Listing, moving and copying for the file-like backend, on local folders and on object or
memory stores alike.

Stores found while walking a folder are listed by their names (zarr internals hidden,
``<store>.files/`` merged in, ``<store>.staging/`` hidden).  Moves and copies never
overwrite; a whole store moves with its ``.files`` sibling — by ``rename`` on a local
disk, by copy-then-delete anywhere else (also between a local folder and a bucket).

Example:
    >>> import tempfile, numpy as np
    >>> from zarrkit.hcs.backend import FileBackend
    >>> fb, d = FileBackend(), tempfile.mkdtemp()
    >>> fb.save(np.ones((2, 2), "uint8"), f"{d}/s.zarr/a.tif")
    >>> listing(fb, f"{d}/s.zarr", None, None, False, dirs=False) == [f"{d}/s.zarr/a.tif"]
    True
"""

from __future__ import annotations

import fnmatch
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import StorageResolutionError
from zarrkit.hcs.backend_fs import is_plate, read, remove
from zarrkit.hcs.backend_paths import Target, files_dir, root_attributes
from zarrkit.hcs.backend_space import copy_tree, join

__all__ = ["entries", "listing", "transfer"]


def _folder_entries(fb, directory: Target) -> list[tuple[str, bool]]:
    """Everything below a folder outside any store; stores inside it list their names."""
    space, out = directory.space, []
    stack = [""]
    while stack:
        rel = stack.pop()
        path = join(directory.path, rel)
        items = space.entries(path)
        stores = {n for n, d in items if d and space.is_file(join(path, n, "zarr.json"))}
        hidden = {s + ".files" for s in stores} | {s + ".staging" for s in stores}
        for name, is_dir in items:
            if name in hidden:
                continue
            sub = f"{rel}/{name}" if rel else name
            out.append((sub, is_dir))
            if name in stores:
                out += [(f"{sub}/{n}", d) for n, d in entries(fb, fb._target(join(path, name)))]
            elif is_dir and space.readlink(join(path, name)) is None:
                stack.append(sub)
    return out


def entries(fb, directory: Target) -> list[tuple[str, bool]]:
    """``(relative path, is_dir)`` of everything below ``directory``, zarr internals hidden."""
    if directory.store is None:
        return sorted(set(_folder_entries(fb, directory)))
    out: list[tuple[str, bool]] = []
    prefix = directory.name + "/" if directory.name else ""
    if is_plate(fb, directory):
        names = list(fb._plate(directory.space, directory.store).index())
        names += list(((root_attributes(directory.space, directory.store).get("zarrkit") or {}).get("links") or {}))
        out += [(n[len(prefix):], False) for n in names if n.startswith(prefix)]
    else:
        with fb._open(directory.store, "r") as s:
            stack = [directory.name]
            while stack:
                node = stack.pop()
                for name, meta in core.list_children(s, node):
                    path = f"{node}/{name}" if node else name
                    link = ((meta.attributes or {}).get("zarrkit") or {}).get("symlink")
                    is_dir = meta.node_type == "group" and not link
                    out.append((path[len(prefix):], is_dir))
                    if is_dir:
                        stack.append(path)
    out += directory.space.walk(join(files_dir(directory.store), directory.name))
    return sorted(set(out))


def listing(fb, directory: Any, pattern, extensions, recursive: bool, *, dirs: bool) -> list[str]:
    """Breadth-first, sorted full paths below ``directory`` (see ``FileBackend.list_files``)."""
    kind, t = fb._kind(directory)
    if kind == "missing":
        raise FileNotFoundError(f"no such directory: {t.path}")
    if kind == "file":
        raise NotADirectoryError(f"not a directory: {t.path}")
    exts = tuple(e.lower() for e in extensions or ())
    found = []
    for rel, is_dir in entries(fb, t):
        depth = rel.count("/")
        if (not recursive and depth) or (is_dir and not dirs):
            continue
        base = rel.rsplit("/", 1)[-1]
        if pattern is not None and not fnmatch.fnmatchcase(base, pattern):
            continue
        if exts and (is_dir or not base.lower().endswith(exts)):
            continue
        found.append((depth, rel))
    return [join(t.path, rel) for _, rel in sorted(found)]


def _move_store(fb, src: Target, root: str, dst: Target, *, move: bool) -> None:
    """A whole store with its ``.files`` sibling (a plate's ``.staging`` is transient: it stays)."""
    fb._plates.pop(root, None)
    for a, b in ((root, dst.path), (files_dir(root), files_dir(dst.path))):
        if not src.space.is_dir(a):
            continue
        if move and src.space.local and dst.space.local:
            src.space.rename(a, b)
            continue
        copy_tree(src.space, a, dst.space, b)
        if move:
            src.space.rmtree(a)


def transfer(fb, source: Any, destination: Any, *, move: bool) -> None:
    """``move``/``copy``: whole stores, plain files and stored files; never overwrites."""
    kind, src = fb._kind(source)
    dst = fb._target(destination, write=True)
    if kind == "missing":
        raise FileNotFoundError(f"no such file or directory: {src.path}")
    if fb.exists(dst.path) or fb.is_symlink(dst.path):
        raise FileExistsError(f"already exists: {dst.path}")
    whole_store = src.is_root or (src.store is None and src.space.is_file(join(src.path, "zarr.json")))
    if kind == "directory" and not whole_store:
        raise StorageResolutionError(f"{src.path}: only files and whole stores move or copy")
    if whole_store:
        _move_store(fb, src, src.store or src.path, dst, move=move)
        return
    if src.store is None and dst.store is None:
        if move and src.space.local and dst.space.local:
            src.space.rename(src.path, dst.path)
            return
        copy_tree(src.space, src.path, dst.space, dst.path)
        if move:
            src.space.remove(src.path)
        return
    data = read(fb, src)
    fb.save(np.asarray(data) if isinstance(data, np.ndarray) else data, dst.path)
    if move:
        remove(fb, src, "file", recursive=False)
