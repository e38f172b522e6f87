"""``zarrkit vectors check --repair``: after an interrupted write (outside icechunk), rebuild
what a write stamps last — ``nonempty_chunks`` of every per-chunk array from a listing, the
level's ``vertex_count`` from the vertex cells, ``num_links`` from the link cells — and drop
a ``fragments_tile`` claim that the cells do not bear out (spec §2.2, §3.2).

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> from zarrkit import core
    >>> s = vx.create("memory://", "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_points(np.array([[1.0, 1.0], [6.0, 7.0]]))
    >>> _ = core.update_attributes(s.store, "0/vertices", {"nonempty_chunks": []})
    >>> [f.what for f in repair(s)]
    ['0/vertices: nonempty_chunks listed 2 cells, had 0']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError
from zarrkit.vectors.cells import CellArray
from zarrkit.vectors.encoding import decode_fragments, decode_ragged
from zarrkit.vectors.inputs import level_cell_arrays

__all__ = ["Fix", "repair"]


@dataclass
class Fix:
    """One repaired (or, with ``dry_run``, repairable) inconsistency."""

    path: str
    what: str


def repair(vs, *, dry_run: bool = False) -> list[Fix]:
    """Make occupancy and counts match the stored cells at every level; returns the fixes."""
    fixes: list[Fix] = []
    grid = vs.root.grid
    for level in vs.levels():
        for path in level_cell_arrays(vs, level):
            arr = CellArray.open(vs.store, path, grid)
            listed = sorted(arr.listed())
            had = arr.attributes.get("nonempty_chunks")
            if had is None or sorted(tuple(int(v) for v in n.split(".")) for n in had) != listed:
                fixes.append(Fix(path, f"{path}: nonempty_chunks listed {len(listed)} cells, "
                                       f"had {'none' if had is None else len(had)}"))
                if not dry_run:
                    arr.stamp(listed)
        fixes += _level_counts(vs, level, dry_run)
        fixes += _link_counts(vs, level, dry_run)
    return fixes


def _level_counts(vs, level: int, dry_run: bool) -> list[Fix]:
    verts = vs.cells(level, "vertices")
    if verts is None:
        return []
    info = vs.level_info(level)
    cells = verts.listed()
    width = np.dtype(verts.attributes.get("dtype", "float32")).itemsize * vs.ndim
    raws = verts.read(cells)
    count = sum(len(r or b"") // width for r in raws)
    out = []
    if count != info.vertex_count:
        out.append(Fix(f"{level}", f"level {level}: vertex_count {info.vertex_count} -> {count}"))
        info.vertex_count = count
    if info.fragments_tile:
        frags = vs.cells(level, "vertex_fragments")
        fr = frags.read(cells) if frags is not None else [None] * len(cells)
        if not all(f is not None and decode_fragments(f).tiles(len(r or b"") // width) for r, f in zip(raws, fr)):
            out.append(Fix(f"{level}", f"level {level}: fragments_tile dropped (a chunk's fragments do not tile it)"))
            info.fragments_tile = False
    if out and not dry_run:
        vs.write_level(info)
    return out


def _link_counts(vs, level: int, dry_run: bool) -> list[Fix]:
    family = f"{level}/links/0"
    try:
        fam = core.read_metadata(vs.store, family).attributes
        names = [n for n, m in core.list_children(vs.store, family) if m.node_type == "array"]
    except NodeNotFoundError:
        return []
    width = int(fam.get("link_width", 2))
    total = 0
    for name in names:
        arr = CellArray.open(vs.store, f"{family}/{name}", vs.root.grid)
        wide = width + bool(arr.attributes.get("has_perm", False))
        intra = not arr.attributes.get("has_perm", False) and not any(any(o) for o in arr.attributes.get("offsets", []))
        for raw in arr.read(arr.listed()):
            total += len(raw or b"") // (8 * wide) if intra else len(decode_ragged(raw, wide))
    if total == int(fam.get("num_links", -1)):
        return []
    if not dry_run:
        core.update_attributes(vs.store, family, {"num_links": total, "num_physical_records": total})
    return [Fix(family, f"{family}: num_links {fam.get('num_links')} -> {total}")]
