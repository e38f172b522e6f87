"""Input order of graph and mesh vertices (spec §2.11, §3.3): ``<k>/zvx/vertex_ids``.

Graph and mesh writers group a call's vertices by chunk and object, so stored rows lose the
order the caller gave.  ``zvx/vertex_ids`` is a per-chunk array aligned with the vertex rows:
one ``<i8`` ordinal per row, the vertex's position in the level's input (vertices of earlier
calls first).  Like every zarrkit extra it lives under ``zvx/``, which zarr_vectors never
reads, and it is trusted only while the extras' fingerprint matches the level; readers then
return vertices in input order, otherwise in stored order.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "graph", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_graph(np.array([[7, 7], [1, 1], [7, 1]], "f4"), np.array([[0, 1], [1, 2]]))
    >>> s.read_graph().nodes.tolist()   # as written, though stored chunk by chunk
    [[7.0, 7.0], [1.0, 1.0], [7.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError
from zarrkit.vectors.cells import CellArray, open_cells

__all__ = ["NAME", "read_vertex_ids", "write_vertex_ids"]

NAME = "vertex_ids"


def write_vertex_ids(vs, level: int, writer, cells: np.ndarray, local: np.ndarray, base: int) -> bool:
    """After a graph or mesh write: append the ordinals ``base + i`` of this call's vertices
    (absolute ``cells``, chunk-local rows ``local``) to their cells.  Only when the level's
    extras cover every earlier row (an empty level, or extras that already hold vertex ids);
    returns whether the ids are complete."""
    if writer is None or (writer.old is not None and NAME not in writer.old.attrs.get("arrays", [])):
        return False
    grid, n = vs.root.grid, len(local)
    path = f"{level}/zvx/{NAME}"
    try:
        core.read_metadata(vs.store, f"{level}/zvx")
    except NodeNotFoundError:
        core.create_group(vs.store, f"{level}/zvx")
    arr = open_cells(vs.store, path, grid) if writer.old is not None else None
    if arr is None:
        arr = CellArray.create(vs.store, path, grid, {"zvx_array": NAME}, codecs=vs.codecs, itemsize=8,
                               overwrite=True)
    if n == 0:
        return True
    lin = grid.linear(cells)
    order = np.lexsort((local, lin))  # rows of each cell in stored order (appended after the old ones)
    lin_s = lin[order]
    starts = np.flatnonzero(np.r_[True, lin_s[1:] != lin_s[:-1]])
    ends = np.r_[starts[1:], n]
    touched = [tuple(c) for c in grid.unlinear(lin_s[starts]).tolist()]
    old = dict(zip(touched, arr.read(touched))) if writer.old is not None else {}
    ordinals = (base + order).astype("<i8")
    arr.write({c: (old.get(c) or b"") + ordinals[a:b].tobytes() for c, a, b in zip(touched, starts, ends)})
    return True


def read_vertex_ids(vs, level: int, extras, cells) -> dict | None:
    """``{cell: ordinal of each stored row}`` when ``extras`` (valid) hold vertex ids, else ``None``."""
    if extras is None or NAME not in extras.attrs.get("arrays", []):
        return None
    arr = open_cells(vs.store, f"{level}/zvx/{NAME}", vs.root.grid)
    if arr is None:
        return None
    cells = [tuple(int(v) for v in c) for c in cells]
    return {c: np.frombuffer(r or b"", "<i8").astype(np.int64) for c, r in zip(cells, arr.read(cells))}
