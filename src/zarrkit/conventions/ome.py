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

from dataclasses import dataclass, field
from typing import Any

from zarrkit.conventions.ome_version import VERSION
from zarrkit.errors import ArchiveError

__all__ = ["VERSION", "Axis", "Dataset", "Multiscale", "OmeroChannel", "OmeImage",
           "PlateRow", "PlateColumn", "Acquisition", "PlateWell", "Plate", "WellImage", "Well"]

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


# The plate and well objects live in their own module; they are part of this vocabulary.
from zarrkit.conventions.ome_plate import (  # noqa: E402 - re-exported after the image objects
    Acquisition,
    Plate,
    PlateColumn,
    PlateRow,
    PlateWell,
    Well,
    WellImage,
)
