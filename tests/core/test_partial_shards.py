"""Partial shard writes re-encode only what they touch (issue 14, item 4); numpy integer
indices take the same point-read path as Python ints (item 3).  Counted, never timed."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit import core
from zarrkit.core import region
from zarrkit.core.codecs import CodecChain
from zarrkit.core.sharding import ShardingCodec
from zarrkit.storage import open_store

SHAPE, SHARDS, INNER = (16, 16), (8, 8), (1, 1)  # 64 inner chunks per shard


@pytest.fixture
def calls(monkeypatch):
    """Counts of inner-chunk encodes and decodes, and of whole-shard decodes."""
    counts = {"encode": 0, "decode": 0, "shard_decode": 0}
    real_encode, real_decode, real_shard = CodecChain.encode, CodecChain.decode, ShardingCodec.decode_into

    def encode(self, arr):
        counts["encode"] += self.spec.shape == INNER
        return real_encode(self, arr)

    def decode(self, buf, out=None):
        counts["decode"] += self.spec.shape == INNER
        return real_decode(self, buf, out)

    def shard_decode(self, buf, out, spec):
        counts["shard_decode"] += 1
        return real_shard(self, buf, out, spec)

    monkeypatch.setattr(CodecChain, "encode", encode)
    monkeypatch.setattr(CodecChain, "decode", decode)
    monkeypatch.setattr(ShardingCodec, "decode_into", shard_decode)
    return counts


def _array(tmp_path, name: str, index_location: str):
    store = open_store(str(tmp_path / f"{name}.zarr"), mode="w")
    meta = core.create_array(store, "a", core.array_metadata(SHAPE, "int32", INNER, shards=SHARDS,
                                                             index_location=index_location))
    data = np.arange(np.prod(SHAPE), dtype="int32").reshape(SHAPE)
    data[8:, 8:] = 0  # one shard partly empty: absent inner chunks stay absent
    data[0:8, 8:] = 0
    data[0, 15] = 5
    core.write_region(store, "a", ..., data, metadata=meta, backend="python")
    return store, meta, data


@pytest.mark.parametrize("index_location", ["start", "end"])
@pytest.mark.parametrize("how", ["write_chunk", "setitem", "points", "delete"])
def test_one_inner_chunk_rewrite_touches_one_chunk(tmp_path, calls, index_location, how):
    store, meta, data = _array(tmp_path, "partial", index_location)
    expected = data.copy()
    for k in calls:
        calls[k] = 0
    if how == "write_chunk":
        core.write_chunk(store, "a", (3, 12), np.array([[77]], "int32"), metadata=meta, inner=True, backend="python")
        expected[3, 12] = 77
    elif how == "setitem":
        core.Array(store, "a", backend="python")[3, 2] = -4
        expected[3, 2] = -4
    elif how == "points":
        core.write_region(store, "a", ([3], [2]), [-4], indexing="points", metadata=meta, backend="python")
        expected[3, 2] = -4
    else:
        core.delete_chunk(store, "a", (0, 15), metadata=meta, inner=True)
        expected[0, 15] = 0
    assert calls["encode"] == (0 if how == "delete" else 1)  # the one touched inner chunk
    assert calls["decode"] <= 1 and calls["shard_decode"] == 0  # never the other 63
    # byte for byte what a full rewrite of the same data gives
    full_store, full_meta, _ = _array(tmp_path, "full", index_location)
    core.write_region(full_store, "a", ..., expected, metadata=full_meta, backend="python")
    assert sorted(store.list_prefix("a/c/")) == sorted(full_store.list_prefix("a/c/"))
    for key in store.list_prefix("a/c/"):
        assert store.get(key) == full_store.get(key), key
    zarr = pytest.importorskip("zarr")
    assert np.array_equal(zarr.open_array(str(tmp_path / "partial.zarr"), path="a", mode="r")[...], expected)


def test_partial_write_into_an_absent_shard_and_to_all_fill(tmp_path, calls):
    store, meta, data = _array(tmp_path, "absent", "end")
    core.write_region(store, "a", (slice(8, 16), slice(8, 16)), 0, metadata=meta, backend="python")
    assert store.get("a/c/1/1") is None
    a = core.Array(store, "a", backend="python")
    a[9, 9] = 3
    assert calls["shard_decode"] == 0 and store.get("a/c/1/1") is not None
    a[9, 9] = 0  # back to all fill: the shard goes away
    assert store.get("a/c/1/1") is None and a[8:, 8:].sum() == 0


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_numpy_integer_indices_take_the_int_path(tmp_path, monkeypatch, backend):
    store = open_store(str(tmp_path / "np.zarr"), mode="w")
    core.create_array(store, "a", core.array_metadata((8, 8, 4), "int8", (2, 2, 4), shards=(4, 4, 4)))
    a = core.Array(store, "a", backend=backend)
    a[...] = np.arange(256, dtype="int64").reshape(8, 8, 4) % 100
    planned = []
    real_plan = region.plan_selection
    monkeypatch.setattr(region, "plan_selection", lambda *args, **kw: (planned.append(args[0]), real_plan(*args, **kw))[1])
    ii, jj = np.array([5, -1]), np.array([2, 7])
    for i, j in zip(ii, jj):  # numpy int64 scalars, as taken from an index array
        assert isinstance(i, np.integer)
        assert np.array_equal(a[i, j, :], a[int(i), int(j), :])
        assert np.array_equal(a[np.int32(i), j, 1:3], a[int(i), int(j), 1:3])
    assert planned == []  # neither kind of integer reached the general planner
    assert a[np.int64(1), np.uint8(2), np.int16(3)] == a[1, 2, 3]
