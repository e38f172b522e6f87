"""OME-Zarr 0.5 image metadata: one small class per spec object, ``to_dict`` / ``from_dict``.

Only what 0.5 allows is written: coordinate transformations are ``[scale]`` or
``[scale, translation]`` (never ``affine``), axes have ``name`` and ``type``, and each
multiscale carries ``name``, ``type`` and ``metadata`` so the strict schema passes too.
The block lives under ``attributes["ome"]`` of a Zarr v3 group.

Example:
    >>> ms = Multiscale.pyramid("image", ["image", "pyramid/1/image"], origin=(10, 20),
    ...                         axes=[Axis("y", "space"), Axis("x", "space")])
    >>> ms.datasets[1].to_dict()["coordinateTransformations"]
    [{'type': 'scale', 'scale': [2.0, 2.0]}, {'type': 'translation', 'translation': [10.5, 20.5]}]
    >>> OmeImage([ms]).to_dict()["version"]
    '0.5'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from zarrkit.errors import ArchiveError

__all__ = ["VERSION", "Axis", "Dataset", "Multiscale", "OmeroChannel", "OmeImage",
           "PlateRow", "PlateColumn", "Acquisition", "PlateWell", "Plate", "WellImage", "Well"]

VERSION = "0.5"
_AXIS_TYPES = ("space", "time", "channel")


@dataclass(frozen=True)
class Axis:
    """An axis: ``name`` and ``type`` (space, time, channel); ``unit`` only when meaningful."""

    name: str
    type: str
    unit: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ArchiveError("ome axis: name must not be empty")
        if self.type not in _AXIS_TYPES:
            raise ArchiveError(f"ome axis {self.name!r}: type must be one of {_AXIS_TYPES}, got {self.type!r}")

    def to_dict(self) -> dict[str, Any]:
        out = {"name": self.name, "type": self.type}
        if self.unit is not None:
            out["unit"] = self.unit
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "Axis":
        return cls(doc["name"], doc.get("type", "space"), doc.get("unit"))


@dataclass(frozen=True)
class Dataset:
    """One resolution level: its path and ``scale`` plus optional ``translation``."""

    path: str
    scale: tuple[float, ...]
    translation: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.translation is not None and len(self.translation) != len(self.scale):
            raise ArchiveError(f"ome dataset {self.path!r}: scale and translation differ in length")
        if any(s <= 0 for s in self.scale):
            raise ArchiveError(f"ome dataset {self.path!r}: scale factors must be positive")

    def to_dict(self) -> dict[str, Any]:
        transforms: list[dict[str, Any]] = [{"type": "scale", "scale": [float(s) for s in self.scale]}]
        if self.translation is not None:
            transforms.append({"type": "translation", "translation": [float(t) for t in self.translation]})
        return {"path": self.path, "coordinateTransformations": transforms}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "Dataset":
        scale, translation = None, None
        for t in doc.get("coordinateTransformations", []):
            if t.get("type") == "scale":
                scale = tuple(t["scale"])
            elif t.get("type") == "translation":
                translation = tuple(t["translation"])
            else:
                raise ArchiveError(f"ome dataset {doc.get('path')!r}: transform {t.get('type')!r} is not valid in 0.5")
        if scale is None:
            raise ArchiveError(f"ome dataset {doc.get('path')!r}: a scale transform is required")
        return cls(doc["path"], scale, translation)


@dataclass(frozen=True)
class Multiscale:
    """A multiscale image: axes, levels (finest first), and how the levels were made."""

    name: str
    axes: tuple[Axis, ...]
    datasets: tuple[Dataset, ...]
    type: str = "mean"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.datasets:
            raise ArchiveError("ome multiscale: at least one dataset is required")
        names = [a.name for a in self.axes]
        if len(set(names)) != len(names):
            raise ArchiveError(f"ome multiscale: axis names must be unique, got {names}")
        for d in self.datasets:
            if len(d.scale) != len(self.axes):
                raise ArchiveError(f"ome dataset {d.path!r}: {len(d.scale)} scale factors for {len(self.axes)} axes")

    @classmethod
    def pyramid(cls, name: str, paths: list[str], *, origin: tuple[float, ...], axes: list[Axis],
                factor: int = 2, metadata: dict[str, Any] | None = None) -> "Multiscale":
        """Levels made by ``factor``×``factor`` block means over the spatial axes.

        Level n has scale factorⁿ and translation ``origin + (factorⁿ − 1) / 2`` (pixel centres);
        non-spatial axes keep scale 1 and translation 0.
        """
        spatial = [a.type == "space" for a in axes]
        datasets = []
        for n, path in enumerate(paths):
            f = float(factor**n)
            scale = tuple(f if s else 1.0 for s in spatial)
            it = iter(origin)
            trans = tuple(next(it) + (f - 1) / 2 if s else 0.0 for s in spatial)
            datasets.append(Dataset(path, scale, trans))
        return cls(name, tuple(axes), tuple(datasets), "mean", dict(metadata or {}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "axes": [a.to_dict() for a in self.axes],
            "datasets": [d.to_dict() for d in self.datasets],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "Multiscale":
        return cls(
            doc.get("name", ""),
            tuple(Axis.from_dict(a) for a in doc.get("axes", [])),
            tuple(Dataset.from_dict(d) for d in doc.get("datasets", [])),
            doc.get("type", ""),
            dict(doc.get("metadata") or {}),
        )


@dataclass(frozen=True)
class OmeroChannel:
    """Display hints for one channel (``omero.channels[]``)."""

    label: str
    color: str
    window: tuple[float, float, float, float] | None = None  # min, max, start, end
    active: bool = True

    def __post_init__(self) -> None:
        if len(self.color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in self.color):
            raise ArchiveError(f"channel {self.label!r}: color must be RRGGBB hex, got {self.color!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "color": self.color.upper(), "active": self.active}
        if self.window is not None:
            lo, hi, start, end = (float(v) for v in self.window)
            out["window"] = {"min": lo, "max": hi, "start": start, "end": end}
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "OmeroChannel":
        w = doc.get("window")
        window = None if not w else (w.get("min", 0), w.get("max", 0), w.get("start", 0), w.get("end", 0))
        return cls(str(doc.get("label", "")), str(doc.get("color", "FFFFFF")), window, bool(doc.get("active", True)))


@dataclass(frozen=True)
class OmeImage:
    """The ``ome`` attribute of an image group."""

    multiscales: tuple[Multiscale, ...] | list[Multiscale]
    channels: tuple[OmeroChannel, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": VERSION, "multiscales": [m.to_dict() for m in self.multiscales]}
        if self.channels:
            out["omero"] = {"channels": [c.to_dict() for c in self.channels]}
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "OmeImage":
        if doc.get("version") != VERSION:
            raise ArchiveError(f"ome version {doc.get('version')!r} is not {VERSION}")
        return cls(tuple(Multiscale.from_dict(m) for m in doc.get("multiscales", [])))


# ---------------------------------------------------------------------------- plates and wells
# HCS metadata (0.5 §plate, §well).  Only "ome.plate" and "ome.well" are written, each with its
# own "version" (ome-zarr-models warns when it is absent); 0.4 documents parse with version="0.4".
_NAME = re.compile(r"[A-Za-z0-9]+")


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ArchiveError(f"ome {kind} name {name!r} must be alphanumeric ([A-Za-z0-9]+)")
    return name


def _check_unique(kind: str, names: list[str]) -> None:
    # Case-insensitive: "a" and "A" would collide as folders on macOS and Windows.
    folded = [n.lower() for n in names]
    dupes = sorted({n for n in names if folded.count(n.lower()) > 1})
    if dupes:
        raise ArchiveError(f"ome plate {kind} names must be unique (ignoring case): {dupes}")


@dataclass(frozen=True)
class _PlateLine:
    """A physical row or column of a plate: an alphanumeric ``name``."""

    name: str
    kind: ClassVar[str] = "row"

    def __post_init__(self) -> None:
        _check_name(self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]):
        return cls(doc.get("name"))


class PlateRow(_PlateLine):
    """One physical row (``plate.rows[]``)."""


class PlateColumn(_PlateLine):
    """One physical column (``plate.columns[]``)."""

    kind = "column"


@dataclass(frozen=True)
class Acquisition:
    """One acquisition run (``plate.acquisitions[]``); ``id`` is unique and ≥ 0.

    Example:
        >>> Acquisition(0, "default", maximumfieldcount=2).to_dict()
        {'id': 0, 'name': 'default', 'maximumfieldcount': 2}
    """

    id: int
    name: str | None = None
    description: str | None = None
    starttime: int | None = None
    endtime: int | None = None
    maximumfieldcount: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, int) or isinstance(self.id, bool) or self.id < 0:
            raise ArchiveError(f"ome acquisition id must be an integer >= 0, got {self.id!r}")
        if self.maximumfieldcount is not None and self.maximumfieldcount < 1:
            raise ArchiveError(f"ome acquisition {self.id}: maximumfieldcount must be >= 1")
        if any(t is not None and (not isinstance(t, int) or t < 0) for t in (self.starttime, self.endtime)):
            raise ArchiveError(f"ome acquisition {self.id}: starttime/endtime must be integers >= 0 (epoch ms)")

    def to_dict(self) -> dict[str, Any]:
        keys = ("id", "name", "description", "starttime", "endtime", "maximumfieldcount")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "Acquisition":
        return cls(doc.get("id"), doc.get("name"), doc.get("description"), doc.get("starttime"),
                   doc.get("endtime"), doc.get("maximumfieldcount"))


@dataclass(frozen=True)
class PlateWell:
    """A well listed by the plate (``plate.wells[]``): ``"row/column"`` plus both indices."""

    path: str
    rowIndex: int
    columnIndex: int

    def __post_init__(self) -> None:
        parts = self.path.split("/") if isinstance(self.path, str) else []
        if len(parts) != 2 or not all(_NAME.fullmatch(p) for p in parts):
            raise ArchiveError(f"ome plate well path {self.path!r} must be '<row>/<column>'")
        if min(self.rowIndex, self.columnIndex) < 0:
            raise ArchiveError(f"ome plate well {self.path!r}: indices must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rowIndex": self.rowIndex, "columnIndex": self.columnIndex}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "PlateWell":
        return cls(doc.get("path"), doc.get("rowIndex", -1), doc.get("columnIndex", -1))


@dataclass(frozen=True)
class Plate:
    """The ``ome.plate`` block: every physical row and column, the listed wells, acquisitions.

    Each well's path must name a listed row and column, and its ``rowIndex`` /
    ``columnIndex`` must be those names' positions (validators miss a contradiction).

    Example:
        >>> p = Plate("p1", (PlateRow("A"), PlateRow("B")), (PlateColumn("1"),),
        ...           (PlateWell("B/1", 1, 0),), (Acquisition(0),), field_count=1)
        >>> Plate.from_dict(p.to_dict()) == p
        True
        >>> Plate("p1", (PlateRow("A"),), (PlateColumn("1"),), (PlateWell("A/1", 0, 3),))
        Traceback (most recent call last):
        ...
        zarrkit.errors.ArchiveError: ome plate well 'A/1': columnIndex 3 contradicts column '1' at 0
    """

    name: str | None
    rows: tuple[PlateRow, ...]
    columns: tuple[PlateColumn, ...]
    wells: tuple[PlateWell, ...]
    acquisitions: tuple[Acquisition, ...] = ()
    field_count: int | None = None
    version: str = VERSION

    def __post_init__(self) -> None:
        if not self.rows or not self.columns:
            raise ArchiveError("ome plate: rows and columns must not be empty")
        _check_unique("row", [r.name for r in self.rows])
        _check_unique("column", [c.name for c in self.columns])
        ids = [a.id for a in self.acquisitions]
        if len(set(ids)) != len(ids):
            raise ArchiveError(f"ome plate: acquisition ids must be unique, got {ids}")
        if self.field_count is not None and self.field_count < 1:
            raise ArchiveError(f"ome plate: field_count must be >= 1, got {self.field_count}")
        rows = {r.name: i for i, r in enumerate(self.rows)}
        cols = {c.name: i for i, c in enumerate(self.columns)}
        for w in self.wells:
            row, col = w.path.split("/")
            if row not in rows or col not in cols:
                raise ArchiveError(f"ome plate well {w.path!r}: row or column is not in the plate")
            if rows[row] != w.rowIndex:
                raise ArchiveError(f"ome plate well {w.path!r}: rowIndex {w.rowIndex} contradicts row {row!r} at {rows[row]}")
            if cols[col] != w.columnIndex:
                raise ArchiveError(
                    f"ome plate well {w.path!r}: columnIndex {w.columnIndex} contradicts column {col!r} at {cols[col]}")
        if len(seen := [w.path for w in self.wells]) != len(set(seen)):
            raise ArchiveError(f"ome plate: a well is listed twice in {seen}")

    def to_dict(self) -> dict[str, Any]:
        out = {"version": self.version, "name": self.name, "rows": [r.to_dict() for r in self.rows],
               "columns": [c.to_dict() for c in self.columns], "wells": [w.to_dict() for w in self.wells],
               "acquisitions": [a.to_dict() for a in self.acquisitions] or None, "field_count": self.field_count}
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, version: str = VERSION) -> "Plate":
        """Parse ``ome.plate`` (``version="0.4"`` for the 0.4 ``plate`` attribute)."""
        return cls(doc.get("name"), tuple(PlateRow.from_dict(r) for r in doc.get("rows", [])),
                   tuple(PlateColumn.from_dict(c) for c in doc.get("columns", [])),
                   tuple(PlateWell.from_dict(w) for w in doc.get("wells", [])),
                   tuple(Acquisition.from_dict(a) for a in doc.get("acquisitions") or []),
                   doc.get("field_count"), str(doc.get("version", version)))


@dataclass(frozen=True)
class WellImage:
    """One field of view of a well (``well.images[]``): its group ``path`` and acquisition."""

    path: str
    acquisition: int | None = None

    def __post_init__(self) -> None:
        _check_name("well image", self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path} if self.acquisition is None else {"path": self.path, "acquisition": self.acquisition}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "WellImage":
        return cls(doc.get("path"), doc.get("acquisition"))


@dataclass(frozen=True)
class Well:
    """The ``ome.well`` block: the well's images (fields), each path once.

    Example:
        >>> Well((WellImage("0", 0), WellImage("1", 0))).to_dict()
        {'version': '0.5', 'images': [{'path': '0', 'acquisition': 0}, {'path': '1', 'acquisition': 0}]}
    """

    images: tuple[WellImage, ...]
    version: str = VERSION

    def __post_init__(self) -> None:
        if not self.images:
            raise ArchiveError("ome well: images must not be empty")
        paths = [i.path for i in self.images]
        if len(set(paths)) != len(paths):
            raise ArchiveError(f"ome well: image paths must be unique, got {paths}")

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "images": [i.to_dict() for i in self.images]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, version: str = VERSION) -> "Well":
        return cls(tuple(WellImage.from_dict(i) for i in doc.get("images", [])), str(doc.get("version", version)))
