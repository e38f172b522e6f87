"""Truth helpers for the conformance tests: geometry as sets, and a store's zarr.json
documents and decoded arrays, read with zarr-python (the oracle), not zarrkit."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np


def edge_set(xyz, edges) -> set:
    """Undirected edges as sets of endpoint positions (independent of row numbering)."""
    return {tuple(sorted(map(tuple, np.asarray(xyz)[e].tolist()))) for e in np.asarray(edges)}


def face_set(xyz, faces) -> set:
    """Faces as rotation-canonical vertex tuples, so winding is checked."""
    out = set()
    for f in np.asarray(faces):
        pts = [tuple(p) for p in np.asarray(xyz)[f].tolist()]
        k = pts.index(min(pts))
        out.add(tuple(pts[k:] + pts[:k]))
    return out


def sorted_rows(a) -> np.ndarray:
    """Rows of a 2-D array in lexicographic order (a multiset as an array)."""
    a = np.asarray(a)
    return a[np.lexsort(a.T[::-1])] if len(a) else a


def documents(root) -> dict[str, dict]:
    """Every ``zarr.json`` under ``root``, by node path (``""`` for the root)."""
    root = Path(root)
    out = {}
    for f in root.rglob("zarr.json"):
        node = f.parent.relative_to(root).as_posix()
        out["" if node == "." else node] = json.loads(f.read_text())
    return out


def arrays(root) -> dict[str, np.ndarray]:
    """Every array under ``root`` read whole by zarr-python; vlen cells come back as ``bytes``
    (an unwritten cell is the fill value ``b""``), so equal arrays mean equal decoded cells."""
    import zarr

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's unstable-dtype warning for vlen-bytes / fixed UTF-32
        for node, doc in documents(root).items():
            if doc.get("node_type") == "array":
                values = zarr.open_array(str(Path(root) / node), mode="r")[...]
                if values.dtype == object:
                    values = np.array([bytes(v or b"") for v in values.ravel()], object).reshape(values.shape)
                out[node] = values
    return out


def payloads(root) -> dict[str, bytes]:
    """Every stored cell under ``root`` with its bytes codecs undone (zstd, gzip, blosc), by
    chunk key: the cells as zarr hands them to the array-to-bytes codec, whatever the
    compressor's version produced.  Much cheaper than opening every array with zarr-python;
    sharded arrays (whose shard bytes depend on the inner order) go through zarr instead,
    one entry per cell."""
    import numcodecs

    root = Path(root)
    undo = {"zstd": numcodecs.Zstd().decode, "gzip": numcodecs.GZip().decode, "blosc": numcodecs.Blosc().decode}
    out = {}
    for node, doc in documents(root).items():
        if doc.get("node_type") != "array":
            continue
        names = [c["name"] for c in doc.get("codecs", [])]
        if "sharding_indexed" in names:
            values = arrays(root / node)[""]
            for index in zip(*np.nonzero(values != b"")):
                out[f"{node}/c/" + "/".join(str(int(i)) for i in index)] = values[index]
            continue
        chain = [undo[n] for n in reversed(names) if n in undo]
        for f in sorted((root / node / "c").rglob("*")) if (root / node / "c").is_dir() else []:
            if f.is_file():
                raw = f.read_bytes()
                for step in chain:
                    raw = bytes(step(raw))
                out[f.relative_to(root).as_posix()] = raw
    return out


def json_diff(a, b, path: str = "") -> list[tuple[str, object, object]]:
    """Leaf differences between two JSON documents as ``(path, a_value, b_value)``; a key
    missing on one side shows as ``MISSING``.  Lists of equal length are compared item by item."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += json_diff(a.get(k, MISSING), b.get(k, MISSING), f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in json_diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path, a, b)]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
