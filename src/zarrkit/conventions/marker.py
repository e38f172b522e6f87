"""The ``zarrkit`` root marker: which zarrkit format a store holds, in which version, by whom.

Every domain writes one under ``attributes["zarrkit"]`` of its root group::

    {"format": "image", "version": "1.0", "writer": "zarrkit 0.1.0", ...domain keys}

``format`` is the name a format registered under (``image``, ``hcs``, ``vectors``, ``geo``).
``version`` is ``MAJOR.MINOR``: a reader of major ``N`` reads every ``N.x`` (minor versions
only add keys a reader may ignore) and refuses a newer major with :class:`FormatVersionError`.
The remaining keys belong to the domain and are kept in ``extra`` untouched.

Example:
    >>> m = RootMarker("image", "1.0", extra={"kind": "image"})
    >>> d = m.to_dict()
    >>> d["format"], d["version"], d["writer"].startswith("zarrkit"), d["kind"]
    ('image', '1.0', True, 'image')
    >>> RootMarker.from_dict(d) == m
    True
    >>> RootMarker.from_attributes({"zarrkit": {"format": "geo", "version": "2.3"}}).major
    2
    >>> RootMarker.from_attributes({"title": "not ours"}) is None
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from zarrkit.errors import FormatVersionError, MarkerError

__all__ = ["KEY", "RootMarker", "writer_string"]

KEY = "zarrkit"  # the attribute key of the marker on a root group
_VERSION = re.compile(r"(\d+)\.(\d+)")
_OWN_KEYS = ("format", "version", "writer")


def writer_string() -> str:
    """``"zarrkit X.Y.Z"``: the writer recorded in every marker this release writes.

    Example:
        >>> writer_string().split()[0]
        'zarrkit'
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"zarrkit {version('zarrkit')}"
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "zarrkit 0+unknown"


@dataclass(frozen=True)
class RootMarker:
    """The marker object; validated on construction, symmetric ``to_dict`` / ``from_dict``."""

    format: str
    version: str
    writer: str = field(default_factory=writer_string)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.format, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", self.format):
            raise MarkerError(f"zarrkit.format must be a lower-case name, got {self.format!r}")
        if not isinstance(self.version, str) or not _VERSION.fullmatch(self.version):
            raise MarkerError(f"zarrkit.version must be 'MAJOR.MINOR', got {self.version!r}")
        if not isinstance(self.writer, str):
            raise MarkerError(f"zarrkit.writer must be a string, got {self.writer!r}")
        clash = set(self.extra) & set(_OWN_KEYS)
        if clash:
            raise MarkerError(f"zarrkit marker: domain keys may not redefine {sorted(clash)}")

    @property
    def major(self) -> int:
        """The major version: readers of another major must not guess."""
        return int(self.version.split(".")[0])

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored under ``attributes["zarrkit"]`` (own keys first)."""
        return {"format": self.format, "version": self.version, "writer": self.writer, **dict(self.extra)}

    @classmethod
    def from_dict(cls, doc: Any) -> "RootMarker":
        """Parse a stored marker; a malformed one raises :class:`MarkerError`.

        Example:
            >>> RootMarker.from_dict({"format": "image"})
            Traceback (most recent call last):
            ...
            zarrkit.errors.MarkerError: zarrkit marker: missing 'version'
        """
        if not isinstance(doc, Mapping):
            raise MarkerError(f"zarrkit marker: must be an object, got {type(doc).__name__}")
        for key in ("format", "version"):
            if key not in doc:
                raise MarkerError(f"zarrkit marker: missing {key!r}")
        extra = {k: v for k, v in doc.items() if k not in _OWN_KEYS}
        return cls(doc["format"], str(doc["version"]), doc.get("writer", "unknown"), extra)

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any] | None) -> "RootMarker | None":
        """The marker of a root group's attributes, ``None`` when it carries none."""
        if not attributes or KEY not in attributes:
            return None
        return cls.from_dict(attributes[KEY])

    def check_readable(self, reads_major: int, *, where: str = "") -> None:
        """Refuse a marker whose major version is newer than ``reads_major``.

        Example:
            >>> RootMarker("image", "2.0").check_readable(1, where="s3://b/x.zarr")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            zarrkit.errors.FormatVersionError: s3://b/x.zarr: image format 2.0 is newer than ... (1.x); upgrade zarrkit
        """
        if self.major > reads_major:
            prefix = f"{where}: " if where else ""
            raise FormatVersionError(
                f"{prefix}{self.format} format {self.version} is newer than this zarrkit reads "
                f"({reads_major}.x); upgrade zarrkit"
            )
