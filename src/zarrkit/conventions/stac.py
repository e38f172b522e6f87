"""STAC constants: extension schema URLs and the Zarr media types (built into catalogs by
``zarrkit.geo.stac``).

Never pystac's deprecated ``application/vnd+zarr`` nor ``application/x-zarr-v3``.

Example:
    >>> ZARR_MEDIA_TYPE, ZARR_MULTISCALES_MEDIA_TYPE.endswith("profile=multiscales")
    ('application/vnd.zarr; version=3', True)
"""

from __future__ import annotations

__all__ = ["DATACUBE", "EXTENSIONS", "PROJECTION", "RASTER", "ZARR", "ZARR_MEDIA_TYPE",
           "ZARR_MULTISCALES_MEDIA_TYPE", "STORE_REL"]

ZARR_MEDIA_TYPE = "application/vnd.zarr; version=3"
ZARR_MULTISCALES_MEDIA_TYPE = "application/vnd.zarr; version=3; profile=multiscales"
STORE_REL = "store"

PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
DATACUBE = "https://stac-extensions.github.io/datacube/v2.3.0/schema.json"
RASTER = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"
ZARR = "https://stac-extensions.github.io/zarr/v1.1.0/schema.json"
EXTENSIONS = [PROJECTION, DATACUBE, RASTER, ZARR]
