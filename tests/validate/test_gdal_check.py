"""`zarrkit validate` asks GDAL (through rasterio) to open each numeric array of a local store."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from zarrkit import core
from zarrkit.cli.main import app
from zarrkit.storage import open_store
from zarrkit.validate import validate
from zarrkit.validate.documents import read_documents
from zarrkit.validate.readers import gdal_checks

rasterio = pytest.importorskip("rasterio")
GDAL = tuple(int(p) for p in rasterio.__gdal_version__.split(".")[:2])
# GDAL before 3.12 knows an early draft of Zarr v3 and refuses the final spec's "bytes" codec.
READS_V3 = GDAL >= (3, 12)
READS_SHARDS = GDAL >= (3, 13)

VALUES = np.arange(48, dtype="uint16").reshape(8, 6)


def _store_with(tmp_path, **arrays):
    store = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(store, "")
    for name, kwargs in arrays.items():
        meta = core.array_metadata(VALUES.shape, "uint16", (2, 3), dimension_names=["y", "x"], **kwargs)
        meta = core.create_array(store, name, meta)
        core.write_region(store, name, ..., VALUES, metadata=meta)
    return store


def _by_node(checks):
    return {c.node: c for c in checks}


def test_plain_array_is_read_with_equal_values_or_skipped_naming_the_codec(tmp_path):
    store = _store_with(tmp_path, plain={})
    check = _by_node(gdal_checks(store, read_documents(store)))["plain"]
    if READS_V3:
        assert check.status == "ok", check
        assert "1 band(s) of 8×6, values equal" in check.detail
    else:
        assert check.status == "skip" and "no bytes codec" in check.detail


def test_sharded_crc32c_and_string_arrays_are_skips_that_say_why(tmp_path):
    store = _store_with(tmp_path, sharded={"shards": (4, 6)}, crc={"compressors": [{"name": "crc32c"}]})
    core.create_array(store, "names", core.array_metadata((3,), str, (2,)))
    checks = _by_node(gdal_checks(store, read_documents(store)))
    assert checks["names"].status == "skip" and "numeric arrays" in checks["names"].detail
    if not READS_V3:
        return
    if not READS_SHARDS:
        assert checks["sharded"].status == "skip"
        assert "sharding_indexed" in checks["sharded"].detail and "3.13" in checks["sharded"].detail
    else:
        assert checks["sharded"].status == "ok"
    assert checks["crc"].status in ("skip", "ok")
    if checks["crc"].status == "skip":
        assert "crc32c" in checks["crc"].detail


def test_three_dimensional_arrays_become_bands(tmp_path):
    if not READS_V3:
        pytest.skip(f"GDAL {rasterio.__gdal_version__} refuses the final Zarr v3 'bytes' codec")
    store = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(store, "")
    cube = np.arange(2 * 3 * 5 * 7, dtype="float32").reshape(2, 3, 5, 7)
    meta = core.create_array(store, "cube", core.array_metadata(cube.shape, "float32", (1, 1, 2, 3)))
    core.write_region(store, "cube", ..., cube, metadata=meta)
    check = _by_node(gdal_checks(store, read_documents(store)))["cube"]
    assert check.status == "ok" and "6 band(s) of 5×7" in check.detail


def test_values_differing_from_zarrkits_reading_fail(tmp_path, monkeypatch):
    if not READS_V3:
        pytest.skip(f"GDAL {rasterio.__gdal_version__} refuses the final Zarr v3 'bytes' codec")
    store = _store_with(tmp_path, plain={})
    real = core.read_region
    monkeypatch.setattr(core, "read_region", lambda *a, **k: real(*a, **k) + 1)  # as if GDAL misread
    check = _by_node(gdal_checks(store, read_documents(store)))["plain"]
    assert check.status == "fail" and "differs" in check.detail


def test_a_zip_is_opened_through_vsizip(tmp_path):
    if not READS_V3:
        pytest.skip(f"GDAL {rasterio.__gdal_version__} refuses the final Zarr v3 'bytes' codec")
    writer = open_store(str(tmp_path / "a.zarr.zip"), mode="w")
    core.create_group(writer, "")
    meta = core.create_array(writer, "plain", core.array_metadata(VALUES.shape, "uint16", (2, 3)))
    core.write_region(writer, "plain", ..., VALUES, metadata=meta)
    writer.close()
    store = open_store(str(tmp_path / "a.zarr.zip"), mode="r")
    assert _by_node(gdal_checks(store, read_documents(store)))["plain"].status == "ok"


def test_stores_gdal_is_not_asked_about_are_one_skip():
    store = open_store("memory://gdal-check-memory", mode="w")
    checks = gdal_checks(store, read_documents(store))
    assert [(c.status, "memory store" in c.detail) for c in checks] == [("skip", True)]


def test_without_rasterio_the_check_is_a_skip(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rasterio", None)  # import rasterio now raises ImportError
    store = _store_with(tmp_path, plain={})
    checks = gdal_checks(store, read_documents(store))
    assert [(c.status, c.detail) for c in checks] == [("skip", "not checked: rasterio (GDAL) is not installed")]


def test_validate_and_the_cli_report_gdal_as_a_reader(tmp_path):
    store = _store_with(tmp_path, plain={}, sharded={"shards": (4, 6)})
    core.consolidate(store)
    report = validate(str(tmp_path / "s"))
    assert report.passed
    assert {c.node for c in report.checks if c.name == "GDAL"} == {"plain", "sharded"}
    result = CliRunner().invoke(app, ["validate", "--strict", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output  # GDAL's missing codecs are skips, never warnings
    assert "GDAL" in result.output
