"""Consolidated metadata: every node's document gathered into the root, written last.

Consolidation is a zarr-python convention (not part of the v3 spec), so zarrkit writes
zarr-python 3.1's exact layout: for v3 an inline ``consolidated_metadata`` block in the root
``zarr.json`` keyed by node path (nested groups carry an empty block of their own); for v2 a
``.zmetadata`` document keyed by document path.  It works on raw JSON documents, which is
why it lives down here: the zip packer needs it, and the core calls it at the end of builds.

Example:
    >>> import json
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    >>> s.set("a/zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    >>> consolidate_metadata(s)
    'zarr.json'
    >>> sorted(json.loads(s.get("zarr.json"))["consolidated_metadata"]["metadata"])
    ['a']
"""

from __future__ import annotations

import json
from typing import Any

from zarrkit.errors import StoreError

V3_DOC = "zarr.json"
V2_DOCS = (".zgroup", ".zarray", ".zattrs")
METADATA_NAMES = frozenset((V3_DOC, ".zmetadata") + V2_DOCS)


def is_metadata_key(key: str) -> bool:
    """True for Zarr metadata documents (``zarr.json``, ``.zarray``, ...) anywhere in a store.

    Example:
        >>> is_metadata_key("a/b/zarr.json"), is_metadata_key("a/c/0/0")
        (True, False)
    """
    return key.rsplit("/", 1)[-1] in METADATA_NAMES


def dumps_v3(doc: dict[str, Any]) -> bytes:
    """Serialise a v3 document the way zarr-python 3.1 does (2-space indent)."""
    return json.dumps(doc, indent=2).encode()


def _load(store, key: str) -> dict[str, Any]:
    raw = store.get(key)
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as err:
        raise StoreError(f"malformed metadata document: {err}", url=store.url, key=key) from err


def _empty_block() -> dict[str, Any]:
    return {"kind": "inline", "must_understand": False, "metadata": {}}


def consolidate_metadata(store) -> str | None:
    """Gather every node document under the root into the root; returns the key written.

    Returns ``None`` when the store holds no Zarr root.  v3 roots get the inline block in
    ``zarr.json``; v2 roots get ``.zmetadata``.
    """
    keys = sorted(k for k in store.list_prefix("") if is_metadata_key(k))
    if V3_DOC in keys:
        root = _load(store, V3_DOC)
        children = {k[: -len("/" + V3_DOC)]: _load(store, k) for k in keys if k.endswith("/" + V3_DOC)}
        store.set(V3_DOC, dumps_v3(with_consolidated(root, children)))
        return V3_DOC
    if ".zgroup" in keys or ".zarray" in keys:
        metadata = {k: _load(store, k) for k in keys if k.rsplit("/", 1)[-1] in V2_DOCS}
        store.set(".zmetadata", json.dumps({"metadata": metadata, "zarr_consolidated_format": 1}).encode())
        return ".zmetadata"
    return None


def with_consolidated(root: dict[str, Any], children: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The root document with zarr-python 3.1's inline block over ``children`` (path → document).

    Builds that write their root document once, last, call this instead of
    :func:`consolidate_metadata`.
    """
    members: dict[str, Any] = {}
    for path in sorted(children, key=lambda p: (p.count("/"), p)):
        doc = dict(children[path])
        doc.pop("consolidated_metadata", None)
        if doc.get("node_type") == "group":
            doc = _insert_before_node_type(doc, _empty_block())
        members[path] = doc
    block = {"kind": "inline", "must_understand": False, "metadata": members}
    root = dict(root)
    root.pop("consolidated_metadata", None)
    return _insert_before_node_type(root, block)


def _insert_before_node_type(doc: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    # zarr-python places consolidated_metadata just before node_type; keep its key order.
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if k == "node_type":
            out["consolidated_metadata"] = block
        out[k] = v
    out.setdefault("consolidated_metadata", block)
    return out
