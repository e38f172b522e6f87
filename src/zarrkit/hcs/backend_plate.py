"""The plate side of the file-like backend: a flat namespace of plane names over wells.

Each name maps to ``(well, field, t, c, z)`` through ``coords=`` or the naming pattern,
and is recorded in its well's ``zarrkit.files``.  Saved planes gather in an open well, which
is published (staged + renamed, §3) once every plane it declares is there.

Example:
    >>> import os, tempfile, numpy as np
    >>> from zarrkit.hcs import PlateSpec, ImageSpec
    >>> from zarrkit.hcs.backend_space import LocalSpace
    >>> cfg = dict(plate=PlateSpec.preset(6), image=ImageSpec("yx"), sizes={"field": 1, "t": 1, "z": 1})
    >>> side = PlateSide(os.path.join(tempfile.mkdtemp(), "p.zarr"), LocalSpace(), **cfg)
    >>> side.save("A01_s1_w1_z01.tif", np.ones((4, 4), "uint16"), None)
    >>> side.index()["A01_s1_w1_z01.tif"], int(side.load("A01_s1_w1_z01.tif").sum())
    (('A/1', '0', None, None, None), 16)
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from zarrkit.errors import IncompleteWellError, SpecViolation, StorageResolutionError
from zarrkit.hcs.backend_space import Space, join
from zarrkit.hcs.geometry import PlateSpec
from zarrkit.hcs.image_spec import ImageSpec
from zarrkit.hcs.layout import NAMING
from zarrkit.hcs.naming import Pattern

__all__ = ["PlateSide"]

Coords = tuple  # (well path, field, t, c, z)


class PlateSide:
    """One plate store (a local folder or a URL in ``space``) seen as plane files."""

    def __init__(self, directory: str, space: Space, *, plate: PlateSpec | None = None, image: ImageSpec | None = None,
                 naming: str = NAMING, layout: Any = "sharded", compression: Any = "zstd:3",
                 listing: str = "finalize", sizes: Mapping[str, int] | None = None,
                 storage_options: Mapping[str, Any] | None = None) -> None:
        self.dir, self.space, self.options = directory, space, storage_options
        self.plate_cfg, self.image_cfg = plate, image
        self.naming_cfg, self.layout, self.compression, self.listing = naming, layout, compression, listing
        self.sizes_cfg = dict(sizes or {})
        self._writer = None
        self.open_wells: dict[str, dict[str, Any]] = {}  # well -> {"planes": {coords: array}, "files": {...}}

    # ------------------------------------------------------------------ the plate
    def _doc(self, path: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.space.read(join(path, "zarr.json")) or b"null")
        except ValueError:
            return None

    def _exists(self) -> bool:
        return self.space.is_file(join(self.dir, "zarr.json"))

    def marker(self) -> dict[str, Any]:
        doc = self._doc(self.dir) or {}
        return (doc.get("attributes") or {}).get("zarrkit") or {}

    def geometry(self) -> PlateSpec:
        marker = self.marker()
        if marker.get("plate"):
            return PlateSpec.from_dict(marker["plate"])
        if self.plate_cfg is None:
            raise StorageResolutionError(f"{self.dir}: not a plate store and no plate configured")
        return self.plate_cfg

    def image(self) -> ImageSpec:
        marker = self.marker()
        if marker.get("image"):
            return ImageSpec.from_dict(marker["image"])
        if self.image_cfg is None:
            raise StorageResolutionError(f"{self.dir}: configure FileConfig(image=ImageSpec(...)) to create a plate")
        return self.image_cfg

    def pattern(self) -> Pattern:
        naming = self.marker().get("naming") or self.naming_cfg
        return Pattern(naming, channels=tuple(c.label for c in self.image().channels))

    def writer(self):
        from zarrkit.hcs.writer import PlateWriter

        if self._writer is None:
            if self._exists():
                self._writer = PlateWriter.open(self.dir, storage_options=self._remote_options())
            else:
                self._writer = PlateWriter.create(self.dir, self.geometry(), self.image(), layout=self.layout,
                                                  compression=self.compression, listing=self.listing,
                                                  naming=self.naming_cfg, storage_options=self._remote_options())
        return self._writer

    def _remote_options(self) -> Mapping[str, Any] | None:
        return None if self.space.local or self.dir.startswith("memory://") else self.options

    def _reader(self):
        from zarrkit.hcs.reader import PlateReader

        return PlateReader(self.dir, storage_options=self._remote_options())

    def sizes(self) -> dict[str, int]:
        """Planes a well declares: fields, t, c, z (c from the channels when there are some)."""
        image = self.image()
        out = {"field": 1, "t": 1, "c": len(image.channels) or 1, "z": 1, **self.sizes_cfg}
        return {k: (v if k == "field" or k in image.axes else 1) for k, v in out.items()}

    # ------------------------------------------------------------------ names
    def index(self) -> dict[str, Coords]:
        """Every published name -> coordinates, from the wells' ``zarrkit.files`` (reads only)."""
        out: dict[str, Coords] = {}
        if not self.space.is_dir(self.dir):
            return out
        for row, row_is_dir in self.space.entries(self.dir):
            if not row_is_dir:
                continue
            for col, col_is_dir in self.space.entries(join(self.dir, row)):
                doc = (self._doc(join(self.dir, row, col)) if col_is_dir else None) or {}
                own = (doc.get("attributes") or {}).get("zarrkit") or {}
                if own.get("state") == "complete":
                    for name, (field, t, c, z) in (own.get("files") or {}).items():
                        out[name] = (f"{row}/{col}", field, t, c, z)
        for buffer in self.open_wells.values():
            out.update(buffer["files"])
        return out

    def coords(self, name: str, coords: Any = None) -> Coords:
        """The coordinates of ``name``: ``coords=(well, field, t, c, z)``, the published
        record, or the naming pattern; unmappable -> StorageResolutionError."""
        image = self.image()
        if coords is not None:
            well, field, t, c, z = coords
        else:
            known = self.index().get(name)
            if known is not None:
                return known
            parsed = self.pattern().parse(name)
            if parsed is None:
                raise StorageResolutionError(f"{self.dir}: {name!r} matches no naming pattern "
                                             f"({self.pattern().text!r}); pass coords=(well, field, t, c, z)")
            well, field, t, c, z = parsed.well, parsed.field, parsed.t, parsed.c, parsed.z
        try:
            path = self.geometry().resolve(well)
        except SpecViolation as err:
            raise StorageResolutionError(f"{self.dir}: {name!r}: {err}") from None
        values = {"t": t, "c": c, "z": z}
        for axis, value in values.items():
            if axis not in image.axes and value not in (None, 0):
                raise StorageResolutionError(f"{self.dir}: {name!r} has {axis}={value} but the plate has no {axis} axis")
            if axis in image.axes and not 0 <= (value or 0) < self.sizes()[axis]:
                raise StorageResolutionError(f"{self.dir}: {name!r}: {axis}={value} is outside 0..{self.sizes()[axis] - 1}")
        return (path, str(field), *((values[a] or 0) if a in image.axes else None for a in "tcz"))

    # ------------------------------------------------------------------ planes
    def check_plane(self, name: str, plane: np.ndarray) -> None:
        image = self.image()
        if plane.ndim != 2 or plane.dtype != image.dtype:
            raise SpecViolation(f"{self.dir}: {name!r}: expected a 2-D {image.dtype} plane, got "
                                f"{plane.ndim}-D {plane.dtype}")
        shapes = {p.shape for b in self.open_wells.values() for p in b["planes"].values()}
        if shapes and plane.shape not in shapes:
            raise SpecViolation(f"{self.dir}: {name!r}: plane shape {plane.shape} differs from {shapes.pop()}")

    def save(self, name: str, plane: np.ndarray, coords: Any) -> None:
        """Add one plane to its open well; publish the well once it is complete."""
        where = self.coords(name, coords)
        self.check_plane(name, plane)
        well = where[0]
        buffer = self.open_wells.setdefault(well, {"planes": {}, "files": {}})
        if where[1:] in buffer["planes"]:
            raise FileExistsError(f"{self.dir}: plane {where[1:]} of well {well} is already saved")
        buffer["planes"][where[1:]] = plane
        buffer["files"][name] = where
        sizes = self.sizes()
        if len(buffer["planes"]) == sizes["field"] * sizes["t"] * sizes["c"] * sizes["z"]:
            self.publish(well)

    def publish(self, well: str, *, overwrite: bool = False) -> None:
        buffer = self.open_wells.pop(well)
        image, sizes = self.image(), self.sizes()
        shape_yx = next(iter(buffer["planes"].values())).shape
        lead = [sizes[a] for a in image.axes[:-2]]
        fields: dict[str, np.ndarray] = {}
        for (field, t, c, z), plane in sorted(buffer["planes"].items(), key=lambda kv: str(kv[0])):
            arr = fields.setdefault(field, np.zeros((*lead, *shape_yx), image.dtype))
            arr[tuple({"t": t, "c": c, "z": z}[a] for a in image.axes[:-2])] = plane
        files = {n: c[1:] for n, c in buffer["files"].items()}
        self.writer().write_well(well, dict(sorted(fields.items())), files=files, overwrite=overwrite)

    def flush(self, partial: bool = False) -> None:
        """Publish every open well (missing planes read as 0 with ``partial=True``), then list."""
        sizes = self.sizes()
        total = sizes["field"] * sizes["t"] * sizes["c"] * sizes["z"]
        if not partial:
            short = {w: total - len(b["planes"]) for w, b in self.open_wells.items()}
            if short:
                raise IncompleteWellError(f"{self.dir}: wells still missing planes: {short} "
                                          "(save them, or flush(partial=True))")
        for well in list(self.open_wells):
            self.publish(well)
        if self._writer is not None or self._exists():
            if self.index():
                self.writer().finalize()

    def load(self, name: str, where: Coords | None = None) -> np.ndarray:
        """One plane: from the open well, else one inner-chunk read of the published well."""
        where = where or self.index().get(name)
        if where is None:
            raise FileNotFoundError(f"{self.dir}: no plane named {name!r}")
        well, field, t, c, z = where
        buffer = self.open_wells.get(well)
        if buffer and (field, t, c, z) in buffer["planes"]:
            return buffer["planes"][(field, t, c, z)].copy()
        with self._reader() as reader:
            return reader.plane(well, field, t=t or 0, c=c or 0, z=z or 0)

    def delete(self, name: str, where: Coords) -> None:
        """Remove a plane's name and its data: the well is rewritten without it, atomically."""
        well = where[0]
        buffer = self.open_wells.get(well)
        if buffer and name in buffer["files"]:
            buffer["files"].pop(name)
            buffer["planes"].pop(where[1:], None)
            return
        with self._reader() as reader:
            fields = {f: reader.image(well, f).numpy() for f in reader.fields(well)}
        image = self.image()
        fields[where[1]][tuple(v for a, v in zip("tcz", where[2:]) if a in image.axes)] = 0
        files = {n: c[1:] for n, c in self.index().items() if c[0] == well and n != name}
        self.writer().write_well(well, fields, files=files, overwrite=True)
