"""OME-Zarr 0.5 plates and wells (HCS): one small class per spec object, ``to_dict`` / ``from_dict``.

Re-exported by :mod:`zarrkit.conventions.ome`, where the image objects live.

Example:
    >>> Acquisition(0, "default").to_dict()["id"]
    0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from zarrkit.conventions.ome_version import VERSION
from zarrkit.errors import ArchiveError

__all__ = ["PlateRow", "PlateColumn", "Acquisition", "PlateWell", "Plate", "WellImage", "Well"]


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
