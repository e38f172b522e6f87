"""Interop with zarr-python both ways: documents, chunk bytes and values must agree.

The oracle is whichever zarr-python is installed: 3.1 on Python 3.11, 3.4 on 3.12 and newer.
zarrkit writes one set of documents; every case here must equal both versions' output.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np
import pytest
import zarr

from tests.core.cases import (
    CODECS,
    DTYPES,
    fills_for,
    same,
    sample,
    zarr_python_kwargs,
    zarrkit_metadata,
)
from zarrkit import core
from zarrkit.storage import open_store

SHARDED = {"shard-end-zstd", "shard-start-crc"}


def _fill(dtype: str):
    fills = fills_for(dtype)
    return fills[1] if len(fills) > 1 else fills[0]


def _docs(root: str) -> dict[str, dict]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f in ("zarr.json", ".zarray", ".zattrs", ".zgroup"):
                with open(os.path.join(dirpath, f)) as fh:
                    out[os.path.relpath(os.path.join(dirpath, f), root)] = json.load(fh)
    return out


def _chunks(root: str) -> dict[str, bytes]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f not in ("zarr.json", ".zarray", ".zattrs", ".zgroup"):
                with open(os.path.join(dirpath, f), "rb") as fh:
                    out[os.path.relpath(os.path.join(dirpath, f), root)] = fh.read()
    return out


def _zp_create(path: str, kwargs: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zarr.create_array(str(path), **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("codec", list(CODECS))
def test_zarrkit_writes_zarr_python_reads(tmp_path, codec, dtype):
    fill = _fill(dtype)
    data = sample(dtype)
    store = open_store(str(tmp_path / "zk"), mode="w")
    meta = core.create_array(store, "", zarrkit_metadata(codec, dtype, fill))
    core.write_region(store, "", ..., data, metadata=meta, backend="python")

    read_back = zarr.open_array(str(tmp_path / "zk"), mode="r")[...]
    assert same(read_back, data)

    # the same array made by zarr-python: identical documents, identical stored keys
    reference = _zp_create(tmp_path / "zp", zarr_python_kwargs(codec, dtype, fill))
    reference[...] = data
    assert _docs(str(tmp_path / "zk")) == _docs(str(tmp_path / "zp"))
    ours, theirs = _chunks(str(tmp_path / "zk")), _chunks(str(tmp_path / "zp"))
    assert sorted(ours) == sorted(theirs)
    if codec not in SHARDED and codec != "gzip":  # gzip headers carry a timestamp
        assert ours == theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("codec", list(CODECS))
def test_zarr_python_writes_zarrkit_reads(tmp_path, codec, dtype):
    fill = _fill(dtype)
    data = sample(dtype, seed=1)
    reference = _zp_create(tmp_path / "zp", zarr_python_kwargs(codec, dtype, fill))
    reference[2:, 1:] = data[2:, 1:]  # leave row/col 0 partly unwritten: the fill shows through
    expected = reference[...]
    store = open_store(str(tmp_path / "zp"), mode="r")
    for backend in ("python", "auto"):
        assert same(core.read_region(store, "", ..., backend=backend), expected)
        picked = core.read_region(store, "", (slice(None, None, -3), [6, 0, 6]), backend=backend)
        assert same(picked, expected[::-3][:, [6, 0, 6]])
    meta = core.read_metadata(store, "")
    assert meta.chunks == reference.chunks and meta.shards == reference.shards
    assert same(np.asarray(meta.fill_value[()], meta.dtype), np.asarray(reference.fill_value, reference.dtype))


@pytest.mark.parametrize("fill", [float("nan"), float("inf"), float("-inf"), 0.0, 42.0])
def test_float_fill_values_round_trip(tmp_path, fill):
    store = open_store(str(tmp_path / "a"), mode="w")
    core.create_array(store, "", core.array_metadata((5,), "float64", (2,), fill_value=fill))
    z = zarr.open_array(str(tmp_path / "a"))
    got = z[...]
    assert (np.isnan(got).all() if math.isnan(fill) else (got == fill).all())
    z[1] = 3.0
    assert same(core.read_region(store, "", ...), z[...])


def test_nan_payload_fill_is_written_as_hex_and_read_by_zarr_python(tmp_path):
    payload = np.array([0x7FF8000000000001], dtype="<u8").view("<f8")[0]
    store = open_store(str(tmp_path / "a"), mode="w")
    core.create_array(store, "", core.array_metadata((3,), "float64", (3,), fill_value=payload))
    doc = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert doc["fill_value"] == "0x7ff8000000000001"
    got = zarr.open_array(str(tmp_path / "a"))[...]
    assert got.view("<u8").tolist() == [0x7FF8000000000001] * 3
    assert core.read_region(store, "", ...).view("<u8").tolist() == [0x7FF8000000000001] * 3


def test_v2_null_fill_reads_as_zarr_python_reads_it(tmp_path):
    root = tmp_path / "n"
    root.mkdir()
    (root / ".zarray").write_text(json.dumps({
        "zarr_format": 2, "shape": [4], "chunks": [2], "dtype": "<i4", "compressor": None,
        "fill_value": None, "order": "C", "filters": None,
    }))
    expected = zarr.open_array(str(root), mode="r")[...]
    got = core.read_region(open_store(str(root), mode="r"), "", ...)
    assert same(got, expected)


@pytest.mark.parametrize("dtype,values", [
    (str, ["", "a", "héllo", "x" * 40]),
    (bytes, [b"", b"\x00\x01", b"abc", b"z" * 40]),
    ("<U5", ["", "ab", "héllo", "xyz"]),
])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_string_and_bytes_dtypes_interoperate(tmp_path, dtype, values, zarr_format):
    data = np.array(values, dtype=object if dtype in (str, bytes) else dtype)
    store = open_store(str(tmp_path / "zk"), mode="w")
    core.create_array(store, "", core.array_metadata((4,), dtype, (3,), zarr_format=zarr_format))
    core.write_region(store, "", ..., data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = zarr.open_array(str(tmp_path / "zk"), mode="r")[...]
        zdtype = zarr.dtype.VariableLengthBytes() if dtype is bytes else dtype
        reference = zarr.create_array(str(tmp_path / "zp"), shape=(4,), chunks=(3,), dtype=zdtype, zarr_format=zarr_format)
        reference[...] = data
    assert got.tolist() == data.tolist()
    assert _docs(str(tmp_path / "zk")) == _docs(str(tmp_path / "zp"))
    assert core.read_region(open_store(str(tmp_path / "zp"), mode="r"), "", ...).tolist() == data.tolist()


def test_groups_and_attributes_match_zarr_python(tmp_path):
    store = open_store(str(tmp_path / "zk"), mode="w")
    core.create_group(store, "", attributes={"title": "run", "n": [1, 2]})
    core.create_group(store, "sub", zarr_format=3)
    core.consolidate(store)
    g = zarr.open_group(str(tmp_path / "zp"), mode="w", attributes={"title": "run", "n": [1, 2]})
    g.create_group("sub")
    zarr.consolidate_metadata(str(tmp_path / "zp"))
    assert _docs(str(tmp_path / "zk")) == _docs(str(tmp_path / "zp"))
    v2 = open_store(str(tmp_path / "zk2"), mode="w")
    core.create_group(v2, "", attributes={"a": 1}, zarr_format=2)
    zarr.open_group(str(tmp_path / "zp2"), mode="w", zarr_format=2, attributes={"a": 1})
    assert _docs(str(tmp_path / "zk2")) == _docs(str(tmp_path / "zp2"))


# zarr-python's defaults (no codec arguments) for dtypes and fields the codec matrix skips;
# 3.1 and 3.4 write the same documents for all of these (they differ only for structured
# dtypes, which zarrkit does not write).
DEFAULT_CASES = {
    "float16": ((5, 3), "float16", {}),
    "int64-dims": ((5, 3), "int64", {"dimension_names": ["y", "x"]}),
    "complex128": ((5, 3), "complex128", {}),
    "uint8-sharded": ((8, 6), "uint8", {"shards": (4, 6)}),
    "U5": ((5, 3), "<U5", {}),
    "int16-v2": ((5, 3), "int16", {"zarr_format": 2}),
}


@pytest.mark.parametrize("case", list(DEFAULT_CASES))
def test_default_documents_match_installed_zarr_python(tmp_path, case):
    shape, dtype, extra = DEFAULT_CASES[case]
    store = open_store(str(tmp_path / "zk"), mode="w")
    core.create_array(store, "", core.array_metadata(shape, dtype, (2, 3), **extra))
    _zp_create(tmp_path / "zp", {"shape": shape, "chunks": (2, 3), "dtype": dtype, **extra})
    assert _docs(str(tmp_path / "zk")) == _docs(str(tmp_path / "zp")), f"zarr {zarr.__version__}"
