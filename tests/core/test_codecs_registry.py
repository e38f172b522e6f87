"""Codecs register themselves; the chain builder goes through the registry by stage kind."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit import core
from zarrkit.core.backends import zarrs as zarrs_backend
from zarrkit.core.backends.base import refusal
from zarrkit.core.backends.choice import auto_backend
from zarrkit.core.codecs import (
    BytesBytesCodec,
    ChunkSpec,
    StageKind,
    build_chain,
    codec_entry,
    parse_codec,
    register_codec,
    registered_codecs,
    registry,
)
from zarrkit.errors import BackendUnsupportedError, MetadataError, UnknownCodecError
from zarrkit.storage import open_store

SPEC = ChunkSpec((4,), np.dtype("u1"), np.zeros((), "u1"))

BUILT_IN = {
    "transpose": StageKind.ARRAY_ARRAY,
    "bytes": StageKind.ARRAY_BYTES,
    "sharding_indexed": StageKind.ARRAY_BYTES,
    "vlen-utf8": StageKind.ARRAY_BYTES,
    "vlen-bytes": StageKind.ARRAY_BYTES,
    "gzip": StageKind.BYTES_BYTES,
    "zstd": StageKind.BYTES_BYTES,
    "blosc": StageKind.BYTES_BYTES,
    "crc32c": StageKind.BYTES_BYTES,
    "numcodecs.*": StageKind.BYTES_BYTES,
}


def test_every_built_in_codec_registered_itself_with_its_kind():
    assert {name: e.kind for name, e in registered_codecs().items() if name in BUILT_IN} == BUILT_IN
    assert codec_entry("numcodecs.zlib").name == "numcodecs.*"
    assert parse_codec({"name": "numcodecs.zlib", "configuration": {"level": 1}}).kind is StageKind.BYTES_BYTES


def test_unknown_codecs_stay_a_clear_error():
    with pytest.raises(UnknownCodecError, match="unknown codec 'mystery'"):
        parse_codec({"name": "mystery"})
    with pytest.raises(UnknownCodecError, match="not available in numcodecs"):
        parse_codec({"name": "numcodecs.nonexistent"})


def test_stage_order_follows_the_registered_kinds():
    with pytest.raises(MetadataError, match="before the array→bytes codec"):
        build_chain([{"name": "crc32c"}, {"name": "bytes"}], SPEC)
    with pytest.raises(MetadataError, match="a second array→bytes codec"):
        build_chain([{"name": "bytes"}, {"name": "bytes"}], SPEC)
    with pytest.raises(MetadataError, match="after the array→bytes codec"):
        build_chain([{"name": "bytes"}, {"name": "transpose", "configuration": {"order": [0]}}], SPEC)


class XorCodec(BytesBytesCodec):
    """A toy bytes→bytes codec: flips every bit of every byte."""

    name = "test.xor"

    def to_dict(self):
        return {"name": self.name}

    def encode(self, buf):
        return (np.frombuffer(bytes(buf), np.uint8) ^ 0xFF).tobytes()

    def decode(self, buf):
        return self.encode(buf)


@pytest.fixture
def xor_registered():
    register_codec("test.xor", XorCodec)
    yield
    registry._CODECS.pop("test.xor")  # leave the process-wide registry as it was


def test_a_registered_codec_serves_whole_arrays(xor_registered, tmp_path):
    s = open_store(str(tmp_path / "x.zarr"), mode="w")
    meta = core.create_array(s, "a", core.array_metadata((6,), "u1", (3,), compressors=[{"name": "test.xor"}]))
    core.write_region(s, "a", ..., np.arange(6, dtype="u1"), metadata=meta)
    assert s.get("a/c/0") == bytes([0xFF, 0xFE, 0xFD])  # the codec really ran
    assert core.read_region(s, "a", ..., metadata=meta).tolist() == [0, 1, 2, 3, 4, 5]
    # zarrs declares the codecs it runs; it refuses this one, and auto falls back to python
    # for an operation it would otherwise give zarrs (a write of a region)
    if zarrs_backend.available():
        assert refusal(zarrs_backend, s, meta, op="read") == "codec test.xor"
        with pytest.raises(BackendUnsupportedError, match="codec test.xor"):
            core.read_region(s, "a", ..., metadata=meta, backend="zarrs")
        core.stats(reset=True)
        core.write_region(s, "a", ..., np.arange(6, dtype="u1"), metadata=meta, backend="auto")
        expected = 1 if auto_backend(meta, op="write") == "zarrs" else None
        assert core.stats().get("fallback:codec test.xor") == expected
