"""zarrkit.core: a synchronous create / read / write / delete API over Zarr v2 and v3.

The functions take an open store and a node path; :class:`Array` is a thin handle over them.
Two backends do the chunk work: ``python`` (numpy, numcodecs and ``zstandard``, everything) and ``zarrs``
(zarrista, v3 arrays in local directories); ``backend="auto"`` picks per call.
:func:`open_hierarchy` serves a whole hierarchy from its root's consolidated metadata.

Modules: ``node`` (metadata functions), ``chunk``, ``region``, ``array`` (:class:`Array`,
:func:`open_array`), ``hierarchy``, ``metadata/`` (models and document parsing), ``codecs/``,
``sharding``, ``selection``, ``cache``, ``batch`` (many chunks per call), ``resize``, ``tree`` (``describe_tree``), ``backends/``.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> from zarrkit import core
    >>> s = open_store("memory://", mode="w")
    >>> m = core.create_array(s, "t", core.array_metadata((2, 3), "float32", (1, 3)))
    >>> core.write_region(s, "t", ..., np.ones((2, 3)), metadata=m)
    >>> float(core.read_region(s, "t", (1, 2), metadata=m))
    1.0
"""

from zarrkit.core.array import Array, open_array
from zarrkit.core.batch import read_chunks, write_chunks
from zarrkit.core.cache import configure, stats
from zarrkit.core.chunk import delete_chunk, read_chunk, write_chunk
from zarrkit.core.hierarchy import Hierarchy, open_hierarchy
from zarrkit.core.metadata import ArrayMetadata, GroupMetadata, array_metadata
from zarrkit.core.node import (
    consolidate,
    create_array,
    create_group,
    delete_node,
    invalidate,
    list_children,
    read_metadata,
    update_attributes,
)
from zarrkit.core.region import read_region, write_region
from zarrkit.core.resize import resize_array
from zarrkit.core.tree import NodeInfo, describe_tree

__all__ = [
    "Array",
    "ArrayMetadata",
    "GroupMetadata",
    "Hierarchy",
    "NodeInfo",
    "array_metadata",
    "configure",
    "consolidate",
    "create_array",
    "create_group",
    "delete_chunk",
    "delete_node",
    "describe_tree",
    "invalidate",
    "list_children",
    "open_array",
    "open_hierarchy",
    "read_chunk",
    "read_chunks",
    "read_metadata",
    "read_region",
    "resize_array",
    "stats",
    "update_attributes",
    "write_chunk",
    "write_chunks",
    "write_region",
]
