"""The real readers: ome-zarr-models on each OME group, xarray on the groups it can open,
GDAL (through rasterio) on each numeric array of a local folder or zip.

ome-zarr-models gets the class that matches what a group claims (``Image``,
``ImageLabel``, ``Labels``, ``HCS``, ``Well``, ``BioFormats2Raw``).  Its
``ValidationWarning`` means "read, but not strictly compliant": a warning, not a failure.

xarray opens a group as one Dataset, so it is asked to open each group that holds arrays,
except OME multiscale groups whose levels differ in size (no Dataset can hold them; the
OME checks judge those).  It is opened with ``consolidated=True`` only where the root has
consolidated metadata, so xarray's warning about its absence never arises.  When arrays
lack dimension names, an xarray refusal is a warning: the store was not made for xarray.

GDAL's Zarr driver shows an array as a raster: the last two axes are rows and columns, the
leading axes flattened into bands.  Each array is opened as ``ZARR:"<root>":/<path>`` and its
first band's first 64×64 pixels compared with zarrkit's reading.  A codec GDAL lacks (it
reads sharded arrays from GDAL 3.13, and has no ``crc32c``) is a skip naming the codec: a
limit of the installed GDAL, not a fault of the store.

Example:
    >>> model_for(["image", "label"]), model_for(["series"])
    ('ImageLabel', None)
"""

from __future__ import annotations

import warnings
from typing import Any

from zarrkit.errors import ZarrkitError
from zarrkit.validate.documents import Documents, document_key
from zarrkit.validate.generic import array_dimensions
from zarrkit.validate.report import Check

__all__ = ["gdal_checks", "model_for", "ome_model_checks", "xarray_checks"]

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


_GDAL_WINDOW = 64  # pixels per side compared with zarrkit's reading
_GDAL_MAX_ARRAYS = 64  # a plate holds thousands; the first ones tell whether GDAL reads the layout
_NUMERIC_KINDS = ("b", "i", "u", "f", "c")


def _gdal_root(store) -> str | None:
    """The path GDAL opens for this store: a local folder, or a local zip through /vsizip/."""
    if store.kind == "local":
        return store.root
    local_zip = getattr(store, "_path", None) or getattr(store, "path", None)
    if store.kind == "zip" and isinstance(local_zip, str):
        return f"/vsizip/{local_zip}"
    return None


def _gdal_refusal(err: BaseException, gdal_version: str) -> tuple[str, str]:
    """(status, detail) for GDAL refusing an array: a missing codec is GDAL's limit, a skip."""
    text = " ".join(str(err).split())
    if "Unsupported codec" in text:
        codec = text.rsplit(":", 1)[-1].strip()
        later = " (GDAL reads sharded arrays from 3.13)" if codec == "sharding_indexed" else ""
        return "skip", f"not read: GDAL {gdal_version} has no {codec} codec{later}"
    return "warn", f"GDAL {gdal_version} refuses it: {text[:300]}"


def _band_shape(shape: list[int]) -> tuple[int, int, int]:
    """(bands, rows, columns) GDAL shows for an array of ``shape``."""
    if len(shape) == 1:
        return 1, 1, shape[0]
    bands = 1
    for n in shape[:-2]:
        bands *= n
    return bands, shape[-2], shape[-1]


def _gdal_array_check(rasterio, store, root: str, path: str, doc: dict) -> Check:
    import numpy as np

    from zarrkit import core

    key = document_key(path, "zarr.json" if doc.get("zarr_format") == 3 else ".zarray")
    uri = f'ZARR:"{root}":/{path}' if path else f'ZARR:"{root}"'
    shape = [int(n) for n in doc.get("shape", [])]
    try:
        meta = core.read_metadata(store, path)
    except ZarrkitError as err:  # the document checks report what is wrong with it
        return Check("GDAL", "skip", f"not read: zarrkit cannot read its metadata ({type(err).__name__})",
                     node=path, key=key)
    if meta.dtype.kind not in _NUMERIC_KINDS:
        return Check("GDAL", "skip", f"not read: GDAL reads numeric arrays, this one is {meta.data_type.name}",
                     node=path, key=key)
    if not shape or 0 in shape:
        return Check("GDAL", "skip", "not read: the array holds no elements", node=path, key=key)
    expected = _band_shape(shape)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Dataset has no geotransform": a plain array has none
            with rasterio.open(uri) as ds:
                got = (ds.count, ds.height, ds.width)
                rows, cols = min(expected[1], _GDAL_WINDOW), min(expected[2], _GDAL_WINDOW)
                pixels = ds.read(1, window=((0, rows), (0, cols)))
    except Exception as err:  # noqa: BLE001 - GDAL refusing the array, however it does, is the verdict
        status, detail = _gdal_refusal(err, rasterio.__gdal_version__)
        return Check("GDAL", status, detail, node=path, key=key)
    if got != expected:
        return Check("GDAL", "fail", f"{uri} opens as {got[0]} band(s) of {got[1]}×{got[2]}, expected "
                     f"{expected[0]} of {expected[1]}×{expected[2]}", node=path, key=key)
    lead = (0,) * max(len(shape) - 2, 0)
    region = lead + ((slice(0, cols),) if len(shape) == 1 else (slice(0, rows), slice(0, cols)))
    ours = np.asarray(core.read_region(store, path, region)).reshape(pixels.shape)
    if not np.array_equal(pixels, ours.astype(pixels.dtype, copy=False), equal_nan=meta.dtype.kind in "fc"):
        return Check("GDAL", "fail", f"{uri}: band 1 differs from zarrkit's reading in the first "
                     f"{rows}×{cols} pixels", node=path, key=key)
    return Check("GDAL", "ok", f"GDAL {rasterio.__gdal_version__}: {expected[0]} band(s) of "
                 f"{expected[1]}×{expected[2]}, values equal", node=path, key=key)


def gdal_checks(store, docs: Documents) -> list[Check]:
    """Open each numeric array with GDAL's Zarr driver (via rasterio); one check per array.

    Example:
        >>> from zarrkit.storage import open_store
        >>> [c.detail for c in gdal_checks(open_store("memory://doc-gdal", mode="w"), Documents())][0][:12]
        'not checked:'
    """
    try:
        import rasterio
    except ImportError:
        return [Check("GDAL", "skip", "not checked: rasterio (GDAL) is not installed")]
    root = _gdal_root(store)
    if root is None:
        return [Check("GDAL", "skip", f"not checked: GDAL is asked only about local folders and zips, "
                      f"not a {store.kind} store")]
    arrays = [p for p in docs.arrays() if p not in docs.errors]
    if not arrays:
        return [Check("GDAL", "skip", "not checked: no array", node="")]
    checks = [_gdal_array_check(rasterio, store, root, p, docs.nodes[p]) for p in arrays[:_GDAL_MAX_ARRAYS]]
    if len(arrays) > _GDAL_MAX_ARRAYS:
        checks.append(Check("GDAL", "skip", f"not read: {len(arrays) - _GDAL_MAX_ARRAYS} more arrays "
                            f"(GDAL is asked about the first {_GDAL_MAX_ARRAYS})", node=""))
    return checks
