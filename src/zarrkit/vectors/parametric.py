"""The optional ``parametric/`` and ``headers/`` groups of a ZV store (spec §2.10): read only.

zarrkit reads both and leaves them as they are (its writers never touch either group); it
does not write them yet.  ``parametric/`` holds analytic objects (planes, lines, spheres and
custom types) as rows ``[type_id, coefficients…, NaN padding]`` of a float64 ``objects``
array, with UTF-8 ``names``; ``headers/<format>`` groups keep a source file's header in their
attributes.

Example:
    >>> import zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0, 0], [1, 1, 1]), chunk_shape=(1, 1, 1))
    >>> read_parametric(s), read_headers(s)
    ([], {})
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, VectorFormatError

__all__ = ["ParametricObject", "read_headers", "read_parametric"]


@dataclass(frozen=True)
class ParametricObject:
    """One analytic object: its type name and id, named coefficients and the object's name."""

    type: str
    type_id: int
    coefficients: dict[str, float]
    name: str


def read_parametric(vs) -> list[ParametricObject]:
    """Every object of ``parametric/`` in row order; ``[]`` when the store has none.

    Example:
        >>> import zarrkit.vectors as vx
        >>> read_parametric(vx.create("memory://", "points", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1)))
        []
    """
    try:
        group = core.read_metadata(vs.store, "parametric")
    except NodeNotFoundError:
        return []
    types = _types(vs, group.attributes)
    try:
        objects = core.open_array(vs.store, "parametric/objects")
    except NodeNotFoundError:
        return []
    count = int(objects.metadata.attributes.get("num_objects", objects.shape[0]))
    rows = objects[...][:count]
    try:
        names = [_text(n) for n in core.open_array(vs.store, "parametric/names")[...][:count]]
    except NodeNotFoundError:
        names = [f"object_{i}" for i in range(count)]
    out = []
    for i, row in enumerate(rows):
        if not math.isfinite(row[0]) or int(row[0]) not in types:
            raise VectorFormatError(f"row {i} names parametric type {float(row[0])!r}, which parametric_types does not "
                                    "define", url=vs.store.url, path="parametric/objects")
        type_id = int(row[0])
        type_name, coefficient_names = types[type_id]
        values = [float(v) for v in row[1:1 + len(coefficient_names)]]
        out.append(ParametricObject(type_name, type_id, dict(zip(coefficient_names, values)), names[i]))
    return out


def read_headers(vs) -> dict[str, dict[str, Any]]:
    """``{format: header}`` of every ``headers/<format>`` group; ``{}`` when there are none.

    Example:
        >>> import zarrkit.vectors as vx
        >>> read_headers(vx.create("memory://", "points", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1)))
        {}
    """
    try:
        children = core.list_children(vs.store, "headers")
    except NodeNotFoundError:
        return {}
    return {name.rsplit("/", 1)[-1]: dict(meta.attributes) for name, meta in children if meta.node_type == "group"}


def _types(vs, attributes: dict[str, Any]) -> dict[int, tuple[str, list[str]]]:
    registry = attributes.get("parametric_types")
    if not isinstance(registry, dict):
        raise VectorFormatError("the parametric group has no parametric_types registry", url=vs.store.url,
                                path="parametric")
    out = {}
    for key, spec in registry.items():
        if not (isinstance(spec, dict) and isinstance(spec.get("name"), str) and isinstance(spec.get("coefficients"), list)):
            raise VectorFormatError(f"parametric type {key!r} needs a name and a coefficient list", url=vs.store.url,
                                    path="parametric")
        out[int(key)] = (spec["name"], [str(c) for c in spec["coefficients"]])
    return out


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
