"""Reading graphs and meshes (spec §3.3) by object id and/or an inclusive box, with the clip
modes ``"inside"``, ``"whole"`` and ``"exact"``.

Only the cells a read can need are read: candidate link records are chosen from the array
names (offsets) and ``nonempty_chunks`` before any cell is fetched (a record stored at
source ``c`` with offsets ``o_j`` spans the chunks ``c + o_j``; it can meet the box only if
that hull meets the box's chunk range), then the vertex cells that hold selected nodes or
those records' endpoints.  The answer equals filtering the whole level with numpy.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "graph", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_graph(np.array([[1, 1], [7, 1]], "f4"), np.array([[0, 1]]))
    >>> g = s.read_graph(box=((0, 0), (4, 4)), clip="exact")
    >>> g.nodes[g.edges].tolist(), g.inserted.tolist()
    ([[[1.0, 1.0], [4.0, 1.0]]], [False, True])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zarrkit.errors import VectorFormatError, VectorInputError
from zarrkit.vectors.clip import clip_polygons, segment_params
from zarrkit.vectors.fast import inside_box
from zarrkit.vectors.inputs import decode_rows, strings_of
from zarrkit.vectors.level import VertexCells, attribute_specs
from zarrkit.vectors.links import Records, read_records
from zarrkit.vectors.objects import ObjectIndex
from zarrkit.vectors.skeleton import implied_records, is_skeleton, merged
from zarrkit.vectors.vertex_order import read_vertex_ids
from zarrkit.vectors.zvx import Extras

__all__ = ["CLIPS", "Graph", "read_linked"]

CLIPS = ("inside", "whole", "exact")


@dataclass
class Graph:
    """Nodes (or mesh vertices) with object ids and attributes, and ``edges`` (or faces) as node
    indices; ``inside`` marks the selected nodes, ``inserted`` the crossing points of ``"exact"``."""

    nodes: np.ndarray
    edges: np.ndarray
    ids: np.ndarray
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    edge_attributes: dict[str, np.ndarray] = field(default_factory=dict)
    inside: np.ndarray | None = None
    inserted: np.ndarray | None = None

    @property
    def vertices(self) -> np.ndarray:
        return self.nodes

    @property
    def faces(self) -> np.ndarray:
        return self.edges


def _in_cells(cells: np.ndarray, wanted_lin: np.ndarray, grid) -> np.ndarray:
    """Whether each ``(..., D)`` cell is among ``wanted_lin`` (linear indices on ``grid``)."""
    on_grid = np.all((cells >= grid.origin) & (cells < grid.origin + np.asarray(grid.shape)), axis=-1)
    lin = grid.linear(np.where(on_grid[..., None], cells, grid.origin))
    return on_grid & np.isin(lin, wanted_lin)


def read_linked(vs, *, ids=None, box=None, clip: str = "inside", level: int = 0) -> Graph:
    """Nodes and the records among them, selected by object ids and/or an inclusive box.

    ``"inside"``: records whose vertices are all selected; ``"whole"``: records with a selected
    vertex or crossing the box, with all their vertices (``inside`` marks the selected ones);
    ``"exact"``: the ``"whole"`` records cut at the box (edges by Liang–Barsky, faces by
    Sutherland–Hodgman and fan-triangulated), crossing points appended and flagged.

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "mesh", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
        >>> _ = s.write_mesh(np.array([[1, 1], [8, 1], [1, 8]], "f4"), np.array([[0, 1, 2]]))
        >>> [len(read_linked(s, box=((0, 0), (4, 4)), clip=c).faces) for c in ("inside", "whole", "exact")]
        [0, 1, 2]
    """
    if clip not in CLIPS:
        raise VectorInputError(f"clip must be one of {', '.join(CLIPS)}, got {clip!r}")
    grid, ndim = vs.root.grid, vs.ndim
    verts = vs.cells(level, "vertices")
    index = ObjectIndex.read(vs.store, str(level))
    stored = np.asarray(verts.nonempty() if verts is not None else [], np.int64).reshape(-1, ndim)
    wanted = None if ids is None else np.atleast_1d(np.asarray(ids, np.int64))
    lo = hi = None
    sel = np.ones(len(stored), bool)  # cells that can hold selected nodes
    id_lin = None
    if wanted is not None:
        id_cells = index.plan(wanted, ndim)[1] if index is not None else np.zeros((0, ndim), np.int64)
        id_lin = np.unique(grid.linear(id_cells)) if len(id_cells) else np.zeros(0, np.int64)
        sel &= np.isin(grid.linear(stored), id_lin) if len(stored) else sel
    if box is not None:
        lo, hi = (np.asarray(b, np.float64) for b in box)
        clo, chi = grid.cells_of(lo[None])[0], grid.cells_of(hi[None])[0]
        sel &= np.all((stored >= clo) & (stored <= chi), axis=1)
    extras = Extras.load(vs, level)
    if box is not None and extras is not None and sel.any():
        # tight chunk bounds: a chunk whose vertices all miss the box holds no selected node
        bb = extras.bbox_of(stored[sel])
        meets = np.isnan(bb).any(axis=(1, 2)) | np.all((bb[:, 0] <= hi) & (bb[:, 1] >= lo), axis=1)
        sel[np.flatnonzero(sel)[~meets]] = False
    sel_lin = grid.linear(stored[sel]) if len(stored) else np.zeros(0, np.int64)
    filtered = wanted is not None or box is not None

    def select_ends(ends: np.ndarray) -> np.ndarray:  # (S, L, D) endpoint cells -> records to read
        in_sel = _in_cells(ends, sel_lin, grid)
        if clip == "inside":
            return in_sel.all(axis=1)
        keep = in_sel.any(axis=1)
        if box is not None:  # a record whose chunk hull meets the box's chunk range may cross it
            crossing = np.all((ends.min(axis=1) <= chi) & (ends.max(axis=1) >= clo), axis=1)
            if id_lin is not None:
                crossing &= _in_cells(ends, id_lin, grid).any(axis=1)
            keep |= crossing
        return keep

    def select(rel: np.ndarray, src: np.ndarray) -> np.ndarray:
        return select_ends(src[:, None, :] + rel[None])

    if is_skeleton(vs):
        rec = _with_implied(vs, level, select_ends if filtered else None, stored[sel], sel_lin)
    else:
        rec = read_records(vs, level, select=select if filtered else None)
    width = rec.rows.shape[1]
    need = stored[sel]
    if clip != "inside" and len(rec.rows):
        need = np.r_[need, rec.cells.reshape(-1, ndim)]
    need_lin = np.unique(grid.linear(need)) if len(need) else np.zeros(0, np.int64)
    cells = [tuple(c) for c in grid.unlinear(need_lin).tolist()] if len(need_lin) else []
    nodes = _nodes(vs, level, index, cells, extras)
    nodes.order = _output_order(nodes, read_vertex_ids(vs, level, extras, cells), cells, wanted)
    selected = np.ones(len(nodes.xyz), bool)
    if wanted is not None:
        selected &= np.isin(nodes.ids, wanted)
    in_box = None
    if box is not None:
        in_box = inside_box(nodes.xyz, lo, hi)
        selected &= in_box
    rec_keys = (grid.linear(rec.cells.reshape(-1, ndim)).reshape(-1, width) << 32) | rec.rows
    pos = np.searchsorted(nodes.keys, rec_keys)
    found = pos < len(nodes.keys)
    found[found] = nodes.keys[pos[found]] == rec_keys[found]
    if not found.all():
        raise VectorFormatError(f"{int((~found).sum())} link endpoints point at rows that do not exist",
                                url=vs.store.url, path=f"{level}/links/0")
    hit = selected[pos]
    if clip == "inside":
        return _subgraph(nodes, pos, hit.all(axis=1), selected, selected, rec.attributes)
    keep = hit.any(axis=1)
    if box is not None:
        owned = np.isin(nodes.ids[pos], wanted) if wanted is not None else np.ones(pos.shape, bool)
        maybe = np.flatnonzero(~keep & owned.any(axis=1))
        keep[maybe] = _crossing(nodes.xyz[pos[maybe]].astype(np.float64), lo, hi)
    if clip == "whole" or box is None:
        nodes_keep = selected.copy()
        nodes_keep[pos[keep].reshape(-1)] = True
        return _subgraph(nodes, pos, keep, nodes_keep, selected, rec.attributes)
    return _exact(nodes, pos[keep], {k: v[keep] for k, v in rec.attributes.items()}, selected, in_box, lo, hi)


def _with_implied(vs, level, select_ends, cells, sel_lin) -> Records:
    """A skeleton's records: the stored ones ``select_ends`` keeps plus the parents implied in
    ``cells`` (spec §2.8).  Records with an endpoint in ``cells`` are read even when the selection
    drops them, since an explicit record overrides its child's implied parent."""
    grid = vs.root.grid
    wide = None
    if select_ends is not None:
        def wide(rel, src):
            ends = src[:, None, :] + rel[None]
            return select_ends(ends) | _in_cells(ends, sel_lin, grid).any(axis=1)
    rec = read_records(vs, level, select=wide)
    implied = implied_records(vs, level, cells, rec)
    if select_ends is not None and len(rec.rows):
        keep = select_ends(rec.cells)
        rec = Records(rec.cells[keep], rec.rows[keep], {k: v[keep] for k, v in rec.attributes.items()})
    return merged(rec, implied, grid)


@dataclass
class _Nodes:
    xyz: np.ndarray
    ids: np.ndarray
    keys: np.ndarray  # linear cell << 32 | row, ascending
    attributes: dict[str, np.ndarray]
    order: np.ndarray | None = None  # output rank of each node (None: stored order)

    def kept(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nodes ``mask`` keeps, in output order, and each node's output index (-1: dropped)."""
        idx = np.flatnonzero(mask)
        if self.order is not None:
            idx = idx[np.argsort(self.order[idx], kind="stable")]
        remap = np.full(len(mask), -1, np.int64)
        remap[idx] = np.arange(len(idx))
        return idx, remap


def _output_order(nodes: _Nodes, ordinals: dict | None, cells, wanted) -> np.ndarray | None:
    """Output ranks: by requested id (first request wins), then input order where
    ``zvx/vertex_ids`` holds it, else stored order (spec §3.3)."""
    n = len(nodes.xyz)
    key = None
    if ordinals is not None:
        key = np.concatenate([ordinals[tuple(int(v) for v in c)] for c in cells]) if cells else np.zeros(0, np.int64)
        if len(key) != n:  # extras that do not match the rows: keep stored order
            key = None
    if wanted is None:
        return key
    uniq, first = np.unique(wanted, return_index=True)
    at = np.minimum(np.searchsorted(uniq, nodes.ids), max(len(uniq) - 1, 0))
    rank = np.where(uniq[at] == nodes.ids, first[at], len(wanted)) if len(uniq) else np.zeros(n, np.int64)
    order = np.lexsort((key if key is not None else np.arange(n), rank))
    out = np.empty(n, np.int64)
    out[order] = np.arange(n)
    return out


def _nodes(vs, level, index, cells, extras=None) -> _Nodes:
    """The nodes of ``cells`` (C order, stored rows) with owners, keys and decoded attributes."""
    from zarrkit.vectors.points import _row_owners

    grid = vs.root.grid
    data = VertexCells.read(vs, level, cells, fragments=index is not None)
    owners = extras.fragment_objects(cells) if extras is not None and index is not None else None
    if owners is None:
        owners = index.fragment_owners(vs.ndim, grid, cells) if index is not None else {}
    xyz, oid, keys, attrs = [], [], [], {n: [] for n in data.attributes}
    for cell in cells:
        arr = data.vertices[cell]
        xyz.append(arr)
        keys.append((int(grid.linear(np.array([cell]))[0]) << 32) | np.arange(len(arr), dtype=np.int64))
        oid.append(_row_owners(data.fragments[cell], owners[cell], len(arr)) if index is not None
                   else np.full(len(arr), -1, np.int64))
        for n in attrs:
            attrs[n].append(data.attributes[n][cell])
    if not cells:  # nothing to read: still every attribute, with no rows
        data.specs = attribute_specs(vs, level)
        attrs = {n: [decode_rows(None, spec)] for n, spec in data.specs.items()}
    return _Nodes(np.concatenate(xyz) if xyz else np.zeros((0, vs.ndim), vs.dtype),
                  np.concatenate(oid) if oid else np.zeros(0, np.int64),
                  np.concatenate(keys) if keys else np.zeros(0, np.int64),
                  {n: strings_of(np.concatenate(v), data.specs[n]) if v else np.zeros(0) for n, v in attrs.items()})


def _subgraph(nodes: _Nodes, pos, keep_rec, nodes_keep, selected, rec_attrs) -> Graph:
    idx, remap = nodes.kept(nodes_keep)
    return Graph(nodes.xyz[idx], remap[pos[keep_rec]], nodes.ids[idx],
                 {k: v[idx] for k, v in nodes.attributes.items()},
                 {k: v[keep_rec] for k, v in rec_attrs.items()}, selected[idx],
                 np.zeros(len(idx), bool))


def _crossing(corners: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether each element (``(K, L, D)`` corners, none inside) meets the closed box."""
    if len(corners) == 0:
        return np.zeros(0, bool)
    overlap = np.all((corners.min(axis=1) <= hi) & (corners.max(axis=1) >= lo), axis=1)
    out = np.zeros(len(corners), bool)
    idx = np.flatnonzero(overlap)
    if corners.shape[1] == 2:
        out[idx] = segment_params(corners[idx, 0], corners[idx, 1], lo, hi)[2]
    elif len(idx):
        out[idx] = clip_polygons(corners[idx], lo, hi)[3] > 0
    return out


def _float_columns(attrs: dict[str, np.ndarray]) -> list[str]:
    return [n for n, v in attrs.items() if np.asarray(v).dtype.kind == "f"]


def _exact(nodes: _Nodes, pos: np.ndarray, rec_attrs, selected, in_box, lo, hi) -> Graph:
    """Cut the kept records at the box; crossing points are appended after the kept nodes."""
    k, width = pos.shape
    if k == 0:
        g = _subgraph(nodes, pos, np.zeros(0, bool), selected, selected, rec_attrs)
        g.nodes = g.nodes.astype(np.float64)
        g.edges = g.edges.reshape(0, 2 if width == 2 else 3)
        return g
    d = nodes.xyz.shape[1]
    floats = _float_columns(nodes.attributes)
    x = nodes.xyz.astype(np.float64)
    cols = [x] + [np.asarray(nodes.attributes[n], np.float64).reshape(len(x), -1) for n in floats]
    table = np.concatenate(cols, axis=1) if cols else x
    corners = table[pos]  # (K, L, C)
    if width == 2:
        t0, t1, _ = segment_params(corners[:, 0, :d], corners[:, 1, :d], lo, hi)
        t = np.stack([t0, t1], axis=1)
        y = corners[:, :1] + t[:, :, None] * (corners[:, 1:2] - corners[:, :1])
        ins = ~in_box[pos]
        near = np.where(ins, np.where(t < 0.5, 0, 1), np.arange(2))
        n = np.full(k, 2, np.int64)
        y[:, :, :d] = np.clip(y[:, :, :d], lo, hi)
    else:
        y, near, ins, n = clip_polygons(corners, lo, hi)
        inside_all = in_box[pos].all(axis=1)  # untouched faces keep their own corners (and all of them)
        if y.shape[1] < width:
            pad = width - y.shape[1]
            y = np.concatenate([y, np.zeros((k, pad, y.shape[2]))], axis=1)
            near = np.concatenate([near, np.zeros((k, pad), near.dtype)], axis=1)
            ins = np.concatenate([ins, np.zeros((k, pad), bool)], axis=1)
        y[inside_all, :width] = corners[inside_all]
        near[inside_all, :width] = np.arange(width)
        ins[inside_all, :width] = False
        n[inside_all] = width
    m = y.shape[1]
    valid = (np.arange(m)[None, :] < n[:, None]) & (n[:, None] >= (2 if width == 2 else 3))
    src = np.take_along_axis(pos, np.minimum(near, width - 1), axis=1)  # original node nearest each output vertex
    orig = valid & ~ins
    nodes_keep = selected.copy()
    nodes_keep[src[orig]] = True
    idx, remap = nodes.kept(nodes_keep)
    base = len(idx)
    new = valid & ins
    new_index = np.full(ins.shape, -1, np.int64)
    new_index[new] = base + np.arange(int(new.sum()))
    ref = np.where(orig, remap[src], new_index)  # (K, M) output node of each output vertex
    if width == 2:
        elements = ref[n >= 2][:, :2]
        elem_of = np.flatnonzero(n >= 2)
    else:  # fan-triangulate every polygon: (0, i, i+1)
        tri_count = np.maximum(n - 2, 0)
        elem_of = np.repeat(np.arange(k), tri_count)
        i = np.arange(int(tri_count.sum())) - np.repeat(np.cumsum(tri_count) - tri_count, tri_count) + 1
        elements = np.stack([ref[elem_of, 0], ref[elem_of, i], ref[elem_of, i + 1]], axis=1)
    out_xyz = np.concatenate([x[idx], y[new][:, :d]])
    attrs, c = {}, d
    for name, v in nodes.attributes.items():
        v = np.asarray(v)
        if name in floats:
            width_n = int(np.prod(v.shape[1:], dtype=np.int64))
            fresh = y[new][:, c:c + width_n].astype(v.dtype).reshape(-1, *v.shape[1:])
            c += width_n
        else:
            fresh = v[src[new]]
        attrs[name] = np.concatenate([v[idx], fresh])
    ids = np.concatenate([nodes.ids[idx], nodes.ids[src[new]]])
    flags = np.r_[np.zeros(base, bool), np.ones(int(new.sum()), bool)]
    inside = np.r_[selected[idx], np.zeros(int(new.sum()), bool)]
    return Graph(out_xyz, elements.astype(np.int64).reshape(-1, 2 if width == 2 else 3), ids, attrs,
                 {name: v[elem_of] for name, v in rec_attrs.items()}, inside, flags)
