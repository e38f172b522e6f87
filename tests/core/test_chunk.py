"""Chunk functions: inner chunks, the shard-index cache, empty chunks."""

from __future__ import annotations

import numpy as np
import zarr

from zarrkit import core
from zarrkit.core.sharding import shard_index_cache
from zarrkit.storage import open_store


def test_inner_chunk_functions_and_index_cache(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    m = core.create_array(s, "a", core.array_metadata((8, 8), "i2", (2, 2), shards=(4, 4), index_location="start"))
    core.write_chunk(s, "a", (1, 1), np.full((2, 2), 5, "i2"), metadata=m, inner=True)
    core.write_chunk(s, "a", (3, 3), np.full((2, 2), 6, "i2"), metadata=m, inner=True)
    assert core.read_chunk(s, "a", (1, 1), metadata=m, inner=True).tolist() == [[5, 5], [5, 5]]
    shard_index_cache.clear()
    assert core.read_region(s, "a", (7, 7), metadata=m, backend="python") == 6
    assert len(shard_index_cache) == 1  # the python backend kept the shard's index
    core.delete_chunk(s, "a", (1, 1), metadata=m, inner=True)  # the shard is left empty: deleted
    assert not s.exists("a/c/0/0")
    assert zarr.open_array(str(tmp_path / "s" / "a"))[...].sum() == 24


def test_empty_chunks_are_not_stored_and_negative_zero_is_kept(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    m = core.create_array(s, "a", core.array_metadata((4,), "f4", (2,)))
    core.write_region(s, "a", ..., np.array([0, 0, -0.0, 0], "f4"), metadata=m)
    assert sorted(s.list_prefix("a/c/")) == ["a/c/1"]
    core.write_region(s, "a", 2, 0.0, metadata=m)
    assert list(s.list_prefix("a/c/")) == []
    core.write_region(s, "a", ..., 0.0, metadata=m, write_empty_chunks=True)
    assert sorted(s.list_prefix("a/c/")) == ["a/c/0", "a/c/1"]
