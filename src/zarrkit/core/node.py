"""Node functions: read, create, update, list and delete arrays and groups; consolidate.

Every function takes an open :class:`~zarrkit.storage.ByteStore` and a node path (``""`` is
the root) and is synchronous.  Inputs are validated before the first write, so a rejected
call leaves the store as it was.  Metadata changes bump the node's generation in
:mod:`zarrkit.core.cache`, so open :class:`~zarrkit.core.Array` handles re-read.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> store = open_store("memory://", mode="w")
    >>> _ = create_array(store, "raw", array_metadata((4, 6), "uint8", (2, 3)))
    >>> [(name, meta.node_type) for name, meta in list_children(store)]
    [('raw', 'array')]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from zarrkit.core import cache
from zarrkit.core.consolidated import consolidated_members
from zarrkit.core.context import (
    DOCUMENT_NAMES,
    NODE_DOCUMENTS,
    document_key,
    in_context,
    node_path,
)
from zarrkit.core.metadata import (
    ArrayMetadata,
    GroupMetadata,
    dumps,
    load_document,
    parse_documents,
    read_nodes,
)
from zarrkit.errors import (
    ContainsNodeError,
    InvalidOptionError,
    MetadataError,
    NodeError,
    NodeNotFoundError,
    NodeTypeError,
    ZarrkitError,
)
from zarrkit.storage.consolidated import consolidate_metadata

__all__ = [
    "array_node",
    "check_codecs",
    "consolidate",
    "create_array",
    "create_group",
    "delete_node",
    "invalidate",
    "list_children",
    "read_metadata",
    "update_attributes",
]


def _read_node(store, path: str) -> ArrayMetadata | GroupMetadata | None:
    return read_nodes(store, [path])[0]


def _icechunk_hint(store) -> str:
    """Suggest ``icechunk+…://`` when a plain URL points at an icechunk repository (storage §2.5)."""
    from zarrkit.storage.icechunk_format import looks_like_repository

    try:
        if looks_like_repository(store):
            return "; this looks like an icechunk repository: open it as icechunk+" + store.url
    except ZarrkitError:
        pass
    return ""


def read_metadata(store, path: str = "") -> ArrayMetadata | GroupMetadata:
    """The node's metadata: ``zarr.json``, else ``.zarray``/``.zgroup`` + ``.zattrs``.

    Raises ``NodeNotFoundError`` when neither exists and ``MetadataError`` naming the key and
    field for a malformed document.  An unknown codec does not stop this call.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "g", attributes={"a": 1})
        >>> read_metadata(s, "g").attributes
        {'a': 1}
    """
    path = node_path(store, path)
    meta = _read_node(store, path)
    if meta is None:
        hint = _icechunk_hint(store) if path == "" and getattr(store, "kind", None) != "icechunk" else ""
        raise NodeNotFoundError("no Zarr array or group here" + hint, url=store.url, path=path)
    return meta


def array_node(store, path: str, metadata: ArrayMetadata | None = None) -> ArrayMetadata:
    """The metadata of the array at ``path``: ``metadata`` when given (no read), else read.

    Raises ``NodeTypeError`` for a group; the chunk and region functions start here.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core.metadata import array_metadata
        >>> s = open_store("memory://", mode="w"); _ = create_array(s, "a", array_metadata((2,), "u1", (2,)))
        >>> array_node(s, "a").shape
        (2,)
    """
    if metadata is not None:
        if not isinstance(metadata, ArrayMetadata):
            raise InvalidOptionError(f"metadata= must be an ArrayMetadata, got {type(metadata).__name__}")
        return metadata
    meta = read_metadata(store, path)
    if not isinstance(meta, ArrayMetadata):
        raise NodeTypeError("this node is a group, not an array", url=store.url, path=path)
    return meta


def check_codecs(store, path: str, meta: ArrayMetadata) -> None:
    """Resolve the codec chain now, so an unknown codec raises before any I/O (naming the node)."""
    try:
        meta.chain  # noqa: B018 - resolving raises UnknownCodecError for unknown codecs
    except NodeError as err:
        raise in_context(err, store, path) from None


def _strip_consolidated(store, changed_path: str) -> None:
    """Before changing metadata under a consolidated root, drop the stale block (storage §9)."""
    if getattr(store, "kind", None) == "icechunk":
        return
    if store.exists(".zmetadata"):
        store.delete(".zmetadata")
    if changed_path == "":
        return
    raw = store.get("zarr.json")
    if raw is None or b'"consolidated_metadata"' not in raw:
        return
    doc = json.loads(raw)
    if doc.pop("consolidated_metadata", None) is not None:
        store.set("zarr.json", dumps(doc))
        cache.bump(store.identity, "")


def _check_ancestors(store, path: str, zarr_format: int) -> list[str]:
    """Missing ancestor groups to create; refuses an array anywhere above ``path``."""
    if not path:
        return []
    parts = path.split("/")
    missing = []
    for i in range(len(parts)):
        anc = "/".join(parts[:i])
        meta = _read_node(store, anc)
        if isinstance(meta, ArrayMetadata):
            raise NodeTypeError(f"cannot create a node under the array at '/{anc}'", url=store.url, path=path)
        if meta is None:
            missing.append(anc)
    return missing


def _node_exists(store, path: str) -> bool:
    if any(store.exists(document_key(path, n)) for n in NODE_DOCUMENTS):
        return True
    if not store.supports_listing:
        return False
    prefix = path + "/" if path else ""
    return next(iter(store.list_prefix(prefix)), None) is not None


def _write_documents(store, path: str, docs: Mapping[str, bytes], *, exclusive: bool) -> None:
    # The node's own document goes last and, when creating, with set_if_absent: of two
    # racing creators exactly one wins.
    names = sorted(docs, key=lambda n: n in NODE_DOCUMENTS)
    for name in names:
        key = document_key(path, name)
        if exclusive and name in NODE_DOCUMENTS:
            if not store.set_if_absent(key, docs[name]):
                raise ContainsNodeError("another writer created this node first", url=store.url, path=path, key=key)
        else:
            store.set(key, docs[name])


def _create(store, path: str, meta, *, overwrite: bool, parents: bool = True):
    fmt = meta.zarr_format
    missing = _check_ancestors(store, path, fmt) if parents else []
    if _node_exists(store, path):
        if not overwrite:
            raise ContainsNodeError(
                "a node or stored keys already exist here (pass overwrite=True to replace them)", url=store.url, path=path
            )
    _strip_consolidated(store, path)
    if overwrite:
        _delete_tree(store, path)
    for anc in missing:
        _write_documents(store, anc, GroupMetadata(zarr_format=fmt).to_documents(), exclusive=False)
    _write_documents(store, path, meta.to_documents(), exclusive=not overwrite)
    cache.bump(store.identity, path)
    return meta


def create_array(store, path: str, metadata: ArrayMetadata, *, overwrite: bool = False,
                 parents: bool = True) -> ArrayMetadata:
    """Create an array node; missing ancestor groups are created in the same format.

    Raises ``ContainsNodeError`` if a node or any key exists at or under ``path`` (stale
    chunks must never show through a new array) unless ``overwrite=True``, which deletes
    them first; ``NodeTypeError`` if an ancestor is an array.  ``parents=False`` skips the
    ancestor checks and groups: builds that write their root document last use it.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core.metadata import array_metadata
        >>> s = open_store("memory://", mode="w")
        >>> create_array(s, "a/b", array_metadata((3,), "f8", (3,))).shape
        (3,)
        >>> read_metadata(s, "a").node_type
        'group'
    """
    path = node_path(store, path)
    if not isinstance(metadata, ArrayMetadata):
        raise InvalidOptionError("create_array takes ArrayMetadata; build it with array_metadata(...)")
    check_codecs(store, path, metadata)
    return _create(store, path, metadata, overwrite=overwrite, parents=parents)


def create_group(store, path: str = "", *, attributes: Mapping[str, Any] | None = None, zarr_format: int = 3,
                 overwrite: bool = False, parents: bool = True) -> GroupMetadata:
    """Create a group node (and missing ancestors).

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> create_group(s, "", attributes={"title": "t"}).attributes
        {'title': 't'}
    """
    path = node_path(store, path)
    if zarr_format not in (2, 3):
        raise InvalidOptionError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    attrs = dict(attributes or {})
    try:
        dumps(attrs)
    except MetadataError as err:
        raise in_context(err, store, path) from None
    return _create(store, path, GroupMetadata(attrs, zarr_format), overwrite=overwrite, parents=parents)


def update_attributes(store, path: str, updates: Mapping[str, Any], *, replace: bool = False):
    """Merge ``updates`` into the node's attributes (top-level keys), or replace them wholesale.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "", attributes={"a": 1})
        >>> update_attributes(s, "", {"b": 2}).attributes
        {'a': 1, 'b': 2}
    """
    path = node_path(store, path)
    meta = read_metadata(store, path)
    attrs = dict(updates) if replace else {**meta.attributes, **dict(updates)}
    try:
        dumps(attrs)
    except MetadataError as err:
        raise in_context(err, store, path) from None
    _strip_consolidated(store, path)
    if isinstance(meta, GroupMetadata):
        new = GroupMetadata(attrs, meta.zarr_format, None, meta.extensions)
    else:
        new = meta.with_attributes(attrs)
    docs = new.to_documents()
    if meta.zarr_format == 2:
        docs = {".zattrs": docs[".zattrs"]}
    _write_documents(store, path, docs, exclusive=False)
    cache.bump(store.identity, path)
    return new


def list_children(store, path: str = "") -> list[tuple[str, ArrayMetadata | GroupMetadata]]:
    """Immediate child nodes, sorted by name; read-only stores use consolidated metadata.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "b"); _ = create_group(s, "a")
        >>> [n for n, _ in list_children(s)]
        ['a', 'b']
    """
    path = node_path(store, path)
    if store.read_only:
        found = _children_from_consolidated(store, path)
        if found is not None:
            return found
    prefix = path + "/" if path else ""
    names = [p[:-1] for p in store.list_dir(prefix) if p.endswith("/") and p != "c/"]
    if not names:
        return []
    metas = read_nodes(store, [document_key(path, name) for name in names])
    return [(name, meta) for name, meta in zip(names, metas) if meta is not None]


def _children_from_consolidated(store, path: str):
    doc = load_document(store, "zarr.json")
    members = consolidated_members(doc, store=store) if doc is not None else None
    if members is None:
        return None
    prefix = path + "/" if path else ""
    out = []
    for name, docs in sorted(members.items()):
        if name.startswith(prefix) and "/" not in name[len(prefix) :]:
            try:
                out.append((name[len(prefix) :], parse_documents(docs)))
            except NodeError as err:
                raise in_context(err, store, name, "zarr.json") from None
    return out


def _delete_tree(store, path: str) -> None:
    for name in DOCUMENT_NAMES:
        store.delete(document_key(path, name))
    store.delete_prefix(path + "/" if path else "")


def delete_node(store, path: str, *, missing_ok: bool = False) -> None:
    """Delete a node and everything below it; the document goes first so readers stop seeing it.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "g")
        >>> delete_node(s, "g"); delete_node(s, "g", missing_ok=True); list_children(s)
        []
    """
    path = node_path(store, path)
    if not _node_exists(store, path):
        if missing_ok:
            return
        raise NodeNotFoundError("no Zarr node to delete", url=store.url, path=path)
    _strip_consolidated(store, path)
    _delete_tree(store, path)
    cache.bump(store.identity, path)


def consolidate(store, path: str = "") -> GroupMetadata | None:
    """Write consolidated metadata at the root (zarr-python 3.1's layout); ``None`` on icechunk.

    Only the root is supported (``path=""``), as zarr-python readers look only there.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s); _ = create_group(s, "g")
        >>> sorted(consolidate(s).consolidated["metadata"])
        ['g']
    """
    path = node_path(store, path)
    if path:
        raise InvalidOptionError("consolidate works on the root group (path='') only")
    if getattr(store, "kind", None) == "icechunk":
        return None
    key = consolidate_metadata(store)
    cache.bump(store.identity, "")
    if key is None:
        raise NodeNotFoundError("no Zarr root group to consolidate", url=store.url, path="")
    meta = read_metadata(store, "")
    return meta if isinstance(meta, GroupMetadata) else None


def invalidate(store, path: str = "") -> None:
    """Forget cached state for a node and its descendants after an outside writer changed it."""
    cache.bump(store.identity, node_path(store, path))
