"""OME-Zarr: what each group claims, and the checks that follow from it.

Every group is asked on its own.  An ``ome`` block in a Zarr v3 group must say version
``"0.5"``; its keys decide the kinds: ``multiscales`` (an image; with ``image-label`` a
label image), ``plate``, ``well``, ``labels`` (a labels group), ``bioformats2raw.layout``
and ``series`` (the bioformats2raw container and its ``OME`` group).  Each kind is checked
against its official 0.5 JSON schema (strict schema failures are warnings) and by the few
rules the schemas cannot express; :mod:`zarrkit.validate.readers` runs ome-zarr-models on the
same kinds.  OME 0.4 attributes in a v2 hierarchy, and ``ome`` keys zarrkit does not know,
are reported as not checked.

Example:
    >>> claims({"ome": {"version": "0.5", "bioformats2raw.layout": 3, "plate": {}}})
    ['plate', 'bioformats2raw']
    >>> claims({"ome": {"version": "0.5", "multiscales": [], "image-label": {}}})
    ['image', 'label']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zarrkit.validate.documents import Documents, document_key
from zarrkit.validate.generic import array_dimensions
from zarrkit.validate.report import Check

__all__ = ["KINDS", "SCHEMAS", "VERSION", "claimed_groups", "claims", "ome_checks"]

VERSION = "0.5"
#: ome key -> kind, in the order kinds are reported
KINDS = {"multiscales": "image", "image-label": "label", "plate": "plate", "well": "well", "labels": "labels",
         "bioformats2raw.layout": "bioformats2raw", "series": "series"}
#: kind -> (schema, strict schema) among the vendored 0.5 schemas; a labels group has none
SCHEMAS = {"image": ("image", "strict_image"), "label": ("label", "strict_label"), "plate": ("plate", "strict_plate"),
           "well": ("well", "strict_well"), "bioformats2raw": ("bf2raw", None), "series": ("ome", None)}
_V04_KEYS = ("multiscales", "plate", "well", "labels", "image-label")
_INTEGER_TYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def claims(attributes: Mapping[str, Any]) -> list[str]:
    """The OME kinds a group's attributes claim (empty for no or a malformed ``ome`` block)."""
    ome = attributes.get("ome")
    if not isinstance(ome, Mapping):
        return []
    return [kind for key, kind in KINDS.items() if key in ome]


def claimed_groups(docs: Documents) -> dict[str, list[str]]:
    """Group path -> the OME kinds it claims, for every group that claims one."""
    out = {}
    for path in docs.groups():
        kinds = claims(docs.nodes[path].get("attributes", {}))
        if kinds:
            out[path] = kinds
    return out


def _join(group: str, path: str) -> str:
    parts = [p for p in (group.split("/") if group else []) + path.split("/") if p not in ("", ".")]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


def _zarr_conventions_multiscales(attrs) -> bool:
    """A ``multiscales`` registered (by UUID) as the zarr-conventions one, not OME's."""
    from zarrkit.conventions.geo import registered

    return "multiscales" in registered(attrs)


def ome_checks(docs: Documents) -> list[Check]:
    """Every OME check of every group, in path order."""
    checks: list[Check] = []
    for path in docs.groups():
        checks.extend(_group_checks(docs, path))
    return checks


def _group_checks(docs: Documents, path: str) -> list[Check]:
    doc = docs.nodes[path]
    attrs = doc.get("attributes", {})
    key = document_key(path, ".zattrs" if doc.get("zarr_format") == 2 else "zarr.json")
    if "ome" not in attrs:
        found = [k for k in _V04_KEYS if k in attrs and not (k == "multiscales" and _zarr_conventions_multiscales(attrs))]
        if not found:
            return []
        if doc.get("zarr_format") == 2:  # OME-Zarr 0.4 and older keep these at the top (Zarr v2 only)
            return [Check("OME", "skip", f"not checked: {', '.join(found)} without an 'ome' block is OME-Zarr 0.4 or "
                          "older, which zarrkit does not check", node=path, key=key)]
        kinds = [KINDS[k] for k in found]
        return [Check("OME", "fail", f"{', '.join(found)} outside an 'ome' block: OME-Zarr in a Zarr v3 group keeps "
                      "its keys under 'ome'", node=path, key=key)] + [
            c for kind in kinds for c in _schema_checks(attrs, kind, path, key)]
    ome = attrs["ome"]
    if not isinstance(ome, Mapping):
        return [Check("OME", "fail", f"'ome' must be an object, got {type(ome).__name__}", node=path, key=key)]
    version = ome.get("version")
    if version != VERSION:
        where = "a Zarr v3 group" if doc.get("zarr_format") == 3 else "a Zarr v2 group (OME-Zarr 0.5 needs Zarr v3)"
        return [Check("OME version", "fail", f"ome.version is {version!r} in {where}; zarrkit checks OME-Zarr "
                      f"{VERSION}, the version Zarr v3 groups carry", node=path, key=key)]
    kinds = claims(attrs)
    unknown = sorted(k for k in ome if k != "version" and k not in KINDS)
    if not kinds and not unknown:
        return [Check("OME", "fail", "the ome block names no OME-Zarr kind (multiscales, plate, well, labels, "
                      "image-label, bioformats2raw.layout, series)", node=path, key=key)]
    if not kinds:
        return [Check("OME", "skip", f"not checked: ome keys {unknown} are no OME-Zarr {VERSION} convention "
                      "zarrkit knows", node=path, key=key)]
    checks = [Check("OME", "ok", f"OME-Zarr {VERSION} {', '.join(kinds)}", node=path, key=key)]
    for kind in kinds:
        checks.extend(_schema_checks(attrs, kind, path, key))
    try:
        if "image" in kinds:
            checks.extend(_multiscale_rules(docs, path, ome, key, label="label" in kinds or _under_labels(docs, path)))
        if "plate" in kinds:
            checks.extend(_plate_rules(docs, path, ome, key))
        if "labels" in kinds:
            checks.extend(_labels_rules(docs, path, ome, key))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        # the schema check has named what is wrong; these rules only need not crash on it
        checks.append(Check("OME rules", "fail", f"cannot follow the metadata: {type(err).__name__}: {err}",
                            node=path, key=key))
    return checks


def _schema_checks(attrs: Mapping[str, Any], kind: str, path: str, key: str) -> list[Check]:
    if kind not in SCHEMAS:
        return [Check(f"OME {VERSION} schema", "skip", f"not checked: the specification has no JSON schema for a "
                      f"{kind} group", node=path, key=key)]
    try:
        from zarrkit.conventions.ome_schema import schema_errors
    except ImportError as err:  # pragma: no cover - jsonschema is a declared dependency
        return [Check(f"OME {VERSION} schema", "skip", f"not checked: {err}", node=path, key=key)]
    try:
        schema, strict = SCHEMAS[kind]
        errors = schema_errors(dict(attrs), schema)
        strict_errors = schema_errors(dict(attrs), strict) if strict and not errors else []
    except ImportError as err:
        return [Check(f"OME {VERSION} schema", "skip", f"not checked: jsonschema is not installed ({err})",
                      node=path, key=key)]
    name = f"OME {VERSION} schema"
    if errors:
        return [Check(name, "fail", f"{schema}: " + "; ".join(errors[:3]), node=path, key=key)]
    if strict_errors:
        return [Check(name, "warn", f"{schema} passes, {strict} fails: " + "; ".join(strict_errors[:3]),
                      node=path, key=key)]
    return [Check(name, "ok", schema + (f" and {strict}" if strict else ""), node=path, key=key)]


def _under_labels(docs: Documents, path: str) -> bool:
    """Whether a labels group above ``path`` lists it."""
    parts = path.split("/")
    for i in range(len(parts) - 1, -1, -1):
        parent = "/".join(parts[:i])
        ome = docs.nodes.get(parent, {}).get("attributes", {}).get("ome")
        if isinstance(ome, Mapping) and isinstance(ome.get("labels"), list) and "/".join(parts[i:]) in ome["labels"]:
            return True
    return False


def _multiscale_rules(docs: Documents, path: str, ome: Mapping[str, Any], key: str, *, label: bool) -> list[Check]:
    """What the image schema cannot say: each level is an array with one dimension per
    axis named after it, scale comes before translation, label pixels are integers."""
    problems: list[Check] = []
    for m, ms in enumerate(ome["multiscales"]):
        axes = [a.get("name") for a in ms.get("axes", [])]
        for d, dataset in enumerate(ms.get("datasets", [])):
            where = f"ome.multiscales[{m}].datasets[{d}]"
            kinds = [t.get("type") for t in dataset.get("coordinateTransformations", [])]
            if "translation" in kinds and "scale" in kinds and kinds.index("translation") < kinds.index("scale"):
                problems.append(Check("OME multiscales", "fail", f"{where}.coordinateTransformations: a translation "
                                      "before the scale (the scale must come first)", node=path, key=key))
            level = _join(path, str(dataset.get("path")))
            array = docs.nodes.get(level)
            if array is None or array.get("node_type") != "array":
                what = "a group" if array is not None else ("unreadable" if level in docs.errors else "missing")
                problems.append(Check("OME multiscales", "fail", f"{where}.path {dataset.get('path')!r}: the array is "
                                      f"{what}", node=level, key=document_key(level)))
                continue
            shape, names = array.get("shape", []), array_dimensions(array)
            if len(shape) != len(axes):
                problems.append(Check("OME multiscales", "fail", f"{len(shape)} dimensions, {len(axes)} axes in "
                                      f"{path or 'the root'!s}", node=level, key=document_key(level)))
            elif array.get("zarr_format") == 3 and list(names or []) != axes:
                problems.append(Check("OME multiscales", "fail", f"dimension_names {names} must be the axes {axes}",
                                      node=level, key=document_key(level)))
            dtype = str(array.get("data_type", array.get("dtype", "")))
            if label and dtype.lstrip("<>|=") not in _INTEGER_TYPES | {"i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"}:
                problems.append(Check("OME multiscales", "fail", f"a label image's pixels must be integers, not {dtype}",
                                      node=level, key=document_key(level)))
    levels = sum(len(ms.get("datasets", [])) for ms in ome["multiscales"])
    return problems or [Check("OME multiscales", "ok", f"{levels} levels, dimensions named after the axes",
                              node=path, key=key)]


def _plate_rules(docs: Documents, path: str, ome: Mapping[str, Any], key: str) -> list[Check]:
    """Each well's path is ``<row name>/<column name>`` of its indices (a rule the plate
    schema cannot express), and the well group is there."""
    plate = ome["plate"]
    rows, columns = [r["name"] for r in plate["rows"]], [c["name"] for c in plate["columns"]]
    problems = []
    for w, well in enumerate(plate["wells"]):
        expected = f"{rows[well['rowIndex']]}/{columns[well['columnIndex']]}"
        if well["path"] != expected:
            problems.append(Check("OME plate", "fail", f"ome.plate.wells[{w}].path {well['path']!r} is not row/column "
                                  f"{expected!r} of its rowIndex and columnIndex", node=path, key=key))
        elif docs.listed and docs.nodes.get(_join(path, expected), {}).get("node_type") != "group":
            where = _join(path, expected)
            problems.append(Check("OME plate", "warn", f"ome.plate.wells[{w}]: no well group {expected!r}",
                                  node=where, key=document_key(where)))
    return problems or [Check("OME plate", "ok", f"{len(plate['wells'])} wells at row/column paths", node=path, key=key)]


def _labels_rules(docs: Documents, path: str, ome: Mapping[str, Any], key: str) -> list[Check]:
    """Every path a labels group lists is a multiscale (label) image."""
    labels = ome["labels"]
    if not isinstance(labels, list) or not all(isinstance(p, str) for p in labels):
        return [Check("OME labels", "fail", f"ome.labels must be a list of paths, got {labels!r}", node=path, key=key)]
    problems = []
    for n, name in enumerate(labels):
        where = _join(path, name)
        target = docs.nodes.get(where, {})
        if "image" not in claims(target.get("attributes", {})):
            problems.append(Check("OME labels", "fail", f"ome.labels[{n}] {name!r} is not a multiscale image group",
                                  node=where, key=document_key(where)))
    return problems or [Check("OME labels", "ok", f"{len(labels)} label images", node=path, key=key)]
