"""The file-like backend's contract (spec §4), over a plate store and a flat store, each on a
local folder, a memory store and loopback S3: one contract, three stores."""

from __future__ import annotations

import fnmatch

import numpy as np
import pytest

from tests.hcs.conftest import field_data
from zarrkit.errors import IncompleteWellError, StorageResolutionError
from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec
from zarrkit.hcs.backend import FileBackend, FileConfig

NAMES = [f"B03_s{f}_w{c}_z{z:02d}.tif" for f in (1, 2) for c in (1, 2) for z in (1, 2, 3)]


def plane(i):
    return field_data(i, (16, 16))


def plate_config(where, **kw):
    return FileConfig(plate=PlateSpec.preset(96, name="fb"), image=ImageSpec("czyx", channels=["DAPI", "GFP"]),
                      sizes={"field": 2, "z": 3}, storage_options=where.options, **kw)


@pytest.fixture(params=["plate", "flat"])
def store(request, where):
    """(backend, store path or URL, names to save, where) for each kind of store on each store kind."""
    if request.param == "plate":
        return FileBackend(plate_config(where)), where.path("plate.ome.zarr"), NAMES, where
    return (FileBackend(FileConfig(storage_options=where.options)), where.path("flat.zarr"),
            [f"img_{i:02d}.tif" for i in range(12)], where)


def test_save_load_batch_and_order(store):
    fb, root, names, where = store
    paths = [f"{root}/{n}" for n in names]
    fb.save_batch([plane(i) for i in range(12)], paths)
    fb.flush()
    stored = [k for k, _ in where.snapshot()]  # the data really is on this kind of store
    assert any(k.endswith(root.rsplit("/", 1)[-1] + "/zarr.json") for k in stored) and len(stored) > 2, stored
    order = [7, 0, 11, 3]
    loaded = fb.load_batch([paths[i] for i in order])
    for i, arr in zip(order, loaded):
        np.testing.assert_array_equal(arr, plane(i))
    assert fb.list_files(root) == sorted(paths)
    assert fb.is_file(paths[0]) and fb.is_dir(root) and fb.exists(paths[5])
    st = fb.stat(paths[1])
    assert st["type"] == "file" and st["exists"] and st["shape"] == [16, 16]


def test_existing_names_and_batch_errors(store):
    fb, root, names, where = store
    p = [f"{root}/{n}" for n in names]
    fb.save(plane(0), p[0])
    with pytest.raises(FileExistsError):
        fb.save(plane(1), p[0])
    before = where.snapshot()
    with pytest.raises(FileExistsError):
        fb.save_batch([plane(1), plane(2)], [p[1], p[0]])
    with pytest.raises(ValueError, match="duplicate"):
        fb.save_batch([plane(1), plane(2)], [p[1], p[1]])
    with pytest.raises(ValueError):
        fb.save_batch([plane(1)], [p[1], p[2]])
    with pytest.raises(ValueError, match="int32|dtype"):
        fb.save_batch([plane(1), plane(2).astype("int32")], [p[1], p[2]])
    assert where.snapshot() == before


def test_missing_and_wrong_kinds(store):
    fb, root, names, _ = store
    fb.save(plane(0), f"{root}/{names[0]}")
    missing = f"{root}/nope.tif"
    for call in (fb.load, fb.is_file, fb.is_dir, fb.delete, fb.delete_all, fb.list_files):
        with pytest.raises(FileNotFoundError):
            call(missing)
    with pytest.raises(FileNotFoundError):
        fb.load_batch([f"{root}/{names[0]}", missing])
    assert fb.exists(missing) is False and fb.stat(missing)["type"] == "missing"
    with pytest.raises(IsADirectoryError):
        fb.load(root)
    with pytest.raises(IsADirectoryError):
        fb.is_file(root)
    with pytest.raises(NotADirectoryError):
        fb.is_dir(f"{root}/{names[0]}")
    with pytest.raises(NotADirectoryError):
        fb.list_files(f"{root}/{names[0]}")


def _query_everything(fb, paths):
    for p in paths:
        assert fb.exists(p) is False or p.endswith(".zarr")
        fb.stat(p), fb.is_symlink(p)
        for call in (fb.load, fb.is_file, fb.is_dir, fb.list_files, fb.list_dir):
            with pytest.raises((FileNotFoundError, NotADirectoryError, IsADirectoryError)):
                call(p)


def test_queries_have_no_side_effects(store):
    """Every query, on an empty corner, a missing store (another memory store or bucket) and a
    written store, leaves the listing exactly as it was."""
    fb, root, names, where = store
    nowhere = where.nowhere()
    probes = [root, f"{root}/x.tif", f"{root}/x.json", f"{root}/sub/x.tif", nowhere, f"{nowhere}/x.tif"]
    before = where.snapshot()
    _query_everything(fb, probes)
    assert where.snapshot() == before and not fb.exists(nowhere)
    if where.kind == "local":
        import os

        assert not os.path.exists(os.path.dirname(nowhere))
    elif where.kind == "memory":
        from zarrkit.storage import memory

        assert nowhere.split("/")[2] not in memory._REGISTRY  # the memory store was never created
    fb.save_batch([plane(i) for i in range(12)], [f"{root}/{n}" for n in names])
    fb.flush()
    before = where.snapshot()
    _query_everything(fb, probes[1:])
    fb.load_batch([f"{root}/{n}" for n in names[:3]]), fb.list_dir(root), fb.stat(f"{root}/{names[0]}")
    assert where.snapshot() == before


def test_passthrough_every_method(store):
    fb, root, names, where = store
    meta, table, notes, roi = (f"{root}/{n}" for n in ("meta.json", "t.CSV", "notes.txt", "cells.roi.zip"))
    fb.save({"a": [1, 2]}, meta)
    fb.save(type("Frame", (), {"to_csv": lambda self: "x,y\n1,2\n"})(), table)
    fb.save_batch(["hello", plane(0)], [notes, f"{root}/{names[0]}"])
    fb.save(b"PK\x03\x04", roi)
    stored = [k for k, _ in where.snapshot()]  # the kind's own listing: a plain file / object beside the store
    assert any(k.endswith(root.rsplit("/", 1)[-1] + ".files/cells.roi.zip") for k in stored), stored
    assert fb.load(meta) == {"a": [1, 2]} and fb.load(table) == "x,y\n1,2\n" and fb.load(roi) == b"PK\x03\x04"
    assert fb.load_batch([notes, meta]) == ["hello", {"a": [1, 2]}]
    assert fb.list_files(root, extensions=[".roi.zip"]) == [roi]
    assert fb.list_files(root, extensions=[".csv", ".TXT"]) == sorted([table, notes])
    assert fb.is_file(meta) and fb.exists(meta) and fb.stat(meta)["type"] == "file"
    assert fb.stat(meta)["size"] == len(b'{"a": [1, 2]}')
    with pytest.raises(FileExistsError):
        fb.save({"b": 1}, meta)
    fb.copy(meta, f"{root}/meta2.json")
    fb.move(notes, f"{root}/moved.txt")
    assert fb.load(f"{root}/moved.txt") == "hello" and not fb.exists(notes)
    if where.kind == "local":
        fb.create_symlink(meta, f"{root}/link.json")
        assert fb.is_symlink(f"{root}/link.json") and fb.load(f"{root}/link.json") == {"a": [1, 2]}
    fb.delete(f"{root}/meta2.json")
    assert not fb.exists(f"{root}/meta2.json")
    with pytest.raises(TypeError):
        fb.save(object(), f"{root}/bad.txt")


@pytest.fixture
def plate_fb(where):
    return FileBackend(plate_config(where)), where.path("plate.ome.zarr"), where


def test_plate_names_map_by_pattern_not_order(plate_fb):
    fb, root, where = plate_fb
    shuffled = list(reversed(NAMES))
    fb.save_batch([plane(NAMES.index(n)) for n in shuffled], [f"{root}/{n}" for n in shuffled])
    fb.flush()
    r = PlateReader(root, storage_options=where.options)
    # B03_s2_w1_z03 -> field "1", c=0, z=2
    np.testing.assert_array_equal(r.plane("B/3", "1", c=0, z=2), plane(NAMES.index("B03_s2_w1_z03.tif")))
    assert [w.path for w in r.wells()] == ["B/3"]
    st = fb.stat(f"{root}/B03_s2_w1_z03.tif")
    assert st["well"] == "B/3" and st["index"] == {"field": "1", "t": None, "c": 0, "z": 2}
    with pytest.raises(StorageResolutionError, match="no naming pattern"):
        fb.save(plane(0), f"{root}/random.tif")
    with pytest.raises(StorageResolutionError, match="outside"):
        fb.save(plane(0), f"{root}/Q03_s1_w1_z01.tif")
    fb.save(plane(1), f"{root}/anything.tif", coords=("C4", "0", None, 1, 0))
    assert fb.stat(f"{root}/anything.tif")["well"] == "C/4"
    with pytest.raises(IncompleteWellError):
        fb.flush()
    fb.flush(partial=True)
    np.testing.assert_array_equal(fb.load(f"{root}/anything.tif"), plane(1))
    with pytest.raises(StorageResolutionError):
        fb.ensure_directory(f"{root}/sub")


def test_plate_delete_rewrites_the_well(plate_fb):
    fb, root, where = plate_fb
    fb.save_batch([plane(i) for i in range(12)], [f"{root}/{n}" for n in NAMES])
    fb.save("notes", f"{root}/notes.txt")
    fb.flush()
    fb.delete(f"{root}/{NAMES[4]}")
    assert not fb.exists(f"{root}/{NAMES[4]}") and fb.exists(f"{root}/{NAMES[5]}")
    np.testing.assert_array_equal(fb.load(f"{root}/{NAMES[5]}"), plane(5))
    fb.delete_all(f"{root}/B/3")
    assert fb.list_files(root) == [f"{root}/notes.txt"]
    fb.delete_all(root)
    assert not fb.exists(root) and not fb.exists(f"{root}/notes.txt")
    assert where.snapshot() in ([], None)  # nothing left of the plate, its .files/ or .staging/


def test_list_files_matches_fnmatch(where):
    fb = FileBackend(FileConfig(storage_options=where.options))
    root = where.path("s.zarr")
    names = ["img_01.tif", "img_10.tif", "a.tif", "b.png", "notes.txt"]
    fb.save_batch([plane(i) if not n.endswith(".txt") else "x" for i, n in enumerate(names)],
                  [f"{root}/{n}" for n in names])
    for pattern in ["*.tif", "img_0?.tif", "*1*", "[ab]*"]:
        assert fb.list_files(root, pattern=pattern) == sorted(f"{root}/{n}" for n in names
                                                              if fnmatch.fnmatchcase(n, pattern))
