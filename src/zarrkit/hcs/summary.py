"""The plate summary ``zarrkit info`` prints: geometry, wells, fields, image, layout.

Example:
    >>> import numpy as np
    >>> from zarrkit.hcs import PlateSpec, ImageSpec, PlateWriter
    >>> w = PlateWriter.create("memory://doc-hcs-summary", PlateSpec.preset(6, name="mini"), ImageSpec("yx"))
    >>> _ = w.write_well("A1", [np.zeros((8, 8), "uint16")]); _ = w.finalize()
    >>> s = plate_summary(w.store)
    >>> s["name"], s["geometry"], s["wells"], s["image"]["shape"]
    ('mini', '2x3', 1, [8, 8])
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["plate_summary", "summary_lines"]


def plate_summary(store: Any) -> dict[str, Any]:
    """A JSON-ready summary of the plate in ``store``."""
    from zarrkit.hcs.listing import scan_wells
    from zarrkit.hcs.reader import PlateReader

    reader = PlateReader(store)
    info = reader.attributes.get("zarrkit") if isinstance(reader.attributes.get("zarrkit"), Mapping) else {}
    listed = reader.wells()
    scan = scan_wells(store) if getattr(store, "supports_listing", False) else None
    out: dict[str, Any] = {
        "name": reader.plate.get("name") or (info.get("plate") or {}).get("name"),
        "geometry": f"{len(reader.rows)}x{len(reader.columns)}",
        "wells": len(listed),
        "field_count": reader.plate.get("field_count"),
        "acquisitions": [a.get("id") for a in reader.plate.get("acquisitions", [])],
        "layout": info.get("layout"),
        "compression": info.get("compression"),
    }
    if scan is not None:
        out["unlisted"] = sorted(set(scan.complete) - {w.path for w in listed})
        out["incomplete"] = scan.incomplete
    if listed:
        img = reader.image(listed[0], reader.fields(listed[0])[0])
        out["image"] = {"axes": img.axes, "shape": list(img.shape), "dtype": str(img.dtype),
                        "channels": img.channels, "scale": list(img.scale)}
    return out


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as terminal lines.

    Example:
        >>> summary_lines({"name": "p", "geometry": "8x12", "wells": 3, "layout": "sharded"})[0]
        'plate p: 8x12, 3 wells listed'
    """
    lines = [f"plate {summary.get('name')}: {summary.get('geometry')}, {summary.get('wells')} wells listed"]
    if summary.get("unlisted"):
        lines.append(f"  unlisted (run finalize): {', '.join(summary['unlisted'][:10])}")
    if summary.get("incomplete"):
        lines.append(f"  incomplete (still writing): {', '.join(summary['incomplete'][:10])}")
    if summary.get("field_count"):
        lines.append(f"  fields per well: up to {summary['field_count']}")
    img = summary.get("image")
    if img:
        lines.append(f"  image: {img['axes']} {tuple(img['shape'])} {img['dtype']}"
                     + (f", channels {', '.join(img['channels'])}" if img.get("channels") else ""))
    if summary.get("layout"):
        lines.append(f"  layout: {summary['layout']}, compression {summary.get('compression')}")
    return lines
