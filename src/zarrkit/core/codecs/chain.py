"""The resolved v3 codec chain: :func:`build_chain` looks each codec up in the registry once,
checks the stage order, and :class:`CodecChain` encodes and decodes with no per-call parsing.

Example:
    >>> import numpy as np
    >>> import zarrkit.core.codecs  # registers the built-in codecs
    >>> chain = build_chain([{"name": "bytes", "configuration": {"endian": "big"}},
    ...                      {"name": "crc32c"}], ChunkSpec((2, 2), np.dtype("u2"), np.zeros((), "u2")))
    >>> raw = chain.encode(np.arange(4, dtype="u2").reshape(2, 2))
    >>> len(raw), chain.decode(raw).tolist()
    (12, [[0, 1], [2, 3]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrkit.core.codecs.base import (
    ArrayArrayCodec,
    ArrayBytesCodec,
    BytesBytesCodec,
    ChunkSpec,
    CodecFailure,
    CodecStage,
    StageKind,
)
from zarrkit.core.codecs.bytes import BytesCodec
from zarrkit.core.codecs.registry import parse_codec
from zarrkit.errors import MetadataError

__all__ = ["CodecChain", "build_chain"]


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
        # Encode fast path: the same native `bytes` layout, followed by compressors that take
        # a view, encode from the chunk's own memory (no `tobytes` copy of every chunk).
        self.encodes_view = (
            not self.array_array
            and isinstance(ab, BytesCodec)
            and ab.stored_dtype(spec.dtype) == spec.dtype
            and bool(self.bytes_bytes)
            and all(c.encodes_views for c in self.bytes_bytes)
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in (*self.array_array, self.array_bytes, *self.bytes_bytes)]

    @property
    def names(self) -> list[str]:
        return [c.name for c in (*self.array_array, self.array_bytes, *self.bytes_bytes)]

    def encode(self, arr: np.ndarray) -> bytes | None:
        """Encode a chunk-shaped array; ``None`` for a shard whose inner chunks are all empty."""
        if self.encodes_view and arr.dtype == self.spec.dtype and arr.flags.c_contiguous:
            buf = arr.reshape(-1).view(np.uint8)
            for codec in self.bytes_bytes:
                buf = codec.encode(buf)
            return bytes(buf) if not isinstance(buf, bytes) else buf
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
    """Resolve a v3 ``codecs`` list against a chunk spec, checking the stage order.

    Each codec is looked up in the registry (:func:`parse_codec`); its stage kind decides
    where it may stand: array→array first, exactly one array→bytes, then bytes→bytes.
    """
    if not isinstance(codecs, (list, tuple)) or not codecs:
        raise MetadataError("codecs must be a non-empty list")
    stages = [c if isinstance(c, CodecStage) else parse_codec(c) for c in codecs]
    aa, ab, bb = [], None, []
    cur = spec
    for stage in stages:
        if stage.kind is StageKind.ARRAY_ARRAY:
            if ab is not None:
                raise MetadataError(f"array→array codec {stage.name!r} after the array→bytes codec")
            stage = stage.resolve(cur)
            aa.append(stage)
            cur = stage.decoded_spec(cur)
        elif stage.kind is StageKind.ARRAY_BYTES:
            if ab is not None:
                raise MetadataError(f"a second array→bytes codec {stage.name!r}")
            ab = stage.resolve(cur)
        else:
            if ab is None:
                raise MetadataError(f"bytes→bytes codec {stage.name!r} before the array→bytes codec")
            bb.append(stage.resolve(cur))
    if ab is None:
        raise MetadataError("codecs need exactly one array→bytes codec (for example 'bytes')")
    if cur.dtype.kind == "O" and not ab.variable_length:
        raise MetadataError("variable-length data types need the vlen-utf8 or vlen-bytes codec")
    return CodecChain(aa, ab, bb, spec)
