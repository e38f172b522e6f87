"""Codec stages and the chains built from them.

As in the Zarr v3 spec (and zarrs), a chunk passes through three kinds of stage:
array→array (``transpose``), exactly one array→bytes (``bytes``, ``sharding_indexed``,
``vlen-utf8``, ``vlen-bytes``) and bytes→bytes (``gzip``, ``zstd``, ``blosc``, ``crc32c``,
``numcodecs.*``).  :func:`build_chain` resolves a v3 codec list against the chunk's shape and
dtype once; the resulting :class:`CodecChain` encodes and decodes with no per-call parsing.
:class:`V2Chain` does the same for a v2 ``filters`` + ``compressor`` + ``order`` triple.

Every stage is synchronous and the heavy ones (numcodecs, crc32c) release the GIL, so a
thread pool runs chunks in parallel.  Failures raise :class:`CodecFailure`, which the
caller turns into a :class:`~zarrkit.errors.ChunkDecodeError` naming the store and key.

Example:
    >>> import numpy as np
    >>> chain = build_chain([{"name": "bytes", "configuration": {"endian": "big"}},
    ...                      {"name": "crc32c"}], ChunkSpec((2, 2), np.dtype("u2"), np.zeros((), "u2")))
    >>> raw = chain.encode(np.arange(4, dtype="u2").reshape(2, 2))
    >>> len(raw), chain.decode(raw).tolist()
    (12, [[0, 1], [2, 3]])
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import crc32c as _crc32c
import numcodecs
import numpy as np
from numcodecs.zstd import decompress as _zstd_decompress

try:  # optional: faster for tiny frames; numcodecs serves everything without it
    import zstandard as _zstandard
except ImportError:  # pragma: no cover - depends on the install
    _zstandard = None

from zarrkit.errors import MetadataError, UnknownCodecError

__all__ = [
    "ChunkSpec",
    "CodecFailure",
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BytesBytesCodec",
    "CodecChain",
    "V2Chain",
    "build_chain",
    "parse_codec",
    "register_codec",
]


@dataclass(frozen=True)
class ChunkSpec:
    """What a stage sees: the chunk's shape, its native numpy dtype and the fill value."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fill: np.ndarray

    @property
    def nbytes(self) -> int:
        n = self.dtype.itemsize
        for s in self.shape:
            n *= s
        return n


class CodecFailure(Exception):
    """A stage could not decode or encode; ``codec`` names it, ``checksum`` marks a CRC mismatch."""

    def __init__(self, codec: str, message: str, *, checksum: bool = False) -> None:
        super().__init__(message)
        self.codec = codec
        self.checksum = checksum


class _Stage:
    name: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def resolve(self, spec: ChunkSpec) -> "_Stage":
        """Fill in what depends on the chunk (blosc's typesize, bytes' endian)."""
        return self


class ArrayArrayCodec(_Stage):
    """An array→array stage: ``decoded_spec`` gives the array the next stage receives."""

    def decoded_spec(self, spec: ChunkSpec) -> ChunkSpec:
        return spec

    def encode(self, arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def decode(self, arr: np.ndarray, spec: ChunkSpec) -> np.ndarray:
        raise NotImplementedError


class ArrayBytesCodec(_Stage):
    """The array→bytes stage; exactly one per chain."""

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> bytes:
        raise NotImplementedError

    def decode(self, buf: Any, spec: ChunkSpec) -> np.ndarray:
        raise NotImplementedError


class BytesBytesCodec(_Stage):
    """A bytes→bytes stage (compressors, checksums)."""

    #: when set, ``decode_into`` writes straight into a caller's buffer (saves a copy)
    decodes_into = False

    def encode(self, buf: Any) -> Any:
        raise NotImplementedError

    def decode(self, buf: Any) -> Any:
        raise NotImplementedError

    def decode_into(self, buf: Any, out: np.ndarray) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------- array→array
class TransposeCodec(ArrayArrayCodec):
    name = "transpose"

    def __init__(self, order) -> None:
        if not isinstance(order, (list, tuple)) or sorted(order) != list(range(len(order))):
            raise MetadataError(f"transpose order must be a permutation, got {order!r}")
        self.order = tuple(int(i) for i in order)
        self.inverse = tuple(int(i) for i in np.argsort(self.order))

    def to_dict(self):
        return {"name": "transpose", "configuration": {"order": list(self.order)}}

    def resolve(self, spec):
        if len(self.order) != len(spec.shape):
            raise MetadataError(f"transpose order {list(self.order)} does not match {len(spec.shape)} dimensions")
        return self

    def decoded_spec(self, spec):
        return ChunkSpec(tuple(spec.shape[i] for i in self.order), spec.dtype, spec.fill)

    def encode(self, arr):
        return arr.transpose(self.order)

    def decode(self, arr, spec):
        return arr.transpose(self.inverse)


# ---------------------------------------------------------------------------- array→bytes
class BytesCodec(ArrayBytesCodec):
    name = "bytes"

    def __init__(self, endian: str | None = "little") -> None:
        if endian not in ("little", "big", None):
            raise MetadataError(f"bytes codec endian must be 'little' or 'big', got {endian!r}")
        self.endian = endian

    def resolve(self, spec):
        if spec.dtype.kind in "OU" and spec.dtype.kind == "O":
            raise MetadataError("variable-length data needs the vlen-utf8 or vlen-bytes codec, not bytes")
        if spec.dtype.itemsize == 1 or spec.dtype.kind == "b":
            return BytesCodec(None)
        return BytesCodec(self.endian or "little")

    def to_dict(self):
        if self.endian is None:
            return {"name": "bytes"}
        return {"name": "bytes", "configuration": {"endian": self.endian}}

    def stored_dtype(self, dtype: np.dtype) -> np.dtype:
        if self.endian is None:
            return dtype
        return dtype.newbyteorder("<" if self.endian == "little" else ">")

    def encode(self, arr, spec):
        stored = self.stored_dtype(spec.dtype)
        if arr.dtype != stored:
            arr = arr.astype(stored)
        return np.ascontiguousarray(arr).tobytes()

    def decode(self, buf, spec):
        stored = self.stored_dtype(spec.dtype)
        n = spec.nbytes
        if len(buf) != n:
            raise CodecFailure("bytes", f"expected {n} bytes, got {len(buf)}")
        arr = np.frombuffer(buf, dtype=stored).reshape(spec.shape)
        return arr if stored == spec.dtype else arr.astype(spec.dtype)


class _VlenCodec(ArrayBytesCodec):
    _numcodec: ClassVar[Any]

    def to_dict(self):
        return {"name": self.name, "configuration": {}}

    def encode(self, arr, spec):
        return self._numcodec.encode(np.asarray(arr, dtype=object).ravel())

    def decode(self, buf, spec):
        try:
            flat = self._numcodec.decode(buf)
        except Exception as err:
            raise CodecFailure(self.name, str(err)) from None
        if flat.size != int(np.prod(spec.shape)):
            raise CodecFailure(self.name, f"expected {int(np.prod(spec.shape))} items, got {flat.size}")
        return flat.reshape(spec.shape)


class VlenUtf8Codec(_VlenCodec):
    name = "vlen-utf8"
    _numcodec = numcodecs.VLenUTF8()

    def encode(self, arr, spec):
        arr = np.asarray(arr, dtype=object).ravel()
        return self._numcodec.encode(np.array([("" if v is None else str(v)) for v in arr], dtype=object))


class VlenBytesCodec(_VlenCodec):
    name = "vlen-bytes"
    _numcodec = numcodecs.VLenBytes()


# ---------------------------------------------------------------------------- bytes→bytes
class _NumcodecsCompressor(BytesBytesCodec):
    decodes_into = True
    codec: Any

    def encode(self, buf):
        return self.codec.encode(buf)

    def decode(self, buf):
        try:
            return self.codec.decode(buf)
        except Exception as err:
            raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None

    def decode_into(self, buf, out):
        try:
            self.codec.decode(buf, out=out)
        except Exception as err:
            raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None


class GzipCodec(_NumcodecsCompressor):
    name = "gzip"

    def __init__(self, level: int = 5) -> None:
        if not isinstance(level, int) or not 0 <= level <= 9:
            raise MetadataError(f"gzip level must be an integer 0-9, got {level!r}")
        self.level = level
        self.codec = numcodecs.GZip(level)

    def to_dict(self):
        return {"name": "gzip", "configuration": {"level": self.level}}


class ZstdCodec(_NumcodecsCompressor):
    name = "zstd"

    def __init__(self, level: int = 0, checksum: bool = False) -> None:
        if not isinstance(level, int) or isinstance(level, bool) or not -131072 <= level <= 22:
            raise MetadataError(f"zstd level must be an integer up to 22, got {level!r}")
        if not isinstance(checksum, bool):
            raise MetadataError(f"zstd checksum must be true or false, got {checksum!r}")
        self.level, self.checksum = level, checksum
        self.codec = numcodecs.Zstd(level=level, checksum=checksum)

    def decode_into(self, buf, out):
        try:
            if out.nbytes <= _SMALL_FRAME and _zstandard is not None:
                # tiny chunks (point reads): a reused decompression context saves ~13 µs a call
                data = _small_decompressor().decompress(buf)
                if len(data) != out.nbytes:
                    raise ValueError(f"expected {out.nbytes} bytes, got {len(data)}")
                out.reshape(-1).view(np.uint8)[:] = np.frombuffer(data, np.uint8)
            else:
                _zstd_decompress(buf, out)  # straight into the destination, no allocation
        except Exception as err:
            raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None

    def to_dict(self):
        return {"name": "zstd", "configuration": {"level": self.level, "checksum": self.checksum}}


_SMALL_FRAME = 64 * 1024
_zstd_local = threading.local()


def _small_decompressor():
    d = getattr(_zstd_local, "decompressor", None)
    if d is None:  # zstandard's contexts are not thread-safe: one per thread
        d = _zstd_local.decompressor = _zstandard.ZstdDecompressor()
    return d


_SHUFFLE = {"noshuffle": numcodecs.Blosc.NOSHUFFLE, "shuffle": numcodecs.Blosc.SHUFFLE, "bitshuffle": numcodecs.Blosc.BITSHUFFLE}
_CNAMES = ("lz4", "lz4hc", "blosclz", "zstd", "snappy", "zlib")


class BloscCodec(_NumcodecsCompressor):
    name = "blosc"

    def __init__(self, cname="zstd", clevel=5, shuffle=None, typesize=None, blocksize=0) -> None:
        if cname not in _CNAMES:
            raise MetadataError(f"blosc cname must be one of {', '.join(_CNAMES)}, got {cname!r}")
        if not isinstance(clevel, int) or not 0 <= clevel <= 9:
            raise MetadataError(f"blosc clevel must be 0-9, got {clevel!r}")
        if shuffle is not None and shuffle not in _SHUFFLE:
            raise MetadataError(f"blosc shuffle must be one of {', '.join(_SHUFFLE)}, got {shuffle!r}")
        if typesize is not None and (not isinstance(typesize, int) or typesize < 1):
            raise MetadataError(f"blosc typesize must be a positive integer, got {typesize!r}")
        self.cname, self.clevel, self.shuffle, self.typesize, self.blocksize = cname, clevel, shuffle, typesize, blocksize
        self.codec = numcodecs.Blosc(
            cname=cname, clevel=clevel, shuffle=_SHUFFLE[shuffle or "shuffle"], blocksize=blocksize, typesize=typesize
        )

    def resolve(self, spec):
        typesize = self.typesize or (spec.dtype.itemsize if spec.dtype.kind not in "OU" else 4 if spec.dtype.kind == "U" else 1)
        shuffle = self.shuffle or ("bitshuffle" if typesize == 1 else "shuffle")
        return BloscCodec(self.cname, self.clevel, shuffle, self.typesize or typesize, self.blocksize)

    def to_dict(self):
        return {
            "name": "blosc",
            "configuration": {
                "typesize": self.typesize,
                "cname": self.cname,
                "clevel": self.clevel,
                "shuffle": self.shuffle,
                "blocksize": self.blocksize,
            },
        }


class Crc32cCodec(BytesBytesCodec):
    name = "crc32c"

    def to_dict(self):
        return {"name": "crc32c"}

    def encode(self, buf):
        data = bytes(buf)
        return data + _crc32c.crc32c(data).to_bytes(4, "little")

    def decode(self, buf):
        view = memoryview(buf).cast("B")
        if len(view) < 4:
            raise CodecFailure("crc32c", f"{len(view)} bytes is too short to hold a checksum")
        body = view[:-4]
        if _crc32c.crc32c(body) != int.from_bytes(view[-4:], "little"):
            raise CodecFailure("crc32c", "CRC-32C checksum mismatch", checksum=True)
        return body


class NumcodecsCodec(_NumcodecsCompressor):
    """A ``numcodecs.<id>`` v3 codec, as zarr-python writes them; run as a bytes→bytes stage."""

    def __init__(self, name: str, configuration: dict[str, Any]) -> None:
        self.name = name
        self.configuration = dict(configuration)
        try:
            self.codec = numcodecs.get_codec({"id": name.split(".", 1)[1], **self.configuration})
        except (KeyError, ValueError, TypeError) as err:
            raise UnknownCodecError(f"codec {name!r} is not available in numcodecs: {err}") from None

    def to_dict(self):
        return {"name": self.name, "configuration": dict(self.configuration)}

    def decode_into(self, buf, out):
        out.view(np.uint8).reshape(-1)[:] = np.frombuffer(memoryview(self.decode(buf)).cast("B"), np.uint8)


_REGISTRY: dict[str, Any] = {
    "transpose": TransposeCodec,
    "bytes": BytesCodec,
    "vlen-utf8": VlenUtf8Codec,
    "vlen-bytes": VlenBytesCodec,
    "gzip": GzipCodec,
    "zstd": ZstdCodec,
    "blosc": BloscCodec,
    "crc32c": Crc32cCodec,
}


def register_codec(name: str, factory: Any) -> None:
    """Add a codec class (called with the ``configuration`` as keywords) under ``name``."""
    _REGISTRY[name] = factory


def parse_codec(doc: Any) -> _Stage:
    """Build one stage from its ``{"name", "configuration"}`` document.

    Example:
        >>> parse_codec({"name": "zstd", "configuration": {"level": 3}}).to_dict()
        {'name': 'zstd', 'configuration': {'level': 3, 'checksum': False}}
    """
    if isinstance(doc, str):
        doc = {"name": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise MetadataError(f"a codec must be an object with a name, got {doc!r}")
    name = doc["name"]
    config = doc.get("configuration") or {}
    if not isinstance(config, dict):
        raise MetadataError(f"codec {name!r}: configuration must be an object")
    if name.startswith("numcodecs."):
        return NumcodecsCodec(name, config)
    if name == "sharding_indexed":
        from zarrkit.core.sharding import ShardingCodec

        factory = ShardingCodec
    else:
        factory = _REGISTRY.get(name)
    if factory is None:
        raise UnknownCodecError(f"unknown codec {name!r}")
    try:
        return factory(**config)
    except TypeError as err:
        raise MetadataError(f"codec {name!r}: bad configuration {config!r} ({err})") from None


class CodecChain:
    """A resolved v3 codec list for one chunk spec: ``encode(array) -> bytes`` and back."""

    def __init__(self, array_array, array_bytes, bytes_bytes, spec: ChunkSpec) -> None:
        self.array_array: tuple[ArrayArrayCodec, ...] = tuple(array_array)
        self.array_bytes: ArrayBytesCodec = array_bytes
        self.bytes_bytes: tuple[BytesBytesCodec, ...] = tuple(bytes_bytes)
        self.spec = spec
        specs = [spec]
        for codec in self.array_array:
            specs.append(codec.decoded_spec(specs[-1]))
        self._specs = specs
        self.inner_spec = specs[-1]
        # Fast path: a plain native-order `bytes` stage with at most one compressor can
        # decompress straight into the caller's buffer.
        ab = self.array_bytes
        self.direct = (
            not self.array_array
            and isinstance(ab, BytesCodec)
            and ab.stored_dtype(spec.dtype) == spec.dtype
            and len(self.bytes_bytes) <= 1
            and all(c.decodes_into for c in self.bytes_bytes)
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in (*self.array_array, self.array_bytes, *self.bytes_bytes)]

    @property
    def names(self) -> list[str]:
        return [c.name for c in (*self.array_array, self.array_bytes, *self.bytes_bytes)]

    def encode(self, arr: np.ndarray) -> bytes | None:
        """Encode a chunk-shaped array; ``None`` for a shard whose inner chunks are all empty."""
        for codec in self.array_array:
            arr = codec.encode(arr)
        buf = self.array_bytes.encode(arr, self.inner_spec)
        if buf is None:  # a shard with every inner chunk empty
            return None
        for codec in self.bytes_bytes:
            buf = codec.encode(buf)
        return bytes(buf) if not isinstance(buf, bytes) else buf

    def decode(self, buf: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Decode stored bytes; with ``out`` (C-contiguous, chunk-shaped) write into it and return it."""
        if out is not None and self.direct:
            if self.bytes_bytes:
                self.bytes_bytes[0].decode_into(buf, out)
            else:
                if len(buf) != out.nbytes:
                    raise CodecFailure("bytes", f"expected {out.nbytes} bytes, got {len(buf)}")
                out.reshape(-1).view(np.uint8)[:] = np.frombuffer(buf, np.uint8)
            return out
        if out is not None and not self.array_array and not self.bytes_bytes and hasattr(self.array_bytes, "decode_into"):
            self.array_bytes.decode_into(buf, out, self.inner_spec)
            return out
        for codec in reversed(self.bytes_bytes):
            buf = codec.decode(buf)
        arr = self.array_bytes.decode(buf, self.inner_spec)
        for codec, spec in zip(reversed(self.array_array), reversed(self._specs[:-1])):
            arr = codec.decode(arr, spec)
        if out is not None:
            out[...] = arr
            return out
        return arr


def build_chain(codecs: Any, spec: ChunkSpec) -> CodecChain:
    """Resolve a v3 ``codecs`` list against a chunk spec, checking the stage order."""
    if not isinstance(codecs, (list, tuple)) or not codecs:
        raise MetadataError("codecs must be a non-empty list")
    stages = [c if isinstance(c, _Stage) else parse_codec(c) for c in codecs]
    aa, ab, bb = [], None, []
    cur = spec
    for stage in stages:
        if isinstance(stage, ArrayArrayCodec):
            if ab is not None:
                raise MetadataError(f"array→array codec {stage.name!r} after the array→bytes codec")
            stage = stage.resolve(cur)
            aa.append(stage)
            cur = stage.decoded_spec(cur)
        elif isinstance(stage, ArrayBytesCodec):
            if ab is not None:
                raise MetadataError(f"a second array→bytes codec {stage.name!r}")
            ab = stage.resolve(cur)
        else:
            if ab is None:
                raise MetadataError(f"bytes→bytes codec {stage.name!r} before the array→bytes codec")
            bb.append(stage.resolve(cur))
    if ab is None:
        raise MetadataError("codecs need exactly one array→bytes codec (for example 'bytes')")
    if cur.dtype.kind == "O" and not isinstance(ab, _VlenCodec):
        raise MetadataError("variable-length data types need the vlen-utf8 or vlen-bytes codec")
    return CodecChain(aa, ab, bb, spec)


class V2Chain:
    """A v2 array's ``filters`` and ``compressor`` (numcodecs) with its memory ``order``."""

    def __init__(self, filters, compressor, order: str, stored_dtype: np.dtype, spec: ChunkSpec) -> None:
        try:
            self.filters = [numcodecs.get_codec(dict(f)) for f in (filters or [])]
            self.compressor = numcodecs.get_codec(dict(compressor)) if compressor else None
        except (KeyError, ValueError, TypeError) as err:
            raise UnknownCodecError(f"unknown or invalid numcodecs codec: {err}") from None
        self.order = order
        self.stored = stored_dtype
        self.spec = spec
        self.names = [c.codec_id for c in self.filters] + ([self.compressor.codec_id] if self.compressor else [])
        self.direct = False

    def encode(self, arr: np.ndarray) -> bytes:
        if self.stored.kind != "O":
            arr = np.asarray(arr).astype(self.stored, copy=False)
        flat = arr.ravel(order=self.order)
        buf: Any = flat
        for f in self.filters:
            buf = f.encode(buf)
        if self.compressor is not None:
            buf = self.compressor.encode(buf)
        if isinstance(buf, np.ndarray):
            return buf.tobytes()
        return bytes(buf)

    def decode(self, buf: Any, out: np.ndarray | None = None) -> np.ndarray:
        name = "?"
        try:
            if self.compressor is not None:
                name = self.compressor.codec_id
                buf = self.compressor.decode(buf)
            for f in reversed(self.filters):
                name = f.codec_id
                buf = f.decode(buf)
        except CodecFailure:
            raise
        except Exception as err:
            raise CodecFailure(name, f"{type(err).__name__}: {err}") from None
        if self.stored.kind == "O":
            arr = np.asarray(buf, dtype=object)
        else:
            arr = np.frombuffer(memoryview(buf).cast("B") if not isinstance(buf, np.ndarray) else buf.view(np.uint8).reshape(-1), dtype=self.stored)
        size = int(np.prod(self.spec.shape))
        if arr.size != size:
            raise CodecFailure(name if name != "?" else "bytes", f"expected {size} items, got {arr.size}")
        arr = arr.reshape(self.spec.shape, order=self.order)
        if arr.dtype != self.spec.dtype:
            arr = arr.astype(self.spec.dtype)
        if out is not None:
            out[...] = arr
            return out
        return arr
