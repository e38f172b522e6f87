"""A static STAC catalog of a build root, from store metadata and ledger only (pystac).

Catalog → Collection per time (``{product}-{time}``) → Item per zone group (``{zone}_{time}``).
Footprints come from all four edges of the zone's data extent (21 points each) projected
to lon/lat.  Assets use ``application/vnd.zarr; version=3``; items and collections link
their store with ``rel: store``.

Example:
    >>> from zarrkit.conventions.stac import ZARR_MEDIA_TYPE
    >>> ZARR_MEDIA_TYPE
    'application/vnd.zarr; version=3'
"""

from __future__ import annotations

import os
from typing import Any

from zarrkit.conventions.stac import EXTENSIONS, STORE_REL, ZARR_MEDIA_TYPE, ZARR_MULTISCALES_MEDIA_TYPE
from zarrkit.geo.footprint import footprint
from zarrkit.geo.read import Mosaic

__all__ = ["footprint", "offline_validator", "validate_catalog", "write_catalog"]


def write_catalog(root: str, *, out: str | None = None, catalog_id: str = "zarrkit-geo", product: str = "mosaic",
                  base_href: str | None = None, validate: bool = False) -> str:
    """Write the catalog under ``out`` (default ``ROOT/stac``); returns the catalog's path."""
    import pystac

    out = out or os.path.join(root, "stac")
    mosaic = Mosaic(root)
    catalog = pystac.Catalog(catalog_id, f"zarrkit geo mosaics under {root}")
    for time in mosaic.times():
        store = os.path.abspath(os.path.join(root, f"{time}.zarr"))
        items, boxes = [], []
        for zone, attrs in mosaic.zones(time).items():
            bbox_native = (attrs.get("zarrkit") or {}).get("data_bbox") or attrs["spatial:bbox"]
            bbox, geom = footprint(attrs["proj:code"], bbox_native)
            boxes.append(bbox)
            item = pystac.Item(f"{zone}_{time}", geom, bbox, None, _properties(attrs, time, _data(mosaic, time, zone)),
                               stac_extensions=list(EXTENSIONS))
            item.add_asset("data", pystac.Asset(f"{store}/{zone}", media_type=ZARR_MEDIA_TYPE, roles=["data"],
                                                extra_fields=_asset_fields(mosaic, time, zone)))
            item.add_link(pystac.Link(STORE_REL, store, media_type=ZARR_MEDIA_TYPE))
            items.append(item)
        extent = pystac.Extent(pystac.SpatialExtent([[min(b[0] for b in boxes), min(b[1] for b in boxes),
                                                      max(b[2] for b in boxes), max(b[3] for b in boxes)]]),
                               pystac.TemporalExtent([[_start(time), _end(time)]]))
        coll = pystac.Collection(f"{product}-{time}", f"{product} {time}", extent, license="other")
        coll.add_link(pystac.Link(STORE_REL, store, media_type=ZARR_MEDIA_TYPE))
        if "preview" in mosaic.hierarchy(time).members:
            coll.add_asset("preview", pystac.Asset(f"{store}/preview", media_type=ZARR_MULTISCALES_MEDIA_TYPE,
                                                   roles=["overview", "visual"]))
        coll.add_items(items)
        catalog.add_child(coll)
    catalog.normalize_hrefs(base_href or os.path.abspath(out))
    if validate:
        validate_catalog(catalog)
    catalog.save(pystac.CatalogType.SELF_CONTAINED, dest_href=os.path.abspath(out))
    return os.path.join(out, "catalog.json")


def offline_validator():
    """A pystac ``JsonSchemaSTACValidator`` whose schema cache holds every schema our catalogs
    reach (vendored in ``zarrkit/conventions/schemas/stac-1.1.0``), so it never fetches one.

    Example:
        >>> from zarrkit.conventions.stac import RASTER
        >>> RASTER in offline_validator().schema_cache
        True
    """
    from pystac.validation import JsonSchemaSTACValidator

    from zarrkit.conventions.stac import vendored_schemas

    validator = JsonSchemaSTACValidator()
    validator.schema_cache.update(vendored_schemas())
    return validator


def validate_catalog(catalog) -> int:
    """``catalog.validate_all()`` against the vendored schemas only (no network); returns the
    number of items validated, raises ``pystac.STACValidationError`` on the first invalid object.

    Example:
        >>> import pystac
        >>> validate_catalog(pystac.Catalog("c", "empty"))
        0
    """
    from pystac.validation import RegisteredValidator

    # validate_all takes no validator: swap the registered one, then restore the caller's
    previous = RegisteredValidator.get_validator()
    RegisteredValidator.set_validator(offline_validator())
    try:
        return catalog.validate_all()
    finally:
        RegisteredValidator.set_validator(previous)


def _start(time: str):
    from datetime import datetime, timezone

    return datetime(int(time[:4]), 1, 1, tzinfo=timezone.utc)


def _end(time: str):
    from datetime import datetime, timezone

    return datetime(int(time[:4]), 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def _data(mosaic: Mosaic, time: str, zone: str) -> tuple[str, int, str]:
    """``(array name, bands, dtype)`` of a zone's data: int8 ``embeddings`` or a raster's ``data``."""
    h = mosaic.hierarchy(time)
    name = "embeddings" if f"{zone}/embeddings" in h.members else "data"
    meta = h.metadata(f"{zone}/{name}")
    return name, int(meta.shape[2]), str(meta.dtype)


def _properties(attrs: dict[str, Any], time: str, data: tuple[str, int, str]) -> dict[str, Any]:
    name, n, _ = data
    variables = {name: {"type": "data", "dimensions": ["y", "x", "band"]}}
    if name == "embeddings":
        variables["scales"] = {"type": "auxiliary", "dimensions": ["y", "x"]}
    variables["rgb"] = {"type": "auxiliary", "dimensions": ["y", "x", "rgba"]}
    h, w = attrs["spatial:shape"]
    a, _, c, _, e, f = attrs["spatial:transform"]
    return {
        "start_datetime": _start(time).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_datetime": _end(time).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "proj:code": attrs["proj:code"], "proj:shape": [h, w], "proj:transform": attrs["spatial:transform"],
        "proj:bbox": attrs["spatial:bbox"],
        "cube:dimensions": {
            "x": {"type": "spatial", "axis": "x", "extent": [c, c + w * a], "step": a, "reference_system": attrs["proj:code"]},
            "y": {"type": "spatial", "axis": "y", "extent": [f + h * e, f], "step": e, "reference_system": attrs["proj:code"]},
            "band": {"type": "bands", "values": list(range(n))},
            "rgba": {"type": "bands", "values": ["red", "green", "blue", "alpha"]},
        },
        "cube:variables": variables,
    }


def _asset_fields(mosaic: Mosaic, time: str, zone: str) -> dict[str, Any]:
    attrs = mosaic.hierarchy(time).metadata(zone).attributes
    name, n, dtype = _data(mosaic, time, zone)
    res = abs(attrs["spatial:transform"][0])
    return {"zarr:node_type": "group", "zarr:zarr_format": 3, "zarr:consolidated": True,
            "bands": [{"name": f"{name}[band={i}]", "data_type": dtype, "raster:spatial_resolution": res}
                      for i in range(n)]}
