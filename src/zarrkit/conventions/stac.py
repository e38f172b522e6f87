"""STAC constants: extension schema URLs and the Zarr media types (built into catalogs by
``zarrkit.geo.stac``).

Never pystac's deprecated ``application/vnd+zarr`` nor ``application/x-zarr-v3``.

Example:
    >>> ZARR_MEDIA_TYPE, ZARR_MULTISCALES_MEDIA_TYPE.endswith("profile=multiscales")
    ('application/vnd.zarr; version=3', True)
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["DATACUBE", "EXTENSIONS", "PROJECTION", "RASTER", "SCHEMA_FILES", "ZARR", "ZARR_MEDIA_TYPE",
           "ZARR_MULTISCALES_MEDIA_TYPE", "STORE_REL", "vendored_schemas"]

ZARR_MEDIA_TYPE = "application/vnd.zarr; version=3"
ZARR_MULTISCALES_MEDIA_TYPE = "application/vnd.zarr; version=3; profile=multiscales"
STORE_REL = "store"

PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
DATACUBE = "https://stac-extensions.github.io/datacube/v2.3.0/schema.json"
RASTER = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"
ZARR = "https://stac-extensions.github.io/zarr/v1.1.0/schema.json"
EXTENSIONS = [PROJECTION, DATACUBE, RASTER, ZARR]

_STAC = "https://schemas.stacspec.org/v1.1.0"
#: every schema a geo catalog's validation reaches (by the address its ``$ref`` uses) ->
#: its vendored file in ``schemas/stac-1.1.0/`` (see SOURCE.md there)
SCHEMA_FILES = {
    **{f"{_STAC}/item-spec/json-schema/{name}.json": f"{name}.json"
       for name in ("item", "bands", "basics", "common", "data-values", "datetime", "instrument",
                    "licensing", "provider")},
    f"{_STAC}/collection-spec/json-schema/collection.json": "collection.json",
    f"{_STAC}/catalog-spec/json-schema/catalog.json": "catalog.json",
    "https://geojson.org/schema/Feature.json": "Feature.json",
    "https://geojson.org/schema/Geometry.json": "Geometry.json",
    PROJECTION: "projection-2.0.0.json",
    DATACUBE: "datacube-2.3.0.json",
    RASTER: "raster-2.0.0.json",
    ZARR: "zarr-1.1.0.json",
    "https://proj.org/schemas/v0.7/projjson.schema.json": "projjson-0.7.json",
}


@cache
def _load(name: str) -> bytes:
    return (resources.files("zarrkit.conventions") / "schemas" / "stac-1.1.0" / name).read_bytes()


def vendored_schemas() -> dict[str, dict[str, Any]]:
    """``url -> schema`` for every vendored STAC schema (fresh dicts: validators may edit them).

    Example:
        >>> schemas = vendored_schemas()
        >>> schemas[PROJECTION]["$id"] == PROJECTION, len(schemas) == len(SCHEMA_FILES)
        (True, True)
    """
    return {url: json.loads(_load(name)) for url, name in SCHEMA_FILES.items()}
