"""Validate checks for vector stores: the zv-0.9 root, occupancy of every per-chunk array,
a zarrkit read of level 0, and zarr_vectors' own ``validate(level=5)`` where installed.

Example:
    >>> from zarrkit.validate.report import CheckContext
    >>> [c.status for c in vector_checks(CheckContext(None, {"attributes": {}}, {}))]
    ['fail']
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from zarrkit.validate.report import Check

__all__ = ["vector_checks"]

PER_CHUNK = {"vertices", "vertex_fragments", "attribute", "links", "link_fragments", "link_attribute"}


def vector_checks(context: Any) -> Iterator[Check]:
    from zarrkit.errors import ZarrkitError
    from zarrkit.vectors.profile import RootInfo

    try:
        root = RootInfo.from_attributes(dict(context.attributes))
    except ZarrkitError as err:
        yield Check("vectors.root", "fail", str(err), node="")
        return
    yield Check("vectors.root", "ok", f"{root.geometry}, zv {root.version}, chunk {root.chunk_shape}", node="")
    missing = [path for path, doc in context.documents.items()
               if isinstance(doc, dict) and (doc.get("attributes") or {}).get("zv_array") in PER_CHUNK
               and "nonempty_chunks" not in doc["attributes"]]
    yield (Check("vectors.occupancy", "fail", f"no nonempty_chunks (zarr_vectors reads these as empty): "
                 f"{', '.join(sorted(missing)[:5])}; run `zarrkit vectors check --repair`", node=missing[0])
           if missing else Check("vectors.occupancy", "ok", "every per-chunk array lists its cells"))
    try:
        from zarrkit.vectors.store import open as open_vectors

        vs = open_vectors(context.store)
        expect = vs.level_info(0).vertex_count
        got = len(vs.read_points(attributes=False).xyz) if vs.kind == "points" else expect
        status = "ok" if got == expect else "fail"
        yield Check("vectors.read", status, f"zarrkit read {got} of {expect} level-0 vertices", node="0")
    except ZarrkitError as err:
        yield Check("vectors.read", "fail", str(err), node="0")
    yield from _zarr_vectors_check(context)


def _zarr_vectors_check(context: Any) -> Iterator[Check]:
    try:
        from zarr_vectors.validate import validate
    except ImportError:
        yield Check("vectors.zarr_vectors", "skip", "zarr_vectors is not installed")
        return
    root = getattr(context.store, "root", None) or getattr(context.store, "url", "")
    if not isinstance(root, str) or not os.path.isdir(root):
        yield Check("vectors.zarr_vectors", "skip", "zarr_vectors' validator runs on local directories only")
        return
    try:
        result = validate(root, level=5)
    except Exception as err:  # the reader under test failing is the finding
        yield Check("vectors.zarr_vectors", "fail", f"zarr_vectors.validate raised {type(err).__name__}: {err}")
        return
    errors = list(result.errors)
    yield Check("vectors.zarr_vectors", "fail" if errors else "ok",
                "; ".join(map(str, errors[:3])) if errors else "zarr_vectors validate(level=5): no errors")
