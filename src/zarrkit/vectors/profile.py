"""The zv-0.9 profile: root and level attributes (spec §2.1, §2.2, §2.9) and the chunk grid
(§2.3).  Everything zarr-vectors-specific about metadata lives here, so a 0.10 profile can
sit beside it.

Example:
    >>> root = RootInfo.new("points", bounds=([0, 0, 0], [100, 100, 100]), chunk_shape=[50] * 3, bin_shape=None,
    ...                     ids=None, name="demo")
    >>> attrs = root.to_attributes()
    >>> attrs["zarr_vectors"]["base_bin_shape"], attrs["multiscales"][0]["datasets"][0]["coordinateTransformations"][1]
    ([12.5, 12.5, 12.5], {'type': 'translation', 'translation': [6.25, 6.25, 6.25]})
    >>> RootInfo.from_attributes(attrs).grid.shape
    (3, 3, 3)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarrkit.errors import VectorFormatError

__all__ = ["GEOMETRY", "KINDS", "Grid", "LevelInfo", "RootInfo", "ZV_VERSION"]

ZV_VERSION = "0.9.2"
PROFILE = "zv-0.9"
#: zarrkit kind -> ZV geometry token
KINDS = {"points": "point_cloud", "polylines": "polyline", "streamlines": "streamline", "graph": "graph", "mesh": "mesh"}
GEOMETRY = {v: k for k, v in KINDS.items()} | {"skeleton": "graph", "line": "polylines"}
LINKS_CONVENTION = {"point_cloud": "implicit_sequential", "polyline": "implicit_sequential",
                    "streamline": "implicit_sequential", "line": "implicit_sequential", "graph": "explicit",
                    "mesh": "explicit", "skeleton": "implicit_sequential_with_branches"}


class Grid:
    """The per-chunk arrays' common grid: ``origin = floor(lo / chunk)``, ``shape = floor(hi / chunk) − origin + 1``."""

    def __init__(self, chunk_shape, bounds) -> None:
        self.chunk = np.asarray(chunk_shape, np.float64)
        self.lo = np.asarray(bounds[0], np.float64)
        self.hi = np.asarray(bounds[1], np.float64)
        self.origin = np.floor(self.lo / self.chunk).astype(np.int64)
        self.shape = tuple(int(s) for s in np.floor(self.hi / self.chunk).astype(np.int64) - self.origin + 1)
        self.ndim = len(self.shape)
        self.strides = np.array([int(np.prod(self.shape[i + 1:])) for i in range(self.ndim)], np.int64)

    def cells_of(self, xyz: np.ndarray) -> np.ndarray:
        """Absolute chunk coords of each vertex, ``floor(x / chunk)`` in float64."""
        return np.floor(np.asarray(xyz, np.float64) / self.chunk).astype(np.int64)

    def linear(self, cells: np.ndarray) -> np.ndarray:
        """C-order index of absolute cell coords on this grid (preserves tuple order)."""
        return (np.asarray(cells, np.int64) - self.origin) @ self.strides

    def unlinear(self, lin: np.ndarray) -> np.ndarray:
        return np.stack(np.unravel_index(np.asarray(lin, np.int64), self.shape), axis=-1) + self.origin

    def inside(self, xyz: np.ndarray) -> np.ndarray:
        return np.all((xyz >= self.lo) & (xyz <= self.hi), axis=1)


def cell_name(coords) -> str:
    """``(-1, 0, 2)`` -> ``"-1.0.2"`` as in ``nonempty_chunks``."""
    return ".".join(str(int(c)) for c in coords)


def _axes(names, units) -> list[dict[str, Any]]:
    out = []
    for i, n in enumerate(names):
        axis = {"name": n, "type": "space"}
        if units and units[i]:
            axis["unit"] = units[i]
        out.append(axis)
    return out


def _dataset(level: int, bin_k, bin_0) -> dict[str, Any]:
    scale = [float(b / b0) for b, b0 in zip(bin_k, bin_0)]
    return {"path": str(level), "coordinateTransformations": [
        {"type": "scale", "scale": scale}, {"type": "translation", "translation": [float(b) / 2 for b in bin_k]}]}


@dataclass
class RootInfo:
    """The root group's ``zarr_vectors`` / ``multiscales`` / ``ome`` attributes, parsed."""

    geometry: str
    chunk_shape: list[float]
    bounds: list[list[float]]
    bin_shape: list[float]
    axes: list[dict[str, Any]]
    name: str = "store"
    version: str = ZV_VERSION
    capabilities: list[str] = field(default_factory=list)
    crs: dict[str, Any] | None = None
    attribute_specs: dict[str, Any] | None = None
    level_bins: dict[int, list[float]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return GEOMETRY.get(self.geometry, self.geometry)

    @property
    def grid(self) -> Grid:
        return Grid(self.chunk_shape, self.bounds)

    @property
    def ndim(self) -> int:
        return len(self.chunk_shape)

    @classmethod
    def new(cls, kind, *, bounds, chunk_shape, bin_shape, ids, name, axes=None, units=None, crs=None) -> RootInfo:
        if kind not in KINDS:
            raise VectorFormatError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        chunk = [float(c) for c in chunk_shape]
        ndim = len(chunk)
        names = list(axes) if axes is not None else ["x", "y", "z"][:ndim]
        if bin_shape is None:
            bin_shape = [c / 4 for c in chunk] if kind == "points" and not ids else chunk
        lo, hi = ([float(v) for v in b] for b in bounds)
        root = cls(KINDS[kind], chunk, [lo, hi], [float(b) for b in bin_shape], _axes(names, units), name=name, crs=crs)
        root.level_bins[0] = list(root.bin_shape)
        return root

    def bins_per_chunk(self) -> tuple[int, ...]:
        out = []
        for c, b in zip(self.chunk_shape, self.bin_shape):
            r = c / b
            if abs(r - round(r)) > 1e-9 or round(r) < 1:
                raise VectorFormatError(f"chunk {c} is not an integer multiple of bin {b}")
            out.append(int(round(r)))
        return tuple(out)

    def to_attributes(self) -> dict[str, Any]:
        zv = dict(self.raw.get("zarr_vectors", {}))
        zv.update({"zv_version": ZV_VERSION, "format_capabilities": list(self.capabilities),
                   "chunk_shape": self.chunk_shape, "bounds": self.bounds, "geometry_types": [self.geometry],
                   "base_bin_shape": self.bin_shape, "links_convention": LINKS_CONVENTION[self.geometry],
                   "object_index_convention": "standard", "cross_chunk_strategy": "explicit_links"})
        if self.crs is not None:
            zv["crs"] = self.crs
        if self.attribute_specs:
            zv["attribute_specs"] = self.attribute_specs
        levels = sorted(self.level_bins)
        ms = copy.deepcopy(self.raw.get("multiscales") or [{}])[0]
        ms.update({"version": "0.4", "name": "default", "axes": self.axes,
                   "datasets": [_dataset(k, self.level_bins[k], self.bin_shape) for k in levels],
                   "metadata": {"format": "zarr_vectors"}})
        ome = {"version": "0.6", "type": "collection", "name": self.name,
               "attributes": {"scene": {"coordinateSystems": [{"name": "world", "axes": self.axes}],
                                        "coordinateTransformations": []}},
               "nodes": [{"type": "zv:level", "name": str(k)} for k in levels]}
        out = {k: v for k, v in self.raw.items() if k not in ("zarr_vectors", "multiscales", "ome")}
        out.update({"zarr_vectors": zv, "multiscales": [ms], "ome": ome})
        return out

    @classmethod
    def from_attributes(cls, attrs: dict[str, Any], *, where: str = "root") -> RootInfo:
        zv = attrs.get("zarr_vectors")
        if not isinstance(zv, dict):
            raise VectorFormatError(f"{where}: no 'zarr_vectors' attributes (not a zarr-vectors store)")
        version = str(zv.get("zv_version", ""))
        parts = version.split(".")
        if len(parts) < 2 or parts[0] != "0" or parts[1] != "9":
            raise VectorFormatError(f"{where}: zv_version {version!r} is not 0.9.x (profile {PROFILE})")
        if zv.get("cross_chunk_strategy", "explicit_links") != "explicit_links":
            raise VectorFormatError(f"{where}: cross_chunk_strategy {zv.get('cross_chunk_strategy')!r} is not supported")
        if zv.get("object_index_convention", "standard") != "standard":
            raise VectorFormatError(f"{where}: object_index_convention {zv.get('object_index_convention')!r} is refused")
        try:
            chunk = [float(c) for c in zv["chunk_shape"]]
            bounds = [[float(v) for v in zv["bounds"][0]], [float(v) for v in zv["bounds"][1]]]
            geometry = zv["geometry_types"][0]
        except (KeyError, TypeError, IndexError, ValueError) as err:
            raise VectorFormatError(f"{where}: malformed zarr_vectors attributes ({err})") from None
        ms = (attrs.get("multiscales") or [{}])[0]
        axes = ms.get("axes") or [{"name": n, "type": "space"} for n in "xyz"[:len(chunk)]]
        root = cls(geometry, chunk, bounds, [float(b) for b in zv.get("base_bin_shape") or chunk], axes,
                   name=(attrs.get("ome") or {}).get("name", "store"), version=version,
                   capabilities=list(zv.get("format_capabilities", [])), crs=zv.get("crs"),
                   attribute_specs=zv.get("attribute_specs"), raw=copy.deepcopy(attrs))
        for ds in ms.get("datasets", []):
            for t in ds.get("coordinateTransformations", []):
                if t.get("type") == "translation":
                    root.level_bins[int(ds["path"])] = [2 * float(v) for v in t["translation"]]
        root.level_bins.setdefault(0, list(root.bin_shape))
        return root


@dataclass
class LevelInfo:
    """A level group's ``zarr_vectors_level`` attributes."""

    level: int
    vertex_count: int = 0
    arrays_present: list[str] = field(default_factory=list)
    coarsening_method: str = "none"
    parent_level: int | None = None
    object_sparsity: float = 1.0
    fragments_tile: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_attributes(self) -> dict[str, Any]:
        body = dict(self.extra)
        body.update({"level": self.level, "vertex_count": int(self.vertex_count),
                     "object_sparsity": self.object_sparsity, "coarsening_method": self.coarsening_method,
                     "parent_level": self.parent_level, "arrays_present": sorted(set(self.arrays_present))})
        body.pop("fragments_tile", None)
        if self.fragments_tile:
            body["fragments_tile"] = True
        return {"zarr_vectors_level": body}

    @classmethod
    def from_attributes(cls, attrs: dict[str, Any], *, where: str = "level") -> LevelInfo:
        body = attrs.get("zarr_vectors_level")
        if not isinstance(body, dict) or "level" not in body:
            raise VectorFormatError(f"{where}: no 'zarr_vectors_level' attributes")
        if body.get("chunk_dims") or any(str(k).startswith("chunk_attribute") for k in body):
            raise VectorFormatError(f"{where}: attribute-chunked levels are not supported")
        known = {"level", "vertex_count", "arrays_present", "coarsening_method", "parent_level",
                 "object_sparsity", "fragments_tile"}
        return cls(int(body["level"]), int(body.get("vertex_count", 0)), list(body.get("arrays_present", [])),
                   body.get("coarsening_method", "none"), body.get("parent_level"),
                   float(body.get("object_sparsity", 1.0)), bool(body.get("fragments_tile", False)),
                   {k: v for k, v in body.items() if k not in known})
