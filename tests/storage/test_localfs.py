"""The local POSIX primitives of zarrkit.storage.localfs: staged folders under a flock, the
rename claim, sweeping abandoned folders, directory locks across processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest

from zarrkit.storage import localfs


def _hold_lock(path, entered, release):
    with localfs.directory_lock(path):
        entered.set()
        release.wait(30)


def test_staged_dir_claims_once_and_sweeps_only_the_dead(tmp_path):
    root, target = str(tmp_path / ".staging"), str(tmp_path / "out")
    with localfs.StagedDir(root, "a") as first, localfs.StagedDir(root, "a") as second:
        first.write({"zarr.json": b"1", "c/0": b"x"})
        second.write({"zarr.json": b"2"})
        assert localfs.sweep_staged(root) == []  # both flocks are held: nothing is swept
        first.publish(target)
        with pytest.raises(FileExistsError):
            second.publish(target)
    assert open(os.path.join(target, "zarr.json"), "rb").read() == b"1"
    assert not os.path.exists(root) or os.listdir(root) == []  # the loser's folder went with its block
    os.makedirs(os.path.join(root, "dead-1"))  # a writer that died: no flock on it
    assert localfs.sweep_staged(root) == ["dead-1"] and not os.path.exists(root)
    with localfs.StagedDir(root, "b") as third:
        third.write({"zarr.json": b"3"})
        third.publish(target, overwrite=True)
    assert open(os.path.join(target, "zarr.json"), "rb").read() == b"3"


def test_directory_lock_excludes_another_process_and_creates_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    entered, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_lock, args=(str(tmp_path), entered, release))
    child.start()
    try:
        assert entered.wait(60)
        threading.Timer(0.5, release.set).start()
        t0 = time.monotonic()
        with localfs.directory_lock(str(tmp_path)):
            waited = time.monotonic() - t0
    finally:
        release.set()
        child.join(30)
    assert waited >= 0.4  # we got the lock only once the other process let it go
    assert os.listdir(tmp_path) == []  # no lock file, ever
