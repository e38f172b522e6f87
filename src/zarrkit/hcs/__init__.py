"""High-content-screening plates as OME-Zarr 0.5 on Zarr v3, safe under many writers.

``PlateSpec`` and ``ImageSpec`` say what a plate looks like, ``PlateWriter`` writes it (one
well at a time, from any number of threads, processes or machines), ``PlateReader`` reads
it, and ``FileBackend`` gives pipelines that address images by file name a file-like view.

Example:
    >>> import numpy as np
    >>> from zarrkit import hcs
    >>> w = hcs.PlateWriter.create("memory://doc-hcs", hcs.PlateSpec.preset(96, name="s1"),
    ...                            hcs.ImageSpec("czyx", channels=["DAPI:0000FF"]))
    >>> w.write_well("B03", {"0": np.ones((1, 2, 32, 32), "uint16")})
    'B/3'
    >>> _ = w.finalize()
    >>> r = hcs.PlateReader("memory://doc-hcs")
    >>> [x.path for x in r.wells()], r.plane("B/3", "0", z=1).shape
    (['B/3'], (32, 32))
"""

from importlib import import_module
from typing import Any

# Loaded on first use: the format plug-in (zarrkit.hcs.format) is imported by every CLI start,
# and importing this package must not pull in numpy, the writer or the reader.
_LAZY = {
    "Acquisition": "zarrkit.conventions.ome", "PlateSpec": "zarrkit.hcs.geometry",
    "Channel": "zarrkit.hcs.image_spec", "Compression": "zarrkit.hcs.image_spec",
    "ImageSpec": "zarrkit.hcs.image_spec", "Layout": "zarrkit.hcs.image_spec",
    "FinalizeReport": "zarrkit.hcs.listing", "LazyImage": "zarrkit.hcs.reader", "PlateReader": "zarrkit.hcs.reader",
    "WellRef": "zarrkit.hcs.reader", "Planes": "zarrkit.hcs.writer", "PlateWriter": "zarrkit.hcs.writer",
    "FileBackend": "zarrkit.hcs.backend", "FileConfig": "zarrkit.hcs.backend",
}
_LAYOUTS = {"SHARDED": "SHARDED", "PLANE": "PLANE", "WELL": "WELL"}

__all__ = ["Acquisition", "Channel", "Compression", "FileBackend", "FileConfig", "FinalizeReport", "ImageSpec",
           "LazyImage", "Layout", "PLANE", "Planes", "PlateReader", "PlateSpec", "PlateWriter", "SHARDED", "WELL",
           "WellRef"]


def __getattr__(name: str) -> Any:
    if name in _LAYOUTS:
        return getattr(import_module("zarrkit.hcs.image_spec").Layout, name)
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zarrkit.hcs' has no attribute {name!r}")
