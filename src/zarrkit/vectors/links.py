"""Link records (edges, faces, polyline transitions): the placement rule and the
``links/0/<offsets>`` cells (spec §2.6), with aligned ``link_attributes``.

Example:
    >>> from zarrkit.vectors.profile import Grid
    >>> grid = Grid([10, 10], [[0, 0], [29, 29]])
    >>> cells = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 0]]])   # one cross edge, one intra edge
    >>> rows = np.array([[4, 7], [1, 2]])
    >>> placed = place(cells, rows, grid)
    >>> sorted(placed), placed["+1.0"].rows.tolist()
    (['+1.0', '0.0'], [[1, 7, 4]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError
from zarrkit.vectors.cells import CellArray
from zarrkit.vectors.encoding import (
    decode_ragged,
    encode_ragged,
    format_offsets,
    lehmer_codes,
    lehmer_table,
    parse_offsets,
)
from zarrkit.vectors.encoding import encode_ranges as _ranges
from zarrkit.vectors.inputs import decode_rows
from zarrkit.vectors.profile import Grid

__all__ = ["Placed", "Records", "place", "read_records", "write_records"]


@dataclass
class Placed:
    """Records of one links array: source cells ``(K, D)``, stored rows ``(K, W)``, input index ``(K,)``."""

    offsets: list[tuple[int, ...]]
    has_perm: bool
    sources: np.ndarray
    rows: np.ndarray
    index: np.ndarray


def place(cells: np.ndarray, rows: np.ndarray, grid: Grid) -> dict[str, Placed]:
    """Apply the placement rule to ``M`` undirected records of width ``L`` (delta 0)."""
    m, width, ndim = cells.shape
    out: dict[str, Placed] = {}
    if m == 0:
        return out
    intra = np.all(cells == cells[:, :1], axis=(1, 2))
    lin = grid.linear(cells.reshape(-1, ndim)).reshape(m, width)
    keys = (lin << 32) | rows
    sigma = np.argsort(keys, axis=1, kind="stable")
    sigma[intra] = np.arange(width)
    sorted_cells = np.take_along_axis(cells, sigma[:, :, None], axis=1)
    sorted_rows = np.take_along_axis(rows, sigma, axis=1)
    offsets = (sorted_cells[:, 1:] - sorted_cells[:, :1]).reshape(m, -1)
    codes = lehmer_codes(sigma)
    groups, inverse = np.unique(np.c_[~intra, offsets], axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    for g, key in enumerate(groups):
        sel = np.flatnonzero(inverse == g)
        perm = bool(key[0])
        offs = [tuple(int(v) for v in o) for o in key[1:].reshape(width - 1, ndim)]
        src = sorted_cells[sel, 0]
        by_cell = np.argsort(grid.linear(src), kind="stable")  # input order kept within a cell
        sel = sel[by_cell]
        stored = np.c_[codes[sel], sorted_rows[sel]] if perm else sorted_rows[sel]
        out[format_offsets(offs)] = Placed(offs, perm, sorted_cells[sel, 0], stored.astype(np.int64), sel)
    return out


def _ensure_group(store, path: str, attrs=None) -> None:
    try:
        core.read_metadata(store, path)
        if attrs:
            core.update_attributes(store, path, attrs)
    except NodeNotFoundError:
        core.create_group(store, path, attributes=attrs or {})


def _split_cells(sources: np.ndarray, grid: Grid):
    lin = grid.linear(sources)
    starts = np.flatnonzero(np.r_[True, lin[1:] != lin[:-1]])
    return [(tuple(int(v) for v in sources[a]), a, b) for a, b in zip(starts, np.r_[starts[1:], len(lin)])]


def write_records(vs, level: int, width: int, placed: dict[str, Placed], attributes: dict[str, np.ndarray]) -> int:
    """Append placed records (and per-record attributes, input-aligned) to their cells; returns records written."""
    store, grid, lv = vs.store, vs.root.grid, str(level)
    _ensure_group(store, f"{lv}/links")
    _ensure_group(store, f"{lv}/links/0")
    total = 0
    for name, p in placed.items():
        intra = not p.has_perm and not any(any(o) for o in p.offsets)
        path = f"{lv}/links/0/{name}"
        try:
            arr = CellArray.open(store, path, grid)
        except NodeNotFoundError:
            arr = vs.new_cells(level, f"links/0/{name}", {
                "zv_array": "links", "dtype": "int64", "offsets": [list(o) for o in p.offsets],
                "has_perm": p.has_perm, "link_width": width, "level_delta": 0}, 8)
        groups = _split_cells(p.sources, grid)
        cells = [g[0] for g in groups]
        old = dict(zip(cells, arr.read(cells)))
        wide = width + p.has_perm
        payloads, frag_payloads = {}, {}
        for cell, a, b in groups:
            prev = old[cell]
            if intra:
                body = (prev or b"") + p.rows[a:b].astype("<i8").tobytes()
                payloads[cell] = body
                frag_payloads[cell] = _ranges(np.array([0]), np.array([len(body) // (8 * width)]))
            else:
                before = decode_ragged(prev, wide) if prev else np.zeros((0, wide), np.int64)
                payloads[cell] = encode_ragged(np.r_[before, p.rows[a:b]])
        arr.write(payloads)
        if intra and frag_payloads:
            frags = vs.cells(level, "link_fragments") or vs.new_cells(
                level, "link_fragments", {"zv_array": "link_fragments", "encoding": "fragment_index_v1"}, 8)
            frags.write(frag_payloads)
        for attr, values in attributes.items():
            _write_link_attribute(vs, level, name, p, groups, attr, values)
        total += len(p.index)
    fam = core.read_metadata(store, f"{lv}/links/0").attributes
    n = int(fam.get("num_links", 0)) + total
    core.update_attributes(store, f"{lv}/links/0", {
        "zv_array": "links_family", "level_delta": 0, "link_width": width, "directed": False,
        "store": "canonical", "sid_ndim": vs.ndim, "num_links": n, "num_physical_records": n})
    for attr in attributes:
        _ensure_group(store, f"{lv}/link_attributes/{attr}/0",
                      {"zv_array": "link_attribute_family", "name": attr, "level_delta": 0, "num_links": n})
    return total


def _write_link_attribute(vs, level, name, p: Placed, groups, attr, values) -> None:
    store, lv = vs.store, str(level)
    _ensure_group(store, f"{lv}/link_attributes")
    _ensure_group(store, f"{lv}/link_attributes/{attr}")
    _ensure_group(store, f"{lv}/link_attributes/{attr}/0")
    path = f"{lv}/link_attributes/{attr}/0/{name}"
    values = np.asarray(values)
    spec = {"zv_array": "link_attribute", "name": attr, "dtype": values.dtype.name,
            "offsets": [list(o) for o in p.offsets], "level_delta": 0, "row_shape": list(values.shape[1:])}
    try:
        arr = CellArray.open(store, path, vs.root.grid)
    except NodeNotFoundError:
        arr = vs.new_cells(level, f"link_attributes/{attr}/0/{name}", spec, values.dtype.itemsize)
    cells = [g[0] for g in groups]
    old = dict(zip(cells, arr.read(cells)))
    rows = values[p.index]
    arr.write({c: (old[c] or b"") + np.ascontiguousarray(rows[a:b]).astype(values.dtype.newbyteorder("<")).tobytes()
               for c, a, b in groups})


@dataclass
class Records:
    """Decoded records in stored order: endpoint cells ``(K, L, D)``, rows ``(K, L)``, attributes."""

    cells: np.ndarray
    rows: np.ndarray
    attributes: dict[str, np.ndarray]


def read_records(vs, level: int, *, sources=None, select=None) -> Records:
    """Every delta-0 record of the level, direction restored; only those stored at ``sources``
    cells, or at the sources ``select(offsets, stored)`` keeps (``offsets`` ``(L, D)`` with the
    source's zero row first, ``stored`` the array's ``(S, D)`` stored cells; returns a mask),
    so candidates are chosen from array names and ``nonempty_chunks`` before any cell is read."""
    store, grid, lv = vs.store, vs.root.grid, str(level)
    ndim = vs.ndim
    try:
        names = [n for n, m in core.list_children(store, f"{lv}/links/0") if m.node_type == "array"]
        width = int(core.read_metadata(store, f"{lv}/links/0").attributes.get("link_width", 2))
    except NodeNotFoundError:
        return Records(np.zeros((0, 2, ndim), np.int64), np.zeros((0, 2), np.int64), {})
    attr_names = []
    try:
        attr_names = [n for n, _ in core.list_children(store, f"{lv}/link_attributes")]
    except NodeNotFoundError:
        pass
    all_cells, all_rows, all_attrs = [], [], {a: [] for a in attr_names}
    wanted = None if sources is None else {tuple(c) for c in sources}
    for name in sorted(names):
        arr = CellArray.open(store, f"{lv}/links/0/{name}", grid)
        offs = [tuple(o) for o in arr.attributes.get("offsets") or parse_offsets(name)]
        has_perm = bool(arr.attributes.get("has_perm", False))
        intra = not any(any(o) for o in offs)
        stored = arr.nonempty()
        if wanted is not None:
            stored = [c for c in stored if c in wanted]
        if select is not None and stored:
            rel = np.zeros((width, ndim), np.int64)
            if len(offs) >= width - 1:
                rel[1:] = np.asarray(offs[: width - 1], np.int64).reshape(width - 1, ndim)
            mask = select(rel, np.asarray(stored, np.int64))
            stored = [c for c, m in zip(stored, mask.tolist()) if m]
        raws = arr.read(stored)
        attr_arrays = {}
        for a in attr_names:
            try:
                attr_arrays[a] = CellArray.open(store, f"{lv}/link_attributes/{a}/0/{name}", grid)
            except NodeNotFoundError:
                continue
        attr_raws = {a: x.read(stored) for a, x in attr_arrays.items()}
        for i, (cell, raw) in enumerate(zip(stored, raws)):
            wide = width + has_perm
            if intra and not has_perm:
                rec = np.frombuffer(raw or b"", "<i8").reshape(-1, wide).astype(np.int64)
            else:
                rec = decode_ragged(raw, wide, where=f"{arr.path} cell {cell}")
            ends = np.array([cell] + [tuple(c + o for c, o in zip(cell, off)) for off in offs[: width - 1]], np.int64)
            if len(offs) < width - 1:
                ends = np.repeat(np.array([cell]), width, axis=0)
            ecells = np.broadcast_to(ends, (len(rec), width, ndim)).copy()
            erows = rec[:, 1:] if has_perm else rec
            if has_perm:
                _, perms = lehmer_table(width)
                sigma = perms[rec[:, 0]]
                orig_rows = np.empty_like(erows)
                orig_cells = np.empty_like(ecells)
                np.put_along_axis(orig_rows, sigma, erows, axis=1)
                np.put_along_axis(orig_cells, sigma[:, :, None], ecells, axis=1)
                erows, ecells = orig_rows, orig_cells
            all_cells.append(ecells)
            all_rows.append(erows)
            for a, x in attr_arrays.items():
                all_attrs[a].append(decode_rows(attr_raws[a][i], x.attributes))
    attrs = {a: np.concatenate(v) if v else _empty_attribute(store, f"{lv}/link_attributes/{a}/0")
             for a, v in all_attrs.items()}
    if not all_cells:
        return Records(np.zeros((0, width, ndim), np.int64), np.zeros((0, width), np.int64), attrs)
    return Records(np.concatenate(all_cells), np.concatenate(all_rows), attrs)


def _empty_attribute(store, family: str) -> np.ndarray:
    """No rows of a link attribute, with its dtype and row shape (an empty selection keeps its columns)."""
    try:
        for _, meta in core.list_children(store, family):
            if meta.node_type == "array":
                return decode_rows(None, meta.attributes)
    except NodeNotFoundError:
        pass
    return np.zeros(0)
