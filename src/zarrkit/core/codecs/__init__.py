"""Codec stages, the registry they join, and the chains built from them.

As in the Zarr v3 spec (and zarrs), a chunk passes through three kinds of stage:
array→array (``transpose``), exactly one array→bytes (``bytes``, ``sharding_indexed``,
``vlen-utf8``, ``vlen-bytes``) and bytes→bytes (``gzip``, ``zstd``, ``blosc``, ``crc32c``,
``numcodecs.*``).  Each codec module registers its codecs in :mod:`.registry` when imported;
:func:`build_chain` resolves a v3 codec list against the chunk's shape and dtype once through
the registry, and the resulting :class:`CodecChain` encodes and decodes with no per-call
parsing.  :class:`V2Chain` does the same for a v2 ``filters`` + ``compressor`` + ``order``.

Every stage is synchronous and the heavy ones (numcodecs, crc32c) release the GIL, so a
thread pool runs chunks in parallel.  Failures raise :class:`CodecFailure`, which the
caller turns into a :class:`~zarrkit.errors.ChunkDecodeError` naming the store and key.

Modules: ``base`` (stage kinds), ``registry``, one module per family (``transpose``,
``bytes``, ``vlen``, ``compressors``, ``checksum``, ``numcodecs_family``; ``sharding_indexed``
lives in :mod:`zarrkit.core.sharding`), ``chain`` and ``v2``.

Example:
    >>> import numpy as np
    >>> chain = build_chain([{"name": "bytes", "configuration": {"endian": "big"}},
    ...                      {"name": "crc32c"}], ChunkSpec((2, 2), np.dtype("u2"), np.zeros((), "u2")))
    >>> raw = chain.encode(np.arange(4, dtype="u2").reshape(2, 2))
    >>> len(raw), chain.decode(raw).tolist()
    (12, [[0, 1], [2, 3]])
"""

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
from zarrkit.core.codecs.chain import CodecChain, build_chain
from zarrkit.core.codecs.checksum import Crc32cCodec
from zarrkit.core.codecs.compressors import BloscCodec, GzipCodec, ZstdCodec
from zarrkit.core.codecs.numcodecs_family import NumcodecsCodec
from zarrkit.core.codecs.registry import (
    codec_entry,
    parse_codec,
    register_codec,
    registered_codecs,
)
from zarrkit.core.codecs.transpose import TransposeCodec
from zarrkit.core.codecs.v2 import V2Chain
from zarrkit.core.codecs.vlen import VlenBytesCodec, VlenUtf8Codec

# sharding_indexed registers itself too; it builds on the names above, so it comes last
from zarrkit.core import sharding as _sharding  # noqa: F401  # isort: skip

__all__ = [
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BloscCodec",
    "BytesBytesCodec",
    "BytesCodec",
    "ChunkSpec",
    "CodecChain",
    "CodecFailure",
    "CodecStage",
    "Crc32cCodec",
    "GzipCodec",
    "NumcodecsCodec",
    "StageKind",
    "TransposeCodec",
    "V2Chain",
    "VlenBytesCodec",
    "VlenUtf8Codec",
    "ZstdCodec",
    "build_chain",
    "codec_entry",
    "parse_codec",
    "register_codec",
    "registered_codecs",
]
