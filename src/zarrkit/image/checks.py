"""The image format's validate checks: marker version, FITS header arrays, the pyramid.

Example:
    >>> import numpy as np
    >>> from zarrkit import image
    >>> from zarrkit.validate import validate
    >>> url = image.write(image.ImageArchive(np.zeros((600, 600), "f4")), "memory://doc-image-checks")
    >>> sorted(c.status for c in validate(url).checks if c.name in ("pyramid", "zarrkit marker"))
    ['ok', 'ok']
"""

from __future__ import annotations

from typing import Any, Iterator

from zarrkit.image import layout
from zarrkit.validate.report import Check, CheckContext

__all__ = ["image_checks"]


def image_checks(ctx: CheckContext) -> Iterator[Check]:
    """Every check of an image archive (the root marker says ``format == "image"``)."""
    info = ctx.attributes.get("zarrkit") or {}
    yield _marker(info)
    yield from _headers(ctx, info.get("contents") or {})
    yield _pyramid(ctx)


def _marker(info: dict[str, Any]) -> Check:
    version = str(info.get("version", "0"))
    major = version.split(".")[0]
    ok = major.isdigit() and int(major) <= layout.READS_MAJOR
    return Check("zarrkit marker", "ok" if ok else "fail",
                 f"image format {version}" + ("" if ok else f": this zarrkit reads {layout.READS_MAJOR}.x"), node="")


def _headers(ctx: CheckContext, contents: dict[str, Any]) -> Iterator[Check]:
    path = contents.get("header")
    if not path:
        return
    from zarrkit import core

    raw = core.read_region(ctx.store, path, ...).tobytes()
    if len(raw) % 2880 or b"END" + b" " * 77 not in raw:
        yield Check("header arrays", "fail", "not whole 2880-byte blocks ending in END", node=path)
    else:
        yield Check("header arrays", "ok", f"{len(raw) // 80} cards", node=path)


def _pyramid(ctx: CheckContext) -> Check:
    """Each level halves the one above (rounding up) and doubles its scale."""
    ms = ctx.attributes.get("ome", {}).get("multiscales", [{}])[0]
    problems = []
    prev = None
    for n, d in enumerate(ms.get("datasets", [])):
        doc = ctx.documents.get(d["path"])
        if doc is None:
            problems.append(f"{d['path']}: no such array")
            continue
        shape = list(doc["shape"][-2:])
        if prev is not None and shape != [-(-s // 2) for s in prev]:
            problems.append(f"{d['path']}: shape {shape} is not half of {prev}")
        prev = shape
        scale = d["coordinateTransformations"][0]["scale"][-1]
        if scale != 2.0**n:
            problems.append(f"{d['path']}: scale {scale}, expected {2.0 ** n}")
    return Check("pyramid", "fail" if problems else "ok", "; ".join(problems) or f"{len(ms.get('datasets', []))} levels",
                 node="")
