"""The hcs validate checks (spec §6, §7): what OME validators miss about plates.

Each finding is a :class:`Check` named by its code (``well-index-mismatch``, ``well-missing``,
``well-unlisted``, ...), ``fail`` or ``warn``, with the node it concerns.  The node
documents are read from the store itself (a listing), so a stale consolidated block cannot
hide a missing or unlisted well.

Example:
    >>> axis_findings([{"name": "field", "type": "other"}, {"name": "c", "type": "channel"},
    ...                {"name": "y", "type": "space"}, {"name": "x", "type": "space"}])
    [('axis-channel-and-custom', 'fail', 'a custom axis beside a channel axis: field, c, y, x')]
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator, Mapping

from zarrkit.validate.report import Check, CheckContext

__all__ = ["hcs_checks", "axis_findings", "read_documents"]

_NAME = re.compile(r"[A-Za-z0-9]+")
_KNOWN = ("space", "time", "channel")
_ORDER = re.compile(r"t?[cC]?s{2,3}")  # time, then channel or custom, then 2-3 space axes


def axis_findings(axes: list[Any]) -> list[tuple[str, str, str]]:
    """``(code, status, detail)`` for an image's axes: custom axes, their count, the order."""
    kinds = [a.get("type") if isinstance(a, Mapping) else None for a in axes]
    names = ", ".join(str(a.get("name") if isinstance(a, Mapping) else a) for a in axes)
    custom = sum(k not in _KNOWN for k in kinds)
    out = []
    if custom > 1:
        out.append(("axis-custom-count", "fail", f"{custom} custom axes (at most one): {names}"))
    elif custom and "channel" in kinds:
        out.append(("axis-channel-and-custom", "fail", f"a custom axis beside a channel axis: {names}"))
    elif custom:
        out.append(("field-as-axis", "warn", f"fields stored as a custom axis (legal; separate images are better): {names}"))
    code = "".join({"time": "t", "channel": "c", "space": "s"}.get(k, "C") for k in kinds)
    if not any(status == "fail" for _, status, _ in out) and not _ORDER.fullmatch(code):
        out.append(("axis-order", "fail", f"axes must be [time][channel or custom]space×2-3: {names}"))
    return out


def read_documents(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Every node document below the root, by path: from a listing of the store when it can
    list, else from the consolidated block validate read."""
    store = ctx.store
    if not getattr(store, "supports_listing", False):
        return {p: dict(d) for p, d in ctx.documents.items()}
    keys = [k for k in store.list_prefix("") if k.endswith("zarr.json") and k != "zarr.json"]
    docs = {}
    for key, raw in zip(keys, store.get_many(keys)):
        try:
            docs[key[: -len("/zarr.json")]] = json.loads(raw)
        except (TypeError, ValueError):
            docs[key[: -len("/zarr.json")]] = {}
    return docs


class _Findings:
    def __init__(self) -> None:
        self.items: dict[str, list[tuple[str, str, str]]] = {}

    def add(self, code: str, status: str, detail: str, node: str = "") -> None:
        self.items.setdefault(code, []).append((status, detail, node))

    def checks(self) -> Iterator[Check]:
        for code, found in self.items.items():
            status = "fail" if any(s == "fail" for s, _, _ in found) else "warn"
            yield Check(code, status, "; ".join(d for _, d, _ in found[:5]), node=found[0][2])


def hcs_checks(ctx: CheckContext) -> Iterator[Check]:
    """Every hcs check of a plate root (marked ``hcs`` or holding an OME ``plate``)."""
    attrs = dict(ctx.attributes)
    f = _Findings()
    info = attrs.get("zarrkit") if isinstance(attrs.get("zarrkit"), Mapping) else {}
    _check_root(attrs, info, f)
    ome = attrs.get("ome") if isinstance(attrs.get("ome"), Mapping) else {}
    plate = ome.get("plate") or attrs.get("plate") or {}
    docs = read_documents(ctx)
    if plate:
        _check_plate(plate, info, docs, f)
    elif info.get("format") == "hcs":
        f.add("plate-unlisted", "warn", "no ome.plate yet: run finalize() to list the wells", "")
    _check_wells(plate, docs, f)
    _check_leftovers(ctx.store, f)
    found = list(f.checks())
    yield from found
    if not found:
        wells = len(plate.get("wells", []))
        yield Check("hcs plate", "ok", f"{wells} wells, {len(plate.get('rows', []))}x{len(plate.get('columns', []))}",
                    node="")


def _check_root(attrs: Mapping[str, Any], info: Mapping[str, Any], f: _Findings) -> None:
    if info:
        from zarrkit.hcs.layout import READS_MAJOR

        major = str(info.get("version", "0")).split(".")[0]
        if not major.isdigit() or int(major) > READS_MAJOR:
            f.add("zarrkit-marker", "fail", f"hcs format {info.get('version')!r}: this zarrkit reads {READS_MAJOR}.x")
    ome = attrs.get("ome")
    if isinstance(ome, Mapping) and str(ome.get("version")) != "0.5":
        f.add("version-mixed", "fail", f"root ome.version is {ome.get('version')!r} in a Zarr v3 store (must be 0.5)")
    for key in ("plate", "well", "multiscales"):
        if key in attrs and isinstance(ome, Mapping):
            f.add("legacy-key", "fail", f"top-level {key!r} beside ome (0.4 keys hide the plate from readers)")


def _check_plate(plate: Mapping[str, Any], info: Mapping[str, Any], docs, f: _Findings) -> None:
    if "version" not in plate:
        f.add("plate-version-missing", "warn", "plate.version is absent")
    rows = [r.get("name") for r in plate.get("rows", [])]
    cols = [c.get("name") for c in plate.get("columns", [])]
    for kind, names in (("row", rows), ("column", cols)):
        for n in names:
            if not isinstance(n, str) or not _NAME.fullmatch(n):
                f.add("name-not-alphanumeric", "fail", f"{kind} name {n!r}")
    geometry = info.get("plate") or {}
    if geometry:
        if rows != list(geometry.get("rows", rows)) or cols != list(geometry.get("columns", cols)):
            f.add("rows-columns-incomplete", "fail", "plate rows/columns differ from the geometry in zarrkit.plate")
    else:
        _check_gaps(rows, cols, f)
    acq_ids = {a.get("id") for a in plate.get("acquisitions", [])}
    counts: dict[Any, int] = {}
    for w in plate.get("wells", []):
        path = w.get("path", "")
        parts = path.split("/")
        if len(parts) != 2:
            f.add("well-path", "fail", f"well path {path!r} is not '<row>/<column>'", path)
            continue
        if parts[0] not in rows or parts[1] not in cols:
            f.add("well-path", "fail", f"well path {path!r} names a row or column the plate lacks", path)
            continue
        if rows.index(parts[0]) != w.get("rowIndex") or cols.index(parts[1]) != w.get("columnIndex"):
            f.add("well-index-mismatch", "fail", f"{path}: rowIndex/columnIndex {w.get('rowIndex')}/"
                  f"{w.get('columnIndex')} but the path is at {rows.index(parts[0])}/{cols.index(parts[1])}", path)
        doc = docs.get(path)
        if doc is None:
            f.add("well-missing", "fail", f"listed well {path} has no group", path)
            continue
        images = ((doc.get("attributes", {}).get("ome") or {}).get("well") or {}).get("images", [])
        for image in images:
            acq = image.get("acquisition")
            if acq is None and len(acq_ids) > 1:
                f.add("acquisition-missing", "fail", f"{path}/{image.get('path')}: no acquisition in a "
                      f"{len(acq_ids)}-acquisition plate", path)
            elif acq is not None and acq_ids and acq not in acq_ids:
                f.add("acquisition-unknown", "fail", f"{path}/{image.get('path')}: acquisition {acq} is not declared",
                      path)
        per_acq: dict[Any, int] = {}
        for image in images:
            per_acq[image.get("acquisition")] = per_acq.get(image.get("acquisition"), 0) + 1
        for acq, n in per_acq.items():
            counts[acq] = max(counts.get(acq, 0), n)
    _check_counts(plate, counts, f)


def _check_gaps(rows, cols, f: _Findings) -> None:
    from zarrkit.hcs.geometry import row_names

    if rows and all(isinstance(r, str) and r.isalpha() for r in rows) and list(rows) != list(row_names(len(rows))):
        f.add("rows-columns-incomplete", "warn", f"rows are not a contiguous A.. run: {rows}")
    if cols and all(isinstance(c, str) and c.isdigit() for c in cols) and \
            [int(c) for c in cols] != list(range(1, len(cols) + 1)):
        f.add("rows-columns-incomplete", "warn", f"columns are not a contiguous 1.. run: {cols}")


def _check_counts(plate: Mapping[str, Any], counts: dict[Any, int], f: _Findings) -> None:
    most = max(counts.values(), default=0)
    if plate.get("field_count") is not None and plate["field_count"] < most:
        f.add("field-count", "fail", f"field_count {plate['field_count']} but a well has {most} fields")
    for a in plate.get("acquisitions", []):
        n = counts.get(a.get("id"), 0)
        if a.get("maximumfieldcount") is not None and a["maximumfieldcount"] < n:
            f.add("field-count", "fail", f"acquisition {a.get('id')}: maximumfieldcount {a['maximumfieldcount']} "
                  f"but a well has {n} fields")


def _check_wells(plate: Mapping[str, Any], docs: dict[str, dict[str, Any]], f: _Findings) -> None:
    listed = {w.get("path") for w in plate.get("wells", [])}
    for path, doc in sorted(docs.items()):
        attrs = doc.get("attributes", {}) if isinstance(doc, Mapping) else {}
        own = attrs.get("zarrkit") if isinstance(attrs.get("zarrkit"), Mapping) else {}
        ome = attrs.get("ome") if isinstance(attrs.get("ome"), Mapping) else {}
        depth = path.count("/")
        if depth == 1 and (own.get("state") == "writing" or "well" in ome or "well" in attrs):
            if own.get("state") == "writing":
                f.add("well-incomplete", "fail", f"{path} is still 'writing' (crashed? rewrite with overwrite=True)", path)
            elif path not in listed and plate:
                f.add("well-unlisted", "fail", f"{path} is a well group the plate does not list", path)
            row = path.split("/")[0]
            if row not in docs:
                f.add("implicit-group", "fail", f"row {row!r} has no zarr.json (implicit groups are not OME-Zarr)", row)
            for image in (ome.get("well") or {}).get("images", []):
                if not _NAME.fullmatch(str(image.get("path"))):
                    f.add("name-not-alphanumeric", "fail", f"{path}: well image path {image.get('path')!r}", path)
            if "well" in ome and str(ome.get("version")) != "0.5":
                f.add("version-mixed", "fail", f"{path}: ome.version {ome.get('version')!r}", path)
            if "well" in attrs:
                f.add("legacy-key", "fail", f"{path}: top-level 'well' outside ome", path)
        if "multiscales" in ome:
            _check_image(path, ome, docs, f)


def _check_image(path: str, ome: Mapping[str, Any], docs, f: _Findings) -> None:
    ms = (ome.get("multiscales") or [{}])[0]
    axes = ms.get("axes", [])
    for code, status, detail in axis_findings(axes):
        f.add(code, status, f"{path}: {detail}", path)
    names = [a.get("name") for a in axes if isinstance(a, Mapping)]
    for ds in ms.get("datasets", []):
        arr = docs.get(f"{path}/{ds.get('path')}")
        if arr is None:
            f.add("dataset-missing", "fail", f"{path}/{ds.get('path')}: no array", path)
            continue
        if arr.get("dimension_names") != names:
            f.add("dimension-names", "fail", f"{path}/{ds.get('path')}: dimension_names "
                  f"{arr.get('dimension_names')} but axes {names}", path)
    channels = (ome.get("omero") or {}).get("channels")
    first = docs.get(f"{path}/{(ms.get('datasets') or [{}])[0].get('path')}")
    if channels is not None and first and "c" in names and first["shape"][names.index("c")] != len(channels):
        f.add("omero-channels", "fail", f"{path}: {len(channels)} omero channels for "
              f"{first['shape'][names.index('c')]} in c", path)


def _check_leftovers(store, f: _Findings) -> None:
    root = getattr(store, "root", None)
    if getattr(store, "kind", "") != "local" or not root:
        return
    staging = os.path.normpath(root) + ".staging"
    if os.path.isdir(staging) and os.listdir(staging):
        f.add("staging-leftover", "fail", f"{staging} holds {len(os.listdir(staging))} staged wells "
              "(run `zarrkit hcs repair`)")
    stray = [n for n in os.listdir(root) if n.endswith((".lock", ".tmp")) or n.startswith(".zarrkit-tmp")]
    if stray:
        f.add("lock-leftover", "fail", f"lock or temp files in the plate: {stray[:5]}")
