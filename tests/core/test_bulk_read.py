"""The python backend's bulk read path (``backends/bulk.py``) and exact-size decoding.

Box reads go through a job queue that decodes straight into the output; these tests pin
its results against numpy on layouts that hit each branch (whole shards, a few inner
chunks of a shard, edge chunks, missing chunks, ``out=``), and check that hostile bytes
met on a worker still raise the zarrkit error naming the chunk.  Decoding refuses frames
whose decoded size is not the chunk's (numcodecs would fill a larger buffer silently and
leave stale bytes), and accepts zstd frames written without a content size.
"""

from __future__ import annotations

import numcodecs
import numpy as np
import pytest
import zstandard

from zarrkit import core
from zarrkit.errors import ChunkDecodeError, ChunkNotFoundError
from zarrkit.storage import open_store

ZSTD = [{"name": "zstd", "configuration": {"level": 1, "checksum": False}}]
BLOSC = [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2,
                                             "blocksize": 0}}]
GZIP = [{"name": "gzip", "configuration": {"level": 1}}]


def _data(shape, dtype="uint16"):
    return (np.arange(np.prod(shape)).reshape(shape) * 7 % 5003).astype(dtype)


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return open_store("memory://" if request.param == "memory" else str(tmp_path / "s.zarr"), mode="w")


BOXES = [
    Ellipsis,
    (slice(3, 61), slice(5, 70)),  # partial edge chunks on every side
    (slice(0, 32), slice(0, 64)),  # whole chunks, contiguous rows in the output
    (7, slice(None)),  # an integer axis
    (slice(10, 11), slice(60, 75)),  # a few inner chunks of one shard: the ranged path
]


@pytest.mark.parametrize("shards", [None, (32, 32), (64, 80)], ids=["chunks", "shards", "one-shard"])
@pytest.mark.parametrize("box", BOXES, ids=range(len(BOXES)))
def test_box_reads_match_numpy(store, shards, box):
    shape = (61, 75)
    meta = core.create_array(store, "a", core.array_metadata(shape, "uint16", (16, 16), shards=shards,
                                                             fill_value=9, compressors=ZSTD))
    ref = _data(shape)
    ref[16:32, 16:48] = 9  # equals the fill: those chunks are not stored
    core.write_region(store, "a", ..., ref, metadata=meta)
    got = core.read_region(store, "a", box, metadata=meta, backend="python")
    assert got.dtype == ref.dtype and np.array_equal(got, ref[box])
    out = np.zeros(ref[box].shape, "uint16")
    assert core.read_region(store, "a", box, metadata=meta, out=out, backend="python") is out
    assert np.array_equal(out, ref[box])


def test_missing_raise_names_the_chunk_on_the_bulk_path(store):
    meta = core.create_array(store, "a", core.array_metadata((64, 64), "uint16", (16, 16), shards=(32, 32)))
    core.write_region(store, "a", (slice(0, 32), slice(0, 32)), 1, metadata=meta)
    with pytest.raises(ChunkNotFoundError) as info:
        core.read_region(store, "a", ..., metadata=meta, missing="raise", backend="python")
    assert info.value.key.startswith("a/c/") and info.value.path == "a"


@pytest.mark.parametrize("shards", [None, (32, 32)], ids=["chunks", "shards"])
def test_a_damaged_chunk_met_on_a_worker_names_its_key(tmp_path, shards):
    """Many chunks (so the queue runs on several threads); one of them is truncated."""
    store = open_store(str(tmp_path / "s.zarr"), mode="w")
    meta = core.create_array(store, "a", core.array_metadata((128, 128), "uint16", (16, 16), shards=shards,
                                                             compressors=ZSTD))
    core.write_region(store, "a", ..., _data((128, 128)), metadata=meta)
    key = "a/c/2/3"
    raw = store.get(key)
    damaged = raw[:-40] if shards is None else raw[:100] + raw[-meta.sharding.index_nbytes:]
    store.set(key, damaged)
    before = {k: store.get(k) for k in store.list_prefix("")}
    with pytest.raises(ChunkDecodeError) as info:
        core.read_region(store, "a", ..., metadata=meta, backend="python")
    assert info.value.key == key and info.value.url == store.url and info.value.path == "a"
    assert {k: store.get(k) for k in store.list_prefix("")} == before


def _frames(codec: str):
    if codec == "zstd-stream":
        def enc(b):
            c = zstandard.ZstdCompressor().compressobj()
            return c.compress(b) + c.flush()
        return ZSTD, enc
    return {"zstd": (ZSTD, numcodecs.Zstd(1).encode), "blosc": (BLOSC, numcodecs.Blosc("lz4", 5, 1).encode),
            "gzip": (GZIP, numcodecs.GZip(1).encode)}[codec]


@pytest.mark.parametrize("chunk", [(4, 4), (256, 256)], ids=["tiny", "large"])
@pytest.mark.parametrize("codec", ["zstd", "zstd-stream", "blosc", "gzip"])
def test_foreign_frames_decode_and_short_frames_are_refused(chunk, codec):
    compressors, encode = _frames(codec)
    store = open_store("memory://", mode="w")
    shape = (chunk[0] * 2, chunk[1])
    meta = core.create_array(store, "a", core.array_metadata(shape, "uint16", chunk, compressors=compressors))
    ref = _data(shape)
    core.write_region(store, "a", ..., ref, metadata=meta)
    first = ref[: chunk[0]].tobytes()
    store.set("a/c/0/0", encode(first))  # a valid frame from another encoder
    assert np.array_equal(core.read_region(store, "a", ..., metadata=meta, backend="python"), ref)
    assert np.array_equal(core.read_chunk(store, "a", (0, 0), metadata=meta, backend="python"), ref[: chunk[0]])
    store.set("a/c/0/0", encode(first[:-2]))  # one element short: never stale bytes
    for read in (lambda: core.read_region(store, "a", ..., metadata=meta, backend="python"),
                 lambda: core.read_chunk(store, "a", (0, 0), metadata=meta, backend="python"),
                 lambda: core.read_region(store, "a", (0, slice(None)), metadata=meta, backend="python")):
        with pytest.raises(ChunkDecodeError) as info:
            read()
        assert info.value.key == "a/c/0/0"


def test_a_shard_rewritten_by_another_writer_reads_new_values(tmp_path):
    """zarr-python rewrites the shards behind zarrkit's index cache; a bulk read still sees the new bytes."""
    zarr = pytest.importorskip("zarr")
    store = open_store(str(tmp_path / "s.zarr"), mode="w")
    meta = core.create_array(store, "a", core.array_metadata((64, 64), "uint16", (8, 8), shards=(32, 32),
                                                             compressors=ZSTD))
    core.write_region(store, "a", ..., _data((64, 64)), metadata=meta)
    core.read_region(store, "a", ..., metadata=meta, backend="python")  # indexes now cached
    other = _data((64, 64)) * 3 + 1
    other[:8] = 0  # fewer stored inner chunks: every offset moves
    zarr.open_array(str(tmp_path / "s.zarr"), path="a", mode="r+")[...] = other
    assert np.array_equal(core.read_region(store, "a", ..., metadata=meta, backend="python"), other)
