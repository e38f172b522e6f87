"""OME dispatch per group: each kind checked as itself, wrong things fail, unknown things skip."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.validate.build_ngff_stores import build_store
from zarrkit.validate import validate

zarr = pytest.importorskip("zarr")
pytest.importorskip("ome_zarr_models")


def _edit(path, key, change):
    file = path / key
    doc = json.loads(file.read_text())
    change(doc)
    file.write_text(json.dumps(doc))


def _checks(report, name, status):
    return [c for c in report.checks if c.name == name and c.status == status]


def test_validate_imports_no_domain_module():
    code = "import zarrkit.validate, sys; print([m for m in sys.modules if m.startswith(('zarrkit.image', 'zarrkit.hcs'))])"
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_wrong_version_in_a_v3_group_fails(tmp_path):
    path = build_store("image/multiscales_transformations", tmp_path, consolidated=False)
    _edit(path, "zarr.json", lambda d: d["attributes"]["ome"].update(version="0.4"))
    report = validate(str(path))
    bad = _checks(report, "OME version", "fail")
    assert [(c.node, c.key) for c in bad] == [("", "zarr.json")] and "'0.4'" in bad[0].detail


def test_an_unknown_version_deep_in_a_plate_fails_naming_the_field(tmp_path):
    path = build_store("plate/plate_2wells", tmp_path, consolidated=False)
    _edit(path, "C/5/0/zarr.json", lambda d: d["attributes"]["ome"].update(version="0.7"))
    report = validate(str(path))
    assert [(c.node, c.key) for c in _checks(report, "OME version", "fail")] == [("C/5/0", "C/5/0/zarr.json")]
    assert not report.passed


def test_a_translation_before_the_scale_fails(tmp_path):
    path = build_store("image/multiscales_transformations", tmp_path, consolidated=False)

    def swap(doc):
        dataset = doc["attributes"]["ome"]["multiscales"][0]["datasets"][0]
        dataset["coordinateTransformations"] = [{"type": "translation", "translation": [1, 1]},
                                                {"type": "scale", "scale": [1, 1]}]
    _edit(path, "zarr.json", swap)
    report = validate(str(path))
    bad = _checks(report, "OME multiscales", "fail")
    assert [(c.node, c.key) for c in bad] == [("", "zarr.json")] and "translation before the scale" in bad[0].detail
    assert "('translation', 'scale')" in _checks(report, "ome-zarr-models", "fail")[0].detail
    assert _checks(report, "OME 0.5 schema", "ok")  # the JSON schema cannot say it


def test_a_level_whose_dimension_names_are_not_the_axes_fails(tmp_path):
    path = build_store("image/multiscales_example", tmp_path, consolidated=False)
    _edit(path, "1/zarr.json", lambda d: d.update(dimension_names=["t", "c", "z", "x", "y"]))
    assert [(c.node, c.key) for c in _checks(validate(str(path)), "OME multiscales", "fail")] == [("1", "1/zarr.json")]


def test_a_missing_level_fails(tmp_path):
    path = build_store("image/multiscales_example", tmp_path, consolidated=False)
    _edit(path, "zarr.json", lambda d: d["attributes"]["ome"]["multiscales"][0]["datasets"][2].update(path="9"))
    report = validate(str(path))
    assert [(c.node, c.key) for c in _checks(report, "OME multiscales", "fail")] == [("9", "9/zarr.json")]
    assert _checks(report, "ome-zarr-models", "fail")


def test_a_float_label_image_fails(tmp_path):
    path = build_store("label/colors_properties", tmp_path, consolidated=False)
    _edit(path, "labels/cell_space_segmentation/0/zarr.json", lambda d: d.update(data_type="float32", fill_value=0.0))
    bad = _checks(validate(str(path)), "OME multiscales", "fail")
    assert [c.node for c in bad] == ["labels/cell_space_segmentation/0"] and "integers" in bad[0].detail


def test_labels_listing_a_missing_image_fails(tmp_path):
    path = build_store("label/colors_properties", tmp_path, consolidated=False)
    _edit(path, "labels/zarr.json", lambda d: d["attributes"]["ome"].update(labels=["nuclei"]))
    report = validate(str(path))
    assert [c.node for c in _checks(report, "OME labels", "fail")] == ["labels/nuclei"]
    # the reader refuses the labels group, and the image above it, whose model includes its labels
    assert [c.node for c in _checks(report, "ome-zarr-models", "fail")] == ["", "labels"]


def test_an_edit_after_consolidation_is_stale_consolidated_metadata(tmp_path):
    path = build_store("label/colors_properties", tmp_path, consolidated=True)
    _edit(path, "labels/zarr.json", lambda d: d["attributes"]["ome"].update(labels=["nuclei"]))
    report = validate(str(path))
    assert [(c.node, c.key) for c in _checks(report, "consolidated metadata", "fail")] == [("labels", "labels/zarr.json")]


def test_each_kind_gets_its_own_schema(tmp_path):
    path = build_store("plate/plate_6wells", tmp_path, consolidated=False)
    _edit(path, "A/1/zarr.json", lambda d: d["attributes"]["ome"]["well"].update(images=[]))
    report = validate(str(path))
    bad = _checks(report, "OME 0.5 schema", "fail")
    assert [(c.node, c.key) for c in bad] == [("A/1", "A/1/zarr.json")] and bad[0].detail.startswith("well:")


def test_a_well_path_that_is_not_row_slash_column_fails(tmp_path):
    path = build_store("plate/plate_2wells", tmp_path, consolidated=False)
    _edit(path, "zarr.json", lambda d: d["attributes"]["ome"]["plate"]["wells"][0].update(path="5/C"))
    bad = _checks(validate(str(path)), "OME plate", "fail")
    assert [(c.node, c.key) for c in bad] == [("", "zarr.json")] and "'C/5'" in bad[0].detail


def test_unknown_ome_keys_are_not_checked_not_failed(tmp_path):
    zarr.open_group(str(tmp_path / "u.zarr"), mode="w", zarr_format=3,
                    attributes={"ome": {"version": "0.5", "coordinateSystems": []}})
    report = validate(str(tmp_path / "u.zarr"))
    assert report.passed and [c.node for c in _checks(report, "OME", "skip")] == [""]


def test_an_empty_ome_block_fails(tmp_path):
    zarr.open_group(str(tmp_path / "e.zarr"), mode="w", zarr_format=3, attributes={"ome": {"version": "0.5"}})
    assert [c.key for c in _checks(validate(str(tmp_path / "e.zarr")), "OME", "fail")] == ["zarr.json"]


def test_ome_keys_outside_the_ome_block_of_a_v3_group_fail(tmp_path):
    zarr.open_group(str(tmp_path / "w.zarr"), mode="w", zarr_format=3, attributes={"well": {"images": [{"path": "0"}]}})
    report = validate(str(tmp_path / "w.zarr"))
    assert _checks(report, "OME", "fail") and _checks(report, "OME 0.5 schema", "fail")


def test_ome_0_4_in_a_v2_hierarchy_is_not_checked(tmp_path):
    root = zarr.open_group(str(tmp_path / "v2.zarr"), mode="w", zarr_format=2)
    root.attrs["multiscales"] = [{"version": "0.4", "axes": [{"name": "x", "type": "space"}], "datasets": [{"path": "0"}]}]
    root.create_array("0", shape=(4,), dtype="u1").attrs["_ARRAY_DIMENSIONS"] = ["x"]
    report = validate(str(tmp_path / "v2.zarr"))
    assert report.passed and [(c.node, c.key) for c in _checks(report, "OME", "skip")] == [("", ".zattrs")]


def test_ome_0_5_in_a_v2_group_fails(tmp_path):
    zarr.open_group(str(tmp_path / "v2.zarr"), mode="w", zarr_format=2,
                    attributes={"ome": {"version": "0.4", "plate": {}}})
    report = validate(str(tmp_path / "v2.zarr"))
    assert [c.key for c in _checks(report, "OME version", "fail")] == [".zattrs"]


def test_a_malformed_ome_block_is_a_failed_check_not_a_crash(tmp_path):
    path = build_store("plate/plate_2wells", tmp_path, consolidated=False)
    _edit(path, "zarr.json", lambda d: d["attributes"]["ome"]["plate"].update(rows="A", wells=[{"path": 3}]))
    report = validate(str(path))
    assert not report.passed and _checks(report, "OME 0.5 schema", "fail")
    assert [c.node for c in _checks(report, "OME rules", "fail")] == [""]


def test_ome_not_an_object_fails(tmp_path):
    zarr.open_group(str(tmp_path / "o.zarr"), mode="w", zarr_format=3, attributes={"ome": ["0.5"]})
    assert [c.key for c in _checks(validate(str(tmp_path / "o.zarr")), "OME", "fail")] == ["zarr.json"]
