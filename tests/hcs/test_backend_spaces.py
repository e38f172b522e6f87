"""What the file-like backend does per store kind where the kinds differ (spec §4 on local
folders, memory stores and loopback S3): directories, symlinks, plain folders, moves and
copies of whole stores, and copies between kinds."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.hcs.conftest import field_data
from zarrkit.errors import StorageResolutionError, UnsupportedOperationError
from zarrkit.hcs.backend import FileBackend, FileConfig


def plane(i):
    return field_data(i, (16, 16))


def backend(where):
    return FileBackend(FileConfig(storage_options=where.options))


def test_directories_in_a_flat_store_and_plain_folders(where):
    """Groups are directories on every kind; outside a store, an object store has prefixes:
    ``ensure_directory`` creates nothing there and an empty prefix is no directory."""
    fb, root = backend(where), where.path("flat.zarr")
    fb.ensure_directory(root)
    fb.ensure_directory(f"{root}/sub/deep")
    fb.save(plane(0), f"{root}/sub/a.tif")
    assert fb.list_dir(root) == [f"{root}/sub"] and fb.is_dir(f"{root}/sub/deep")
    assert fb.list_files(root, recursive=True) == [f"{root}/sub/a.tif"]
    with pytest.raises(IsADirectoryError):
        fb.delete(f"{root}/sub")
    fb.delete(f"{root}/sub/deep")  # an empty group
    assert not fb.exists(f"{root}/sub/deep")

    plain = where.path("plain")
    before = where.snapshot()
    assert fb.ensure_directory(f"{plain}/x/y") == f"{plain}/x/y"
    if where.kind == "local":
        assert fb.is_dir(f"{plain}/x/y") and fb.list_dir(f"{plain}/x") == [f"{plain}/x/y"]
        fb.delete(f"{plain}/x/y")
    else:  # a prefix exists only while something is stored below it
        assert where.snapshot() == before
        with pytest.raises(FileNotFoundError):
            fb.is_dir(f"{plain}/x/y")


def test_plain_files_outside_stores(where):
    """Files written by other tools (os, the store's own client) are listed, loaded and
    deleted as plain files, with stores inside a folder listed by their names."""
    fb = backend(where)
    plain = where.path("plain")
    raw = {"x/a.TIF": b"1", "b.txt": b"t", "x/deeper/c.json": b'{"c": 3}'}
    if where.kind == "local":
        for key, data in raw.items():
            os.makedirs(os.path.dirname(f"{plain}/{key}"), exist_ok=True)
            open(f"{plain}/{key}", "wb").write(data)
    else:
        from zarrkit.storage import open_store

        with open_store(plain, mode="a", options=where.options if where.kind == "s3" else None) as s:
            for key, data in raw.items():
                s.set(key, data)
    fb.save(plane(1), f"{plain}/s.zarr/img.tif")
    fb.save("hi", f"{plain}/s.zarr/notes.txt")
    assert fb.list_files(plain, recursive=True) == [f"{plain}/b.txt", f"{plain}/s.zarr/img.tif",
                                                   f"{plain}/s.zarr/notes.txt", f"{plain}/x/a.TIF",
                                                   f"{plain}/x/deeper/c.json"]
    assert fb.list_dir(plain) == [f"{plain}/b.txt", f"{plain}/s.zarr", f"{plain}/x"]  # no s.zarr.files
    assert fb.list_files(plain, pattern="*.TIF", recursive=True) == [f"{plain}/x/a.TIF"]
    assert fb.load(f"{plain}/x/a.TIF") == b"1" and fb.load(f"{plain}/x/deeper/c.json") == {"c": 3}
    assert fb.is_dir(f"{plain}/x/deeper") and fb.stat(f"{plain}/b.txt") == {
        "path": f"{plain}/b.txt", "type": "file", "exists": True, "size": 1}
    with pytest.raises(IsADirectoryError):
        fb.delete(f"{plain}/x")
    fb.delete(f"{plain}/b.txt")
    fb.delete_all(f"{plain}/x")
    assert fb.list_dir(plain) == [f"{plain}/s.zarr"]
    if where.kind != "local":  # a bucket root is never a store (its .files/ would be another bucket)
        with pytest.raises(StorageResolutionError, match="not a file name inside a store"):
            fb.save(plane(0), where.base.rsplit("/", 1)[0] + "/a.tif")


def test_symlinks_are_local_only(where):
    """Local stores keep links (attributes inside a store, real symlinks outside); object and
    memory stores have none: create_symlink raises UnsupportedOperationError naming the store
    and writes nothing, is_symlink is False."""
    fb, root = backend(where), where.path("flat.zarr")
    fb.ensure_directory(root)
    fb.save(plane(0), f"{root}/sub/a.tif")
    fb.save({"m": 1}, f"{root}/meta.json")
    if where.kind != "local":
        before = where.snapshot()
        for source, link in ((f"{root}/sub/a.tif", f"{root}/l1.tif"), (f"{root}/meta.json", f"{root}/l.json"),
                             (f"{root}/sub/a.tif", where.path("outside.tif"))):
            with pytest.raises(UnsupportedOperationError, match="symlinks exist only on local paths") as err:
                fb.create_symlink(source, link)
            assert where.bucket in err.value.url and err.value.key
            assert fb.is_symlink(link) is False and fb.is_symlink(source) is False
        assert where.snapshot() == before and fb.stat(f"{root}/sub/a.tif")["type"] == "file"
        return
    fb.create_symlink(f"{root}/sub/a.tif", f"{root}/l1.tif")
    fb.create_symlink(f"{root}/l1.tif", f"{root}/l2.tif")
    np.testing.assert_array_equal(fb.load(f"{root}/l2.tif"), plane(0))
    assert fb.stat(f"{root}/l1.tif")["type"] == "symlink"
    with pytest.raises(FileExistsError):
        fb.create_symlink(f"{root}/sub/a.tif", f"{root}/l1.tif")
    with pytest.raises(StorageResolutionError, match="cycle"):
        fb.create_symlink(f"{root}/l2.tif", f"{root}/l1.tif", overwrite=True)
    with pytest.raises(FileNotFoundError):
        fb.create_symlink(f"{root}/nope.tif", f"{root}/l3.tif")
    other = where.path("other.zarr")
    fb.ensure_directory(other)
    with pytest.raises(StorageResolutionError, match="cross"):
        fb.create_symlink(f"{root}/sub/a.tif", f"{other}/x.tif")
    fb.delete(f"{root}/sub/a.tif")
    assert fb.exists(f"{root}/l2.tif") is False and fb.is_symlink(f"{root}/l2.tif")


def test_os_symlink_cycle_in_a_plain_folder(tmp_path):
    fb = FileBackend()
    d = tmp_path / "plain"
    d.mkdir()
    os.symlink(str(d / "c1"), str(d / "c2"))
    os.symlink(str(d / "c2"), str(d / "c1"))
    assert fb.exists(str(d / "c1")) is False
    with pytest.raises(Exception) as err:
        fb.load(str(d / "c1"))
    assert isinstance(err.value, (StorageResolutionError, FileNotFoundError))


def test_move_and_copy_whole_stores_and_files(where):
    fb, root = backend(where), where.path("flat.zarr")
    fb.save(plane(3), f"{root}/b.tif")
    fb.save("n", f"{root}/n.txt")
    fb.ensure_directory(f"{root}/sub")
    fb.copy(root, where.path("copy.zarr"))
    with pytest.raises(FileExistsError):
        fb.move(root, where.path("copy.zarr"))
    fb.move(root, where.path("moved.zarr"))
    assert not fb.exists(root) and not fb.exists(f"{root}/n.txt")
    for r in ("copy.zarr", "moved.zarr"):
        np.testing.assert_array_equal(fb.load(where.path(r, "b.tif")), plane(3))
        assert fb.load(where.path(r, "n.txt")) == "n"
    fb.copy(where.path("moved.zarr", "b.tif"), where.path("moved.zarr", "c.tif"))
    fb.move(where.path("moved.zarr", "n.txt"), where.path("moved.zarr", "m.txt"))
    assert fb.list_files(where.path("moved.zarr")) == [where.path("moved.zarr", n) for n in ("b.tif", "c.tif", "m.txt")]
    with pytest.raises(StorageResolutionError):
        fb.move(where.path("moved.zarr", "sub"), where.path("moved.zarr", "sub2"))
    with pytest.raises(FileNotFoundError):
        fb.copy(where.path("ghost.zarr"), where.path("g2.zarr"))


@pytest.mark.parametrize("kind", ["memory", "s3"])
def test_copy_between_a_local_folder_and_a_bucket(tmp_path, kind, request):
    """A whole store (with its passthrough files) copies from local to a bucket and back."""
    from tests.hcs.spaces import make_where

    there = make_where(kind, request, tmp_path)
    fb = FileBackend(FileConfig(storage_options=there.options))
    local = str(tmp_path / "run.zarr")
    fb.save_batch([plane(1), {"a": 1}], [f"{local}/a.tif", f"{local}/meta.json"])
    fb.copy(local, there.path("run.zarr"))
    fb.move(there.path("run.zarr"), str(tmp_path / "back.zarr"))
    assert fb.list_files(str(tmp_path / "back.zarr")) == [str(tmp_path / "back.zarr" / n) for n in ("a.tif", "meta.json")]
    np.testing.assert_array_equal(fb.load(str(tmp_path / "back.zarr" / "a.tif")), plane(1))
    assert not fb.exists(there.path("run.zarr")) and fb.load(f"{local}/meta.json") == {"a": 1}


def test_one_backend_shared_by_threads(where):
    """Queries cache each store answer for their own duration, per thread: threads saving and
    querying through one backend never see each other's stale answers."""
    from concurrent.futures import ThreadPoolExecutor

    fb, root = backend(where), where.path("flat.zarr")
    fb.ensure_directory(root)

    def work(i):
        name = f"{root}/t{i}.tif"
        assert not fb.exists(name)
        fb.save(plane(i), name)
        assert fb.exists(name) and fb.stat(name)["type"] == "file"
        np.testing.assert_array_equal(fb.load(name), plane(i))
        return name

    with ThreadPoolExecutor(4) as ex:
        names = list(ex.map(work, range(8)))
    assert fb.list_files(root) == sorted(names)
