"""The released zarr-conventions v0.1 JSON schemas (proj, spatial, multiscales), checked offline.

The sibling of :mod:`zarrkit.conventions.ome_schema`: the schemas live unmodified in
``schemas/zarr-conventions-0.1/`` (see SOURCE.md there).  A schema validates a whole node
document (``zarr_format``, ``node_type``, ``attributes``).  No ``$ref`` is fetched: a
reference outside the folder (``proj:projjson``'s PROJJSON schema) is reported, not
retrieved.  Needs ``jsonschema``.

Example:
    >>> from zarrkit.conventions.geo import proj_attributes, registration
    >>> doc = {"zarr_format": 3, "node_type": "group",
    ...        "attributes": {**registration(["proj"]), **proj_attributes("EPSG:4326")}}
    >>> schema_errors(doc, "proj")
    []
    >>> doc["attributes"]["proj:code"] = "4326"
    >>> schema_errors(doc, "proj")
    ["attributes.proj:code: '4326' does not match '^[^:]+:[^:]+$'"]
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from zarrkit.conventions.ome_schema import _json_path  # one JSON-path format for every schema report

__all__ = ["SCHEMA_NAMES", "schema_errors", "schema_text"]

SCHEMA_NAMES = ("proj", "spatial", "multiscales")


def schema_text(name: str) -> bytes:
    """The vendored v0.1 schema of convention ``name`` as bytes.

    Example:
        >>> json.loads(schema_text("spatial"))["$id"]
        'https://raw.githubusercontent.com/zarr-conventions/spatial/refs/tags/v0.1/schema.json'
    """
    if name not in SCHEMA_NAMES:
        raise ValueError(f"no vendored zarr-conventions v0.1 schema named {name!r}; expected one of {SCHEMA_NAMES}")
    return (resources.files("zarrkit.conventions") / "schemas" / "zarr-conventions-0.1" / f"{name}.json").read_bytes()


@cache
def _validator(name: str):
    from jsonschema import Draft7Validator
    from referencing import Registry

    # an empty registry without a retriever: nothing is fetched from the network
    return Draft7Validator(json.loads(schema_text(name)), registry=Registry())


def schema_errors(document: dict[str, Any], name: str) -> list[str]:
    """Every violation of the v0.1 schema ``name`` by a node document, as
    ``"<json path>: <message>"`` lines; an empty list means valid."""
    validator = _validator(name)
    try:
        errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    except Exception as err:  # an unresolvable external $ref
        return [f"(root): could not check offline: {err}"]
    return [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]

