"""``zarrkit vectors check --repair``: after an interrupted write (outside icechunk), rebuild
what a write stamps last — ``nonempty_chunks`` of every per-chunk array from a listing, the
level's ``vertex_count`` from the vertex cells, ``num_links`` from the link cells — and drop
a ``fragments_tile`` claim that the cells do not bear out (spec §2.2, §3.2) — and rebuild
zarrkit's extras (``zvx``, §2.11) of a level another tool changed (stale fingerprint), or of a
zarrkit store with extras on whose level lost them (a write through a handle without extras,
bounds expanded).  Input order (``zvx/vertex_ids``) cannot be recovered from the level: a
rebuilt level reads in stored order.

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
        fixes += _extras(vs, level, dry_run)  # last: its fingerprint describes the repaired level
    return fixes


def _extras(vs, level: int, dry_run: bool) -> list[Fix]:
    """Rebuild the level's chunk table, ``fragment_objects`` and ``object_bbox`` from its cells."""
    from zarrkit.vectors import zvx
    from zarrkit.vectors.level import VertexCells
    from zarrkit.vectors.objects import ObjectIndex
    from zarrkit.vectors.points import _row_owners

    verts = vs.cells(level, "vertices")
    present = zvx._attrs(vs.store, f"{level}/zvx") is not None
    if verts is None or (present and zvx.Extras.load(vs, level, warn=False) is not None):
        return []
    if not present and not vs.options.get("extras"):
        return []
    fix = Fix(f"{level}/zvx", f"{level}/zvx: {'stale' if present else 'missing'} extras rebuilt from the level"
                              f"{' (vertex_ids dropped: stored order from now on)' if present else ''}")
    if dry_run:
        return [fix]
    core.delete_node(vs.store, f"{level}/zvx", missing_ok=True)
    grid = vs.root.grid
    cells = sorted(verts.listed())
    raws = dict(zip(cells, verts.read(cells)))
    frag_cells = vs.cells(level, "vertex_fragments")
    frag_raws = dict(zip(cells, frag_cells.read(cells))) if frag_cells is not None else {}
    data = VertexCells.read(vs, level, cells, attributes=False)
    index = ObjectIndex.read(vs.store, str(level))
    blocks: dict[int, tuple[list, list]] = {}
    xyz, owner = [], []
    if index is not None:
        owners = index.fragment_owners(vs.ndim, grid, cells)
        for cell in cells:
            of = owners[cell]
            for f in np.flatnonzero(of >= 0).tolist():
                b = blocks.setdefault(int(of[f]), ([], []))
                b[0].append(cell)
                b[1].append(f)
            rows = _row_owners(data.fragments[cell], of, len(data.vertices[cell]))
            xyz.append(data.vertices[cell][rows >= 0])
            owner.append(rows[rows >= 0])
    new_blocks = {o: (np.asarray(c, np.int64).reshape(-1, vs.ndim), np.asarray(f, np.int64)) for o, (c, f) in
                  blocks.items()}
    writer = zvx._Writer(vs, level, None)
    writer.finish({c: r for c, r in raws.items() if r}, {c: r for c, r in frag_raws.items() if r},
                  new_blocks=new_blocks, index=index,
                  xyz=np.concatenate(xyz) if xyz else None, owner=np.concatenate(owner) if owner else None)
    return [fix]


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
