"""Opening an image archive as an :class:`xarray.Dataset` (dask-backed, lazy).

Example:
    >>> import numpy as np
    >>> from zarrkit.image.model import ImageArchive, Mask
    >>> from zarrkit.image.write import write
    >>> m = Mask.from_planes({"BAD": np.eye(4, dtype=bool)})
    >>> _ = write(ImageArchive(np.ones((4, 4), "f4"), mask=m), "memory://doc-xr")
    >>> ds = to_xarray("memory://doc-xr", decode_mask=True)
    >>> sorted(ds.data_vars), int(ds["mask_BAD"].sum())
    (['image', 'mask', 'mask_BAD'], 4)
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_xarray"]


def to_xarray(archive_or_url: Any, *, level: int = 0, decode_mask: bool = False, storage_options=None):
    """The archive (root or pyramid level ``n``) as a Dataset with y/x coordinates and CF attributes."""
    import xarray as xr

    from zarrkit.image.read import StoredArchive, read
    from zarrkit.storage import ByteStore, open_store

    if isinstance(archive_or_url, StoredArchive):
        stored = archive_or_url
    elif isinstance(archive_or_url, ByteStore):
        stored = StoredArchive(archive_or_url)
    else:
        stored = read(open_store(archive_or_url, mode="r", options=storage_options))
    group = None if level == 0 else f"pyramid/{level}"
    ds = xr.open_zarr(stored.store.zarr_store(), group=group, consolidated=level == 0, zarr_format=3)
    if decode_mask and level == 0 and stored.mask is not None:
        mask = stored.mask
        for plane in mask.planes:
            ds[f"mask_{plane.name}"] = (("y", "x"), mask.plane(plane.name))
    return ds
