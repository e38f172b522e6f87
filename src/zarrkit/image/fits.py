"""FITS in and out: three source layouts, header bytes kept verbatim.

``from_fits`` keeps the *file's own* header bytes (read at the offsets astropy reports),
so ``to_fits`` can write them back unchanged followed by the big-endian data: a plain
image round-trips byte for byte.

Example:
    >>> from astropy.utils.data import get_pkg_data_filename
    >>> path = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
    >>> arch = from_fits(path)
    >>> arch.image.shape, arch.fits_info["layout"]
    ((300, 300), 'single')
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from zarrkit.errors import FitsFileError, FitsLayoutError, ZarrkitError, ZarrkitWarning
from zarrkit.image.fits_checksum import refresh
from zarrkit.image.model import ImageArchive, Mask, MaskPlane
from zarrkit.progress import Advance, enabled, task

__all__ = ["from_fits", "to_fits"]

_BLOCK = 2880


def _fits():
    from astropy.io import fits

    return fits


def _raw_header(path: str, hdul, index: int) -> bytes:
    info = hdul.fileinfo(index)
    with open(path, "rb") as f:
        f.seek(info["hdrLoc"])
        return f.read(info["datLoc"] - info["hdrLoc"])


def _wcs_and_unit(header) -> tuple[Any, Any]:
    from astropy import units as u
    from astropy.wcs import WCS, FITSFixedWarning

    wcs = None
    if any(k.startswith("CTYPE") for k in header):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            wcs = WCS(header, naxis=2, relax=True)
            if not wcs.has_celestial:
                wcs = None
    unit = None
    bunit = header.get("BUNIT")
    if bunit:
        try:
            unit = u.Unit(bunit, format="fits")
        except ValueError:
            unit = str(bunit)  # kept verbatim (JY/BEAM and friends)
    return wcs, unit


def _constant(hdu) -> np.ndarray | None:
    h = hdu.header
    if hdu.data is None and "NPIX1" in h and "NPIX2" in h and "PIXVALUE" in h:
        dtype = {8: "u1", 16: "i2", 32: "i4", -32: "f4", -64: "f8"}.get(h.get("BITPIX"), "f4")
        return np.full((h["NPIX2"], h["NPIX1"]), h["PIXVALUE"], dtype=dtype)
    return None


def from_fits(path: str, *, layout: str = "auto", extver: int | None = None, err: str = "std",
              progress: bool | None = None) -> ImageArchive:
    """Read a FITS file into an :class:`ImageArchive` (layouts: masked_image, sci_err_dq, single).

    ``progress=True`` draws a bar per HDU read on a terminal (default: the process-wide
    :mod:`zarrkit.progress` setting, off in library use).

    Example:
        >>> from astropy.utils.data import get_pkg_data_filename
        >>> path = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
        >>> from_fits(path, progress=True).kind  # no bar here: doctest output is not a terminal
        'image'
    """
    fits = _fits()
    path = os.fspath(path)
    if layout not in ("auto", "single", "sci_err_dq", "masked_image"):
        raise FitsLayoutError(f"layout: unknown {layout!r}")
    if err not in ("std", "var", "ivar"):
        raise FitsLayoutError(f"err: must be 'std', 'var' or 'ivar', got {err!r}")
    _check_input(path)
    try:
        with enabled(progress):
            return _read(fits, path, layout, extver, err)
    except ZarrkitError:
        raise
    except (OSError, ValueError, TypeError, IndexError) as exc:
        # astropy reports a damaged file as whatever failed first (a reshape, a short read)
        text = str(exc).split(". ")[0].rstrip(".")
        if "SIMPLE" in text or "Empty or corrupt" in text:
            raise FitsFileError(f"{path} is not a FITS file ({text}); give a .fits file") from None
        raise FitsFileError(f"{path} is truncated or damaged ({text}); check the file") from None


def _check_input(path: str) -> None:
    if os.path.isdir(path):
        raise FitsFileError(f"{path} is a folder, not a FITS file; give the path of a .fits file")
    if not os.path.exists(path):
        raise FitsFileError(f"{path} does not exist; check the path")


def _read(fits, path: str, layout: str, extver: int | None, err: str) -> ImageArchive:
    with warnings.catch_warnings():
        # astropy warns, then fails later, on a short file: the failure is reported instead
        warnings.filterwarnings("ignore", message=".*truncated.*")
        return _read_open(fits, path, layout, extver, err)


def _read_open(fits, path: str, layout: str, extver: int | None, err: str) -> ImageArchive:
    with fits.open(path, memmap=False) as hdul:
        names = {(h.name.upper(), h.ver) for h in hdul}
        primary_raw = _raw_header(path, hdul, 0)
        label = f"Reading {os.path.basename(path)}"
        # astropy reads an HDU's pixels when .data is first touched: the bar counts those reads
        if layout in ("auto", "masked_image") and any(n == "IMAGE" for n, _ in names) and any(n == "MASK" for n, _ in names):
            with task(label, total=3) as advance:
                return _masked_image(path, hdul, primary_raw, advance)
        if layout in ("auto", "sci_err_dq") and any(n == "SCI" for n, _ in names):
            with task(label, total=3) as advance:
                return _sci_err_dq(path, hdul, primary_raw, extver, err, advance)
        if layout in ("masked_image", "sci_err_dq"):
            raise FitsLayoutError(f"{path}: no {layout} HDUs")
        with task(label, total=1) as advance:  # single: the first HDU with 2-D image data
            for i, hdu in enumerate(hdul):
                if hdu.data is not None and getattr(hdu.data, "ndim", 0) == 2 and hdu.is_image:
                    wcs, unit = _wcs_and_unit(hdu.header)
                    raw = _raw_header(path, hdul, i)
                    hdu_headers = {} if i == 0 else {"image": raw}
                    pixels = np.array(hdu.data)
                    advance()
                    return ImageArchive(
                        image=pixels, header=primary_raw, hdu_headers=hdu_headers, wcs=wcs, unit=unit,
                        name=hdu.name.lower() if i else "image",
                        fits_info={"layout": "single", "hdu": i},
                    )
    raise FitsLayoutError(f"{path}: no HDU with 2-D image data")


def _masked_image(path, hdul, primary_raw, advance: Advance) -> ImageArchive:
    image_hdu, mask_hdu = hdul["IMAGE"], hdul["MASK"]
    var_hdu = hdul["VARIANCE"] if "VARIANCE" in hdul else None
    planes = [MaskPlane(k[3:], int(v), mask_hdu.header.comments[k] or "")
              for k, v in mask_hdu.header.items() if k.startswith("MP_")]
    image = np.array(image_hdu.data)
    advance()
    data = np.array(mask_hdu.data)
    advance()
    variance = np.array(var_hdu.data) if var_hdu is not None else None
    advance()
    if not planes:
        used = int(np.bitwise_or.reduce(data.astype(np.uint64), axis=None)) if data.size else 0
        planes = [MaskPlane(f"BIT{b}", b) for b in range(64) if used >> b & 1]
    wcs, unit = _wcs_and_unit(image_hdu.header)
    index = {h.name.upper(): i for i, h in enumerate(hdul)}
    hdu_headers = {c.lower(): _raw_header(path, hdul, index[c]) for c in ("IMAGE", "MASK", "VARIANCE") if c in index}
    return ImageArchive(
        image=image, variance=variance,
        mask=Mask(data.astype(np.uint64) if data.dtype.kind == "i" else data, planes), header=primary_raw,
        hdu_headers=hdu_headers, wcs=wcs, unit=unit, fits_info={"layout": "masked_image"},
    )


def _hdu_data(hdu, component: str, placeholders: list[str], empty: list[str]) -> np.ndarray | None:
    """An HDU's data; a data-less constant (NPIXn/PIXVALUE) is expanded and noted as a
    placeholder; a header-only HDU without PIXVALUE has no pixels at all (``None``, noted as
    empty, its header kept so the file comes back whole)."""
    data = _constant(hdu)
    if data is not None:
        placeholders.append(component)
        return data
    if hdu.data is None:
        empty.append(component)
        return None
    return np.array(hdu.data)


def _sci_err_dq(path, hdul, primary_raw, extver, err, advance: Advance) -> ImageArchive:
    vers = sorted(h.ver for h in hdul if h.name.upper() == "SCI")
    ver = extver if extver is not None else vers[0]
    if ver not in vers:
        raise FitsLayoutError(f"{path}: no SCI extension with EXTVER {ver} (have {vers})")
    index = {(h.name.upper(), h.ver): i for i, h in enumerate(hdul)}
    sci = hdul[index[("SCI", ver)]]
    image = np.array(sci.data)
    advance()
    placeholders: list[str] = []
    empty: list[str] = []
    variance = None
    e = _hdu_data(hdul[index[("ERR", ver)]], "variance", placeholders, empty) if ("ERR", ver) in index else None
    if e is not None:
        e = e.astype(np.float64)
        if err == "std":
            variance = e**2
        elif err == "var":
            variance = e
        else:  # inverse variance; a zero weight means no information: infinite variance
            variance = np.where(e > 0, 1 / np.where(e > 0, e, 1), np.inf)
        variance = variance.astype(np.float32)
    advance()
    mask = None
    ddata = _hdu_data(hdul[index[("DQ", ver)]], "mask", placeholders, empty) if ("DQ", ver) in index else None
    if ddata is not None:
        ddata = ddata.astype(np.int64)
        used = int(np.bitwise_or.reduce(ddata.reshape(-1))) if ddata.size else 0
        bits = [b for b in range(64) if used >> b & 1]
        mask = Mask(ddata.astype(np.uint64), [MaskPlane(f"DQ{b}", b) for b in bits])
    advance()
    wcs, unit = _wcs_and_unit(sci.header)
    hdu_headers = {"image": _raw_header(path, hdul, index[("SCI", ver)])}
    if ("ERR", ver) in index:
        hdu_headers["variance"] = _raw_header(path, hdul, index[("ERR", ver)])
    if ("DQ", ver) in index:
        hdu_headers["mask"] = _raw_header(path, hdul, index[("DQ", ver)])
    info = {"layout": "sci_err_dq", "extver": ver, "err": err}
    if placeholders:
        info["placeholders"] = placeholders
    if empty:
        info["empty"] = empty
    return ImageArchive(image=image, variance=variance, mask=mask, header=primary_raw, hdu_headers=hdu_headers,
                        wcs=wcs, unit=unit, fits_info=info)


# ---------------------------------------------------------------------------- writing
_BITPIX = {np.dtype("u1"): 8, np.dtype("i2"): 16, np.dtype("i4"): 32, np.dtype("i8"): 64,
           np.dtype("f4"): -32, np.dtype("f8"): -64}


def _data_bytes(data: np.ndarray, header) -> bytes:
    """Raw FITS data for ``data`` under ``header``'s BITPIX, BZERO and BSCALE, big-endian, padded."""
    bitpix = header.get("BITPIX")
    bzero = header.get("BZERO", 0)
    bscale = header.get("BSCALE", 1)
    raw_dtype = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}[bitpix]
    values = np.asarray(data)
    if bzero or bscale != 1:
        values = (values.astype(np.float64) - bzero) / bscale
        if np.dtype(raw_dtype).kind != "f":
            values = np.rint(values)
    raw = np.asarray(values).astype(raw_dtype).tobytes()
    return raw + b"\0" * (-len(raw) % _BLOCK)


def _header_for(raw: bytes | None, data: np.ndarray | None, *, primary: bool, name: str | None = None):
    fits = _fits()
    if raw:
        header = fits.Header.fromstring(raw.decode("ascii"))
    else:
        header = fits.Header()
    if data is None:
        return raw, header
    expected = fits.PrimaryHDU(data).header if primary else fits.ImageHDU(data, name=name).header
    fix = []
    for key in ("BITPIX", "NAXIS", "NAXIS1", "NAXIS2"):
        if header.get(key) != expected.get(key) and not ("BZERO" in header and key == "BITPIX"):
            fix.append(key)
    if raw and not fix:
        return raw, header
    if fix and raw:
        warnings.warn(f"rewrote structural cards {fix} that disagreed with the data", ZarrkitWarning, stacklevel=3)
    for key in ("BITPIX", "NAXIS", "NAXIS1", "NAXIS2"):
        if key in expected:
            header[key] = expected[key]
    if not primary and "XTENSION" not in header:
        header.insert(0, ("XTENSION", "IMAGE"))
    if primary and "SIMPLE" not in header:
        header.insert(0, ("SIMPLE", True))
    return header.tostring().encode("ascii"), header


def to_fits(archive_or_url: Any, path: str, *, overwrite: bool = False, layout: str | None = None,
            progress: bool | None = None) -> None:
    """Write an archive (or the archive at a URL) as FITS, headers verbatim.

    Only cards the data contradicts change: structural cards (with a warning) and
    ``DATASUM`` / ``CHECKSUM``, recomputed when the pixels under them changed (a cutout).
    ``progress=True`` draws bars for reading the archive and writing the file on a terminal
    (default: the process-wide :mod:`zarrkit.progress` setting, off in library use).

    Example:
        >>> import numpy as np, os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "plain.fits")
        >>> to_fits(ImageArchive(np.ones((2, 3), "f4")), out)
        >>> os.path.getsize(out)  # one header block and one data block
        5760
    """
    with enabled(progress):
        _to_fits(archive_or_url, os.fspath(path), overwrite=overwrite, layout=layout)


def _to_fits(archive_or_url: Any, path: str, *, overwrite: bool, layout: str | None) -> None:
    from zarrkit.image.read import StoredArchive, read

    src = read(archive_or_url) if isinstance(archive_or_url, (str, os.PathLike)) else archive_or_url
    if isinstance(src, StoredArchive):
        with task(f"Reading {src.store.url}"):  # every array, lazily opened, loads here
            src = src.load()
    if os.path.exists(path) and not overwrite:
        from zarrkit.errors import ArchiveExistsError

        raise ArchiveExistsError(f"{path} exists; pass overwrite=True to replace it")
    info = src.fits_info or {}
    kind = layout or info.get("layout") or ("masked_image" if src.mask is not None or src.variance is not None else "single")
    hdrs = src.hdu_headers or {}
    if isinstance(src.header, (bytes, bytearray)) or src.header is None:
        primary_raw = src.header
    else:
        primary_raw = src.header.tostring().encode()
    parts: list[bytes] = []
    image = np.asarray(src.image)
    placeholders = set(info.get("placeholders", []))
    empty = set(info.get("empty", []))
    if kind == "single" and not hdrs.get("image"):
        raw, header = _header_for(primary_raw, image, primary=True)
        data = _data_bytes(image, header)
        parts += [refresh(raw, data), data]
    else:
        raw, _ = _header_for(primary_raw, None, primary=True)
        parts.append(raw or _fits().PrimaryHDU().header.tostring().encode())
        names = {"single": [("image", "IMAGE")], "masked_image": [("image", "IMAGE"), ("mask", "MASK"), ("variance", "VARIANCE")],
                 "sci_err_dq": [("image", "SCI"), ("variance", "ERR"), ("mask", "DQ")]}[kind]
        for component, extname in names:
            data = _component(src, component, kind, info)
            if component in placeholders and hdrs.get(component):
                if _still_constant(hdrs[component], data):
                    parts.append(bytes(hdrs[component]))  # a data-less constant placeholder: header only
                    continue
                warnings.warn(f"{extname} was a constant (NPIX/PIXVALUE) placeholder but its pixels now vary; "
                              "writing them as data", ZarrkitWarning, stacklevel=2)
            if data is None:
                if component in empty and hdrs.get(component):
                    parts.append(bytes(hdrs[component]))  # a header-only HDU of the source
                continue
            raw, header = _header_for(hdrs.get(component), data, primary=False, name=extname)
            body = _data_bytes(data, header)
            parts += [refresh(raw, body), body]
    tmp = path + ".zarrkit-tmp"
    with open(tmp, "wb") as f, task(f"Writing {os.path.basename(path)}", total=sum(len(p) for p in parts)) as advance:
        for p in parts:
            f.write(p)
            advance(len(p))
    os.replace(tmp, path)


def _still_constant(raw_header: bytes, data: np.ndarray | None) -> bool:
    """Whether ``data`` is still exactly what the placeholder header describes."""
    h = _fits().Header.fromstring(bytes(raw_header).decode("ascii"))
    value = h.get("PIXVALUE")
    if data is None:  # an all-zero DQ stores no mask at all
        return value == 0
    if data.shape != (h.get("NPIX2"), h.get("NPIX1")):
        return False
    # ERR comes back through sqrt(variance): allow float32 rounding, nothing more
    return bool(np.all(data == value) if data.dtype.kind in "iu" else np.allclose(data, value, rtol=1e-6, atol=0))


def _component(src: ImageArchive, component: str, kind: str, info: dict[str, Any]) -> np.ndarray | None:
    if component == "image":
        return np.asarray(src.image)
    if component == "variance":
        if src.variance is None:
            return None
        v = np.asarray(src.variance, dtype=np.float64)
        if kind == "sci_err_dq":
            err = info.get("err", "std")
            v = np.sqrt(v) if err == "std" else v if err == "var" else 1 / v
        return v.astype(np.float32)
    if src.mask is None:
        return None
    arr = np.asarray(src.mask.array)
    top = max((p.bit for p in src.mask.planes), default=0)
    return arr.astype(np.int16 if top < 15 else np.int32 if top < 31 else np.int64)
