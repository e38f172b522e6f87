"""The generic checks, each given bad input: it fails (or warns) and names the node and key."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrkit.errors import StoreNotFoundError
from zarrkit.validate import validate

zarr = pytest.importorskip("zarr")


def _plain(path, *, consolidated=False, zarr_format=3):
    """A plain zarr-python group with two arrays sharing the dimension 'x'."""
    root = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    names = {"dimension_names": ["t", "x"]} if zarr_format == 3 else {}
    temp = root.create_array("temperature", shape=(3, 4), dtype="f4", chunks=(2, 2), **names)
    temp[...] = np.arange(12, dtype="f4").reshape(3, 4)
    flags = root.create_array("flags", shape=(4,), dtype="u1", chunks=(4,),
                              **({"dimension_names": ["x"]} if zarr_format == 3 else {}))
    flags[...] = np.array([0, 1, 2, 3], "u1")
    if zarr_format == 2:
        temp.attrs["_ARRAY_DIMENSIONS"] = ["t", "x"]
        flags.attrs["_ARRAY_DIMENSIONS"] = ["x"]
    if consolidated:
        zarr.consolidate_metadata(str(path), zarr_format=zarr_format)
    return path


def _edit(path, key, change):
    file = path / key
    doc = json.loads(file.read_text())
    change(doc)
    file.write_text(json.dumps(doc))


def _failed(report, name):
    return [(c.node, c.key) for c in report.checks if c.name == name and c.status == "fail"]


def test_plain_zarr_python_group_passes_with_a_warning(tmp_path):
    report = validate(str(_plain(tmp_path / "p.zarr")))
    assert report.passed and not report.strict_passed()
    assert [c.status for c in report.checks if c.name == "consolidated metadata"] == ["warn"]
    xarray = [c for c in report.checks if c.name == "xarray"]
    assert [(c.status, c.node) for c in xarray] == [("ok", "")] and "consolidated=False" in xarray[0].detail


def test_consolidated_plain_group_is_fully_ok(tmp_path):
    report = validate(str(_plain(tmp_path / "p.zarr", consolidated=True)))
    assert report.strict_passed(), [c for c in report.checks if c.status not in ("ok", "skip")]


@pytest.mark.parametrize("content,message", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"zarr_format": 3, "node_type": "array", "shape": "big"}', "required field"),
    (b'{"zarr_format": 3, "node_type": "group", "attributes": [1]}', "'attributes' must be an object"),
    (b'{"zarr_format": 3, "node_type": "tree"}', "node_type"),
    (b"{}", "zarr_format"),
])
def test_a_malformed_document_anywhere_is_a_failed_check(tmp_path, content, message):
    path = _plain(tmp_path / "p.zarr")
    (path / "temperature" / "zarr.json").write_bytes(content)
    report = validate(str(path))
    bad = [c for c in report.checks if c.name == "documents" and c.status == "fail"]
    assert [(c.node, c.key) for c in bad] == [("temperature", "temperature/zarr.json")]
    assert message in bad[0].detail and not report.passed


def test_wrongly_typed_array_fields_fail_with_node_and_key(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "flags/zarr.json", lambda d: d.update(shape=["four"]))
    assert _failed(validate(str(path)), "documents") == [("flags", "flags/zarr.json")]


def test_a_malformed_root_is_a_report_not_a_crash(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    (path / "zarr.json").write_bytes(b'{"zarr_format": 3, "node_type": "group", "attributes": ')
    report = validate(str(path))
    assert _failed(report, "documents") == [("", "zarr.json")] and not report.passed


def test_an_empty_folder_is_no_zarr_root(tmp_path):
    (tmp_path / "e.zarr").mkdir()
    report = validate(str(tmp_path / "e.zarr"))
    assert _failed(report, "documents") == [("", "zarr.json")]


def test_a_missing_store_raises_the_usual_error(tmp_path):
    with pytest.raises(StoreNotFoundError):
        validate(str(tmp_path / "nothing.zarr"))


def test_stale_consolidated_metadata_fails_naming_the_node(tmp_path):
    path = _plain(tmp_path / "p.zarr", consolidated=True)
    _edit(path, "flags/zarr.json", lambda d: d["attributes"].update(units="K"))
    assert _failed(validate(str(path)), "consolidated metadata") == [("flags", "flags/zarr.json")]


def test_consolidated_metadata_naming_a_node_that_is_gone_fails(tmp_path):
    path = _plain(tmp_path / "p.zarr", consolidated=True)
    (path / "flags" / "zarr.json").unlink()
    assert _failed(validate(str(path)), "consolidated metadata") == [("flags", "flags/zarr.json")]


def test_malformed_consolidated_metadata_fails_at_the_root(tmp_path):
    path = _plain(tmp_path / "p.zarr", consolidated=True)
    _edit(path, "zarr.json", lambda d: d.update(consolidated_metadata={"metadata": [1]}))
    report = validate(str(path))
    assert _failed(report, "documents") == [("", "zarr.json")]
    assert any(c.name == "xarray" for c in report.checks)  # the rest still ran, by listing


def test_dimension_names_of_the_wrong_count_fail(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "temperature/zarr.json", lambda d: d.update(dimension_names=["t"]))
    # zarrkit's metadata parser already refuses the document
    assert _failed(validate(str(path)), "documents") == [("temperature", "temperature/zarr.json")]
    v2 = _plain(tmp_path / "v2.zarr", zarr_format=2)
    _edit(v2, "temperature/.zattrs", lambda d: d.update(_ARRAY_DIMENSIONS=["t"]))
    assert _failed(validate(str(v2)), "dimension names") == [("temperature", "temperature/.zattrs")]


def test_one_name_with_two_lengths_in_a_group_fails(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "flags/zarr.json", lambda d: d.update(dimension_names=["t"]))  # t is 3 long in temperature
    report = validate(str(path))
    bad = [c for c in report.checks if c.name == "dimension names" and c.status == "fail"]
    assert [(c.node, c.key) for c in bad] == [("temperature", "temperature/zarr.json")] and "'t'" in bad[0].detail
    assert [c.status for c in report.checks if c.name == "xarray"] == ["fail"]


def test_v2_dimension_attribute_on_a_v3_array_fails(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "flags/zarr.json", lambda d: d["attributes"].update(_ARRAY_DIMENSIONS=["x"]))
    assert _failed(validate(str(path)), "dimension names") == [("flags", "flags/zarr.json")]


def test_missing_dimension_names_warn_and_xarray_refusal_is_a_warning(tmp_path):
    root = zarr.open_group(str(tmp_path / "u.zarr"), mode="w", zarr_format=3)
    root.create_array("a", shape=(2,), dtype="i4")
    report = validate(str(tmp_path / "u.zarr"))
    assert report.passed
    assert [(c.status, c.node) for c in report.checks if c.name == "dimension names" and c.status != "ok"] == [("warn", "a")]


@pytest.mark.parametrize("attrs,message", [
    ({"flag_masks": [1, 2], "flag_meanings": "a"}, "2 flag_masks but 1 flag_meanings"),
    ({"flag_masks": [1, 3], "flag_meanings": "a b"}, "powers of two"),
    ({"flag_masks": [1, 256], "flag_meanings": "a b"}, "beyond the 8 bits"),
    ({"flag_masks": "1 2", "flag_meanings": "a b"}, "not a list of integers"),
    ({"flag_masks": [1], "flag_meanings": 5}, "not a string"),
    ({"flag_masks": [1], "flag_meanings": "a", "zarrkit": {"planes": ["a", "b"]}}, "zarrkit.planes"),
])
def test_cf_flags_fail_naming_the_array(tmp_path, attrs, message):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "flags/zarr.json", lambda d: d["attributes"].update(attrs))
    bad = [c for c in validate(str(path)).checks if c.name == "CF flags" and c.status == "fail"]
    assert [(c.node, c.key) for c in bad] == [("flags", "flags/zarr.json")] and message in bad[0].detail


def test_good_cf_flags_are_ok(tmp_path):
    path = _plain(tmp_path / "p.zarr")
    _edit(path, "flags/zarr.json", lambda d: d["attributes"].update(flag_masks=[1, 2], flag_meanings="a b"))
    assert [c.status for c in validate(str(path)).checks if c.name == "CF flags"] == ["ok"]


@pytest.mark.parametrize("consolidated", [False, True])
def test_v2_hierarchy_gets_a_report(tmp_path, consolidated):
    path = _plain(tmp_path / "v2.zarr", zarr_format=2, consolidated=consolidated)
    report = validate(str(path), deep=True)
    assert report.passed, [c for c in report.checks if c.status == "fail"]
    assert report.conventions[0] == "zarr v2"
    assert [c.status for c in report.checks if c.name == "dimension names"] == ["ok"]
    assert [c.status for c in report.checks if c.name == "xarray"] == ["ok"]
    assert [c.status for c in report.checks if c.name == "consolidated metadata"] == ["ok" if consolidated else "warn"]
    assert sorted(c.node for c in report.checks if c.name == "chunks") == ["flags", "temperature"]


def test_v2_malformed_attributes_fail_naming_the_key(tmp_path):
    path = _plain(tmp_path / "v2.zarr", zarr_format=2)
    (path / "flags" / ".zattrs").write_text("[1]")
    (path / "temperature" / ".zarray").write_text("{oops")
    report = validate(str(path))
    assert sorted(_failed(report, "documents")) == [("flags", "flags/.zattrs"), ("temperature", "temperature/.zarray")]
