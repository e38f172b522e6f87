"""A summary of a Zarr hierarchy read straight from its metadata documents.

``describe_tree`` walks a store (v3 ``zarr.json`` or v2 ``.zgroup`` / ``.zarray``) and
returns one :class:`NodeInfo` per node: kind, shape, dtype, chunk and shard shapes, the
codec chain, the bytes stored under it and its attribute keys.  It uses consolidated
metadata when the root carries it (so it works on stores that cannot list) and never
writes.  Documents go through :mod:`zarrkit.core.metadata`'s tolerant mode, so a damaged
one anywhere in the tree becomes a node whose ``error`` says what is wrong.

Example:
    >>> import json
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> s.set("zarr.json", json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {"a": 1}}).encode())
    >>> root = describe_tree(s)
    >>> root.node_type, root.attribute_keys
    ('group', ['a'])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from zarrkit.core.consolidated import consolidated_members
from zarrkit.core.context import DOCUMENT_NAMES, document_key
from zarrkit.core.metadata import (
    NodeSummary,
    decode_document,
    parse_node_document,
    summarize_documents,
)
from zarrkit.errors import MetadataError

__all__ = ["NodeInfo", "describe_tree"]


@dataclass
class NodeInfo:
    """What ``zarrkit info`` shows for one node; ``error`` says what is wrong with its metadata."""

    path: str
    node_type: str
    zarr_format: int | None
    shape: list[int] | None = None
    dtype: str | None = None
    chunks: list[int] | None = None
    shards: list[int] | None = None
    codecs: list[str] = field(default_factory=list)
    dimension_names: list[str | None] | None = None
    stored_bytes: int = 0
    attribute_keys: list[str] = field(default_factory=list)
    children: list[NodeInfo] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def from_summary(cls, path: str, summary: NodeSummary) -> NodeInfo:
        """The node at ``path`` described by a tolerant :class:`NodeSummary`."""
        return cls(path=path, **{f.name: getattr(summary, f.name) for f in fields(NodeSummary)})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, children nested."""
        return asdict(self)


def _read_node(store, path: str) -> tuple[NodeInfo | None, bytes | None]:
    """The node's description (``None`` when no node is there) and its raw ``zarr.json``."""
    raw = store.get(document_key(path, "zarr.json"))
    if raw is not None:
        return NodeInfo.from_summary(path, parse_node_document(raw, store=store, path=path, tolerant=True)), raw
    names = DOCUMENT_NAMES[1:]
    found = store.get_many([document_key(path, n) for n in names])
    summary = parse_node_document(dict(zip(names, found)), store=store, path=path, tolerant=True)
    return (NodeInfo.from_summary(path, summary) if summary is not None else None), None


def _consolidated(store, root: NodeInfo, raw: bytes | None) -> dict[str, dict] | None:
    """The root's consolidated members, or ``None``; a damaged block is noted on the root."""
    if raw is None or root.node_type != "group" or root.error:
        return None
    try:
        return consolidated_members(decode_document(raw, store=store, path=root.path), store=store)
    except MetadataError as err:
        root.error = err.detail
        return None


def _stored_bytes(store, path: str) -> dict[str, int]:
    """Total stored bytes per array path, from one recursive listing."""
    totals: dict[str, int] = {}
    for key, size in store.list_sizes(f"{path}/" if path else ""):
        totals[key] = size
    return totals


def describe_tree(store, path: str = "") -> NodeInfo:
    """Summarise the node at ``path`` and everything below it.

    A malformed document anywhere in the tree becomes a node with ``error`` set, never an
    exception.  Raises :class:`MetadataError` only if there is no Zarr node at ``path``.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group"}'); s.set("bad/zarr.json", b"{oops")
        >>> [(c.path, c.node_type, c.error[:14]) for c in describe_tree(s).children]
        [('bad', 'unknown', 'malformed JSON')]
    """
    root, raw = _read_node(store, path)
    if root is None:
        raise MetadataError("no Zarr metadata here", url=store.url, path=path)
    consolidated = _consolidated(store, root, raw) if root.zarr_format == 3 and store.read_only else None
    if consolidated is not None:
        nodes = {path: root}
        for rel in sorted(consolidated, key=lambda p: (p.count("/"), p)):
            full = f"{path}/{rel}" if path else rel
            nodes[full] = NodeInfo.from_summary(full, summarize_documents(consolidated[rel]))
            parent = full.rsplit("/", 1)[0] if "/" in full else ""
            while parent not in nodes:  # a block that skips a group: hang it on the nearest ancestor
                parent = parent.rsplit("/", 1)[0] if "/" in parent else path
            nodes[parent].children.append(nodes[full])
    elif root.node_type == "group" and store.supports_listing:
        _walk(store, root)
    if store.supports_listing:
        _attach_sizes(store, root)
    return root


def _walk(store, group: NodeInfo) -> None:
    prefix = f"{group.path}/" if group.path else ""
    for name in store.list_dir(prefix):
        if not name.endswith("/"):
            continue
        child, _ = _read_node(store, prefix + name[:-1])
        if child is None:
            continue
        group.children.append(child)
        if child.node_type == "group":
            _walk(store, child)


def _attach_sizes(store, root: NodeInfo) -> None:
    # One pass over the listing: each key is credited to the nearest node above it, found
    # by walking the key's own prefixes (keys x depth, not keys x nodes).
    nodes: dict[str, NodeInfo] = {}

    def index(node: NodeInfo) -> None:
        nodes[node.path] = node
        for child in node.children:
            index(child)

    index(root)
    own: dict[str, int] = {}
    for key, size in _stored_bytes(store, root.path).items():
        parts = key.split("/")[:-1]
        owner = root.path
        for i in range(len(parts), 0, -1):
            candidate = "/".join(parts[:i])
            if candidate in nodes:
                owner = candidate
                break
        own[owner] = own.get(owner, 0) + size

    def visit(node: NodeInfo) -> int:
        node.stored_bytes = own.get(node.path, 0) + sum(visit(c) for c in node.children)
        return node.stored_bytes

    visit(root)
