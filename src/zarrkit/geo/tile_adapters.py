"""Tiles that are not files of pixels: a per-tile Zarr array, or a callable.

**Zarr** (``open_zarr_tile``): a path or URL to an array, or to a group holding one 2-D/3-D
array (``data`` or ``embeddings`` when there are several).  CRS from ``proj:code`` /
``proj:wkt2`` (zarr-conventions proj, on the array or its group) or from the CF
``grid_mapping`` variable (``crs_wkt`` / ``spatial_ref``); transform from
``spatial:transform`` (Affine order) or the CF ``GeoTransform`` (GDAL order).  Axes follow
``dimension_names`` (``y, x, band``; ``band, y, x``; or ``y, x``), default ``y, x, band``.
Its identity is the size and mtime of every object (local) or the sha256 of its
``zarr.json`` (remote stores, where listing every chunk would cost a request each).

**Callable** (:func:`callable_tile`): ``fn(window) -> (y, x, band)`` array for the tile rows
and columns ``window = (r0, r1, c0, c1)``.  ``fn`` must pickle (a module-level function) to
run on processes or Dask.  Its ``identity`` is what the fingerprints see: pass a new one
(a version, a hash of the inputs) when its pixels change.

Example:
    >>> import numpy as np
    >>> def ramp(window):
    ...     r0, r1, c0, c1 = window
    ...     return np.ones((r1 - r0, c1 - c0, 2), "f4")
    >>> t = callable_tile(ramp, id="r", crs="EPSG:32631", transform=(10, 0, 5e5, 0, -10, 100), shape=(4, 4),
    ...                   bands=2, dtype="float32", identity="v1")
    >>> t.read((0, 2, 1, 4)).shape
    (2, 3, 2)
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from zarrkit.errors import TileError

__all__ = ["callable_tile", "open_zarr_tile", "read_zarr_window"]


@lru_cache(maxsize=32)
def _store(url: str):
    from zarrkit.storage import open_store

    return open_store(url, mode="r")


def _doc(store, path: str) -> dict[str, Any] | None:
    raw = store.get(f"{path}/zarr.json" if path else "zarr.json")
    return None if raw is None else json.loads(raw)


def _pick_array(store, url: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(array path, array document, group attributes)`` of a tile store."""
    doc = _doc(store, "")
    if doc is None:
        raise TileError(f"{url}: not a Zarr v3 node (no zarr.json)")
    if doc.get("node_type") == "array":
        return "", doc, {}
    arrays = {}
    for entry in store.list_dir(""):
        name = entry.rstrip("/")
        child = _doc(store, name) if entry.endswith("/") else None
        if child and child.get("node_type") == "array" and len(child.get("shape", ())) in (2, 3):
            arrays[name] = child
    for name in ("data", "embeddings"):
        if name in arrays:
            return name, arrays[name], doc.get("attributes") or {}
    big = {n: d for n, d in arrays.items() if n not in ("x", "y", "band", "spatial_ref")}
    if len(big) != 1:
        raise TileError(f"{url}: expected one 2-D or 3-D array (or one named 'data'), found {sorted(big) or 'none'}")
    name = next(iter(big))
    return name, big[name], doc.get("attributes") or {}


def _georef(store, url: str, attrs: dict[str, Any], group: dict[str, Any]) -> tuple[str, tuple[float, ...]]:
    merged = {**group, **attrs}
    crs = merged.get("proj:code") or merged.get("proj:wkt2")
    transform = merged.get("spatial:transform")
    gm = merged.get("grid_mapping")
    if (crs is None or transform is None) and isinstance(gm, str):
        ref = (_doc(store, gm) or {}).get("attributes") or {}
        crs = crs or ref.get("crs_wkt") or ref.get("spatial_ref")
        if transform is None and ref.get("GeoTransform"):
            x0, a, b, y0, d, e = (float(v) for v in str(ref["GeoTransform"]).split())
            transform = [a, b, x0, d, e, y0]
    if not crs:
        raise TileError(f"{url}: no CRS (give proj:code / proj:wkt2, or a CF grid_mapping with crs_wkt)")
    if transform is None:
        raise TileError(f"{url}: no transform (give spatial:transform, or a CF grid_mapping with GeoTransform)")
    return str(crs), tuple(transform)


def _identity(url: str, store, content_hash: bool) -> str:
    if os.path.isdir(url) and not content_hash:
        h = hashlib.sha256()
        for dirpath, dirs, files in sorted(os.walk(url)):
            dirs.sort()
            for f in sorted(files):
                st = os.stat(os.path.join(dirpath, f))
                h.update(f"{os.path.relpath(os.path.join(dirpath, f), url)}:{st.st_size}:{st.st_mtime_ns};".encode())
        return "tree:" + h.hexdigest()
    return "sha256:" + hashlib.sha256(store.get("zarr.json") or b"").hexdigest()


def open_zarr_tile(url: str, *, time: str | None = None, content_hash: bool = False):
    """The header of a per-tile Zarr array (see the module docstring); raises :class:`TileError`."""
    from zarrkit.geo.sources import TileSource, canonical_crs, check_transform

    url = os.fspath(url).rstrip("/")
    store = _store(url)
    path, doc, group = _pick_array(store, url)
    attrs = doc.get("attributes") or {}
    crs, transform = _georef(store, url, attrs, group)
    dims = doc.get("dimension_names") or (["y", "x", "band"] if len(doc["shape"]) == 3 else ["y", "x"])
    if sorted(dims) not in (["band", "x", "y"], ["x", "y"]) or dims.index("y") > dims.index("x"):
        raise TileError(f"{url}: dimension_names {dims}: expected y, x and band with y before x")
    shape = dict(zip(dims, doc["shape"]))
    from zarrkit import core

    dtype = str(core.ArrayMetadata.from_dict(doc).dtype)
    stem = os.path.splitext(os.path.basename(url))[0]
    return TileSource(stem, url, "zarr", canonical_crs(crs),
                      check_transform(url, transform), (shape["y"], shape["x"]), shape.get("band", 1), dtype,
                      attrs.get("nodata"), (group.get("time") or attrs.get("time") or time),
                      _identity(url, store, content_hash), zarr_array=path, zarr_dims=tuple(dims))


def read_zarr_window(tile, window: Sequence[int]) -> np.ndarray:
    """Rows/cols ``window`` of a Zarr tile as ``(y, x, band)``."""
    from zarrkit import core

    r0, r1, c0, c1 = window
    dims = list(tile.zarr_dims)
    sel = tuple({"y": slice(r0, r1), "x": slice(c0, c1), "band": slice(None)}[d] for d in dims)
    out = core.read_region(_store(tile.path), tile.zarr_array, sel)
    order = [d for d in ("y", "x", "band") if d in dims]
    out = np.transpose(out, [dims.index(d) for d in order])
    return out if "band" in dims else out[..., None]


def callable_tile(fn: Callable[[tuple[int, int, int, int]], np.ndarray], *, id: str, crs: str,
                  transform: Sequence[float], shape: tuple[int, int], bands: int, dtype: Any, identity: str,
                  nodata: float | None = None, time: str | None = None):
    """A tile whose pixels come from ``fn(window)`` (see the module docstring)."""
    from zarrkit.geo.sources import TileSource, canonical_crs, check_transform

    if not identity:
        raise TileError(f"{id}: a callable tile needs an identity (a version or a hash): fingerprints hash it")
    tile = TileSource(str(id), f"callable:{id}", "callable", canonical_crs(crs), check_transform(str(id), transform),
                      (int(shape[0]), int(shape[1])), int(bands), str(np.dtype(dtype)), nodata, time, str(identity),
                      reader=fn)
    tile.read((0, 1, 0, 1))  # one pixel now: a wrong shape is refused before anything is written
    return tile
