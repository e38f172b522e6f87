"""``zarrkit demo``: build the sample stores into one folder and show them.

Each domain adds its part here.  The core part is a small v3 group with two arrays on the
same (y, x) grid, so xarray opens it as one Dataset: a chunked float field and a sharded
label image, written through :mod:`zarrkit.core` (zarr-python and xarray read it back in
the tests).
"""

from __future__ import annotations

import os

import numpy as np
from rich.console import Console
from rich.markup import escape

from zarrkit import core
from zarrkit.cli.info import render_tree
from zarrkit.core.tree import describe_tree
from zarrkit.errors import ContainsDataError
from zarrkit.storage import open_store

DEFAULT_DIR = "zarrkit-demo"


def sample_field(n: int = 256) -> np.ndarray:
    """A smooth, deterministic float32 field (two Gaussian bumps on a gradient)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    bumps = np.exp(-((x - 0.3) ** 2 + (y - 0.4) ** 2) / 0.01) + 0.5 * np.exp(-((x - 0.7) ** 2 + (y - 0.6) ** 2) / 0.02)
    return (10.0 + 5.0 * x + 20.0 * bumps).astype(np.float32)


def write_core_sample(url: str, *, overwrite: bool = False) -> str:
    """Write the core sample group to ``url`` through zarrkit's core API; returns the store's URL."""
    field_data = sample_field()
    labels = (field_data > 20).astype(np.uint8) + (field_data > 25).astype(np.uint8)
    with open_store(url, mode="w", overwrite=overwrite) as store:
        core.create_group(store, "", attributes={"title": "zarrkit core sample"})
        temp = core.create_array(store, "temperature", core.array_metadata(
            field_data.shape, "float32", (64, 64),
            compressors=[{"name": "zstd", "configuration": {"level": 3, "checksum": False}}],
            dimension_names=("y", "x"), attributes={"units": "degC", "long_name": "synthetic temperature"},
        ))
        core.write_region(store, "temperature", ..., field_data, metadata=temp)
        lab = core.create_array(store, "labels", core.array_metadata(
            labels.shape, "uint8", (32, 32), shards=(128, 128),
            compressors=[{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 5}}],
            dimension_names=("y", "x"),
            attributes={"flag_values": [0, 1, 2], "flag_meanings": "background warm hot"},
        ))
        core.write_region(store, "labels", ..., labels, metadata=lab)
        core.consolidate(store)
        return store.url


IMAGE_SAMPLES = {
    "m13": ("data/m13.fits", "astropy.io.fits.hdu.compressed.tests"),
    "sip-wcs": ("data/sip-wcs.fits", "astropy.nddata.tests"),
    "1904-66_AZP": ("data/1904-66_AZP.fits", "astropy.modeling.tests"),
    "o4sp040b0_raw": ("data/o4sp040b0_raw.fits", "astropy.io.fits.tests"),
}


def write_image_samples(directory: str, *, overwrite: bool, console: Console, show_info: bool = False) -> tuple[list[str], bool]:
    """Convert astropy's sample FITS files (found through astropy, never by path) to archives.

    Returns the archives written and whether every check passed (each archive valid, the
    m13 round trip byte-identical).  ``show_info`` prints ``zarrkit info`` for each.
    """
    try:
        from astropy.utils.data import get_pkg_data_filename

        from zarrkit import image
        from zarrkit.validate import validate
    except ImportError as err:
        console.print(f"image samples skipped: {escape(str(err))} (pip install 'zarrkit[image]')")
        return [], False
    written, ok = [], True
    for name, (path, package) in IMAGE_SAMPLES.items():
        try:
            src = get_pkg_data_filename(path, package=package)
        except Exception:
            console.print(f"image sample {path} is not in this astropy install; skipped")
            continue
        target = os.path.join(directory, "image", f"{name}.zarr")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        image.write(image.from_fits(src), target, overwrite=overwrite)
        report = validate(target)
        ok &= report.passed
        status = "valid" if report.passed else "INVALID (see zarrkit validate)"
        console.print(f"  {escape(name)}: {escape(target)} — {status}", soft_wrap=True)
        if show_info:
            from zarrkit.cli.info import run_info

            run_info(target, False, console)
        if name == "m13":
            back = os.path.join(directory, "image", "m13-roundtrip.fits")
            image.to_fits(target, back, overwrite=True)
            with open(src, "rb") as a, open(back, "rb") as b:
                same = a.read() == b.read()
            ok &= same
            console.print(f"  m13 FITS → Zarr → FITS byte-identical: {same}")
        written.append(target)
    return written, ok


def run_demo(directory: str | None, overwrite: bool, console: Console) -> str:
    """Build every sample under ``directory`` and print what was written."""
    directory = os.path.abspath(directory or DEFAULT_DIR)
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "core.zarr")
    try:
        url = write_core_sample(target, overwrite=overwrite)
    except ContainsDataError as err:
        raise ContainsDataError(f"{err.detail}; rerun with --overwrite to rebuild the demo", url=err.url) from err
    with open_store(target) as store:
        console.print(render_tree(describe_tree(store)))
    console.print(f"\nWrote the core sample to [bold]{escape(url)}[/bold]", soft_wrap=True)
    console.print("Image archives from astropy's sample FITS files:")
    write_image_samples(directory, overwrite=overwrite, console=console)
    console.print(f"Look again with: zarrkit info {escape(target)}", soft_wrap=True)
    return directory
