"""The three kinds of codec stage and what each one sees.

As in the Zarr v3 spec (and zarrs), a chunk passes through any number of array→array
stages, exactly one array→bytes stage and any number of bytes→bytes stages.  Each stage
class says its :class:`StageKind`; the registry and the chain builder go by it.

Example:
    >>> ArrayBytesCodec.kind.value
    'array→bytes'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BytesBytesCodec",
    "ChunkSpec",
    "CodecFailure",
    "CodecStage",
    "StageKind",
]


class StageKind(enum.Enum):
    """Where a codec sits in a chain."""

    ARRAY_ARRAY = "array→array"
    ARRAY_BYTES = "array→bytes"
    BYTES_BYTES = "bytes→bytes"


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



class CodecStage:
    name: ClassVar[str]
    kind: ClassVar[StageKind]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def resolve(self, spec: ChunkSpec) -> CodecStage:
        """Fill in what depends on the chunk (blosc's typesize, bytes' endian)."""
        return self


class ArrayArrayCodec(CodecStage):
    """An array→array stage: ``decoded_spec`` gives the array the next stage receives."""

    kind = StageKind.ARRAY_ARRAY

    def decoded_spec(self, spec: ChunkSpec) -> ChunkSpec:
        return spec

    def encode(self, arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def decode(self, arr: np.ndarray, spec: ChunkSpec) -> np.ndarray:
        raise NotImplementedError


class ArrayBytesCodec(CodecStage):
    """The array→bytes stage; exactly one per chain."""

    kind = StageKind.ARRAY_BYTES

    #: True when this stage can carry variable-length (object) data: the vlen codecs, and
    #: sharding, whose inner chain is checked on its own when it is built
    variable_length = False

    def encode(self, arr: np.ndarray, spec: ChunkSpec) -> bytes:
        raise NotImplementedError

    def decode(self, buf: Any, spec: ChunkSpec) -> np.ndarray:
        raise NotImplementedError


class BytesBytesCodec(CodecStage):
    """A bytes→bytes stage (compressors, checksums)."""

    kind = StageKind.BYTES_BYTES

    #: when set, ``decode_into`` writes straight into a caller's buffer (saves a copy)
    decodes_into = False
    #: when set, ``encode`` takes any C-contiguous buffer (a flat uint8 view of the chunk)
    #: the way it takes ``bytes``, so the chain skips the ``tobytes`` copy
    encodes_views = False

    def encode(self, buf: Any) -> Any:
        raise NotImplementedError

    def decode(self, buf: Any) -> Any:
        raise NotImplementedError

    def decode_into(self, buf: Any, out: np.ndarray) -> None:
        raise NotImplementedError
