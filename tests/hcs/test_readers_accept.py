"""Every layout x codec x axes x pyramid, checked by the real readers (spec §7)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.hcs import readers
from tests.hcs.conftest import field_data
from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec, PlateWriter

AXES_SHAPES = {"yx": (24, 20), "zyx": (3, 24, 20), "czyx": (2, 3, 24, 20), "tczyx": (2, 2, 1, 24, 20),
               "tyx": (3, 24, 20)}
LAYOUTS = ["sharded", "plane", "well"]
CODECS = ["zstd:3", "blosc-lz4", "lz4", "zlib:1", "none"]
# every axes x layout pair, codecs and pyramids rotating through them (each codec meets each layout)
CASES = [(axes, layout, CODECS[(i + j) % 5], (i + j) % 2 == 0)
         for i, axes in enumerate(AXES_SHAPES) for j, layout in enumerate(LAYOUTS)]


def write_plate(url, axes, layout, codec, pyramid, plate=None, wells=("B/3", "A/1")):
    plate = plate or PlateSpec.preset(24, name="acc")
    shape = AXES_SHAPES[axes]
    channels = ["DAPI:0000FF", "GFP:00FF00"] if "c" in axes else []
    image = ImageSpec(axes, "uint16", z_step=2.0 if "z" in axes else None, time_step=5.0 if "t" in axes else None,
                      channels=channels, levels=2 if pyramid else 1)
    w = PlateWriter.create(url, plate, image, layout=layout, compression=codec)
    data = {}
    for i, well in enumerate(wells):
        data[plate.resolve(well)] = {"0": field_data(3 * i, shape), "1": field_data(3 * i + 1, shape)}
        w.write_well(well, data[plate.resolve(well)])
    w.finalize()
    return data


@pytest.mark.parametrize("axes, layout, codec, pyramid", CASES)
def test_readers_accept(tmp_path, axes, layout, codec, pyramid):
    url = str(tmp_path / "p.ome.zarr")
    data = write_plate(url, axes, layout, codec, pyramid)
    readers.ome_zarr_models_accepts(url, data)
    readers.zarr_python_reads(url, data)
    plate = PlateSpec.preset(24)
    readers.ome_zarr_py_plate(url, data, list(plate.rows), list(plate.columns))
    readers.hcs_checks_pass(url)
    r = PlateReader(url)
    for path, fields in data.items():
        for name, arr in fields.items():
            np.testing.assert_array_equal(r.image(path, name).numpy(), arr)
    if pyramid:
        level1 = r.image("B/3", "0", level=1)
        assert level1.shape[-2:] == (12, 10) and level1.scale[-1] == pytest.approx(2 * 0.65)


def test_reader_opens_wells_and_images_in_ome_zarr_py(small_plate):
    url, _ = small_plate
    readers.ome_zarr_py_well(url, "B/3")


@pytest.mark.parametrize("n, wells", [(384, ["P24", "A1"]), (1536, ["AA1", "AF48", "Z12"])])
def test_large_plates(tmp_path, n, wells):
    url = str(tmp_path / "p.ome.zarr")
    plate = PlateSpec.preset(n, name=f"p{n}")
    data = write_plate(url, "yx", "sharded", "zstd", False, plate=plate, wells=wells)
    doc = json.load(open(os.path.join(url, "zarr.json")))["attributes"]["ome"]["plate"]
    assert [r["name"] for r in doc["rows"]] == list(plate.rows)
    assert {w["path"]: (w["rowIndex"], w["columnIndex"]) for w in doc["wells"]} == {
        plate.resolve(w): plate.index(w) for w in wells}
    readers.ome_zarr_models_accepts(url, data)
    readers.hcs_checks_pass(url)
    assert [w.path for w in PlateReader(url).wells()] == sorted(data, key=plate.index)
