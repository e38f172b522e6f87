"""TIFF import (spec §5): a folder of single-plane TIFF files, named by a pattern such as
``{well}_s{field}_w{channel}_z{z}.tif``, becomes a plate.

The whole folder is checked before anything is written: every name is parsed (unmatched
names are listed, or an error with ``strict``), every TIFF header is read (one 2-D page
per file, one dtype and plane shape for all), and every well's planes must be complete
unless ``allow_missing`` (missing planes then hold the fill value 0).  Wells are then
encoded in parallel and published one by one (spec §3), and the plate is finalized.  The
source names go into each well's ``files``, so the plate still answers to them.

tifffile is imported only when a TIFF is opened, so importing this module costs nothing.

Example:
    >>> import os, tempfile, numpy as np, tifffile
    >>> src = tempfile.mkdtemp()
    >>> for c in (1, 2):
    ...     tifffile.imwrite(os.path.join(src, f"B03_s1_w{c}_z01.tif"), np.full((8, 8), c, "uint16"))
    >>> report = import_tiffs(src, os.path.join(src, "plate.ome.zarr"), plate=24)
    >>> report.wells, report.files, report.image.axes
    (['B/3'], 2, 'czyx')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Mapping, Sequence

import numpy as np

from zarrkit import progress
from zarrkit.errors import PlateExistsError, SpecViolation, StorageResolutionError
from zarrkit.hcs.geometry import PlateSpec
from zarrkit.hcs.image_spec import ImageSpec
from zarrkit.hcs.layout import NAMING
from zarrkit.hcs.naming import Pattern

__all__ = ["ImportReport", "TiffPlanes", "TiffScan", "import_tiffs", "scan_tiffs"]

_SHOWN = 5  # names quoted in one error message


@dataclass
class TiffScan:
    """What a source folder holds: planes per well and field, their axes, sizes, plane
    shape and dtype, and the names that matched no pattern."""

    axes: str
    sizes: dict[str, int]  # the non-y/x axes' lengths
    plane_shape: tuple[int, int]
    dtype: np.dtype
    planes: dict[str, dict[str, dict[tuple[int, ...], str]]]  # well -> field -> index -> file name
    coords: dict[str, tuple]  # file name -> (field, t, c, z)
    channels: tuple[str, ...] = ()  # the channel labels, given or found in the names
    unmatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "well field index" of absent planes


@dataclass
class ImportReport:
    """The result of :func:`import_tiffs`: the plate, the wells written and those skipped
    (``resume``), how many files the written wells hold, unmatched names, planes filled with 0."""

    url: str
    image: ImageSpec
    wells: list[str]
    skipped: list[str]
    files: int
    unmatched: list[str]
    missing: list[str]


@dataclass(frozen=True)
class TiffPlanes:
    """Reads one field's planes from its TIFF files; picklable, so process executors can
    run it.  ``paths`` maps a plane index (the non-y/x coordinates) to its file."""

    folder: str
    paths: Mapping[tuple[int, ...], str]
    plane_shape: tuple[int, int]
    dtype: str

    def __call__(self, index: tuple[int, ...]) -> np.ndarray:
        name = self.paths.get(tuple(int(i) for i in index))
        if name is None:  # allowed missing: the fill value
            return np.zeros(self.plane_shape, self.dtype)
        import tifffile

        plane = tifffile.imread(os.path.join(self.folder, name), key=0)
        if plane.shape != tuple(self.plane_shape) or plane.dtype != np.dtype(self.dtype):
            raise SpecViolation(f"{name}: {plane.dtype} {plane.shape} now, {self.dtype} {tuple(self.plane_shape)} "
                                "when the folder was scanned (changed during the import?)")
        return plane


def _header(path: str) -> tuple[tuple[int, ...], np.dtype]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            npages = len(tif.pages)
            return (tuple(page.shape) if npages == 1 else (npages, *page.shape)), np.dtype(page.dtype)
    except (tifffile.TiffFileError, ValueError) as err:
        raise SpecViolation(f"{path}: not a readable TIFF ({err})") from None


def _channel_labels(pattern: Pattern, names: Sequence[str]) -> tuple[str, ...]:
    """The distinct non-numeric ``{channel}`` values, sorted: the channel order when none is given."""
    labels = set()
    for name in names:
        m = pattern.regex.fullmatch(name)
        value = m.groupdict().get("channel") if m else None
        if value is not None and not value.isdigit():
            labels.add(value)
    return tuple(sorted(labels))


def _pattern(text: str, regex: bool, channels: Sequence[str], names: Sequence[str]) -> Pattern:
    pattern = Pattern(text, regex=regex)
    labels = tuple(channels) or _channel_labels(pattern, names)
    return Pattern(text, regex=regex, channels=labels) if labels else pattern


def scan_tiffs(src: str, plate: PlateSpec, *, pattern: str = NAMING, regex: bool = False,
               channels: Sequence[str] = (), strict: bool = False, allow_missing: bool = False) -> TiffScan:
    """Check a folder of TIFFs against ``plate`` and the naming ``pattern``; nothing is written.

    ``channels`` are the channel labels in order (they map ``{channel}`` labels to indices).

    Example:
        >>> import tempfile, tifffile
        >>> d = tempfile.mkdtemp()
        >>> tifffile.imwrite(f"{d}/A01_s2_wDAPI_z01.tif", np.zeros((4, 6), "uint8"))
        >>> s = scan_tiffs(d, PlateSpec.preset(96))
        >>> s.axes, s.sizes, s.plane_shape, list(s.planes["A/1"])
        ('czyx', {'c': 1, 'z': 1}, (4, 6), ['1'])
    """
    if not os.path.isdir(src):
        raise StorageResolutionError(f"{src}: no such folder of TIFF files")
    names = sorted(n for n in os.listdir(src) if os.path.isfile(os.path.join(src, n)))
    pat = _pattern(pattern, regex, channels, names)
    axes = "".join(a for a, key in (("t", "t"), ("c", "channel"), ("z", "z")) if key in pat.names) + "yx"
    parsed, unmatched = {}, []
    for name in names:
        plane = pat.parse(name)
        if plane is None:
            unmatched.append(name)
            continue
        well = plate.resolve(plane.well)  # outside the plate: SpecViolation naming the well
        parsed[name] = (well, plane.field, {"t": plane.t, "c": plane.c, "z": plane.z})
    if strict and unmatched:
        raise StorageResolutionError(f"{src}: {len(unmatched)} files match no pattern {pattern!r}: "
                                     f"{unmatched[:_SHOWN]}{' ...' if len(unmatched) > _SHOWN else ''}")
    if not parsed:
        raise StorageResolutionError(f"{src}: no file matches the pattern {pattern!r} ({len(names)} files)")
    lead = axes[:-2]
    sizes = {a: 1 + max(coords[a] for _, _, coords in parsed.values()) for a in lead}
    if "c" in sizes and pat.channels:
        sizes["c"] = max(sizes["c"], len(pat.channels))
    planes: dict[str, dict[str, dict[tuple[int, ...], str]]] = {}
    shape = dtype = None
    for name in progress.track(list(parsed), "Reading TIFF headers"):
        well, fld, coords = parsed[name]
        index = tuple(coords[a] for a in lead)
        seen = planes.setdefault(well, {}).setdefault(fld, {})
        if index in seen:
            raise SpecViolation(f"{src}: {seen[index]} and {name} are the same plane ({well} field {fld} {index})")
        seen[index] = name
        s, d = _header(os.path.join(src, name))
        if len(s) != 2:
            raise SpecViolation(f"{src}/{name}: {s} is not one 2-D plane (one page of y, x per file)")
        if shape is None:
            shape, dtype = s, d
        elif (s, d) != (shape, dtype):
            raise SpecViolation(f"{src}/{name}: {d} {s} differs from {dtype} {shape} of the other files")
    missing = [f"{well} field {fld} {dict(zip(lead, i))}" for well, fields in planes.items()
               for fld, seen in fields.items() for i in product(*(range(sizes[a]) for a in lead)) if i not in seen]
    if missing and not allow_missing:
        raise SpecViolation(f"{src}: {len(missing)} planes are missing, e.g. {missing[:_SHOWN]} "
                            "(allow_missing / --allow-missing fills them with 0)")
    coords_by_name = {n: (fld, c["t"], c["c"], c["z"]) for n, (_, fld, c) in parsed.items()}
    return TiffScan(axes, sizes, shape, dtype, planes, coords_by_name, pat.channels, unmatched, missing)


def _image(scan: TiffScan, image: ImageSpec | None, options: Mapping[str, Any], channels: Sequence[Any]) -> ImageSpec:
    if image is None:
        return ImageSpec(scan.axes, scan.dtype, channels=tuple(channels), **options)
    if image.axes != scan.axes or image.dtype != scan.dtype:
        raise SpecViolation(f"the files hold {scan.axes} {scan.dtype} planes; the image spec says "
                            f"{image.axes} {image.dtype}")
    return image


def import_tiffs(src: str, dest: Any, *, plate: Any = 96, pattern: str = NAMING, regex: bool = False,
                 image: ImageSpec | None = None, channels: Sequence[Any] = (), pixel_size=(0.65, 0.65),
                 z_step: float | None = None, time_step: float | None = None, layout: Any = "sharded",
                 compression: Any = "zstd:3", executor: Any = None, workers: int | None = None,
                 resume: bool = False, strict: bool = False, allow_missing: bool = False,
                 storage_options: Mapping[str, Any] | None = None) -> ImportReport:
    """Import the TIFF planes in ``src`` into the plate at ``dest`` and finalize it.

    ``plate`` is a :class:`PlateSpec` or a preset size; ``image`` (or ``channels``,
    ``pixel_size``, ``z_step``, ``time_step``) describes the planes, whose axes come from
    the pattern's fields.  An existing plate raises PlateExistsError unless ``resume``,
    which skips the wells it already holds.  Channels may be labels (``"DAPI:0000FF"``).

    Example:
        >>> import_tiffs("/no/such/folder", "memory://doc-import")
        Traceback (most recent call last):
        ...
        zarrkit.errors.StorageResolutionError: /no/such/folder: no such folder of TIFF files
    """
    from zarrkit.hcs.image_spec import as_channel
    from zarrkit.hcs.listing import scan_wells
    from zarrkit.hcs.writer import Planes, PlateWriter

    geometry = plate if isinstance(plate, PlateSpec) else PlateSpec.preset(int(plate), name="plate")
    channels = tuple(as_channel(c) for c in (image.channels if image is not None else channels))
    scan = scan_tiffs(src, geometry, pattern=pattern, regex=regex, channels=[c.label for c in channels],
                      strict=strict, allow_missing=allow_missing)
    channels = channels or scan.channels  # labels found in the names, when none were given
    spec = _image(scan, image, {"pixel_size": tuple(pixel_size), "z_step": z_step, "time_step": time_step}, channels)
    try:
        writer = PlateWriter.create(dest, geometry, spec, layout=layout, compression=compression,
                                    storage_options=storage_options)
    except PlateExistsError:
        if not resume:
            raise PlateExistsError(f"{dest}: a plate already exists (pass resume=True / --resume to add the "
                                   "missing wells)") from None
        writer = PlateWriter.open(dest, storage_options=storage_options)
    with writer:
        done = set(scan_wells(writer.store).complete) if resume else set()
        lead = spec.axes[:-2]
        shape = tuple(scan.sizes[a] for a in lead) + tuple(scan.plane_shape)
        items = []
        for well in sorted(scan.planes, key=geometry.index):
            if well in done:
                continue
            fields = {fld: Planes(shape, spec.dtype, TiffPlanes(os.path.abspath(src), dict(paths), scan.plane_shape,
                                                                spec.dtype.str))
                      for fld, paths in sorted(scan.planes[well].items(), key=lambda kv: int(kv[0]))}
            files = {n: scan.coords[n] for paths in scan.planes[well].values() for n in paths.values()}
            items.append({"well": well, "fields": fields, "files": files})
        written = writer.write_wells(items, executor=executor, workers=workers)
        writer.finalize()
        url = writer.url
    return ImportReport(url, spec, written, sorted(done & set(scan.planes), key=geometry.index),
                        sum(len(item["files"]) for item in items), scan.unmatched, scan.missing)
