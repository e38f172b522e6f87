"""``VectorStore``: create, open and describe a zv-0.9 store, and hand writes and reads to the
per-kind modules (spec §3.1).

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0, 0], [10, 10, 10]), chunk_shape=(5, 5, 5))
    >>> _ = s.write_points(np.array([[1.0, 2.0, 3.0], [9.0, 9.0, 9.0]]))
    >>> s.info().levels[0]["vertices"], s.read_points(box=((0, 0, 0), (5, 5, 5))).xyz.tolist()
    (2, [[1.0, 2.0, 3.0]])
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.conventions.marker import RootMarker
from zarrkit.errors import (
    ContainsNodeError,
    NodeNotFoundError,
    PyramidStaleError,
    VectorFormatError,
    VectorInputError,
)
from zarrkit.vectors.cells import CellArray, open_cells
from zarrkit.vectors.profile import PROFILE, LevelInfo, RootInfo

__all__ = ["VectorInfo", "VectorStore", "create", "info", "open"]


@dataclass
class VectorInfo:
    """What :meth:`VectorStore.info` reports; never writes."""

    kind: str
    profile: str
    version: str
    axes: list[str]
    bounds: list[list[float]]
    chunk_shape: list[float]
    bin_shape: list[float]
    levels: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    codecs: list[str] = field(default_factory=list)
    sharded: bool = False
    writer: str | None = None
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.kind} ({self.profile}, zv {self.version}), axes {','.join(self.axes)}",
               f"bounds {self.bounds}, chunk {self.chunk_shape}, bin {self.bin_shape}"]
        for lv in self.levels:
            out.append(f"level {lv['level']}: {lv['vertices']} vertices in {lv['chunks']} chunks, "
                       f"{lv['objects']} objects, {lv['method']}")
        for scope, names in self.attributes.items():
            if names:
                out.append(f"{scope} attributes: {', '.join(names)}")
        return out


def _store_of(url, mode, storage_options, *, overwrite: bool = False):
    from zarrkit.storage import open_store

    if hasattr(url, "get") and hasattr(url, "identity"):
        return url
    return open_store(url, mode=mode, options=storage_options, overwrite=overwrite)


def create(url, kind: str = "points", *, bounds, chunk_shape, bin_shape=None, ids=None, axes=None, units=None,
           crs=None, dtype: str = "float32", codecs: str = "zstd", shard_shape=None, extras: bool = True,
           overwrite: bool = False, storage_options=None) -> VectorStore:
    """Create a store with a root and an empty level 0; returns it open for writing.

    ``kind``: ``points``, ``polylines``, ``streamlines``, ``graph`` or ``mesh``.  Bounds are
    inclusive ``(lo, hi)``; ``bin_shape`` defaults to chunk/4 for anonymous points, else the
    chunk.  ``ids=True`` fixes a point store to object ids (bin = chunk, §4 #1).

    Example:
        >>> s = create("memory://", "graph", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
        >>> s.kind, s.root.bin_shape, s.info().axes
        ('graph', [5.0, 5.0], ['x', 'y'])
    """
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise VectorInputError(f"dtype must be float32 or float64, got {dtype!r}")
    lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
    if lo.shape != hi.shape or lo.shape != (len(chunk_shape),) or not np.all(hi >= lo) or not np.all(np.isfinite([lo, hi])):
        raise VectorInputError(f"bounds {bounds!r} must be finite (lo, hi) pairs of the chunk rank")
    if kind == "points" and ids and bin_shape is not None and any(b < c for b, c in zip(bin_shape, chunk_shape)):
        raise VectorInputError("points with ids need bin_shape = chunk_shape: zarr_vectors 0.9.2 box queries "
                               "drop points with finer bins (zarrkit spec §4 #1)")
    # "w" refuses a folder that holds data unless overwrite=True, which clears a Zarr hierarchy
    store = _store_of(url, "w", storage_options, overwrite=overwrite)
    name = str(getattr(store, "url", "store")).rstrip("/").rsplit("/", 1)[-1].split(".")[0] or "store"
    root = RootInfo.new(kind, bounds=(lo.tolist(), hi.tolist()), chunk_shape=chunk_shape, bin_shape=bin_shape,
                        ids=ids, name=name, axes=axes, units=units, crs=crs)
    root.bins_per_chunk()
    options = {"kind": kind, "dtype": np.dtype(dtype).name, "codecs": codecs, "extras": bool(extras),
               "shard_shape": list(shard_shape) if shard_shape is not None else None, "ids": ids}
    try:
        core.read_metadata(store, "")
        exists = True
    except NodeNotFoundError:
        exists = False
    if exists and not overwrite:
        raise ContainsNodeError("a node already exists here (pass overwrite=True)", url=store.url, path="")
    attrs = root.to_attributes()
    attrs["zarrkit"] = RootMarker("vectors", "1.0", extra={"profile": PROFILE, "options": options}).to_dict()
    core.create_group(store, "", attributes=attrs, overwrite=overwrite)
    core.create_group(store, "0", attributes=LevelInfo(0).to_attributes())
    return VectorStore(store, root, options)


def open(url, mode: str = "r", *, storage_options=None) -> VectorStore:  # noqa: A001 - the package's verb
    """Open an existing zv-0.9 store (``mode="r"`` or ``"r+"``); foreign stores are accepted.

    Example:
        >>> s = create("memory://", "points", bounds=([0], [1]), chunk_shape=(1,), axes=("t",))
        >>> open(s.store).kind
        'points'
    """
    store = _store_of(url, mode, storage_options)
    meta = core.read_metadata(store, "")
    try:
        root = RootInfo.from_attributes(meta.attributes)
    except VectorFormatError as err:
        raise VectorFormatError(err.detail, url=store.url, path="") from None
    marker = meta.attributes.get("zarrkit") or {}
    options = dict(marker.get("options") or {}) if marker.get("format") == "vectors" else {}
    options.setdefault("kind", root.kind)
    if "dtype" not in options and (verts := open_cells(store, "0/vertices", root.grid)) is not None:
        options["dtype"] = np.dtype(verts.attributes.get("dtype", "float32")).name  # foreign: appends match its cells
    return VectorStore(store, root, options)


def info(url, *, storage_options=None) -> VectorInfo:
    """:meth:`VectorStore.info` of the store at ``url``, opened read-only."""
    return open(url, "r", storage_options=storage_options).info()


class VectorStore:
    """An open vector store: root metadata, writer options and the store handle."""

    def __init__(self, store, root: RootInfo, options: dict[str, Any]) -> None:
        self.store = store
        self.root = root
        self.options = options
        self._pending_commit = False
        self._in_transaction = False

    # ------------------------------------------------------------------ basics
    @property
    def kind(self) -> str:
        return self.options.get("kind") or self.root.kind

    @property
    def ndim(self) -> int:
        return self.root.ndim

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.options.get("dtype", "float32"))

    @property
    def codecs(self) -> str:
        return self.options.get("codecs", "zstd")

    def levels(self) -> list[int]:
        """Level numbers present (from the root's multiscales)."""
        return sorted(self.root.level_bins)

    def level_info(self, level: int = 0) -> LevelInfo:
        meta = core.read_metadata(self.store, str(level))
        try:
            return LevelInfo.from_attributes(meta.attributes)
        except VectorFormatError as err:
            raise VectorFormatError(err.detail, url=self.store.url, path=str(level)) from None

    def cells(self, level: int, name: str) -> CellArray | None:
        """The per-chunk array ``<level>/<name>``, or ``None``."""
        cells = open_cells(self.store, f"{level}/{name}", self.root.grid)
        if cells is not None and cells.attributes.get("encoding") == "draco":
            raise VectorFormatError("Draco-encoded vertices are refused (zarr_vectors 0.9.2 cannot read them back; "
                                    "spec §4 #2)", url=self.store.url, path=cells.path)
        return cells

    def new_cells(self, level: int, name: str, attributes: dict[str, Any], itemsize: int = 4) -> CellArray:
        shard = self.options.get("shard_shape")
        return CellArray.create(self.store, f"{level}/{name}", self.root.grid, attributes, codecs=self.codecs,
                                itemsize=itemsize, shard_shape=shard, overwrite=True)

    def write_root(self) -> None:
        attrs = self.root.to_attributes()
        current = core.read_metadata(self.store, "").attributes
        if "zarrkit" in current:
            attrs["zarrkit"] = current["zarrkit"]
        core.update_attributes(self.store, "", attrs, replace=True)
        self.root.raw = attrs

    def write_level(self, info: LevelInfo) -> None:
        core.update_attributes(self.store, str(info.level), info.to_attributes())

    def check_pyramid(self, on_pyramid: str) -> None:
        coarse = [k for k in self.levels() if k > 0]
        if not coarse:
            return
        if on_pyramid == "raise":
            raise PyramidStaleError(f"levels {coarse} would go stale; pass on_pyramid='drop' or 'rebuild'",
                                    url=self.store.url, path="")
        from zarrkit.vectors.pyramid import drop_levels

        drop_levels(self, coarse)

    # ------------------------------------------------------------------ writers and readers
    def write_points(self, xyz, ids=None, attributes=None, object_attributes=None, groups=None, *,
                     on_out_of_bounds: str = "raise", on_pyramid: str = "raise"):
        """Append points (see :mod:`zarrkit.vectors.points`)."""
        from zarrkit.vectors import points

        with self._writing("write_points", on_pyramid):
            return points.write_points(self, xyz, ids=ids, attributes=attributes, object_attributes=object_attributes,
                                       groups=groups, on_out_of_bounds=on_out_of_bounds, on_pyramid=on_pyramid)

    def read_points(self, *, box=None, ids=None, groups=None, level: int = 0, attributes: bool = True):
        """Points by box, id or group (see :mod:`zarrkit.vectors.points`)."""
        from zarrkit.vectors import points

        return points.read_points(self, box=box, ids=ids, groups=groups, level=level, attributes=attributes)

    def write_polylines(self, lines, *, offsets=None, attributes=None, object_attributes=None, ids=None, groups=None,
                        on_out_of_bounds: str = "raise", on_pyramid: str = "raise"):
        """Append polylines or streamlines (see :mod:`zarrkit.vectors.lines`)."""
        from zarrkit.vectors import lines as mod

        with self._writing("write_polylines", on_pyramid):
            return mod.write_polylines(self, lines, offsets=offsets, attributes=attributes,
                                       object_attributes=object_attributes, ids=ids, groups=groups,
                                       on_out_of_bounds=on_out_of_bounds, on_pyramid=on_pyramid)

    def read_polylines(self, *, ids=None, box=None, clip: str = "whole", level: int = 0):
        """Polylines by id or box (see :mod:`zarrkit.vectors.lines`)."""
        from zarrkit.vectors import lines as mod

        return mod.read_polylines(self, ids=ids, box=box, clip=clip, level=level)

    def write_graph(self, nodes, edges, *, attributes=None, edge_attributes=None, ids=None, object_attributes=None,
                    on_out_of_bounds: str = "raise", on_pyramid: str = "raise"):
        """Append a graph object (see :mod:`zarrkit.vectors.graphs`)."""
        from zarrkit.vectors import graphs

        with self._writing("write_graph", on_pyramid):
            return graphs.write_linked(self, nodes, edges, width=2, attributes=attributes,
                                       link_attributes=edge_attributes, ids=ids, object_attributes=object_attributes,
                                       on_out_of_bounds=on_out_of_bounds, on_pyramid=on_pyramid)

    def write_mesh(self, vertices, faces, *, attributes=None, ids=None, object_attributes=None,
                   on_out_of_bounds: str = "raise", on_pyramid: str = "raise"):
        """Append a mesh object (see :mod:`zarrkit.vectors.graphs`)."""
        from zarrkit.vectors import graphs

        faces = np.asarray(faces)
        with self._writing("write_mesh", on_pyramid):
            return graphs.write_linked(self, vertices, faces, width=faces.shape[1] if faces.ndim == 2 else 3,
                                       attributes=attributes, link_attributes=None, ids=ids,
                                       object_attributes=object_attributes, on_out_of_bounds=on_out_of_bounds,
                                       on_pyramid=on_pyramid)

    def read_graph(self, *, ids=None, box=None, clip: str = "inside", level: int = 0):
        """Nodes and edges by id or box (see :mod:`zarrkit.vectors.graphs`)."""
        from zarrkit.vectors import graphs

        return graphs.read_linked(self, ids=ids, box=box, clip=clip, level=level)

    def read_mesh(self, *, ids=None, box=None, clip: str = "inside", level: int = 0):
        """Vertices and faces by id or box (see :mod:`zarrkit.vectors.graphs`)."""
        from zarrkit.vectors import graphs

        return graphs.read_linked(self, ids=ids, box=box, clip=clip, level=level)

    def build_pyramid(self, levels=None, factor: int = 2, method: str = "auto", keep: int = 1, sparsity: float = 1.0,
                      seed: int = 0, on_existing: str = "raise") -> list[int]:
        """Build coarse levels of real vertices (see :mod:`zarrkit.vectors.pyramid`); returns the levels written."""
        from zarrkit.vectors.pyramid import build_pyramid

        with self._committing("build_pyramid"):
            return build_pyramid(self, levels=levels, factor=factor, method=method, keep=keep, sparsity=sparsity,
                                 seed=seed, on_existing=on_existing)

    def objects(self, level: int = 0):
        """The object table: ids and whether each is present at the level."""
        from zarrkit.vectors.objects import ObjectIndex

        index = ObjectIndex.read(self.store, str(level))
        if index is None:
            return ObjectTable(np.zeros(0, np.int64), np.zeros(0, bool))
        present = np.array([len(m) > 4 for m in index.manifests], bool)
        return ObjectTable(index.ids, present)

    # ------------------------------------------------------------------ info and transactions
    def info(self) -> VectorInfo:
        """Kind, grid, levels and attributes; pure read (works on read-only stores)."""
        from zarrkit.vectors.objects import ObjectIndex

        out = VectorInfo(self.kind, PROFILE, self.root.version, [a["name"] for a in self.root.axes],
                         self.root.bounds, self.root.chunk_shape, self.root.bin_shape,
                         writer=(self.root.raw.get("zarrkit") or {}).get("writer"))
        for k in self.levels():
            try:
                lv = self.level_info(k)
            except NodeNotFoundError:
                out.warnings.append(f"level {k} is listed in multiscales but missing")
                continue
            verts = self.cells(k, "vertices")
            index = ObjectIndex.read(self.store, str(k))
            names = verts.attributes.get("nonempty_chunks") if verts is not None else []
            out.levels.append({"level": k, "vertices": lv.vertex_count, "chunks": len(names or []),
                               "objects": len(index) if index is not None else 0, "method": lv.coarsening_method})
            if k == 0 and verts is not None:
                out.codecs = [c["name"] for c in verts.meta.to_dict().get("codecs", [])]
                out.sharded = verts.sharded
        for scope, path in (("vertex", "0/vertex_attributes"), ("object", "0/object_attributes"),
                            ("link", "0/link_attributes")):
            try:
                out.attributes[scope] = [n for n, _ in core.list_children(self.store, path)]
            except NodeNotFoundError:
                out.attributes[scope] = []
        return out

    @contextlib.contextmanager
    def _writing(self, what: str, on_pyramid: str):
        """A level-0 write: check the pyramid policy, rebuild after it if asked, commit once."""
        if on_pyramid not in ("raise", "drop", "rebuild"):
            raise VectorInputError(f"on_pyramid must be 'raise', 'drop' or 'rebuild', got {on_pyramid!r}")
        had_levels = any(k > 0 for k in self.levels())
        with self._committing(what):
            yield
            if on_pyramid == "rebuild" and had_levels:
                from zarrkit.vectors.pyramid import build_pyramid

                params = dict(self.options.get("pyramid") or {})
                build_pyramid(self, **params, on_existing="replace")

    @property
    def _versioned(self) -> bool:
        return getattr(self.store, "kind", None) == "icechunk"

    @contextlib.contextmanager
    def _committing(self, what: str):
        """One icechunk commit per call (none inside a transaction); a failed call commits nothing."""
        if not self._versioned or self._in_transaction:
            yield
            return
        try:
            yield
        except BaseException:
            self.store.discard()  # a half-written call must not reach a later commit
            raise
        self.store.commit(f"zarrkit.vectors {what}")

    @contextlib.contextmanager
    def transaction(self, message: str = "zarrkit.vectors transaction"):
        """Group several writes into one icechunk commit at exit; an error discards them all.

        Elsewhere (no versioning) the block just runs.

        Example:
            >>> s = create("memory://", "points", bounds=([0], [9]), chunk_shape=(5,), axes=("t",))
            >>> with s.transaction("two batches"):
            ...     _ = s.write_points([[1.0]]); _ = s.write_points([[7.0]])
            >>> s.info().levels[0]["vertices"]
            2
        """
        if not self._versioned:
            yield self
            return
        self._in_transaction = True
        try:
            with self.store.transaction(message):
                yield self
        finally:
            self._in_transaction = False

    def commit(self, message: str = "zarrkit.vectors commit") -> str | None:
        """Commit pending icechunk changes; returns the snapshot id (the current one if nothing was pending)."""
        if getattr(self.store, "kind", None) != "icechunk":
            return None
        got = self.store.commit(message)
        return got if got is not None else getattr(self.store, "snapshot_id", None)


@dataclass
class ObjectTable:
    """Object ids at a level and whether each has a non-empty manifest."""

    ids: np.ndarray
    present: np.ndarray
