"""Reading polylines and streamlines (spec §3.3) by id, group and/or an inclusive box, with
the clip modes ``"whole"``, ``"inside"`` and ``"exact"``.

A box read decodes the manifests once (in numpy) and reads only the blocks that can matter:
those in a chunk of the box's chunk range and, unless ``clip="inside"``, their neighbours
along the line when the segment between them may cross the box (the chunk hull of its two
ends meets the range).  Parts never span a skipped block: a skipped block has no vertex in
the box, and the segments around it cannot meet it.  ``"whole"`` then reads the remaining
blocks of the lines that hit.  Every answer equals clipping the full lines with numpy.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "polylines", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_polylines([np.array([[1, 1], [7, 1], [7, 7]], "f4")])
    >>> p = s.read_polylines(box=((0, 0), (4, 4)), clip="exact")
    >>> p.vertices.tolist(), p.inserted.tolist()
    ([[1.0, 1.0], [4.0, 1.0]], [False, True])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zarrkit.errors import VectorInputError
from zarrkit.vectors.clip import clip_line, segment_params
from zarrkit.vectors.fast import fragment_rows, gather_ranges, inside_box
from zarrkit.vectors.inputs import decode_rows, strings_of
from zarrkit.vectors.level import VertexCells, attribute_specs
from zarrkit.vectors.objects import ObjectIndex, read_groups, read_object_attributes

__all__ = ["Polylines", "read_polylines"]


@dataclass
class Polylines:
    """Polylines as flat ``vertices`` with ``offsets (P+1,)``; ``ids`` per polyline (or part)."""

    vertices: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    object_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    inserted: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def line(self, i: int) -> np.ndarray:
        return self.vertices[self.offsets[i]:self.offsets[i + 1]]


class _Blocks:
    """Vertex cells read so far and the rows of chosen manifest blocks."""

    def __init__(self, vs, level: int) -> None:
        self.vs, self.level = vs, level
        self.data = VertexCells()
        self.specs = None

    def gather(self, cells: np.ndarray, frags: np.ndarray):
        """``(xyz, attributes, rows per block)`` of the blocks ``(cells[i], frags[i])``, in order."""
        vs, grid = self.vs, self.vs.root.grid
        lin = grid.linear(cells) if len(cells) else np.zeros(0, np.int64)
        uniq = np.unique(lin)
        coords = [tuple(c) for c in grid.unlinear(uniq).tolist()] if len(uniq) else []
        missing = [c for c in coords if c not in self.data.vertices]
        if missing or self.specs is None:
            more = VertexCells.read(vs, self.level, missing)
            self.data.vertices.update(more.vertices)
            self.data.fragments.update(more.fragments)
            for n, v in more.attributes.items():
                self.data.attributes.setdefault(n, {}).update(v)
            self.specs = more.specs if self.specs is None or more.specs else self.specs
        starts, counts, per_block = fragment_rows(self.data, coords, np.searchsorted(uniq, lin), frags)
        idx = gather_ranges(starts, counts)
        if not coords:
            self.specs = self.specs or attribute_specs(vs, self.level)
            return (np.zeros((0, vs.ndim), vs.dtype), {n: decode_rows(None, spec) for n, spec in self.specs.items()},
                    per_block)
        xyz = np.concatenate([self.data.vertices[c] for c in coords])[idx]
        attrs = {n: np.concatenate([v[c] for c in coords])[idx] for n, v in self.data.attributes.items()}
        return xyz, attrs, per_block


def _in_box(x: np.ndarray, lo, hi) -> np.ndarray:
    return inside_box(x, lo, hi)


def read_polylines(vs, *, ids=None, box=None, clip: str = "whole", level: int = 0, groups=None) -> Polylines:
    """Polylines by id (requested order; else ascending) and/or box (see the module doc).

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "polylines", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
        >>> _ = s.write_polylines([np.array([[1, 1], [7, 1]], "f4"), np.array([[8, 8], [9, 9]], "f4")])
        >>> read_polylines(s, box=((0, 0), (4, 4)), clip="whole").ids.tolist()
        [0]
    """
    if clip not in ("whole", "inside", "exact"):
        raise VectorInputError(f"clip must be 'whole', 'inside' or 'exact', got {clip!r}")
    index = ObjectIndex.read(vs.store, str(level))
    empty = Polylines(np.zeros((0, vs.ndim), vs.dtype), np.zeros(1, np.int64), np.zeros(0, np.int64))
    if index is None:
        return empty
    if groups is not None:
        members = read_groups(vs.store, str(level))
        ids = np.unique(np.concatenate([members.get(int(g), np.zeros(0, np.int64)) for g in np.atleast_1d(groups)]))
    ids = index.ids if ids is None else np.atleast_1d(np.asarray(ids, np.int64))
    owner, cells, frags = index.plan(ids, vs.ndim)
    blocks = _Blocks(vs, level)
    if box is None:
        xyz, attrs, per_block = blocks.gather(cells, frags)
        line_ids, counts = _per_object(owner, per_block)
        parts = (xyz, np.r_[0, np.cumsum(counts)], line_ids, attrs, np.zeros(len(xyz), bool))
    else:
        lo, hi = (np.asarray(b, np.float64) for b in box)
        parts = _read_box(vs, blocks, owner, cells, frags, lo, hi, clip)
    xyz, offsets, part_ids, attrs, inserted = parts
    objattr = read_object_attributes(vs.store, str(level))
    obj_out = {k: v[np.searchsorted(rid, np.asarray(part_ids, np.int64))] if len(part_ids) else v[:0]
               for k, (rid, v) in objattr.items()}
    specs = blocks.specs or {}
    return Polylines(xyz, np.asarray(offsets, np.int64), np.asarray(part_ids, np.int64),
                     {n: strings_of(v, specs[n]) if n in specs else v for n, v in attrs.items()}, obj_out, inserted)


def _per_object(owner: np.ndarray, per_block: np.ndarray):
    """Object of each run of consecutive blocks of one owner, and its row count."""
    if len(owner) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    start = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    return owner[start], np.add.reduceat(per_block, start)


def _read_box(vs, blocks: _Blocks, owner, cells, frags, lo, hi, clip):
    grid = vs.root.grid
    clo, chi = grid.cells_of(lo[None])[0], grid.cells_of(hi[None])[0]
    in_range = np.all((cells >= clo) & (cells <= chi), axis=1)
    need = in_range.copy()
    if clip != "inside" and len(cells) > 1:
        pair_lo, pair_hi = np.minimum(cells[:-1], cells[1:]), np.maximum(cells[:-1], cells[1:])
        pair = (owner[1:] == owner[:-1]) & np.all((pair_lo <= chi) & (pair_hi >= clo), axis=1)
        need[:-1] |= pair
        need[1:] |= pair
    sel = np.flatnonzero(need)
    xyz, attrs, per_block = blocks.gather(cells[sel], frags[sel])
    # pieces: runs of needed blocks that follow each other in one manifest
    new_piece = np.r_[True, (np.diff(sel) != 1) | (owner[sel][1:] != owner[sel][:-1])] if len(sel) else np.zeros(0, bool)
    piece_of_block = np.cumsum(new_piece) - 1
    piece = np.repeat(piece_of_block, per_block)
    piece_owner = owner[sel][new_piece]
    inside = _in_box(xyz, lo, hi)
    if clip == "inside":
        same = np.r_[False, piece[1:] == piece[:-1]] & np.r_[False, inside[:-1]]
        start = inside & ~same
        keep = np.flatnonzero(inside)
        run = (np.cumsum(start) - 1)[keep]
        counts = np.bincount(run, minlength=int(start.sum())) if len(run) else np.zeros(0, np.int64)
        return (xyz[keep], np.r_[0, np.cumsum(counts)], piece_owner[piece[np.flatnonzero(start)]],
                {n: v[keep] for n, v in attrs.items()}, np.zeros(len(keep), bool))
    bounds = np.r_[0, np.cumsum(np.bincount(piece, minlength=len(piece_owner)))] if len(piece) else np.zeros(1, int)
    if clip == "exact":
        return _exact(xyz, attrs, bounds, piece_owner, lo, hi)
    x = xyz.astype(np.float64)
    seg = np.flatnonzero(piece[1:] == piece[:-1]) if len(piece) > 1 else np.zeros(0, np.int64)
    hit_piece = np.zeros(len(piece_owner), bool)
    hit_piece[piece[inside]] = True
    crossing = segment_params(x[seg], x[seg + 1], lo, hi)[2]
    hit_piece[piece[seg[crossing]]] = True
    hit = np.isin(owner, piece_owner[hit_piece])
    xyz, attrs, per_block = blocks.gather(cells[hit], frags[hit])
    line_ids, counts = _per_object(owner[hit], per_block)
    return xyz, np.r_[0, np.cumsum(counts)], line_ids, attrs, np.zeros(len(xyz), bool)


def _exact(xyz, attrs, bounds, piece_owner, lo, hi):
    parts, part_ids, part_attrs, flags = [], [], {n: [] for n in attrs}, []
    for i, oid in enumerate(piece_owner.tolist()):
        a, b = bounds[i], bounds[i + 1]
        for pts, values, inserted in clip_line(xyz[a:b], {n: v[a:b] for n, v in attrs.items()}, lo, hi):
            parts.append(pts)
            part_ids.append(oid)
            flags.append(inserted)
            for n in attrs:
                part_attrs[n].append(values[n])
    if not parts:
        return (np.zeros((0, xyz.shape[1])), np.zeros(1, np.int64), np.zeros(0, np.int64),
                {n: v[:0] for n, v in attrs.items()}, np.zeros(0, bool))
    return (np.concatenate(parts), np.r_[0, np.cumsum([len(p) for p in parts])], np.asarray(part_ids, np.int64),
            {n: np.concatenate(v) for n, v in part_attrs.items()}, np.concatenate(flags))
