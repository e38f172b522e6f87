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

from zarrkit.conventions.ome import Acquisition
from zarrkit.hcs.geometry import PlateSpec
from zarrkit.hcs.image_spec import Channel, Compression, ImageSpec, Layout
from zarrkit.hcs.listing import FinalizeReport
from zarrkit.hcs.reader import LazyImage, PlateReader, WellRef
from zarrkit.hcs.writer import Planes, PlateWriter

SHARDED, PLANE, WELL = Layout.SHARDED, Layout.PLANE, Layout.WELL

__all__ = ["Acquisition", "Channel", "Compression", "FinalizeReport", "ImageSpec", "LazyImage", "Layout", "PLANE",
           "Planes", "PlateReader", "PlateSpec", "PlateWriter", "SHARDED", "WELL", "WellRef"]
