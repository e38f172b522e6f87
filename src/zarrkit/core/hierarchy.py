"""Opening a whole hierarchy from its root's consolidated metadata: one GET, then no more.

:func:`open_hierarchy` reads the root document once (v3 ``zarr.json`` with its inline
``consolidated_metadata``, or a v2 root with ``.zmetadata``) and serves every consolidated
node's metadata and :class:`~zarrkit.core.Array` handles from it, with no per-node read.  A
node the block does not hold (or holds as a group where an array is asked for, as a stale
block would) falls back to the node's own documents.  Consolidated metadata is trusted as
zarr-python trusts it; :meth:`Array.refresh` re-reads one node from its own document.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core import array_metadata, consolidate, create_array, create_group, write_region
    >>> s = open_store("memory://", mode="w")
    >>> _ = create_group(s, attributes={"title": "run 1"})
    >>> m = create_array(s, "images/0", array_metadata((2, 2), "u1", (2, 2)))
    >>> write_region(s, "images/0", ..., 7, metadata=m); _ = consolidate(s)
    >>> h = open_hierarchy(s)
    >>> h.root.attributes, sorted(h.members)
    ({'title': 'run 1'}, ['images', 'images/0'])
    >>> h.array("images/0")[0].tolist()
    [7, 7]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from zarrkit.core.array import Array
from zarrkit.core.consolidated import (
    V2_CONSOLIDATED_KEY,
    consolidated_members,
    v2_consolidated_members,
)
from zarrkit.core.context import document_key, in_context, node_path
from zarrkit.core.metadata import (
    ArrayMetadata,
    GroupMetadata,
    load_document,
    parse_documents,
)
from zarrkit.core.node import read_metadata
from zarrkit.errors import NodeError, NodeTypeError

__all__ = ["Hierarchy", "open_hierarchy"]


class ConsolidatedMembers(Mapping):
    """Node path → metadata from a consolidated block, each parsed on first access.

    Parsing lazily keeps opening a plate of thousands of nodes at one GET and one JSON
    decode; a malformed entry raises ``MetadataError`` naming the store, node and key.
    """

    def __init__(self, store, docs: dict[str, dict], key: str) -> None:
        self._store = store
        self._docs = docs
        self._key = key
        self._parsed: dict[str, ArrayMetadata | GroupMetadata] = {}

    def __getitem__(self, path: str) -> ArrayMetadata | GroupMetadata:
        try:
            return self._parsed[path]
        except KeyError:
            pass
        docs = self._docs[path]
        try:
            meta = parse_documents(docs)
        except NodeError as err:
            err.detail = f"consolidated entry: {err.detail}"
            raise in_context(err, self._store, path, self._key) from None
        if meta is None:  # only .zattrs consolidated: not a node
            raise KeyError(path)
        self._parsed[path] = meta
        return meta

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(p for p, docs in self._docs.items() if set(docs) != {".zattrs"}))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Hierarchy:
    """A Zarr hierarchy opened from its root: ``root``, ``members`` and array handles.

    ``consolidated`` says whether the root carried consolidated metadata; without it
    ``members`` is empty and every lookup reads the node's own documents.
    """

    def __init__(self, store, root: GroupMetadata, members: Mapping[str, ArrayMetadata | GroupMetadata],
                 *, consolidated: bool) -> None:
        self.store = store
        self.root = root
        self.members = members
        self.consolidated = consolidated

    def metadata(self, path: str) -> ArrayMetadata | GroupMetadata:
        """A node's metadata: the consolidated entry, else the node's own documents.

        Example:
            >>> from zarrkit.storage import open_store
            >>> from zarrkit.core import consolidate, create_group
            >>> s = open_store("memory://", mode="w"); _ = create_group(s); _ = create_group(s, "g", attributes={"a": 1})
            >>> _ = consolidate(s); open_hierarchy(s).metadata("g").attributes
            {'a': 1}
        """
        path = node_path(self.store, path)
        if path == "":
            return self.root
        if path in self.members:
            return self.members[path]
        return read_metadata(self.store, path)

    def array(self, path: str, *, backend: str | None = None) -> Array:
        """An :class:`Array` handle on ``path``, built from the consolidated entry when there is
        one (no read), else from the node's own document.

        Example:
            >>> from zarrkit.storage import open_store
            >>> from zarrkit.core import array_metadata, create_array, create_group
            >>> s = open_store("memory://", mode="w"); _ = create_group(s)
            >>> _ = create_array(s, "a", array_metadata((3,), "f4", (3,)))
            >>> open_hierarchy(s).array("a").shape  # not consolidated: read from a/zarr.json
            (3,)
        """
        path = node_path(self.store, path)
        meta = self.members.get(path) if path else None
        if isinstance(meta, ArrayMetadata):
            return Array.from_metadata(self.store, path, meta, backend=backend)
        # absent from the block, or a group there where an array is asked for (a stale block)
        return Array(self.store, path, backend=backend)

    def __repr__(self) -> str:
        kind = f"{len(self.members)} consolidated members" if self.consolidated else "not consolidated"
        return f"<zarrkit.core.Hierarchy {self.store.url} ({kind})>"


def open_hierarchy(store) -> Hierarchy:
    """Open the hierarchy rooted at the store's root from its consolidated metadata.

    One GET for a v3 root (``zarr.json`` with its inline block); a v2 root reads
    ``.zmetadata`` (then its own documents only if that is absent).  Raises
    ``NodeNotFoundError`` when there is no root, ``NodeTypeError`` when the root is an array,
    and ``MetadataError`` (store, node, key) for a malformed root or consolidated block.

    Example:
        >>> from zarrkit.storage import open_store
        >>> from zarrkit.core import create_group
        >>> s = open_store("memory://", mode="w"); _ = create_group(s)
        >>> open_hierarchy(s).consolidated
        False
    """
    doc = load_document(store, "zarr.json")
    if doc is not None:
        docs = consolidated_members(doc, store=store, key="zarr.json")
        key = "zarr.json"
        root = _parse_root(store, {"zarr.json": doc}, key)
    else:
        key = V2_CONSOLIDATED_KEY
        v2 = load_document(store, key)
        docs = v2_consolidated_members(v2, store=store, key=key) if v2 is not None else None
        root_docs = (docs or {}).pop("", None)
        root = _parse_root(store, root_docs, key) if root_docs else read_metadata(store, "")
    if not isinstance(root, GroupMetadata):
        raise NodeTypeError("the root is an array, not a group", url=store.url, path="")
    members = ConsolidatedMembers(store, docs or {}, key)
    return Hierarchy(store, root, members, consolidated=docs is not None)


def _parse_root(store, docs: dict, key: str):
    try:
        meta = parse_documents(docs)
    except NodeError as err:
        raise in_context(err, store, "", document_key("", key)) from None
    if meta is None:
        return read_metadata(store, "")
    return meta
