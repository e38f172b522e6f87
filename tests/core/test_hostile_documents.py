"""Hostile metadata documents: only zarrkit errors escape, nothing hangs, nothing changes.

Each example takes one chain's valid document (:data:`tests.core.hostile.CHAINS`), damages
it (:func:`~tests.core.hostile.mutate_document`), stores it in place of the real one and
then reads the metadata, opens the array and reads a box, a point and a chunk on one
backend.  Every failure must be a ``ZarrkitError`` naming the store and the node (and the
document's key for a metadata error); the store's listing and bytes must be unchanged.
``ZARRKIT_FUZZ=nightly`` runs 5,000 documents instead of the default sample.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import hostile
from zarrkit import core
from zarrkit.errors import ChunkDecodeError, MetadataError
from zarrkit.storage import open_store

_SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
_ALLOCATION_LIMIT = 2**24  # read a whole chunk only when it is small (hostile shapes are huge)


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    """One local store holding every chain's array (local, so the zarrs backend serves it too)."""
    store = open_store(str(tmp_path_factory.mktemp("hostile") / "docs.zarr"), mode="w")
    core.create_group(store, "")
    originals = {}
    for chain in hostile.CHAINS:
        meta = hostile.build_array(store, chain, chain)
        name = ".zarray" if meta.zarr_format == 2 else "zarr.json"
        originals[chain] = (f"{chain}/{name}", json.loads(store.get(f"{chain}/{name}")))
    return store, originals


def exercise_document(store, chain: str, key: str, doc: dict, backend: str) -> None:
    """Store ``doc`` at ``key`` and do every read and open; checks errors and the store."""
    store.set(key, json.dumps(doc).encode())
    core.invalidate(store, chain)
    before = hostile.snapshot(store)
    where = {"store": store, "path": chain}
    meta, err = hostile.hostile_call(core.read_metadata, store, chain, **where)
    if isinstance(err, MetadataError) and err.key is not None:
        assert err.key == key, f"metadata error names {err.key!r}, not {key!r}: {err}"
    array, _ = hostile.hostile_call(core.open_array, store, chain, backend=backend, **where)
    if isinstance(meta, core.ArrayMetadata) and array is not None:
        _read_everything(store, chain, array, meta)
    hostile.hostile_call(core.describe_tree, store, **where | {"path": None})
    assert hostile.snapshot(store) == before, "a failed read or open changed the store"


def _read_everything(store, chain: str, array, meta) -> None:
    where = {"store": store, "path": chain}
    box = tuple(slice(0, min(n, 5)) for n in meta.shape)
    _, err = hostile.hostile_call(array.__getitem__, box, **where)
    if isinstance(err, ChunkDecodeError):
        assert err.key is not None, f"a decode error without the chunk's key: {err}"
    if meta.ndim and all(meta.shape):
        hostile.hostile_call(array.__getitem__, (0,) * meta.ndim, **where)
    if math.prod(meta.chunk_shape) * meta.dtype.itemsize <= _ALLOCATION_LIMIT:
        hostile.hostile_call(array.read_chunk, (0,) * meta.ndim, **where)
        hostile.hostile_call(array.read_chunk, (0,) * meta.ndim, inner=True, **where)


@settings(max_examples=hostile.examples(60, 5000), **_SETTINGS)
@given(data=st.data())
def test_hostile_documents(arrays, data):
    store, originals = arrays
    chain = data.draw(st.sampled_from(sorted(hostile.CHAINS)))
    backend = data.draw(st.sampled_from(hostile.BACKENDS))
    key, original = originals[chain]
    doc = hostile.mutate_document(data.draw, original)
    try:
        exercise_document(store, chain, key, doc, backend)
    finally:
        store.set(key, json.dumps(original).encode())
        core.invalidate(store, chain)


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("codecs", [{"name": "zstd", "configuration": 3}], "configuration must be an object"),
    ("codecs", [{"name": "bytes", "configuration": {"endian": 5}}], "endian"),
    ("codecs", [{"name": "sharding_indexed", "configuration": 7}], "configuration must be an object"),
    ("codecs", [{"name": "sharding_indexed", "configuration": {"chunk_shape": [3, 4], "codecs": 5}}], "codecs"),
    ("chunk_grid", {"name": "regular", "configuration": 1}, "chunk_grid"),
    ("chunk_key_encoding", {"name": "default", "configuration": 1}, "chunk_key_encoding"),
    ("shape", [2**64, 8], "shape"),
    ("chunk_grid", {"name": "regular", "configuration": {"chunk_shape": [2**62, 2**62]}}, "bytes"),
    ("fill_value", {"x": 1}, "fill_value"),
    ("data_type", {"name": 5}, "data_type"),
    ("dimension_names", "yx", "dimension_names"),
])
def test_named_hostile_fields(arrays, field, value, needle):
    """The shapes of damage the census found first: each one a MetadataError naming the key."""
    store, originals = arrays
    key, original = originals["zstd"]
    try:
        store.set(key, json.dumps(dict(original, **{field: value})).encode())
        core.invalidate(store, "zstd")
        with pytest.raises(MetadataError, match=needle) as info:
            core.read_metadata(store, "zstd")
        assert info.value.key == key and info.value.path == "zstd" and info.value.url == store.url
    finally:
        store.set(key, json.dumps(original).encode())
        core.invalidate(store, "zstd")
