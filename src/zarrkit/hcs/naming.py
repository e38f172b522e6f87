"""File-name patterns: ``"{well}_s{field}_w{channel}_z{z}.tif"`` ↔ ``(well, field, t, c, z)``.

Names are 1-based (as microscopes write them) and coordinates 0-based.  A name maps to its
coordinates by the pattern alone, never by list order.

Example:
    >>> p = Pattern("{well}_s{field}_w{channel}_z{z}.tif")
    >>> p.parse("A01_s1_w2_z03.tif")
    PlaneName(well='A01', field='0', t=None, c=1, z=2)
    >>> p.format("B/3", "1", None, 0, 4)
    'B03_s2_w1_z05.tif'
    >>> p.parse("notes.txt") is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zarrkit.errors import InvalidOptionError

__all__ = ["Pattern", "PlaneName"]

_FIELDS = {"well": r"[A-Za-z]{1,2}\d{1,3}", "row": r"[A-Za-z]{1,2}", "col": r"\d{1,3}", "field": r"\d+",
           "channel": r"[A-Za-z0-9]+", "z": r"\d+", "t": r"\d+"}


@dataclass(frozen=True)
class PlaneName:
    """What a name says: the well as written, the 0-based field (as a name) and t/c/z."""

    well: str
    field: str
    t: int | None
    c: int | None
    z: int | None


class Pattern:
    """A naming pattern of ``{well}`` (or ``{row}`` + ``{col}``), ``{field}``, ``{channel}``,
    ``{z}``, ``{t}``; or a regular expression with those named groups (``regex=True``).

    ``channels`` maps channel labels to indices when ``{channel}`` holds labels.
    """

    def __init__(self, pattern: str, *, regex: bool = False, channels: tuple[str, ...] = ()) -> None:
        self.text, self.channels = pattern, tuple(channels)
        if regex:
            self.regex = re.compile(pattern)
            names = set(self.regex.groupindex)
        else:
            names = set(re.findall(r"\{(\w+)\}", pattern))
            unknown = names - set(_FIELDS)
            if unknown:
                raise InvalidOptionError(f"naming pattern {pattern!r}: unknown fields {sorted(unknown)}; "
                                         f"use {sorted(_FIELDS)}")
            parts = re.split(r"(\{\w+\})", pattern)
            body = "".join(f"(?P<{p[1:-1]}>{_FIELDS[p[1:-1]]})" if p.startswith("{") else re.escape(p) for p in parts)
            self.regex = re.compile(body)
        if "well" not in names and not {"row", "col"} <= names:
            raise InvalidOptionError(f"naming pattern {pattern!r} needs {{well}} or {{row}} and {{col}}")
        self.names = names

    def parse(self, name: str) -> PlaneName | None:
        """The coordinates a name encodes, ``None`` when it does not match."""
        m = self.regex.fullmatch(name)
        if m is None:
            return None
        g = m.groupdict()
        well = g.get("well") or f"{g['row']}{g['col']}"

        def index(key: str) -> int | None:
            return int(g[key]) - 1 if g.get(key) is not None else None

        channel = g.get("channel")
        if channel is not None and not channel.isdigit():
            if channel not in self.channels:
                return None
            c = self.channels.index(channel)
        else:
            c = index("channel")
        field, t, z = index("field") or 0, index("t"), index("z")
        if min(v for v in (field, t, c, z) if v is not None) < 0:  # names are 1-based: a 0 maps to nothing
            return None
        return PlaneName(well, str(field), t, c, z)

    def format(self, well: str, field: str, t: int | None, c: int | None, z: int | None) -> str:
        """The name of a plane (the well as ``B03``: zero-padded column, as instruments write)."""
        row, _, col = well.partition("/")
        values = {"well": f"{row}{int(col):02d}", "row": row, "col": f"{int(col):02d}", "field": int(field) + 1,
                  "channel": (c or 0) + 1, "z": f"{(z or 0) + 1:02d}", "t": (t or 0) + 1}
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), self.text)
