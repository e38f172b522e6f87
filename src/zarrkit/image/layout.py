"""Layout rules of the image format: chunks, shards, codecs, mask words, header arrays.

Example:
    >>> shard_shape((4096, 4096), (256, 256), 4, 16 * 2**20)
    (2048, 2048)
    >>> shard_shape((25, 25, 150, 150), (1, 1, 150, 150), 4, 16 * 2**20)
    (8, 8, 150, 150)
    >>> shard_shape((300, 300), (256, 256), 2, 16 * 2**20)
    (512, 512)
    >>> split_mask_bits([0, 3, 40])
    {0: [0, 3], 1: [40]}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from zarrkit.pyramid import pyramid_shapes  # the shared rule; image levels follow it too

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "READS_MAJOR",
    "shard_shape",
    "spatial_chunks",
    "codecs_for",
    "split_mask_bits",
    "mask_word_dtype",
    "pack_mask_word",
    "header_to_array",
    "array_to_header_bytes",
    "pyramid_shapes",
]

FORMAT = "image"
FORMAT_VERSION = "1.0"
READS_MAJOR = 1  # archives of any 1.x version read; 2.0 and later are refused


def shard_shape(shape, chunks, itemsize: int, budget: int) -> tuple[int, ...] | None:
    """The shard rule: grow the chunked axes by the largest power of two within ``budget``.

    ``None`` means unsharded (no chunked axis, k < 2, or the shard equals the chunk).
    """
    chunk_bytes = itemsize * math.prod(chunks)
    grow = [i for i, (c, s) in enumerate(zip(chunks, shape)) if c < s]
    if not grow or chunk_bytes > budget:
        return None
    k = 1
    while chunk_bytes * (2 * k) ** len(grow) <= budget:
        k *= 2
    if k < 2:
        return None
    shard = list(chunks)
    for i in grow:
        shard[i] = chunks[i] * min(k, -(-shape[i] // chunks[i]))
    shard = tuple(shard)
    return None if shard == tuple(chunks) else shard


def spatial_chunks(shape: tuple[int, ...], chunk: int | tuple[int, int] | None) -> tuple[int, ...]:
    """256 per spatial axis (clamped to the side), 1 on a leading channel axis."""
    cy, cx = (chunk, chunk) if isinstance(chunk, int) else (chunk or (256, 256))
    spatial = (max(1, min(cy, shape[-2])), max(1, min(cx, shape[-1])))
    return (1,) * (len(shape) - 2) + spatial


#: blosc clevel of the packed mask words: 2 (zstd level 3 inside c-blosc) encodes a 20-plane
#: 4096² mask 5x faster than 5 (zstd 9) for a mask 12 % larger (the archive: under 1 %); the
#: table of options measured is in the image benchmark's notes (``zarrkit bench image``)
MASK_CLEVEL = 2


def codecs_for(dtype: np.dtype, profile: str, *, text: bool = False, mask: bool = False) -> dict[str, Any]:
    """``array_metadata`` keyword arguments for the codec profile (default: blosc zstd 5;
    ``mask=True``: blosc zstd :data:`MASK_CLEVEL`, bitshuffled).

    Example:
        >>> codecs_for(np.dtype("u4"), "default", mask=True)["compressors"][0]["configuration"]["clevel"]
        2
    """
    if profile == "compat":
        return {"compressors": [{"name": "zstd", "configuration": {"level": 3, "checksum": False}}]}
    shuffle = "noshuffle" if text else ("shuffle" if dtype.kind == "f" else "bitshuffle")
    return {"compressors": [{"name": "blosc", "configuration": {
        "cname": "zstd", "clevel": MASK_CLEVEL if mask else 5, "shuffle": shuffle, "typesize": int(dtype.itemsize)}}]}


def split_mask_bits(bits: list[int]) -> dict[int, list[int]]:
    """Absolute bits grouped by 32-bit word: word k holds bits 32k … 32k+31."""
    words: dict[int, list[int]] = {}
    for b in sorted(bits):
        words.setdefault(b // 32, []).append(b)
    return words


def mask_word_dtype(local_bits: list[int]) -> np.dtype:
    """The smallest of uint8 / uint16 / uint32 holding the highest local bit."""
    top = max(local_bits, default=0)
    return np.dtype("u1" if top < 8 else "u2" if top < 16 else "u4")


def pack_mask_word(mask: np.ndarray, word: int, bits: list[int]) -> np.ndarray:
    """Bits ``32·word + b`` of a mask as local bits ``b`` in the smallest dtype."""
    dtype = mask_word_dtype([b - 32 * word for b in bits])
    keep = sum(1 << (b - 32 * word) for b in bits)
    src = np.asarray(mask)
    if word == 0 and keep <= np.iinfo(src.dtype).max:
        # one masked cast, no per-bit loop and no uint64 detour (16M pixels: ms, not a second)
        return (src & src.dtype.type(keep)).astype(dtype)
    shifted = src.astype(np.uint64, copy=False) >> np.uint64(32 * word)
    return (shifted & np.uint64(keep)).astype(dtype)


def header_to_array(text: str | bytes) -> np.ndarray:
    """A FITS header (whole 2880-byte blocks of 80-column cards) as an (N, 80) uint8 array."""
    raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    if len(raw) % 80:
        raise ValueError(f"a FITS header is a whole number of 80-byte cards, got {len(raw)} bytes")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 80).copy()


def array_to_header_bytes(arr: np.ndarray) -> bytes:
    return np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
