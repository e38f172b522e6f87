"""``gzip``, ``zstd`` and ``blosc``: bytes→bytes compressors over numcodecs (and ``zstandard``).

numcodecs releases the GIL, so chunks compress in parallel on the core pool; ``decode_into``
decompresses straight into the caller's buffer.  zstd frames are written with the
``zstandard`` package when it is installed: a compression context kept per thread and
reused (numcodecs builds and frees one per call, ~20 % of the encode time at 512² chunks),
the GIL released while it works.  Its bundled libzstd may choose other matches than
numcodecs' (1.5.7 against 1.5.6), so the frames can differ in bytes from zarr-python's;
both are valid zstd at the configured level, and one install always writes the same bytes.

Example:
    >>> raw = ZstdCodec(3).encode(b"x" * 1000)
    >>> len(raw) < 100, bytes(ZstdCodec(3).decode(raw)) == b"x" * 1000
    (True, True)
"""

from __future__ import annotations

import threading
from typing import Any

import numcodecs
import numpy as np
from numcodecs.zstd import decompress as _zstd_decompress

try:  # optional: faster for tiny frames; numcodecs serves everything without it
    import zstandard as _zstandard
except ImportError:  # pragma: no cover - depends on the install
    _zstandard = None

from zarrkit.core import blosc_zstd
from zarrkit.core.codecs.base import BytesBytesCodec, CodecFailure
from zarrkit.core.codecs.blosc_encode import compress as _blosc_compress
from zarrkit.core.codecs.registry import register_codec
from zarrkit.errors import MetadataError

__all__ = ["BloscCodec", "GzipCodec", "NumcodecsCompressor", "ZstdCodec"]


class NumcodecsCompressor(BytesBytesCodec):
    decodes_into = True
    encodes_views = True
    codec: Any

    def encode(self, buf):
        return self.codec.encode(buf)

    def decode(self, buf):
        try:
            return self.codec.decode(buf)
        except Exception as err:
            raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None

    def decode_into(self, buf, out):
        # numcodecs fills a larger ``out`` without complaint: a short (hostile) frame would
        # leave stale bytes, so the decoded size is checked (here: decode, compare, copy)
        data = self.decode(buf)
        _copy_exact(self.name, data, out)



class GzipCodec(NumcodecsCompressor):
    name = "gzip"

    def __init__(self, level: int = 5) -> None:
        if not isinstance(level, int) or not 0 <= level <= 9:
            raise MetadataError(f"gzip level must be an integer 0-9, got {level!r}")
        self.level = level
        self.codec = numcodecs.GZip(level)

    def to_dict(self):
        return {"name": "gzip", "configuration": {"level": self.level}}


class ZstdCodec(NumcodecsCompressor):
    name = "zstd"

    def __init__(self, level: int = 0, checksum: bool = False) -> None:
        if not isinstance(level, int) or isinstance(level, bool) or not -131072 <= level <= 22:
            raise MetadataError(f"zstd level must be an integer up to 22, got {level!r}")
        if not isinstance(checksum, bool):
            raise MetadataError(f"zstd checksum must be true or false, got {checksum!r}")
        self.level, self.checksum = level, checksum
        self.codec = numcodecs.Zstd(level=level, checksum=checksum)

    def encode(self, buf):
        if _zstandard is None:
            return self.codec.encode(buf)
        return _compressor(self.level, self.checksum).compress(buf)

    def decode_into(self, buf, out):
        try:
            if out.nbytes <= _SMALL_FRAME and _zstandard is not None:
                # tiny chunks (point reads): a reused decompression context saves ~13 µs a call
                # (the bound serves frames written without a content size, as streaming encoders do)
                data = _small_decompressor().decompress(buf, max_output_size=out.nbytes)
                if len(data) != out.nbytes:
                    raise ValueError(f"expected {out.nbytes} bytes, got {len(data)}")
                out.reshape(-1).view(np.uint8)[:] = np.frombuffer(data, np.uint8)
            elif _zstandard is not None and _zstandard.frame_content_size(buf) == out.nbytes:
                _zstd_decompress(buf, out)  # straight into the destination, no allocation
            else:  # no size in the frame header, or the wrong one: decode, then compare
                _copy_exact(self.name, _zstd_decompress(buf), out)
        except CodecFailure:
            raise
        except Exception as err:
            raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None

    def to_dict(self):
        return {"name": "zstd", "configuration": {"level": self.level, "checksum": self.checksum}}


def _copy_exact(name: str, data, out: np.ndarray) -> None:
    """Copy decoded bytes into ``out``, refusing a size that does not match exactly."""
    nbytes = data.nbytes if isinstance(data, np.ndarray) else len(data)
    if nbytes != out.nbytes:
        raise CodecFailure(name, f"decoded {nbytes} bytes, the chunk holds {out.nbytes}")
    out.reshape(-1).view(np.uint8)[:] = np.frombuffer(data, np.uint8)


_SMALL_FRAME = 64 * 1024
# blosc(zstd) chunks up to this size decode through zarrkit.core.blosc_zstd: per chunk it took
# 0.45-0.55x numcodecs' CPU time at 4 KiB, 0.7-0.95x at 64-128 KiB, 1.05-1.2x at 256 KiB
_FAST_BLOSC_ZSTD = 128 * 1024
_zstd_local = threading.local()


def _compressor(level: int, checksum: bool):
    """This thread's zstandard compressor for ``(level, checksum)``: contexts are not
    thread-safe, and building one allocates its match tables (the cost a reused one saves)."""
    table = getattr(_zstd_local, "compressors", None)
    if table is None:
        table = _zstd_local.compressors = {}
    c = table.get((level, checksum))
    if c is None:
        # level 0 is libzstd's default (3), as numcodecs and zarr-python read it
        c = table[(level, checksum)] = _zstandard.ZstdCompressor(level=level, write_checksum=checksum,
                                                                 write_content_size=True)
    return c


def _small_decompressor():
    d = getattr(_zstd_local, "decompressor", None)
    if d is None:  # zstandard's contexts are not thread-safe: one per thread
        d = _zstd_local.decompressor = _zstandard.ZstdDecompressor()
    return d


_SHUFFLE = {"noshuffle": numcodecs.Blosc.NOSHUFFLE, "shuffle": numcodecs.Blosc.SHUFFLE, "bitshuffle": numcodecs.Blosc.BITSHUFFLE}
_CNAMES = ("lz4", "lz4hc", "blosclz", "zstd", "snappy", "zlib")


class BloscCodec(NumcodecsCompressor):
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

    def encode(self, buf):
        # never numcodecs' main-thread path: its thread pool makes zstd output vary call to call
        c = self.codec
        return _blosc_compress(buf, self.cname, c.clevel, c.shuffle, self.typesize, c.blocksize)

    def decode_into(self, buf, out):
        view = memoryview(buf).cast("B")
        if self.cname == "zstd" and out.nbytes <= _FAST_BLOSC_ZSTD and blosc_zstd.decode_into(view, out):
            return  # small chunks: a reused zstd context, ~half the CPU at 4 KiB (core/blosc_zstd.py)
        # the blosc header holds the decoded size (bytes 4-7): decode in place only when it fits exactly
        if len(view) >= 16 and int.from_bytes(view[4:8], "little") == out.nbytes:
            try:
                self.codec.decode(view, out=out)
                return
            except Exception as err:
                raise CodecFailure(self.name, f"{type(err).__name__}: {err}") from None
        super().decode_into(buf, out)

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



register_codec("gzip", GzipCodec)
register_codec("zstd", ZstdCodec)
register_codec("blosc", BloscCodec)
