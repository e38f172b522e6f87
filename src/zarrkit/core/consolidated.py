"""Reading consolidated metadata: every node's documents gathered into the root.

zarr-python 3.1's layouts: v3 keeps an inline ``consolidated_metadata`` block in the root
``zarr.json`` (``{"kind": "inline", "must_understand": false, "metadata": {path: doc}}``);
v2 keeps ``.zmetadata`` (``{"metadata": {"a/.zarray": doc, ...}}``).  Writing them lives in
:mod:`zarrkit.storage.consolidated`; this module turns what a root holds into
``node path → {document name → decoded document}``, checking the shape of the block so a
damaged one raises ``MetadataError`` naming the store, the node and the key.

Example:
    >>> root = {"zarr_format": 3, "node_type": "group", "consolidated_metadata": {
    ...     "kind": "inline", "must_understand": False,
    ...     "metadata": {"a": {"zarr_format": 3, "node_type": "group"}}}}
    >>> consolidated_members(root)
    {'a': {'zarr.json': {'zarr_format': 3, 'node_type': 'group'}}}
"""

from __future__ import annotations

from typing import Any

from zarrkit.core.context import DOCUMENT_NAMES
from zarrkit.errors import MetadataError

__all__ = ["V2_CONSOLIDATED_KEY", "consolidated_members", "v2_consolidated_members"]

V2_CONSOLIDATED_KEY = ".zmetadata"


def consolidated_members(root: dict[str, Any], *, store=None, key: str = "zarr.json") -> dict[str, dict[str, Any]] | None:
    """The v3 root's consolidated members, ``None`` when it carries no block.

    Raises ``MetadataError`` (store, node, ``key``) for a block, a ``metadata`` object or an
    entry that is not a JSON object.
    """
    block = root.get("consolidated_metadata")
    if block is None:
        return None
    url = getattr(store, "url", None)
    if not isinstance(block, dict) or not isinstance(block.get("metadata"), dict):
        raise MetadataError("consolidated_metadata must be an object with a 'metadata' object",
                            url=url, path="", key=key)
    out = {}
    for path, doc in block["metadata"].items():
        if not isinstance(doc, dict):
            raise MetadataError(f"consolidated entry for '{path}' is a JSON {type(doc).__name__}, not an object",
                                url=url, path=path, key=key)
        out[path] = {"zarr.json": doc}
    return out


def v2_consolidated_members(doc: dict[str, Any], *, store=None, key: str = V2_CONSOLIDATED_KEY
                            ) -> dict[str, dict[str, Any]]:
    """A v2 ``.zmetadata`` document as ``node path → {".zarray"/".zgroup"/".zattrs" → doc}``.

    Example:
        >>> v2_consolidated_members({"metadata": {".zgroup": {"zarr_format": 2}, "a/.zarray": {}}})
        {'': {'.zgroup': {'zarr_format': 2}}, 'a': {'.zarray': {}}}
    """
    url = getattr(store, "url", None)
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        raise MetadataError("consolidated metadata must hold a 'metadata' object", url=url, path="", key=key)
    out: dict[str, dict[str, Any]] = {}
    for doc_key, value in metadata.items():
        path, _, name = doc_key.rpartition("/")
        if name not in DOCUMENT_NAMES:
            continue
        if not isinstance(value, dict):
            raise MetadataError(f"consolidated entry '{doc_key}' is a JSON {type(value).__name__}, not an object",
                                url=url, path=path, key=key)
        out.setdefault(path, {})[name] = value
    return out
