"""The operations behind :class:`zarrkit.hcs.backend.FileBackend`, per kind of location:
outside any store (plain files and folders), passthrough files (``<store>.files/``), plate
stores (a flat namespace of plane names) and flat stores (one array per name).

Plain and passthrough files go through the path's :class:`~zarrkit.hcs.backend_space.Space`
(local folders, or an object or memory store); store contents go through ``zarrkit.core``
on a store opened from the same URL.  Listing, moving and copying live in
:mod:`zarrkit.hcs.backend_tree`.

Example:
    >>> passthrough_bytes({"a": 1}, Target("/x/s.zarr/m.json", "/x/s.zarr", "m.json", True, "/x/s.zarr.files/m.json"))
    b'{"a": 1}'
"""

from __future__ import annotations

import json
import os
from typing import Any

from zarrkit import core
from zarrkit.errors import SpecViolation, StorageResolutionError
from zarrkit.hcs.backend_paths import Target, files_dir, passthrough_suffix, root_attributes, staging_dir
from zarrkit.hcs.backend_space import join

__all__ = ["link_of", "kind_of", "describe", "read", "write", "remove", "make_directory", "make_link",
           "passthrough_bytes", "is_plate"]


def node_doc(t: Target, name: str | None = None) -> dict[str, Any] | None:
    """The ``zarr.json`` of node ``name`` (default ``t.name``) of ``t``'s store, or None."""
    name = t.name if name is None else name
    try:
        return json.loads(t.space.read(join(t.store, name, "zarr.json")) or b"null")
    except ValueError:
        return None


def is_plate(fb, t: Target) -> bool:
    """Whether ``t`` lies in a plate store (a flat namespace of plane names)."""
    return t.store is not None and fb._is_plate(t.space, t.store)


def link_of(fb, t: Target) -> str | None:
    """Where ``t`` links to (a full path), or None when it is no link (always None on object
    and memory stores: they have no symlinks)."""
    if not t.space.local:
        return None
    if t.store is None or t.passthrough:
        return t.space.readlink(t.real)
    if t.is_root:
        return None
    if is_plate(fb, t):
        target = ((root_attributes(t.space, t.store).get("zarrkit") or {}).get("links") or {}).get(t.name)
    else:
        doc = node_doc(t) or {}
        target = ((doc.get("attributes") or {}).get("zarrkit") or {}).get("symlink") if doc.get("node_type") == "group" \
            else None
    return join(t.store, target) if target else None


def kind_of(fb, t: Target) -> str:
    """``file``, ``directory`` or ``missing`` (links are resolved by the caller)."""
    space = t.space
    if t.store is None or t.passthrough:
        return "file" if space.is_file(t.real) else "directory" if space.is_dir(t.real) else "missing"
    if t.is_root:
        return "directory" if space.is_file(join(t.store, "zarr.json")) else "missing"
    if is_plate(fb, t):
        if t.name in fb._plate(t.space, t.store).index():
            return "file"
        return "directory" if t.name.count("/") <= 1 and node_doc(t) is not None else "missing"
    doc = node_doc(t)
    if doc is None:
        return "directory" if space.is_dir(join(files_dir(t.store), t.name)) else "missing"
    if doc.get("node_type") == "array":
        return "file"
    return "missing" if ((doc.get("attributes") or {}).get("zarrkit") or {}).get("symlink") else "directory"


def describe(fb, t: Target) -> dict[str, Any]:
    """Extra ``stat`` fields of a file: well and index of a plane, shape and dtype of an array."""
    if t.store is None or t.passthrough:
        return {"size": t.space.size(t.real)}
    if is_plate(fb, t):
        side = fb._plate(t.space, t.store)
        well, field, tt, c, z = side.index()[t.name]
        return {"well": well, "index": {"field": field, "t": tt, "c": c, "z": z},
                "shape": list(side.load(t.name).shape), "dtype": str(side.image().dtype)}
    doc = node_doc(t)
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
        raw = t.space.read(t.real)
        if raw is None:
            raise FileNotFoundError(f"no such file: {t.path}")
        suffix = passthrough_suffix(t.real, (".json", ".csv", ".txt"))
        if suffix == ".json":
            return json.loads(raw)
        return raw.decode("utf-8") if suffix else raw
    if is_plate(fb, t):
        return fb._plate(t.space, t.store).load(t.name)
    with fb._open(t.store, "r") as store:
        return core.read_region(store, t.name, ...)


def _ensure_root(fb, t: Target) -> None:
    """The store a write lands in exists afterwards: a plate root, or a plain root group."""
    if t.space.is_file(join(t.store, "zarr.json")):
        return
    if fb.config.plate is not None:
        fb._plate(t.space, t.store).writer()
        return
    with fb._open(t.store, "a") as store:
        core.create_group(store, "")


def write(fb, t: Target, payload: Any, coords: Any) -> None:
    """Store a checked payload at a new name (creating the store's root first if needed)."""
    _ensure_root(fb, t)
    if t.passthrough:
        t.space.write(t.file, payload, exclusive=True)
        return
    if is_plate(fb, t):
        fb._plate(t.space, t.store).save(t.name, payload, coords)
        return
    from zarrkit.hcs.image_spec import Compression

    with fb._open(t.store, "r+") as store:
        chunks = (1,) * (payload.ndim - 2) + payload.shape[-2:] if payload.ndim > 2 else payload.shape
        meta = core.array_metadata(payload.shape, payload.dtype, chunks, fill_value=0,
                                   compressors=Compression.parse(fb.config.compression).codecs(payload.itemsize) or None)
        core.create_array(store, t.name, meta)
        core.write_region(store, t.name, ..., payload, metadata=meta)


def _relist(fb, t: Target) -> None:
    """After a well left the plate: list the rest, or drop ``ome`` when no well remains."""
    side = fb._plate(t.space, t.store)
    try:
        side.writer().finalize()
    except SpecViolation:
        with fb._open(t.store, "r+") as s:
            attrs = dict(core.read_metadata(s, "").attributes)
            attrs.pop("ome", None)
            core.update_attributes(s, "", attrs, replace=True)


def _remove_plain(t: Target, kind: str, recursive: bool) -> None:
    space, real = t.space, t.real
    if kind != "directory":
        space.remove(real)
    elif recursive:
        space.rmtree(real)
        for sibling in (files_dir(real), staging_dir(real)):
            space.rmtree(sibling)
    elif space.entries(real):
        raise IsADirectoryError(f"directory not empty: {real} (use delete_all)")
    else:
        space.rmdir(real)


def remove(fb, t: Target, kind: str, *, recursive: bool) -> None:
    """Delete what ``t`` names (``kind`` from :func:`kind_of`, or ``symlink``)."""
    if kind == "symlink" and t.store is not None and not t.passthrough:
        if is_plate(fb, t):
            _set_links(fb, t, lambda links: links.pop(t.name, None))
        else:
            with fb._open(t.store, "r+") as s:
                core.delete_node(s, t.name)
        return
    if t.store is None or t.passthrough or kind == "symlink":
        _remove_plain(t, kind, recursive)
        return
    if t.is_root:
        if not recursive:
            with fb._open(t.store, "r") as s:
                if core.list_children(s, "") or t.space.is_dir(files_dir(t.store)):
                    raise IsADirectoryError(f"store not empty: {t.store} (use delete_all)")
        fb._plates.pop(t.store, None)
        for d in (t.store, files_dir(t.store), staging_dir(t.store)):
            t.space.rmtree(d)
        return
    if is_plate(fb, t) and kind == "file":
        side = fb._plate(t.space, t.store)
        side.delete(t.name, side.index()[t.name])
        return
    with fb._open(t.store, "r+") as s:
        if kind == "directory" and not recursive and (core.list_children(s, t.name)):
            raise IsADirectoryError(f"not empty: {t.path} (use delete_all)")
        core.delete_node(s, t.name, missing_ok=True)
    t.space.rmtree(join(files_dir(t.store), t.name))
    if is_plate(fb, t):
        _relist(fb, t)


def make_directory(fb, t: Target) -> str:
    """``ensure_directory``: see :meth:`FileBackend.ensure_directory`."""
    if t.store is None:
        if t.path.endswith(".zarr") and not t.space.is_dir(t.path):
            with fb._open(t.path, "a") as s:
                core.create_group(s, "")
        else:
            t.space.makedirs(t.path)
        return t.path
    if t.is_root:
        return t.path
    if is_plate(fb, t):
        raise StorageResolutionError(f"{t.path}: a plate store has a flat namespace; it has no directories")
    with fb._open(t.store, "r+") as s:
        if node_doc(t) is None:
            core.create_group(s, t.name)
    return t.path


def _set_links(fb, t: Target, change) -> None:
    from zarrkit.hcs.staging import plate_lock

    with plate_lock(t.store), fb._open(t.store, "r+") as s:
        marker = dict(core.read_metadata(s, "").attributes.get("zarrkit") or {})
        links = dict(marker.get("links") or {})
        change(links)
        marker["links"] = links
        core.update_attributes(s, "", {"zarrkit": marker})


def make_link(fb, src: Target, link: Target, overwrite: bool) -> None:
    """``create_symlink``: see :meth:`FileBackend.create_symlink`."""
    if not link.space.local:
        link.space.symlink(src.path, link.path)  # raises: object and memory stores have no symlinks
    if link.store != src.store or link.space is not src.space:
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
        if exists:
            link.space.remove(link.real)
        link.space.makedirs(os.path.dirname(link.real))
        link.space.symlink(src.real, link.real)
    elif is_plate(fb, link):
        _set_links(fb, link, lambda links: links.__setitem__(link.name, src.name))
    else:
        with fb._open(link.store, "r+") as s:
            core.create_group(s, link.name, attributes={"zarrkit": {"symlink": src.name}}, overwrite=overwrite)
