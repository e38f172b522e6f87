"""Reading image archives lazily: one GET opens an archive, cutouts touch only their chunks.

Example:
    >>> import numpy as np
    >>> from zarrkit.image.model import ImageArchive
    >>> from zarrkit.image.write import write
    >>> _ = write(ImageArchive(np.arange(16, dtype="i2").reshape(4, 4), origin=(10, 0)), "memory://doc-read")
    >>> a = read("memory://doc-read")
    >>> a.image[1:3, 1:3].tolist(), a.cutout(slice(1, 3), slice(1, 3)).origin
    ([[5, 6], [9, 10]], (11, 1))
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.errors import NodeNotFoundError
from zarrkit.formats.archive import OpenedArchive, open_archive
from zarrkit.image import layout
from zarrkit.image.model import (
    CellGrid,
    Channel,
    ImageArchive,
    Mask,
    MaskPlane,
    mask_dtype,
)
from zarrkit.storage import open_store

__all__ = ["read", "StoredArchive"]


def read(url: Any, *, storage_options: dict[str, Any] | None = None) -> "StoredArchive":
    """Open an archive for reading; arrays are lazy :class:`zarrkit.core.Array` handles."""
    store = open_store(url, mode="r", options=storage_options)
    return StoredArchive(store)


class StoredArchive:
    """An image archive in a store: the fields of :class:`ImageArchive`, loaded on access."""

    def __init__(self, store, level: int = 0, *, opened: OpenedArchive | None = None) -> None:
        opened = opened or open_archive(store, format=layout.FORMAT, reads_major=layout.READS_MAJOR)
        self._opened = opened
        self.store = opened.store
        attrs = opened.attributes
        self.info = opened.marker.to_dict()
        self.attributes = attrs
        self.contents = self.info.get("contents", {})
        self.level_index = level
        self.name = attrs.get("ome", {}).get("multiscales", [{}])[0].get("name", "image")
        self.origin = tuple(self.info.get("origin", (0, 0)))
        if level:
            self.origin = tuple(o + (2**level - 1) / 2 for o in self.origin)

    # ------------------------------------------------------------------ nodes
    def _array(self, path: str) -> core.Array:
        return self._opened.array(path)

    @cached_property
    def image(self) -> core.Array:
        levels = ["image", *self.contents.get("pyramid", [])]
        return self._array(levels[self.level_index])

    @cached_property
    def variance(self) -> core.Array | None:
        return self._array("variance") if "variance" in self.contents and not self.level_index else None

    @cached_property
    def psf(self) -> core.Array | None:
        return self._array("psf") if "psf" in self.contents and not self.level_index else None

    @cached_property
    def mask(self) -> Mask | None:
        names = self.contents.get("mask")
        if not names or self.level_index:
            return None
        return self._mask_region((slice(None), slice(None)))

    def _mask_region(self, sel) -> Mask:
        words = [(path, 0 if path == "mask" else int(path.split("_")[1])) for path in self.contents["mask"]]
        arrays = {path: self._array(path) for path, _ in words}
        planes = [MaskPlane(p["name"], int(p["bit"]), p.get("description", ""))
                  for path, _ in words for p in arrays[path].metadata.attributes.get("zarrkit", {}).get("planes", [])]
        planes.sort(key=lambda p: p.bit)
        # Combine straight into the dtype Mask wants, so a one-word mask is not widened to
        # uint64 and re-checked: for the common uint8/16/32 mask this is the stored array.
        dtype = mask_dtype(max((p.bit for p in planes), default=0))
        combined = None
        for path, word in words:
            part = np.asarray(arrays[path][sel]).astype(dtype, copy=False)
            if word:
                part = part << dtype.type(32 * word)
            combined = part if combined is None else combined | part
        return Mask(combined, planes)

    @cached_property
    def cells(self) -> CellGrid | None:
        c = self.info.get("cells")
        return CellGrid(tuple(c["cell_shape"]), tuple(c["grid_shape"])) if c else None

    @cached_property
    def channels(self) -> list[Channel] | None:
        chans = self.info.get("channels")
        return [Channel(c["name"], c["color"]) for c in chans] if chans else None

    def _header_bytes(self, path: str) -> bytes:
        return layout.array_to_header_bytes(self._array(path)[...])

    @cached_property
    def header(self):
        path = self.contents.get("header")
        if not path:
            return None
        from astropy.io import fits

        return fits.Header.fromstring(self._header_bytes(path).decode("ascii"))

    @cached_property
    def raw_headers(self) -> dict[str, bytes]:
        """The stored header bytes, exactly as written (``primary`` and each source HDU)."""
        out = {}
        if self.contents.get("header"):
            out["primary"] = self._header_bytes(self.contents["header"])
        for component, path in (self.contents.get("hdu_headers") or {}).items():
            out[component] = self._header_bytes(path)
        return out

    @cached_property
    def hdu_headers(self) -> dict[str, Any]:
        from astropy.io import fits

        return {k: fits.Header.fromstring(v.decode("ascii")) for k, v in self.raw_headers.items() if k != "primary"}

    @cached_property
    def wcs(self):
        path = self.contents.get("wcs")
        if not path:
            return None
        import warnings

        from astropy.io import fits
        from astropy.wcs import WCS, FITSFixedWarning

        hdr = fits.Header.fromstring(self._header_bytes(path).decode("ascii"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            wcs = WCS(hdr, relax=True)
        return wcs.slice((slice(None, None, 2**self.level_index),) * 2) if self.level_index else wcs

    @cached_property
    def unit(self):
        units = self.image.metadata.attributes.get("units")
        if units is None:
            return None
        try:
            from astropy import units as u

            return u.Unit(units, format="fits") if units != "1" else u.dimensionless_unscaled
        except Exception:
            return units

    @cached_property
    def metadata(self) -> dict[str, Any]:
        path = self.contents.get("metadata")
        if not path:
            return {}
        return json.loads(bytes(self._array(path)[...]).decode("utf-8"))

    @property
    def kind(self) -> str:
        return self.info.get("kind", "image")

    @property
    def fits_info(self) -> dict[str, Any] | None:
        return self.info.get("fits")

    # ------------------------------------------------------------------ views
    def level(self, n: int) -> "StoredArchive":
        """Pyramid level ``n`` (0 is full resolution), lazy; only the image has levels."""
        levels = ["image", *self.contents.get("pyramid", [])]
        if not 0 <= n < len(levels):
            raise NodeNotFoundError(f"no pyramid level {n} (levels 0..{len(levels) - 1})", url=self.store.url, path="")
        return StoredArchive(self.store, level=n, opened=self._opened)

    def cutout(self, ys: slice, xs: slice, frame: str = "local") -> ImageArchive:
        """A materialised archive of rows ``ys`` and columns ``xs``; ``frame="parent"`` offsets by origin."""
        if frame not in ("local", "parent"):
            raise ValueError("frame must be 'local' or 'parent'")
        if frame == "parent":
            oy, ox = (int(o) for o in self.origin)
            ys = slice(ys.start - oy if ys.start is not None else None, ys.stop - oy if ys.stop is not None else None)
            xs = slice(xs.start - ox if xs.start is not None else None, xs.stop - ox if xs.stop is not None else None)
        h, w = self.image.shape[-2:]
        y0, y1, _ = ys.indices(h)
        x0, x1, _ = xs.indices(w)
        sel = (Ellipsis, slice(y0, y1), slice(x0, x1))
        mask = self._mask_region(sel[1:]) if self.contents.get("mask") and not self.level_index else None
        wcs = self.wcs.slice((slice(y0, y1), slice(x0, x1))) if self.wcs is not None else None
        return ImageArchive(
            image=self.image[sel],
            variance=self.variance[sel] if self.variance is not None else None,
            mask=mask,
            header=self.header,
            wcs=wcs,
            unit=self.unit,
            channels=self.channels,
            metadata=self.metadata,
            origin=(int(self.origin[0]) + y0, int(self.origin[1]) + x0),
            name=self.name,
        )

    def load(self) -> ImageArchive:
        """Everything in memory as an :class:`ImageArchive`."""
        return ImageArchive(
            image=self.image[...],
            variance=self.variance[...] if self.variance is not None else None,
            mask=self.mask,
            psf=self.psf[...] if self.psf is not None else None,
            cells=self.cells,
            header=self.raw_headers.get("primary"),
            hdu_headers={k: v for k, v in self.raw_headers.items() if k != "primary"},
            wcs=self.wcs,
            unit=self.unit,
            channels=self.channels,
            metadata=self.metadata,
            origin=tuple(int(o) for o in self.info.get("origin", (0, 0))),
            name=self.name,
            fits_info=self.fits_info,
        )

    def close(self) -> None:
        self.store.close()
