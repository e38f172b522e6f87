"""Point clouds (spec §2.8): anonymous points in per-bin fragments, points with object ids in
one fragment per (id, chunk); appends; reads by box, id or group equal to numpy's selection.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0, 0], [10, 10, 10]), chunk_shape=(5, 5, 5), ids=True)
    >>> xyz = np.array([[1, 1, 1], [7, 7, 7], [2, 8, 1]], "f4")
    >>> _ = s.write_points(xyz, ids=[4, 4, 9])
    >>> s.read_points(ids=[4]).xyz.tolist(), s.read_points(box=((0, 5, 0), (5, 10, 5))).ids.tolist()
    ([[1.0, 1.0, 1.0], [7.0, 7.0, 7.0]], [9])
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from zarrkit.errors import VectorInputError, ZarrkitWarning
from zarrkit.vectors import zvx
from zarrkit.vectors.encoding import encode_fragments, encode_ranges
from zarrkit.vectors.fast import cell_ranks, fragment_rows, gather_ranges, inside_box, range_payloads, stable_order
from zarrkit.vectors.inputs import check_vertices, decode_rows, prepare_attributes, strings_of
from zarrkit.vectors.level import VertexCells, arrays_present, write_vertex_cells
from zarrkit.vectors.objects import ObjectIndex, read_groups, write_groups, write_object_attributes

__all__ = ["Points", "WriteReport", "read_points", "write_points"]


@dataclass
class Points:
    """Points read from a store: positions, object ids (``None`` when anonymous), attributes."""

    xyz: np.ndarray
    ids: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class WriteReport:
    """What a write call stored."""

    vertices: int
    object_ids: np.ndarray
    chunks_touched: int
    seconds: float


def _split(keys_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique values of a sorted array and the start of each run (plus the end)."""
    if keys_sorted.size == 0:
        return keys_sorted, np.zeros(1, np.int64)
    starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
    return keys_sorted[starts], np.r_[starts, keys_sorted.size]


def point_mode(vs, level: int = 0) -> str | None:
    """``"ids"``, ``"anonymous"`` or ``None`` (nothing written yet)."""
    if ObjectIndex.read(vs.store, str(level)) is not None:
        return "ids"
    return "anonymous" if vs.level_info(level).vertex_count else None


def _bin_fragments(vs, xyz: np.ndarray, bins) -> tuple[np.ndarray, np.ndarray, int]:
    """(absolute cell, fragment number) per vertex for anonymous points, and fragments per chunk."""
    bpc = np.array([int(round(c / b)) for c, b in zip(vs.root.chunk_shape, bins)], np.int64)
    b = np.floor(xyz.astype(np.float64) / np.asarray(bins, np.float64)).astype(np.int64)
    cells = np.floor_divide(b, bpc)
    local = b - cells * bpc
    strides = np.array([int(np.prod(bpc[i + 1:])) for i in range(len(bpc))], np.int64)
    return cells, local @ strides, int(np.prod(bpc))


def write_points(vs, xyz, *, ids=None, attributes=None, object_attributes=None, groups=None, level: int = 0,
                 on_out_of_bounds: str = "raise", on_pyramid: str = "raise", bins=None) -> WriteReport:
    """Append points; see :meth:`zarrkit.vectors.VectorStore.write_points`.

    Everything is checked before the first write: finite positions, bounds, attribute
    names/shapes/dtypes, and the point mode (ids or anonymous, fixed by the first write).
    """
    t0 = time.perf_counter()
    raw = np.asarray(xyz)
    n = raw.shape[0] if raw.ndim == 2 else -1
    mode = point_mode(vs, level)
    if ids is not None:
        ids = np.asarray(ids)
        if ids.shape != (n,) or ids.dtype.kind not in "iu" or (ids.size and ids.min() < 0):
            raise VectorInputError(f"ids must be {n} non-negative integers", url=vs.store.url, path=f"{level}")
        ids = ids.astype(np.int64)
    want = "ids" if ids is not None else "anonymous"
    fixed = mode or ({True: "ids", False: "anonymous"}.get(vs.options.get("ids")) if vs.options.get("ids") is not None
                     else None)
    if fixed is not None and fixed != want:
        raise VectorInputError(f"this store holds {fixed} points; a write with{'out' if ids is None else ''} ids "
                               "cannot mix in", url=vs.store.url, path=f"{level}")
    columns = prepare_attributes(vs, level, "vertex_attributes", attributes, n)
    if level == 0:
        vs.check_pyramid(on_pyramid)
    xyz = check_vertices(vs, raw, on_out_of_bounds)
    if want == "ids" and mode is None and level == 0 and vs.root.bin_shape != vs.root.chunk_shape:
        warnings.warn("points with ids: base_bin_shape reset to the chunk shape (zarr_vectors 0.9.2 box queries "
                      "drop points with finer bins, spec §4 #1)", ZarrkitWarning, stacklevel=3)
        vs.root.bin_shape = list(vs.root.chunk_shape)
        vs.root.level_bins[0] = list(vs.root.chunk_shape)
        vs.write_root()
    extras = zvx.begin(vs, level)
    sink: dict = {}
    index = ObjectIndex.read(vs.store, str(level))
    if extras is not None:
        extras.remember_ids(index)
    if want == "ids":
        touched, new_blocks = _write_with_ids(vs, level, xyz, ids, columns, sink)
    else:
        touched = _write_anonymous(vs, level, xyz, columns, bins or vs.root.bin_shape, sink)
        new_blocks = {}
    if new_blocks:
        index = (index or ObjectIndex(np.zeros(0, np.int64), [])).merged(new_blocks)
    if object_attributes:  # before the index: old attribute rows follow the old index rows on disk
        write_object_attributes(vs.store, str(level), index, object_attributes, codecs=vs.codecs)
    if new_blocks:
        index.write(vs.store, str(level), ndim=vs.ndim, codecs=vs.codecs)
    if groups:
        write_groups(vs.store, str(level), groups, codecs=vs.codecs)
    info = vs.level_info(level)
    info.vertex_count += len(xyz)
    info.arrays_present = arrays_present(vs, level)
    info.fragments_tile = True  # both point layouts keep ranges partitioning every chunk's rows in order
    vs.write_level(info)
    if extras is not None:
        extras.finish(sink.get("vertices", {}), sink.get("fragments", {}), new_blocks=new_blocks, index=index,
                      xyz=xyz, owner=ids, stats=sink.get("stats"))
    object_ids = np.unique(ids) if ids is not None else np.zeros(0, np.int64)
    return WriteReport(len(xyz), object_ids, touched, time.perf_counter() - t0)


def _existing(vs, level: int, lin_unique: np.ndarray) -> tuple[list[tuple[int, ...]], VertexCells | None]:
    verts = vs.cells(level, "vertices")
    cells = [tuple(c) for c in vs.root.grid.unlinear(lin_unique).tolist()]
    if verts is None:
        return cells, None
    stored = set(verts.nonempty_quiet())
    old = [c for c in cells if c in stored]
    return cells, VertexCells.read(vs, level, old) if old else None


def _write_anonymous(vs, level: int, xyz: np.ndarray, columns, bins, sink: dict | None = None) -> int:
    grid = vs.root.grid
    cells, frags, nfrag = _bin_fragments(vs, xyz, bins)
    lin = grid.linear(cells)
    uniq, cell_of = cell_ranks(lin, grid)
    touched, old = _existing(vs, level, uniq)
    all_xyz, all_lin, all_frag, all_attr = xyz, lin, frags, {c.name: c.rows for c in columns}
    if old is not None:
        # old rows first, so each bin keeps its old rows ahead of the new ones
        pieces_xyz, pieces_lin, pieces_attr = [], [], {c.name: [] for c in columns}
        for cell, arr in old.vertices.items():
            pieces_xyz.append(arr)
            pieces_lin.append(np.full(len(arr), grid.linear(np.array([cell]))[0], np.int64))
            for c in columns:
                pieces_attr[c.name].append(old.attributes[c.name][cell])
        all_xyz = np.concatenate([*pieces_xyz, xyz]).astype(vs.dtype, copy=False)
        all_lin = np.concatenate([*pieces_lin, lin])
        all_attr = {c.name: np.concatenate([*pieces_attr[c.name], c.rows]) for c in columns}
        _, all_frag, _ = _bin_fragments(vs, all_xyz, bins)
        uniq, cell_of = cell_ranks(all_lin, grid)
    # one stable order by (cell, bin); input order within a bin
    key = cell_of * nfrag + all_frag
    order = stable_order(key)
    sorted_xyz = np.take(np.asarray(all_xyz, vs.dtype.newbyteorder("<")), order, axis=0)
    counts = np.bincount(key, minlength=len(uniq) * nfrag).reshape(len(uniq), nfrag)
    bounds = np.r_[0, np.cumsum(counts.sum(axis=1))]
    coords = [tuple(c) for c in grid.unlinear(uniq).tolist()]
    sorted_attr = {name: np.take(rows, order, axis=0) for name, rows in all_attr.items()}
    v_pay = {cell: sorted_xyz[bounds[i]:bounds[i + 1]].tobytes() for i, cell in enumerate(coords)}
    f_pay = dict(zip(coords, range_payloads(counts)))
    a_pay = {name: {cell: rows[bounds[i]:bounds[i + 1]].tobytes() for i, cell in enumerate(coords)}
             for name, rows in sorted_attr.items()}
    write_vertex_cells(vs, level, v_pay, f_pay, a_pay, columns)
    if sink is not None:  # for the extras (zvx): what each written cell now holds
        sink.update(vertices=v_pay, fragments=f_pay, stats=_cell_stats(grid, uniq, sorted_xyz, bounds, True))
    return len(touched)


def _cell_stats(grid, lin: np.ndarray, xyz_sorted: np.ndarray, bounds: np.ndarray, whole: bool):
    """Row count, minima and maxima of each run ``bounds[i]:bounds[i+1]`` (all non-empty), per cell."""
    x = xyz_sorted.astype(np.float64)
    starts = bounds[:-1]
    if len(starts) == 0:
        d = grid.ndim
        return np.zeros((0, d), np.int64), np.zeros(0, np.int64), np.zeros((0, d)), np.zeros((0, d)), whole
    return (grid.unlinear(lin), np.diff(bounds), np.minimum.reduceat(x, starts, axis=0),
            np.maximum.reduceat(x, starts, axis=0), whole)


def _write_with_ids(vs, level: int, xyz: np.ndarray, ids: np.ndarray, columns, sink=None):
    touched, pairs, _ = write_grouped(vs, level, xyz, ids, columns, sink)
    # manifest blocks per id, in C order of chunk (pairs are sorted by cell, then id)
    by_id = np.argsort(pairs.keys, kind="stable")
    uid, ub = _split(pairs.keys[by_id])
    blocks = {int(o): (pairs.cells[by_id[ub[j]:ub[j + 1]]], pairs.frags[by_id[ub[j]:ub[j + 1]]])
              for j, o in enumerate(uid.tolist())}
    return touched, blocks


@dataclass
class Pairs:
    """The new fragments of a grouped write: one per (cell, key), sorted by cell then key."""

    cells: np.ndarray
    keys: np.ndarray
    frags: np.ndarray


def write_grouped(vs, level: int, xyz: np.ndarray, keys: np.ndarray, columns, sink: dict | None = None):
    """Append vertices grouped by ``(cell, key)``: rows sorted by key within each cell (stable),
    one new range fragment per (cell, key) after the cell's existing rows and fragments.

    Returns ``(cells touched, Pairs, local row of each input vertex)``.
    """
    grid = vs.root.grid
    lin = grid.linear(grid.cells_of(xyz))
    order = stable_order(keys)  # = np.lexsort((keys, lin)) by two stable radix sorts
    order = order[stable_order(lin[order])]
    lin_s, keys_s = lin[order], keys[order]
    xyz_s = np.take(np.asarray(xyz, vs.dtype.newbyteorder("<")), order, axis=0)
    attrs_s = {c.name: np.ascontiguousarray(c.rows[order]) for c in columns}
    uniq, bounds = _split(lin_s)
    touched, old = _existing(vs, level, uniq)
    pair_start = np.flatnonzero(np.r_[True, (lin_s[1:] != lin_s[:-1]) | (keys_s[1:] != keys_s[:-1])]) \
        if len(lin_s) else np.zeros(0, np.int64)
    pair_count = np.diff(np.r_[pair_start, len(lin_s)])
    pair_cell = np.searchsorted(uniq, lin_s[pair_start])
    first_pair = np.searchsorted(pair_cell, np.arange(len(uniq)))
    pair_frag = np.zeros(len(pair_start), np.int64)
    local_sorted = np.zeros(len(lin_s), np.int64)
    v_pay, f_pay, a_pay = {}, {}, {c.name: {} for c in columns}
    for i, cell in enumerate(tuple(c) for c in grid.unlinear(uniq).tolist()):
        a, b = bounds[i], bounds[i + 1]
        p0, p1 = first_pair[i], (first_pair[i + 1] if i + 1 < len(uniq) else len(pair_start))
        n_old, frags_old, old_v = 0, [], None
        if old is not None and cell in old.vertices:
            old_v = old.vertices[cell]
            n_old = len(old_v)
            fr = old.fragments[cell]
            frags_old = [(int(s), int(c)) for s, c in fr.ranges()] if fr.is_range.all() else fr.row_lists()
        local_sorted[a:b] = n_old + np.arange(b - a)
        pair_frag[p0:p1] = len(frags_old) + np.arange(p1 - p0)
        starts = n_old + pair_start[p0:p1] - a
        if frags_old:
            f_pay[cell] = encode_fragments(frags_old + list(zip(starts.tolist(), pair_count[p0:p1].tolist())))
        else:
            f_pay[cell] = encode_ranges(starts, pair_count[p0:p1])
        body = xyz_s[a:b].tobytes()
        v_pay[cell] = (old_v.astype(vs.dtype.newbyteorder("<")).tobytes() + body) if old_v is not None else body
        for c in columns:
            prev = old.attributes[c.name][cell].tobytes() if old_v is not None else b""
            a_pay[c.name][cell] = prev + attrs_s[c.name][a:b].tobytes()
    write_vertex_cells(vs, level, v_pay, f_pay, a_pay, columns)
    if sink is not None:  # the new rows of each cell, after its old ones
        sink.update(vertices=v_pay, fragments=f_pay, stats=_cell_stats(grid, uniq, xyz_s, bounds, False))
    local = np.empty(len(lin), np.int64)
    local[order] = local_sorted
    return len(touched), Pairs(grid.unlinear(lin_s[pair_start]), keys_s[pair_start], pair_frag), local


# ---------------------------------------------------------------------------- reads
def _box_cells(vs, stored, box, extras):
    """Stored cells the box can touch, and whether each lies wholly inside it: from the chunk
    grid, narrowed by the tight chunk bounds of valid extras (cells whose vertices miss the box
    are not read; cells whose vertices all lie inside are taken whole)."""
    lo, hi = (np.asarray(b, np.float64) for b in box)
    grid = vs.root.grid
    clo, chi = grid.cells_of(lo[None])[0], grid.cells_of(hi[None])[0]
    cells = np.asarray(stored, np.int64).reshape(-1, vs.ndim)
    cells = cells[np.all((cells >= clo) & (cells <= chi), axis=1)]
    chunk = np.asarray(vs.root.chunk_shape, np.float64)
    c0 = cells * chunk
    full = np.all((c0 >= lo) & (c0 + chunk <= hi), axis=1)
    if extras is not None and len(cells):
        bb = extras.bbox_of(cells)
        known = ~np.isnan(bb).any(axis=(1, 2))
        meets = ~known | np.all((bb[:, 0] <= hi) & (bb[:, 1] >= lo), axis=1)
        full |= known & np.all((bb[:, 0] >= lo) & (bb[:, 1] <= hi), axis=1)
        cells, full = cells[meets], full[meets]
    return [tuple(c) for c in cells.tolist()], full, lo, hi


def read_points(vs, *, box=None, ids=None, groups=None, level: int = 0, attributes: bool = True) -> Points:
    """Points by box (inclusive), object ids or group ids; see the module doc.

    Rows come in C order of chunk and stored order within; by id, in the requested order.
    """
    verts = vs.cells(level, "vertices")
    empty = Points(np.zeros((0, vs.ndim), vs.dtype), None, {})
    if verts is None:
        return empty
    if groups is not None:
        members = read_groups(vs.store, str(level))
        ids = np.unique(np.concatenate([members.get(int(g), np.zeros(0, np.int64)) for g in np.atleast_1d(groups)]))
    if ids is not None:
        index = ObjectIndex.read(vs.store, str(level))
        return _read_by_ids(vs, level, index, np.atleast_1d(np.asarray(ids, np.int64)), box, attributes)
    extras = zvx.Extras.load(vs, level, vertices_attrs=verts.attributes)
    stored = verts.nonempty()
    if box is not None:
        cells, full, lo, hi = _box_cells(vs, stored, box, extras)
    else:
        cells, full = stored, np.ones(len(stored), bool)
    # row owners from the extras when valid (no manifest decoding), else from the object index
    owners, index = None, None
    if extras is not None and extras.has_objects():
        owners = extras.fragment_objects(cells)
    elif extras is None or extras.has_index:
        index = ObjectIndex.read(vs.store, str(level))
        owners = index.fragment_owners(vs.ndim, vs.root.grid, cells) if index is not None else None
    data = VertexCells.read(vs, level, cells, attributes=attributes, fragments=owners is not None)
    if not cells:
        empty_columns = {n: [decode_rows(None, data.specs[n])] for n in data.attributes}
        return _assemble(vs, [], [] if owners is not None else None, empty_columns, data.specs)
    counts = np.array([len(data.vertices[c]) for c in cells], np.int64)
    xyz = np.concatenate([data.vertices[c] for c in cells])
    keep = None
    if box is not None and not full.all():  # partly covered chunks: one filter over their rows
        part = np.repeat(~full, counts)
        keep = np.ones(len(xyz), bool)
        keep[part] = inside_box(xyz[part], lo, hi)
    oid = None
    if owners is not None:
        oid = [np.concatenate([_row_owners(data.fragments[c], owners[c], len(data.vertices[c])) for c in cells])]
    attrs = {n: [np.concatenate([v[c] for c in cells])] for n, v in data.attributes.items()}
    if keep is not None:
        xyz = xyz[keep]
        oid = [oid[0][keep]] if oid is not None else None
        attrs = {n: [v[0][keep]] for n, v in attrs.items()}
    return _assemble(vs, [xyz], oid, attrs, data.specs)


def _row_owners(frags, owner_of: np.ndarray, n: int) -> np.ndarray:
    """The owner id of each of a cell's ``n`` rows, from the owner of each fragment (-1: none)."""
    owner = np.full(len(frags), -1, np.int64)
    k = min(len(frags), len(owner_of))
    owner[:k] = owner_of[:k]
    if len(frags) and frags.tiles(n):  # ranges partitioning the rows in order: one repeat
        return np.repeat(owner, frags.counts)
    out = np.full(n, -1, np.int64)
    for f in np.flatnonzero(owner >= 0).tolist():
        out[frags.rows_of(f)] = owner[f]
    return out


def _assemble(vs, xyz, oid, attrs, specs) -> Points:
    cat = np.concatenate(xyz) if xyz else np.zeros((0, vs.ndim), vs.dtype)
    ids = (np.concatenate(oid) if oid else np.zeros(0, np.int64)) if oid is not None else None
    values = {n: strings_of(np.concatenate(p), specs[n]) if p else np.zeros(0) for n, p in attrs.items()}
    return Points(np.asarray(cat, vs.dtype), ids, values)


def _read_by_ids(vs, level, index, wanted, box, attributes) -> Points:
    if index is None:
        raise VectorInputError("this level has no object index: read anonymous points by box",
                               url=vs.store.url, path=f"{level}")
    owner, block_cells, block_frags = index.plan(wanted, vs.ndim)
    grid = vs.root.grid
    lin = grid.linear(block_cells) if len(block_cells) else np.zeros(0, np.int64)
    uniq = np.unique(lin)
    cells = [tuple(c) for c in grid.unlinear(uniq).tolist()] if len(uniq) else []
    data = VertexCells.read(vs, level, cells, attributes=attributes)
    starts, counts, per_block = fragment_rows(data, cells, np.searchsorted(uniq, lin), block_frags)
    idx = gather_ranges(starts, counts)
    xyz = np.concatenate([data.vertices[c] for c in cells]) if cells else np.zeros((0, vs.ndim), vs.dtype)
    attrs = {n: [np.concatenate([v[c] for c in cells])[idx]] for n, v in data.attributes.items()}
    out = _assemble(vs, [xyz[idx]], [np.repeat(owner, per_block)], attrs, data.specs)
    if box is not None:
        keep = inside_box(out.xyz, *box)
        out = Points(out.xyz[keep], out.ids[keep], {n: v[keep] for n, v in out.attributes.items()})
    return out
