"""The object index, object attributes and groups of a level (spec §2.7).

``object_index/object_ids`` (int64, ascending) and ``object_index/manifests`` (one manifest
per id) are read and written whole; they grow with ``core.resize_array``.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> idx = ObjectIndex(np.array([3, 7]), [encode_manifest(np.array([[0, 0]]), np.array([0])), b"\\0\\0\\0\\0"])
    >>> idx.write(s, "0", ndim=2)
    >>> back = ObjectIndex.read(s, "0")
    >>> back.ids.tolist(), back.blocks(7, 2), back.present
    ([3, 7], [], 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, VectorInputError
from zarrkit.vectors.cells import codec_list
from zarrkit.vectors.encoding import decode_manifest, encode_manifest

__all__ = ["ObjectIndex", "encode_manifest", "read_groups", "read_object_attributes", "write_groups",
           "write_object_attributes"]

MANIFEST_ROWS = 16384
ID_ROWS = 65536


def _exists(store, path: str) -> bool:
    try:
        core.read_metadata(store, path)
        return True
    except NodeNotFoundError:
        return False


def _put_array(store, path: str, values: np.ndarray, chunk_rows: int, dtype, *, fill=None, attributes=None,
               compressors="zstd", data_type=None) -> None:
    """Write ``values`` whole to a 1-d (or 2-d) array, creating it or resizing it in place."""
    shape = values.shape
    chunks = (max(1, min(chunk_rows, shape[0])), *shape[1:])
    try:
        meta = core.read_metadata(store, path)
        if meta.shape[1:] != shape[1:] or (chunk_rows != ID_ROWS and meta.chunk_shape[0] < chunks[0]
                                            and meta.shape[0] < chunk_rows):
            raise NodeNotFoundError("recreate", url=store.url, path=path)
        if meta.shape != shape:
            meta = core.resize_array(store, path, shape, metadata=meta)
        if attributes is not None:
            meta = core.update_attributes(store, path, attributes)
    except NodeNotFoundError:
        meta = core.array_metadata(shape, data_type or dtype, chunks, fill_value=fill,
                                   compressors=codec_list(compressors), attributes=attributes or {})
        meta = core.create_array(store, path, meta, overwrite=True)
    if shape[0]:
        core.write_region(store, path, ..., values, metadata=meta)


class ObjectIndex:
    """Sorted object ids and their encoded manifests (aligned rows)."""

    def __init__(self, ids: np.ndarray, manifests: list[bytes]) -> None:
        self.ids = np.asarray(ids, np.int64)
        self.manifests = list(manifests)
        self._decoded: dict[int, list] = {}

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def present(self) -> int:
        return sum(len(m) > 4 and m[:4] != b"\0\0\0\0" for m in self.manifests)

    def row(self, object_id: int) -> int | None:
        i = int(np.searchsorted(self.ids, object_id))
        return i if i < self.ids.size and self.ids[i] == object_id else None

    def blocks(self, object_id: int, ndim: int) -> list[tuple[tuple[int, ...], list[int]]]:
        """Decoded manifest blocks of one object (``[]`` when absent)."""
        r = self.row(object_id)
        if r is None:
            return []
        if r not in self._decoded:
            self._decoded[r] = decode_manifest(self.manifests[r], ndim, where=f"manifest of object {object_id}")
        return self._decoded[r]

    def plan(self, object_ids, ndim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(owner id (B,), cell (B, D), fragment (B,))`` of every block of ``object_ids``, in the
        requested order and manifest order within; absent ids contribute nothing.

        Example:
            >>> idx = ObjectIndex(np.array([3, 7]), [encode_manifest(np.array([[0, 1], [2, 0]]), np.array([4, 0])),
            ...                                      encode_manifest(np.array([[5, 5]]), np.array([1]))])
            >>> [a.tolist() for a in idx.plan([7, 3], 2)]
            [[7, 3, 3], [[5, 5], [0, 1], [2, 0]], [1, 4, 0]]
        """
        wanted = np.atleast_1d(np.asarray(object_ids, np.int64))
        pos = np.searchsorted(self.ids, wanted)
        pos = np.minimum(pos, max(len(self.ids) - 1, 0))
        hit = (self.ids[pos] == wanted) if len(self.ids) else np.zeros(len(wanted), bool)
        wanted, pos = wanted[hit], pos[hit]
        record = np.dtype([("c", "<i8", (ndim,)), ("m", "u1"), ("f", "<i8")])
        chosen = [self.manifests[r] for r in pos.tolist()]
        counts = np.array([int.from_bytes(m[:4], "little") if len(m) >= 4 else -1 for m in chosen], np.int64)
        sizes = np.array([len(m) for m in chosen], np.int64)
        if len(chosen) and not np.any(counts < 0) and np.array_equal(sizes, 4 + counts * record.itemsize):
            rec = np.frombuffer(b"".join(m[4:] for m in chosen), record)
            if not np.any(rec["m"] != 0):  # all mode 0 (what zarrkit writes): one numpy parse
                return np.repeat(wanted, counts), rec["c"].astype(np.int64), rec["f"].astype(np.int64)
        owner, cells, frags = [], [], []
        for oid in wanted.tolist():
            for cell, fs in self.blocks(oid, ndim):
                owner += [oid] * len(fs)
                cells += [cell] * len(fs)
                frags += list(fs)
        return (np.asarray(owner, np.int64), np.asarray(cells, np.int64).reshape(-1, ndim),
                np.asarray(frags, np.int64))

    def fragment_owners(self, ndim: int, grid, cells) -> dict[tuple[int, ...], np.ndarray]:
        """``{cell: owner id of each fragment (-1: none)}`` for ``cells`` (absolute coords), from
        every manifest; one numpy pass when every block is mode 0 (what zarrkit writes).

        Example:
            >>> from zarrkit.vectors.profile import Grid
            >>> idx = ObjectIndex(np.array([3, 7]), [encode_manifest(np.array([[0, 1]]), np.array([2])),
            ...                                      encode_manifest(np.array([[0, 1]]), np.array([0]))])
            >>> idx.fragment_owners(2, Grid([1, 1], [[0, 0], [3, 3]]), [(0, 1)])[(0, 1)].tolist()
            [7, -1, 3]
        """
        cells = [tuple(int(v) for v in c) for c in cells]
        if not cells:
            return {}
        fast = self._mode0_blocks(ndim)
        if fast is None:  # other manifest modes: decode object by object
            bc, bf, bo = self.plan(self.ids, ndim)
        else:
            bc, bf, bo = fast
        lin = grid.linear(bc) if len(bc) else np.zeros(0, np.int64)
        want = grid.linear(np.asarray(cells, np.int64))
        m = np.isin(lin, want)
        lin, bf, bo = lin[m], bf[m], bo[m]
        order = np.argsort(lin, kind="stable")
        lin, bf, bo = lin[order], bf[order], bo[order]
        starts = np.searchsorted(lin, want, side="left")
        ends = np.searchsorted(lin, want, side="right")
        out = {}
        for cell, a, b in zip(cells, starts.tolist(), ends.tolist()):
            table = np.full(int(bf[a:b].max()) + 1 if b > a else 0, -1, np.int64)
            table[bf[a:b]] = bo[a:b]
            out[cell] = table
        return out

    def _mode0_blocks(self, ndim: int):
        """``(cells (B, D), fragments (B,), owner ids (B,))`` of all manifests when every block
        is mode 0 (what zarrkit writes), else ``None``."""
        record = np.dtype([("c", "<i8", (ndim,)), ("m", "u1"), ("f", "<i8")])
        counts = np.array([int.from_bytes(m[:4], "little") if len(m) >= 4 else -1 for m in self.manifests], np.int64)
        sizes = np.array([len(m) for m in self.manifests], np.int64)
        if np.any(counts < 0) or np.any(sizes != 4 + counts * record.itemsize):
            return None
        body = b"".join(m[4:] for m in self.manifests)
        rec = np.frombuffer(body, record)
        if np.any(rec["m"] != 0):
            return None
        return rec["c"].astype(np.int64), rec["f"].astype(np.int64), np.repeat(self.ids, counts)

    @classmethod
    def read(cls, store, level: str) -> ObjectIndex | None:
        base = f"{level}/object_index"
        if not _exists(store, base + "/manifests"):
            return None
        ids = core.read_region(store, base + "/object_ids", ...)
        manifests = core.read_region(store, base + "/manifests", ...)
        return cls(ids, [bytes(m) for m in manifests.tolist()])

    def merged(self, new_blocks: dict[int, tuple[np.ndarray, np.ndarray]]) -> ObjectIndex:
        """A new index with ``new_blocks`` (``{id: (cells (B, D), fragments (B,))}``) appended to each manifest."""
        ids = np.union1d(self.ids, np.fromiter(new_blocks, np.int64, len(new_blocks)))
        manifests = []
        for oid in ids.tolist():
            r = self.row(oid)
            old = self.manifests[r] if r is not None else b"\0\0\0\0"
            add = new_blocks.get(oid)
            if add is None or len(add[1]) == 0:
                manifests.append(old)
                continue
            cells, frags = add
            body = encode_manifest(cells, frags)
            if len(old) > 4:
                count = int.from_bytes(old[:4], "little") + len(frags)
                manifests.append(count.to_bytes(4, "little") + old[4:] + body[4:])
            else:
                manifests.append(body)
        return ObjectIndex(ids, manifests)

    def write(self, store, level: str, *, ndim: int, codecs: str = "zstd") -> None:
        base = f"{level}/object_index"
        if not _exists(store, base):
            core.create_group(store, base)
        man = np.empty(len(self.manifests), dtype=object)
        man[:] = self.manifests
        _put_array(store, base + "/manifests", man, MANIFEST_ROWS, bytes, compressors=codecs)
        _put_array(store, base + "/object_ids", self.ids, ID_ROWS, "int64", compressors=codecs)
        core.update_attributes(store, base, {"zv_array": "object_index", "num_objects": len(self),
                                             "num_present": self.present, "sid_ndim": ndim,
                                             "layout": "vlen_manifests_v2", "object_ids_sorted": True})


def _absent_fill(dtype: np.dtype):
    if dtype.kind == "f":
        return float("nan")
    if dtype.kind == "i":
        return int(np.iinfo(dtype).min)
    if dtype.kind == "u":
        return int(np.iinfo(dtype).max)
    if dtype.kind == "U":
        return ""
    if dtype.kind == "b":
        return False
    raise VectorInputError(f"object attribute dtype {dtype} is not supported")


def write_object_attributes(store, level: str, index: ObjectIndex, values: dict[str, dict[int, Any]],
                            *, codecs: str = "zstd") -> None:
    """Set per-object values ``{name: {object id: value}}``; other rows keep theirs (or absence)."""
    if not values:
        return
    if not _exists(store, f"{level}/object_attributes"):
        core.create_group(store, f"{level}/object_attributes")
    old = read_object_attributes(store, level, index_ids=None)
    for name, per_id in values.items():
        sample = np.asarray(list(per_id.values()))
        prev = old.get(name)
        dtype = sample.dtype if prev is None else prev[1].dtype
        if prev is not None and sample.dtype.kind != dtype.kind:
            raise VectorInputError(f"object attribute {name!r} was {dtype}, now {sample.dtype}",
                                   url=store.url, path=f"{level}/object_attributes/{name}")
        if dtype.kind == "U" and prev is not None:
            dtype = np.dtype(f"<U{max(dtype.itemsize, sample.dtype.itemsize) // 4}")
        row_shape = sample.shape[1:]
        out = np.full((len(index), *row_shape), _absent_fill(dtype), dtype=dtype)
        if prev is not None:
            pos = np.searchsorted(index.ids, prev[0])
            out[pos] = prev[1]
        rows = np.searchsorted(index.ids, np.fromiter(per_id, np.int64, len(per_id)))
        out[rows] = sample
        attrs = {"zv_array": "object_attribute", "name": name, "dtype": str(dtype) if dtype.kind != "U" else dtype.str,
                 "shape": list(out.shape), "fill_sentinel_meaning": "absent"}
        data_type = None
        if dtype.kind == "U":
            data_type = {"name": "fixed_length_utf32", "configuration": {"length_bytes": dtype.itemsize}}
        _put_array(store, f"{level}/object_attributes/{name}", out, ID_ROWS, dtype, fill=_absent_fill(dtype),
                   attributes=attrs, compressors=codecs, data_type=dtype if data_type is None else dtype)


def read_object_attributes(store, level: str, index_ids=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (object ids of the rows, values)}`` for every object attribute of the level."""
    out = {}
    try:
        children = core.list_children(store, f"{level}/object_attributes")
    except NodeNotFoundError:
        return out
    ids = None
    for name, meta in children:
        if meta.node_type != "array":
            continue
        if ids is None:
            ids = core.read_region(store, f"{level}/object_index/object_ids", ...)
        out[name] = (ids, core.read_region(store, f"{level}/object_attributes/{name}", ..., metadata=meta))
    return out


def write_groups(store, level: str, groups: dict[int, list[int]], *, codecs: str = "zstd") -> None:
    """Merge ``{group id: [object ids]}`` into ``groups`` (dense ids ``0…G−1``)."""
    current = read_groups(store, level)
    for g, members in groups.items():
        current[int(g)] = np.union1d(current.get(int(g), np.zeros(0, np.int64)), np.asarray(members, np.int64))
    n = max(current) + 1 if current else 0
    rows = np.empty(n, dtype=object)
    for g in range(n):
        rows[g] = np.asarray(current.get(g, []), "<i8").tobytes()
    _put_array(store, f"{level}/groups", rows, MANIFEST_ROWS, bytes, compressors=codecs,
               attributes={"zv_array": "groups", "num_groups": n})


def read_groups(store, level: str) -> dict[int, np.ndarray]:
    """``{group id: object ids}``."""
    if not _exists(store, f"{level}/groups"):
        return {}
    rows = core.read_region(store, f"{level}/groups", ...)
    return {g: np.frombuffer(bytes(r), "<i8").astype(np.int64) for g, r in enumerate(rows.tolist())}
