"""``PlateWriter``: create a plate, write wells (from many threads, processes or machines),
finalize the listing.

Every input is checked before the first storage access, so a rejected well leaves the
store as it was.  A well is encoded (anywhere: :func:`zarrkit.hcs.layout.encode_well` is a
plain picklable task) and then published by the store's strategy
(:mod:`zarrkit.hcs.publish`): it becomes visible whole or not at all.

Example:
    >>> import numpy as np
    >>> from zarrkit.hcs import PlateSpec, ImageSpec, PlateWriter
    >>> w = PlateWriter.create("memory://doc-writer", PlateSpec.preset(6, name="mini"), ImageSpec("yx"))
    >>> w.write_well("B2", {"0": np.full((16, 16), 7, "uint16")})
    'B/2'
    >>> w.finalize().wells
    ['B/2']
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping

import numpy as np

from zarrkit import core, progress
from zarrkit.errors import (
    ArchiveError,
    ContainsDataError,
    ContainsNodeError,
    InvalidOptionError,
    NotAnArchiveError,
    PlateExistsError,
    SpecViolation,
    UnsupportedOperationError,
)
from zarrkit.hcs import listing
from zarrkit.hcs.geometry import PlateSpec
from zarrkit.hcs.image_spec import Compression, ImageSpec, Layout
from zarrkit.hcs.layout import FORMAT, NAMING, READS_MAJOR, WellPlan, encode_well, root_marker
from zarrkit.hcs.publish import publisher_for, require_incremental
from zarrkit.storage import open_store

__all__ = ["Planes", "PlateWriter"]

LISTINGS = ("finalize", "incremental")


class Planes:
    """A field given plane by plane: ``read(index)`` returns the 2-D plane at ``index`` (the
    coordinates of the non-y/x axes, in axis order).  Picklable when ``read`` is.

    Example:
        >>> p = Planes((2, 4, 4), "uint8", lambda i: np.full((4, 4), i[0], "uint8"))
        >>> np.asarray(p)[:, 0, 0].tolist()
        [0, 1]
    """

    def __init__(self, shape, dtype, read) -> None:
        self.shape, self.dtype, self.read = tuple(int(s) for s in shape), np.dtype(dtype), read
        self.ndim = len(self.shape)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.empty(self.shape, self.dtype)
        for index in np.ndindex(*self.shape[:-2]):
            out[index] = self.read(index)
        return out if dtype is None else out.astype(dtype)


def _fields(fields: Any) -> dict[str, Any]:
    if isinstance(fields, Mapping):
        out = {str(k): v for k, v in fields.items()}
    elif isinstance(fields, (list, tuple)):
        out = {str(i): v for i, v in enumerate(fields)}
    else:
        out = {"0": fields}
    if not out:
        raise SpecViolation("a well needs at least one field")
    return out


def _relative_name(name: str) -> str:
    parts = name.replace("\\", "/").split("/")
    if not name or os.path.isabs(name) or "://" in name or ".." in parts:
        raise SpecViolation(f"file name {name!r} must be relative to the plate (no absolute paths, no '..')")
    return name


class PlateWriter:
    """Writes one plate; build with :meth:`create` or :meth:`open`."""

    def __init__(self, store, plate: PlateSpec, image: ImageSpec, *, layout: Layout, compression: Compression,
                 listing: str = "finalize", durable: bool = False, naming: str = NAMING) -> None:
        self.store, self.plate, self.image = store, plate, image
        self.layout, self.compression, self.naming = layout, compression, naming
        self.listing, self.durable = listing, durable
        self.publisher = publisher_for(store)
        self._field_shape: tuple[int, ...] | None = None

    @property
    def url(self) -> str:
        return self.store.url

    @classmethod
    def create(cls, url: Any, plate: PlateSpec, image: ImageSpec, *, layout: Any = Layout.SHARDED,
               compression: Any = "zstd:3", listing: str = "finalize", durable: bool = False,
               naming: str = NAMING, storage_options: Mapping[str, Any] | None = None) -> "PlateWriter":
        """A new plate at ``url``: the root carries the ``zarrkit`` marker (``ome`` comes with the
        first listed well).  An existing node raises PlateExistsError.

        Example:
            >>> spec = PlateSpec.preset(6, name="x")
            >>> _ = PlateWriter.create("memory://doc-create", spec, ImageSpec("yx"))
            >>> PlateWriter.create("memory://doc-create", spec, ImageSpec("yx"))  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            zarrkit.errors.PlateExistsError: memory://doc-create: a plate or other data already exists ...
        """
        layout, compression = Layout.parse(layout), Compression.parse(compression)
        if listing not in LISTINGS:
            raise InvalidOptionError(f"listing must be one of {LISTINGS}, got {listing!r}")
        if not isinstance(plate, PlateSpec) or not isinstance(image, ImageSpec):
            raise InvalidOptionError("PlateWriter.create takes a PlateSpec and an ImageSpec")
        if isinstance(url, (str, os.PathLike)):
            from zarrkit.storage.url import parse_target

            if parse_target(url).kind == "zip":  # checked before the zip file is created
                raise UnsupportedOperationError("a zip store is pack-only for plates: write a folder, then "
                                                "`zarrkit hcs pack` it", url=str(url))
        try:
            store = open_store(url, mode="w", options=storage_options)
        except ContainsDataError as err:
            raise PlateExistsError(f"{err.url}: a plate or other data already exists (open it with PlateWriter.open)"
                                   ) from None
        writer = cls(store, plate, image, layout=layout, compression=compression, listing=listing,
                     durable=durable, naming=naming)
        if listing == "incremental":
            require_incremental(writer.publisher)
        marker = root_marker(plate, image, layout, compression, naming=naming, listing=listing)
        try:
            core.create_group(store, "", attributes={"zarrkit": marker.to_dict()})  # exclusive: set_if_absent
        except ContainsNodeError:
            raise PlateExistsError(f"{store.url}: a plate or other data already exists (open it with "
                                   "PlateWriter.open)") from None
        if store.kind == "icechunk":  # every row group in the creation commit: disjoint wells never conflict
            writer.publisher.ensure_rows(plate.rows)
            writer.publisher.commit("hcs: create plate")
        return writer

    @classmethod
    def open(cls, url: Any, *, durable: bool = False, storage_options: Mapping[str, Any] | None = None
             ) -> "PlateWriter":
        """Reopen a plate for writing; its geometry, image spec and layout come from the store.

        Example:
            >>> PlateWriter.create("memory://doc-open", PlateSpec.preset(6), ImageSpec("zyx")).layout.value
            'sharded'
            >>> PlateWriter.open("memory://doc-open").image.axes
            'zyx'
        """
        store = open_store(url, mode="r+", options=storage_options)
        try:
            info = core.read_metadata(store, "").attributes.get("zarrkit") or {}
        except ArchiveError:
            raise
        except Exception as err:
            store.close()
            raise NotAnArchiveError(f"{store.url}: no plate root ({type(err).__name__}: {err})") from None
        if info.get("format") != FORMAT:
            store.close()
            raise NotAnArchiveError(f"{store.url}: not a zarrkit hcs plate (zarrkit.format is {info.get('format')!r})")
        from zarrkit.conventions.marker import RootMarker

        RootMarker.from_dict(info).check_readable(READS_MAJOR, where=store.url)
        return cls(store, PlateSpec.from_dict(info["plate"]), ImageSpec.from_dict(info["image"]),
                   layout=Layout.parse(info["layout"]), compression=Compression.parse(info["compression"]),
                   listing=info.get("listing", "finalize"), durable=durable, naming=info.get("naming", NAMING))

    # ------------------------------------------------------------------ checking
    def _check_field(self, where: str, name: str, data: Any) -> tuple[int, ...]:
        shape, dtype = getattr(data, "shape", None), getattr(data, "dtype", None)
        if shape is None or dtype is None:
            raise SpecViolation(f"{where} field {name!r}: expected an array (numpy, dask or Planes), got "
                                f"{type(data).__name__}")
        if len(shape) != len(self.image.axes):
            raise SpecViolation(f"{where} field {name!r}: {len(shape)}-D data for axes {self.image.axes!r}")
        if np.dtype(dtype) != self.image.dtype:
            raise SpecViolation(f"{where} field {name!r}: dtype {np.dtype(dtype)} differs from the plate's "
                                f"{self.image.dtype}")
        if min(shape) < 1:
            raise SpecViolation(f"{where} field {name!r}: empty shape {tuple(shape)}")
        if self.image.channels and shape[self.image.axes.index("c")] != len(self.image.channels):
            raise SpecViolation(f"{where} field {name!r}: {shape[self.image.axes.index('c')]} channels, "
                                f"the plate declares {len(self.image.channels)}")
        return tuple(int(s) for s in shape)

    def _check_files(self, where: str, files: Mapping[str, Any], fields: dict[str, Any], shape) -> dict[str, tuple]:
        out = {}
        for name, coords in files.items():
            coords = tuple(coords)
            if len(coords) != 4 or str(coords[0]) not in fields:
                raise SpecViolation(f"{where} file {name!r}: expected (field, t, c, z) with a field of this well")
            for axis, value in zip("tcz", coords[1:]):
                if (value is None) != (axis not in self.image.axes):
                    raise SpecViolation(f"{where} file {name!r}: {axis} must be "
                                        f"{'null' if axis not in self.image.axes else 'an index'}")
                if value is not None and not 0 <= int(value) < shape[self.image.axes.index(axis)]:
                    raise SpecViolation(f"{where} file {name!r}: {axis}={value} is outside the field")
            out[_relative_name(name)] = (str(coords[0]), *coords[1:])
        return out

    def plan(self, well: Any, fields: Any, *, acquisition: int = 0, files: Mapping[str, Any] | None = None,
             translations: Mapping[str, Any] | None = None) -> WellPlan:
        """Check a well against the plate without touching storage; returns the encode task."""
        path = self.plate.resolve(well)
        where = f"{self.url}: well {path!r}"
        if acquisition not in self.plate.acquisition_ids():
            raise SpecViolation(f"{where}: acquisition {acquisition!r} is not declared by the plate "
                                f"({list(self.plate.acquisition_ids())})")
        fields = _fields(fields)
        shapes = {name: self._check_field(where, name, data) for name, data in fields.items()}
        from zarrkit.conventions.ome import WellImage

        for name in fields:
            try:
                WellImage(name)
            except ArchiveError as err:
                raise SpecViolation(f"{where}: {err}") from None
        expected = self._field_shape or next(iter(shapes.values()))
        for name, shape in shapes.items():
            if shape != expected:
                raise SpecViolation(f"{where} field {name!r}: shape {shape} differs from the plate's {expected} "
                                    "(every field of every well has one shape)")
        trans = {str(k): tuple(float(v) for v in t) for k, t in (translations or {}).items()}
        return WellPlan(path, self.image, fields, self.layout, self.compression, int(acquisition),
                        self._check_files(where, files, fields, expected) if files else None, trans)

    def _learn_shape(self) -> None:
        """The field shape of an already published well, so every writer enforces one shape."""
        if self._field_shape is not None:
            return
        for path in listing.scan_wells(self.store).complete:
            images = core.read_metadata(self.store, path).attributes["ome"]["well"]["images"]
            self._field_shape = core.read_metadata(self.store, f"{path}/{images[0]['path']}/0").shape
            return

    # ------------------------------------------------------------------ writing
    def write_well(self, well: Any, fields: Any, *, acquisition: int = 0, files: Mapping[str, Any] | None = None,
                   overwrite: bool = False, translations: Mapping[str, Any] | None = None) -> str:
        """Write one well (``{field: array}``, a list of fields, or one array); returns its path.

        An existing well raises WellExistsError unless ``overwrite=True``.
        """
        self.plan(well, fields, acquisition=acquisition, files=files, translations=translations)  # before any I/O
        self._learn_shape()  # then against the shape of the wells already published
        plan = self.plan(well, fields, acquisition=acquisition, files=files, translations=translations)
        self._publish(plan, encode_well(plan), overwrite)
        return plan.path

    def write_wells(self, items: Iterable[Any], *, executor: Any = None, overwrite: bool = False,
                    workers: int | None = None) -> list[str]:
        """Write many wells: ``items`` are ``(well, fields)`` pairs or dicts of :meth:`write_well`
        arguments.  Encoding runs on any ``zarrkit.parallel`` executor (processes use spawn;
        Dask too); publishing happens here, in order, so the bytes never depend on the executor."""
        from zarrkit.parallel import check_executor, get_executor

        check_executor(executor)
        self._learn_shape()
        plans = []
        for item in items:
            kwargs = dict(item) if isinstance(item, Mapping) else {"well": item[0], "fields": item[1]}
            kwargs.pop("overwrite", None)
            plans.append(self.plan(**kwargs))
        if len({p.path for p in plans}) != len(plans):
            raise SpecViolation(f"{self.url}: a well appears twice in write_wells")
        done = []
        with get_executor(executor, workers=workers) as ex:
            published = zip(plans, ex.map(encode_well, plans))
            for plan, objects in progress.track(published, "Writing wells", total=len(plans)):
                self._publish(plan, objects, overwrite)
                done.append(plan.path)
        return done

    def _publish(self, plan: WellPlan, objects: Mapping[str, bytes], overwrite: bool) -> None:
        self.publisher.publish(plan.path, objects, overwrite=overwrite, durable=self.durable)
        if self._field_shape is None:
            self._field_shape = tuple(np.shape(next(iter(plan.fields.values()))))
        if self.listing == "incremental":
            from zarrkit.hcs.staging import plate_lock

            with plate_lock(self.publisher.plate_dir):
                listing.merge_listing(self.store, self.plate, plan.path, listing.field_counts(
                    [{"acquisition": plan.acquisition} for _ in plan.fields]))

    def finalize(self) -> listing.FinalizeReport:
        """List the committed wells, set field counts, remove staging orphans and empty rows,
        consolidate.  Repeatable; no complete well, or wells whose fields differ in shape or
        dtype (racing first writers), raise SpecViolation before the listing changes."""
        report = listing.FinalizeReport(removed_staging=self.publisher.sweep())
        scan = listing.scan_wells(self.store)
        listing.check_field_shapes(self.store, scan)
        attrs = listing.plate_attributes(self.plate, scan.complete)
        report.wells, report.incomplete = list(attrs["ome"]["plate"]["wells"]), scan.incomplete
        report.wells = [w["path"] for w in report.wells]
        report.removed_rows = listing.remove_empty_rows(self.store, scan.complete, scan.incomplete,
                                                        self.publisher.remove_row)
        core.update_attributes(self.store, "", attrs)
        core.consolidate(self.store)
        self.publisher.commit("hcs: finalize plate listing")
        self.publisher.recheck_rows(report.removed_rows)
        return report

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "PlateWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
