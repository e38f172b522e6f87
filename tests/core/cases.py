"""Shared cases for the core tests: a codec matrix over both formats, dtypes and fills.

Each codec case carries the arguments for zarrkit's ``array_metadata`` and for
``zarr.create_array`` so the same array can be made by either library.
"""

from __future__ import annotations

import numcodecs
import numpy as np

from zarrkit.core import array_metadata

SHAPE = (13, 7)
CHUNKS = (4, 3)
SHARDS = (8, 6)

_ZSTD = {"name": "zstd", "configuration": {"level": 3, "checksum": False}}

# name -> (zarrkit kwargs, zarr-python kwargs)
CODECS: dict[str, tuple[dict, dict]] = {
    "bytes": ({"compressors": None}, {"compressors": None}),
    "zstd": ({}, {}),
    "gzip": ({"compressors": [{"name": "gzip", "configuration": {"level": 1}}]},
             {"compressors": [{"name": "gzip", "configuration": {"level": 1}}]}),
    "blosc-lz4-shuffle": (
        {"compressors": [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}}]},
        {"compressors": [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}}]},
    ),
    "blosc-zstd-bitshuffle": (
        {"compressors": [{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle"}}]},
        {"compressors": [{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 3, "shuffle": "bitshuffle"}}]},
    ),
    "crc32c": ({"compressors": [{"name": "crc32c"}]}, {"compressors": [{"name": "crc32c"}]}),
    "transpose-big": (
        {"filters": [{"name": "transpose", "configuration": {"order": [1, 0]}}],
         "serializer": {"name": "bytes", "configuration": {"endian": "big"}}, "compressors": None},
        {"filters": [{"name": "transpose", "configuration": {"order": [1, 0]}}],
         "serializer": {"name": "bytes", "configuration": {"endian": "big"}}, "compressors": None},
    ),
    "shard-end-zstd": ({"shards": SHARDS, "compressors": [_ZSTD]}, {"shards": SHARDS, "compressors": [_ZSTD]}),
    "shard-start-crc": (
        {"shards": SHARDS, "compressors": [{"name": "crc32c"}], "index_location": "start"},
        {"shards": SHARDS, "compressors": [{"name": "crc32c"}], "serializer": "auto"},
    ),
    "v2-zstd": ({"zarr_format": 2, "compressors": {"id": "zstd", "level": 1}},
                {"zarr_format": 2, "compressors": numcodecs.Zstd(level=1)}),
    "v2-blosc": ({"zarr_format": 2, "compressors": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}},
                 {"zarr_format": 2, "compressors": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1)}),
    "v2-zlib-delta-F": (
        {"zarr_format": 2, "compressors": {"id": "zlib", "level": 1}, "order": "F", "delta": True},
        {"zarr_format": 2, "compressors": numcodecs.Zlib(level=1), "order": "F", "delta": True},
    ),
    "v2-slash": ({"zarr_format": 2, "dimension_separator": "/"},
                 {"zarr_format": 2, "chunk_key_encoding": {"name": "v2", "separator": "/"}}),
}

V3_CODECS = [k for k in CODECS if not k.startswith("v2")]
V2_CODECS = [k for k in CODECS if k.startswith("v2")]

DTYPES = ["bool", "int8", "uint16", "int32", "uint64", "float32", "float64", "complex64"]


def fills_for(dtype: str) -> list:
    kind = np.dtype(dtype).kind
    if kind == "b":
        return [False, True]
    if kind in "iu":
        return [0, 42]
    if kind == "f":
        return [0.0, 42.0, float("nan"), float("inf"), float("-inf")]
    return [0j, complex(42, -1)]


def _delta(kwargs: dict, dtype: str) -> dict:
    kwargs = dict(kwargs)
    if kwargs.pop("delta", False) and np.dtype(dtype).kind in "iu":  # delta is lossy on floats, meaningless on bools
        kwargs["filters"] = [numcodecs.Delta(dtype=np.dtype(dtype).str)]
    return kwargs


def zarrkit_metadata(codec: str, dtype: str, fill, shape=SHAPE, chunks=CHUNKS, **extra):
    kw = _delta(CODECS[codec][0], dtype)
    if "filters" in kw and kw.get("zarr_format") == 2:
        kw["filters"] = [f.get_config() for f in kw["filters"]]
    return array_metadata(shape, dtype, chunks, fill_value=fill, **kw, **extra)


def zarr_python_kwargs(codec: str, dtype: str, fill, shape=SHAPE, chunks=CHUNKS) -> dict:
    kw = _delta(CODECS[codec][1], dtype)
    if codec == "shard-start-crc":
        from zarr.codecs import BytesCodec, Crc32cCodec, ShardingCodec

        kw = {
            "chunks": SHARDS,
            "serializer": ShardingCodec(chunk_shape=chunks, codecs=[BytesCodec(), Crc32cCodec()], index_location="start"),
            "compressors": None,
        }
        return {"shape": shape, "dtype": dtype, "fill_value": fill, **kw}
    return {"shape": shape, "chunks": chunks, "dtype": dtype, "fill_value": fill, **kw}


def sample(dtype: str, shape=SHAPE, seed: int = 0) -> np.ndarray:
    """Data with a mix of fill-valued and varied chunks (so empty-chunk rules are exercised)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        data = rng.random(shape) > 0.5
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        data = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape, endpoint=True).astype(dt)
    elif dt.kind == "f":
        data = (rng.standard_normal(shape) * 100).astype(dt)
        data.flat[3] = np.nan
        data.flat[5] = -0.0
    else:
        data = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    data[:4, :3] = np.zeros((), dt)  # one whole chunk at zero
    return data


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, dtype and shape, bit for bit (NaN payloads and -0.0 included)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "O":
        return a.tolist() == b.tolist()
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
