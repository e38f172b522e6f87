"""The zarrkit root marker: the one object that says which format a store holds."""

from __future__ import annotations

import json

import pytest

from zarrkit.conventions.marker import KEY, RootMarker, writer_string
from zarrkit.errors import FormatVersionError, MarkerError


def test_round_trip_keeps_domain_keys_and_puts_own_keys_first():
    m = RootMarker("hcs", "1.2", "zarrkit 9.9", {"geometry": "96", "layout": "sharded"})
    d = m.to_dict()
    assert list(d)[:3] == ["format", "version", "writer"]
    assert RootMarker.from_dict(json.loads(json.dumps(d))) == m
    assert RootMarker.from_attributes({KEY: d, "ome": {}}) == m


def test_writer_defaults_to_this_release():
    assert RootMarker("image", "1.0").writer == writer_string()
    assert writer_string().startswith("zarrkit ")


@pytest.mark.parametrize("doc, says", [
    ("image", "must be an object"),
    ([], "must be an object"),
    ({"version": "1.0"}, "missing 'format'"),
    ({"format": "image"}, "missing 'version'"),
    ({"format": "Image", "version": "1.0"}, "lower-case name"),
    ({"format": "image", "version": "1"}, "MAJOR.MINOR"),
    ({"format": "image", "version": "v1.0"}, "MAJOR.MINOR"),
    ({"format": "image", "version": "1.0", "writer": 3}, "writer must be a string"),
])
def test_malformed_markers_raise_marker_error(doc, says):
    with pytest.raises(MarkerError, match=says):
        RootMarker.from_dict(doc)


def test_domain_keys_cannot_shadow_the_marker_keys():
    with pytest.raises(MarkerError, match="redefine"):
        RootMarker("geo", "1.0", extra={"version": "2.0"})


def test_version_rule_reads_every_minor_of_its_major_and_refuses_a_newer_major():
    RootMarker("image", "1.7").check_readable(1)  # a newer minor only adds keys
    RootMarker("image", "0.3").check_readable(1)  # older majors are the reader's to migrate
    with pytest.raises(FormatVersionError, match=r"image format 2\.0 is newer than this zarrkit reads \(1\.x\)"):
        RootMarker("image", "2.0").check_readable(1, where="s3://b/x.zarr")


def test_stores_without_a_marker_have_none():
    assert RootMarker.from_attributes({}) is None
    assert RootMarker.from_attributes(None) is None
    assert RootMarker.from_attributes({"ome": {"version": "0.5"}}) is None
