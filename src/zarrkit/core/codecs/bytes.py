"""``bytes``: the array→bytes codec that lays a chunk out in little- or big-endian order.

Example:
    >>> import numpy as np
    >>> from zarrkit.core.codecs.base import ChunkSpec
    >>> spec = ChunkSpec((2,), np.dtype("u2"), np.zeros((), "u2"))
    >>> BytesCodec("big").encode(np.array([1, 2], "u2"), spec)
    b'\\x00\\x01\\x00\\x02'
"""

from __future__ import annotations

import numpy as np

from zarrkit.core.codecs.base import ArrayBytesCodec, CodecFailure
from zarrkit.core.codecs.registry import register_codec
from zarrkit.errors import MetadataError

__all__ = ["BytesCodec"]


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



register_codec("bytes", BytesCodec)
