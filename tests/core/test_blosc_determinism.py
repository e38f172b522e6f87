"""Blosc encodes give the same bytes on every call and thread (numcodecs' main-thread path does not)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numcodecs
import numpy as np
import pytest

from zarrkit.core.codecs.compressors import BloscCodec


def _buffer() -> np.ndarray:
    # 4 MiB of smooth, partly compressible float data: the size where numcodecs' pooled zstd varies
    rng = np.random.default_rng(14)
    return (rng.standard_normal(1 << 20).cumsum() * 10).round().astype("f4")


@pytest.mark.parametrize("cname", ["zstd", "lz4"])
def test_blosc_encode_is_the_same_bytes_on_main_and_worker_threads(cname):
    data = _buffer()
    codec = BloscCodec(cname, 5, "shuffle", 4)
    assert threading.current_thread() is threading.main_thread()
    on_main = {codec.encode(data) for _ in range(10)}
    with ThreadPoolExecutor(2) as pool:
        on_workers = set(pool.map(lambda _: codec.encode(data), range(10)))
    assert len(on_main) == 1 and on_main == on_workers
    # the bytes are numcodecs' own one-thread context encode (what it does on a worker thread)
    reference = ThreadPoolExecutor(1).submit(numcodecs.Blosc(cname, 5, 1, typesize=4).encode, data).result()
    assert on_main == {bytes(reference)}
    out = np.empty_like(data)
    codec.decode_into(next(iter(on_main)), out)
    assert np.array_equal(out, data)


def test_blosc_encode_takes_the_buffer_item_size_when_unresolved():
    data = np.arange(1000, dtype="u2")
    unresolved = BloscCodec("zstd", 3, "shuffle")
    assert unresolved.encode(data) == bytes(numcodecs.Blosc("zstd", 3, 1, typesize=2).encode(data))
    assert np.array_equal(np.frombuffer(unresolved.decode(unresolved.encode(data)), "u2"), data)


def test_without_the_ctypes_binding_main_thread_encodes_go_to_a_worker(monkeypatch):
    # a numcodecs build that hides blosc_compress_ctx: the same bytes through numcodecs on a worker
    from zarrkit.core.codecs import blosc_encode

    data = _buffer()
    expected = BloscCodec("zstd", 5, "shuffle", 4).encode(data)
    monkeypatch.setattr(blosc_encode, "_compress_ctx", None)
    assert {BloscCodec("zstd", 5, "shuffle", 4).encode(data) for _ in range(5)} == {expected}
