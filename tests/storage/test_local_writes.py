"""The local store's batched write path: directories made once, checks before any byte
lands, no torn objects, errors that name the key, no temporary files left behind."""

from __future__ import annotations

import os
import threading

import pytest
import zarr

from zarrkit.errors import InvalidKeyError, StoreBrokenError, StoreIOError
from zarrkit.storage import open_store
from zarrkit.storage.local_write import plan_runs, run_in_pool, temp_name


def _files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_set_many_writes_nested_new_directories_and_leaves_no_temp_files(tmp_path):
    store = open_store(str(tmp_path), "a")
    items = {f"a/c/{i // 7}/{i % 7}": f"v{i}".encode() * (i + 1) for i in range(200)}
    store.set_many(items)
    assert store.get_many(list(items)) == list(items.values())
    assert _files(tmp_path) == sorted(items)  # nothing hidden left over
    store.set_many({k: b"new" for k in list(items)[:50]})  # overwrite in existing directories
    assert store.get("a/c/0/0") == b"new" and store.get("a/c/28/3") == items["a/c/28/3"]
    assert _files(tmp_path) == sorted(items)


def test_zarr_python_reads_what_set_many_wrote(tmp_path):
    import numpy as np

    arr = zarr.create_array(str(tmp_path / "src"), shape=(64, 64), chunks=(8, 8), dtype="u2")
    arr[:] = np.arange(64 * 64, dtype="u2").reshape(64, 64)
    src = open_store(str(tmp_path / "src"), "r")
    objects = {k: src.get(k) for k in src.list_prefix("")}
    open_store(str(tmp_path / "dst"), "a").set_many(objects)
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "dst"), mode="r")[:], arr[:])


def test_an_escaping_key_in_a_batch_writes_nothing(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    (outside / "secret").write_bytes(b"s")
    os.symlink(outside / "secret", root / "filelink")
    store = open_store(str(root), "a")
    for bad in ("link/deeper/x", "filelink"):
        with pytest.raises(InvalidKeyError, match="outside the store root") as info:
            store.set_many({"ok/0": b"1", "ok/1": b"2", bad: b"x"})
        assert bad in str(info.value) and str(root) in str(info.value)
        assert sorted(os.listdir(root)) == ["filelink", "link"]  # not even the "ok" folder
    assert sorted(os.listdir(outside)) == ["secret"] and (outside / "secret").read_bytes() == b"s"
    store.set("ok/0", b"1")  # a refused key does not break the handle
    assert store.get("ok/0") == b"1"


def test_a_failed_write_names_the_key_breaks_the_handle_and_leaves_no_temp_file(tmp_path):
    store = open_store(str(tmp_path), "a")
    store.set("g/blocker", b"a file where a folder is needed")
    with pytest.raises(StoreIOError) as info:
        store.set_many({"g/ok": b"1", "g/blocker/0": b"2"})
    assert "g/blocker/0" in str(info.value) and str(tmp_path) in str(info.value)
    with pytest.raises(StoreBrokenError):
        store.set("g/other", b"3")
    assert not [f for f in _files(tmp_path) if ".zarrkit-tmp." in f]


def test_a_directory_removed_behind_the_stores_back_is_made_again(tmp_path):
    import shutil

    store = open_store(str(tmp_path), "a")
    store.set_many({"a/b/0": b"0", "a/b/1": b"1"})
    shutil.rmtree(tmp_path / "a")  # the store still remembers a/b as existing
    store.set_many({"a/b/2": b"2"})
    store.set("a/b/3", b"3")
    assert _files(tmp_path) == ["a/b/2", "a/b/3"]
    store.delete_prefix("a/")
    store.set("a/b/4", b"4")
    assert _files(tmp_path) == ["a/b/4"]


def test_set_if_absent_in_a_new_directory_is_still_create_only(tmp_path):
    store = open_store(str(tmp_path), "a")
    assert store.set_if_absent("x/y/lock", b"1") is True
    assert store.set_if_absent("x/y/lock", b"2") is False
    assert store.get("x/y/lock") == b"1" and _files(tmp_path) == ["x/y/lock"]


def test_a_reader_never_sees_a_torn_object(tmp_path):
    store = open_store(str(tmp_path), "a")
    old, new = b"o" * (1 << 18), b"n" * (1 << 18)
    store.set("k", old)
    seen, stop = set(), threading.Event()

    def read():
        while not stop.is_set():
            seen.add(store.get("k"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(60):
            store.set_many({"k": new if i % 2 else old})
    finally:
        stop.set()
        reader.join()
    assert seen <= {old, new}


def test_temp_names_are_unique_and_hidden():
    names = {temp_name("0") for _ in range(1000)}
    assert len(names) == 1000 and all(n.startswith(".zarrkit-tmp.") and n.endswith(".0") for n in names)


def test_runs_stop_at_the_first_failure():
    from concurrent.futures import ThreadPoolExecutor

    done: list[int] = []

    def work(i):
        if i == 3:
            raise OSError("disk full")
        done.append(i)

    with pytest.raises(OSError, match="disk full"):
        run_in_pool(None, plan_runs([1] * 100, objects=10), work, 1)
    assert done == [0, 1, 2]
    done.clear()
    with ThreadPoolExecutor(3) as pool, pytest.raises(OSError, match="disk full"):
        run_in_pool(pool, plan_runs([1] * 1000, objects=10), work, 3)
    assert 3 not in done and len(done) < 1000


def test_a_tree_removed_through_another_handle_is_made_again(tmp_path):
    # A forced rebuild removes a group through one handle while another, which had seen its
    # folders, writes deeper into the same tree: the writer must not trust what it had seen.
    writer = open_store(str(tmp_path / "s"), mode="w")
    writer.set_many({"z/arr/c/0/0": b"old", "z/arr/c/0/1": b"old"})
    other = open_store(str(tmp_path / "s"), mode="r+")
    other.delete_prefix("z/")
    assert not os.path.exists(tmp_path / "s" / "z")
    writer.set_many({"z/arr/c/1/0": b"new", "z/arr/c/1/1": b"new"})
    writer.set("z/arr/c/2/0", b"one")
    assert writer.get("z/arr/c/1/1") == b"new" and writer.get("z/arr/c/2/0") == b"one"
    assert writer.get("z/arr/c/0/0") is None
