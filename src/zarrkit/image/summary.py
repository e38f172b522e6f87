"""What ``zarrkit info`` adds for an image archive: kind, unit, levels, mask planes, WCS.

Example:
    >>> import numpy as np
    >>> from zarrkit import image
    >>> from zarrkit.storage import open_store
    >>> url = image.write(image.ImageArchive(np.zeros((4, 4), "f4"), unit="adu"), "memory://doc-image-summary")
    >>> s = archive_summary(open_store(url))
    >>> s["kind"], s["unit"], s["levels"]
    ('image', 'adu', [(4, 4)])
    >>> summary_lines(s)[1]
    '  unit: adu; levels: [(4, 4)]'
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["archive_summary", "summary_lines"]


def archive_summary(store: Any) -> dict[str, Any]:
    """Kind, version, writer, unit, levels, mask planes and WCS of the archive in ``store``."""
    from zarrkit.image.read import StoredArchive

    arch = StoredArchive(store)
    info = arch.info
    out: dict[str, Any] = {
        "kind": info.get("kind"), "version": info.get("version"), "writer": info.get("writer"),
        "unit": arch.image.metadata.attributes.get("units"),
        "levels": [tuple(arch.level(n).image.shape) for n in range(1 + len(arch.contents.get("pyramid", [])))],
    }
    if arch.mask is not None:
        out["mask_planes"] = [{"bit": p.bit, "name": p.name, "description": p.description} for p in arch.mask.planes]
    if arch.wcs is not None:
        w = arch.wcs.wcs
        out["wcs"] = {"ctype": list(w.ctype), "crval": [float(v) for v in w.crval],
                      "scale_deg": [abs(float(getattr(v, "value", v))) for v in arch.wcs.proj_plane_pixel_scales()]}
    return out


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    """The summary as terminal lines; a missing unit reads ``none``."""
    lines = [f"image archive {summary['version']} ({summary['kind']}), written by {summary['writer']}",
             f"  unit: {summary['unit'] or 'none'}; levels: {summary['levels']}"]
    for p in summary.get("mask_planes", []):
        lines.append(f"  mask bit {p['bit']:2}: {p['name']} {p['description']}".rstrip())
    if "wcs" in summary:
        w = summary["wcs"]
        lines.append(f"  WCS {w['ctype']} at {w['crval']}, {w['scale_deg']} deg/pixel")
    return lines
