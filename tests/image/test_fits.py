"""FITS in and out: byte-identical files and headers for astropy's own sample files."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit import image
from zarrkit.errors import FitsLayoutError

fits = pytest.importorskip("astropy.io.fits")
from astropy.utils.data import get_pkg_data_filename  # noqa: E402

SAMPLES = {
    "m13": ("data/m13.fits", "astropy.io.fits.hdu.compressed.tests"),
    "sip": ("data/sip-wcs.fits", "astropy.nddata.tests"),
    "azp": ("data/1904-66_AZP.fits", "astropy.modeling.tests"),
    "stis": ("data/o4sp040b0_raw.fits", "astropy.io.fits.tests"),
}


def sample(name: str) -> str:
    path, package = SAMPLES[name]
    try:
        return get_pkg_data_filename(path, package=package)
    except Exception as err:  # a distribution that strips astropy's test data
        pytest.skip(f"astropy sample {path} is not installed: {err}")


def test_m13_round_trips_byte_for_byte(tmp_path):
    src = sample("m13")
    url = image.write(image.from_fits(src), str(tmp_path / "m13.zarr"))
    out = tmp_path / "m13.fits"
    image.to_fits(url, out)
    assert out.read_bytes() == open(src, "rb").read()


@pytest.mark.parametrize("name", ["sip", "azp"])
def test_scaled_and_float_samples_round_trip(tmp_path, name):
    src = sample(name)
    arch = image.from_fits(src)
    assert arch.wcs is not None
    url = image.write(arch, str(tmp_path / "a.zarr"))
    back = image.read(url)
    assert np.array_equal(back.image[...], fits.getdata(src), equal_nan=True)
    out = tmp_path / "a.fits"
    image.to_fits(url, out)
    assert out.read_bytes() == open(src, "rb").read()
    if name == "azp":
        assert back.image.metadata.attributes["units"] == "JY/BEAM"  # verbatim: astropy cannot parse it


def test_an_unparsed_unit_gives_the_variance_no_units(tmp_path):
    arch = image.ImageArchive(np.ones((4, 4), "f4"), variance=np.ones((4, 4), "f4"), unit="JY/BEAM")
    back = image.read(image.write(arch, str(tmp_path / "u.zarr")))
    assert back.image.metadata.attributes["units"] == "JY/BEAM"
    assert "units" not in back.variance.metadata.attributes


def test_stis_sci_err_dq_headers_survive(tmp_path):
    src = sample("stis")
    arch = image.from_fits(src)
    assert arch.fits_info["layout"] == "sci_err_dq" and arch.fits_info["extver"] == 1
    assert set(arch.fits_info["placeholders"]) == {"variance", "mask"}
    url = image.write(arch, str(tmp_path / "s.zarr"))
    out = tmp_path / "s.fits"
    image.to_fits(url, out)
    with fits.open(src) as a, fits.open(out) as b:
        want = [a[0], a["SCI", 1], a["ERR", 1], a["DQ", 1]]
        assert len(b) == 4
        for x, y in zip(want, b):
            assert x.header.tostring() == y.header.tostring()
        assert np.array_equal(a["SCI", 1].data, b[1].data)


def test_synthetic_header_with_long_and_commentary_cards(tmp_path):
    hdr = fits.Header()
    hdr["OBJECT"] = "NGC 1234"
    hdr["COMMENT"] = "a comment card"
    hdr["HISTORY"] = "made by a test"
    hdr["HIERARCH ESO DET CHIP NAME"] = "chip-1"
    hdr["LONGSTR"] = "x" * 150  # becomes CONTINUE cards
    path = tmp_path / "s.fits"
    fits.PrimaryHDU(np.arange(12, dtype=">i2").reshape(3, 4), header=hdr).writeto(path)
    url = image.write(image.from_fits(path), str(tmp_path / "s.zarr"))
    out = tmp_path / "back.fits"
    image.to_fits(url, out)
    assert out.read_bytes() == path.read_bytes()
    assert "CONTINUE" in image.read(url).header.tostring()


def test_a_file_without_an_image_is_refused(tmp_path):
    path = tmp_path / "t.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "J", array=[1, 2])])]).writeto(path)
    with pytest.raises(FitsLayoutError, match="no HDU with 2-D image data"):
        image.from_fits(path)


def test_a_cutout_gets_true_checksums_and_stale_ones_are_caught(tmp_path):
    import warnings

    src = sample("m13")
    url = image.write(image.from_fits(src), str(tmp_path / "m13.zarr"))
    cut = image.read(url).cutout(slice(10, 110), slice(20, 90))
    out = tmp_path / "cut.fits"
    with pytest.warns(Warning, match="structural cards"):
        image.to_fits(cut, out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns on a checksum mismatch
        with fits.open(out, checksum=True) as hdul:
            assert np.array_equal(hdul[0].data, fits.getdata(src)[10:110, 20:90])
            assert hdul[0].header["DATASUM"] != fits.getheader(src)["DATASUM"]
            assert hdul[0].header["COMMENT"] == fits.getheader(src)["COMMENT"]  # the rest of the header stays
    # the same file with the source's stale values put back is rejected: the check bites
    raw = bytearray(out.read_bytes())
    for key in ("CHECKSUM", "DATASUM"):
        card = fits.Card(key, fits.getheader(src)[key], fits.getheader(src).comments[key]).image.encode()
        pos = bytes(raw).index(key.encode().ljust(8) + b"=")
        raw[pos:pos + 80] = card
    stale = tmp_path / "stale.fits"
    stale.write_bytes(bytes(raw))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with fits.open(stale, checksum=True) as hdul:
            _ = hdul[0].data  # reading the data runs the checksum verification
    assert any("verification failed" in str(w.message) for w in caught)


def test_a_placeholder_that_no_longer_is_constant_is_written_as_data(tmp_path):
    import warnings

    src = sample("stis")
    arch = image.from_fits(src)
    arch.mask.array[3, 4] |= 1  # DQ was a constant 0 placeholder
    out = tmp_path / "s.fits"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image.to_fits(arch, out)
    assert any("placeholder" in str(w.message) for w in caught)
    with fits.open(out) as hdul:
        assert hdul["DQ"].data is not None and hdul["DQ"].data[3, 4] == 1
    untouched = tmp_path / "u.fits"
    image.to_fits(image.from_fits(src), untouched)
    with fits.open(untouched) as hdul:
        assert hdul["DQ"].data is None  # still header-only
