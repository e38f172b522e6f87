"""A v2 array's ``filters`` + ``compressor`` (numcodecs) with its memory ``order``.

Example:
    >>> import numpy as np
    >>> from zarrkit.core.codecs.base import ChunkSpec
    >>> chain = V2Chain(None, {"id": "zlib", "level": 1}, "F", np.dtype("<u2"),
    ...                 ChunkSpec((2, 2), np.dtype("u2"), np.zeros((), "u2")))
    >>> chain.decode(chain.encode(np.arange(4, dtype="u2").reshape(2, 2))).tolist()
    [[0, 1], [2, 3]]
"""

from __future__ import annotations

from typing import Any

import numcodecs
import numpy as np

from zarrkit.core.codecs.base import ChunkSpec, CodecFailure
from zarrkit.errors import UnknownCodecError

__all__ = ["V2Chain"]


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
            raw = buf.view(np.uint8).reshape(-1) if isinstance(buf, np.ndarray) else memoryview(buf).cast("B")
            arr = np.frombuffer(raw, dtype=self.stored)
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
