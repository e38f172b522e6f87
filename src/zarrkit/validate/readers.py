"""The real readers: ome-zarr-models on each OME group, xarray on the groups it can open.

ome-zarr-models gets the class that matches what a group claims (``Image``,
``ImageLabel``, ``Labels``, ``HCS``, ``Well``, ``BioFormats2Raw``).  Its
``ValidationWarning`` means "read, but not strictly compliant": a warning, not a failure.

xarray opens a group as one Dataset, so it is asked to open each group that holds arrays,
except OME multiscale groups whose levels differ in size (no Dataset can hold them; the
OME checks judge those).  It is opened with ``consolidated=True`` only where the root has
consolidated metadata, so xarray's warning about its absence never arises.  When arrays
lack dimension names, an xarray refusal is a warning: the store was not made for xarray.

Example:
    >>> model_for(["image", "label"]), model_for(["series"])
    ('ImageLabel', None)
"""

from __future__ import annotations

import warnings
from typing import Any

from zarrkit.validate.documents import Documents, document_key
from zarrkit.validate.generic import array_dimensions
from zarrkit.validate.report import Check

__all__ = ["model_for", "ome_model_checks", "xarray_checks"]

#: the first matching kind decides the class (a bioformats2raw plate is checked as a plate)
_MODELS = (("label", "ImageLabel"), ("image", "Image"), ("plate", "HCS"), ("well", "Well"), ("labels", "Labels"),
           ("bioformats2raw", "BioFormats2Raw"))


def model_for(kinds: list[str]) -> str | None:
    """The ome_zarr_models.v05 class name for a group claiming ``kinds``, or ``None``."""
    for kind, name in _MODELS:
        if kind in kinds:
            return name
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {' '.join(text[:3])[:300]}"


def ome_model_checks(store, docs: Documents, claimed: dict[str, list[str]]) -> list[Check]:
    """One ome-zarr-models verdict per OME 0.5 group (others were reported by the OME checks)."""
    todo = {p: k for p, k in claimed.items() if p not in docs.errors
            and docs.nodes[p].get("attributes", {}).get("ome", {}).get("version") == "0.5"}
    if not todo:
        return []
    try:
        import zarr
        from ome_zarr_models import v05
        from ome_zarr_models.exceptions import ValidationWarning
    except ImportError as err:
        return [Check("ome-zarr-models", "skip", f"not checked: {err}")]
    checks = []
    root = zarr.open_group(store.zarr_store(), mode="r", zarr_format=3)
    for path, kinds in sorted(todo.items()):
        key = document_key(path)
        name = model_for(kinds)
        if name is None:
            checks.append(Check("ome-zarr-models", "skip", f"not checked: ome-zarr-models has no class for "
                                f"a {', '.join(kinds)} group", node=path, key=key))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                group = root[path] if path else root
                getattr(v05, name).from_zarr(group)
        except Exception as err:  # noqa: BLE001 - the reader refusing the group, however it does, is the verdict
            checks.append(Check("ome-zarr-models", "fail", f"v05 {name}: {_first_line(err)}", node=path, key=key))
            continue
        notes = sorted({str(w.message) for w in caught if issubclass(w.category, ValidationWarning)})
        if notes:
            checks.append(Check("ome-zarr-models", "warn", f"v05 {name} reads it, noting: {'; '.join(notes)}",
                                node=path, key=key))
        else:
            checks.append(Check("ome-zarr-models", "ok", f"v05 {name}", node=path, key=key))
    return checks


def _xarray_groups(docs: Documents, claimed: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(groups xarray is asked to open, OME multiscale groups it is not)."""
    with_arrays = sorted({p.rpartition("/")[0] for p in docs.arrays()})
    opened, skipped = [], []
    for group in with_arrays:
        if group not in docs.nodes:
            continue
        if "image" in claimed.get(group, []) and _lengths_differ(docs, group):
            skipped.append(group)
        else:
            opened.append(group)
    return opened, skipped


def _lengths_differ(docs: Documents, group: str) -> bool:
    seen: dict[Any, Any] = {}
    for path in docs.children(group):
        doc = docs.nodes[path]
        if doc.get("node_type") == "array" and isinstance(array_dimensions(doc), list):
            for name, size in zip(array_dimensions(doc), doc.get("shape", [])):
                if seen.setdefault(name, size) != size:
                    return True
    return False


def xarray_checks(store, docs: Documents, claimed: dict[str, list[str]]) -> list[Check]:
    """Open each group that holds arrays with ``xarray.open_zarr``; one check per group."""
    if docs.root is None:
        return []
    opened, skipped = _xarray_groups(docs, claimed)
    checks = [Check("xarray", "skip", "not opened: OME multiscale levels differ in size, so no one Dataset holds "
                    "them (the OME checks judge this group)", node=g, key=document_key(g)) for g in skipped]
    if not opened:
        return checks or [Check("xarray", "skip", "not opened: no group holds arrays", node="")]
    try:
        import xarray as xr
    except ImportError:
        return checks + [Check("xarray", "skip", "not checked: xarray is not installed")]
    zarr_format = docs.zarr_format if docs.zarr_format in (2, 3) else 3
    for group in opened:
        names = [array_dimensions(docs.nodes[p]) for p in docs.children(group) if docs.nodes[p].get("node_type") == "array"]
        unnamed = any(not isinstance(n, list) or not all(isinstance(x, str) for x in n) for n in names)
        consolidated = group == "" and docs.consolidated is not None
        key = document_key(group, "zarr.json" if zarr_format == 3 else ".zgroup")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ds = xr.open_zarr(store.zarr_store(), group=group or None, zarr_format=zarr_format,
                                  consolidated=consolidated)
                variables = sorted(map(str, ds.data_vars))
                ds.close()
        except Exception as err:  # noqa: BLE001 - xarray refusing the group, however it does, is the verdict
            status = "warn" if unnamed else "fail"
            why = " (arrays without dimension names are not meant for xarray)" if unnamed else ""
            checks.append(Check("xarray", status, f"open_zarr(group={group!r}): {_first_line(err)}{why}",
                                node=group, key=key))
            continue
        notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        detail = f"open_zarr(group={group!r}, consolidated={consolidated}): variables {', '.join(variables) or 'none'}"
        if notes:
            checks.append(Check("xarray", "warn", f"{detail}; warned {'; '.join(notes)[:300]}", node=group, key=key))
        else:
            checks.append(Check("xarray", "ok", detail, node=group, key=key))
    return checks
