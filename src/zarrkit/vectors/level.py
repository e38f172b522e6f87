"""Reading and writing the vertex side of a level: ``vertices``, ``vertex_fragments`` and
``vertex_attributes/<name>`` cells, always together and row-aligned.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_points(np.array([[1.0, 1.0], [6.0, 1.0]]))
    >>> cells = VertexCells.read(s, 0, [(1, 0)])
    >>> cells.vertices[(1, 0)].tolist(), len(cells.fragments[(1, 0)])
    ([[6.0, 1.0]], 16)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, VectorFormatError
from zarrkit.vectors.cells import CellArray
from zarrkit.vectors.encoding import Fragments, decode_fragments
from zarrkit.vectors.inputs import AttributeColumn, decode_rows

__all__ = ["VertexCells", "write_vertex_cells"]


def attribute_specs(vs, level: int, family: str = "vertex_attributes") -> dict[str, dict[str, Any]]:
    """``{name: array attributes}`` of a level's attribute family."""
    try:
        return {n: m.attributes for n, m in core.list_children(vs.store, f"{level}/{family}") if m.node_type == "array"}
    except NodeNotFoundError:
        return {}


class VertexCells:
    """Decoded vertex cells: ``vertices[cell]`` (n, D), ``fragments[cell]``, ``attributes[name][cell]``."""

    def __init__(self) -> None:
        self.vertices: dict[tuple[int, ...], np.ndarray] = {}
        self.fragments: dict[tuple[int, ...], Fragments] = {}
        self.attributes: dict[str, dict[tuple[int, ...], np.ndarray]] = {}
        self.specs: dict[str, dict[str, Any]] = {}

    @classmethod
    def read(cls, vs, level: int, cells, *, attributes: bool = True, fragments: bool = True) -> VertexCells:
        out = cls()
        cells = [tuple(int(v) for v in c) for c in cells]
        verts = vs.cells(level, "vertices")
        if verts is None or not cells:
            if attributes and verts is not None:  # no rows, but the columns (names, dtypes) all the same
                out.specs = attribute_specs(vs, level)
                out.attributes = {name: {} for name in out.specs}
            return out
        dtype = np.dtype(verts.attributes.get("dtype", "float32")).newbyteorder("<")
        if verts.attributes.get("encoding", "raw") != "raw":
            raise VectorFormatError(f"vertex encoding {verts.attributes.get('encoding')!r} is not supported",
                                    url=vs.store.url, path=verts.path)
        for cell, raw in zip(cells, verts.read(cells)):
            arr = np.frombuffer(raw, dtype).reshape(-1, vs.ndim) if raw else np.zeros((0, vs.ndim), dtype)
            out.vertices[cell] = arr
        if fragments:
            frag_cells = vs.cells(level, "vertex_fragments")
            raws = frag_cells.read(cells) if frag_cells is not None else [None] * len(cells)
            for cell, raw in zip(cells, raws):
                n = len(out.vertices[cell])
                if raw is None:
                    # no index: the whole cell is one fragment
                    out.fragments[cell] = decode_fragments(_one_range(n))
                else:
                    out.fragments[cell] = decode_fragments(
                        raw, where=f"{vs.store.url} node '/{level}/vertex_fragments' cell {cell}")
        if attributes:
            out.specs = attribute_specs(vs, level)
            for name, spec in out.specs.items():
                arr = CellArray(vs.store, f"{level}/vertex_attributes/{name}",
                                core.read_metadata(vs.store, f"{level}/vertex_attributes/{name}"), vs.root.grid)
                out.attributes[name] = {c: decode_rows(r, spec) for c, r in zip(cells, arr.read(cells))}
        return out


def _one_range(n: int) -> bytes:
    from zarrkit.vectors.encoding import encode_ranges

    return encode_ranges(np.array([0]), np.array([n])) if n else encode_ranges(np.zeros(0), np.zeros(0))


def write_vertex_cells(vs, level: int, vertices: dict, fragments: dict, columns: dict[str, dict],
                       specs: list[AttributeColumn]) -> None:
    """Store cell payloads (``{cell: bytes}``) of vertices, fragments and each attribute; stamp occupancy."""
    if not vertices:
        return
    verts = vs.cells(level, "vertices") or vs.new_cells(
        level, "vertices", {"zv_array": "vertices", "dtype": vs.dtype.name, "encoding": "raw"}, vs.dtype.itemsize)
    frags = vs.cells(level, "vertex_fragments") or vs.new_cells(
        level, "vertex_fragments", {"zv_array": "vertex_fragments", "encoding": "fragment_index_v1"}, 8)
    verts.write(vertices)
    frags.write(fragments)
    if specs:
        try:
            core.read_metadata(vs.store, f"{level}/vertex_attributes")
        except NodeNotFoundError:
            core.create_group(vs.store, f"{level}/vertex_attributes")
    for column in specs:
        path = f"{level}/vertex_attributes/{column.name}"
        try:
            arr = CellArray.open(vs.store, path, vs.root.grid)
            if column.spec.get("categories") != arr.attributes.get("categories"):
                arr.update(categories=column.spec.get("categories"))
        except NodeNotFoundError:
            arr = vs.new_cells(level, f"vertex_attributes/{column.name}", {"zv_array": "attribute", **column.spec},
                               np.dtype(column.spec["dtype"]).itemsize)
        arr.write(columns[column.name])


def arrays_present(vs, level: int) -> list[str]:
    """The families on disk (first path segment of each array plus the object-side arrays), never ``zvx``."""
    try:
        names = [n for n, _ in core.list_children(vs.store, str(level))]
    except NodeNotFoundError:
        return []
    return sorted(n for n in names if n != "zvx")
