"""Source tiles: headers for planning, windows for the tasks.

A :class:`TileSource` is a small picklable description (id, CRS, transform, shape, bands,
dtype, nodata, time, identity); :meth:`TileSource.read` reopens the file where the task
runs (a per-process cache keeps it open).  Planning reads headers only.

Adapters: ``.npy`` (memory-mapped) with a ``{stem}.json`` sidecar (``crs``, ``transform``
in Affine order or ``transform_from: ref.tif``, optional ``nodata``, ``time``, ``scales``,
``mask``), GeoTIFF/COG through rasterio, and (:mod:`zarrkit.geo.tile_adapters`) per-tile
Zarr arrays (``*.zarr``) and callables.

Example:
    >>> import json, os, tempfile, numpy as np
    >>> d = tempfile.mkdtemp(); np.save(os.path.join(d, "t.npy"), np.ones((2, 3, 4), "f4"))
    >>> _ = open(os.path.join(d, "t.json"), "w").write(json.dumps(
    ...     {"crs": "EPSG:32631", "transform": [10, 0, 500000, 0, -10, 20]}))
    >>> t = open_tile(os.path.join(d, "t.npy"), time="2024")
    >>> t.id, t.shape, t.bands, t.read((0, 1, 0, 2)).shape
    ('t', (2, 3), 4, (1, 2, 4))
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from zarrkit.errors import TileError

__all__ = ["TileSource", "canonical_crs", "check_tiles", "check_transform", "expand_inputs", "open_tile", "open_tiles"]

_TIF = (".tif", ".tiff")


@dataclass(frozen=True)
class TileSource:
    """One source tile's header and how to reopen it."""

    id: str
    path: str
    format: str                      # "npy", "gtiff", "zarr", "callable" or "warp"
    crs: str
    transform: tuple[float, ...]     # Affine order (a, b, c, d, e, f)
    shape: tuple[int, int]
    bands: int
    dtype: str
    nodata: float | None = None
    time: str | None = None
    identity: str = ""
    scales: str | None = None        # pre-quantised int8: the scales .npy ((y, x) or (y, x, band))
    mask: str | None = None          # a (y, x) .npy, non-zero = valid
    zarr_array: str = ""             # a Zarr tile: the array's path in its store, and its axes
    zarr_dims: tuple[str, ...] = ()
    reader: Callable[[tuple[int, int, int, int]], Any] | None = field(default=None, compare=False, repr=False)
    warp: tuple[Any, str] | None = field(default=None, repr=False)  # (source tile, method): zarrkit.geo.resample

    def read(self, window: Sequence[int], bands: Sequence[int] | None = None) -> np.ndarray:
        """Pixels ``[r0:r1, c0:c1]`` as ``(y, x, band)``."""
        r0, r1, c0, c1 = window
        if self.format == "npy":
            out = _npy(self.path)[r0:r1, c0:c1]
        elif self.format == "warp":
            from zarrkit.geo.resample import warped_window

            out = warped_window(self, tuple(window))[0]
        elif self.format in ("zarr", "callable"):
            from zarrkit.geo.tile_adapters import read_zarr_window

            out = read_zarr_window(self, window) if self.format == "zarr" else self.reader((r0, r1, c0, c1))
            out = np.asarray(out)
            if out.shape != (r1 - r0, c1 - c0, self.bands):
                raise TileError(f"{self.path}: window rows {r0}:{r1}, cols {c0}:{c1} gave shape {out.shape}, "
                                f"expected {(r1 - r0, c1 - c0, self.bands)}")
        else:
            from rasterio.windows import Window

            out = np.moveaxis(_raster(self.path).read(window=Window(c0, r0, c1 - c0, r1 - r0)), 0, -1)
        return np.asarray(out if bands is None else out[..., list(bands)])

    def read_scales(self, window: Sequence[int]) -> np.ndarray | None:
        """The pre-quantised scales of the window, or ``None``."""
        if not self.scales:
            return None
        r0, r1, c0, c1 = window
        return np.asarray(_npy(self.scales)[r0:r1, c0:c1], dtype="f4")

    def read_mask(self, window: Sequence[int], data: np.ndarray | None = None) -> np.ndarray:
        """``True`` where the tile has data: the mask file, nodata in every band, finite values."""
        r0, r1, c0, c1 = window
        if self.format == "warp":
            from zarrkit.geo.resample import warped_window

            return warped_window(self, tuple(window))[1]
        data = self.read(window) if data is None else data
        valid = np.ones(data.shape[:2], bool)
        if self.mask:
            valid &= np.asarray(_npy(self.mask)[r0:r1, c0:c1]) != 0
        if self.nodata is not None and not (isinstance(self.nodata, float) and math.isnan(self.nodata)):
            valid &= ~np.all(data == self.nodata, axis=-1)
        if data.dtype.kind == "f":
            valid &= np.isfinite(data).all(axis=-1)
        return valid

    def read_coverage(self, window: Sequence[int]) -> np.ndarray | None:
        """Where the tile covers the window (``None``: all of it); only warped tiles cover less."""
        if self.format != "warp":
            return None
        from zarrkit.geo.resample import warped_window

        return warped_window(self, tuple(window))[2]

    def centre_lonlat(self) -> tuple[float, float]:
        """The tile centre in lon/lat (pyproj), for choosing its grid."""
        from pyproj import Transformer

        a, _, c, _, e, f = self.transform
        x, y = c + a * self.shape[1] / 2, f + e * self.shape[0] / 2
        return Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(x, y)


@lru_cache(maxsize=64)
def _npy(path: str) -> np.ndarray:
    return np.load(path, mmap_mode="r")


@lru_cache(maxsize=16)
def _raster(path: str):
    import rasterio

    return rasterio.open(path)


def _identity(path: str, content_hash: bool) -> str:
    if content_hash:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return "sha256:" + h.hexdigest()
    st = os.stat(path)
    return f"{st.st_size}-{st.st_mtime_ns}"


def canonical_crs(crs: str) -> str:
    """``AUTH:CODE`` for a CRS with an exact authority code (a WKT or PROJJSON one too), else as given.

    Example:
        >>> canonical_crs("epsg:32631"), canonical_crs('GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",'
        ...     'ELLIPSOID["WGS 84",6378137,298.257223563]],CS[ellipsoidal,2],AXIS["lat",north],AXIS["lon",east],'
        ...     'UNIT["degree",0.0174532925199433],ID["EPSG",4326]]')
        ('EPSG:32631', 'EPSG:4326')
    """
    text = str(crs).strip()
    if ":" in text and "[" not in text and "{" not in text:
        return text.upper()
    from zarrkit.geo.layout import crs_facts

    try:
        code = crs_facts(text)[0]
    except Exception:  # pyproj cannot parse it: the grid check reports the CRS as it came
        return text
    return code or text


def check_transform(tid: str, transform: Sequence[float]) -> tuple[float, ...]:
    """``transform`` as six finite floats of an invertible north-up-or-rotated Affine, else :class:`TileError`."""
    if transform is None or len(transform) < 6:
        raise TileError(f"{tid}: no transform (give 'transform' [a, b, c, d, e, f] or 'transform_from')")
    t = tuple(float(v) for v in transform[:6])
    if not all(math.isfinite(v) for v in t) or t[0] == 0 or t[4] == 0:
        raise TileError(f"{tid}: the transform {list(t)} is not finite and invertible")
    return t


def open_tile(path: str, *, time: str | None = None, content_hash: bool = False) -> TileSource:
    """The header of one tile (``.npy`` + sidecar, or a GeoTIFF); raises :class:`TileError`."""
    path = os.fspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    if path.lower().endswith(".zarr") or os.path.isfile(os.path.join(path, "zarr.json")):
        from zarrkit.geo.tile_adapters import open_zarr_tile

        return open_zarr_tile(path, time=time, content_hash=content_hash)
    if path.lower().endswith(".npy"):
        side_path = os.path.splitext(path)[0] + ".json"
        if not os.path.exists(side_path):
            raise TileError(f"{path}: no sidecar {os.path.basename(side_path)} with its crs and transform")
        side = json.loads(open(side_path).read())
        transform = side.get("transform")
        crs = side.get("crs")
        if transform is None and side.get("transform_from"):
            ref = _raster(os.path.join(os.path.dirname(path), side["transform_from"]))
            transform, crs = tuple(ref.transform)[:6], crs or (ref.crs.to_string() if ref.crs else None)
        if not crs:
            raise TileError(f"{path}: no CRS in its sidecar")
        arr = _npy(path)
        if arr.ndim != 3:
            raise TileError(f"{path}: expected (y, x, band), got shape {arr.shape}")
        rel = lambda name: os.path.join(os.path.dirname(path), name) if name else None  # noqa: E731
        return TileSource(stem, path, "npy", canonical_crs(crs), check_transform(path, transform), arr.shape[:2],
                          arr.shape[2], str(arr.dtype), side.get("nodata"), side.get("time") or time,
                          _identity(path, content_hash), rel(side.get("scales")), rel(side.get("mask")))
    if path.lower().endswith(_TIF):
        import rasterio

        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise TileError(f"{path}: the GeoTIFF has no CRS")
            if ds.transform.is_identity:
                raise TileError(f"{path}: the GeoTIFF has no geotransform")
            dtypes = set(ds.dtypes)
            if len(dtypes) != 1:
                raise TileError(f"{path}: bands of different dtypes {sorted(dtypes)}")
            return TileSource(stem, path, "gtiff", canonical_crs(ds.crs.to_string()),
                              check_transform(path, tuple(ds.transform)[:6]), (ds.height, ds.width), ds.count,
                              ds.dtypes[0], ds.nodata, time, _identity(path, content_hash))
    raise TileError(f"{path}: not a tile zarrkit reads (.npy with a .json sidecar, .tif, .tiff, .zarr)")


def expand_inputs(patterns: Sequence[str]) -> list[str]:
    """Paths from globs and folders, sorted; a CSV/JSONL manifest is read by :func:`open_tiles`."""
    out: list[str] = []
    for p in patterns:
        if os.path.isdir(p) and not os.path.isfile(os.path.join(p, "zarr.json")):  # a folder of tiles
            out += [os.path.join(p, f) for f in os.listdir(p) if f.lower().endswith((".npy", ".zarr", *_TIF))]
        else:
            hits = glob.glob(p)
            if not hits:
                raise TileError(f"{p}: no such tile or pattern")
            out += hits
    return sorted(set(out))


def open_tiles(patterns: Sequence[str], *, time: str | None = None, content_hash: bool = False) -> list[TileSource]:
    """Headers of every tile, sorted by id; band counts and dtypes must agree.

    ``--manifest`` files (``.csv`` with ``path,time[,mask]``, or ``.jsonl``) list tiles with times.
    """
    tiles = []
    for path in expand_inputs(patterns):
        if path.lower().endswith((".csv", ".jsonl")):
            tiles += _manifest(path, content_hash)
        else:
            tiles.append(open_tile(path, time=time, content_hash=content_hash))
    return check_tiles(tiles)


def check_tiles(tiles: Sequence[TileSource]) -> list[TileSource]:
    """``tiles`` sorted by id, refusing shared ids and disagreeing band counts or dtypes."""
    tiles = sorted(tiles, key=lambda t: t.id)
    ids = [t.id for t in tiles]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise TileError(f"tiles {dup} share an id (file stem); ids decide composite ties, so they must be unique")
    if tiles:
        first = tiles[0]
        for t in tiles[1:]:
            if (t.bands, t.dtype) != (first.bands, first.dtype):
                raise TileError(f"{t.path}: {t.bands} bands of {t.dtype}, but {first.path} has {first.bands} of {first.dtype}")
    return tiles


def _manifest(path: str, content_hash: bool) -> list[TileSource]:
    """The tiles a CSV (``path,time[,mask]`` header) or JSONL manifest lists; relative paths are
    relative to the manifest, and a row's ``time`` overrides the tile's sidecar."""
    import csv

    base = os.path.dirname(path)
    try:
        if path.lower().endswith(".jsonl"):
            rows = [json.loads(line) for line in open(path) if line.strip()]
        else:
            rows = list(csv.DictReader(open(path, newline="")))
    except (OSError, ValueError) as err:
        raise TileError(f"{path}: unreadable manifest ({err})") from None
    if not rows:
        raise TileError(f"{path}: the manifest lists no tiles")
    out = []
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("path"):
            raise TileError(f"{path}: row {n} has no 'path' (columns: path,time[,mask])")
        where = f"{path}: row {n}"
        tile_path = os.path.join(base, str(row["path"]))
        if not os.path.exists(tile_path):
            raise TileError(f"{where}: no such tile {tile_path}")
        tile = open_tile(tile_path, time=row.get("time") or None, content_hash=content_hash)
        changes: dict[str, Any] = {}
        if row.get("time"):
            changes["time"] = str(row["time"])
        if row.get("mask"):
            mask = os.path.join(base, str(row["mask"]))
            if not os.path.exists(mask):
                raise TileError(f"{where}: no such mask {mask}")
            changes["mask"] = mask
        out.append(TileSource(**{**tile.__dict__, **changes}) if changes else tile)
    return out
