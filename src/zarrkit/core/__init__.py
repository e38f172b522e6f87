"""zarrkit.core: reading and writing Zarr nodes over a zarrkit byte store.

For now this holds the node-tree summary used by ``zarrkit info``; the full functional
create / read / write / delete API arrives with the core engine.
"""

from zarrkit.core.tree import NodeInfo, describe_tree

__all__ = ["NodeInfo", "describe_tree"]
