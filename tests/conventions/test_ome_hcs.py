"""Plate, Well and their parts: to_dict/from_dict symmetry and the validation they own."""

from __future__ import annotations

import pytest

from zarrkit.conventions.ome import Acquisition, Plate, PlateColumn, PlateRow, PlateWell, Well, WellImage
from zarrkit.errors import ArchiveError


def plate(**kw):
    args = dict(name="p", rows=(PlateRow("A"), PlateRow("B")), columns=(PlateColumn("1"), PlateColumn("2")),
                wells=(PlateWell("B/2", 1, 1),), acquisitions=(Acquisition(0, "a"), Acquisition(3, "b")), field_count=2)
    args.update(kw)
    return Plate(**args)


def test_plate_round_trip_and_keys():
    p = plate()
    d = p.to_dict()
    assert Plate.from_dict(d) == p
    assert d["version"] == "0.5"
    assert d["wells"] == [{"path": "B/2", "rowIndex": 1, "columnIndex": 1}]
    assert [a["id"] for a in d["acquisitions"]] == [0, 3]


@pytest.mark.parametrize("kw, message", [
    ({"rows": (PlateRow("A"), PlateRow("a"))}, "unique"),
    ({"wells": (PlateWell("B/2", 0, 1),)}, "rowIndex 0 contradicts"),
    ({"wells": (PlateWell("C/2", 2, 1),)}, "not in the plate"),
    ({"wells": (PlateWell("B/2", 1, 1), PlateWell("B/2", 1, 1))}, "listed twice"),
    ({"acquisitions": (Acquisition(1), Acquisition(1))}, "unique"),
    ({"field_count": 0}, "field_count"),
    ({"rows": ()}, "must not be empty"),
])
def test_plate_rejects(kw, message):
    with pytest.raises(ArchiveError, match=message):
        plate(**kw)


@pytest.mark.parametrize("bad", ["A_", "", "A 1", "Ä"])
def test_names_must_be_alphanumeric(bad):
    with pytest.raises(ArchiveError, match="alphanumeric"):
        PlateRow(bad)
    with pytest.raises(ArchiveError, match="alphanumeric"):
        WellImage(bad)


@pytest.mark.parametrize("path", ["plate/A/1", "A1", "A/1/"])
def test_well_path_shape(path):
    with pytest.raises(ArchiveError, match="must be '<row>/<column>'"):
        PlateWell(path, 0, 0)


def test_acquisition_fields_and_errors():
    a = Acquisition(2, "run", "desc", 10, 20, 4)
    assert Acquisition.from_dict(a.to_dict()) == a
    assert Acquisition(0).to_dict() == {"id": 0}
    for bad in (dict(id=-1), dict(id=True), dict(id=0, maximumfieldcount=0), dict(id=0, starttime=-5)):
        with pytest.raises(ArchiveError):
            Acquisition(**bad)


def test_well_round_trip_and_unique_paths():
    w = Well((WellImage("0", 0), WellImage("1")))
    assert Well.from_dict(w.to_dict()) == w
    assert w.to_dict()["images"][1] == {"path": "1"}
    with pytest.raises(ArchiveError, match="unique"):
        Well((WellImage("0"), WellImage("0")))
    with pytest.raises(ArchiveError, match="must not be empty"):
        Well(())


def test_plate_04_parse_keeps_version():
    doc = plate().to_dict()
    doc["version"] = "0.4"
    assert Plate.from_dict(doc).version == "0.4"
