"""zarrkit.core.blosc_zstd: the same bytes as numcodecs' blosc decode, or a refusal, never an exception."""

from __future__ import annotations

import numcodecs
import numpy as np
from numcodecs import blosc

from zarrkit.core.blosc_zstd import decode_into


def _frames(rng, n: int):
    for _ in range(n):
        dtype = rng.choice(["u1", "i1", "f4", "i2", "f8"])
        size = int(rng.integers(1, 20000))
        data = (rng.integers(0, 5, size) if rng.random() < 0.5 else rng.random(size) * 100).astype(dtype)
        codec = numcodecs.Blosc(cname=str(rng.choice(["zstd", "zstd", "lz4"])), clevel=int(rng.integers(0, 10)),
                                shuffle=int(rng.integers(0, 3)), blocksize=int(rng.choice([0, 0, 256, 1000, 4096])))
        yield data, codec.encode(data)


def test_decodes_exactly_what_numcodecs_decodes():
    rng = np.random.default_rng(5)
    taken = 0
    for data, frame in _frames(rng, 300):
        out = np.empty_like(data)
        if decode_into(frame, out):
            taken += 1
            assert out.tobytes() == data.tobytes()
        else:  # lz4, stored uncompressed (memcpyed), or split into streams: numcodecs' path
            assert frame[2] >> 5 != 4 or frame[2] & 0x2 or not frame[2] & 0x10
    assert taken > 100


def test_damaged_frames_are_refused_or_decoded_as_numcodecs_would():
    rng = np.random.default_rng(6)
    clean = numcodecs.Blosc("zstd", 3, numcodecs.Blosc.BITSHUFFLE).encode(rng.integers(0, 5, 4096).astype("u1"))
    for _ in range(400):
        frame = bytearray(clean)
        for _ in range(int(rng.integers(1, 4))):
            frame[int(rng.integers(0, len(frame)))] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            frame = frame[: int(rng.integers(0, len(frame)))]
        out = np.empty(4096, "u1")
        if decode_into(bytes(frame), out):
            assert out.tobytes() == blosc.decompress(bytes(frame))


def test_blosc_codec_decode_into_takes_the_fast_path_with_numcodecs_bytes(monkeypatch):
    from zarrkit.core import blosc_zstd
    from zarrkit.core.codecs.compressors import BloscCodec

    taken = []
    real = blosc_zstd.decode_into
    monkeypatch.setattr(blosc_zstd, "decode_into", lambda buf, out: taken.append(real(buf, out)) or taken[-1])
    rng = np.random.default_rng(8)
    for size, dtype, shuffle in [(4096, "u1", "bitshuffle"), (65536, "f4", "shuffle"), (131072, "u2", "noshuffle")]:
        data = (rng.integers(0, 40, size // np.dtype(dtype).itemsize)).astype(dtype)
        codec = BloscCodec("zstd", 5, shuffle, np.dtype(dtype).itemsize)
        out = np.empty_like(data)
        codec.decode_into(codec.encode(data), out)
        assert out.tobytes() == data.tobytes()
    assert taken == [True, True, True]
    big = np.zeros(1 << 20, "u1")  # above the bound: numcodecs decodes, the fast path is not asked
    codec = BloscCodec("zstd", 5, "bitshuffle", 1)
    codec.decode_into(codec.encode(big), np.empty_like(big))
    assert len(taken) == 3


def test_blosc_codec_decode_into_rejects_damaged_zstd_frames_as_numcodecs_does():
    # on a worker thread, as bulk reads run: c-blosc's main-thread global context is not a
    # stable reference for damaged frames (it once refused bytes it accepted a moment before)
    from concurrent.futures import ThreadPoolExecutor

    from zarrkit.core.codecs.base import CodecFailure
    from zarrkit.core.codecs.compressors import BloscCodec

    def check():
        rng = np.random.default_rng(9)
        codec = BloscCodec("zstd", 3, "bitshuffle", 1)
        clean = codec.encode(rng.integers(0, 5, 8192).astype("u1"))
        holes = []
        for _ in range(300):
            frame = bytearray(clean)
            for _ in range(int(rng.integers(1, 4))):
                frame[int(rng.integers(0, len(frame)))] = int(rng.integers(0, 256))
            if rng.random() < 0.3:
                frame = frame[: int(rng.integers(0, len(frame)))] if rng.random() < 0.7 else frame + b"\0" * 9
            outs = []
            for fill in (0, 255):
                out = np.full(8192, fill, "u1")
                try:
                    codec.decode_into(bytes(frame), out)
                except CodecFailure:
                    break  # a zarrkit error; numcodecs may or may not have refused these bytes
                outs.append(out.tobytes())
            if len(outs) < 2:
                continue
            if outs[0] != outs[1]:
                # c-blosc 1.x (numcodecs too) can accept a damaged frame without writing every
                # byte of the chunk: what is there before shows through, so no reference exists
                holes.append(bytes(frame))
                continue
            assert outs[0] == blosc.decompress(bytes(frame))
        assert len(holes) < 30  # the rare case, not the rule

    with ThreadPoolExecutor(1) as pool:
        pool.submit(check).result()
