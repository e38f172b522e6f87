"""Bad input raises the right zarrkit error, names store, node and key, and changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrkit import core
from zarrkit.core.backends import zarrs as zarrs_backend
from zarrkit.errors import (
    ChecksumError,
    ChunkDecodeError,
    ChunkNotFoundError,
    ContainsNodeError,
    DTypeError,
    InvalidKeyError,
    MetadataError,
    NodeNotFoundError,
    NodeTypeError,
    OutOfBoundsError,
    SelectionError,
    ShapeMismatchError,
    UnknownCodecError,
    UnknownDataTypeError,
    UnsupportedMetadataError,
    ZarrkitError,
)
from zarrkit.storage import open_store


def _snapshot(store) -> dict[str, bytes]:
    return {k: store.get(k) for k in sorted(store.list_prefix(""))}


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "s.zarr"), mode="w")
    core.create_group(s, "")
    m = core.create_array(s, "a", core.array_metadata((6, 6), "uint16", (3, 3), compressors=[{"name": "crc32c"}]))
    core.write_region(s, "a", ..., np.arange(36, dtype="uint16").reshape(6, 6), metadata=m)
    return s


@pytest.mark.parametrize("backend", ["python", "auto", "zarrs"])
def test_truncated_and_corrupt_chunks(store, backend):
    if backend == "zarrs" and not zarrs_backend.available():
        pytest.skip("zarrista is not installed")
    raw = store.get("a/c/0/0")
    store.set("a/c/0/0", raw[:-7])
    before = _snapshot(store)
    core.stats(reset=True)
    with pytest.raises(ChunkDecodeError) as info:
        core.read_region(store, "a", ..., backend=backend)
    if backend == "zarrs":
        assert core.stats().get("zarrs:calls", 0) > 0  # zarrs met the bad chunk first
    # every backend's error names the chunk (zarrs' through a python re-read), node and store
    assert info.value.key == "a/c/0/0" and "a/c/0/0" in str(info.value)
    assert info.value.url == store.url and info.value.path == "a"
    with pytest.raises(ChunkDecodeError) as info:
        core.read_chunk(store, "a", (0, 0), backend=backend)
    assert info.value.key == "a/c/0/0"
    store.set("a/c/0/0", raw[:-1] + bytes([raw[-1] ^ 0xFF]))
    with pytest.raises(ChunkDecodeError) as info:
        core.read_chunk(store, "a", (0, 0), backend="python")
    assert isinstance(info.value, ChecksumError) and info.value.key == "a/c/0/0"
    store.set("a/c/0/0", raw)
    assert _snapshot(store) | {"a/c/0/0": raw} == before | {"a/c/0/0": raw}


def test_malformed_metadata_names_the_key(store):
    store.set("b/zarr.json", b"{not json")
    with pytest.raises(MetadataError) as info:
        core.read_metadata(store, "b")
    assert info.value.key == "b/zarr.json" and "malformed JSON" in str(info.value)
    doc = json.loads(store.get("a/zarr.json"))
    bad = dict(doc, shape=[-1, 6])
    store.set("c/zarr.json", json.dumps(bad).encode())
    with pytest.raises(MetadataError, match="non-negative"):
        core.read_metadata(store, "c")
    store.set("d/zarr.json", json.dumps(dict(doc, data_type="float128")).encode())
    with pytest.raises(UnknownDataTypeError):
        core.read_metadata(store, "d")
    store.set("e/zarr.json", json.dumps(dict(doc, chunk_grid={"name": "rectilinear"})).encode())
    with pytest.raises(UnsupportedMetadataError):
        core.read_metadata(store, "e")
    store.set("f/zarr.json", json.dumps(dict(doc, storage_transformers=[{"name": "x"}])).encode())
    with pytest.raises(UnsupportedMetadataError):
        core.read_metadata(store, "f")
    store.set("g/zarr.json", json.dumps(dict(doc, novel={"must_understand": True})).encode())
    with pytest.raises(UnsupportedMetadataError, match="novel"):
        core.read_metadata(store, "g")
    store.set("h/zarr.json", json.dumps(dict(doc, novel={"must_understand": False, "x": 1})).encode())
    assert core.read_metadata(store, "h").extensions == {"novel": {"must_understand": False, "x": 1}}


def test_unknown_codec_reads_metadata_but_not_data(store):
    doc = json.loads(store.get("a/zarr.json"))
    doc["codecs"].append({"name": "mystery"})
    store.set("u/zarr.json", json.dumps(doc).encode())
    meta = core.read_metadata(store, "u")
    assert meta.shape == (6, 6)
    with pytest.raises(UnknownCodecError, match="mystery") as info:
        core.read_region(store, "u", ...)
    assert info.value.path == "u"
    with pytest.raises(UnknownCodecError):
        core.array_metadata((2,), "u1", (2,), compressors=[{"name": "mystery"}])


def test_rejected_writes_change_nothing(store):
    meta = core.read_metadata(store, "a")
    before = _snapshot(store)
    with pytest.raises(DTypeError):
        core.write_region(store, "a", ..., np.ones((6, 6), "float64"), metadata=meta)
    with pytest.raises(DTypeError):
        core.write_region(store, "a", 0, -1, metadata=meta)
    with pytest.raises(DTypeError):
        core.write_region(store, "a", 0, 70000, metadata=meta)
    with pytest.raises(ShapeMismatchError):
        core.write_region(store, "a", (slice(0, 2), 0), np.ones(3, "uint16"), metadata=meta)
    with pytest.raises(ShapeMismatchError):
        core.write_chunk(store, "a", (0, 0), np.ones((2, 2), "uint16"), metadata=meta)
    with pytest.raises(OutOfBoundsError):
        core.write_chunk(store, "a", (2, 0), np.ones((3, 3), "uint16"), metadata=meta)
    with pytest.raises(IndexError):  # OutOfBoundsError is also an IndexError
        core.write_region(store, "a", (6, 0), 1, metadata=meta)
    with pytest.raises(InvalidKeyError):
        core.write_region(store, "../escape", ..., 1)
    with pytest.raises(InvalidKeyError):
        core.create_array(store, "a/../../x", core.array_metadata((1,), "u1", (1,)))
    assert _snapshot(store) == before


def test_selection_errors(store):
    for bad in [(None,), (1.5,), (Ellipsis, Ellipsis), (0, 0, 0), (slice(0, 3, 0),), ([0.5],)]:
        with pytest.raises(ZarrkitError):
            core.read_region(store, "a", bad)
    with pytest.raises(SelectionError):
        core.read_region(store, "a", (None,))
    with pytest.raises(OutOfBoundsError):
        core.read_region(store, "a", ([0, 9],))
    with pytest.raises(OutOfBoundsError):
        core.read_chunk(store, "a", (5, 0))
    assert core.read_region(store, "a", (slice(4, 2),)).shape == (0, 6)


def test_missing_raise_and_fill(store):
    meta = core.read_metadata(store, "a")
    core.delete_chunk(store, "a", (1, 1), metadata=meta)
    core.delete_chunk(store, "a", (1, 1), metadata=meta)  # idempotent
    assert core.read_chunk(store, "a", (1, 1), metadata=meta).tolist() == [[0] * 3] * 3
    with pytest.raises(ChunkNotFoundError) as info:
        core.read_region(store, "a", ..., metadata=meta, missing="raise")
    assert info.value.key == "a/c/1/1"


def test_node_rules(store):
    with pytest.raises(ContainsNodeError):
        core.create_array(store, "a", core.array_metadata((1,), "u1", (1,)))
    store.set("stale/c/0", b"old")  # keys under a path count as a node being there
    with pytest.raises(ContainsNodeError):
        core.create_array(store, "stale", core.array_metadata((1,), "u1", (1,)))
    core.create_array(store, "stale", core.array_metadata((1,), "u1", (1,)), overwrite=True)
    assert store.get("stale/c/0") is None
    with pytest.raises(NodeTypeError):
        core.create_group(store, "a/inner")
    with pytest.raises(NodeTypeError):
        core.read_region(store, "", ...)
    with pytest.raises(NodeNotFoundError):
        core.read_metadata(store, "nope")
    with pytest.raises(NodeNotFoundError):
        core.delete_node(store, "nope")
    with pytest.raises(MetadataError):
        core.create_group(store, "n", attributes={"x": float("nan")})
    assert not store.exists("n/zarr.json")
