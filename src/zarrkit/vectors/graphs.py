"""Graphs and meshes (spec §2.8): nodes grouped by chunk then object id, one fragment per
(object, chunk); each edge or face one record placed by the placement rule; edge attributes
aligned in ``link_attributes``.  Reads (by id or box, every clip mode) are in
:mod:`zarrkit.vectors.linkread`.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "graph", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_graph(np.array([[1, 1], [7, 1], [7, 7]], "f4"), np.array([[0, 1], [1, 2]]))
    >>> g = s.read_graph(ids=[0])
    >>> g.nodes[g.edges].tolist()
    [[[1.0, 1.0], [7.0, 1.0]], [[7.0, 1.0], [7.0, 7.0]]]
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from zarrkit.errors import VectorInputError, ZarrkitWarning
from zarrkit.vectors import zvx
from zarrkit.vectors.inputs import check_vertices, prepare_attributes
from zarrkit.vectors.level import arrays_present
from zarrkit.vectors.linkread import Graph, read_linked
from zarrkit.vectors.links import place, write_records
from zarrkit.vectors.objects import ObjectIndex, write_object_attributes
from zarrkit.vectors.points import WriteReport, _split, write_grouped
from zarrkit.vectors.skeleton import refuse_writes
from zarrkit.vectors.vertex_order import NAME, write_vertex_ids

__all__ = ["Graph", "read_linked", "write_linked"]


def _fan(faces: np.ndarray) -> np.ndarray:
    return np.concatenate([faces[:, [0, i, i + 1]] for i in range(1, faces.shape[1] - 1)])


def write_linked(vs, nodes, links, *, width: int, attributes=None, link_attributes=None, ids=None,
                 object_attributes=None, on_out_of_bounds="raise", on_pyramid="raise", level: int = 0) -> WriteReport:
    """Append one graph or mesh call: ``links`` index this call's nodes."""
    t0 = time.perf_counter()
    refuse_writes(vs, "write_graph" if width == 2 else "write_mesh")
    raw = np.asarray(nodes)
    n = raw.shape[0] if raw.ndim == 2 else -1
    links = np.asarray(links)
    if links.ndim != 2 or links.dtype.kind not in "iu":
        raise VectorInputError(f"links must be an (M, L) integer array, got {links.shape} {links.dtype}",
                               url=vs.store.url, path=f"{level}/links")
    fam_width = _family_width(vs, level)
    if vs.kind == "mesh" and fam_width and links.shape[1] != fam_width:
        if links.shape[1] > 3 and fam_width == 3:
            warnings.warn(f"{links.shape[1]}-wide faces fan-triangulated into this triangle mesh", ZarrkitWarning,
                          stacklevel=3)
            links = _fan(links)
        else:
            raise VectorInputError(f"this mesh stores {fam_width}-wide faces, got {links.shape[1]}",
                                   url=vs.store.url, path=f"{level}/links/0")
    width = links.shape[1]
    if links.size and (links.min() < 0 or links.max() >= n):
        bad = int(np.flatnonzero((links < 0).any(1) | (links >= n).any(1))[0])
        raise VectorInputError(f"link {bad} {links[bad].tolist()} indexes past the {n} vertices of this call",
                               url=vs.store.url, path=f"{level}/links/0")
    index = ObjectIndex.read(vs.store, str(level))
    next_id = int(index.ids.max()) + 1 if index is not None and len(index) else 0
    if ids is None:
        node_ids = np.full(n, next_id, np.int64)
    else:
        node_ids = np.broadcast_to(np.asarray(ids, np.int64), (n,)).copy()
        if node_ids.size and node_ids.min() < 0:
            raise VectorInputError("object ids must be non-negative", url=vs.store.url, path=f"{level}")
    columns = prepare_attributes(vs, level, "vertex_attributes", attributes, n)
    link_attrs = {k: np.asarray(v) for k, v in (link_attributes or {}).items()}
    for k, v in link_attrs.items():
        if v.shape[:1] != (len(links),):
            raise VectorInputError(f"link attribute {k!r} has {v.shape[:1]} rows, expected {len(links)}",
                                   url=vs.store.url, path=f"{level}/link_attributes/{k}")
    have = _link_attribute_names(vs, level)
    if _family_width(vs, level) and set(have) != set(link_attrs):
        raise VectorInputError(f"link attributes of this write {sorted(link_attrs)} differ from the store's "
                               f"{sorted(have)}", url=vs.store.url, path=f"{level}/link_attributes")
    if level == 0:
        vs.check_pyramid(on_pyramid)
    xyz = check_vertices(vs, raw, on_out_of_bounds)
    extras = zvx.begin(vs, level)
    if extras is not None:
        extras.remember_ids(index)
    sink: dict = {}
    touched, pairs, local = write_grouped(vs, level, xyz, node_ids, columns, sink)
    cells = vs.root.grid.cells_of(xyz)
    placed = place(cells[links], local[links], vs.root.grid)
    write_records(vs, level, width, placed, link_attrs)
    by_id = np.argsort(pairs.keys, kind="stable")
    uid, ub = _split(pairs.keys[by_id])
    blocks = {int(o): (pairs.cells[by_id[ub[j]:ub[j + 1]]], pairs.frags[by_id[ub[j]:ub[j + 1]]])
              for j, o in enumerate(uid.tolist())}
    index = (index or ObjectIndex(np.zeros(0, np.int64), [])).merged(blocks)
    if object_attributes:  # before the index: old attribute rows follow the old index rows on disk
        write_object_attributes(vs.store, str(level), index, object_attributes, codecs=vs.codecs)
    index.write(vs.store, str(level), ndim=vs.ndim, codecs=vs.codecs)
    info = vs.level_info(level)
    info.vertex_count += n
    info.arrays_present = arrays_present(vs, level)
    info.fragments_tile = info.vertex_count == n or info.fragments_tile
    vs.write_level(info)
    if extras is not None:
        ordered = write_vertex_ids(vs, level, extras, cells, local, info.vertex_count - n)
        extras.finish(sink.get("vertices", {}), sink.get("fragments", {}), new_blocks=blocks, index=index, xyz=xyz,
                      stats=sink.get("stats"), owner=node_ids, also=[NAME] if ordered else [])
    return WriteReport(n, np.unique(node_ids), touched, time.perf_counter() - t0)


def _link_attribute_names(vs, level) -> list[str]:
    from zarrkit import core
    from zarrkit.errors import NodeNotFoundError

    try:
        return [n for n, _ in core.list_children(vs.store, f"{level}/link_attributes")]
    except NodeNotFoundError:
        return []


def _family_width(vs, level) -> int | None:
    from zarrkit import core
    from zarrkit.errors import NodeNotFoundError

    try:
        return int(core.read_metadata(vs.store, f"{level}/links/0").attributes.get("link_width"))
    except (NodeNotFoundError, TypeError):
        return None
