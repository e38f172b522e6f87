"""The image archive data model, validated on construction.

Example:
    >>> import numpy as np
    >>> m = Mask.from_planes({"BAD": np.eye(3, dtype=bool), "SAT": np.zeros((3, 3), bool)})
    >>> m.array.dtype, m.plane("BAD")[1, 1], [p.bit for p in m.planes]
    (dtype('uint8'), np.True_, [0, 1])
    >>> ImageArchive(np.zeros((3, 3), "f4"), mask=m).kind
    'masked_image'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zarrkit.errors import ArchiveError, MaskPlaneError

__all__ = ["MaskPlane", "Mask", "Channel", "CellGrid", "ImageArchive", "check_json_tree"]

_IMAGE_KINDS = "iuf"


@dataclass(frozen=True)
class MaskPlane:
    """One named bit of a mask (bit 0..63)."""

    name: str
    bit: int
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise MaskPlaneError("mask plane: name must be a non-empty string")
        if not isinstance(self.bit, (int, np.integer)) or not 0 <= int(self.bit) <= 63:
            raise MaskPlaneError(f"mask plane {self.name!r}: bit must be 0..63, got {self.bit!r}")


def mask_dtype(top_bit: int) -> np.dtype:
    """The smallest unsigned dtype holding bit ``top_bit`` (0..63)."""
    for dt in ("u1", "u2", "u4", "u8"):
        if top_bit < np.dtype(dt).itemsize * 8:
            return np.dtype(dt)
    raise MaskPlaneError(f"bit {top_bit} does not fit 64 bits")


@dataclass
class Mask:
    """A packed bit mask: ``array`` (Y, X) of unsigned ints and the planes naming its bits."""

    array: Any
    planes: list[MaskPlane]

    def __post_init__(self) -> None:
        self.planes = [p if isinstance(p, MaskPlane) else MaskPlane(*p) for p in self.planes]
        if len(self.planes) > 64:
            raise MaskPlaneError(f"mask: {len(self.planes)} planes; at most 64 fit")
        names = [p.name for p in self.planes]
        bits = [p.bit for p in self.planes]
        if len(set(names)) != len(names):
            raise MaskPlaneError(f"mask: duplicate plane names {sorted({n for n in names if names.count(n) > 1})}")
        if len(set(bits)) != len(bits):
            raise MaskPlaneError(f"mask: duplicate plane bits {sorted({b for b in bits if bits.count(b) > 1})}")
        arr = np.asarray(self.array)
        if arr.ndim != 2:
            raise ArchiveError(f"mask: must be 2-D (y, x), got {arr.ndim}-D")
        if arr.dtype.kind not in "ui":
            raise ArchiveError(f"mask: must hold integers, got {arr.dtype}")
        want = mask_dtype(max(bits, default=0))
        if arr.dtype != want:
            if arr.size and (arr.min() < 0 or int(arr.max()) >> (want.itemsize * 8)):
                raise MaskPlaneError(f"mask: values set bits beyond the highest plane (bit {max(bits, default=0)})")
            arr = arr.astype(want)
        self.array = arr

    @classmethod
    def from_planes(cls, planes: dict[str, Any], descriptions: dict[str, str] | None = None) -> "Mask":
        """Pack boolean planes (name → (Y, X) bools) into bits 0, 1, 2, … in order."""
        if len(planes) > 64:
            raise MaskPlaneError(f"mask: {len(planes)} planes; at most 64 fit")
        items = list(planes.items())
        shape = np.asarray(items[0][1]).shape if items else (0, 0)
        arr = np.zeros(shape, dtype=mask_dtype(max(len(items) - 1, 0)))
        for bit, (_, plane) in enumerate(items):
            arr[np.asarray(plane, dtype=bool)] |= arr.dtype.type(1 << bit)
        descriptions = descriptions or {}
        return cls(arr, [MaskPlane(n, b, descriptions.get(n, "")) for b, (n, _) in enumerate(items)])

    def plane(self, name: str) -> np.ndarray:
        """The boolean plane called ``name``."""
        for p in self.planes:
            if p.name == name:
                return (np.asarray(self.array) >> np.asarray(p.bit, dtype=self.array.dtype)) & 1 == 1
        raise KeyError(name)


@dataclass(frozen=True)
class Channel:
    """A colour channel: name, display colour ``RRGGBB`` and optional display window."""

    name: str
    color: str
    window: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if len(self.color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in self.color):
            raise ArchiveError(f"channels: color of {self.name!r} must be RRGGBB hex, got {self.color!r}")


@dataclass(frozen=True)
class CellGrid:
    """Cells of a cell coadd: ``cell_shape`` pixels each, ``grid_shape`` cells."""

    cell_shape: tuple[int, int]
    grid_shape: tuple[int, int]


def check_json_tree(value: Any, path: str = "metadata") -> None:
    """Refuse anything JSON cannot hold, and NaN / infinity, naming the key path."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ArchiveError(f"{path}: keys must be strings, got {k!r}")
            check_json_tree(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_json_tree(v, f"{path}[{i}]")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ArchiveError(f"{path}: {value} is not valid JSON (NaN and infinity are refused)")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise ArchiveError(f"{path}: {type(value).__name__} is not a JSON value")


@dataclass
class ImageArchive:
    """One astronomical image with its variance, mask, PSF cells, headers, WCS and metadata."""

    image: Any
    variance: Any = None
    mask: Mask | None = None
    psf: Any = None
    cells: CellGrid | None = None
    header: Any = None
    hdu_headers: dict[str, Any] = field(default_factory=dict)
    wcs: Any = None
    unit: Any = None
    channels: list[Channel] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: tuple[int, int] = (0, 0)
    name: str = "image"
    fits_info: dict[str, Any] | None = None  # how the FITS source was laid out (for to_fits)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def kind(self) -> str:
        if self.psf is not None:
            return "cell_coadd"
        if self.channels:
            return "color_image"
        if self.mask is not None or self.variance is not None:
            return "masked_image"
        return "image"

    @property
    def spatial_shape(self) -> tuple[int, int]:
        return tuple(np.shape(self.image)[-2:])

    def validate(self) -> None:
        """Check every field; raises :class:`ArchiveError` naming the field."""
        shape = np.shape(self.image)
        dtype = np.dtype(getattr(self.image, "dtype", np.asarray(self.image).dtype))
        want_ndim = 3 if self.channels else 2
        if len(shape) != want_ndim:
            raise ArchiveError(f"image: must be {'(C, Y, X)' if self.channels else '(Y, X)'}, got shape {shape}")
        if dtype.kind not in _IMAGE_KINDS:
            raise ArchiveError(f"image: {dtype} pixels are not supported (ints or floats; no bool or complex)")
        if self.channels and len(self.channels) != shape[0]:
            raise ArchiveError(f"channels: {len(self.channels)} channels for {shape[0]} image planes")
        if self.variance is not None:
            vdt = np.dtype(getattr(self.variance, "dtype", np.asarray(self.variance).dtype))
            if np.shape(self.variance) != shape:
                raise ArchiveError(f"variance: shape {np.shape(self.variance)} differs from the image's {shape}")
            if vdt.kind != "f":
                raise ArchiveError(f"variance: must be floating point, got {vdt}")
        if self.mask is not None:
            if not isinstance(self.mask, Mask):
                raise ArchiveError("mask: must be a zarrkit.image.Mask")
            if np.shape(self.mask.array) != shape[-2:]:
                raise ArchiveError(f"mask: shape {np.shape(self.mask.array)} differs from the image's {shape[-2:]}")
        if self.psf is not None:
            if self.cells is None:
                raise ArchiveError("psf: needs cells (a CellGrid)")
            gy, gx = self.cells.grid_shape
            cy, cx = self.cells.cell_shape
            pshape = np.shape(self.psf)
            if len(pshape) != 4 or pshape[:2] != (gy, gx):
                raise ArchiveError(f"psf: must be (GY, GX, PY, PX) = ({gy}, {gx}, …), got {pshape}")
            if (gy * cy, gx * cx) != tuple(shape[-2:]):
                raise ArchiveError(f"psf: {gy}x{gx} cells of {cy}x{cx} do not tile the {shape[-2]}x{shape[-1]} image")
        if self.wcs is not None:
            _check_wcs(self.wcs)
        check_json_tree(self.metadata)
        if not isinstance(self.name, str) or not self.name:
            raise ArchiveError("name: must be a non-empty string")
        if len(self.origin) != 2 or not all(isinstance(o, (int, np.integer)) for o in self.origin):
            raise ArchiveError(f"origin: must be two integers (y0, x0), got {self.origin!r}")


def _check_wcs(wcs: Any) -> None:
    if getattr(wcs, "naxis", 2) != 2:
        raise ArchiveError(f"wcs: must be 2-D, got {wcs.naxis} axes")
    if getattr(wcs, "cpdis1", None) is not None or getattr(wcs, "cpdis2", None) is not None:
        raise ArchiveError("wcs: lookup-table distortions (cpdis) are not supported")
    if getattr(wcs, "det2im1", None) is not None or getattr(wcs, "det2im2", None) is not None:
        raise ArchiveError("wcs: lookup-table distortions (det2im) are not supported")
    if any("-TAB" in str(c) for c in getattr(wcs.wcs, "ctype", [])):
        raise ArchiveError("wcs: -TAB coordinates are not supported")
