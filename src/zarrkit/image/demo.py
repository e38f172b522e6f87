"""The image part of ``zarrkit demo``: astropy's own sample FITS files as archives.

The files are found through astropy's package data (never by path, never downloaded).
Each archive is validated, and m13 goes FITS → Zarr → FITS and must come back byte for byte.
"""

from __future__ import annotations

import os
from typing import Any

from rich.markup import escape

from zarrkit.formats.plugin import DemoResult

__all__ = ["SAMPLES", "write_samples"]

SAMPLES = {
    "m13": ("data/m13.fits", "astropy.io.fits.hdu.compressed.tests"),
    "sip-wcs": ("data/sip-wcs.fits", "astropy.nddata.tests"),
    "1904-66_AZP": ("data/1904-66_AZP.fits", "astropy.modeling.tests"),
    "o4sp040b0_raw": ("data/o4sp040b0_raw.fits", "astropy.io.fits.tests"),
}


def write_samples(directory: str, *, overwrite: bool, console: Any, show_info: bool = False) -> DemoResult:
    """Convert the samples into ``directory`` (``<name>.zarr`` each); ``show_info`` prints
    ``zarrkit info`` of each archive too."""
    try:
        from astropy.utils.data import get_pkg_data_filename

        from zarrkit import image
        from zarrkit.validate import validate
    except ImportError as err:
        return DemoResult(ok=False, skipped=f"{err} (pip install 'zarrkit[image]')")
    result = DemoResult()
    os.makedirs(directory, exist_ok=True)
    for name, (path, package) in SAMPLES.items():
        try:
            src = get_pkg_data_filename(path, package=package)
        except Exception:
            console.print(f"  image sample {path} is not in this astropy install; skipped")
            continue
        target = os.path.join(directory, f"{name}.zarr")
        image.write(image.from_fits(src), target, overwrite=overwrite)
        report = validate(target)
        result.ok &= report.passed
        status = "valid" if report.passed else "INVALID (see zarrkit validate)"
        console.print(f"  {escape(name)}: {escape(target)} — {status}", soft_wrap=True)
        if show_info:
            from zarrkit.image.summary import archive_summary, summary_lines
            from zarrkit.storage import open_store

            with open_store(target) as store:
                for line in summary_lines(archive_summary(store)):
                    console.print(escape(line), soft_wrap=True)
        if name == "m13":
            back = os.path.join(directory, "m13-roundtrip.fits")
            image.to_fits(target, back, overwrite=True)
            with open(src, "rb") as a, open(back, "rb") as b:
                same = a.read() == b.read()
            result.ok &= same
            console.print(f"  m13 FITS → Zarr → FITS byte-identical: {same}")
        result.written.append(target)
    return result
