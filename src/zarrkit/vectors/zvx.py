"""zarrkit's own extras of a level (spec §2.11), under ``<k>/zvx/``: zarr_vectors never looks
there, and they never change the meaning of what it reads.

* group attributes ``{"fingerprint": {"vertex_count", "num_objects", "nonempty_sha1"},
  "arrays": [...], "token": "<hex>"}``: the level as the extras last saw it (SHA-1 of the vertices' ``nonempty_chunks`` joined by
  ``\\n``).  A mismatch means another tool edited the level: the extras are ignored, with a
  ``StaleExtrasWarning``, and the next zarrkit write drops them.  ``arrays`` names the extras
  present; ``token`` changes with every write, so a handle may keep the chunk table it read.
* ``chunk_coords (K, D)`` int64, ``chunk_count (K,)`` int64 and ``chunk_bbox (K, 2, D)``
  float64, the tight bounds of every stored chunk, each one chunk: read once, they let box
  reads skip chunks whose vertices miss the box and take whole those inside it.
* ``fragment_objects``: per chunk, aligned with ``vertex_fragments``, the object id of each
  fragment as ``<i8`` (row → object without decoding the manifests).
* ``object_bbox (O, 2, D)`` float64, aligned with the object index (NaN: no vertices).

The fingerprint is written last, so an interrupted write leaves extras that are ignored.
``vertex_ids`` (input ordinals of graph and mesh rows) is in :mod:`zarrkit.vectors.vertex_order`.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    >>> _ = s.write_points(np.array([[1.0, 2.0], [3.0, 1.0], [6.0, 7.0]]))
    >>> coords, counts, bbox = Extras.load(s, 0).chunk_table()
    >>> coords.tolist(), counts.tolist(), bbox[0].tolist()
    ([[0, 0], [1, 1]], [2, 1], [[1.0, 1.0], [3.0, 2.0]])
"""

from __future__ import annotations

import hashlib
import secrets
import warnings
import weakref

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, StaleExtrasWarning
from zarrkit.vectors.cells import CellArray, codec_list, open_cells
from zarrkit.vectors.fast import stable_order

__all__ = ["Extras", "begin", "fingerprint", "refresh"]


def _attrs(store, path: str) -> dict | None:
    try:
        return core.read_metadata(store, path).attributes
    except NodeNotFoundError:
        return None


def fingerprint(vs, level: int, *, vertices_attrs: dict | None = None) -> dict:
    """The level as ZV-visible metadata describes it now.

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "points", bounds=([0], [9]), chunk_shape=(5,), axes=("t",))
        >>> _ = s.write_points(np.array([[1.0], [6.0]]))
        >>> fingerprint(s, 0)["vertex_count"], core.read_metadata(s.store, "0/zvx").attributes["fingerprint"]["vertex_count"]
        (2, 2)
    """
    return _state(vs, level, vertices_attrs)[0]


def _state(vs, level: int, vertices_attrs: dict | None = None) -> tuple[dict, bool]:
    """The fingerprint, and whether the level has an object index."""
    if vertices_attrs is None:
        vertices_attrs = _attrs(vs.store, f"{level}/vertices") or {}
    names = vertices_attrs.get("nonempty_chunks") or []
    body = (_attrs(vs.store, str(level)) or {}).get("zarr_vectors_level") or {}
    index = _attrs(vs.store, f"{level}/object_index")
    objects = (index or {}).get("num_objects", 0)
    return ({"vertex_count": int(body.get("vertex_count", 0)), "num_objects": int(objects),
             "nonempty_sha1": hashlib.sha1("\n".join(names).encode()).hexdigest()}, index is not None)


#: chunk tables already read, per store handle and (level, token): every write stamps a new token
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Extras:
    """Valid extras of one level (see :meth:`load`)."""

    def __init__(self, vs, level: int, attrs: dict | None = None, has_index: bool = False) -> None:
        self.vs, self.level = vs, level
        self.attrs = attrs or {}
        self.has_index = has_index
        self._table = None
        token = self.attrs.get("token")
        if token is not None:
            self._table = _TABLES.get(vs, {}).get((level, token))

    @classmethod
    def load(cls, vs, level: int, *, warn: bool = True, vertices_attrs: dict | None = None) -> Extras | None:
        """The level's extras when present and matching the level, else ``None`` (warns when stale).

        ``vertices_attrs`` (the vertices array's attributes, when the caller has them) spares a read.
        """
        attrs = _attrs(vs.store, f"{level}/zvx")
        if attrs is None:
            return None
        state, has_index = _state(vs, level, vertices_attrs)
        if attrs.get("fingerprint") != state:
            if warn:
                warnings.warn(f"{vs.store.url}: level {level} changed since zarrkit wrote its extras (zvx); "
                              "they are ignored", StaleExtrasWarning, stacklevel=3)
            return None
        return cls(vs, level, attrs, has_index)

    def chunk_table(self):
        """``(coords (K, D), counts (K,), bbox (K, 2, D))`` of every stored chunk, C order."""
        if self._table is None:
            base = f"{self.level}/zvx"
            try:
                self._table = tuple(core.read_region(self.vs.store, f"{base}/{n}", ...)
                                    for n in ("chunk_coords", "chunk_count", "chunk_bbox"))
            except NodeNotFoundError:
                d = self.vs.ndim
                self._table = (np.zeros((0, d), np.int64), np.zeros(0, np.int64), np.zeros((0, 2, d)))
            if self.attrs.get("token") is not None:
                try:
                    _TABLES.setdefault(self.vs, {})[(self.level, self.attrs["token"])] = self._table
                except TypeError:  # a handle that cannot be weakly referenced: no cache
                    pass
        return self._table

    def bbox_of(self, cells) -> np.ndarray:
        """Tight bounds ``(n, 2, D)`` of ``cells`` (NaN for cells the table does not list)."""
        coords, _, bbox = self.chunk_table()
        grid = self.vs.root.grid
        cells = np.asarray(cells, np.int64).reshape(-1, self.vs.ndim)
        out = np.full((len(cells), 2, self.vs.ndim), np.nan)
        if len(coords) and len(cells):
            lin, want = grid.linear(coords), grid.linear(cells)
            order = np.argsort(lin)
            pos = np.minimum(np.searchsorted(lin, want, sorter=order), len(lin) - 1)
            hit = lin[order[pos]] == want
            out[hit] = bbox[order[pos[hit]]]
        return out

    def has_objects(self) -> bool:
        """Whether ``fragment_objects`` exists (written for every level with an object index)."""
        if "arrays" in self.attrs:
            return "fragment_objects" in self.attrs["arrays"]
        return _attrs(self.vs.store, f"{self.level}/zvx/fragment_objects") is not None

    def fragment_objects(self, cells) -> dict[tuple[int, ...], np.ndarray] | None:
        """``{cell: object id of each fragment}``, or ``None`` when the level has no objects."""
        arr = open_cells(self.vs.store, f"{self.level}/zvx/fragment_objects", self.vs.root.grid)
        if arr is None:
            return None
        cells = [tuple(int(v) for v in c) for c in cells]
        return {c: np.frombuffer(r, "<i8").astype(np.int64) if r else np.zeros(0, np.int64)
                for c, r in zip(cells, arr.read(cells))}


def begin(vs, level: int) -> _Writer | None:
    """Before a write at ``level``: a writer that will bring the extras up to date, or ``None``
    when extras are off or no longer valid (stale extras are dropped: a level without them
    stays without until rebuilt).

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "points", bounds=([0], [9]), chunk_shape=(5,), axes=("t",), extras=False)
        >>> begin(s, 0) is None
        True
    """
    if not vs.options.get("extras"):
        return None
    before = _attrs(vs.store, str(level))
    count = int(((before or {}).get("zarr_vectors_level") or {}).get("vertex_count", 0))
    old = Extras.load(vs, level, warn=False) if count else None
    if old is None and _attrs(vs.store, f"{level}/zvx") is not None:
        core.delete_node(vs.store, f"{level}/zvx", missing_ok=True)
    if count and old is None:
        return None
    return _Writer(vs, level, old)


class _Writer:
    def __init__(self, vs, level: int, old: Extras | None) -> None:
        self.vs, self.level, self.old = vs, level, old
        self.old_ids = None

    def remember_ids(self, index) -> None:
        """The object ids before the write (rows of the old ``object_bbox``)."""
        self.old_ids = None if index is None else np.asarray(index.ids, np.int64)

    def finish(self, vertices: dict, fragments: dict, *, new_blocks=None, index=None, xyz=None, owner=None,
               stats=None, also=()) -> None:
        """After the write (cells, index and level attributes stored): update every extra, then
        stamp the fingerprint.  ``vertices``/``fragments`` are the payloads of the cells written;
        ``stats`` (cells, row counts, minima, maxima, whole) spares decoding them; ``also`` names
        extras the caller wrote itself (``vertex_ids``)."""
        vs, base = self.vs, f"{self.level}/zvx"
        try:
            core.read_metadata(vs.store, base)
        except NodeNotFoundError:
            core.create_group(vs.store, base)
        self._chunk_table(vertices, stats)
        arrays = ["chunk_bbox", "chunk_coords", "chunk_count"]
        if index is not None:
            self._fragment_objects(fragments, new_blocks or {})
            self._object_bbox(index, xyz, owner)
            arrays += ["fragment_objects", "object_bbox"]
        arrays += list(also)
        core.update_attributes(vs.store, base, {"fingerprint": fingerprint(vs, self.level), "arrays": sorted(arrays),
                                                "token": secrets.token_hex(8)})

    def _put(self, name: str, values: np.ndarray) -> None:
        meta = core.array_metadata(values.shape, values.dtype, tuple(max(1, s) for s in values.shape),
                                   compressors=codec_list(self.vs.codecs), attributes={"zvx_array": name})
        meta = core.create_array(self.vs.store, f"{self.level}/zvx/{name}", meta, overwrite=True)
        if values.size:
            core.write_region(self.vs.store, f"{self.level}/zvx/{name}", ..., values, metadata=meta)

    def _chunk_table(self, vertices: dict, stats) -> None:
        vs, d = self.vs, self.vs.ndim
        grid = vs.root.grid
        coords, counts, bbox = self.old.chunk_table() if self.old else (np.zeros((0, d), np.int64),
                                                                        np.zeros(0, np.int64), np.zeros((0, 2, d)))
        if stats is None:  # decode the written cells: they hold every row of their chunk
            cells = [tuple(int(v) for v in c) for c in vertices]
            dtype = vs.dtype.newbyteorder("<")
            arrs = [np.frombuffer(vertices[c], dtype).reshape(-1, d).astype(np.float64) for c in cells]
            stats = (np.asarray(cells, np.int64).reshape(-1, d), np.array([len(a) for a in arrs], np.int64),
                     np.array([a.min(0) for a in arrs]).reshape(-1, d), np.array([a.max(0) for a in arrs]).reshape(-1, d),
                     True)
        new_cells, n, mn, mx, whole = stats
        old_lin, new_lin = grid.linear(coords), grid.linear(new_cells)
        lin = np.union1d(old_lin, new_lin)
        out_n = np.zeros(len(lin), np.int64)
        out_bb = np.empty((len(lin), 2, d))
        out_bb[:, 0], out_bb[:, 1] = np.inf, -np.inf
        i = np.searchsorted(lin, old_lin)
        out_n[i], out_bb[i] = counts, bbox
        j = np.searchsorted(lin, new_lin)
        if whole:  # the stats describe the whole chunk (a rewritten cell)
            out_n[j] = n
            out_bb[j, 0], out_bb[j, 1] = mn, mx
        else:  # rows appended after the old ones
            out_n[j] += n
            out_bb[j, 0] = np.minimum(out_bb[j, 0], mn)
            out_bb[j, 1] = np.maximum(out_bb[j, 1], mx)
        self._put("chunk_coords", grid.unlinear(lin).reshape(-1, d).astype(np.int64))
        self._put("chunk_count", out_n)
        self._put("chunk_bbox", out_bb)

    def _fragment_objects(self, fragments: dict, new_blocks: dict) -> None:
        vs = self.vs
        path = f"{self.level}/zvx/fragment_objects"
        arr = open_cells(vs.store, path, vs.root.grid) if self.old is not None else None
        if arr is None:
            arr = CellArray.create(vs.store, path, vs.root.grid, {"zvx_array": "fragment_objects"},
                                   codecs=vs.codecs, itemsize=8, overwrite=True)
        cells = [tuple(int(v) for v in c) for c in fragments]
        old = dict(zip(cells, arr.read(cells))) if self.old is not None else {}
        tables = {}
        for cell in cells:
            n = int.from_bytes(bytes(fragments[cell])[8:12], "little")  # ZVFG header: F fragments
            table = np.full(n, -1, "<i8")
            prev = np.frombuffer(old.get(cell) or b"", "<i8")
            table[:len(prev)] = prev[:n]
            tables[cell] = table
        if new_blocks:  # every new (cell, fragment) -> owner, grouped by cell in one sort
            grid = vs.root.grid
            bc = np.concatenate([np.asarray(c, np.int64).reshape(-1, vs.ndim) for c, _ in new_blocks.values()])
            bf = np.concatenate([np.asarray(f, np.int64).reshape(-1) for _, f in new_blocks.values()])
            bo = np.repeat(np.fromiter(new_blocks, np.int64, len(new_blocks)),
                           [len(np.asarray(f).reshape(-1)) for _, f in new_blocks.values()])
            lin = grid.linear(bc)
            order = stable_order(lin)
            lin, bf, bo = lin[order], bf[order], bo[order]
            starts = np.flatnonzero(np.r_[True, lin[1:] != lin[:-1]])
            ends = np.r_[starts[1:], len(lin)]
            for cell, a, b in zip(map(tuple, grid.unlinear(lin[starts]).tolist()), starts.tolist(), ends.tolist()):
                tables[cell][bf[a:b]] = bo[a:b]
        arr.write({c: t.tobytes() for c, t in tables.items() if len(t)})

    def _object_bbox(self, index, xyz, owner) -> None:
        d = self.vs.ndim
        ids = np.asarray(index.ids, np.int64)
        out = np.full((len(ids), 2, d), np.nan)
        if self.old is not None and self.old_ids is not None:
            try:
                prev = core.read_region(self.vs.store, f"{self.level}/zvx/object_bbox", ...)
                if len(prev) == len(self.old_ids):
                    out[np.searchsorted(ids, self.old_ids)] = prev
            except NodeNotFoundError:
                pass
        if xyz is not None and len(xyz):
            rows = np.searchsorted(ids, np.asarray(owner, np.int64))
            order = stable_order(rows)
            rows_s, x = rows[order], np.asarray(xyz, np.float64)[order]
            starts = np.flatnonzero(np.r_[True, rows_s[1:] != rows_s[:-1]])
            r = rows_s[starts]
            lo, hi = np.minimum.reduceat(x, starts), np.maximum.reduceat(x, starts)
            out[r, 0] = np.fmin(out[r, 0], lo)
            out[r, 1] = np.fmax(out[r, 1], hi)
        self._put("object_bbox", out)


def refresh(vs, level: int, extras: Extras | None, old_ids=None, new_ids=None) -> None:
    """After zarrkit itself changed ZV-visible metadata of a level whose ``extras`` were valid
    (a pyramid stamping absent objects into the index): realign ``object_bbox`` to the new
    object rows (NaN for the new ones) and stamp a fresh fingerprint.

    Example:
        >>> import zarrkit.vectors as vx
        >>> s = vx.create("memory://", "points", bounds=([0], [9]), chunk_shape=(5,), axes=("t",))
        >>> _ = s.write_points(np.array([[1.0]]))
        >>> refresh(s, 0, Extras.load(s, 0)); Extras.load(s, 0) is not None
        True
    """
    if extras is None:
        return
    base = f"{level}/zvx"
    if old_ids is not None and new_ids is not None and extras.has_objects():
        try:
            prev = core.read_region(vs.store, f"{base}/object_bbox", ...)
        except NodeNotFoundError:
            prev = None
        if prev is not None and len(prev) == len(old_ids):
            out = np.full((len(new_ids), 2, vs.ndim), np.nan)
            out[np.searchsorted(np.asarray(new_ids), np.asarray(old_ids))] = prev
            _Writer(vs, level, extras)._put("object_bbox", out)
    core.update_attributes(vs.store, base, {"fingerprint": fingerprint(vs, level), "token": secrets.token_hex(8)})
