"""Per-chunk arrays (spec §2.4): one variable-length payload per grid cell, chunk shape
``(1, …, 1)``, with ``nonempty_chunks`` listing every stored cell.

Cells are addressed by **absolute** chunk coordinates; :class:`CellArray` subtracts the
grid origin.  Writes go through ``core.write_chunks`` (encoded on the core pool, one
``set_many``), reads through ``core.read_chunks`` (one ``get_many``).

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.vectors.profile import Grid
    >>> s = open_store("memory://", mode="w")
    >>> cells = CellArray.create(s, "0/vertices", Grid([10, 10], [[-10, 0], [9, 9]]), {"zv_array": "vertices"})
    >>> cells.write({(-1, 0): b"abc"})
    >>> cells.nonempty(), cells.read([(-1, 0), (0, 0)])
    ([(-1, 0)], [b'abc', None])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import MissingOccupancyWarning, NodeNotFoundError, VectorFormatError
from zarrkit.vectors.profile import Grid, cell_name

__all__ = ["CellArray", "codec_list"]


def codec_list(codecs: str, itemsize: int = 4) -> list[dict[str, Any]] | None:
    """The bytes→bytes codecs for ``codecs="zstd" | "blosc" | "none"``."""
    if codecs == "zstd":
        return [{"name": "zstd", "configuration": {"level": 0, "checksum": False}}]
    if codecs == "blosc":
        return [{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 5, "shuffle": "shuffle",
                                                     "typesize": itemsize, "blocksize": 0}}]
    if codecs in ("none", None):
        return None
    raise VectorFormatError(f"codecs must be 'zstd', 'blosc' or 'none', got {codecs!r}")


class CellArray:
    """One per-chunk array of a level: its path, metadata and grid."""

    def __init__(self, store, path: str, meta, grid: Grid) -> None:
        self.store = store
        self.path = path
        self.meta = meta
        self.grid = grid
        self.origin = np.asarray(meta.attributes.get("chunk_grid_origin", [0] * len(meta.shape)), np.int64)

    @classmethod
    def create(cls, store, path: str, grid: Grid, attributes: dict[str, Any], *, codecs: str = "zstd",
               itemsize: int = 4, shard_shape=None, overwrite: bool = False) -> CellArray:
        attrs = {"nonempty_chunks": []}
        if np.any(grid.origin != 0):
            attrs["chunk_grid_origin"] = [int(o) for o in grid.origin]
        attrs.update(attributes)
        ones = (1,) * grid.ndim
        shards = None if shard_shape is None else tuple(min(int(s), g) for s, g in zip(shard_shape, grid.shape))
        meta = core.array_metadata(grid.shape, bytes, ones, shards=shards,
                                   compressors=codec_list(codecs, itemsize), attributes=attrs)
        meta = core.create_array(store, path, meta, overwrite=overwrite)
        return cls(store, path, meta, grid)

    @classmethod
    def open(cls, store, path: str, grid: Grid) -> CellArray:
        return cls(store, path, core.read_metadata(store, path), grid)

    @property
    def attributes(self) -> dict[str, Any]:
        return self.meta.attributes

    @property
    def sharded(self) -> bool:
        return self.meta.sharding is not None

    def _local(self, coords) -> tuple[int, ...]:
        local = tuple(int(c) - int(o) for c, o in zip(coords, self.origin))
        if any(not 0 <= c < s for c, s in zip(local, self.meta.shape)):
            raise VectorFormatError(f"cell {cell_name(coords)} is outside the grid of this array",
                                    url=self.store.url, path=self.path)
        return local

    def key(self, coords) -> str:
        """The store key of a cell (the shard's key when sharded)."""
        local = self._local(coords)
        if self.sharded:
            local = tuple(c // p for c, p in zip(local, self.meta.chunk_shape))
        return f"{self.path}/{self.meta.chunk_key(local)}"

    def nonempty(self) -> list[tuple[int, ...]]:
        """Stored cells (absolute coords, C order), from ``nonempty_chunks``; lists the store when absent."""
        names = self.attributes.get("nonempty_chunks")
        if names is None:
            warnings.warn(f"{self.path} in {self.store.url} has no nonempty_chunks; listing the store "
                          "(zarr_vectors would read it as empty: run `zarrkit vectors check --repair`)",
                          MissingOccupancyWarning, stacklevel=3)
            return self.listed()
        cells = [tuple(int(v) for v in n.split(".")) for n in names]
        return sorted(cells, key=lambda c: tuple(c))

    def listed(self) -> list[tuple[int, ...]]:
        """Stored cells found by listing the store (decoding shards when sharded)."""
        prefix = self.path + "/c/"
        found = []
        for key in self.store.list_prefix(prefix):
            parts = key[len(prefix):].split("/")
            try:
                local = tuple(int(p) for p in parts)
            except ValueError:
                continue
            if len(local) != self.grid.ndim:
                continue
            if self.sharded:
                per = self.meta.chunk_shape
                blocks = core.read_region(self.store, self.path, tuple(
                    slice(c * p, min((c + 1) * p, s)) for c, p, s in zip(local, per, self.meta.shape)), metadata=self.meta)
                for idx in zip(*np.nonzero(np.vectorize(len, otypes=[int])(blocks))):
                    found.append(tuple(int(c * p + i + o) for c, p, i, o in zip(local, per, idx, self.origin)))
            else:
                found.append(tuple(int(c + o) for c, o in zip(local, self.origin)))
        return sorted(found)

    def read(self, cells) -> list[bytes | None]:
        """Payloads of ``cells`` (absolute coords), ``None`` where nothing is stored."""
        cells = list(cells)
        if not cells:
            return []
        local = [self._local(c) for c in cells]
        chunks = core.read_chunks(self.store, self.path, local, metadata=self.meta, inner=self.sharded)
        return [bytes(c.reshape(-1)[0]) or None for c in chunks]

    def write(self, payloads: dict[tuple[int, ...], bytes], *, stamp: bool = True) -> None:
        """Store cell payloads (never an empty one) and, with ``stamp``, union ``nonempty_chunks``."""
        if not payloads:
            return
        items = {}
        for coords, raw in payloads.items():
            if not raw:
                raise VectorFormatError(f"refusing to store an empty payload in cell {cell_name(coords)}",
                                        url=self.store.url, path=self.path)
            items[self._local(coords)] = raw
        core.write_chunks(self.store, self.path, items, metadata=self.meta, inner=self.sharded)
        if stamp:
            self.stamp(set(self.nonempty_quiet()) | {tuple(int(c) for c in k) for k in payloads})

    def nonempty_quiet(self) -> list[tuple[int, ...]]:
        names = self.attributes.get("nonempty_chunks")
        if names is None:
            return self.listed()
        return [tuple(int(v) for v in n.split(".")) for n in names]

    def stamp(self, cells, **extra: Any) -> None:
        """Rewrite ``nonempty_chunks`` (sorted as strings, as zarr_vectors does) and any extra attributes."""
        names = sorted(cell_name(c) for c in cells)
        self.meta = core.update_attributes(self.store, self.path, {"nonempty_chunks": names, **extra})

    def update(self, **attrs: Any) -> None:
        self.meta = core.update_attributes(self.store, self.path, attrs)


def open_cells(store, path: str, grid: Grid) -> CellArray | None:
    """The cell array at ``path``, or ``None`` when the node does not exist."""
    try:
        return CellArray.open(store, path, grid)
    except NodeNotFoundError:
        return None
