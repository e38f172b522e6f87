"""Every node's metadata document, read once: from consolidated metadata, else by listing.

``validate`` reads the root first.  When the root carries consolidated metadata (v3
``consolidated_metadata`` or v2 ``.zmetadata``) that is the hierarchy; otherwise the store is
walked group by group (never into arrays, so chunk keys are not listed).  v2 nodes
(``.zgroup`` / ``.zarray`` + ``.zattrs``) are folded into one v3-shaped dictionary with
``zarr_format: 2``, ``node_type`` and ``attributes``, so the checks read both alike.

A document that is not JSON, not an object, or that zarrkit's metadata parser refuses is
kept out of :attr:`Documents.nodes` and recorded in :attr:`Documents.errors` with the key
that holds it; nothing raises.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    >>> s.set("a/zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": 7}')
    >>> docs = read_documents(s)
    >>> sorted(docs.nodes), docs.errors["a"].key
    ([''], 'a/zarr.json')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zarrkit.core.metadata import decode_document, parse_documents
from zarrkit.errors import MetadataError, UnsupportedOperationError, ZarrkitError

__all__ = ["DocumentError", "Documents", "document_key", "read_documents"]

V2_NAMES = (".zarray", ".zgroup", ".zattrs")


@dataclass(frozen=True)
class DocumentError:
    """Why the document of one node could not be used."""

    key: str
    message: str


@dataclass
class Documents:
    """The parsed hierarchy of one store."""

    zarr_format: int | None = None  # of the root; None when the root has no readable document
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # node path -> document
    errors: dict[str, DocumentError] = field(default_factory=dict)  # node path -> what is wrong
    consolidated: dict[str, Any] | None = None  # node path -> document, as the root consolidates it
    listed: bool = True  # False when the store cannot list and had no consolidated metadata

    @property
    def root(self) -> dict[str, Any] | None:
        return self.nodes.get("")

    def groups(self) -> list[str]:
        return sorted(p for p, d in self.nodes.items() if d.get("node_type") == "group")

    def arrays(self) -> list[str]:
        return sorted(p for p, d in self.nodes.items() if d.get("node_type") == "array")

    def children(self, group: str) -> list[str]:
        """Direct child node paths of ``group``."""
        prefix = f"{group}/" if group else ""
        return sorted(p for p in self.nodes if p and p.startswith(prefix) and "/" not in p[len(prefix):])


def document_key(path: str, name: str = "zarr.json") -> str:
    """The store key of a node's document ``name``.

    Example:
        >>> document_key("", "zarr.json"), document_key("a/b", ".zattrs")
        ('zarr.json', 'a/b/.zattrs')
    """
    return f"{path}/{name}" if path else name


def _parse(raw: bytes, key: str) -> Any:
    """JSON through the core's one document decoder; its refusal becomes a report entry."""
    try:
        return decode_document(raw, key=key)
    except MetadataError as err:
        raise _Bad(key, err.detail) from None


class _Bad(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def _check(path: str, doc: dict[str, Any], key: str) -> None:
    """Refuse what zarrkit's own metadata parser refuses, and attributes that are no object."""
    if not isinstance(doc.get("attributes", {}), dict):
        raise _Bad(key, f"'attributes' must be an object, got {type(doc['attributes']).__name__}")
    try:
        if doc.get("zarr_format") == 2:
            body = {k: v for k, v in doc.items() if k not in ("attributes", "node_type")}
            name = ".zarray" if doc.get("node_type") == "array" else ".zgroup"
            parse_documents({name: body, ".zattrs": doc.get("attributes", {})})
        else:
            parse_documents({"zarr.json": doc})
    except ZarrkitError as err:
        raise _Bad(key, str(err)) from None
    except (KeyError, IndexError, TypeError, ValueError) as err:  # a field of the wrong shape
        raise _Bad(key, f"{type(err).__name__}: {err}") from None


def _read_node(store, path: str) -> tuple[dict[str, Any] | None, str]:
    """The document of the node at ``path`` (v3 first, then v2) and its key; ``None`` if none."""
    key = document_key(path)
    raw = store.get(key)
    if raw is not None:
        doc = _parse(raw, key)
        if not isinstance(doc, dict):
            raise _Bad(key, f"the document is a JSON {type(doc).__name__}, not an object")
        if doc.get("zarr_format") != 3:
            raise _Bad(key, f"zarr_format is {doc.get('zarr_format')!r}, expected 3 in a zarr.json")
        if doc.get("node_type") not in ("array", "group"):
            raise _Bad(key, f"node_type must be 'array' or 'group', got {doc.get('node_type')!r}")
        return doc, key
    found = dict(zip(V2_NAMES, store.get_many([document_key(path, n) for n in V2_NAMES])))
    if found[".zarray"] is None and found[".zgroup"] is None:
        if found[".zattrs"] is not None:
            raise _Bad(document_key(path, ".zattrs"), ".zattrs without .zarray or .zgroup")
        return None, key
    name = ".zarray" if found[".zarray"] is not None else ".zgroup"
    body = _parse(found[name], document_key(path, name))
    attrs = _parse(found[".zattrs"], document_key(path, ".zattrs")) if found[".zattrs"] is not None else {}
    if not isinstance(body, dict):
        raise _Bad(document_key(path, name), "the document is not a JSON object")
    if not isinstance(attrs, dict):
        raise _Bad(document_key(path, ".zattrs"), "the attributes are not a JSON object")
    node_type = "array" if name == ".zarray" else "group"
    return {**body, "node_type": node_type, "attributes": attrs}, document_key(path, name)


def _consolidated(root: dict[str, Any], store) -> dict[str, Any] | None:
    """The consolidated node documents of the root, keyed by node path, or ``None``."""
    if root.get("zarr_format") == 3:
        block = root.get("consolidated_metadata")
        if block is None:
            return None
        if not isinstance(block, dict) or not isinstance(block.get("metadata"), dict):
            raise _Bad("zarr.json", "'consolidated_metadata' must be an object with a 'metadata' object")
        return dict(block["metadata"])
    raw = store.get(".zmetadata")
    if raw is None:
        return None
    doc = _parse(raw, ".zmetadata")
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        raise _Bad(".zmetadata", "'metadata' must be an object")
    nodes: dict[str, dict[str, Any]] = {}
    for key, value in meta.items():
        path, _, name = key.rpartition("/")
        if name in (".zarray", ".zgroup") and isinstance(value, dict):
            attrs = meta.get(document_key(path, ".zattrs"), {})
            nodes[path] = {**value, "node_type": "array" if name == ".zarray" else "group",
                           "attributes": attrs if isinstance(attrs, dict) else {}}
    nodes.pop("", None)
    return nodes


def _walk(store, docs: Documents, group: str) -> None:
    """Read the children of ``group`` by listing it, and descend into child groups."""
    prefix = f"{group}/" if group else ""
    for entry in store.list_dir(prefix):
        if not entry.endswith("/"):
            continue
        path = prefix + entry[:-1]
        try:
            doc, key = _read_node(store, path)
            if doc is None:
                continue  # a folder that is no node (chunks, OME-XML, a stray directory)
            _check(path, doc, key)
        except _Bad as bad:
            docs.errors[path] = DocumentError(bad.key, bad.message)
            continue
        docs.nodes[path] = doc
        if doc["node_type"] == "group":
            _walk(store, docs, path)


def read_documents(store) -> Documents:
    """Read the root and every node below it; never raises for a malformed document.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> read_documents(s).errors[""].message
        'no zarr.json, .zgroup or .zarray at the root'
    """
    docs = Documents()
    try:
        root, key = _read_node(store, "")
        if root is None:
            raise _Bad("zarr.json", "no zarr.json, .zgroup or .zarray at the root")
        _check("", root, key)
    except _Bad as bad:
        docs.errors[""] = DocumentError(bad.key, bad.message)
        root = None
    if root is not None:
        docs.nodes[""] = root
        docs.zarr_format = root.get("zarr_format")
        try:
            docs.consolidated = _consolidated(root, store)
        except _Bad as bad:
            docs.errors[""] = DocumentError(bad.key, bad.message)
        if docs.consolidated is not None:
            for path, doc in docs.consolidated.items():
                key = document_key(path)
                try:
                    if not isinstance(doc, dict):
                        raise _Bad(key, "the consolidated document is not a JSON object")
                    _check(path, doc, key)
                except _Bad as bad:
                    docs.errors[path] = DocumentError(bad.key, f"in the root's consolidated metadata: {bad.message}")
                    continue
                docs.nodes[path] = doc
            return docs
        if root.get("node_type") != "group":
            return docs
    try:
        _walk(store, docs, "")
    except UnsupportedOperationError:
        docs.listed = False
    return docs
