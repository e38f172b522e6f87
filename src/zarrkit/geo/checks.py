"""The geo format's validate checks and its ``zarrkit info`` summary.

Checks, on every node that registers a convention (identified by UUID only): the vendored
zarr-conventions v0.1 schema (proj, spatial, multiscales; the preview's ``multiscales`` is
this convention, not OME's), ``spatial:dimensions ⊂ dimension_names`` on arrays, and the
geoemb keys a reader needs to dequantise.

Example:
    >>> from zarrkit.validate.report import CheckContext
    >>> ctx = CheckContext(None, {"attributes": {"zarrkit": {"format": "geo", "version": "1.0"}}}, {})
    >>> [(c.name, c.status) for c in geo_checks(ctx)][:1]
    [('zarrkit marker', 'ok')]
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from zarrkit.conventions.geo import registered
from zarrkit.validate.report import Check, CheckContext

__all__ = ["GEOEMB_REQUIRED", "geo_checks", "summary", "summary_lines"]

READS_MAJOR = 1
GEOEMB_REQUIRED = ("geoemb:type", "geoemb:dimensions", "geoemb:model", "geoemb:source_data", "geoemb:data_type")


def geo_checks(ctx: CheckContext) -> Iterator[Check]:
    """Every check of a geo store (the root marker says ``format == "geo"``)."""
    info = ctx.attributes.get("zarrkit") or {}
    version = str(info.get("version", "0"))
    major = version.split(".")[0]
    ok = major.isdigit() and int(major) <= READS_MAJOR
    yield Check("zarrkit marker", "ok" if ok else "fail",
                f"geo format {version}" + ("" if ok else f": this zarrkit reads {READS_MAJOR}.x"), node="")
    docs = {"": ctx.root, **dict(ctx.documents)}
    for path in sorted(docs):
        yield from node_checks(path, docs[path])


def node_checks(path: str, doc: Mapping[str, Any]) -> Iterator[Check]:
    """The convention checks of one node document."""
    attrs = doc.get("attributes") or {}
    names = registered(attrs)
    for name in sorted(names & {"proj", "spatial", "multiscales"}):
        try:
            from zarrkit.conventions.zarr_conventions_schema import schema_errors
        except ImportError:  # pragma: no cover - jsonschema missing
            yield Check(f"{name} v0.1 schema", "skip", "needs jsonschema (pip install 'zarrkit[geo]')", node=path)
            continue
        body = {k: v for k, v in doc.items() if k != "consolidated_metadata"}
        errors = schema_errors(body, name)
        yield Check(f"{name} v0.1 schema", "fail" if errors else "ok", "; ".join(errors[:3]) or "valid", node=path)
    dims = attrs.get("spatial:dimensions")
    if doc.get("node_type") == "array" and dims is not None:
        have = doc.get("dimension_names") or []
        missing = [d for d in dims if d not in have]
        yield Check("spatial:dimensions in dimension_names", "fail" if missing else "ok",
                    f"{missing} not among {have}" if missing else f"{dims} ⊂ {have}", node=path)
    unregistered = [p for p in ("proj", "spatial") if any(k.startswith(p + ":") for k in attrs) and p not in names]
    if unregistered:
        yield Check("zarr_conventions registration", "warn", f"{unregistered} keys without a registration", node=path)
    if "geoemb" in names:
        missing = [k for k in GEOEMB_REQUIRED if k not in attrs]
        yield Check("geoemb keys", "fail" if missing else "ok", f"missing {missing}" if missing else "complete", node=path)


def summary(store: Any, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Time, scheme, zones (with their data extent) and the preview, from the root alone."""
    marker = attributes.get("zarrkit") or {}
    docs = (attributes.get("consolidated_metadata") or {}).get("metadata") or {}
    out: dict[str, Any] = {"time": marker.get("time"), "grid_scheme": marker.get("grid_scheme"),
                           "zones": {}, "model": attributes.get("geoemb:model")}
    for zone in marker.get("zones") or []:
        z = (docs.get(zone) or {}).get("attributes") or {}
        out["zones"][zone] = {"crs": z.get("proj:code"), "n_tiles": (z.get("zarrkit") or {}).get("n_tiles"),
                              "data_bbox": (z.get("zarrkit") or {}).get("data_bbox")}
    if "rgb" in marker:
        out["rgb"] = marker["rgb"]
    return out


def summary_lines(s: Mapping[str, Any]) -> list[str]:
    """The summary as text lines."""
    lines = [f"geo mosaic {s.get('time')} ({s.get('grid_scheme')} grids), model {s.get('model')}"]
    for zone, z in (s.get("zones") or {}).items():
        lines.append(f"  {zone}: {z['crs']}, {z['n_tiles']} tiles, data {z['data_bbox']}")
    return lines
