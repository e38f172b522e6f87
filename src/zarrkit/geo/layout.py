"""The zone layout: chunk/shard sizes per profile, codecs, and every array's metadata.

All arrays of a zone share one shard side ``s``, so one task writes one shard of each.
For the widest array (``bpp`` bytes per pixel) the inner side ``c`` is the largest power of
two with ``c²·bpp ≤ chunk_max``; ``s`` the largest with ``(s/c)² ≤ max_entries``,
``s²·bpp ≤ shard_max`` and ``s ≤ align``; the other arrays take the largest power-of-two
inner side ``≤ s`` within ``chunk_max``.

Example:
    >>> plan_chunks({"embeddings": 128, "scales": 4}, "point")
    {'embeddings': (4, 128), 'scales': (32, 128)}
    >>> plan_chunks({"embeddings": 128}, "region"), plan_chunks({"rgb": 4}, "visual")
    ({'embeddings': (32, 512)}, {'rgb': (256, 2048)})
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from zarrkit import core
from zarrkit.conventions import cf
from zarrkit.conventions.geo import proj_attributes, registration, spatial_attributes
from zarrkit.errors import GeoError
from zarrkit.geo.grid import Grid

__all__ = ["PROFILES", "Profile", "ZoneLayout", "codecs", "crs_facts", "plan_chunks"]


@dataclass(frozen=True)
class Profile:
    """Bounds of one chunk/shard profile, in bytes and index entries."""

    chunk_max: int
    max_entries: int
    shard_max: int


PROFILES = {
    "point": Profile(4 * 2**10, 1024, 8 * 2**20),      # one pixel = one small chunk read
    "region": Profile(128 * 2**10, 1024, 64 * 2**20),  # archives read by area
    "visual": Profile(256 * 2**10, 256, 16 * 2**20),   # previews
}


def _pow2_floor(n: float) -> int:
    p = 1
    while p * 2 <= n:
        p *= 2
    return p


def plan_chunks(bpp_by_array: Mapping[str, int], profile: str, budget: int | None = None, *, align: int = 4096,
                shard: int | None = None, chunk: int | None = None) -> dict[str, tuple[int, int]]:
    """``{array: (inner side, shard side)}``; ``shard`` / ``chunk`` override the profile
    (``--shard`` / ``--chunk``); ``budget`` caps the shard's raw bytes further."""
    if profile not in PROFILES:
        raise GeoError(f"profile: expected one of {sorted(PROFILES)}, got {profile!r}")
    p = PROFILES[profile]
    widest = max(bpp_by_array.values())
    c = chunk or max(1, _pow2_floor((p.chunk_max / widest) ** 0.5))
    if shard:
        s = shard
    else:
        limit = min(p.shard_max, budget or p.shard_max)
        s = min(_pow2_floor(c * p.max_entries ** 0.5), _pow2_floor((limit / widest) ** 0.5), align)
        s = max(s, c)
    if s & (s - 1) or align % s:
        raise GeoError(f"shard side {s} must be a power of two dividing align {align}")
    out = {}
    for name, bpp in bpp_by_array.items():
        inner = c if bpp == widest else max(1, _pow2_floor((p.chunk_max / bpp) ** 0.5))
        out[name] = (min(inner if not chunk else chunk, s), s)
    return out


def codecs(dtype: Any) -> list[dict[str, Any]]:
    """blosc(zstd, clevel 3): bitshuffle for 1-byte types, else byte shuffle.

    Example:
        >>> codecs("int8")[0]["configuration"]["shuffle"], codecs("float32")[0]["configuration"]["shuffle"]
        ('bitshuffle', 'shuffle')
    """
    size = np.dtype(dtype).itemsize
    return [{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3,
                                                 "shuffle": "bitshuffle" if size == 1 else "shuffle",
                                                 "typesize": size, "blocksize": 0}}]


INDEX_CODECS = [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]


@lru_cache(maxsize=64)
def crs_facts(crs: str) -> tuple[str | None, str, str, dict[str, Any], bool]:
    """``(authority code or None, WKT2, units word, CF keys, geographic)`` of a CRS (pyproj)."""
    from pyproj import CRS

    obj = CRS.from_user_input(crs)
    auth = obj.to_authority(min_confidence=100)
    code = f"{auth[0]}:{auth[1]}" if auth else None
    cf_keys = {k: v for k, v in obj.to_cf().items() if isinstance(v, (str, int, float))}
    return code, obj.to_wkt("WKT2_2019"), "degrees" if obj.is_geographic else "m", cf_keys, obj.is_geographic


@dataclass(frozen=True)
class ZoneLayout:
    """Everything that fixes a zone's bytes apart from its pixels (hashed into fingerprints)."""

    grid: Grid
    bands: int
    dtype: str = "int8"        # the data array's dtype ("int8" embeddings, else the raster's)
    kind: str = "embeddings"   # or "raster" (array name "data", no scales)
    profile: str = "point"
    shard: int | None = None
    chunk: int | None = None
    nodata: float | None = None  # rasters: the data array's fill value (NaN for floats without one, else 0)

    @property
    def fill(self) -> float:
        """The data array's fill value: 0 for embeddings; a raster's nodata (NaN / 0 without one)."""
        if self.kind == "embeddings":
            return 0
        if self.nodata is not None:
            return self.nodata
        return float("nan") if np.dtype(self.dtype).kind == "f" else 0

    @property
    def data_name(self) -> str:
        return "embeddings" if self.kind == "embeddings" else "data"

    def sides(self) -> dict[str, tuple[int, int]]:
        bpp = {self.data_name: self.bands * np.dtype(self.dtype).itemsize, "rgb": 4}
        if self.kind == "embeddings":
            bpp["scales"] = 4
        return plan_chunks(bpp, self.profile, align=self.grid.align, shard=self.shard, chunk=self.chunk)

    @property
    def shard_side(self) -> int:
        return next(iter(self.sides().values()))[1]

    def shard_grid(self) -> tuple[int, int]:
        """Shards per column and per row."""
        s = self.shard_side
        return self.grid.shape[0] // s, self.grid.shape[1] // s

    def to_json(self) -> dict[str, Any]:
        out = {"grid": self.grid.to_json(), "bands": self.bands, "dtype": self.dtype, "kind": self.kind,
               "sides": {k: list(v) for k, v in self.sides().items()}}
        if self.kind != "embeddings":
            out["fill"] = repr(float(self.fill))
        return out

    def key(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    # ------------------------------------------------------------------ attributes
    def geo_attributes(self) -> dict[str, Any]:
        """proj:/spatial: keys of the zone (group and every data array)."""
        code, wkt, *_ = crs_facts(self.grid.crs)
        return {**registration(["proj", "spatial"]), **proj_attributes(code, wkt),
                **spatial_attributes(self.grid.res, self.grid.origin, self.grid.shape)}

    def _data_attributes(self, long_name: str) -> dict[str, Any]:
        _, wkt, *_ = crs_facts(self.grid.crs)
        return {**self.geo_attributes(), "long_name": long_name, "grid_mapping": "spatial_ref",
                "coordinates": "spatial_ref", "_CRS": {"wkt": wkt}}

    # ------------------------------------------------------------------ arrays
    def arrays(self) -> dict[str, core.ArrayMetadata]:
        """Metadata of every array of the zone group, by name."""
        (h, w), n, sides = self.grid.shape, self.bands, self.sides()
        out: dict[str, core.ArrayMetadata] = {}

        def sharded(name, shape, dtype, fill, dims, attrs):
            c, s = sides[name]
            extra = shape[2:]
            out[name] = core.array_metadata(
                shape, dtype, (c, c, *extra), shards=(s, s, *extra), fill_value=fill, compressors=codecs(dtype),
                index_codecs=INDEX_CODECS, dimension_names=list(dims), attributes=attrs)

        data_attrs = self._data_attributes("embedding" if self.kind == "embeddings" else "data")
        if self.kind != "embeddings" and self.nodata is not None and np.isfinite(self.nodata):
            # xarray reads Zarr v3 fill values as data; CF _FillValue is what makes it mask nodata
            data_attrs["_FillValue"] = np.array(self.nodata, dtype=self.dtype).item()
        sharded(self.data_name, (h, w, n), self.dtype, self.fill, ("y", "x", "band"), data_attrs)
        if self.kind == "embeddings":
            sharded("scales", (h, w), "float32", float("inf"), ("y", "x"),
                    self._data_attributes("per-pixel dequantisation scale (+inf: never written, NaN: masked)"))
        sharded("rgb", (h, w, 4), "uint8", 0, ("y", "x", "rgba"), self._data_attributes("RGBA preview"))
        out.update(coordinate_arrays(self.grid, n))
        return out


def coordinate_arrays(grid: Grid, bands: int | None) -> dict[str, core.ArrayMetadata]:
    """``x``, ``y`` (pixel centres), ``band`` and the CF ``spatial_ref`` of a grid."""
    code, wkt, units, cf_keys, geographic = crs_facts(grid.crs)
    (h, w) = grid.shape
    out = {}
    for name, n, std, axis in (("x", w, "longitude" if geographic else "projection_x_coordinate", "X"),
                               ("y", h, "latitude" if geographic else "projection_y_coordinate", "Y")):
        unit = ("degrees_east" if axis == "X" else "degrees_north") if geographic else units
        out[name] = core.array_metadata((n,), "float64", (min(n, 65536),), compressors=codecs("float64"),
                                        dimension_names=[name], attributes={
                                            "standard_name": std, "long_name": f"{name} of pixel centre",
                                            "units": unit, "axis": axis})
    if bands is not None:
        out["band"] = core.array_metadata((bands,), "int32", (bands,), compressors=None, dimension_names=["band"],
                                          attributes={"long_name": "band index"})
    out["spatial_ref"] = core.array_metadata((), "int32", (), fill_value=0, compressors=None, dimension_names=[],
                                             attributes=cf.grid_mapping(wkt, cf_keys, grid.transform))
    return out


def coordinate_values(grid: Grid, name: str, bands: int | None = None) -> np.ndarray | None:
    """The values of a coordinate array of :func:`coordinate_arrays` (``None``: nothing to write)."""
    (xres, yres), (x0, y0) = grid.res, grid.origin
    if name == "x":
        return x0 + (np.arange(grid.shape[1], dtype="f8") + 0.5) * xres
    if name == "y":
        return y0 - (np.arange(grid.shape[0], dtype="f8") + 0.5) * yres
    if name == "band":
        return np.arange(bands, dtype="i4")
    return None
