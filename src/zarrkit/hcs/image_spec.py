"""What every field image of a plate looks like: axes, dtype, scale, channels, levels,
plus the storage choices (layout and compression).

Fields are separate images (``B/3/0``, ``B/3/1``), never a custom ``field`` axis beside
``c`` (invalid in 0.5 and missed by validators: the anchor's mistake).

Example:
    >>> spec = ImageSpec("czyx", "uint16", pixel_size=(0.5, 0.5), z_step=2.0,
    ...                  channels=[Channel("DAPI", "0000FF"), Channel("GFP", "00FF00")])
    >>> spec.scale()
    (1.0, 2.0, 0.5, 0.5)
    >>> [a.to_dict() for a in spec.ome_axes()][1]
    {'name': 'z', 'type': 'space', 'unit': 'micrometer'}
    >>> Compression("zstd", 3).codecs(2)
    [{'name': 'zstd', 'configuration': {'level': 3, 'checksum': False}}]
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarrkit.conventions.ome import Axis, OmeroChannel
from zarrkit.errors import ArchiveError, InvalidOptionError, SpecViolation

__all__ = ["AXES", "Channel", "Compression", "ImageSpec", "Layout"]

AXES = "tczyx"
_TYPES = {"t": ("time", "second"), "c": ("channel", None), "z": ("space", "micrometer"),
          "y": ("space", "micrometer"), "x": ("space", "micrometer")}


class Layout(str, enum.Enum):
    """How a field level is cut into stored objects (see the spec's layout table)."""

    SHARDED = "sharded"  # one plane per inner chunk, one shard per field level: one file per field
    PLANE = "plane"  # unsharded plane chunks, for plane-by-plane streaming
    WELL = "well"  # one chunk per field level: the anchor's one-chunk-per-well case

    @classmethod
    def parse(cls, value: Any) -> "Layout":
        """``Layout.SHARDED`` or its name.

        Example:
            >>> Layout.parse("plane")
            <Layout.PLANE: 'plane'>
        """
        try:
            return value if isinstance(value, cls) else cls(str(value).lower())
        except ValueError:
            raise InvalidOptionError(f"layout must be one of {[m.value for m in cls]}, got {value!r}") from None


# codec name -> (levels allowed, default level)
_LEVELS = {"zstd": (range(-7, 23), 3), "blosc-lz4": (range(0, 10), 5), "lz4": (range(0, 10), 5),
           "zlib": (range(0, 10), 6), "none": (range(0, 1), 0)}


@dataclass(frozen=True)
class Compression:
    """A portable v3 compressor and its level; a bad codec or level raises InvalidOptionError.

    Example:
        >>> Compression.parse("blosc-lz4:7").codecs(2)[0]["configuration"]["shuffle"]
        'shuffle'
        >>> Compression("lz4", 12)
        Traceback (most recent call last):
        ...
        zarrkit.errors.InvalidOptionError: compression level 12 is out of range for lz4 (0..9)
    """

    codec: str = "zstd"
    level: int | None = None

    def __post_init__(self) -> None:
        if self.codec not in _LEVELS:
            raise InvalidOptionError(f"compression codec must be one of {sorted(_LEVELS)}, got {self.codec!r}")
        allowed, default = _LEVELS[self.codec]
        if self.level is None:
            object.__setattr__(self, "level", default)
        if not isinstance(self.level, int) or isinstance(self.level, bool) or self.level not in allowed:
            raise InvalidOptionError(f"compression level {self.level!r} is out of range for {self.codec} "
                                     f"({allowed.start}..{allowed.stop - 1})")

    @classmethod
    def parse(cls, text: "str | Compression") -> "Compression":
        """``"zstd"``, ``"zstd:5"``, ``"none"``, or a Compression."""
        if isinstance(text, Compression):
            return text
        codec, _, level = str(text).partition(":")
        try:
            return cls(codec, int(level) if level else None)
        except ValueError:
            raise InvalidOptionError(f"compression level must be an integer, got {level!r}") from None

    def codecs(self, itemsize: int) -> list[dict[str, Any]]:
        """The bytes→bytes codec list (empty for ``none``)."""
        if self.codec == "zstd":
            return [{"name": "zstd", "configuration": {"level": self.level, "checksum": False}}]
        if self.codec == "zlib":  # the same DEFLATE stream, under the v3 codec every reader has
            return [{"name": "gzip", "configuration": {"level": self.level}}]
        if self.codec in ("lz4", "blosc-lz4"):  # numcodecs' own lz4 framing is not portable
            shuffle = "shuffle" if self.codec == "blosc-lz4" else "noshuffle"
            return [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": self.level, "shuffle": shuffle,
                                                        "typesize": itemsize, "blocksize": 0}}]
        return []

    def to_text(self) -> str:
        return self.codec if self.codec == "none" else f"{self.codec}:{self.level}"


@dataclass(frozen=True)
class Channel:
    """One channel's display hints: label, RRGGBB colour, display window, active flag."""

    label: str
    color: str = "FFFFFF"
    window: tuple[float, float] | None = None
    active: bool = True

    def omero(self, dtype: np.dtype) -> OmeroChannel:
        """The ``OmeroChannel``, with min/max from the dtype's range.

        Example:
            >>> Channel("DAPI", "0000FF", (100, 4000)).omero(np.dtype("uint16")).to_dict()["window"]
            {'min': 0.0, 'max': 65535.0, 'start': 100.0, 'end': 4000.0}
        """
        info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
        lo, hi = float(info.min), float(info.max)
        start, end = self.window if self.window is not None else (lo, hi)
        try:
            return OmeroChannel(self.label, self.color, (lo, hi, float(start), float(end)), self.active)
        except ArchiveError as err:
            raise SpecViolation(str(err)) from None


def as_channel(c: Any) -> Channel:
    """A :class:`Channel` from a Channel, ``"LABEL"``/``"LABEL:RRGGBB"`` or ``(label, color, …)``.

    Example:
        >>> as_channel("DAPI:0000FF")
        Channel(label='DAPI', color='0000FF', window=None, active=True)
    """
    if isinstance(c, Channel):
        return c
    if isinstance(c, str):
        label, _, color = c.partition(":")
        return Channel(label, color or "FFFFFF")
    return Channel(*c)


@dataclass(frozen=True)
class ImageSpec:
    """Axes (a subset of ``tczyx`` in that order, with y and x), dtype, physical scale,
    channels and pyramid levels (1, N or ``"auto"``) shared by every field of the plate.

    Example:
        >>> ImageSpec("zcyx")
        Traceback (most recent call last):
        ...
        zarrkit.errors.SpecViolation: image axes 'zcyx' must be a subset of 'tczyx' in that order, with y and x
    """

    axes: str = "czyx"
    dtype: Any = "uint16"
    pixel_size: tuple[float, float] = (0.65, 0.65)
    z_step: float | None = None
    time_step: float | None = None
    channels: tuple[Channel, ...] = field(default=())
    levels: int | str = 1

    def __post_init__(self) -> None:
        axes = str(self.axes)
        pos = [AXES.find(a) for a in axes]
        if (not axes.endswith("yx") or -1 in pos or pos != sorted(set(pos))):
            raise SpecViolation(f"image axes {axes!r} must be a subset of {AXES!r} in that order, with y and x")
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise SpecViolation(f"image dtype {self.dtype!r} is not a numpy dtype") from None
        if dtype.kind not in "iuf" or dtype.byteorder == ">":
            raise SpecViolation(f"image dtype {dtype} must be a little-endian integer or float type")
        channels = tuple(as_channel(c) for c in self.channels)
        if channels and "c" not in axes:
            raise SpecViolation(f"image axes {axes!r} have no 'c' for {len(channels)} channels")
        if self.levels != "auto" and (not isinstance(self.levels, int) or self.levels < 1):
            raise SpecViolation(f"image levels must be a positive integer or 'auto', got {self.levels!r}")
        if len(self.pixel_size) != 2 or min(self.pixel_size) <= 0:
            raise SpecViolation(f"image pixel_size must be two positive sizes (y, x) in µm, got {self.pixel_size!r}")
        for name in ("z_step", "time_step"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise SpecViolation(f"image {name} must be positive, got {value!r}")
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "pixel_size", tuple(float(p) for p in self.pixel_size))

    def ome_axes(self) -> list[Axis]:
        """The OME axes: z, y, x in micrometer; t in second; c a channel axis."""
        return [Axis(a, _TYPES[a][0], _TYPES[a][1]) for a in self.axes]

    def scale(self) -> tuple[float, ...]:
        """The level-0 scale ``[time_step, 1, z_step, *pixel_size]`` restricted to the axes."""
        full = {"t": self.time_step or 1.0, "c": 1.0, "z": self.z_step or 1.0,
                "y": self.pixel_size[0], "x": self.pixel_size[1]}
        return tuple(float(full[a]) for a in self.axes)

    def level_count(self, plane: tuple[int, int]) -> int:
        """How many levels a field of this plane shape gets ("auto": until max(y, x) <= 256)."""
        if self.levels != "auto":
            return int(self.levels)
        from zarrkit.pyramid import pyramid_shapes

        return 1 + len(pyramid_shapes(tuple(plane), True))

    def to_dict(self) -> dict[str, Any]:
        """JSON for the root marker's ``image`` key (:meth:`from_dict` restores it)."""
        return {"axes": self.axes, "dtype": self.dtype.name, "pixel_size": list(self.pixel_size),
                "z_step": self.z_step, "time_step": self.time_step, "levels": self.levels,
                "channels": [{"label": c.label, "color": c.color, "window": list(c.window) if c.window else None,
                              "active": c.active} for c in self.channels]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "ImageSpec":
        """Inverse of :meth:`to_dict`.

        Example:
            >>> s = ImageSpec("tyx", "float32", levels="auto", time_step=2.5)
            >>> ImageSpec.from_dict(s.to_dict()) == s
            True
        """
        channels = [Channel(c["label"], c.get("color", "FFFFFF"), tuple(c["window"]) if c.get("window") else None,
                            c.get("active", True)) for c in doc.get("channels", [])]
        return cls(doc["axes"], doc["dtype"], tuple(doc["pixel_size"]), doc.get("z_step"), doc.get("time_step"),
                   tuple(channels), doc.get("levels", 1))
