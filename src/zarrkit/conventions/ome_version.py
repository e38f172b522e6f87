"""The OME-Zarr version zarrkit writes, in one place for the image and the plate objects.

Example:
    >>> VERSION
    '0.5'
"""

__all__ = ["VERSION"]

VERSION = "0.5"
