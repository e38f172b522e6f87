"""Geo attribute vocabulary: zarr-conventions v0.1 ``proj`` / ``spatial`` / ``multiscales``,
the ``geoemb:`` embedding convention, and their ``zarr_conventions`` registration objects.

Registration objects are written exactly as the v0.1 schemas' consts say (their
``conventionMetadata`` allows no other keys).  Readers identify a convention **by UUID
only** (:func:`registered`), so every URL or name variant seen in the wild is accepted.
Never write the ``refs/tags/v1`` URLs: those tags were never published.

Example:
    >>> attrs = {**proj_attributes("EPSG:32631"), **spatial_attributes((100.0, 100.0), (0.0, 200.0), (2, 3))}
    >>> attrs["spatial:bbox"], attrs["spatial:transform"]
    ([0.0, 0.0, 300.0, 200.0], [100.0, 0.0, 0.0, 0.0, -100.0, 200.0])
    >>> registered({"zarr_conventions": [{"uuid": SPATIAL_UUID, "name": "spatial:"}]}) == {"spatial"}
    True
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "CONVENTIONS", "GEOEMB_UUID", "MULTISCALES_UUID", "PROJ_UUID", "SPATIAL_UUID", "SPATIAL_DIMENSIONS",
    "geoemb_attributes", "multiscales_attributes", "proj_attributes", "registered", "registration",
    "spatial_attributes",
]

PROJ_UUID = "f17cb550-5864-4468-aeb7-f3180cfb622f"
SPATIAL_UUID = "689b58e2-cf7b-45e0-9fff-9cfc0883d6b4"
MULTISCALES_UUID = "d35379db-88df-4056-af3a-620245f8e347"
GEOEMB_UUID = "61c12cc5-0e28-4056-999a-480cf3fb7e4c"

SPATIAL_DIMENSIONS = ["y", "x"]
_RAW = "https://raw.githubusercontent.com/zarr-conventions/{0}/refs/tags/v0.1/schema.json"
_SPEC = "https://github.com/zarr-conventions/{0}/blob/v0.1/README.md"

#: short name -> the registration object written in ``zarr_conventions``
CONVENTIONS: dict[str, dict[str, str]] = {
    "proj": {"schema_url": _RAW.format("proj"), "spec_url": _SPEC.format("proj"), "uuid": PROJ_UUID,
             "name": "proj", "description": "Coordinate reference system information for geospatial data"},
    "spatial": {"schema_url": _RAW.format("spatial"), "spec_url": _SPEC.format("spatial"), "uuid": SPATIAL_UUID,
                "name": "spatial", "description": "Spatial coordinate information"},
    "multiscales": {"schema_url": _RAW.format("multiscales"), "spec_url": _SPEC.format("multiscales"),
                    "uuid": MULTISCALES_UUID, "name": "multiscales",
                    "description": "Multiscale layout of zarr datasets"},
    # its v1 tag is unconfirmed, so no URLs: the UUID identifies it
    "geoemb": {"uuid": GEOEMB_UUID, "name": "geoemb:",
               "description": "Geoembeddings convention for geospatial embedding arrays with model provenance"},
}
_BY_UUID = {doc["uuid"]: name for name, doc in CONVENTIONS.items()}


def registration(names: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """``{"zarr_conventions": [...]}`` for the named conventions (register only what a node carries).

    Example:
        >>> [c["name"] for c in registration(["proj", "spatial"])["zarr_conventions"]]
        ['proj', 'spatial']
    """
    return {"zarr_conventions": [dict(CONVENTIONS[n]) for n in names]}


def registered(attributes: Mapping[str, Any]) -> set[str]:
    """The short names of the conventions a node registers, identified by UUID only.

    Example:
        >>> registered({"zarr_conventions": [{"uuid": PROJ_UUID, "name": "geo-proj"}, {"name": "x"}]})
        {'proj'}
    """
    out = set()
    for item in attributes.get("zarr_conventions") or []:
        if isinstance(item, Mapping) and item.get("uuid") in _BY_UUID:
            out.add(_BY_UUID[item["uuid"]])
    return out


def proj_attributes(code: str | None, wkt2: str | None = None) -> dict[str, Any]:
    """``proj:code`` (an authority code), else ``proj:wkt2``.

    Example:
        >>> proj_attributes(None, "PROJCRS[...]")
        {'proj:wkt2': 'PROJCRS[...]'}
    """
    return {"proj:code": code} if code else {"proj:wkt2": wkt2}


def spatial_attributes(res: Sequence[float], origin: Sequence[float], shape: Sequence[int],
                       *, transform: bool = True) -> dict[str, Any]:
    """``spatial:`` keys of a north-up grid: Affine-order transform of pixel corners, bbox, shape.

    ``transform=False`` leaves out transform and shape (a multiscales group whose levels
    carry their own).

    Example:
        >>> spatial_attributes((1.0, 1.0), (-180.0, 90.0), (180, 360), transform=False)["spatial:bbox"]
        [-180.0, -90.0, 180.0, 90.0]
    """
    (xres, yres), (x0, y0), (h, w) = res, origin, shape
    out: dict[str, Any] = {"spatial:dimensions": list(SPATIAL_DIMENSIONS)}
    if transform:
        out["spatial:transform"] = [float(xres), 0.0, float(x0), 0.0, -float(yres), float(y0)]
        out["spatial:shape"] = [int(h), int(w)]
    out["spatial:bbox"] = [float(x0), float(y0 - h * yres), float(x0 + w * xres), float(y0)]
    out["spatial:registration"] = "pixel"
    return out


def multiscales_attributes(res: float, origin: Sequence[float], shapes: Sequence[Sequence[int]],
                           resampling: str = "mean") -> dict[str, Any]:
    """The v0.1 ``multiscales`` block of a power-of-two pyramid whose levels are ``"0"``, ``"1"``…

    Example:
        >>> m = multiscales_attributes(1.0, (-180.0, 90.0), [(180, 360), (90, 180)])["multiscales"]
        >>> m["layout"][1]["derived_from"], m["layout"][1]["spatial:transform"][0]
        ('0', 2.0)
    """
    layout = []
    for k, (h, w) in enumerate(shapes):
        r = float(res) * 2**k
        item: dict[str, Any] = {"asset": str(k)}
        if k:
            item["derived_from"] = str(k - 1)
            item["transform"] = {"scale": [2.0, 2.0], "translation": [0.0, 0.0]}
        item["resampling_method"] = resampling
        item["spatial:shape"] = [int(h), int(w)]
        item["spatial:transform"] = [r, 0.0, float(origin[0]), 0.0, -r, float(origin[1])]
        layout.append(item)
    return {"multiscales": {"layout": layout, "resampling_method": resampling}}


def geoemb_attributes(*, dimensions: int, model: str, source_data: Sequence[str], build_version: str,
                      gsd: float | None = None, spatial_layout: str | None = None) -> dict[str, Any]:
    """The ``geoemb:`` keys of int8 embeddings quantised per pixel (value = int8 × scale;
    a non-finite scale is no data).

    Example:
        >>> g = geoemb_attributes(dimensions=8, model="m", source_data=["s"], build_version="zarrkit 0")
        >>> g["geoemb:quantization"]["scale"]["array_name"], "geoemb:spatial_layout" in g
        ('scales', False)
    """
    out: dict[str, Any] = {
        "geoemb:type": "pixel",
        "geoemb:dimensions": int(dimensions),
        "geoemb:model": model,
        "geoemb:source_data": list(source_data),
        "geoemb:data_type": "int8",
    }
    if gsd is not None:
        out["geoemb:gsd"] = float(gsd)
    out["geoemb:build_version"] = build_version
    out["geoemb:quantization"] = {
        "method": "per_pixel_scale", "original_dtype": "float32", "quantized_dtype": "int8",
        "scale": {"type": "array", "array_name": "scales", "nodata": "+inf"},
    }
    if spatial_layout:
        out["geoemb:spatial_layout"] = spatial_layout
    return out
