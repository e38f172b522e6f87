"""PlateSpec presets and well names; ImageSpec axes; Compression's table."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit.errors import InvalidOptionError, SpecViolation
from zarrkit.hcs import Acquisition, Channel, Compression, ImageSpec, Layout, PlateSpec
from zarrkit.hcs.geometry import PRESETS


@pytest.mark.parametrize("n", sorted(PRESETS))
def test_presets(n):
    p = PlateSpec.preset(n, name="x")
    assert p.size == n
    assert p.rows[0] == "A" and p.columns[0] == "1"
    assert p.geometry == str(n)
    assert PlateSpec.from_dict(p.to_dict()) == p


def test_1536_rows_and_padding():
    p = PlateSpec.preset(1536, padded=True)
    assert p.rows[25:] == ("Z", "AA", "AB", "AC", "AD", "AE", "AF")
    assert p.columns[:2] == ("01", "02") and p.columns[-1] == "48"
    assert p.resolve("AF48") == "AF/48" and p.resolve("AA/1") == "AA/01" and p.resolve(("aa", 7)) == "AA/07"
    assert p.index("AF48") == (31, 47)


@pytest.mark.parametrize("name, path", [("A/1", "A/1"), ("A1", "A/1"), ("A01", "A/1"), ("h12", "H/12"),
                                        (("B", 3), "B/3"), (["C", "4"], "C/4")])
def test_well_forms(name, path):
    assert PlateSpec.preset(96).resolve(name) == path


@pytest.mark.parametrize("bad", ["I1", "A13", "A0", "AA1", "1A", "", ("A",), 5])
def test_wells_outside_or_malformed(bad):
    with pytest.raises(SpecViolation):
        PlateSpec.preset(96).resolve(bad)


def test_plate_names_and_acquisitions():
    with pytest.raises(SpecViolation, match="alphanumeric"):
        PlateSpec(["A_"], ["1"])
    with pytest.raises(SpecViolation, match="unique"):
        PlateSpec(["A"], ["1", "1"])
    with pytest.raises(SpecViolation, match="unique"):
        PlateSpec(["A"], ["1"], acquisitions=[Acquisition(1), Acquisition(1)])
    with pytest.raises(SpecViolation, match="at least one"):
        PlateSpec(["A"], ["1"], acquisitions=[])
    with pytest.raises(SpecViolation, match="no 97-well"):
        PlateSpec.preset(97)
    assert PlateSpec(["A"], ["1"], acquisitions=[(4, "x")]).acquisition_ids() == (4,)


@pytest.mark.parametrize("axes", ["yx", "zyx", "czyx", "tczyx", "tyx", "cyx", "tzyx"])
def test_axes_accepted(axes):
    spec = ImageSpec(axes)
    assert [a.name for a in spec.ome_axes()] == list(axes)
    units = {a.name: a.unit for a in spec.ome_axes()}
    assert all(units[a] == "micrometer" for a in axes if a in "zyx")
    assert units.get("t", "second") == "second" and units.get("c") is None


@pytest.mark.parametrize("axes", ["zcyx", "ctyx", "xy", "cz", "fczyx", "yxz", "tczyxx"])
def test_axes_rejected(axes):
    with pytest.raises(SpecViolation, match="tczyx"):
        ImageSpec(axes)


def test_scale_and_channels():
    s = ImageSpec("tczyx", pixel_size=(0.3, 0.4), z_step=1.5, time_step=60, channels=[Channel("A"), "B:FF0000"])
    assert s.scale() == (60.0, 1.0, 1.5, 0.3, 0.4)
    assert s.channels[1] == Channel("B", "FF0000")
    with pytest.raises(SpecViolation, match="no 'c'"):
        ImageSpec("zyx", channels=["A"])
    with pytest.raises(SpecViolation, match="color"):
        Channel("A", "blue").omero(np.dtype("uint16"))
    for bad in (dict(dtype="U4"), dict(dtype=">u2"), dict(levels=0), dict(pixel_size=(0, 1)), dict(z_step=-1)):
        with pytest.raises(SpecViolation):
            ImageSpec("zyx", **bad)


def test_levels_auto_until_256():
    assert ImageSpec(levels="auto").level_count((1000, 300)) == 3  # 1000 -> 500 -> 250
    assert ImageSpec(levels="auto").level_count((256, 256)) == 1
    assert ImageSpec(levels=4).level_count((8, 8)) == 4


@pytest.mark.parametrize("text, name, config", [
    ("zstd", "zstd", {"level": 3, "checksum": False}),
    ("zstd:-7", "zstd", {"level": -7, "checksum": False}),
    ("blosc-lz4", "blosc", {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2, "blocksize": 0}),
    ("lz4:9", "blosc", {"cname": "lz4", "clevel": 9, "shuffle": "noshuffle", "typesize": 2, "blocksize": 0}),
    ("zlib", "gzip", {"level": 6}),
])
def test_compression_table(text, name, config):
    assert Compression.parse(text).codecs(2) == [{"name": name, "configuration": config}]


@pytest.mark.parametrize("text", ["zstd:23", "zstd:-8", "lz4:10", "zlib:x", "snappy", "numcodecs.lz4", "none:3"])
def test_compression_rejects(text):
    with pytest.raises(InvalidOptionError):
        Compression.parse(text)


def test_none_and_layout_names():
    assert Compression.parse("none").codecs(2) == []
    assert Layout.parse("WELL") is Layout.WELL
    with pytest.raises(InvalidOptionError):
        Layout.parse("chunky")
