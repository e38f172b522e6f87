"""The defect table of spec §7, each applied to a valid plate and caught by zarrkit.validate
under its code (including the defects ome-zarr-models accepts)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.hcs.conftest import field_data
from zarrkit.hcs import ImageSpec, PlateSpec, PlateWriter
from zarrkit.validate import validate


def edit(url, path, change):
    file = os.path.join(url, *filter(None, path.split("/")), "zarr.json")
    doc = json.load(open(file))
    change(doc)
    doc.pop("consolidated_metadata", None)
    json.dump(doc, open(file, "w"))


def root_plate(doc):
    return doc["attributes"]["ome"]["plate"]


def image_axes(names_types, dims=True):
    def change(url):
        edit(url, "B/3/0", lambda d: d["attributes"]["ome"]["multiscales"][0].__setitem__(
            "axes", [{"name": n, "type": t} if t else {"name": n} for n, t in names_types]))
        if dims:
            edit(url, "B/3/0/0", lambda d: d.__setitem__("dimension_names", [n for n, _ in names_types]))
    return change


def drop_row_doc(url):
    os.unlink(os.path.join(url, "B", "zarr.json"))


def unlist_well(url):
    edit(url, "", lambda d: root_plate(d).__setitem__("wells", [w for w in root_plate(d)["wells"] if w["path"] != "B/3"]))


def rename_field(url):
    os.rename(os.path.join(url, "B", "3", "0"), os.path.join(url, "B", "3", "f_0"))
    edit(url, "B/3", lambda d: d["attributes"]["ome"]["well"]["images"][0].__setitem__("path", "f_0"))


DEFECTS = {
    "plate-version-absent": (lambda u: edit(u, "", lambda d: root_plate(d).pop("version")), "plate-version-missing", "warn"),
    "dimension-names-missing": (lambda u: edit(u, "B/3/0/0", lambda d: d.pop("dimension_names")), "dimension-names", "fail"),
    "dimension-names-differ": (lambda u: edit(u, "B/3/0/0", lambda d: d.__setitem__("dimension_names", list("abyx"))),
                               "dimension-names", "fail"),
    "row-name": (lambda u: edit(u, "", lambda d: root_plate(d)["rows"][3].__setitem__("name", "D_")),
                 "name-not-alphanumeric", "fail"),
    "row-index": (lambda u: edit(u, "", lambda d: root_plate(d)["wells"][1].__setitem__("rowIndex", 4)),
                  "well-index-mismatch", "fail"),
    "well-path": (lambda u: edit(u, "", lambda d: root_plate(d)["wells"][1].__setitem__("path", "plate/B/3")),
                  "well-path", "fail"),
    "well-missing": (lambda u: shutil.rmtree(os.path.join(u, "H", "12")), "well-missing", "fail"),
    "well-unlisted": (unlist_well, "well-unlisted", "fail"),
    "image-path": (rename_field, "name-not-alphanumeric", "fail"),
    "acquisition-unknown": (lambda u: edit(u, "B/3", lambda d: d["attributes"]["ome"]["well"]["images"][0].__setitem__(
        "acquisition", 7)), "acquisition-unknown", "fail"),
    "version-0.4": (lambda u: edit(u, "", lambda d: d["attributes"]["ome"].__setitem__("version", "0.4")),
                    "version-mixed", "fail"),
    "legacy-plate": (lambda u: edit(u, "", lambda d: d["attributes"].__setitem__("plate", root_plate(d))),
                     "legacy-key", "fail"),
    "implicit-row": (drop_row_doc, "implicit-group", "fail"),
    "field-beside-channel": (image_axes([("field", None), ("c", "channel"), ("z", "space"), ("y", "space"),
                                         ("x", "space")], dims=False), "axis-channel-and-custom", "fail"),
    "two-custom": (image_axes([("f", "other"), ("g", None), ("y", "space"), ("x", "space")]), "axis-custom-count", "fail"),
    "axis-order": (image_axes([("c", "channel"), ("t", "time"), ("y", "space"), ("x", "space")]), "axis-order", "fail"),
    "column-gap": (lambda u: edit(u, "", lambda d: root_plate(d)["columns"].pop(4)), "rows-columns-incomplete", "fail"),
    "field-count-low": (lambda u: edit(u, "", lambda d: root_plate(d).__setitem__("field_count", 1)), "field-count", "fail"),
    "maximumfieldcount-low": (lambda u: edit(u, "", lambda d: root_plate(d)["acquisitions"][0].__setitem__(
        "maximumfieldcount", 1)), "field-count", "fail"),
    "acquisition-missing": (lambda u: (
        edit(u, "", lambda d: root_plate(d)["acquisitions"].append({"id": 1, "name": "day2"})),
        edit(u, "B/3", lambda d: d["attributes"]["ome"]["well"]["images"][0].pop("acquisition"))),
        "acquisition-missing", "fail"),
    "omero-count": (lambda u: edit(u, "B/3/0", lambda d: d["attributes"]["ome"]["omero"]["channels"].pop()),
                    "omero-channels", "fail"),
    "writing-well": (lambda u: edit(u, "A/1", lambda d: d.__setitem__("attributes", {"zarrkit": {"state": "writing"}})),
                     "well-incomplete", "fail"),
    "staging-leftover": (lambda u: os.makedirs(u + ".staging/B-3-dead"), "staging-leftover", "fail"),
    "lock-leftover": (lambda u: open(os.path.join(u, "plate.lock"), "w").close(), "lock-leftover", "fail"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_reported(small_plate, defect):
    url, _ = small_plate
    before = {c.name for c in validate(url).checks}
    assert "hcs plate" in before  # the valid plate passes every hcs check
    apply, code, status = DEFECTS[defect]
    apply(url)
    found = {c.name: c for c in validate(url).checks}
    assert code in found, sorted(found)
    assert found[code].status == status, found[code]
    assert "hcs plate" not in found
    assert found[code].detail


def test_field_axis_alone_is_only_a_warning(small_plate):
    url, _ = small_plate
    image_axes([("field", "other"), ("z", "space"), ("y", "space"), ("x", "space")])(url)
    hcs = [c for c in validate(url).checks if c.name.startswith(("axis", "field", "dimension-names", "hcs"))]
    assert [(c.name, c.status) for c in hcs] == [("field-as-axis", "warn")]


def test_tczyx_is_a_positive_control(plate_url):
    w = PlateWriter.create(plate_url, PlateSpec.preset(6), ImageSpec("tczyx", channels=["a"]))
    w.write_well("A1", field_data(0, (2, 1, 2, 8, 8)))
    w.finalize()
    assert [(c.name, c.status) for c in validate(plate_url).checks if c.name == "hcs plate"] == [("hcs plate", "ok")]


def test_gap_without_geometry_is_a_warning(small_plate):
    url, _ = small_plate
    edit(url, "", lambda d: (d["attributes"].pop("zarrkit"), root_plate(d)["columns"].pop(4)))
    found = {c.name: c.status for c in validate(url).checks}
    assert found["rows-columns-incomplete"] == "warn"  # claimed through ome.plate alone
