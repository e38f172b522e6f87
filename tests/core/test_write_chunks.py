"""Batched chunk writes and reads: ``core.write_chunks`` / ``core.read_chunks``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.errors import OutOfBoundsError, ReadOnlyError, ShapeMismatchError
from zarrkit.storage import open_store


def test_many_chunks_equal_region_writes(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(7, 9)).astype("f4")
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata(data.shape, "f4", (3, 4)))
    chunks = {(i, j): data[i * 3:(i + 1) * 3, j * 4:(j + 1) * 4] for i in range(3) for j in range(3)}
    assert core.write_chunks(s, "a", chunks, metadata=m) == 9
    assert np.array_equal(core.read_region(s, "a", ..., metadata=m), data)
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"))[...], data)
    got = core.read_chunks(s, "a", [(2, 2), (0, 1)], metadata=m)
    assert np.array_equal(got[0][:1, :1], data[6:, 8:]) and np.array_equal(got[1], data[:3, 4:8])


def test_fill_chunks_are_deleted_and_nothing_written_on_bad_input(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata((4,), "i4", (2,)))
    core.write_chunks(s, "a", {(0,): [1, 2], (1,): [3, 4]}, metadata=m)
    core.write_chunks(s, "a", [((1,), [0, 0])], metadata=m)
    assert not (tmp_path / "a" / "c" / "1").exists()
    with pytest.raises(OutOfBoundsError):
        core.write_chunks(s, "a", {(0,): [9, 9], (2,): [1, 1]}, metadata=m)
    with pytest.raises(ShapeMismatchError):
        core.write_chunks(s, "a", {(0,): [9, 9], (1,): [1, 1, 1]}, metadata=m)
    assert core.read_region(s, "a", ..., metadata=m).tolist() == [1, 2, 0, 0]
    with pytest.raises(ReadOnlyError):
        core.write_chunks(open_store(str(tmp_path)), "a", {(0,): [5, 5]})


def test_vlen_cells_read_by_zarr_python(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "v", core.array_metadata((3, 2), bytes, (1, 1)))
    payloads = {(i, j): bytes([i, j]) * (i + j + 1) for i in range(3) for j in range(2)}
    core.write_chunks(s, "v", payloads, metadata=m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = zarr.open_array(str(tmp_path / "v"))[...]
    assert {k: back[k] for k in payloads} == payloads
    assert [c[0, 0] for c in core.read_chunks(s, "v", list(payloads), metadata=m)] == list(payloads.values())


def test_read_chunks_missing_raise(tmp_path):
    from zarrkit.errors import ChunkNotFoundError

    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "v", core.array_metadata((3,), bytes, (1,)))
    with pytest.raises(ChunkNotFoundError):
        core.read_chunks(s, "v", [(1,)], metadata=m, missing="raise")


def test_sharded_inner_batch_matches_zarr_python(tmp_path):
    rng = np.random.default_rng(3)
    data = rng.integers(1, 100, (8, 8)).astype("u2")
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata((8, 8), "u2", (2, 2), shards=(4, 4)))
    core.write_chunks(s, "a", {(i, j): data[2 * i:2 * i + 2, 2 * j:2 * j + 2]
                               for i in range(4) for j in range(4) if (i + j) % 2 == 0}, metadata=m, inner=True)
    core.write_chunks(s, "a", {(i, j): data[2 * i:2 * i + 2, 2 * j:2 * j + 2]
                               for i in range(4) for j in range(4) if (i + j) % 2 == 1}, metadata=m, inner=True)
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"))[...], data)
