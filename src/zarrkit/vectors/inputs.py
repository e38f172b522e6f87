"""Checking writer input before anything is written, and the bounds policy (spec §3.2).

Vertex attributes are stored per cell as raw rows of their dtype; strings are
dictionary-encoded (``categories`` in the array attributes, codes uint8/16/32).

Example:
    >>> column = AttributeColumn.from_values("kind", np.array(["a", "b", "a"]))
    >>> column.spec["encoding"], column.spec["categories"], column.rows.tolist()
    ('dictionary', ['a', 'b'], [0, 1, 0])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, VectorInputError, VertexOutOfBoundsError
from zarrkit.vectors.cells import CellArray
from zarrkit.vectors.profile import Grid, cell_name

__all__ = ["AttributeColumn", "check_vertices", "decode_rows", "prepare_attributes"]


def _codes_dtype(n: int) -> np.dtype:
    return np.dtype("uint8") if n <= 256 else np.dtype("uint16") if n <= 65536 else np.dtype("uint32")


class AttributeColumn:
    """One vertex (or link) attribute of a write: stored rows and the array attributes describing them."""

    def __init__(self, name: str, rows: np.ndarray, spec: dict[str, Any]) -> None:
        self.name = name
        self.rows = rows
        self.spec = spec

    @classmethod
    def from_values(cls, name: str, values, existing: dict[str, Any] | None = None) -> AttributeColumn:
        arr = np.asarray(values)
        if arr.dtype.kind in "UOS":
            strings = arr.astype(str)
            known = list((existing or {}).get("categories", []))
            new = [c for c in np.unique(strings).tolist() if c not in set(known)]
            categories = known + new
            lookup = {c: i for i, c in enumerate(categories)}
            dtype = _codes_dtype(len(categories))
            if existing is not None and np.dtype(existing["dtype"]).itemsize < dtype.itemsize:
                raise VectorInputError(f"attribute {name!r}: {len(categories)} categories no longer fit "
                                       f"its {existing['dtype']} codes")
            if existing is not None:
                dtype = np.dtype(existing["dtype"])
            codes = np.array([lookup[s] for s in strings.reshape(-1)], dtype).reshape(strings.shape)
            spec = {"name": name, "dtype": dtype.name, "row_shape": list(arr.shape[1:]), "encoding": "dictionary",
                    "categories": categories, "ordered": False}
            return cls(name, codes, spec)
        if arr.dtype.kind not in "biuf":
            raise VectorInputError(f"attribute {name!r}: dtype {arr.dtype} is not supported")
        spec = {"name": name, "dtype": arr.dtype.name, "row_shape": list(arr.shape[1:])}
        if arr.ndim == 2:
            # zarr_vectors 0.9.2 skips a multi-channel attribute without channel names
            spec["channel_names"] = list((existing or {}).get("channel_names") or [f"ch{i}" for i in range(arr.shape[1])])
        if existing is not None:
            if existing.get("dtype") != spec["dtype"] or list(existing.get("row_shape", [])) != spec["row_shape"]:
                raise VectorInputError(f"attribute {name!r} was {existing.get('dtype')} {existing.get('row_shape')}, "
                                       f"this write gives {spec['dtype']} {spec['row_shape']}")
        return cls(name, np.ascontiguousarray(arr), spec)


def decode_rows(raw: bytes | None, spec: dict[str, Any]) -> np.ndarray:
    """The rows of one attribute cell (``(n, *row_shape)``)."""
    dtype = np.dtype(spec["dtype"]).newbyteorder("<")
    row_shape = tuple(spec.get("row_shape") or ())
    if raw is None:
        return np.zeros((0, *row_shape), dtype)
    return np.frombuffer(raw, dtype).reshape(-1, *row_shape)


def strings_of(rows: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """Decoded values: categories for dictionary attributes, the rows otherwise."""
    if spec.get("encoding") == "dictionary":
        return np.asarray(spec.get("categories", []), dtype=object)[rows.astype(np.int64)] if rows.size else \
            np.zeros(rows.shape, object)
    return rows


def prepare_attributes(vs, level: int, family: str, attributes, n: int) -> list[AttributeColumn]:
    """Check per-vertex attributes against ``n`` rows and the level's existing ones."""
    if not attributes:
        attributes = {}
    existing = {}
    try:
        for name, meta in core.list_children(vs.store, f"{level}/{family}"):
            if meta.node_type == "array":
                existing[name] = meta.attributes
    except NodeNotFoundError:
        pass
    if existing and set(attributes) != set(existing) and n:
        raise VectorInputError(f"{family}: this write has {sorted(attributes)}, the store has {sorted(existing)}",
                               url=vs.store.url, path=f"{level}/{family}")
    out = []
    for name, values in attributes.items():
        if not name or "/" in name:
            raise VectorInputError(f"attribute name {name!r} is not a valid node name")
        arr = np.asarray(values)
        if arr.shape[:1] != (n,):
            raise VectorInputError(f"attribute {name!r} has {arr.shape[:1]} rows, expected {n}",
                                   url=vs.store.url, path=f"{level}/{family}/{name}")
        out.append(AttributeColumn.from_values(name, arr, existing.get(name)))
    return out


def check_vertices(vs, xyz, on_out_of_bounds: str) -> np.ndarray:
    """Positions as ``(N, D)`` in the store's dtype; refuses NaN/inf and applies the bounds policy."""
    arr = np.asarray(xyz)
    if arr.ndim != 2 or arr.shape[1] != vs.ndim:
        raise VectorInputError(f"vertices must be (N, {vs.ndim}), got {arr.shape}", url=vs.store.url, path="0")
    if arr.dtype.kind not in "iuf":
        raise VectorInputError(f"vertices must be numeric, got {arr.dtype}", url=vs.store.url, path="0")
    arr = arr.astype(vs.dtype, copy=False)
    grid = vs.root.grid
    if arr.size:
        # NaN propagates through min/max and inf shows in them: one pass over the data decides the common case
        mn, mx = arr.min(axis=0), arr.max(axis=0)
        if np.isfinite(mn).all() and np.isfinite(mx).all() and np.all(mn >= grid.lo) and np.all(mx <= grid.hi):
            if on_out_of_bounds not in ("raise", "expand"):
                raise VectorInputError(f"on_out_of_bounds must be 'raise' or 'expand', got {on_out_of_bounds!r}")
            return arr
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise VectorInputError(f"vertex {bad} is not finite ({arr[bad].tolist()}); nothing was written",
                               url=vs.store.url, path="0/vertices")
    if on_out_of_bounds not in ("raise", "expand"):
        raise VectorInputError(f"on_out_of_bounds must be 'raise' or 'expand', got {on_out_of_bounds!r}")
    inside = grid.inside(arr) if arr.size else np.ones(0, bool)
    if not inside.all():
        if on_out_of_bounds == "raise":
            bad = int(np.flatnonzero(~inside)[0])
            cell = grid.cells_of(arr[bad:bad + 1])[0]
            raise VertexOutOfBoundsError(
                f"{int((~inside).sum())} vertices are outside bounds {vs.root.bounds}, first #{bad} "
                f"{arr[bad].tolist()} in cell {cell_name(cell)}; nothing was written",
                url=vs.store.url, path="0/vertices")
        expand_bounds(vs, arr.min(axis=0), arr.max(axis=0))
    return arr


def level_cell_arrays(vs, level: int) -> list[str]:
    """Paths of every per-chunk array of a level (those with ``nonempty_chunks`` or a ``zv_array`` cell role)."""
    out = []

    def walk(path):
        try:
            children = core.list_children(vs.store, path)
        except NodeNotFoundError:
            return
        for name, meta in children:
            child = f"{path}/{name}"
            if meta.node_type == "array":
                if len(meta.shape) == vs.ndim and meta.chunk_shape and "zv_array" in meta.attributes and \
                        meta.attributes.get("zv_array") not in ("object_attribute", "groupings_attribute"):
                    out.append(child)
            elif name not in ("object_index", "object_attributes", "group_attributes", "zvx"):
                walk(child)

    walk(str(level))
    return out


def expand_bounds(vs, lo_new, hi_new) -> None:
    """Grow the bounds to include ``[lo_new, hi_new]``, keeping every stored cell."""
    old = vs.root.grid
    lo = np.minimum(old.lo, lo_new)
    hi = np.maximum(old.hi, hi_new)
    new = Grid(vs.root.chunk_shape, (lo, hi))
    for level in vs.levels():
        for path in level_cell_arrays(vs, level):
            cells = CellArray.open(vs.store, path, old)
            if np.array_equal(new.origin, old.origin):
                core.resize_array(vs.store, path, new.shape, metadata=cells.meta)
                continue
            # the low side moved: every cell's array index changes, so rewrite the array at the new origin
            stored = cells.nonempty_quiet()
            payloads = dict(zip(stored, cells.read(stored)))
            attrs = {k: v for k, v in cells.attributes.items() if k not in ("nonempty_chunks", "chunk_grid_origin")}
            shard = None if cells.meta.sharding is None else cells.meta.chunk_shape
            codecs = [c["name"] for c in cells.meta.to_dict()["codecs"]]
            codec = "zstd" if "zstd" in str(cells.meta.to_dict()["codecs"]) else "blosc" if "blosc" in codecs else "none"
            fresh = CellArray.create(vs.store, path, new, attrs, codecs=codec, shard_shape=shard, overwrite=True)
            fresh.write({c: p for c, p in payloads.items() if p})
    for level in vs.levels():  # zarrkit's extras are laid out on the old grid: drop them (they are optional)
        core.delete_node(vs.store, f"{level}/zvx", missing_ok=True)
    vs.root.bounds = [lo.tolist(), hi.tolist()]
    vs.write_root()
