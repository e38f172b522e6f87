"""Levels of detail (spec §3.4).  v1 of this module drops coarse levels when level 0 changes
(``on_pyramid="drop"``); building them is not implemented yet.

Example:
    >>> import zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0], [1]), chunk_shape=(1,), axes=("t",))
    >>> drop_levels(s, []); s.levels()
    [0]
"""

from __future__ import annotations

from zarrkit import core

__all__ = ["drop_levels"]


def drop_levels(vs, levels) -> None:
    """Delete coarse levels and their ``multiscales`` / ``ome.nodes`` entries."""
    for k in levels:
        if k == 0:
            continue
        core.delete_node(vs.store, str(k), missing_ok=True)
        vs.root.level_bins.pop(k, None)
    if levels:
        vs.root.capabilities = [c for c in vs.root.capabilities if c != "preserved_object_ids"]
        vs.write_root()
