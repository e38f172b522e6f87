"""The official OME-Zarr JSON schemas, checked offline.

The schemas live unmodified in ``schemas/ome-<version>/`` (see SOURCE.md there); every
``$ref`` between them resolves from that folder, so validation never touches the network.
Needs ``jsonschema`` (the ``image`` extra).

Example:
    >>> attrs = {"ome": {"version": "0.5", "multiscales": [{
    ...     "name": "m", "type": "mean", "metadata": {},
    ...     "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
    ...     "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}]}]}}
    >>> schema_errors(attrs, "strict_image")
    []
    >>> del attrs["ome"]["multiscales"][0]["type"]
    >>> schema_errors(attrs, "strict_image")
    ["ome.multiscales[0]: 'type' is a required property"]
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_NAMES", "schema_errors", "schema_text"]

#: every vendored schema a group's attributes can be checked against (``_version`` is only referred to)
SCHEMA_NAMES = ("image", "strict_image", "label", "strict_label", "plate", "strict_plate",
                "well", "strict_well", "bf2raw", "ome")
_BASE = "https://ngff.openmicroscopy.org/{version}/schemas/{name}.schema"


def schema_text(name: str, version: str = "0.5") -> bytes:
    """The vendored schema file ``name`` (one of :data:`SCHEMA_NAMES`, or ``_version``) as bytes.

    Example:
        >>> json.loads(schema_text("plate"))["$id"]
        'https://ngff.openmicroscopy.org/0.5/schemas/plate.schema'
    """
    folder = resources.files("zarrkit.conventions") / "schemas" / f"ome-{version}"
    path = folder / f"{name}.schema"
    if not path.is_file():
        raise ValueError(f"no vendored OME-Zarr {version} schema named {name!r}")
    return path.read_bytes()


@cache
def _validator(name: str, version: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry()
    for part in (*SCHEMA_NAMES, "_version"):
        contents = json.loads(schema_text(part, version))
        # Registered under the address the other files use, whatever $id the file carries.
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        registry = registry.with_resource(_BASE.format(version=version, name=part), resource)
    schema = json.loads(schema_text(name, version))
    return Draft202012Validator(schema, registry=registry)


def schema_errors(attributes: dict[str, Any], name: str = "strict_image", version: str = "0.5") -> list[str]:
    """Every violation of the OME-Zarr ``name`` schema by a group's ``attributes``, as
    ``"<json path>: <message>"`` lines, best first; an empty list means valid."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown OME-Zarr schema {name!r}; expected one of {SCHEMA_NAMES}")
    validator = _validator(name, version)
    errors = sorted(validator.iter_errors(attributes), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    return [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]


def _json_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"
