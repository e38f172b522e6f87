"""The operations behind :class:`zarrkit.hcs.backend.FileBackend`, per kind of location:
outside any store (plain files and folders), passthrough files (``<store>.files/``), plate
stores (a flat namespace of plane names) and flat stores (one array per name).

Example:
    >>> passthrough_bytes({"a": 1}, Target("/x/s.zarr/m.json", "/x/s.zarr", "m.json", True, "/x/s.zarr.files/m.json"))
    b'{"a": 1}'
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import SpecViolation, StorageResolutionError
from zarrkit.hcs.backend_paths import Target, files_dir, passthrough_suffix, root_attributes

__all__ = ["link_of", "kind_of", "describe", "read", "write", "remove", "listing", "make_directory", "make_link",
           "transfer", "passthrough_bytes"]


def _doc(directory: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(directory, "zarr.json"), "rb") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _plate(fb, t: Target) -> bool:
    return t.store is not None and fb._is_plate(t.store)


def _node(t: Target) -> dict[str, Any] | None:
    return _doc(os.path.join(t.store, *t.name.split("/")))


def link_of(fb, t: Target) -> str | None:
    """Where ``t`` links to (an absolute path), or None when it is no link."""
    if t.store is None or t.passthrough:
        real = t.file or t.path
        return os.path.join(os.path.dirname(real), os.readlink(real)) if os.path.islink(real) else None
    if t.is_root:
        return None
    if _plate(fb, t):
        target = ((root_attributes(t.store).get("zarrkit") or {}).get("links") or {}).get(t.name)
    else:
        doc = _node(t) or {}
        target = ((doc.get("attributes") or {}).get("zarrkit") or {}).get("symlink") if doc.get("node_type") == "group" \
            else None
    return os.path.join(t.store, *target.split("/")) if target else None


def kind_of(fb, t: Target) -> str:
    """``file``, ``directory`` or ``missing`` (links are resolved by the caller)."""
    if t.store is None or t.passthrough:
        real = t.file or t.path
        return "file" if os.path.isfile(real) else "directory" if os.path.isdir(real) else "missing"
    if t.is_root:
        return "directory" if os.path.isfile(os.path.join(t.store, "zarr.json")) else "missing"
    if _plate(fb, t):
        if t.name in fb._plate(t.store).index():
            return "file"
        depth = t.name.count("/")
        return "directory" if depth <= 1 and _node(t) is not None else "missing"
    doc = _node(t)
    if doc is None:
        return "directory" if os.path.isdir(os.path.join(files_dir(t.store), *t.name.split("/"))) else "missing"
    if doc.get("node_type") == "array":
        return "file"
    return "missing" if ((doc.get("attributes") or {}).get("zarrkit") or {}).get("symlink") else "directory"


def describe(fb, t: Target) -> dict[str, Any]:
    """Extra ``stat`` fields of a file: well and index of a plane, shape and dtype of an array."""
    if t.store is None or t.passthrough:
        return {"size": os.path.getsize(t.file or t.path)}
    if _plate(fb, t):
        side = fb._plate(t.store)
        well, field, tt, c, z = side.index()[t.name]
        image = side.image()
        return {"well": well, "index": {"field": field, "t": tt, "c": c, "z": z},
                "shape": list(side.load(t.name).shape), "dtype": str(image.dtype)}
    doc = _node(t)
    return {"shape": doc["shape"], "dtype": doc["data_type"]}


def passthrough_bytes(data: Any, t: Target) -> bytes:
    """What a passthrough file stores: bytes, text, JSON for dict/list, or ``.to_csv()``."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (dict, list)) and passthrough_suffix(t.name, (".json",)):
        return json.dumps(data).encode()
    if hasattr(data, "to_csv"):
        text = data.to_csv()
        if isinstance(text, str):
            return text.encode()
    raise TypeError(f"{t.path}: cannot save {type(data).__name__} as a {os.path.splitext(t.name)[1]} file")


def read(fb, t: Target) -> Any:
    """A file's content (plane or array as numpy; passthrough parsed by its suffix)."""
    if t.store is None or t.passthrough:
        real = t.file or t.path
        suffix = passthrough_suffix(real, (".json", ".csv", ".txt"))
        if suffix == ".json":
            with open(real, "rb") as f:
                return json.load(f)
        if suffix:
            with open(real, encoding="utf-8") as f:
                return f.read()
        with open(real, "rb") as f:
            return f.read()
    if _plate(fb, t):
        return fb._plate(t.store).load(t.name)
    from zarrkit.storage import open_store

    with open_store(t.store, mode="r") as store:
        return core.read_region(store, t.name, ...)


def _ensure_root(fb, t: Target) -> None:
    """The store a write lands in exists afterwards: a plate root, or a plain root group."""
    from zarrkit.storage import open_store

    if os.path.isfile(os.path.join(t.store, "zarr.json")):
        return
    if fb.config.plate is not None:
        fb._plate(t.store).writer()
        return
    with open_store(t.store, mode="a") as store:
        core.create_group(store, "")


def write(fb, t: Target, payload: Any, coords: Any) -> None:
    """Store a checked payload at a new name (creating the store's root first if needed)."""
    _ensure_root(fb, t)
    if t.passthrough:
        os.makedirs(os.path.dirname(t.file), exist_ok=True)
        with open(t.file, "xb") as f:
            f.write(payload)
        return
    if _plate(fb, t):
        fb._plate(t.store).save(t.name, payload, coords)
        return
    from zarrkit.hcs.image_spec import Compression
    from zarrkit.storage import open_store

    with open_store(t.store, mode="r+") as store:
        chunks = (1,) * (payload.ndim - 2) + payload.shape[-2:] if payload.ndim > 2 else payload.shape
        meta = core.array_metadata(payload.shape, payload.dtype, chunks, fill_value=0,
                                   compressors=Compression.parse(fb.config.compression).codecs(payload.itemsize) or None)
        core.create_array(store, t.name, meta)
        core.write_region(store, t.name, ..., payload, metadata=meta)


def _relist(fb, store: str) -> None:
    """After a well left the plate: list the rest, or drop ``ome`` when no well remains."""
    side = fb._plate(store)
    try:
        side.writer().finalize()
    except SpecViolation:
        from zarrkit.storage import open_store

        with open_store(store, mode="r+") as s:
            attrs = dict(core.read_metadata(s, "").attributes)
            attrs.pop("ome", None)
            core.update_attributes(s, "", attrs, replace=True)


def remove(fb, t: Target, kind: str, *, recursive: bool) -> None:
    """Delete what ``t`` names (``kind`` from :func:`kind_of`, or ``symlink``)."""
    from zarrkit.storage import open_store

    if kind == "symlink" and t.store is not None and not t.passthrough:
        if _plate(fb, t):
            _set_links(t.store, lambda links: links.pop(t.name, None))
        else:
            with open_store(t.store, mode="r+") as s:
                core.delete_node(s, t.name)
        return
    if t.store is None or t.passthrough or kind == "symlink":
        real = t.file or t.path
        if kind == "directory":
            if recursive:
                shutil.rmtree(real)
                for sibling in (files_dir(real), os.path.normpath(real) + ".staging"):
                    shutil.rmtree(sibling, ignore_errors=True)
            else:
                if os.listdir(real):
                    raise IsADirectoryError(f"directory not empty: {real} (use delete_all)")
                os.rmdir(real)
        else:
            os.unlink(real)
        return
    if t.is_root:
        if not recursive and (core.list_children(open_store(t.store), "") or os.path.isdir(files_dir(t.store))):
            raise IsADirectoryError(f"store not empty: {t.store} (use delete_all)")
        fb._plates.pop(t.store, None)
        for d in (t.store, files_dir(t.store), os.path.normpath(t.store) + ".staging"):
            shutil.rmtree(d, ignore_errors=True)
        return
    if _plate(fb, t) and kind == "file":
        fb._plate(t.store).delete(t.name, fb._plate(t.store).index()[t.name])
        return
    with open_store(t.store, mode="r+") as s:
        if kind == "directory" and not recursive and (core.list_children(s, t.name)):
            raise IsADirectoryError(f"not empty: {t.path} (use delete_all)")
        core.delete_node(s, t.name, missing_ok=True)
    shutil.rmtree(os.path.join(files_dir(t.store), *t.name.split("/")), ignore_errors=True)
    if _plate(fb, t):
        _relist(fb, t.store)


def _entries(fb, directory: Target) -> list[tuple[str, bool]]:
    """``(relative path, is_dir)`` of everything below ``directory``, zarr internals hidden."""
    out: list[tuple[str, bool]] = []
    if directory.store is None:
        for dirpath, dirs, files in os.walk(directory.path):
            rel = os.path.relpath(dirpath, directory.path)
            stores = [d for d in dirs if os.path.isfile(os.path.join(dirpath, d, "zarr.json"))]
            dirs[:] = [d for d in dirs if d not in stores and not any(d in (s + ".files", s + ".staging") for s in stores)]
            for name in files + dirs:
                out.append((os.path.normpath(os.path.join(rel, name)), name in dirs))
            for s in stores:
                base = os.path.normpath(os.path.join(rel, s))
                out.append((base, True))
                sub = fb._target(os.path.join(dirpath, s))
                out += [(f"{base}/{n}", d) for n, d in _entries(fb, sub)]
        return out
    prefix = directory.name + "/" if directory.name else ""
    if _plate(fb, directory):
        names = list(fb._plate(directory.store).index())
        names += list(((root_attributes(directory.store).get("zarrkit") or {}).get("links") or {}))
        out += [(n[len(prefix):], False) for n in names if n.startswith(prefix)]
    else:
        from zarrkit.storage import open_store

        with open_store(directory.store, mode="r") as s:
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
    pt = os.path.join(files_dir(directory.store), *filter(None, directory.name.split("/")))
    for dirpath, dirs, files in os.walk(pt):
        rel = os.path.relpath(dirpath, pt)
        out += [(os.path.normpath(os.path.join(rel, n)).replace(os.sep, "/"), n in dirs) for n in files + dirs]
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
    for rel, is_dir in _entries(fb, t):
        depth = rel.count("/")
        if (not recursive and depth) or (is_dir and not dirs):
            continue
        base = rel.rsplit("/", 1)[-1]
        if pattern is not None and not fnmatch.fnmatchcase(base, pattern):
            continue
        if exts and (is_dir or not base.lower().endswith(exts)):
            continue
        found.append((depth, rel))
    return [os.path.join(t.path, *rel.split("/")) for _, rel in sorted(found)]


def make_directory(fb, t: Target) -> str:
    """``ensure_directory``: see :meth:`FileBackend.ensure_directory`."""
    from zarrkit.storage import open_store

    if t.store is None:
        if t.path.endswith(".zarr") and not os.path.exists(t.path):
            with open_store(t.path, mode="a") as s:
                core.create_group(s, "")
        else:
            os.makedirs(t.path, exist_ok=True)
        return t.path
    if t.is_root:
        return t.path
    if _plate(fb, t):
        raise StorageResolutionError(f"{t.path}: a plate store has a flat namespace; it has no directories")
    with open_store(t.store, mode="r+") as s:
        if _node(t) is None:
            core.create_group(s, t.name)
    return t.path


def _set_links(store: str, change) -> None:
    from zarrkit.hcs.staging import plate_lock
    from zarrkit.storage import open_store

    with plate_lock(store), open_store(store, mode="r+") as s:
        marker = dict(core.read_metadata(s, "").attributes.get("zarrkit") or {})
        links = dict(marker.get("links") or {})
        change(links)
        marker["links"] = links
        core.update_attributes(s, "", {"zarrkit": marker})


def make_link(fb, src: Target, link: Target, overwrite: bool) -> None:
    """``create_symlink``: see :meth:`FileBackend.create_symlink`."""
    if link.store != src.store:
        raise StorageResolutionError(f"a link cannot cross stores: {link.path} -> {src.path}")
    chain, cur = [src.path], src
    while (nxt := link_of(fb, cur)) is not None:
        if nxt == link.path or nxt in chain:
            raise StorageResolutionError(f"the link would close a cycle: {link.path} -> {' -> '.join(chain)} -> {nxt}")
        chain.append(nxt)
        cur = fb._target(nxt)
    if kind_of(fb, cur) == "missing":
        raise FileNotFoundError(f"no such link source: {src.path}")
    exists = kind_of(fb, link) != "missing" or link_of(fb, link) is not None
    if exists and not overwrite:
        raise FileExistsError(f"already exists: {link.path}")
    if link.store is None or link.passthrough:
        real = link.file or link.path
        if exists:
            os.unlink(real)
        os.symlink(src.file or src.path, real)
    elif _plate(fb, link):
        _set_links(link.store, lambda links: links.__setitem__(link.name, src.name))
    else:
        from zarrkit.storage import open_store

        with open_store(link.store, mode="r+") as s:
            core.create_group(s, link.name, attributes={"zarrkit": {"symlink": src.name}}, overwrite=overwrite)


def transfer(fb, source: Any, destination: Any, *, move: bool) -> None:
    """``move``/``copy``: whole stores, plain files and stored files; never overwrites."""
    kind, src = fb._kind(source)
    dst = fb._target(destination, write=True)
    if kind == "missing":
        raise FileNotFoundError(f"no such file or directory: {src.path}")
    if fb.exists(dst.path) or fb.is_symlink(dst.path):
        raise FileExistsError(f"already exists: {dst.path}")
    whole_store = src.is_root or (src.store is None and os.path.isfile(os.path.join(src.path, "zarr.json")))
    if kind == "directory" and not whole_store:
        raise StorageResolutionError(f"{src.path}: only files and whole stores move or copy")
    if whole_store:
        root = src.store or src.path
        fb._plates.pop(root, None)
        for a, b in ((root, dst.path), (files_dir(root), files_dir(dst.path))):
            if os.path.exists(a):
                os.rename(a, b) if move else shutil.copytree(a, b, symlinks=True)
        return
    if src.store is None and dst.store is None:
        os.rename(src.path, dst.path) if move else shutil.copy2(src.path, dst.path)
        return
    data = read(fb, src)
    fb.save(np.asarray(data) if isinstance(data, np.ndarray) else data, dst.path)
    if move:
        remove(fb, src, "file", recursive=False)
