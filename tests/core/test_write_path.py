"""The python backend's whole-chunk write path: chunks encoded straight from the caller's values
(strided, read-only or broadcast), shards assembled in one buffer, zstd frames from reused
per-thread contexts.  zarr-python reads every result; equal input gives equal bytes."""

from __future__ import annotations

import os
import threading

import numcodecs
import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.core import pool
from zarrkit.storage import open_store


def _files(root) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f != "zarr.json":
                with open(os.path.join(dirpath, f), "rb") as fh:
                    out[os.path.relpath(os.path.join(dirpath, f), root)] = fh.read()
    return out


def _image(shape=(40, 52), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = rng.poisson(100, shape).astype("u2")
    data[:16, :16] = 0  # a whole empty chunk (and inner chunk)
    return data


SHARDED = {"shards": (16, 32)}


@pytest.mark.parametrize("layout", [{}, SHARDED], ids=["chunks", "shards"])
@pytest.mark.parametrize("source", ["contiguous", "strided", "read-only", "fortran"])
def test_whole_chunks_from_any_source_layout(tmp_path, layout, source):
    data = _image()
    value = {
        "contiguous": data.copy(),
        "strided": np.repeat(data, 2, axis=1)[:, ::2],
        "read-only": np.frombuffer(data.tobytes(), "u2").reshape(data.shape),
        "fortran": np.asfortranarray(data),
    }[source]
    assert np.array_equal(value, data)
    store = open_store(str(tmp_path / "a"), mode="w")
    meta = core.create_array(store, "", core.array_metadata(data.shape, "u2", (8, 16), **layout))
    core.write_region(store, "", ..., value, metadata=meta, backend="python")
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"), mode="r")[...], data)
    if not layout:
        assert not (tmp_path / "a" / "c" / "0" / "0").exists()  # the empty chunk is not stored
    reference = open_store(str(tmp_path / "b"), mode="w")
    core.create_array(reference, "", meta)
    core.write_region(reference, "", ..., data.copy(), metadata=meta, backend="python")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_broadcast_value_and_all_fill_shard_rewrite(tmp_path):
    store = open_store(str(tmp_path / "a"), mode="w")
    meta = core.create_array(store, "", core.array_metadata((32, 32), "f4", (8, 8), shards=(16, 16)))
    core.write_region(store, "", ..., 2.5, metadata=meta, backend="python")  # a zero-stride view
    assert sorted(_files(tmp_path / "a")) == [f"c/{i}/{j}" for i in (0, 1) for j in (0, 1)]
    core.write_region(store, "", (slice(0, 16), slice(16, 32)), 0.0, metadata=meta, backend="python")
    assert "c/0/1" not in _files(tmp_path / "a")  # every inner chunk fill: the shard is deleted
    expected = np.full((32, 32), 2.5, "f4")
    expected[:16, 16:] = 0
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"), mode="r")[...], expected)


@pytest.mark.parametrize("index_location", ["start", "end"])
def test_shards_are_laid_out_in_c_order_whatever_thread_encodes(tmp_path, index_location):
    data = _image((64, 64), seed=3)
    meta = core.array_metadata((64, 64), "u2", (8, 8), shards=(64, 64), index_location=index_location,
                               compressors=[{"name": "zstd", "configuration": {"level": 3, "checksum": True}}])
    results = []
    for run in range(3):
        store = open_store(str(tmp_path / f"r{run}"), mode="w")
        core.create_array(store, "", meta)
        if run == 2:
            pool._local.worker = True  # everything inline on this thread: the serial encoder
        try:
            core.write_region(store, "", ..., data, metadata=meta, backend="python")
        finally:
            pool._local.worker = False
        results.append(_files(tmp_path / f"r{run}"))
        assert np.array_equal(zarr.open_array(str(tmp_path / f"r{run}"), mode="r")[...], data)
    assert results[0] == results[1] == results[2]
    shard = results[0]["c/0/0"]
    assert meta.sharding.canonical(shard) == shard  # inner chunks back to back in C order
    assert len(shard) < data.nbytes  # compressed, with the empty inner chunks left out


@pytest.mark.parametrize("level, checksum", [(0, False), (3, True), (-5, False), (19, False)])
def test_zstd_frames_decode_with_numcodecs_from_every_thread(level, checksum):
    from zarrkit.core.codecs import ZstdCodec

    codec = ZstdCodec(level, checksum)
    data = [np.random.default_rng(i).integers(0, 50, 5000, dtype="u2") for i in range(6)]
    out: dict[int, bytes] = {}

    def work(i):
        out[i] = codec.encode(data[i].view(np.uint8))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reference = numcodecs.Zstd(level=level, checksum=checksum)
    for i in range(6):
        assert np.array_equal(np.frombuffer(reference.decode(out[i]), "u2"), data[i])
        assert codec.encode(data[i].view(np.uint8)) == out[i]  # same bytes on another thread


def test_a_failed_shard_write_stops_the_pipeline_and_nothing_lands_afterwards(tmp_path, monkeypatch):
    import time

    from zarrkit.errors import StoreError

    data = _image((64, 64), seed=5) + 1  # no empty inner chunk: every shard is stored
    store = open_store(str(tmp_path / "a"), mode="w")
    meta = core.create_array(store, "", core.array_metadata((64, 64), "u2", (8, 8), shards=(16, 16)))
    real_set = type(store)._set
    landed = []

    def flaky_set(self, key, value):
        if key == "c/1/2":
            raise OSError("disk full")
        time.sleep(0.002)  # a slow disk: the next shard is encoded meanwhile
        real_set(self, key, value)
        landed.append(key)

    monkeypatch.setattr(type(store), "_set", flaky_set)
    with pytest.raises(StoreError) as info:
        core.write_region(store, "", ..., data, metadata=meta, backend="python")
    assert "c/1/2" in str(info.value)
    count = len(landed)
    time.sleep(0.05)
    assert len(landed) == count  # no write after the call returned
    assert "c/1/3" not in landed and len(landed) < 16  # the pipeline stopped at the failure
