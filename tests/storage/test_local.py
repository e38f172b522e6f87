"""Local directories: creation rules, atomic writes, symlink escapes."""

from __future__ import annotations

import os

import pytest

from zarrkit.errors import ContainsDataError, InvalidKeyError, StoreNotFoundError
from zarrkit.storage import open_store


def test_modes(tmp_path):
    target = tmp_path / "a.zarr"
    with pytest.raises(StoreNotFoundError):
        open_store(str(target), "r")
    with pytest.raises(StoreNotFoundError):
        open_store(str(target), "r+")
    assert not target.exists()
    open_store(str(target), "a").set("zarr.json", b"{}")
    with pytest.raises(ContainsDataError):
        open_store(str(target), "w")
    assert (target / "zarr.json").read_bytes() == b"{}"
    open_store(str(target), "w", overwrite=True).set("x/zarr.json", b"{}")
    assert sorted(os.listdir(target)) == ["x"]


def test_overwrite_never_clears_a_directory_without_a_zarr_root(tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    with pytest.raises(ContainsDataError, match="not a Zarr hierarchy"):
        open_store(str(target), "w", overwrite=True)
    assert (target / "thesis.tex").read_text() == "years of work"


def test_temp_files_hidden_and_not_left_behind(tmp_path):
    store = open_store(str(tmp_path), "a")
    store.set("g/c/0", b"abc")
    (tmp_path / "g" / ".zarrkit-tmp.dead.c1").write_bytes(b"torn")
    assert list(store.list_prefix("")) == ["g/c/0"]
    assert store.list_dir("g/") == ["c/"]
    assert sorted(os.listdir(tmp_path / "g" / "c")) == ["0"]


def test_symlink_out_of_the_root_is_an_escape(tmp_path):
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret").write_bytes(b"s")
    os.symlink(outside, root / "link")
    os.symlink(outside / "secret", root / "filelink")
    store = open_store(str(root), "a")
    with pytest.raises(InvalidKeyError, match="outside the store root"):
        store.get("link/secret")
    with pytest.raises(InvalidKeyError):
        store.set("link/new", b"x")
    with pytest.raises(InvalidKeyError):
        store.get("filelink")
    assert not (outside / "new").exists()
    # delete_prefix never follows the link
    store.delete_prefix("")
    assert (outside / "secret").read_bytes() == b"s"


def test_set_if_absent_is_atomic_under_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    store = open_store(str(tmp_path), "a")
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda i: store.set_if_absent("lock", str(i).encode()), range(32)))
    assert wins.count(True) == 1
    assert store.get("lock") == str(wins.index(True)).encode()


def test_identity_is_the_real_path(tmp_path):
    os.symlink(tmp_path, tmp_path.parent / f"{tmp_path.name}-alias")
    a = open_store(str(tmp_path), "r")
    b = open_store(str(tmp_path.parent / f"{tmp_path.name}-alias"), "r")
    assert a.identity == b.identity == ("local", os.path.realpath(tmp_path))
