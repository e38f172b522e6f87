"""``core.resize_array``: metadata, chunk clean-up, cache generation, consolidation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.errors import InvalidOptionError
from zarrkit.storage import open_store


def test_grow_and_shrink_match_zarr_python(tmp_path):
    data = np.arange(1, 31, dtype="i4").reshape(5, 6)
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "zk", core.array_metadata((5, 6), "i4", (2, 4)))
    core.write_region(s, "zk", ..., data, metadata=m)
    zp = zarr.create_array(str(tmp_path / "zp"), shape=(5, 6), chunks=(2, 4), dtype="i4")
    zp[...] = data
    for shape in [(3, 5), (8, 9), (1, 1), (4, 12)]:
        core.resize_array(s, "zk", shape)
        zp.resize(shape)
        ours = core.read_region(s, "zk", ...)
        assert ours.shape == shape
        assert np.array_equal(zarr.open_array(str(tmp_path / "zk"))[...], ours)
    # zarrkit clears cut-off parts of edge chunks, so nothing resurrects after a regrow
    assert np.array_equal(ours, np.pad(data[:1, :1], ((0, 3), (0, 11))))
    stored = [p for p in (tmp_path / "zk" / "c").rglob("*") if p.is_file()]
    assert [str(p.relative_to(tmp_path / "zk")) for p in stored] == ["c/0/0"]


def test_resize_zarr_python_array_and_handles_reread(tmp_path):
    zp = zarr.create_array(str(tmp_path / "a"), shape=(4,), chunks=(2,), dtype="f8")
    zp[...] = [1, 2, 3, 4]
    s = open_store(str(tmp_path), mode="r+")
    handle = core.open_array(s, "a")
    assert handle.shape == (4,)
    core.resize_array(s, "a", (7,))
    assert core.open_array(s, "a").shape == (7,)
    assert zarr.open_array(str(tmp_path / "a"))[...].tolist() == [1, 2, 3, 4, 0, 0, 0]


def test_vlen_and_sharded_grow(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "o", core.array_metadata((3,), bytes, (2,), shards=(4,)))
    core.write_region(s, "o", ..., np.array([b"a", b"b", b"c"], object), metadata=m)
    m = core.resize_array(s, "o", (9,), metadata=m)
    core.write_region(s, "o", slice(3, 9), np.array([b"d"] * 6, object), metadata=m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert zarr.open_array(str(tmp_path / "o"))[...].tolist() == [b"a", b"b", b"c"] + [b"d"] * 6


def test_consolidation_restored(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    core.create_group(s, "")
    core.create_array(s, "a", core.array_metadata((2,), "u1", (2,)))
    core.consolidate(s)
    core.resize_array(s, "a", (5,))
    root = core.read_metadata(s, "")
    assert root.consolidated["metadata"]["a"]["shape"] == [5]
    assert zarr.open_consolidated(str(tmp_path))["a"].shape == (5,)


def test_bad_shape(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    core.create_array(s, "a", core.array_metadata((2,), "u1", (2,)))
    with pytest.raises(InvalidOptionError):
        core.resize_array(s, "a", (2, 2))
    with pytest.raises(InvalidOptionError):
        core.resize_array(s, "a", (-1,))
