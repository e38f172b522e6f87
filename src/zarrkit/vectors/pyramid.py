"""Levels of detail (spec §2.9, §3.4): every coarse level holds **real** vertices in the
level-0 layout of its kind, so zarr_vectors reads it like level 0 and validates it.

* points: ``grid`` keeps the ``keep`` lowest-priority points per level bin (and object);
  ``random`` keeps priority < ``factor^(-D·k)``;
* polylines / streamlines: ``simplify`` (Douglas–Peucker, tolerance ``min(bin_k)/2``);
* graphs: ``contract``; meshes: ``cluster`` (vertex clustering, winding kept).

Each level is written, then stamped (level attributes, ``multiscales`` entry):
``on_existing="resume"`` restarts at the first unstamped level.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0], [99, 99]), chunk_shape=(50, 50))
    >>> _ = s.write_points(np.random.default_rng(0).uniform(0, 99, (5000, 2)))
    >>> s.build_pyramid(levels=2), [s.level_info(k).vertex_count for k in s.levels()]
    ([1, 2], [5000, 16, 4])
"""

from __future__ import annotations

import numpy as np

from zarrkit import core
from zarrkit.errors import ContainsNodeError, NodeNotFoundError, VectorInputError
from zarrkit.vectors import coarsen
from zarrkit.vectors.profile import LevelInfo

__all__ = ["build_pyramid", "drop_levels"]

#: default method per kind
METHODS = {"points": ("grid", "random"), "polylines": ("simplify",), "streamlines": ("simplify",),
           "graph": ("contract",), "mesh": ("cluster",)}
#: a level-count default stops once a level is this small, after at most MAX_LEVELS levels
TARGET_VERTICES = 65_536
MAX_LEVELS = 8


def drop_levels(vs, levels) -> None:
    """Delete coarse levels and their ``multiscales`` / ``ome.nodes`` entries.

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "points", bounds=([0], [1]), chunk_shape=(1,), axes=("t",))
        >>> drop_levels(s, []); s.levels()
        [0]
    """
    for k in levels:
        if k == 0:
            continue
        core.delete_node(vs.store, str(k), missing_ok=True)
        vs.root.level_bins.pop(k, None)
    if levels:
        vs.root.capabilities = [c for c in vs.root.capabilities if c != "preserved_object_ids"]
        vs.write_root()


def _level_groups(vs) -> list[int]:
    """Level groups on disk (bare integer names), stamped or not."""
    return sorted(int(n) for n, m in core.list_children(vs.store, "") if n.isdigit() and m.node_type == "group")


def build_pyramid(vs, levels=None, factor=2, method="auto", keep=1, sparsity=1.0, seed=0,
                  on_existing="raise") -> list[int]:
    """Build coarse levels 1…N; returns the levels written by this call.

    ``levels=None`` builds until a level has at most 65,536 vertices (at most 8 levels),
    stopping early when a level would not shrink.  ``sparsity=s`` keeps ``1/s`` of the
    objects per level (by seeded priority; dropped objects keep an empty manifest).
    """
    from zarrkit.vectors.skeleton import refuse_writes

    refuse_writes(vs, "build_pyramid")
    kind = vs.kind
    if method == "auto":
        method = METHODS[kind][0]
    if method not in METHODS[kind]:
        raise VectorInputError(f"method {method!r} does not apply to {kind}; use one of {METHODS[kind]}")
    if on_existing not in ("raise", "replace", "resume"):
        raise VectorInputError(f"on_existing must be 'raise', 'replace' or 'resume', got {on_existing!r}")
    if not (isinstance(factor, (int, np.integer)) and factor >= 2) or keep < 1 or sparsity < 1:
        raise VectorInputError("factor must be an integer >= 2, keep >= 1 and sparsity >= 1")
    stamped = [k for k in vs.levels() if k > 0]
    on_disk = [k for k in _level_groups(vs) if k > 0]
    if (stamped or on_disk) and on_existing == "raise":
        raise ContainsNodeError(f"levels {sorted(set(stamped) | set(on_disk))} exist (pass on_existing='replace' "
                                "or 'resume')", url=vs.store.url, path="")
    if on_existing == "replace":
        drop_levels(vs, sorted(set(stamped) | set(on_disk)))
        stamped = []
    start = 1
    if on_existing == "resume":
        start = next(k for k in range(1, MAX_LEVELS + 2) if k not in stamped)
        drop_levels(vs, [k for k in on_disk if k >= start])
    _remember(vs, dict(factor=int(factor), method=method, keep=int(keep), sparsity=float(sparsity), seed=int(seed),
                       levels=levels))
    last = start - 1
    data = _read_level(vs, last)
    objects0 = _object_table(vs)
    written = []
    bin0 = np.asarray(vs.root.bin_shape, np.float64)
    for k in range(start, (levels if levels is not None else MAX_LEVELS) + 1):
        if levels is None and data.count <= TARGET_VERTICES:
            break
        bin_k = bin0 * float(factor) ** k
        kept_objects = _kept_objects(objects0, sparsity, seed, k)
        coarse = _coarsen(vs, data, method, bin_k, k, keep=keep, factor=factor, seed=seed, objects=kept_objects)
        if levels is None and coarse.count >= data.count:
            break
        core.create_group(vs.store, str(k), attributes=LevelInfo(k).to_attributes(), overwrite=True)
        coarse.write(vs, k)
        _stamp(vs, k, bin_k, method, objects0, kept_objects)
        written.append(k)
        data = coarse
    return written


def _remember(vs, params) -> None:
    """Keep the build parameters in the zarrkit marker, for ``on_pyramid="rebuild"``."""
    marker = dict(core.read_metadata(vs.store, "").attributes.get("zarrkit") or {})
    if marker.get("format") != "vectors":
        return
    marker["options"] = {**(marker.get("options") or {}), "pyramid": params}
    core.update_attributes(vs.store, "", {"zarrkit": marker})
    vs.options["pyramid"] = params
    vs.root.raw["zarrkit"] = marker


def _object_table(vs):
    from zarrkit.vectors.objects import ObjectIndex

    index = ObjectIndex.read(vs.store, "0")
    return None if index is None else index.ids


def _kept_objects(ids, sparsity, seed, k):
    if ids is None or sparsity == 1.0:
        return ids
    prio = coarsen.splitmix64(coarsen.splitmix64(np.uint64(seed + 1)) ^ ids.astype(np.uint64))
    return ids[coarsen.keep_random(prio, sparsity ** -k)]


class _LevelData:
    """One level in memory: what the kind's writer takes back."""

    def __init__(self, kind, xyz, ids=None, attributes=None, links=None, link_attributes=None, offsets=None):
        self.kind, self.xyz, self.ids = kind, xyz, ids
        self.attributes = attributes or {}
        self.links, self.link_attributes, self.offsets = links, link_attributes or {}, offsets

    @property
    def count(self) -> int:
        return len(self.xyz)

    def write(self, vs, level: int) -> None:
        from zarrkit.vectors import graphs, lines, points

        if self.count == 0:
            return
        if self.kind == "points":
            points.write_points(vs, self.xyz, ids=self.ids, attributes=self.attributes, level=level)
        elif self.kind in ("polylines", "streamlines"):
            lines.write_polylines(vs, self.xyz, offsets=self.offsets, ids=self.ids, attributes=self.attributes,
                                  level=level)
        else:
            graphs.write_linked(vs, self.xyz, self.links, width=self.links.shape[1], attributes=self.attributes,
                                link_attributes=self.link_attributes, ids=self.ids, level=level)


def _read_level(vs, level: int) -> _LevelData:
    kind = vs.kind
    if kind == "points":
        p = vs.read_points(level=level)
        return _LevelData(kind, p.xyz, p.ids, p.attributes)
    if kind in ("polylines", "streamlines"):
        p = vs.read_polylines(level=level)
        return _LevelData(kind, p.vertices, p.ids, p.attributes, offsets=p.offsets)
    g = vs.read_graph(level=level)
    return _LevelData(kind, g.nodes, g.ids, g.attributes, g.edges, g.edge_attributes)


def _subset(values: dict, mask) -> dict:
    return {n: v[mask] for n, v in values.items()}


def _coarsen(vs, data: _LevelData, method, bin_k, k, *, keep, factor, seed, objects) -> _LevelData:
    """Level ``k`` from level ``k-1`` (or level 0 for ``random``)."""
    alive = np.ones(data.count, bool) if objects is None or data.ids is None else np.isin(data.ids, objects)
    if method == "grid":
        prio = coarsen.priorities(data.xyz, seed=seed)
        mask = alive & coarsen.keep_per_bin(data.xyz, bin_k, prio, keep=keep, objects=data.ids)
        return _LevelData(data.kind, data.xyz[mask], None if data.ids is None else data.ids[mask],
                          _subset(data.attributes, mask))
    if method == "random":
        prio = coarsen.priorities(data.xyz, seed=seed)
        mask = alive & coarsen.keep_random(prio, float(factor) ** (-vs.ndim * k))
        return _LevelData(data.kind, data.xyz[mask], None if data.ids is None else data.ids[mask],
                          _subset(data.attributes, mask))
    if method == "simplify":
        tol = float(np.min(bin_k)) / 2
        mask = np.zeros(data.count, bool)
        lines_kept = []
        for i in range(len(data.offsets) - 1):
            a, b = data.offsets[i], data.offsets[i + 1]
            if objects is not None and data.ids[i] not in objects:
                continue
            mask[a:b] = coarsen.douglas_peucker(data.xyz[a:b], tol)
            lines_kept.append(i)
        sizes = np.add.reduceat(mask, data.offsets[:-1]) if data.count else np.zeros(0, np.int64)
        offsets = np.r_[0, np.cumsum(sizes[lines_kept])].astype(np.int64)
        return _LevelData(data.kind, data.xyz[mask], data.ids[lines_kept], _subset(data.attributes, mask),
                          offsets=offsets)
    # contract (graphs) / cluster (meshes): merge each (object, bin) into one real member
    if not alive.all():
        idx = np.cumsum(alive) - 1
        ok = alive[data.links].all(axis=1)
        data = _LevelData(data.kind, data.xyz[alive], data.ids[alive], _subset(data.attributes, alive),
                          idx[data.links[ok]], _subset(data.link_attributes, ok))
    kept, to = coarsen.contract(data.xyz, data.ids, bin_k)
    links, src = coarsen.cluster_faces(data.links, to, undirected=method == "contract")
    return _LevelData(data.kind, data.xyz[kept], data.ids[kept], _subset(data.attributes, kept), links,
                      _subset(data.link_attributes, src))


def _stamp(vs, k, bin_k, method, objects0, kept_objects) -> None:
    """Complete level ``k``: every level-0 object in its index, its attributes, then the root entry."""
    from zarrkit.vectors.level import arrays_present
    from zarrkit.vectors.objects import ObjectIndex, read_groups, read_object_attributes, write_groups, write_object_attributes

    try:
        info = vs.level_info(k)
    except NodeNotFoundError:
        info = LevelInfo(k)
    from zarrkit.vectors import zvx

    extras = zvx.Extras.load(vs, k, warn=False)  # valid now: the writers just wrote the level
    old_ids = new_ids = None
    if objects0 is not None:
        index = ObjectIndex.read(vs.store, str(k)) or ObjectIndex(np.zeros(0, np.int64), [])
        old_ids = index.ids
        nothing = (np.zeros((0, vs.ndim), np.int64), np.zeros(0, np.int64))
        index = index.merged({int(o): nothing for o in np.setdiff1d(objects0, index.ids).tolist()})
        index.write(vs.store, str(k), ndim=vs.ndim, codecs=vs.codecs)
        new_ids = index.ids
        values = {n: {int(i): v for i, v in zip(ids, vals)} for n, (ids, vals) in
                  read_object_attributes(vs.store, "0").items()}
        write_object_attributes(vs.store, str(k), index, values, codecs=vs.codecs)
        groups = read_groups(vs.store, "0")
        if groups:
            write_groups(vs.store, str(k), groups, codecs=vs.codecs)
        info.extra.update({"preserves_object_ids": True, "inherited_num_objects": int(len(objects0))})
        if "preserved_object_ids" not in vs.root.capabilities:
            vs.root.capabilities.append("preserved_object_ids")
    info.coarsening_method = f"zarrkit_{method}"
    info.parent_level = k - 1
    kept = len(objects0) if objects0 is not None else 0
    info.object_sparsity = float(len(kept_objects)) / kept if objects0 is not None and kept else 1.0
    info.arrays_present = arrays_present(vs, k)
    vs.write_level(info)
    zvx.refresh(vs, k, extras, old_ids, new_ids)  # the index grew: keep zarrkit's own extras in step
    vs.root.level_bins[k] = [float(b) for b in bin_k]
    vs.write_root()
