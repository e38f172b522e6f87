"""``transpose``: the array→array codec that permutes a chunk's axes.

Example:
    >>> TransposeCodec([1, 0]).encode(np.arange(6).reshape(2, 3)).shape
    (3, 2)
"""

from __future__ import annotations

import numpy as np

from zarrkit.core.codecs.base import ArrayArrayCodec, ChunkSpec
from zarrkit.core.codecs.registry import register_codec
from zarrkit.errors import MetadataError

__all__ = ["TransposeCodec"]


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



register_codec("transpose", TransposeCodec)
