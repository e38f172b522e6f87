"""Zip archives: staging, packing order, reproducible bytes, discard, zarr-python interop."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from tests.storage.cases import sample_objects
from zarrkit.errors import ContainsDataError, ReadOnlyError, StoreNotFoundError, UnsupportedOperationError
from zarrkit.storage import open_store


def _build(path, objects=None, **kw):
    with open_store(str(path), "w", **kw) as store:
        for key, value in (objects or sample_objects()).items():
            store.set(key, value)


def test_packing_order_and_entries(tmp_path):
    path = tmp_path / "a.zip"
    _build(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    assert names[0] == "zarr.json"
    assert names == ["zarr.json", "g/zarr.json", "g/arr/zarr.json", "g/arr/c/0/0", "g/arr/c/0/1",
                     "g/arr/c/1/0", "g/arr/c/1/1"]
    assert len(set(names)) == len(names)
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    root = json.loads(zipfile.ZipFile(path).read("zarr.json"))
    assert set(root["consolidated_metadata"]["metadata"]) == {"g", "g/arr"}
    assert not list(tmp_path.glob("*.zarrkit-staging-*")) and not list(tmp_path.glob("*.zarrkit-tmp"))


def test_rebuild_is_byte_identical(tmp_path):
    _build(tmp_path / "a.zip")
    _build(tmp_path / "b.zip", dict(reversed(list(sample_objects().items()))))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_rewritten_key_gives_one_entry(tmp_path):
    path = tmp_path / "a.zip"
    with open_store(str(path), "w") as store:
        store.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
        store.set("c/0", b"old")
        store.set("c/0", b"new")
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist().count("c/0") == 1
        assert zf.read("c/0") == b"new"


def test_exception_and_discard_leave_the_target_untouched(tmp_path):
    path = tmp_path / "a.zip"
    _build(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with open_store(str(path), "w", overwrite=True) as store:
            store.set("zarr.json", b"{}")
            raise RuntimeError("writer crashed")
    assert path.read_bytes() == before
    store = open_store(str(path), "w", overwrite=True)
    store.set("zarr.json", b"{}")
    store.discard()
    store.close()
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.zarrkit-staging-*"))


def test_existing_zip_needs_overwrite_and_a_zarr_root(tmp_path):
    path = tmp_path / "a.zip"
    _build(path)
    with pytest.raises(ContainsDataError):
        open_store(str(path), "w")
    other = tmp_path / "notes.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("notes.txt", "keep me")
    with pytest.raises(ContainsDataError, match="no Zarr root"):
        open_store(str(other), "w", overwrite=True)


def test_zips_are_not_edited_in_place(tmp_path):
    path = tmp_path / "a.zip"
    _build(path)
    for mode in ("r+", "a"):
        with pytest.raises(UnsupportedOperationError, match="unpack"):
            open_store(str(path), mode)
    with pytest.raises(ReadOnlyError):
        open_store(str(path)).set("x", b"1")


def test_reads_deflated_and_zip64_archives_written_by_others(tmp_path):
    path = tmp_path / "other.zip"
    payload = bytes(range(256)) * 64
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zarr.json", b"{}")
        zf.writestr("dir/", b"")
        with zf.open("big", "w", force_zip64=True) as f:
            f.write(payload)
    store = open_store(str(path))
    assert store.get("big") == payload
    assert store.get_range("big", 100, 10) == payload[100:110]
    assert store.get_range("big", -5) == payload[-5:]
    assert sorted(store.list_prefix("")) == ["big", "zarr.json"]


def test_zarr_python_reads_our_zip_and_we_read_its(tmp_path):
    zarr = pytest.importorskip("zarr")
    ours = tmp_path / "ours.zip"
    _build(ours)
    reader = open_store(str(ours))
    arr = zarr.open_array(reader.zarr_store(), path="g/arr", mode="r")
    assert arr[3, 3] == 3
    reader.close()

    theirs = tmp_path / "theirs.zip"
    zs = zarr.storage.ZipStore(str(theirs), mode="w")
    a = zarr.create_array(zs, shape=(5,), chunks=(2,), dtype="int8")
    a[:] = np.arange(5)
    zs.close()
    store = open_store(str(theirs))
    assert store.exists("zarr.json")
    assert store.get("c/2") is not None
    np.testing.assert_array_equal(zarr.open_array(store.zarr_store(), mode="r")[:], np.arange(5))
    # a zarr-python ZipStore handed in is read-only here
    with pytest.raises(UnsupportedOperationError):
        open_store(zarr.storage.ZipStore(str(theirs), mode="r"), "a")
    assert open_store(zarr.storage.ZipStore(str(theirs), mode="r")).exists("zarr.json")


def test_ozx_comment(tmp_path):
    path = tmp_path / "plate.ozx"
    comment = json.dumps({"ome": {"version": "0.5"}})
    _build(path, backend_options={"comment": comment})
    assert zipfile.ZipFile(path).comment == comment.encode()


def test_zip_in_an_object_store_is_read_with_ranges(tmp_path, s3_endpoint, bucket, s3_options):
    from tests.conftest import s3_client

    _build(tmp_path / "a.zip")
    s3_client(s3_endpoint).put_object(Bucket=bucket, Key="sets/a.zip", Body=(tmp_path / "a.zip").read_bytes())
    store = open_store(f"s3://{bucket}/sets/a.zip", options=s3_options)
    assert store.kind == "zip"
    assert store.get("g/arr/c/1/0") == sample_objects()["g/arr/c/1/0"]
    with pytest.raises(UnsupportedOperationError):
        open_store(f"s3://{bucket}/sets/a.zip", "w", options=s3_options)
    zarr = pytest.importorskip("zarr")
    assert zarr.open_array(store.zarr_store(), path="g/arr", mode="r")[2, 0] == 2


@pytest.mark.parametrize("name", ["run.zarr", "run.zarr.zip"])
def test_folder_and_zip_targets_both_create_missing_parent_folders(tmp_path, name):
    target = tmp_path / "new" / "deeper" / name
    with open_store(str(target), mode="w") as store:
        store.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    assert open_store(str(target)).get("zarr.json") is not None


def test_a_zip_whose_parent_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreNotFoundError, match="is a file"):
        open_store(str(tmp_path / "file" / "run.zip"), mode="w")
