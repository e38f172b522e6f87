"""A summary of a Zarr hierarchy read straight from its metadata documents.

``describe_tree`` walks a store (v3 ``zarr.json`` or v2 ``.zgroup`` / ``.zarray``) and
returns one :class:`NodeInfo` per node: kind, shape, dtype, chunk and shard shapes, the
codec chain, the bytes stored under it and its attribute keys.  It uses consolidated
metadata when the root carries it (so it works on stores that cannot list) and never
writes.

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

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from zarrkit.errors import MetadataError


@dataclass
class NodeInfo:
    """What ``zarrkit info`` shows for one node."""

    path: str
    node_type: str
    zarr_format: int
    shape: list[int] | None = None
    dtype: str | None = None
    chunks: list[int] | None = None
    shards: list[int] | None = None
    codecs: list[str] = field(default_factory=list)
    dimension_names: list[str | None] | None = None
    stored_bytes: int = 0
    attribute_keys: list[str] = field(default_factory=list)
    children: list["NodeInfo"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict, children nested."""
        return asdict(self)


def _load_json(store, key: str) -> dict[str, Any] | None:
    raw = store.get(key)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError as err:
        raise MetadataError(f"malformed JSON in {key!r} of {store.url}: {err}") from err
    if not isinstance(doc, dict):
        raise MetadataError(f"{key!r} in {store.url} is not a JSON object")
    return doc


def _codec_names(codecs: list[dict[str, Any]]) -> tuple[list[str], list[int] | None]:
    names, inner_chunks = [], None
    for codec in codecs:
        name = codec.get("name", "?")
        if name == "sharding_indexed":
            conf = codec.get("configuration", {})
            inner_chunks = list(conf.get("chunk_shape", []))
            inner, _ = _codec_names(conf.get("codecs", []))
            names.append(f"sharding_indexed[{', '.join(inner)}]")
        else:
            names.append(name)
    return names, inner_chunks


def _from_v3(path: str, doc: dict[str, Any]) -> NodeInfo:
    node_type = doc.get("node_type")
    attrs = sorted((doc.get("attributes") or {}).keys())
    if node_type == "group":
        return NodeInfo(path, "group", 3, attribute_keys=attrs)
    if node_type != "array":
        raise MetadataError(f"node {path or '/'!r}: unknown node_type {node_type!r}")
    grid = (doc.get("chunk_grid") or {}).get("configuration", {}).get("chunk_shape")
    codecs, inner = _codec_names(doc.get("codecs", []))
    dtype = doc.get("data_type")
    return NodeInfo(
        path, "array", 3,
        shape=list(doc.get("shape", [])),
        dtype=dtype if isinstance(dtype, str) else json.dumps(dtype),
        chunks=inner if inner is not None else (list(grid) if grid else None),
        shards=list(grid) if inner is not None and grid else None,
        codecs=codecs,
        dimension_names=doc.get("dimension_names"),
        attribute_keys=attrs,
    )


def _from_v2(path: str, zarray: dict[str, Any] | None, zattrs: dict[str, Any] | None) -> NodeInfo:
    attrs = sorted((zattrs or {}).keys())
    if zarray is None:
        return NodeInfo(path, "group", 2, attribute_keys=attrs)
    codecs = [f.get("id", "?") for f in (zarray.get("filters") or [])]
    if zarray.get("compressor"):
        codecs.append(zarray["compressor"].get("id", "?"))
    dtype = zarray.get("dtype")
    return NodeInfo(
        path, "array", 2,
        shape=list(zarray.get("shape", [])),
        dtype=dtype if isinstance(dtype, str) else json.dumps(dtype),
        chunks=list(zarray.get("chunks", [])),
        codecs=codecs,
        dimension_names=(zattrs or {}).get("_ARRAY_DIMENSIONS"),
        attribute_keys=attrs,
    )


def _read_node(store, path: str) -> NodeInfo | None:
    prefix = f"{path}/" if path else ""
    doc = _load_json(store, prefix + "zarr.json")
    if doc is not None:
        return _from_v3(path, doc)
    zarray = _load_json(store, prefix + ".zarray")
    zgroup = _load_json(store, prefix + ".zgroup") if zarray is None else None
    if zarray is None and zgroup is None:
        return None
    return _from_v2(path, zarray, _load_json(store, prefix + ".zattrs"))


def _stored_bytes(store, path: str) -> dict[str, int]:
    """Total stored bytes per array path, from one recursive listing."""
    totals: dict[str, int] = {}
    for key, size in store.list_sizes(f"{path}/" if path else ""):
        totals[key] = size
    return totals


def describe_tree(store, path: str = "") -> NodeInfo:
    """Summarise the node at ``path`` and everything below it.

    Raises :class:`MetadataError` if there is no Zarr node at ``path``.
    """
    root = _read_node(store, path)
    if root is None:
        where = f"node {path!r}" if path else "the root"
        raise MetadataError(f"no Zarr metadata at {where} of {store.url}")
    consolidated = None
    if root.zarr_format == 3 and root.node_type == "group" and store.read_only:
        doc = _load_json(store, (f"{path}/" if path else "") + "zarr.json") or {}
        consolidated = (doc.get("consolidated_metadata") or {}).get("metadata")
    if consolidated is not None:
        nodes = {path: root}
        for rel in sorted(consolidated, key=lambda p: (p.count("/"), p)):
            full = f"{path}/{rel}" if path else rel
            nodes[full] = _from_v3(full, consolidated[rel])
            parent = full.rsplit("/", 1)[0] if "/" in full else ""
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
        child = _read_node(store, prefix + name[:-1])
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
