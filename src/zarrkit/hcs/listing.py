"""The plate's well list: found from the committed wells, written by ``finalize`` (or merged
under the plate-directory flock in incremental mode), never inferred from list order.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> scan_wells(s)
    WellScan(complete={}, incomplete=[], fields={})
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from zarrkit import core
from zarrkit.errors import SpecViolation
from zarrkit.hcs.geometry import PlateSpec
from zarrkit.hcs.layout import STATE_COMPLETE

__all__ = ["FinalizeReport", "WellScan", "check_field_shapes", "merge_listing", "plate_attributes", "remove_empty_rows",
           "scan_wells", "stored_children"]


@dataclass
class FinalizeReport:
    """What ``finalize()`` found: listed wells, wells still ``writing``, staging folders removed."""

    wells: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    removed_staging: list[str] = field(default_factory=list)
    removed_rows: list[str] = field(default_factory=list)


@dataclass
class WellScan:
    """Committed wells (path -> {acquisition: field count}) and wells that never completed."""

    complete: dict[str, dict[int, int]] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)  # complete well -> its field image paths


def _images(attrs: dict[str, Any]) -> list[dict[str, Any]] | None:
    well = (attrs.get("ome") or {}).get("well") if isinstance(attrs.get("ome"), dict) else None
    return well.get("images") if isinstance(well, dict) else None


def field_counts(images: list[dict[str, Any]]) -> dict[int, int]:
    """Fields per acquisition of one well (``acquisition`` absent counts as 0)."""
    counts: dict[int, int] = {}
    for image in images:
        acq = image.get("acquisition") or 0
        counts[acq] = counts.get(acq, 0) + 1
    return counts


def stored_children(store, path: str) -> list[tuple[str, Any]]:
    """The child nodes actually stored under ``path``, sorted by name.

    Unlike ``core.list_children`` this never answers from the consolidated block (which a
    read-only store would use): a well published after the last ``finalize()`` is in the
    store but not in that block, and finding such wells is what the scan is for.
    """
    from zarrkit.core.metadata import read_nodes

    prefix = f"{path}/" if path else ""
    names = sorted(p[:-1] for p in store.list_dir(prefix) if p.endswith("/") and p != "c/")
    metas = read_nodes(store, [f"{prefix}{name}" for name in names]) if names else []
    return [(name, meta) for name, meta in zip(names, metas) if meta is not None]


def scan_wells(store) -> WellScan:
    """Every ``<row>/<col>`` group in the store, sorted by path: complete or not."""
    scan = WellScan()
    for row, meta in stored_children(store, ""):
        if meta.node_type != "group":
            continue
        for col, wmeta in stored_children(store, row):
            attrs = wmeta.attributes
            images = _images(attrs)
            state = (attrs.get("zarrkit") or {}).get("state", STATE_COMPLETE)
            if images and state == STATE_COMPLETE:
                scan.complete[f"{row}/{col}"] = field_counts(images)
                scan.fields[f"{row}/{col}"] = [i["path"] for i in images]
            else:
                scan.incomplete.append(f"{row}/{col}")
    return scan


def check_field_shapes(store, scan: WellScan) -> None:
    """Every field of every complete well must have one level-0 shape and dtype.

    Each writer checks its wells against the wells published before it, but two writers
    that start on an empty plate at once each publish unchecked; this is where they meet.
    The most common shape wins; the wells that differ are named (rewrite them with
    ``overwrite=True``).

    Example:
        >>> from zarrkit.storage import open_store
        >>> check_field_shapes(open_store("memory://", mode="w"), WellScan())  # no wells: nothing to compare
    """
    from zarrkit.core.metadata import read_nodes

    paths = [f"{well}/{f}/0" for well, fields in scan.fields.items() for f in fields]
    found: dict[tuple, list[str]] = {}
    for path, meta in zip(paths, read_nodes(store, paths) if paths else []):
        key = (tuple(meta.shape), str(meta.dtype)) if meta is not None else ("no level-0 array", "")
        found.setdefault(key, []).append(path.rsplit("/", 2)[0])
    if len(found) > 1:
        common = max(found, key=lambda k: len(found[k]))
        odd = sorted({w for k, wells in found.items() if k != common for w in wells})
        detail = "; ".join(f"{' '.join(map(str, k))}: {sorted(set(found[k]))[:5]}" for k in found if k != common)
        raise SpecViolation(f"{store.url}: wells {odd} have fields unlike the other wells' {common[0]} {common[1]} "
                            f"({detail}); rewrite them with overwrite=True (every field of every well has one shape)")


def _max_counts(per_well) -> dict[int, int]:
    out: dict[int, int] = {}
    for counts in per_well:
        for acq, n in counts.items():
            out[acq] = max(out.get(acq, 0), n)
    return out


def plate_attributes(geometry: PlateSpec, complete: dict[str, dict[int, int]]) -> dict[str, Any]:
    """The root's ``ome`` block listing ``complete`` wells; no wells -> SpecViolation
    (``plate.wells`` must not be empty)."""
    if not complete:
        raise SpecViolation(f"plate {geometry.name!r}: no complete well to list (write a well first)")
    unknown = {a for counts in complete.values() for a in counts} - set(geometry.acquisition_ids())
    if unknown:
        raise SpecViolation(f"plate {geometry.name!r}: wells use undeclared acquisitions {sorted(unknown)}")
    plate = geometry.plate(list(complete), field_counts=_max_counts(complete.values()))
    return {"ome": {"version": plate.version, "plate": plate.to_dict()}}


def remove_empty_rows(store, complete: dict[str, Any], incomplete: list[str], remove_row=None) -> list[str]:
    """Drop row groups holding no well (a row group is written only for rows with wells).

    ``remove_row(row) -> bool`` is the publisher's: it removes only the row's own document
    (never what is below it) and puts it back when a well arrived meanwhile, so a writer
    racing a finalize never loses its well.
    """
    used = {p.split("/")[0] for p in [*complete, *incomplete]}
    removed = []
    for row, meta in core.list_children(store, ""):
        if meta.node_type == "group" and row not in used and not core.list_children(store, row):
            if remove_row is None:
                core.delete_node(store, row, missing_ok=True)
                removed.append(row)
            elif remove_row(row):
                removed.append(row)
    if removed:
        core.invalidate(store, "")
    return removed


def merge_listing(store, geometry: PlateSpec, well: str, counts: dict[int, int]) -> None:
    """Incremental mode: add one well to the root's listing (call under the plate lock).

    The root is rewritten whole (temp + rename on local folders) without its consolidated
    block, which no longer matches; ``finalize()`` consolidates again.
    """
    doc = json.loads(store.get("zarr.json"))
    attrs = doc.get("attributes", {})
    plate = (attrs.get("ome") or {}).get("plate") or {}
    maxima = {a["id"]: a["maximumfieldcount"] for a in plate.get("acquisitions", []) if a.get("maximumfieldcount")}
    # Per-well counts are not stored in the plate: each listed well stands in with the stored
    # maxima, which gives the same maxima once the new well's counts are added.
    wells = {w["path"]: maxima for w in plate.get("wells", [])}
    wells[well] = counts
    doc.pop("consolidated_metadata", None)
    doc["attributes"] = {**attrs, **plate_attributes(geometry, wells)}
    store.set("zarr.json", json.dumps(doc, indent=2).encode())
    core.invalidate(store, "")
