"""Where formats are found: zarrkit's own, plus any package's ``zarrkit.formats`` entry point.

A registration is a name and a ``"module:attribute"`` reference to a :class:`Format`
subclass; nothing is imported until a hook of that format is needed.  Adding a format to
zarrkit is one line in :data:`BUILTIN`; another package registers one through its own
``pyproject.toml``::

    [project.entry-points."zarrkit.formats"]
    lidar = "zarrkit_lidar.format:LidarFormat"

Example:
    >>> fmt = get("image")
    >>> fmt.name, type(fmt).__name__
    ('image', 'ImageFormat')
    >>> [f.name for f in claiming({"zarrkit": {"format": "image", "version": "1.0"}})]
    ['image']
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any, Mapping

from zarrkit.conventions.marker import KEY
from zarrkit.errors import UnknownFormatError
from zarrkit.formats.plugin import Format

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "names", "get", "formats", "claiming", "register"]

ENTRY_POINT_GROUP = "zarrkit.formats"

#: zarrkit's own formats: name -> "module:Format subclass"
BUILTIN: dict[str, str] = {
    "image": "zarrkit.image.format:ImageFormat",
    "hcs": "zarrkit.hcs.format:HcsFormat",
    "vectors": "zarrkit.vectors.format:VectorsFormat",
    "geo": "zarrkit.geo.format:GeoFormat",
}

_extra: dict[str, Any] = {}  # registered at run time: name -> reference or Format subclass
_loaded: dict[str, Format] = {}


def register(name: str, target: Any) -> None:
    """Register a format at run time (tests, notebooks): ``target`` is a :class:`Format`
    subclass or a ``"module:attribute"`` reference.

    Example:
        >>> class Toy(Format):
        ...     name = "toy"
        >>> register("toy", Toy)
        >>> get("toy").name
        'toy'
        >>> unregister("toy")
    """
    _extra[name] = target
    _loaded.pop(name, None)


def unregister(name: str) -> None:
    """Forget a format registered with :func:`register` (its own registration only)."""
    _extra.pop(name, None)
    _loaded.pop(name, None)


def _references() -> dict[str, Any]:
    refs: dict[str, Any] = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        refs.setdefault(ep.name, ep.value)
    refs.update(_extra)
    return refs


def names() -> list[str]:
    """Registered format names, without importing any of them."""
    return sorted(_references())


def get(name: str) -> Format:
    """The plug-in object of format ``name``, imported on first use.

    Example:
        >>> get("nope")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zarrkit.errors.UnknownFormatError: no format named 'nope' is registered (known: ...image...)
    """
    if name in _loaded:
        return _loaded[name]
    refs = _references()
    if name not in refs:
        raise UnknownFormatError(f"no format named {name!r} is registered (known: {', '.join(sorted(refs))})")
    target = refs[name]
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
    plugin = target() if isinstance(target, type) else target
    if not isinstance(plugin, Format) or plugin.name != name:
        raise UnknownFormatError(f"format {name!r} is registered as {target!r}, which is not a Format named {name!r}")
    _loaded[name] = plugin
    return plugin


def formats() -> list[Format]:
    """Every registered format's plug-in object (imports each one's small plug-in module)."""
    return [get(n) for n in names()]


def claiming(attributes: Mapping[str, Any]) -> list[Format]:
    """The formats that claim a root group with these attributes.

    The root marker names its format directly, so a marked store loads one plug-in; an
    unmarked store asks every format (for stores written by other tools).
    """
    marker = attributes.get(KEY) if isinstance(attributes, Mapping) else None
    named = marker.get("format") if isinstance(marker, Mapping) else None
    if isinstance(named, str) and named in _references():
        fmt = get(named)
        return [fmt] if fmt.claims(attributes) else []
    return [f for f in formats() if f.claims(attributes)]
