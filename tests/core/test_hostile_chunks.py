"""Hostile chunk bytes and shard indexes: only zarrkit errors, naming the chunk; nothing changes.

Chunk bytes are truncated, bit-flipped or extended on every chain; shard indexes get
offsets past the end, overlapping ranges, huge lengths and ``offset + nbytes`` overflows.
Each damaged array is read whole, at a point and chunk by chunk on both backends.
``ZARRKIT_FUZZ=nightly`` runs 5,000 damaged chunks instead of the default sample.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import hostile
from zarrkit import core
from zarrkit.core.sharding import shard_index_cache
from zarrkit.errors import ChunkDecodeError
from zarrkit.storage import open_store

_SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
_KEY = "c/0/0"  # every chain's first chunk (or shard); the v2 array's is "0.0"


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("hostile") / "chunks.zarr"), mode="w")
    core.create_group(store, "")
    metas = {chain: hostile.build_array(store, chain, chain) for chain in hostile.CHAINS}
    return store, metas


def _damage_bytes(draw, raw: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "extend", "empty"]))
    if how == "truncate":
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if how == "flip":
        out = bytearray(raw)
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 7))
        return bytes(out)
    if how == "extend":
        return raw + draw(st.binary(min_size=1, max_size=64))
    return b""


def _damage_index(draw, raw: bytes, codec) -> bytes:
    """Rewrite one shard's index with hostile entries (and a CRC that matches, so they are read)."""
    index, _ = codec.split_index(raw)
    flat = index.reshape(-1, 2).copy()
    i = draw(st.integers(0, len(flat) - 1))
    j = draw(st.integers(0, len(flat) - 1))
    how = draw(st.sampled_from(["past-end", "overlap", "huge", "overflow", "half-missing", "into-index"]))
    if how == "past-end":
        flat[i] = (len(raw) + draw(st.integers(0, 2**20)), draw(st.integers(1, 64)))
    elif how == "overlap":
        flat[i] = (int(flat[j, 0]) if flat[j, 0] != 2**64 - 1 else 0, max(int(flat[i, 1]) % 2**20, 1) + 3)
    elif how == "huge":
        flat[i, 1] = draw(st.sampled_from([2**31, 2**40, 2**62, 2**63]))
    elif how == "overflow":
        flat[i] = (2**64 - 2, draw(st.integers(2, 2**20)))
    elif how == "half-missing":
        flat[i, 1] = 2**64 - 1
    else:
        flat[i, 0] = 0
    encoded = codec.index_chain.encode(flat.reshape(*codec.per_shard, 2))
    body = raw[len(encoded):] if codec.index_location == "start" else raw[: len(raw) - len(encoded)]
    return encoded + body if codec.index_location == "start" else body + encoded


def exercise_chunk(store, chain: str, meta, backend: str) -> None:
    """Read the damaged array every way; every error names store, node and chunk key."""
    core.invalidate(store, chain)  # the bytes changed behind zarrkit's back: forget cached indexes
    before = hostile.snapshot(store)
    where = {"store": store, "path": chain}
    array, _ = hostile.hostile_call(core.open_array, store, chain, backend=backend, **where)
    assert array is not None, "the metadata is intact: opening must work"
    for call, args, kwargs in [
        (array.__getitem__, (Ellipsis,), {}),
        (array.__getitem__, ((0, 0),), {}),
        (array.__getitem__, ((slice(0, 3, 2), [0, 3]),), {}),
        (array.read_chunk, ((0, 0),), {}),
        (array.read_chunk, ((0, 0),), {"inner": True}),
    ]:
        _, err = hostile.hostile_call(call, *args, **where, **kwargs)
        if isinstance(err, ChunkDecodeError):
            key = f"{chain}/{meta.chunk_key((0, 0))}"
            assert err.key == key and key in str(err), f"decode error does not name {key!r}: {err}"
    assert hostile.snapshot(store) == before, "a failed read changed the store"


@settings(max_examples=hostile.examples(60, 5000), **_SETTINGS)
@given(data=st.data())
def test_hostile_chunks(arrays, data):
    store, metas = arrays
    chain = data.draw(st.sampled_from(sorted(hostile.CHAINS)))
    backend = data.draw(st.sampled_from(hostile.BACKENDS))
    meta = metas[chain]
    key = f"{chain}/{meta.chunk_key((0, 0))}"
    raw = store.get(key)
    if meta.sharding is not None and data.draw(st.booleans()):
        damaged = _damage_index(data.draw, raw, meta.sharding)
    else:
        damaged = _damage_bytes(data.draw, raw)
    try:
        store.set(key, damaged)
        exercise_chunk(store, chain, meta, backend)
    finally:
        store.set(key, raw)


@pytest.mark.parametrize("backend", hostile.BACKENDS)
def test_truncated_chunk_names_its_key_on_every_backend(arrays, backend):
    """The issue's case: a truncated zstd chunk read through ``auto`` names ``c/0/0``."""
    store, metas = arrays
    key = f"zstd/{_KEY}"
    raw = store.get(key)
    try:
        store.set(key, raw[:-5])
        for read in (lambda a: a[...], lambda a: a[0, 0], lambda a: a.read_chunk((0, 0))):
            with pytest.raises(ChunkDecodeError, match="c/0/0") as info:
                read(core.open_array(store, "zstd", backend=backend))
            assert info.value.key == key and info.value.path == "zstd" and info.value.url == store.url
    finally:
        store.set(key, raw)


@pytest.mark.parametrize("chain", hostile.SHARDED)
def test_huge_shard_index_length_is_refused_before_reading(arrays, chain, monkeypatch):
    """A length of 2**62 in a shard index is refused from the index alone: no range is read."""
    store, metas = arrays
    meta = metas[chain]
    key = f"{chain}/{_KEY}"
    raw = store.get(key)
    codec = meta.sharding
    index, _ = codec.split_index(raw)
    flat = index.reshape(-1, 2).copy()
    flat[0, 1] = 2**62
    encoded = codec.index_chain.encode(flat.reshape(*codec.per_shard, 2))
    n = len(encoded)
    damaged = encoded + raw[n:] if codec.index_location == "start" else raw[:-n] + encoded
    ranges = []
    real_get_range = type(store).get_range
    monkeypatch.setattr(type(store), "get_range", lambda self, k, start, length=None: (
        ranges.append((start, length)), real_get_range(self, k, start, length))[1])
    try:
        store.set(key, damaged)
        shard_index_cache.clear()
        for backend in hostile.BACKENDS:
            with pytest.raises(ChunkDecodeError, match="exceeds") as info:
                core.open_array(store, chain, backend=backend)[0, 0]
            assert info.value.key == key
        assert all(length is None or length <= codec.index_nbytes for _, length in ranges)
    finally:
        store.set(key, raw)
        shard_index_cache.clear()
    assert np.array_equal(core.open_array(store, chain)[...], core.read_region(store, chain, ..., backend="python"))
