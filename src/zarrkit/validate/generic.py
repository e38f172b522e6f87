"""The checks every store gets: documents, consolidated metadata, dimension names, CF flags.

Each function takes the :class:`~zarrkit.validate.documents.Documents` of a store and
returns :class:`~zarrkit.validate.report.Check` objects; a problem is one check that names
its node and the key of the document it is in.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.validate.documents import read_documents
    >>> s = open_store("memory://", mode="w")
    >>> s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    >>> [(c.status, c.detail) for c in consolidated_checks(s, read_documents(s))]
    [('warn', 'none at the root: readers list the store to find its nodes')]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zarrkit.core.metadata import decode_document
from zarrkit.errors import MetadataError
from zarrkit.validate.documents import Documents, document_key
from zarrkit.validate.report import Check

__all__ = ["array_dimensions", "cf_flag_checks", "consolidated_checks", "dimension_checks", "document_checks"]

_UNSIGNED_BITS = {"uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "|u1": 8, "<u2": 16, "<u4": 32, "<u8": 64}


def document_checks(docs: Documents) -> list[Check]:
    """One failed check per document that could not be read; one ``ok`` line otherwise.

    Example:
        >>> from zarrkit.validate.documents import DocumentError
        >>> d = Documents(errors={"a": DocumentError("a/zarr.json", "malformed JSON")})
        >>> [(c.status, c.node, c.key) for c in document_checks(d)]
        [('fail', 'a', 'a/zarr.json')]
    """
    checks = [Check("documents", "fail", err.message, node=path, key=err.key) for path, err in sorted(docs.errors.items())]
    if not checks:
        source = "consolidated metadata" if docs.consolidated is not None else "listing the store"
        checks.append(Check("documents", "ok", f"{len(docs.nodes)} nodes, read from {source}"))
    if not docs.listed:
        checks.append(Check("documents", "warn", "the store cannot list and has no consolidated metadata: "
                            "only the root was read", node=""))
    return checks


def _without(doc: Any, *keys: str) -> Any:
    return {k: v for k, v in doc.items() if k not in keys} if isinstance(doc, dict) else doc


def consolidated_checks(store, docs: Documents) -> list[Check]:
    """A warning when the root has no consolidated metadata (readers then list the store);
    a failure for each node whose consolidated copy differs from its own document."""
    if docs.root is None:
        return []
    if docs.consolidated is None:
        return [Check("consolidated metadata", "warn", "none at the root: readers list the store to find its nodes",
                      node="", key=document_key("", "zarr.json" if docs.zarr_format == 3 else ".zmetadata"))]
    stale = []
    for path, copy in sorted(docs.consolidated.items()):
        if path in docs.errors:
            continue  # already a failed "documents" check
        if docs.zarr_format == 3:
            key = document_key(path)
            raw = store.get(key)
            try:
                own = decode_document(raw, key=key) if raw is not None else None
            except MetadataError:
                stale.append(Check("consolidated metadata", "fail", "the node's own document is malformed JSON",
                                   node=path, key=key))
                continue
            # a group's own document may carry consolidated metadata of its own, or none
            same = own is not None and _without(own, "consolidated_metadata") == _without(copy, "consolidated_metadata")
        else:
            name = ".zarray" if copy.get("node_type") == "array" else ".zgroup"
            key = document_key(path, name)
            raw, raw_attrs = store.get(key), store.get(document_key(path, ".zattrs"))
            try:
                own = decode_document(raw, key=key) if raw is not None else None
                attrs = decode_document(raw_attrs) if raw_attrs is not None else {}
            except MetadataError:
                own, attrs = None, None
            same = own == _without(copy, "node_type", "attributes") and attrs == copy.get("attributes", {})
        if not same:
            detail = "no such node in the store" if raw is None else "differs from the node's own document"
            stale.append(Check("consolidated metadata", "fail", detail, node=path, key=key))
    return stale or [Check("consolidated metadata", "ok", f"{len(docs.consolidated)} nodes, all current", node="")]


def array_dimensions(doc: dict[str, Any]) -> Any:
    """An array's dimension names: v3 ``dimension_names``, v2 ``_ARRAY_DIMENSIONS``.

    Example:
        >>> array_dimensions({"zarr_format": 2, "attributes": {"_ARRAY_DIMENSIONS": ["y", "x"]}})
        ['y', 'x']
    """
    if doc.get("zarr_format") == 2:
        return doc.get("attributes", {}).get("_ARRAY_DIMENSIONS")
    return doc.get("dimension_names")


def dimension_checks(docs: Documents, *, multiscale_groups: Iterable[str] = ()) -> list[Check]:
    """Every array names each of its dimensions, and within one group a name means one length.

    Missing names are a warning (xarray cannot open such an array, other readers can); a
    wrong count, or one name with two lengths in a group, fails.  Groups in
    ``multiscale_groups`` (OME images, whose levels differ in size by design) are exempt
    from the length rule.
    """
    exempt = set(multiscale_groups)
    checks: list[Check] = []
    lengths: dict[tuple[str, str], tuple[int, str]] = {}
    named = 0
    for path in docs.arrays():
        doc = docs.nodes[path]
        key = document_key(path, ".zattrs" if doc.get("zarr_format") == 2 else "zarr.json")
        field = "_ARRAY_DIMENSIONS" if doc.get("zarr_format") == 2 else "dimension_names"
        names, shape = array_dimensions(doc), doc.get("shape") or []
        if names is None:
            checks.append(Check("dimension names", "warn", f"no {field}: xarray cannot open this array", node=path, key=key))
            continue
        if not isinstance(names, list) or len(names) != len(shape):
            checks.append(Check("dimension names", "fail", f"{field} {names!r} does not name the {len(shape)} "
                                "dimensions of the array", node=path, key=key))
            continue
        if any(not isinstance(n, str) for n in names):
            checks.append(Check("dimension names", "warn", f"{field} {names!r} leaves a dimension unnamed",
                                node=path, key=key))
            continue
        if doc.get("zarr_format") == 3 and "_ARRAY_DIMENSIONS" in doc.get("attributes", {}):
            checks.append(Check("dimension names", "fail", "a Zarr v3 array carrying the v2 attribute _ARRAY_DIMENSIONS",
                                node=path, key=key))
            continue
        named += 1
        group = path.rpartition("/")[0]
        if group in exempt:
            continue
        for name, size in zip(names, shape):
            first = lengths.setdefault((group, name), (size, path))
            if first[0] != size:
                checks.append(Check("dimension names", "fail", f"dimension {name!r} has length {size} here and "
                                    f"{first[0]} in {first[1]!r}: xarray cannot open the group", node=path, key=key))
    if not any(c.status == "fail" for c in checks):
        checks.append(Check("dimension names", "ok", f"{named} of {len(docs.arrays())} arrays name every dimension"))
    return checks


def cf_flag_checks(docs: Documents) -> list[Check]:
    """CF ``flag_masks`` / ``flag_meanings``: as many meanings as masks, powers of two that
    fit the data type; nothing at all when no array carries flags.

    Example:
        >>> d = Documents(nodes={"m": {"node_type": "array", "data_type": "uint8", "attributes": {
        ...     "flag_masks": [1, 3], "flag_meanings": "a b"}}})
        >>> [(c.status, c.detail) for c in cf_flag_checks(d)]
        [('fail', 'flag_masks [1, 3] are not all powers of two')]
    """
    checks: list[Check] = []
    seen = 0
    for path in docs.arrays():
        doc = docs.nodes[path]
        attrs = doc.get("attributes", {})
        if "flag_masks" not in attrs:
            continue
        seen += 1
        key = document_key(path, ".zattrs" if doc.get("zarr_format") == 2 else "zarr.json")
        masks, meanings = attrs["flag_masks"], attrs.get("flag_meanings", "")
        if not isinstance(masks, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in masks):
            checks.append(Check("CF flags", "fail", f"flag_masks {masks!r} is not a list of integers", node=path, key=key))
            continue
        if not isinstance(meanings, str):
            checks.append(Check("CF flags", "fail", "flag_meanings is not a string", node=path, key=key))
            continue
        words = meanings.split()
        if len(masks) != len(words):
            checks.append(Check("CF flags", "fail", f"{len(masks)} flag_masks but {len(words)} flag_meanings",
                                node=path, key=key))
        if any(m <= 0 or m & (m - 1) for m in masks):
            checks.append(Check("CF flags", "fail", f"flag_masks {masks} are not all powers of two", node=path, key=key))
        bits = min(32, _UNSIGNED_BITS.get(str(doc.get("data_type", doc.get("dtype"))), 64))
        if any(m >= 1 << bits for m in masks):
            checks.append(Check("CF flags", "fail", f"a flag bit beyond the {bits} bits of the data type",
                                node=path, key=key))
        planes = attrs.get("zarrkit", {}).get("planes") if isinstance(attrs.get("zarrkit"), dict) else None
        if planes is not None and len(planes) != len(masks):
            checks.append(Check("CF flags", "fail", "zarrkit.planes disagrees with flag_masks", node=path, key=key))
    if seen and not checks:
        checks.append(Check("CF flags", "ok", f"{seen} flag arrays"))
    return checks
