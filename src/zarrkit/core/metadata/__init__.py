"""Array and group metadata for Zarr v3 and v2: parse, validate, emit, chunk keys.

:class:`ArrayMetadata` and :class:`GroupMetadata` are immutable; ``from_document`` parses
what a store holds, ``to_documents`` gives the exact bytes zarrkit writes (zarr-python 3.1's
key set and order, 2-space indent), and :func:`array_metadata` builds new array metadata
with zarr-python's defaults.  The codec chain is resolved lazily, so a document naming an
unknown codec still reads (:attr:`ArrayMetadata.chain` raises ``UnknownCodecError``).

Modules: ``array`` and ``group`` (the models), ``build`` (:func:`array_metadata`),
``fields`` (shared JSON pieces) and ``documents`` (store bytes → metadata, strictly or
tolerantly: :func:`load_document`, :func:`parse_node_document`, :func:`read_nodes`).

Example:
    >>> m = array_metadata((100, 100), "uint16", (32, 32), shards=(64, 64))
    >>> m.chunks, m.shards, m.grid_shape, m.chunk_key((1, 0))
    ((32, 32), (64, 64), (2, 2), 'c/1/0')
    >>> sorted(m.to_documents())
    ['zarr.json']
"""

from zarrkit.core.metadata.array import ArrayMetadata
from zarrkit.core.metadata.build import array_metadata
from zarrkit.core.metadata.documents import (
    NodeSummary,
    decode_document,
    load_document,
    parse_node_document,
    read_nodes,
    summarize_documents,
)
from zarrkit.core.metadata.fields import dumps
from zarrkit.core.metadata.group import GroupMetadata, parse_documents

__all__ = [
    "ArrayMetadata",
    "GroupMetadata",
    "NodeSummary",
    "array_metadata",
    "decode_document",
    "dumps",
    "load_document",
    "parse_documents",
    "parse_node_document",
    "read_nodes",
    "summarize_documents",
]
