"""Every backend through the same byte-protocol round trips, read-only rules and readers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.storage.cases import (
    ALL_CASES,
    GROUP,
    WRITABLE_IN_PLACE,
    make_case,
    sample_objects,
)
from zarrkit.errors import InvalidKeyError, ReadOnlyError, StoreNotFoundError
from zarrkit.storage import consolidate_metadata


@pytest.fixture(params=ALL_CASES)
def case(request, tmp_path):
    return make_case(request.param, tmp_path, request)


@pytest.fixture(params=WRITABLE_IN_PLACE)
def live_case(request, tmp_path):
    return make_case(request.param, tmp_path, request)


def _populate(case):
    store = case.open("w")
    objects = sample_objects()
    for key, value in objects.items():
        store.set(key, value)
    case.finish(store)
    if store.kind == "zip":
        # Packing consolidates: the root document gains the consolidated block, nothing else.
        with case.reader() as reader:
            root = json.loads(reader.get("zarr.json"))
        assert set(root.pop("consolidated_metadata")["metadata"]) == {"g", "g/arr"}
        assert root == json.loads(objects["zarr.json"])
        objects["zarr.json"] = reader_root = case.reader().get("zarr.json")
        assert reader_root is not None
    return store, objects


def test_round_trip_reads(case):
    writer, objects = _populate(case)
    reader = case.reader()
    assert reader.read_only
    for key, value in objects.items():
        assert reader.get(key) == value
    assert reader.get("g/arr/c/9/9") is None
    assert reader.exists("g/arr/zarr.json")
    assert not reader.exists("g/arr/c/9/9")
    assert not reader.exists("g/arr")  # a bare prefix is not an object
    assert sorted(reader.list_prefix("")) == sorted(objects)
    assert sorted(reader.list_prefix("g/arr/")) == sorted(k for k in objects if k.startswith("g/arr/"))
    assert reader.list_dir("") == ["g/", "zarr.json"]
    assert reader.list_dir("g/arr/") == ["c/", "zarr.json"]
    assert reader.list_dir("g/arr/c/") == ["0/", "1/"]
    assert reader.get_many(["g/arr/c/1/1", "nope/zarr.json", "g/zarr.json"]) == [
        objects["g/arr/c/1/1"], None, GROUP,
    ]
    assert dict(reader.list_sizes("g/arr/c/")) == {k: 4 for k in objects if k.startswith("g/arr/c/")}
    reader.close()
    reader.close()  # idempotent
    if writer.kind != "zip":
        writer.close()


def test_ranges(case):
    writer, objects = _populate(case)
    reader = case.reader()
    doc = objects["zarr.json"]
    assert reader.get_range("zarr.json", 0, 5) == doc[:5]
    assert reader.get_range("zarr.json", 3, 4) == doc[3:7]
    assert reader.get_range("zarr.json", 5) == doc[5:]
    assert reader.get_range("zarr.json", -6) == doc[-6:]
    assert reader.get_range("zarr.json", len(doc) - 2, 100) == doc[-2:]  # short read past the end
    assert reader.get_range("zarr.json", 4, 0) == b""
    assert reader.get_range("g/zarr.json.missing", 0, 3) is None
    with pytest.raises(ValueError):
        reader.get_range("zarr.json", -3, 2)


def test_writes_deletes_and_conditional_create(live_case):
    store, objects = _populate(live_case)
    store = live_case.open("r+")
    assert store.set_if_absent("g/arr/c/0/0", b"zzzz") is False
    assert store.get("g/arr/c/0/0") == objects["g/arr/c/0/0"]
    assert store.set_if_absent("g/new/zarr.json", GROUP) is True
    store.set("g/arr/c/0/0", b"\x09" * 4)
    assert store.get("g/arr/c/0/0") == b"\x09" * 4
    store.set_many({"g/arr/c/0/1": b"\x07" * 4, "g/arr/c/1/0": b"\x08" * 4})
    assert store.get_many(["g/arr/c/0/1", "g/arr/c/1/0"]) == [b"\x07" * 4, b"\x08" * 4]
    store.delete("g/arr/c/1/1")
    store.delete("g/arr/c/1/1")  # idempotent
    assert not store.exists("g/arr/c/1/1")
    assert store.delete_prefix("g/arr/c/") == 3
    assert list(store.list_prefix("g/arr/c/")) == []
    assert store.exists("g/arr/zarr.json")
    live_case.finish(store)
    again = live_case.reader()
    assert again.get("g/new/zarr.json") == GROUP
    assert list(again.list_prefix("g/arr/c/")) == []


def test_read_only_refuses_every_mutation(case):
    _populate(case)
    reader = case.reader()
    before = sorted(reader.list_prefix(""))
    for call in (
        lambda: reader.set("zarr.json", b"{}"),
        lambda: reader.set_if_absent("x/zarr.json", GROUP),
        lambda: reader.set_many({"zarr.json": b"{}"}),
        lambda: reader.delete("zarr.json"),
        lambda: reader.delete_prefix(""),
    ):
        with pytest.raises(ReadOnlyError) as info:
            call()
        assert info.value.url == reader.url
    assert sorted(case.reader().list_prefix("")) == before
    zs = reader.zarr_store()
    assert zs.read_only


BAD_KEYS = ["", "/abs/zarr.json", "../escape", "a/../../b", "a//b", "a/./b", ".", "a\\b", "a\x00b", "a\nb", "a/b/"]


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_key_escapes_refused_before_io(live_case, bad):
    store = live_case.open("a")
    for call in (lambda: store.get(bad), lambda: store.set(bad, b"x"), lambda: store.exists(bad),
                 lambda: store.delete(bad), lambda: store.get_range(bad, 0, 1)):
        with pytest.raises(InvalidKeyError) as info:
            call()
        assert info.value.url == store.url
    assert list(store.list_prefix("")) == []  # nothing was written anywhere


def test_zarr_python_and_xarray_read_what_the_store_holds(case):
    zarr = pytest.importorskip("zarr")
    xr = pytest.importorskip("xarray")
    store, objects = _populate(case)
    if store.kind not in ("icechunk", "zip"):
        consolidate_metadata(store)
    reader = case.reader()
    arr = zarr.open_array(reader.zarr_store(), path="g/arr", mode="r")
    expected = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]], dtype=np.uint8)
    np.testing.assert_array_equal(arr[:], expected)
    ds = xr.open_zarr(reader.zarr_store(), group="g", consolidated=False, zarr_format=3)
    np.testing.assert_array_equal(ds["arr"].values, expected)
    assert ds["arr"].dims == ("y", "x")


def test_zarr_python_writes_through_zarr_store(live_case):
    zarr = pytest.importorskip("zarr")
    store = live_case.open("w")
    arr = zarr.create_array(store.zarr_store(), name="a", shape=(6,), chunks=(4,), dtype="int32")
    arr[:] = np.arange(6)
    live_case.finish(store)
    reader = live_case.reader()
    assert reader.exists("a/zarr.json")
    assert sorted(k for k in reader.list_prefix("a/c/")) == ["a/c/0", "a/c/1"]
    np.testing.assert_array_equal(zarr.open_array(reader.zarr_store(), path="a")[:], np.arange(6))


def test_consolidated_metadata_matches_zarr_python_byte_for_byte(tmp_path):
    zarr = pytest.importorskip("zarr")
    import shutil

    from zarrkit.storage import open_store

    theirs = tmp_path / "theirs"
    root = zarr.open_group(str(theirs), mode="w", attributes={"title": "t"})
    root.create_array("x", shape=(4,), chunks=(2,), dtype="int16")
    sub = root.create_group("sub")
    sub.create_array("y", shape=(2, 2), chunks=(1, 2), shards=(2, 2), dtype="float32")
    sub.create_group("deeper").create_array("z", shape=(3,), chunks=(3,), dtype="uint8")
    shutil.copytree(theirs, tmp_path / "ours")
    zarr.consolidate_metadata(str(theirs))
    ours = open_store(str(tmp_path / "ours"), "r+")
    assert consolidate_metadata(ours) == "zarr.json"
    assert ours.get("zarr.json") == (theirs / "zarr.json").read_bytes()
    group = zarr.open_group(ours.zarr_store(), mode="r", use_consolidated=True)
    assert sorted(group.group_keys()) == ["sub"]


def test_missing_location_in_read_mode(tmp_path, request):
    from zarrkit.storage import open_store

    missing = tmp_path / "nowhere"
    with pytest.raises(StoreNotFoundError):
        open_store(str(missing))
    assert not missing.exists()
    with pytest.raises(StoreNotFoundError):
        open_store("memory://never-created-xyz")
    pytest.importorskip("icechunk")  # the rest needs the optional extra
    with pytest.raises(StoreNotFoundError):
        open_store(f"icechunk+file://{missing}")
    assert not missing.exists()
