"""Sharding whose inner chain is variable-length (``vlen-bytes`` / ``vlen-utf8``): zarrkit
reads what zarr-python 3.1 writes and zarr-python reads what zarrkit writes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.storage import open_store

warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")

ZSTD0 = [{"name": "zstd", "configuration": {"level": 0, "checksum": False}}]


def _values(shape, seed, kind=bytes):
    rng = np.random.default_rng(seed)
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        n = int(rng.integers(0, 6))
        s = "".join(chr(int(c)) for c in rng.integers(97, 123, n))
        out[idx] = s.encode() if kind is bytes else s
    return out


def _zp_dtype(kind):
    from zarr.core.dtype import VariableLengthBytes, VariableLengthUTF8
    return VariableLengthBytes() if kind is bytes else VariableLengthUTF8()


@pytest.mark.parametrize("kind", [bytes, str])
@pytest.mark.parametrize("index_location", ["end", "start"])
def test_zarrkit_reads_zarr_python(tmp_path, kind, index_location):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from zarr.codecs import ShardingCodec, VLenBytesCodec, VLenUTF8Codec, ZstdCodec

        vlen = VLenBytesCodec() if kind is bytes else VLenUTF8Codec()
        sharding = ShardingCodec(chunk_shape=(1, 2), codecs=[vlen, ZstdCodec(level=0)], index_location=index_location)
        a = zarr.create_array(str(tmp_path / "a"), shape=(5, 6), chunks=(2, 4), dtype=_zp_dtype(kind),
                              serializer=sharding, compressors=None)
        values = _values((5, 6), 1, kind)
        a[...] = values
    s = open_store(str(tmp_path))
    got = core.read_region(s, "a", ...)
    assert got.tolist() == values.tolist()
    assert core.read_region(s, "a", (slice(1, 4), 3)).tolist() == values[1:4, 3].tolist()
    assert core.read_chunk(s, "a", (4, 2), inner=True).tolist() == values[4:5, 4:6].tolist()


@pytest.mark.parametrize("kind", [bytes, str])
def test_zarr_python_reads_zarrkit(tmp_path, kind):
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata((5, 6), kind, (1, 2), shards=(2, 4), compressors=ZSTD0))
    values = _values((5, 6), 2, kind)
    core.write_region(s, "a", ..., values, metadata=m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert zarr.open_array(str(tmp_path / "a"))[...].tolist() == values.tolist()


def test_metadata_matches_zarr_python(tmp_path):
    """The zarr.json core writes for a sharded vlen-bytes array is zarr-python's, field by field."""
    import json

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.create_array(str(tmp_path / "zp"), shape=(3, 3, 3), chunks=(1, 1, 1), shards=(3, 3, 3),
                          dtype=_zp_dtype(bytes), compressors=zarr.codecs.ZstdCodec(level=0))
    s = open_store(str(tmp_path), mode="r+")
    core.create_array(s, "zk", core.array_metadata((3, 3, 3), bytes, (1, 1, 1), shards=(3, 3, 3), compressors=ZSTD0))
    zp = json.loads((tmp_path / "zp" / "zarr.json").read_text())
    zk = json.loads((tmp_path / "zk" / "zarr.json").read_text())
    zp.pop("dimension_names", None)
    assert zk == zp


def test_inner_writes_keep_other_inner_chunks(tmp_path):
    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata((4, 4), bytes, (1, 1), shards=(2, 2), compressors=ZSTD0))
    core.write_chunk(s, "a", (0, 0), np.array([[b"x"]], object), inner=True, metadata=m)
    core.write_chunks(s, "a", {(1, 1): b"yy", (3, 3): b"zzz"}, inner=True, metadata=m)
    expect = np.full((4, 4), b"", dtype=object)
    expect[0, 0], expect[1, 1], expect[3, 3] = b"x", b"yy", b"zzz"
    assert core.read_region(s, "a", ..., metadata=m).tolist() == expect.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert zarr.open_array(str(tmp_path / "a"))[...].tolist() == expect.tolist()
    # an inner chunk set back to the fill value disappears; an all-empty shard is deleted
    core.write_chunks(s, "a", {(3, 3): b""}, inner=True, metadata=m)
    stored = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a" / "c").rglob("*") if p.is_file())
    assert stored == ["c/0/0"]


def test_corrupt_inner_chunk_names_the_key(tmp_path):
    from zarrkit.errors import ChunkDecodeError

    s = open_store(str(tmp_path), mode="w")
    m = core.create_array(s, "a", core.array_metadata((2,), bytes, (1,), shards=(2,), compressors=ZSTD0))
    core.write_region(s, "a", ..., np.array([b"ab", b"cd"], object), metadata=m)
    key = tmp_path / "a" / "c" / "0"
    raw = bytearray(key.read_bytes())
    raw[:4] = b"\xff\xff\xff\xff"
    key.write_bytes(bytes(raw))
    with pytest.raises(ChunkDecodeError) as info:
        core.read_region(open_store(str(tmp_path)), "a", ...)
    assert "a/c/0" in str(info.value)
