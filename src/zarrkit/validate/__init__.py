"""One report for a store: which conventions it claims and whether real readers accept it.

Each check yields :class:`Check` results (``ok``, ``warn`` or ``fail``).  The image checks
run when the root says ``zarrkit.format == "image"``; the generic ones always run.

Example:
    >>> import numpy as np
    >>> from zarrkit import image
    >>> url = image.write(image.ImageArchive(np.zeros((4, 4), "f4")), "memory://doc-validate")
    >>> report = validate(url)
    >>> report.passed, sorted({c.name for c in report.checks})[:3]
    (True, ['OME 0.5 schema', 'consolidated metadata', 'dimension names'])
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from zarrkit.errors import ZarrkitError
from zarrkit.storage import open_store
from zarrkit.validate.report import Check, CheckContext, Report

__all__ = ["Check", "CheckContext", "Report", "validate"]


def validate(target: Any, *, storage_options: dict[str, Any] | None = None) -> Report:
    """Run every applicable check on the store at ``target``."""
    store = open_store(target, mode="r", options=storage_options)
    report = Report(store.url)
    raw = store.get("zarr.json")
    if raw is None:
        report.add("root zarr.json", "fail", "no root zarr.json: not a Zarr v3 group, or an incomplete archive")
        return report
    try:
        root = json.loads(raw)
    except ValueError as err:
        report.add("root zarr.json", "fail", f"malformed JSON: {err}", node="", key="zarr.json")
        return report
    attrs = root.get("attributes", {})
    members = (root.get("consolidated_metadata") or {}).get("metadata")
    if "ome" in attrs:
        report.conventions.append(f"ome {attrs['ome'].get('version')}")
    if isinstance(attrs.get("zarrkit"), dict):
        report.conventions.append(f"zarrkit {attrs['zarrkit'].get('format')} {attrs['zarrkit'].get('version')}")
    docs = members or {}
    info = attrs.get("zarrkit")
    checks = [
        ("consolidated metadata", lambda: _check_consolidated(store, members, report)),
        ("dimension names", lambda: _check_dimension_names(docs, report)),
        ("CF flags", lambda: _check_cf_flags(docs, report)),
    ]
    from zarrkit.formats import registry

    context = CheckContext(store, root, docs, consolidated=members is not None)
    for fmt in registry.claiming(attrs):
        checks.append((f"{fmt.name} format", lambda fmt=fmt: report.extend(fmt.checks(context))))
    if "ome" in attrs:
        checks.append(("ome-zarr-models", lambda: _check_ome(store, report)))
        checks.append(("OME 0.5 schema", lambda: _check_ome_schema(attrs, report)))
    checks.append(("xarray", lambda: _check_xarray(store, report)))
    for name, run in checks:
        try:
            run()
        except ZarrkitError as err:  # a broken node is a failed check, not a crashed report
            report.add(name, "fail", f"{type(err).__name__}: {err}")
        except (KeyError, IndexError, TypeError, ValueError) as err:  # attributes of the wrong shape
            report.add(name, "fail", f"malformed attributes: {type(err).__name__}: {err}")
    return report


def _check_consolidated(store, members, report: Report) -> None:
    if members is None:
        report.add("consolidated metadata", "warn", "none at the root: readers must list the store")
        return
    stale = []
    for path, doc in members.items():
        raw = store.get(f"{path}/zarr.json")
        if raw is None or json.loads(raw) != doc:
            mine = json.loads(raw) if raw else None
            if not (mine and doc.get("node_type") == "group" and {k: v for k, v in mine.items() if k != "consolidated_metadata"}
                    == {k: v for k, v in doc.items() if k != "consolidated_metadata"}):
                stale.append(path)
    report.add("consolidated metadata", "fail" if stale else "ok",
               f"differs from the node documents: {stale[:5]}" if stale else f"{len(members)} nodes")


def _check_dimension_names(docs: dict[str, Any], report: Report) -> None:
    problems = []
    lengths: dict[tuple[str, str], int] = {}
    for path, doc in docs.items():
        if doc.get("node_type") != "array":
            continue
        names = doc.get("dimension_names")
        if names is None or len(names) != len(doc["shape"]) or any(n is None for n in names):
            problems.append(f"{path}: dimension_names {names}")
            continue
        if "_ARRAY_DIMENSIONS" in doc.get("attributes", {}):
            problems.append(f"{path}: carries _ARRAY_DIMENSIONS")
        group = path.rpartition("/")[0]
        for n, size in zip(names, doc["shape"]):
            if lengths.setdefault((group, n), size) != size:
                problems.append(f"{path}: dimension {n!r} has length {size}, elsewhere {lengths[(group, n)]}")
    report.add("dimension names", "fail" if problems else "ok", "; ".join(problems[:5]))


def _check_cf_flags(docs: dict[str, Any], report: Report) -> None:
    problems = []
    seen = False
    for path, doc in docs.items():
        a = doc.get("attributes", {})
        if "flag_masks" not in a:
            continue
        seen = True
        masks, words = a["flag_masks"], str(a.get("flag_meanings", "")).split()
        if len(masks) != len(words):
            problems.append(f"{path}: {len(masks)} flag_masks but {len(words)} flag_meanings")
        if any(m <= 0 or m & (m - 1) for m in masks):
            problems.append(f"{path}: flag_masks are not powers of two")
        itemsize = np.dtype({"uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8"}.get(doc.get("data_type"), "u8")).itemsize
        if any(m >= 1 << min(32, 8 * itemsize) for m in masks):
            problems.append(f"{path}: a flag bit beyond {min(32, 8 * itemsize)} bits")
        planes = a.get("zarrkit", {}).get("planes")
        if planes is not None and len(planes) != len(masks):
            problems.append(f"{path}: zarrkit.planes disagrees with flag_masks")
    if seen:
        report.add("CF flags", "fail" if problems else "ok", "; ".join(problems[:5]))


def _check_ome(store, report: Report) -> None:
    try:
        import zarr
        from ome_zarr_models.v05 import Image
    except ImportError as err:
        report.add("ome-zarr-models", "warn", f"not installed: {err}")
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Image.from_zarr(zarr.open_group(store.zarr_store(), mode="r"))
        report.add("ome-zarr-models", "ok", "v05 Image")
    except Exception as err:
        report.add("ome-zarr-models", "fail", f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")


def _check_ome_schema(attrs: dict[str, Any], report: Report) -> None:
    version = str(attrs["ome"].get("version"))
    if version != "0.5" or "multiscales" not in attrs["ome"]:
        return  # only the 0.5 image schemas are vendored; plates and wells come with their domain
    try:
        from zarrkit.conventions.ome_schema import schema_errors

        errors = schema_errors(attrs, "image")
        strict = schema_errors(attrs, "strict_image")
    except ImportError as err:
        report.add("OME 0.5 schema", "warn", f"jsonschema is not installed: {err}")
        return
    if errors:
        report.add("OME 0.5 schema", "fail", "; ".join(errors[:3]))
    elif strict:
        report.add("OME 0.5 schema", "warn", "image schema passes, strict_image fails: " + "; ".join(strict[:3]))
    else:
        report.add("OME 0.5 schema", "ok", "image and strict_image")


def _check_xarray(store, report: Report) -> None:
    try:
        import xarray as xr
    except ImportError:
        report.add("xarray", "warn", "xarray is not installed")
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ds = xr.open_zarr(store.zarr_store(), zarr_format=3)
        report.add("xarray", "ok", f"variables: {', '.join(sorted(ds.data_vars))}")
    except Exception as err:
        report.add("xarray", "fail", f"{type(err).__name__}: {str(err).splitlines()[0][:200]}")
