"""The hcs demo: a synthesised 2×3-well plate (fixed seed, no downloads), finalized,
validated and summarised.  2 fields, 2 channels, 3 z, 256² uint16 blobs with noise.

Example:
    >>> blobs(np.random.default_rng(0), (2, 3, 16, 16)).dtype
    dtype('uint16')
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import numpy as np

from zarrkit.formats.plugin import DemoResult

__all__ = ["blobs", "demo_plate", "demo_wells", "ome_models_errors", "write_demo", "write_tiffs"]

SEED = 20240611


def blobs(rng: np.random.Generator, shape: tuple[int, ...], count: int = 12) -> np.ndarray:
    """Gaussian 'nuclei' on a noisy background, one image per leading index."""
    *lead, h, w = shape
    y, x = np.mgrid[0:h, 0:w]
    out = np.empty(shape, np.uint16)
    for index in np.ndindex(*lead):
        img = rng.normal(100, 10, (h, w))
        for cy, cx, r, a in zip(rng.uniform(0, h, count), rng.uniform(0, w, count),
                                rng.uniform(h / 40 + 1, h / 12 + 2, count), rng.uniform(500, 3000, count)):
            img += a * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r))
        out[index] = np.clip(img, 0, 65535).astype(np.uint16)
    return out


def demo_wells(side: int = 256) -> list[dict[str, Any]]:
    """The demo's six wells as :meth:`PlateWriter.write_wells` items (fixed seed), with the
    instrument-style plane names of the default naming pattern in ``files``.

    Example:
        >>> items = demo_wells(side=8)
        >>> len(items), items[0]["well"], items[0]["fields"]["1"].shape, sorted(items[0]["files"])[0]
        (6, ('A', 1), (2, 3, 8, 8), 'A01_s1_w1_z01.tif')
    """
    rng = np.random.default_rng(SEED)
    items = []
    for row in "AB":
        for col in (1, 2, 3):
            fields = {str(f): blobs(rng, (2, 3, side, side)) for f in range(2)}
            files = {f"{row}{col:02d}_s{f + 1}_w{c + 1}_z{z + 1:02d}.tif": (str(f), None, c, z)
                     for f in range(2) for c in range(2) for z in range(3)}
            items.append({"well": (row, col), "fields": fields, "files": files})
    return items


def demo_plate(url: str, *, side: int = 256, tiff_dir: str | None = None) -> str:
    """Write the demo plate to ``url`` and finalize it; returns the store URL.

    With ``tiff_dir`` the planes are first written there as TIFF files, one per plane, and
    the plate is built from them by the importer (:func:`zarrkit.hcs.tiff_import.import_tiffs`):
    the same plate, byte for byte.

    Example:
        >>> demo_plate("memory://doc-demo", side=16)
        'memory://doc-demo'
    """
    from zarrkit.hcs import Channel, ImageSpec, PlateSpec, PlateWriter

    image = ImageSpec("czyx", "uint16", pixel_size=(0.65, 0.65), z_step=2.0,
                      channels=(Channel("DAPI", "0000FF", (100, 3000)), Channel("GFP", "00FF00", (100, 3000))))
    plate = PlateSpec.preset(6, name="demo")
    if tiff_dir is not None:
        from zarrkit.hcs.tiff_import import import_tiffs

        write_tiffs(tiff_dir, demo_wells(side))
        return import_tiffs(tiff_dir, url, plate=plate, image=image).url
    writer = PlateWriter.create(url, plate, image)
    writer.write_wells(demo_wells(side), executor="serial")
    writer.finalize()
    writer.close()
    return writer.url


def write_tiffs(directory: str, items: list[dict[str, Any]]) -> list[str]:
    """Write every plane named in the items' ``files`` as a one-page TIFF in ``directory``.

    Example:
        >>> import tempfile
        >>> len(write_tiffs(tempfile.mkdtemp(), demo_wells(side=8)[:1]))
        12
    """
    import tifffile

    os.makedirs(directory, exist_ok=True)
    written = []
    for item in items:
        for name, (fld, _t, c, z) in sorted(item["files"].items()):
            tifffile.imwrite(os.path.join(directory, name), item["fields"][fld][c, z])
            written.append(name)
    return written


def write_demo(directory: str, *, overwrite: bool, console: Any, tiff: bool = False) -> DemoResult:
    """The hcs part of ``zarrkit demo``: ``<directory>/plate.ome.zarr``, validated.

    ``tiff`` writes the planes to ``<directory>/tiff/`` first and imports them from there.
    """
    from rich.markup import escape

    from zarrkit.errors import PlateExistsError
    from zarrkit.hcs.summary import plate_summary, summary_lines
    from zarrkit.storage import open_store
    from zarrkit.validate import validate

    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "plate.ome.zarr")
    tiff_dir = os.path.join(directory, "tiff") if tiff else None
    if overwrite and os.path.isdir(target):
        shutil.rmtree(target)
        shutil.rmtree(target + ".staging", ignore_errors=True)
    if overwrite and tiff_dir:
        shutil.rmtree(tiff_dir, ignore_errors=True)
    if os.path.exists(target):  # checked before the TIFFs are written over an earlier run's
        raise PlateExistsError(f"{target}: the demo plate already exists; rerun with --overwrite to rebuild it")
    url = demo_plate(target, tiff_dir=tiff_dir)
    report = validate(url)
    # validate's ome-zarr-models check reads every root as an Image until it dispatches per OME
    # group type; until then the plate model is checked here, strictly, instead.
    failed = {c.name for c in report.checks if c.status == "fail"}
    ok = any(c.name == "hcs plate" and c.status == "ok" for c in report.checks)
    if failed == {"ome-zarr-models"}:
        ok &= ome_models_errors(url) == []
    else:
        ok &= not failed
    with open_store(url) as store:
        for line in summary_lines(plate_summary(store)):
            console.print(escape(line), soft_wrap=True)
    status = "valid" if ok else "INVALID (see zarrkit validate)"
    if tiff_dir:
        console.print(f"  imported from the TIFF planes in {escape(tiff_dir)}", soft_wrap=True)
    console.print(f"  plate: {escape(url)} — {status}", soft_wrap=True)
    return DemoResult(written=[url], ok=ok)


def ome_models_errors(url: str) -> list[str]:
    """ome-zarr-models' v05 HCS model over the whole plate, warnings as errors: [] when valid."""
    import warnings

    import zarr
    from ome_zarr_models.v05 import HCS

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            HCS.from_zarr(zarr.open_group(url, mode="r"))
    except Exception as err:  # pydantic's ValidationError, a warning raised as error, zarr errors
        return [f"{type(err).__name__}: {str(err).splitlines()[0]}"]
    return []
