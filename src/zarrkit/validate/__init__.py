"""One report for any store: which conventions it claims and whether real readers accept it.

``validate`` reads every node's document once (:mod:`.documents`), then runs, in order:
the generic checks every store gets (:mod:`.generic`: documents, consolidated metadata,
dimension names, CF flags), the checks of each registered format that claims the root
(``zarrkit.formats.registry``; image is one), the OME-Zarr checks of every group that
claims an OME kind (:mod:`.ome`), the real readers (:mod:`.readers`: ome-zarr-models,
xarray, GDAL) and, with ``deep=True``, every chunk (:mod:`.deep`).  Each check is ``ok``,
``warn``, ``fail`` or ``skip`` (not checked) and names its node and key; a malformed
document is a failed check, never an exception.  Nothing is written to the store.

This module imports no domain: formats are found through the registry when a store
claims one.

Example:
    >>> import numpy as np
    >>> from zarrkit import image
    >>> url = image.write(image.ImageArchive(np.zeros((4, 4), "f4")), "memory://doc-validate")
    >>> report = validate(url)
    >>> report.passed, [c.status for c in report.checks if c.name == "OME 0.5 schema"]
    (True, ['ok'])
    >>> [c.detail for c in report.checks if c.name == "chunks"]
    ['not checked: chunk data was not read (run with --deep to decode every chunk)']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zarrkit.errors import ZarrkitError
from zarrkit.storage import open_store
from zarrkit.validate.report import Check, CheckContext, Report

__all__ = ["Check", "CheckContext", "Report", "validate"]


def validate(target: Any, *, storage_options: dict[str, Any] | None = None, deep: bool = False) -> Report:
    """Run every applicable check on the store at ``target`` (a URL, a path or an open store).

    A store that does not exist raises the usual zarrkit storage error; anything wrong
    inside an existing store is a failed check in the report.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://doc-plain", mode="w")
        >>> s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
        >>> r = validate(s)
        >>> r.passed, [c.status for c in r.checks if c.name == "consolidated metadata"]
        (True, ['warn'])
    """
    from zarrkit.validate import deep as deep_checks
    from zarrkit.validate import generic, ome, readers
    from zarrkit.validate.documents import read_documents

    store = target if hasattr(target, "list_dir") and hasattr(target, "get") else open_store(
        target, mode="r", options=storage_options)
    report = Report(store.url)
    docs = read_documents(store)
    claimed = ome.claimed_groups(docs)
    attrs = (docs.root or {}).get("attributes", {})
    report.conventions.extend(_conventions(docs, claimed))

    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("documents", lambda: generic.document_checks(docs)),
        ("consolidated metadata", lambda: generic.consolidated_checks(store, docs)),
        ("dimension names", lambda: generic.dimension_checks(
            docs, multiscale_groups=[p for p, k in claimed.items() if "image" in k])),
        ("CF flags", lambda: generic.cf_flag_checks(docs)),
    ]
    replaced: dict[str, str] = {}  # generic check -> why a claiming format replaces it
    if docs.root is not None:
        from zarrkit.formats import registry

        context = CheckContext(store, docs.root, docs.nodes, {p: f"{e.key}: {e.message}" for p, e in docs.errors.items()},
                               consolidated=docs.consolidated is not None, deep=deep)
        for fmt in registry.claiming(attrs):
            steps.append((f"{fmt.name} format", lambda fmt=fmt: list(fmt.checks(context))))
            replaced.update({name: f"{why} (the {fmt.name} format's checks apply)"
                             for name, why in fmt.replaces_checks.items()})
    steps += [
        ("OME", lambda: ome.ome_checks(docs)),
        ("ome-zarr-models", lambda: readers.ome_model_checks(store, docs, claimed)),
        ("xarray", lambda: readers.xarray_checks(store, docs, claimed)),
        ("GDAL", lambda: readers.gdal_checks(store, docs)),
        ("chunks", (lambda: deep_checks.chunk_checks(store, docs)) if deep else (lambda: [deep_checks.not_read()])),
    ]
    for name, run in steps:
        if name in replaced:
            report.add(name, "skip", replaced[name])
            continue
        try:
            report.extend(run())
        except ZarrkitError as err:  # a broken node is a failed check, not a crashed report
            report.add(name, "fail", f"{type(err).__name__}: {err}")
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:  # metadata of the wrong shape
            report.add(name, "fail", f"malformed metadata: {type(err).__name__}: {err}")
    return report


def _conventions(docs, claimed: dict[str, list[str]]) -> list[str]:
    """What the store claims, in words: Zarr format, OME kinds per group, the zarrkit marker."""
    out = []
    if docs.zarr_format is not None:
        out.append(f"zarr v{docs.zarr_format}")
    kinds = sorted({k for ks in claimed.values() for k in ks})
    if kinds:
        versions = sorted({str(docs.nodes[p]["attributes"]["ome"].get("version")) for p in claimed})
        out.append(f"ome {'/'.join(versions)} ({', '.join(kinds)})")
    marker = (docs.root or {}).get("attributes", {}).get("zarrkit")
    if isinstance(marker, dict):
        out.append(f"zarrkit {marker.get('format')} {marker.get('version')}")
    return out
