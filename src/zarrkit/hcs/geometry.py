"""Plate geometry: rows, columns, acquisitions, and resolving a well name against them.

Rows and columns are the *physical* ones of the plate, never inferred from the wells that
happen to be written (the anchor's mistake): a 96-well plate lists A–H and 1–12 even when
only B/3 holds data, and ``rowIndex``/``columnIndex`` are positions in those lists.

Example:
    >>> p = PlateSpec.preset(1536, name="big")
    >>> len(p.rows), len(p.columns), p.rows[-1]
    (32, 48, 'AF')
    >>> p.resolve("AA48"), p.resolve(("B", 3)), p.index("AF/1")
    ('AA/48', 'B/3', (31, 0))
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from zarrkit.conventions.ome import Acquisition, Plate, PlateColumn, PlateRow, PlateWell
from zarrkit.errors import ArchiveError, SpecViolation

__all__ = ["PRESETS", "PlateSpec", "row_names"]

#: wells -> (rows, columns) of the standard SBS plate formats
PRESETS = {6: (2, 3), 12: (3, 4), 24: (4, 6), 48: (6, 8), 96: (8, 12), 384: (16, 24), 1536: (32, 48)}
DEFAULT_ACQUISITIONS = (Acquisition(0, "default"),)
_WELL = re.compile(r"([A-Za-z]+)/?0*([0-9]+)")


def row_names(n: int) -> tuple[str, ...]:
    """``A…Z`` then ``AA, AB, …`` (1536-well plates use A–Z and AA–AF).

    Example:
        >>> row_names(28)[-3:]
        ('Z', 'AA', 'AB')
    """
    letters = string.ascii_uppercase
    out = []
    for i in range(n):
        name, i = "", i
        if i >= 26:
            name, i = letters[i // 26 - 1], i % 26
        out.append(name + letters[i])
    return tuple(out)


def _as_acquisition(a: Any) -> Acquisition:
    return a if isinstance(a, Acquisition) else Acquisition(*a) if isinstance(a, (tuple, list)) else Acquisition(a)


@dataclass(frozen=True)
class PlateSpec:
    """A plate's geometry: row names, column names, its name and acquisitions.

    Example:
        >>> PlateSpec(["A", "B"], ["1", "2", "3"], name="p").size
        6
        >>> PlateSpec(["A", "a"], ["1"], name="p")
        Traceback (most recent call last):
        ...
        zarrkit.errors.SpecViolation: plate 'p': ome plate row names must be unique (ignoring case): ['A', 'a']
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    name: str = "plate"
    acquisitions: tuple[Acquisition, ...] = DEFAULT_ACQUISITIONS

    def __init__(self, rows, columns, *, name: str = "plate", acquisitions=DEFAULT_ACQUISITIONS) -> None:
        object.__setattr__(self, "rows", tuple(str(r) for r in rows))
        object.__setattr__(self, "columns", tuple(str(c) for c in columns))
        object.__setattr__(self, "name", str(name))
        try:
            object.__setattr__(self, "acquisitions", tuple(_as_acquisition(a) for a in acquisitions))
            self.plate([])  # the OME objects own the validation of names, uniqueness and ids
        except SpecViolation:
            raise
        except ArchiveError as err:
            raise SpecViolation(f"plate {self.name!r}: {err}") from None
        if not self.acquisitions:
            raise SpecViolation(f"plate {self.name!r}: at least one acquisition is required")

    @classmethod
    def preset(cls, n: int, *, name: str = "plate", padded: bool = False, **kwargs: Any) -> "PlateSpec":
        """A standard plate of ``n`` wells; ``padded`` names columns ``01…`` instead of ``1…``.

        Example:
            >>> PlateSpec.preset(96, name="s", padded=True).columns[:2]
            ('01', '02')
        """
        if n not in PRESETS:
            raise SpecViolation(f"no {n}-well plate preset; known: {sorted(PRESETS)}")
        nrows, ncols = PRESETS[n]
        width = len(str(ncols)) if padded else 1
        return cls(row_names(nrows), [str(c).zfill(width) for c in range(1, ncols + 1)], name=name, **kwargs)

    @property
    def size(self) -> int:
        return len(self.rows) * len(self.columns)

    @property
    def geometry(self) -> str:
        """The preset's well count when the plate is one (``"96"``), else ``"RxC"``."""
        for n, (r, c) in PRESETS.items():
            if (r, c) == (len(self.rows), len(self.columns)) and self == PlateSpec.preset(
                    n, name=self.name, padded=self.columns[0] != "1", acquisitions=self.acquisitions):
                return str(n)
        return f"{len(self.rows)}x{len(self.columns)}"

    def resolve(self, well: Any) -> str:
        """The well's ``"row/column"`` path: ``"A/1"``, ``"A1"``, ``"A01"``, ``"AA48"`` or ``("A", 1)``.

        Example:
            >>> PlateSpec.preset(96).resolve("H13")
            Traceback (most recent call last):
            ...
            zarrkit.errors.SpecViolation: plate 'plate': well 'H13' is outside the 8x12 plate (rows A-H, columns 1-12)
        """
        if isinstance(well, (tuple, list)) and len(well) == 2:
            row, col = str(well[0]), str(well[1])
        elif isinstance(well, str) and well.count("/") == 1:  # "row/col" names any row and column
            row, col = (part.strip() for part in well.split("/"))
        elif isinstance(well, str) and (m := _WELL.fullmatch(well.strip())):  # "B03": letters, then digits
            row, col = m.group(1), m.group(2)
        else:
            raise SpecViolation(f"plate {self.name!r}: {well!r} is not a well name (say 'B/3', 'B03' or ('B', 3))")
        rows_upper = {r.upper(): r for r in self.rows}
        cols_upper = {c.upper(): c for c in self.columns}
        cols_by_number = {int(c): c for c in self.columns if c.isdigit()}
        r = rows_upper.get(row.upper())
        c = cols_upper.get(col.upper()) or (cols_by_number.get(int(col)) if col.isdigit() else None)
        if r is None or c is None:
            raise SpecViolation(f"plate {self.name!r}: well {well!r} is outside the {len(self.rows)}x{len(self.columns)} "
                                f"plate (rows {self.rows[0]}-{self.rows[-1]}, columns {self.columns[0]}-{self.columns[-1]})")
        return f"{r}/{c}"

    def index(self, well: Any) -> tuple[int, int]:
        """``(rowIndex, columnIndex)`` of a well: positions in the physical rows and columns."""
        row, col = self.resolve(well).split("/")
        return self.rows.index(row), self.columns.index(col)

    def acquisition_ids(self) -> tuple[int, ...]:
        return tuple(a.id for a in self.acquisitions)

    def plate(self, wells, *, field_counts: dict[int, int] | None = None) -> Plate:
        """The ``ome.plate`` object listing ``wells`` (paths), with field counts when known.

        ``field_counts`` maps acquisition id -> the most fields any well has in it; the plate's
        ``field_count`` is the largest of them.
        """
        counts = field_counts or {}
        acqs = tuple(Acquisition(a.id, a.name, a.description, a.starttime, a.endtime, counts.get(a.id))
                     for a in self.acquisitions)
        listed = tuple(PlateWell(w, *self.index(w)) for w in sorted(wells, key=self.index))
        return Plate(self.name, tuple(PlateRow(r) for r in self.rows), tuple(PlateColumn(c) for c in self.columns),
                     listed, acqs, max(counts.values()) if counts else None)

    def to_dict(self) -> dict[str, Any]:
        """The geometry as JSON (stored in the root marker so :meth:`from_dict` restores it)."""
        return {"rows": list(self.rows), "columns": list(self.columns), "name": self.name,
                "acquisitions": [a.to_dict() for a in self.acquisitions]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "PlateSpec":
        """Inverse of :meth:`to_dict`.

        Example:
            >>> p = PlateSpec.preset(384, name="x")
            >>> PlateSpec.from_dict(p.to_dict()) == p
            True
        """
        acqs = [Acquisition(a["id"], a.get("name"), a.get("description"), a.get("starttime"), a.get("endtime"))
                for a in doc.get("acquisitions", [{"id": 0, "name": "default"}])]
        return cls(doc["rows"], doc["columns"], name=doc.get("name", "plate"), acquisitions=acqs)
