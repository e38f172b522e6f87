"""Node paths, document keys, and errors that name the store, the node and the key.

Lower layers (codecs, metadata parsing) raise errors that know only *what* is wrong; the
functions that know the store and the node add that with :func:`in_context`.

Example:
    >>> from zarrkit.errors import MetadataError
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://ctx", mode="w")
    >>> err = in_context(MetadataError("shape must be a list"), s, "a/b", document_key("a/b", "zarr.json"))
    >>> err.path, err.key
    ('a/b', 'a/b/zarr.json')
"""

from __future__ import annotations

from zarrkit.errors import NodeError
from zarrkit.storage.keys import check_node_path

__all__ = ["DOCUMENT_NAMES", "NODE_DOCUMENTS", "document_key", "in_context", "node_path"]

#: the documents that make a node exist (v3, then v2 array and group)
NODE_DOCUMENTS = ("zarr.json", ".zarray", ".zgroup")
#: every metadata document a node may have
DOCUMENT_NAMES = (*NODE_DOCUMENTS, ".zattrs")


def node_path(store, path: str) -> str:
    """``path`` checked against the storage key rules (``""`` is the root).

    Example:
        >>> from zarrkit.storage import open_store
        >>> node_path(open_store("memory://", mode="w"), "a/b")
        'a/b'
    """
    return check_node_path(path, url=store.url)


def document_key(path: str, name: str) -> str:
    """The store key of document ``name`` of the node at ``path``.

    Example:
        >>> document_key("", "zarr.json"), document_key("a", ".zattrs")
        ('zarr.json', 'a/.zattrs')
    """
    return f"{path}/{name}" if path else name


def in_context(err: NodeError, store, path: str, key: str | None = None) -> NodeError:
    """The same error with the store, node and key filled in (a key it already names wins)."""
    new = type(err)(err.detail, url=getattr(store, "url", None), path=path, key=err.key or key)
    if hasattr(err, "codec"):
        new.codec = err.codec
    return new
