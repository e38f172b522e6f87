"""zarrkit.image: astronomical image archives (image, variance, mask planes, PSF cells,
FITS headers, WCS) as one Zarr v3 group that xarray, CF and OME-Zarr 0.5 readers open.

Example:
    >>> import numpy as np
    >>> from zarrkit import image
    >>> arch = image.ImageArchive(np.zeros((8, 8), "f4"), mask=image.Mask.from_planes({"BAD": np.eye(8, dtype=bool)}))
    >>> url = image.write(arch, "memory://doc-image-pkg")
    >>> image.read(url).mask.plane("BAD").sum()
    np.int64(8)
"""

from zarrkit.image.fits import from_fits, to_fits
from zarrkit.image.model import CellGrid, Channel, ImageArchive, Mask, MaskPlane
from zarrkit.image.read import StoredArchive, read
from zarrkit.image.write import write
from zarrkit.image.xarray import to_xarray

__all__ = [
    "CellGrid",
    "Channel",
    "ImageArchive",
    "Mask",
    "MaskPlane",
    "StoredArchive",
    "from_fits",
    "read",
    "to_fits",
    "to_xarray",
    "write",
]
