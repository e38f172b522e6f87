"""``PlateReader``: read-only access to a plate's wells, fields and planes.

It reads zarrkit plates (OME 0.5 on Zarr v3), OME 0.4 plates on Zarr v2, and anchor-style
stores (a top-level ``plate`` and a leading custom ``field`` axis, exposed as fields) through
a lenient parse.  A plane is one inner chunk: :meth:`PlateReader.plane` reads that chunk
(plus the cached shard index), never the whole well.

Example:
    >>> import numpy as np
    >>> from zarrkit.hcs import PlateSpec, ImageSpec, PlateWriter
    >>> w = PlateWriter.create("memory://doc-reader", PlateSpec.preset(24), ImageSpec("zyx"))
    >>> _ = w.write_well("D6", [np.arange(2 * 8 * 8, dtype="uint16").reshape(2, 8, 8)]); _ = w.finalize()
    >>> r = PlateReader("memory://doc-reader")
    >>> r.wells()
    [WellRef(path='D/6', row='D', column='6', row_index=3, column_index=5)]
    >>> img = r.image("D/6")
    >>> img.axes, img.shape, img.units["x"], int(r.plane("D/6", "0", z=1)[0, 0])
    ('zyx', (2, 8, 8), 'micrometer', 64)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, WellNotFoundError
from zarrkit.hcs.image_spec import AXES

__all__ = ["LazyImage", "PlateReader", "WellRef"]


@dataclass(frozen=True)
class WellRef:
    """A well of the plate: its path, row and column names and their indices."""

    path: str
    row: str
    column: str
    row_index: int
    column_index: int


class LazyImage:
    """One field level, read on demand: indexing reads only the chunks it touches.

    ``fixed`` pins leading axes (an anchor store's ``field`` axis) so the image shows one field.
    """

    def __init__(self, array: core.Array, axes: list[str], scale: list[float], units: dict[str, str | None],
                 channels: list[str], *, fixed: tuple[int, ...] = ()) -> None:
        self.array, self.fixed = array, fixed
        self.axes = "".join(axes[len(fixed):])
        self.scale = tuple(scale[len(fixed):])
        self.units = {a: units.get(a) for a in self.axes}
        self.channels = list(channels)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape[len(self.fixed):]

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def __getitem__(self, selection: Any) -> np.ndarray:
        sel = selection if isinstance(selection, tuple) else (selection,)
        return self.array[(*self.fixed, *sel)]

    def numpy(self) -> np.ndarray:
        """The whole image as a numpy array."""
        return self[...]

    def to_dask(self):
        """A dask array with one block per stored chunk (inner chunk when sharded)."""
        arr = self.array.to_dask()
        return arr[self.fixed] if self.fixed else arr

    def to_xarray(self):
        """An ``xarray.DataArray`` with the axis names as dims and physical coordinates."""
        import xarray as xr

        coords = {}
        for axis, n, s in zip(self.axes, self.shape, self.scale):
            if axis in "zyx" or axis == "t":
                coords[axis] = np.arange(n) * s
            elif axis == "c" and len(self.channels) == n:
                coords[axis] = list(self.channels)
        return xr.DataArray(self.to_dask(), dims=list(self.axes), coords=coords)

    def __repr__(self) -> str:
        return f"<LazyImage {self.array.path} {self.axes} {self.shape} {self.dtype}>"


def _image_info(attrs: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The first multiscale and channel labels, from 0.5 ``ome`` or 0.4 top-level keys."""
    ome = attrs.get("ome") if isinstance(attrs.get("ome"), Mapping) else attrs
    ms = (ome.get("multiscales") or [{}])[0]
    channels = [c.get("label", "") for c in (ome.get("omero") or {}).get("channels", [])]
    return ms, channels


def _plate_block(attrs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    ome = attrs.get("ome")
    if isinstance(ome, Mapping) and isinstance(ome.get("plate"), Mapping):
        return ome["plate"]
    return attrs.get("plate") if isinstance(attrs.get("plate"), Mapping) else None  # 0.4 and the anchor


class PlateReader:
    """Open a plate read-only (URL, path or open store)."""

    def __init__(self, url: Any, *, storage_options: Mapping[str, Any] | None = None) -> None:
        from zarrkit.storage import open_store

        self.store = url if hasattr(url, "kind") and hasattr(url, "get") else open_store(
            url, mode="r", options=storage_options)
        self.url = self.store.url
        try:
            self.attributes = core.read_metadata(self.store, "").attributes
        except NodeNotFoundError:
            raise WellNotFoundError(f"{self.url}: no plate root (no zarr.json)") from None
        self.plate = _plate_block(self.attributes) or {}
        info = self.attributes.get("zarrkit") if isinstance(self.attributes.get("zarrkit"), Mapping) else {}
        geometry = info.get("plate") or {}
        self.rows = [r["name"] for r in self.plate.get("rows", [])] or list(geometry.get("rows", []))
        self.columns = [c["name"] for c in self.plate.get("columns", [])] or list(geometry.get("columns", []))
        self._wells_meta: dict[str, Any] = {}

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "PlateReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ wells
    def _ref(self, path: str) -> WellRef:
        row, col = path.split("/")
        ri = self.rows.index(row) if row in self.rows else -1
        ci = self.columns.index(col) if col in self.columns else -1
        return WellRef(path, row, col, ri, ci)

    def wells(self, include_unlisted: bool = False) -> list[WellRef]:
        """The listed wells in plate order; ``include_unlisted`` adds committed wells that
        ``finalize()`` has not listed yet."""
        listed = [w["path"] for w in self.plate.get("wells", [])]
        if include_unlisted:
            from zarrkit.hcs.listing import scan_wells

            listed += [p for p in scan_wells(self.store).complete if p not in listed]
        refs = [self._ref(p) for p in listed]
        return sorted(refs, key=lambda r: (r.row_index, r.column_index, r.path))

    def _resolve(self, well: Any) -> str:
        if isinstance(well, WellRef):
            return well.path
        if self.rows and self.columns:
            from zarrkit.errors import SpecViolation
            from zarrkit.hcs.geometry import PlateSpec

            try:
                return PlateSpec(self.rows, self.columns, name=self.plate.get("name") or "plate").resolve(well)
            except SpecViolation as err:
                raise WellNotFoundError(f"{self.url}: {err}") from None
        return str(well)

    def _well_attrs(self, well: Any) -> tuple[str, Mapping[str, Any]]:
        path = self._resolve(well)
        if path not in self._wells_meta:
            try:
                meta = core.read_metadata(self.store, path)
            except NodeNotFoundError:
                raise WellNotFoundError(f"{self.url}: no well {path!r}") from None
            self._wells_meta[path] = meta.attributes
        return path, self._wells_meta[path]

    def _images(self, path: str) -> list[str]:
        """The image paths a well's metadata lists."""
        attrs = self._wells_meta[path]
        block = (attrs.get("ome") or {}).get("well") if isinstance(attrs.get("ome"), Mapping) else attrs.get("well")
        if not block:
            raise WellNotFoundError(f"{self.url}: {path!r} is not a complete well (no well metadata)")
        return [i["path"] for i in block.get("images", [])]

    def _field_axis_image(self, path: str) -> str | None:
        """The anchor's one image whose custom leading axis holds the fields, else None."""
        images = self._images(path)
        if len(images) == 1:
            axes = self._multiscale(path, images[0])[0]
            if axes and axes[0] not in AXES:
                return images[0]
        return None

    def fields(self, well: Any) -> list[str]:
        """The field names of a well (the anchor's field-axis images give ``"0"…``)."""
        path, _ = self._well_attrs(well)
        image = self._field_axis_image(path)
        if image is not None:
            n = core.read_metadata(self.store, f"{path}/{image}/{self._level_path(path, image, 0)}").shape[0]
            return [str(i) for i in range(n)]
        return self._images(path)

    def well(self, well: Any) -> dict[str, LazyImage]:
        """Every field of a well as a :class:`LazyImage` (level 0)."""
        return {f: self.image(well, f) for f in self.fields(well)}

    # ------------------------------------------------------------------ images
    def _multiscale(self, path: str, field: str):
        try:
            attrs = core.read_metadata(self.store, f"{path}/{field}").attributes
        except NodeNotFoundError:
            raise WellNotFoundError(f"{self.url}: no field {field!r} in well {path!r}") from None
        ms, channels = _image_info(attrs)
        axes = [a["name"] if isinstance(a, Mapping) else str(a) for a in ms.get("axes", [])]
        units = {a["name"]: a.get("unit") for a in ms.get("axes", []) if isinstance(a, Mapping)}
        return axes, units, channels, ms.get("datasets", [])

    def _level_path(self, path: str, field: str, level: int) -> str:
        datasets = self._multiscale(path, field)[3]
        if not 0 <= level < len(datasets):
            raise WellNotFoundError(f"{self.url}: well {path!r} field {field!r} has no level {level}")
        return datasets[level]["path"]

    def image(self, well: Any, field: str = "0", level: int = 0) -> LazyImage:
        """One field level of a well; a missing well, field or level raises WellNotFoundError."""
        path, _ = self._well_attrs(well)
        field = str(field)
        names = self.fields(path)
        if field not in names:
            raise WellNotFoundError(f"{self.url}: well {path!r} has no field {field!r} (fields: {names})")
        # an anchor well's field "0" is an index into its one image (also named "0"), never that image
        field_axis_image = self._field_axis_image(path)
        image_path, fixed = (field, ()) if field_axis_image is None else (field_axis_image, (int(field),))
        axes, units, channels, datasets = self._multiscale(path, image_path)
        if not 0 <= level < len(datasets):
            raise WellNotFoundError(f"{self.url}: well {path!r} field {field!r} has no level {level}")
        ds = datasets[level]
        scale = next((t["scale"] for t in ds.get("coordinateTransformations", []) if t.get("type") == "scale"),
                     [1.0] * len(axes))
        array = core.Array(self.store, f"{path}/{image_path}/{ds['path']}")
        return LazyImage(array, axes or list(AXES[-array.ndim:]), list(scale), units, channels, fixed=fixed)

    def plane(self, well: Any, field: str = "0", *, t: int = 0, c: int = 0, z: int = 0, level: int = 0) -> np.ndarray:
        """One 2-D plane: a single inner-chunk read when the layout stores planes as chunks."""
        img = self.image(well, field, level)
        coords = {"t": t, "c": c, "z": z}
        index = (*img.fixed, *(coords[a] for a in img.axes[:-2]))
        meta = img.array.metadata
        for a, i, n in zip(img.axes[:-2], index[len(img.fixed):], img.shape[:-2]):
            if not 0 <= i < n:
                raise IndexError(f"{self.url}: {a}={i} is outside 0..{n - 1} of {img.array.path}")
        inner = meta.sharding is not None
        chunk = meta.chunks  # the inner chunk when sharded
        if all(s == 1 for s in chunk[:-2]) and tuple(chunk[-2:]) == tuple(meta.shape[-2:]):
            chunk = core.read_chunk(self.store, img.array.path, (*index, 0, 0), metadata=meta, inner=inner)
            return chunk.reshape(chunk.shape[-2:])
        return core.read_region(self.store, img.array.path, index, metadata=meta)
