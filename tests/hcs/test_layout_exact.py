"""The on-disk layout of spec §2, key by key, and the writer's refusals (nothing written)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.hcs.conftest import field_data, tree
from zarrkit.errors import (
    InvalidOptionError,
    NotAnArchiveError,
    PlateExistsError,
    SpecViolation,
    UnsupportedOperationError,
    WellExistsError,
)
from zarrkit.hcs import Acquisition, ImageSpec, Planes, PlateSpec, PlateWriter


def load(url, *parts):
    return json.load(open(os.path.join(url, *parts, "zarr.json")))


def test_plate_files_and_documents(small_plate):
    url, data = small_plate
    files = tree(url)
    assert "plate.ome.zarr.staging" not in files  # swept and removed by finalize
    rows = sorted(n for n in os.listdir(url) if os.path.isdir(os.path.join(url, n)))
    assert rows == ["A", "B", "H"]  # only rows holding wells
    # one shard per field level: c/0/0/0/0 is the whole field
    chunks = [f for f in files if "/c/" in f and os.path.isfile(os.path.join(os.path.dirname(url), f))]
    assert sorted(c for c in chunks if c.startswith("plate.ome.zarr/B/3/")) == [
        "plate.ome.zarr/B/3/0/0/c/0/0/0/0", "plate.ome.zarr/B/3/1/0/c/0/0/0/0"]

    root = load(url)["attributes"]
    assert set(root) == {"ome", "zarrkit"}
    plate = root["ome"]["plate"]
    assert root["ome"]["version"] == "0.5" and plate["version"] == "0.5" and plate["name"] == "screen-01"
    assert [r["name"] for r in plate["rows"]] == list("ABCDEFGH")
    assert [c["name"] for c in plate["columns"]] == [str(i) for i in range(1, 13)]
    assert plate["wells"] == [{"path": "A/1", "rowIndex": 0, "columnIndex": 0},
                              {"path": "B/3", "rowIndex": 1, "columnIndex": 2},
                              {"path": "H/12", "rowIndex": 7, "columnIndex": 11}]
    assert plate["acquisitions"] == [{"id": 0, "name": "default", "maximumfieldcount": 2}]
    assert plate["field_count"] == 2
    marker = root["zarrkit"]
    assert (marker["format"], marker["version"], marker["geometry"], marker["layout"]) == ("hcs", "1.0", "96", "sharded")
    assert marker["naming"] == "{well}_s{field}_w{channel}_z{z}.tif" and marker["image"]["axes"] == "czyx"
    assert "consolidated_metadata" in load(url)

    assert load(url, "B")["attributes"] == {}
    well = load(url, "B", "3")["attributes"]
    assert well == {"ome": {"version": "0.5", "well": {"version": "0.5", "images": [
        {"path": "0", "acquisition": 0}, {"path": "1", "acquisition": 0}]}}, "zarrkit": {"state": "complete"}}

    image = load(url, "B", "3", "0")["attributes"]
    assert set(image) == {"ome"} and set(image["ome"]) == {"version", "multiscales", "omero"}
    ms = image["ome"]["multiscales"][0]
    assert ms["type"] == "mean" and ms["name"] and isinstance(ms["metadata"], dict)
    assert [a["name"] for a in ms["axes"]] == list("czyx")
    assert ms["datasets"] == [{"path": "0", "coordinateTransformations": [
        {"type": "scale", "scale": [1.0, 2.0, 0.65, 0.65]}]}]
    assert [c["label"] for c in image["ome"]["omero"]["channels"]] == ["DAPI", "GFP"]
    assert image["ome"]["omero"]["channels"][0]["window"]["max"] == 65535.0

    array = load(url, "B", "3", "0", "0")
    assert array["dimension_names"] == list("czyx") and array["fill_value"] == 0
    assert array["chunk_key_encoding"] == {"name": "default", "configuration": {"separator": "/"}}
    sharding = array["codecs"][0]["configuration"]
    assert sharding["chunk_shape"] == [1, 1, 32, 32] and sharding["index_location"] == "end"
    assert [c["name"] for c in sharding["index_codecs"]] == ["bytes", "crc32c"]


def test_files_map_and_pyramid_translation(plate_url):
    w = PlateWriter.create(plate_url, PlateSpec.preset(6), ImageSpec("zyx", levels=3, pixel_size=(0.5, 0.25)))
    files = {"A02_s1_w1_z01.tif": ("0", None, None, 0), "sub/A02_s1_w1_z02.tif": ("0", None, None, 1)}
    w.write_well("A2", {"0": field_data(1, (2, 16, 16))}, files=files, translations={"0": (100.0, 200.0)})
    w.finalize()
    assert load(plate_url, "A", "2")["attributes"]["zarrkit"]["files"] == {
        "A02_s1_w1_z01.tif": ["0", None, None, 0], "sub/A02_s1_w1_z02.tif": ["0", None, None, 1]}
    ds = load(plate_url, "A", "2", "0")["attributes"]["ome"]["multiscales"][0]["datasets"]
    assert [d["path"] for d in ds] == ["0", "1", "2"]
    assert ds[2]["coordinateTransformations"] == [
        {"type": "scale", "scale": [1.0, 2.0, 1.0]},
        {"type": "translation", "translation": [0.0, 100.0 + 1.5 * 0.5, 200.0 + 1.5 * 0.25]}]
    assert load(plate_url, "A", "2", "0", "2")["shape"] == [2, 4, 4]


def test_create_is_exclusive_and_open_restores(plate_url, tmp_path):
    spec, image = PlateSpec.preset(48, name="x", padded=True), ImageSpec("cyx", channels=["a", "b"], levels="auto")
    PlateWriter.create(plate_url, spec, image, layout="plane", compression="zlib:2")
    with pytest.raises(PlateExistsError):
        PlateWriter.create(plate_url, spec, image)
    w = PlateWriter.open(plate_url)
    assert (w.plate, w.image, w.layout.value, w.compression.to_text()) == (spec, image, "plane", "zlib:2")
    other = tmp_path / "other"
    other.mkdir()
    (other / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    with pytest.raises(NotAnArchiveError):
        PlateWriter.open(str(other))
    with pytest.raises(InvalidOptionError):
        PlateWriter.create(str(tmp_path / "q"), spec, image, listing="sometimes")
    with pytest.raises(UnsupportedOperationError, match="pack-only"):
        PlateWriter.create(str(tmp_path / "q.zip"), spec, image)
    assert not (tmp_path / "q.zip").exists()


def test_ome_only_once_a_well_is_listed(plate_url):
    w = PlateWriter.create(plate_url, PlateSpec.preset(6), ImageSpec("yx"))
    assert "ome" not in load(plate_url)["attributes"]
    with pytest.raises(SpecViolation, match="no complete well"):
        w.finalize()
    w.write_well("A1", field_data(0, (8, 8)))
    assert "ome" not in load(plate_url)["attributes"]  # finalize mode: workers never touch the root
    assert w.finalize().wells == ["A/1"] and w.finalize().wells == ["A/1"]  # repeatable


@pytest.mark.parametrize("well, fields, kwargs, match", [
    ("I1", {"0": field_data(0)}, {}, "outside"),
    ("B2", {"0": field_data(0).astype("uint8")}, {}, "dtype uint8"),
    ("B2", {"0": field_data(0, (3, 32, 32))}, {}, "3-D data"),
    ("B2", {"0": field_data(0, (3, 3, 32, 32))}, {}, "3 channels"),
    ("B2", {"0": field_data(0), "1": field_data(0, (2, 3, 16, 32))}, {}, "differs"),
    ("B2", {"f_0": field_data(0)}, {}, "alphanumeric"),
    ("B2", {"0": field_data(0)}, {"acquisition": 5}, "acquisition 5"),
    ("B2", {"0": field_data(0)}, {"files": {"/abs/x.tif": ("0", None, 0, 0)}}, "relative"),
    ("B2", {"0": field_data(0)}, {"files": {"x.tif": ("0", 0, 0, 0)}}, "t must be null"),
    ("B2", {"0": field_data(0)}, {"files": {"x.tif": ("0", None, 2, 0)}}, "outside"),
    ("B2", {"0": field_data(0)}, {"files": {"x.tif": ("7", None, 0, 0)}}, "field of this well"),
    ("B2", {"0": "not an array"}, {}, "expected an array"),
    ("B2", {}, {}, "at least one field"),
])
def test_bad_input_writes_nothing(small_plate, well, fields, kwargs, match):
    url, _ = small_plate
    before = tree(url)
    w = PlateWriter.open(url)
    with pytest.raises(SpecViolation, match=match):
        w.write_well(well, fields, **kwargs)
    assert tree(url) == before


def test_shape_enforced_across_writers(small_plate):
    url, _ = small_plate
    with pytest.raises(SpecViolation, match="differs from the plate's"):
        PlateWriter.open(url).write_well("C1", {"0": field_data(0, (2, 3, 16, 16))})


def test_existing_well_and_overwrite(small_plate):
    url, data = small_plate
    w = PlateWriter.open(url)
    with pytest.raises(WellExistsError) as err:
        w.write_well("B3", {"0": field_data(9)})
    assert isinstance(err.value, FileExistsError) and "B/3" in str(err.value)
    w.write_well("B3", {"0": field_data(9)}, overwrite=True)
    w.finalize()
    from zarrkit.hcs import PlateReader

    r = PlateReader(url)
    assert r.fields("B/3") == ["0"]
    np.testing.assert_array_equal(r.image("B/3").numpy(), field_data(9))
    assert not os.path.exists(url + ".staging")


def test_planes_and_dask_inputs(plate_url):
    da = pytest.importorskip("dask.array")
    w = PlateWriter.create(plate_url, PlateSpec.preset(6), ImageSpec("zyx"))
    ref = field_data(4, (3, 16, 16))
    w.write_well("A1", {"0": Planes(ref.shape, "uint16", lambda i: ref[i]), "1": da.from_array(ref, chunks=(1, 8, 8))})
    w.finalize()
    from zarrkit.hcs import PlateReader

    r = PlateReader(plate_url)
    for f in ("0", "1"):
        np.testing.assert_array_equal(r.image("A1", f).numpy(), ref)


def test_acquisitions_recorded(plate_url):
    spec = PlateSpec.preset(6, acquisitions=[Acquisition(0, "day1"), Acquisition(1, "day2")])
    w = PlateWriter.create(plate_url, spec, ImageSpec("yx"))
    w.write_well("A1", [field_data(0, (8, 8))] * 3, acquisition=1)
    w.write_well("A2", [field_data(0, (8, 8))], acquisition=0)
    w.finalize()
    plate = load(plate_url)["attributes"]["ome"]["plate"]
    assert plate["acquisitions"] == [{"id": 0, "name": "day1", "maximumfieldcount": 1},
                                     {"id": 1, "name": "day2", "maximumfieldcount": 3}]
    assert plate["field_count"] == 3
