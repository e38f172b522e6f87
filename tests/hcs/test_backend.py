"""The file-like backend's contract over a plate store and a flat store (spec §4)."""

from __future__ import annotations

import fnmatch
import os

import numpy as np
import pytest

from tests.hcs.conftest import field_data
from zarrkit.errors import IncompleteWellError, StorageResolutionError
from zarrkit.hcs import ImageSpec, PlateSpec
from zarrkit.hcs.backend import FileBackend, FileConfig

NAMES = [f"B03_s{f}_w{c}_z{z:02d}.tif" for f in (1, 2) for c in (1, 2) for z in (1, 2, 3)]


def plane(i):
    return field_data(i, (16, 16))


@pytest.fixture
def plate_fb(tmp_path):
    cfg = FileConfig(plate=PlateSpec.preset(96, name="fb"), image=ImageSpec("czyx", channels=["DAPI", "GFP"]),
                     sizes={"field": 2, "z": 3})
    return FileBackend(cfg), str(tmp_path / "plate.ome.zarr")


@pytest.fixture(params=["plate", "flat"])
def store(request, tmp_path):
    """(backend, store folder, names to save) for each kind of store."""
    if request.param == "plate":
        cfg = FileConfig(plate=PlateSpec.preset(96), image=ImageSpec("czyx", channels=["DAPI", "GFP"]),
                         sizes={"field": 2, "z": 3})
        return FileBackend(cfg), str(tmp_path / "plate.ome.zarr"), NAMES
    return FileBackend(), str(tmp_path / "flat.zarr"), [f"img_{i:02d}.tif" for i in range(12)]


def snapshot(base):
    out = []
    for dirpath, dirs, files in os.walk(os.path.dirname(base)):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            out.append((path, os.path.getsize(path) if os.path.isfile(path) else -1))
    return sorted(out)


def test_save_load_batch_and_order(store):
    fb, root, names = store
    paths = [os.path.join(root, n) for n in names]
    fb.save_batch([plane(i) for i in range(12)], paths)
    fb.flush()
    order = [7, 0, 11, 3]
    loaded = fb.load_batch([paths[i] for i in order])
    for i, arr in zip(order, loaded):
        np.testing.assert_array_equal(arr, plane(i))
    assert fb.list_files(root) == sorted(paths)
    assert fb.is_file(paths[0]) and fb.is_dir(root) and fb.exists(paths[5])
    st = fb.stat(paths[1])
    assert st["type"] == "file" and st["exists"] and st["shape"] == [16, 16]


def test_existing_names_and_batch_errors(store):
    fb, root, names = store
    p = [os.path.join(root, n) for n in names]
    fb.save(plane(0), p[0])
    with pytest.raises(FileExistsError):
        fb.save(plane(1), p[0])
    before = snapshot(root)
    with pytest.raises(FileExistsError):
        fb.save_batch([plane(1), plane(2)], [p[1], p[0]])
    with pytest.raises(ValueError, match="duplicate"):
        fb.save_batch([plane(1), plane(2)], [p[1], p[1]])
    with pytest.raises(ValueError):
        fb.save_batch([plane(1)], [p[1], p[2]])
    with pytest.raises(ValueError, match="int32|dtype"):
        fb.save_batch([plane(1), plane(2).astype("int32")], [p[1], p[2]])
    assert snapshot(root) == before


def test_missing_and_wrong_kinds(store):
    fb, root, names = store
    fb.save(plane(0), os.path.join(root, names[0]))
    missing = os.path.join(root, "nope.tif")
    for call in (fb.load, fb.is_file, fb.is_dir, fb.delete, fb.delete_all, fb.list_files):
        with pytest.raises(FileNotFoundError):
            call(missing)
    with pytest.raises(FileNotFoundError):
        fb.load_batch([os.path.join(root, names[0]), missing])
    assert fb.exists(missing) is False and fb.stat(missing)["type"] == "missing"
    with pytest.raises(IsADirectoryError):
        fb.load(root)
    with pytest.raises(IsADirectoryError):
        fb.is_file(root)
    with pytest.raises(NotADirectoryError):
        fb.is_dir(os.path.join(root, names[0]))
    with pytest.raises(NotADirectoryError):
        fb.list_files(os.path.join(root, names[0]))


def test_queries_have_no_side_effects(tmp_path, store):
    fb, root, names = store
    nowhere = str(tmp_path / "absent.zarr")
    before = snapshot(root)
    for p in (root, nowhere, os.path.join(nowhere, "x.tif"), os.path.join(root, "x.json")):
        fb.exists(p), fb.stat(p), fb.is_symlink(p)
        for call in (fb.load, fb.is_file, fb.is_dir, fb.list_files, fb.list_dir):
            with pytest.raises((FileNotFoundError, NotADirectoryError)):
                call(p)
    assert snapshot(root) == before and not os.path.exists(nowhere)


def test_passthrough_every_method(store):
    fb, root, names = store
    meta, table, notes, roi = (os.path.join(root, n) for n in ("meta.json", "t.CSV", "notes.txt", "cells.roi.zip"))
    fb.save({"a": [1, 2]}, meta)
    fb.save(type("Frame", (), {"to_csv": lambda self: "x,y\n1,2\n"})(), table)
    fb.save_batch(["hello", plane(0)], [notes, os.path.join(root, names[0])])
    fb.save(b"PK\x03\x04", roi)
    assert os.path.isfile(os.path.join(root + ".files", "cells.roi.zip"))
    assert fb.load(meta) == {"a": [1, 2]} and fb.load(table) == "x,y\n1,2\n" and fb.load(roi) == b"PK\x03\x04"
    assert fb.load_batch([notes, meta]) == ["hello", {"a": [1, 2]}]
    assert fb.list_files(root, extensions=[".roi.zip"]) == [roi]
    assert fb.list_files(root, extensions=[".csv", ".TXT"]) == sorted([table, notes])
    assert fb.is_file(meta) and fb.exists(meta) and fb.stat(meta)["type"] == "file"
    with pytest.raises(FileExistsError):
        fb.save({"b": 1}, meta)
    fb.copy(meta, os.path.join(root, "meta2.json"))
    fb.move(notes, os.path.join(root, "moved.txt"))
    assert fb.load(os.path.join(root, "moved.txt")) == "hello" and not fb.exists(notes)
    fb.create_symlink(meta, os.path.join(root, "link.json"))
    assert fb.is_symlink(os.path.join(root, "link.json")) and fb.load(os.path.join(root, "link.json")) == {"a": [1, 2]}
    fb.delete(os.path.join(root, "meta2.json"))
    assert not fb.exists(os.path.join(root, "meta2.json"))
    with pytest.raises(TypeError):
        fb.save(object(), os.path.join(root, "bad.txt"))


def test_plate_names_map_by_pattern_not_order(plate_fb):
    fb, root = plate_fb
    shuffled = list(reversed(NAMES))
    fb.save_batch([plane(NAMES.index(n)) for n in shuffled], [os.path.join(root, n) for n in shuffled])
    fb.flush()
    from zarrkit.hcs import PlateReader

    r = PlateReader(root)
    # B03_s2_w1_z03 -> field "1", c=0, z=2
    np.testing.assert_array_equal(r.plane("B/3", "1", c=0, z=2), plane(NAMES.index("B03_s2_w1_z03.tif")))
    assert [w.path for w in r.wells()] == ["B/3"]
    st = fb.stat(os.path.join(root, "B03_s2_w1_z03.tif"))
    assert st["well"] == "B/3" and st["index"] == {"field": "1", "t": None, "c": 0, "z": 2}
    with pytest.raises(StorageResolutionError, match="no naming pattern"):
        fb.save(plane(0), os.path.join(root, "random.tif"))
    with pytest.raises(StorageResolutionError, match="outside"):
        fb.save(plane(0), os.path.join(root, "Q03_s1_w1_z01.tif"))
    fb.save(plane(1), os.path.join(root, "anything.tif"), coords=("C4", "0", None, 1, 0))
    assert fb.stat(os.path.join(root, "anything.tif"))["well"] == "C/4"
    with pytest.raises(IncompleteWellError):
        fb.flush()
    fb.flush(partial=True)
    np.testing.assert_array_equal(fb.load(os.path.join(root, "anything.tif")), plane(1))
    with pytest.raises(StorageResolutionError):
        fb.ensure_directory(os.path.join(root, "sub"))


def test_plate_delete_rewrites_the_well(plate_fb):
    fb, root = plate_fb
    fb.save_batch([plane(i) for i in range(12)], [os.path.join(root, n) for n in NAMES])
    fb.flush()
    fb.delete(os.path.join(root, NAMES[4]))
    assert not fb.exists(os.path.join(root, NAMES[4])) and fb.exists(os.path.join(root, NAMES[5]))
    np.testing.assert_array_equal(fb.load(os.path.join(root, NAMES[5])), plane(5))
    fb.delete_all(os.path.join(root, "B", "3"))
    assert fb.list_files(root) == []
    fb.delete_all(root)
    assert not os.path.exists(root) and not os.path.exists(root + ".files")


def test_directories_symlinks_and_moves_in_a_flat_store(tmp_path):
    fb = FileBackend()
    root = str(tmp_path / "flat.zarr")
    fb.ensure_directory(root)
    fb.ensure_directory(os.path.join(root, "sub", "deep"))
    fb.save(plane(0), os.path.join(root, "sub", "a.tif"))
    assert fb.list_dir(root) == [os.path.join(root, "sub")]
    assert fb.list_files(root, recursive=True) == [os.path.join(root, "sub", "a.tif")]
    with pytest.raises(IsADirectoryError):
        fb.delete(os.path.join(root, "sub"))
    fb.create_symlink(os.path.join(root, "sub", "a.tif"), os.path.join(root, "l1.tif"))
    fb.create_symlink(os.path.join(root, "l1.tif"), os.path.join(root, "l2.tif"))
    np.testing.assert_array_equal(fb.load(os.path.join(root, "l2.tif")), plane(0))
    with pytest.raises(FileExistsError):
        fb.create_symlink(os.path.join(root, "sub", "a.tif"), os.path.join(root, "l1.tif"))
    with pytest.raises(StorageResolutionError, match="cycle"):
        fb.create_symlink(os.path.join(root, "l2.tif"), os.path.join(root, "l1.tif"), overwrite=True)
    with pytest.raises(FileNotFoundError):
        fb.create_symlink(os.path.join(root, "nope.tif"), os.path.join(root, "l3.tif"))
    other = str(tmp_path / "other.zarr")
    fb.ensure_directory(other)
    with pytest.raises(StorageResolutionError, match="cross"):
        fb.create_symlink(os.path.join(root, "sub", "a.tif"), os.path.join(other, "x.tif"))
    fb.delete(os.path.join(root, "sub", "a.tif"))
    assert fb.exists(os.path.join(root, "l2.tif")) is False and fb.is_symlink(os.path.join(root, "l2.tif"))
    fb.save(plane(3), os.path.join(root, "b.tif"))
    fb.copy(root, str(tmp_path / "copy.zarr"))
    with pytest.raises(FileExistsError):
        fb.move(root, str(tmp_path / "copy.zarr"))
    fb.move(root, str(tmp_path / "moved.zarr"))
    np.testing.assert_array_equal(fb.load(str(tmp_path / "moved.zarr" / "b.tif")), plane(3))
    with pytest.raises(StorageResolutionError):
        fb.move(str(tmp_path / "moved.zarr" / "sub"), str(tmp_path / "moved.zarr" / "sub2"))
    with pytest.raises(FileNotFoundError):
        fb.copy(str(tmp_path / "ghost.zarr"), str(tmp_path / "g2.zarr"))


def test_plain_folders_and_os_symlink_cycle(tmp_path):
    fb = FileBackend()
    d = tmp_path / "plain"
    fb.ensure_directory(str(d / "x" / "y"))
    (d / "x" / "a.TIF").write_bytes(b"1")
    (d / "b.txt").write_text("t")
    assert fb.list_files(str(d), recursive=True) == [str(d / "b.txt"), str(d / "x" / "a.TIF")]
    assert fb.list_files(str(d), pattern="*.TIF", recursive=True) == [str(d / "x" / "a.TIF")]
    os.symlink(str(d / "c1"), str(d / "c2"))
    os.symlink(str(d / "c2"), str(d / "c1"))
    assert fb.exists(str(d / "c1")) is False
    with pytest.raises(Exception) as err:
        fb.load(str(d / "c1"))
    assert isinstance(err.value, (StorageResolutionError, FileNotFoundError))


@pytest.mark.parametrize("pattern", ["*.tif", "img_0?.tif", "*1*", "[ab]*"])
def test_list_files_matches_fnmatch(tmp_path, pattern):
    fb = FileBackend()
    root = str(tmp_path / "s.zarr")
    names = ["img_01.tif", "img_10.tif", "a.tif", "b.png", "notes.txt"]
    for i, n in enumerate(names):
        fb.save(plane(i) if not n.endswith(".txt") else "x", os.path.join(root, n))
    assert fb.list_files(root, pattern=pattern) == sorted(os.path.join(root, n) for n in names
                                                          if fnmatch.fnmatchcase(n, pattern))
