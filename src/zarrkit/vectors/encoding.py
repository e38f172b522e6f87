"""The binary pieces of the zv-0.9 wire format (spec §2.5, §2.6): the fragment index
("ZVFG"), object manifests, ragged link blobs, Lehmer permutation codes and the path names
of link arrays.  All numbers are little-endian.  Pure numpy, no store access.

Example:
    >>> raw = encode_fragments([(0, 2), (2, 3)])
    >>> len(raw), decode_fragments(raw).ranges().tolist()
    (60, [[0, 2], [2, 3]])
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np

from zarrkit.errors import VectorFormatError

__all__ = [
    "Fragments",
    "decode_fragments",
    "decode_manifest",
    "decode_ragged",
    "encode_fragments",
    "encode_manifest",
    "encode_ragged",
    "format_delta",
    "format_offsets",
    "lehmer_decode",
    "lehmer_encode",
    "parse_offsets",
]

MAGIC = 0x5A564647
_HEADER = struct.Struct("<IHHII")


def _bitmap_bytes(n_fragments: int) -> int:
    raw = -(-n_fragments // 8)
    return -(-raw // 8) * 8


@dataclass
class Fragments:
    """A decoded fragment index: ``is_range[f]``, ``starts``/``counts`` of range fragments
    (in fragment order), and CSR ``offsets``/``rows`` of the explicit ones."""

    is_range: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return int(self.is_range.size)

    def ranges(self) -> np.ndarray:
        """``(R, 2)`` start, count of the range fragments."""
        return np.stack([self.starts, self.counts], axis=1) if self.starts.size else np.zeros((0, 2), np.int64)

    def rows_of(self, f: int) -> np.ndarray:
        """The chunk-local rows of fragment ``f``."""
        if self.is_range[f]:
            r = int(np.count_nonzero(self.is_range[:f]))
            return np.arange(self.starts[r], self.starts[r] + self.counts[r], dtype=np.int64)
        e = f - int(np.count_nonzero(self.is_range[:f]))
        return self.rows[self.offsets[e]:self.offsets[e + 1]]

    def row_lists(self) -> list[np.ndarray]:
        """Every fragment's rows, in fragment order."""
        return [self.rows_of(f) for f in range(len(self))]

    def tiles(self, n_rows: int) -> bool:
        """True when all fragments are ranges partitioning ``[0, n_rows)`` in order."""
        if not bool(self.is_range.all()):
            return False
        if self.starts.size == 0:
            return n_rows == 0
        ends = self.starts + self.counts
        return bool(self.starts[0] == 0 and np.array_equal(self.starts[1:], ends[:-1]) and ends[-1] == n_rows)


def encode_fragments(fragments: Sequence) -> bytes:
    """ZVFG bytes for fragments given as ``(start, count)`` tuples or explicit row arrays.

    An explicit non-empty list equal to ``arange(start, start + n)`` is stored as a range.

    Example:
        >>> decode_fragments(encode_fragments([np.array([4, 2]), np.array([5, 6])])).row_lists()[1].tolist()
        [5, 6]
    """
    n = len(fragments)
    if n == 0:
        return _HEADER.pack(MAGIC, 1, 0, 0, 0)
    is_range = np.zeros(n, bool)
    ranges, explicit = [], []
    for f, frag in enumerate(fragments):
        if isinstance(frag, tuple):
            is_range[f] = True
            ranges.append((int(frag[0]), int(frag[1])))
            continue
        rows = np.asarray(frag, dtype=np.int64)
        if rows.size and rows[0] >= 0 and (rows.size == 1 or np.array_equal(np.diff(rows), np.ones(rows.size - 1))):
            is_range[f] = True
            ranges.append((int(rows[0]), int(rows.size)))
        else:
            explicit.append(rows)
    return _pack(is_range, np.asarray(ranges, np.int64).reshape(-1, 2), explicit)


def encode_ranges(starts: np.ndarray, counts: np.ndarray) -> bytes:
    """ZVFG bytes for range fragments only (the writers' hot path, no Python loop).

    Example:
        >>> encode_ranges(np.array([0, 2]), np.array([2, 3])) == encode_fragments([(0, 2), (2, 3)])
        True
    """
    n = len(starts)
    if n == 0:
        return _HEADER.pack(MAGIC, 1, 0, 0, 0)
    table = np.stack([np.asarray(starts, np.int64), np.asarray(counts, np.int64)], axis=1)
    return _pack(np.ones(n, bool), table, [])


def _pack(is_range: np.ndarray, table: np.ndarray, explicit: list[np.ndarray]) -> bytes:
    n = is_range.size
    bitmap = np.zeros(_bitmap_bytes(n), np.uint8)
    packed = np.packbits(is_range, bitorder="little")
    bitmap[:packed.size] = packed
    offsets = np.zeros(len(explicit) + 1, "<u4")
    if explicit:
        offsets[1:] = np.cumsum([e.size for e in explicit])
    rows = np.concatenate(explicit).astype("<i8") if explicit else np.zeros(0, "<i8")
    return b"".join([_HEADER.pack(MAGIC, 1, 0, n, len(table)), bitmap.tobytes(),
                     table.astype("<i8").tobytes(), offsets.tobytes(), rows.tobytes()])


def decode_fragments(raw, *, where: str = "fragment index") -> Fragments:
    """Parse ZVFG bytes, checking magic, version, flags, counts and lengths.

    Raises ``VectorFormatError`` naming ``where`` (array and cell) on any inconsistency.

    Example:
        >>> decode_fragments(encode_fragments([])).tiles(0)
        True
    """
    raw = bytes(raw)

    def bad(reason):
        return VectorFormatError(f"{where}: {reason}")

    if len(raw) < 16:
        raise bad(f"{len(raw)} bytes is shorter than the 16-byte header")
    magic, version, flags, n, r = _HEADER.unpack_from(raw, 0)
    if magic != MAGIC or version != 1 or flags != 0:
        raise bad(f"bad header (magic {magic:#x}, version {version}, flags {flags})")
    if r > n:
        raise bad(f"{r} range fragments of {n}")
    empty = np.zeros(0, np.int64)
    if n == 0:
        if len(raw) != 16:
            raise bad("trailing bytes after an empty index")
        return Fragments(np.zeros(0, bool), empty, empty, np.zeros(1, np.int64), empty)
    pad = _bitmap_bytes(n)
    pos = 16 + pad + 16 * r + 4 * (n - r + 1)
    if len(raw) < pos:
        raise bad(f"{len(raw)} bytes is too short for {n} fragments")
    is_range = np.unpackbits(np.frombuffer(raw, np.uint8, pad, 16), bitorder="little")[:n].astype(bool)
    if int(is_range.sum()) != r:
        raise bad(f"bitmap has {int(is_range.sum())} range fragments, header says {r}")
    table = np.frombuffer(raw, "<i8", 2 * r, 16 + pad).reshape(r, 2).astype(np.int64)
    offsets = np.frombuffer(raw, "<u4", n - r + 1, 16 + pad + 16 * r).astype(np.int64)
    total = int(offsets[-1])
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or len(raw) != pos + 8 * total:
        raise bad("explicit fragment offsets do not match the byte length")
    rows = np.frombuffer(raw, "<i8", total, pos).astype(np.int64)
    return Fragments(is_range, table[:, 0].copy(), table[:, 1].copy(), offsets, rows)


# ---------------------------------------------------------------------------- manifests
def encode_manifest(chunks: np.ndarray, fragments: np.ndarray) -> bytes:
    """A mode-0 manifest: one block ``(chunk coords, fragment)`` per row.

    Example:
        >>> decode_manifest(encode_manifest(np.array([[0, -1]]), np.array([3])), 2)
        [((0, -1), [3])]
    """
    chunks = np.asarray(chunks, np.int64)
    b, d = chunks.shape if chunks.size else (0, chunks.shape[-1] if chunks.ndim == 2 else 0)
    if b == 0:
        return b"\x00\x00\x00\x00"
    rec = np.zeros(b, dtype=[("c", "<i8", (d,)), ("m", "u1"), ("f", "<i8")])
    rec["c"] = chunks
    rec["f"] = fragments
    return struct.pack("<I", b) + rec.tobytes()


def decode_manifest(raw, ndim: int, *, where: str = "manifest") -> list[tuple[tuple[int, ...], list[int]]]:
    """``[(chunk coords, [fragments…]), …]`` from a manifest in any of modes 0–2."""
    raw = bytes(raw)
    if len(raw) < 4:
        raise VectorFormatError(f"{where}: {len(raw)} bytes is shorter than a manifest header")
    (b,), pos, out = struct.unpack_from("<I", raw, 0), 4, []
    try:
        for _ in range(b):
            coords = struct.unpack_from(f"<{ndim}q", raw, pos)
            pos += 8 * ndim
            mode = raw[pos]
            pos += 1
            if mode == 0:
                frags = [struct.unpack_from("<q", raw, pos)[0]]
                pos += 8
            elif mode == 1:
                start, count = struct.unpack_from("<qq", raw, pos)
                frags = list(range(start, start + count))
                pos += 16
            elif mode == 2:
                (k,) = struct.unpack_from("<I", raw, pos)
                frags = list(struct.unpack_from(f"<{k}q", raw, pos + 4))
                pos += 4 + 8 * k
            else:
                raise VectorFormatError(f"{where}: unknown block mode {mode}")
            out.append((tuple(coords), frags))
    except struct.error:
        raise VectorFormatError(f"{where}: truncated after {len(out)} of {b} blocks") from None
    return out


# ---------------------------------------------------------------------------- ragged blobs
def encode_ragged(rows: np.ndarray) -> bytes:
    """A ``K = 1`` ragged blob holding ``rows`` as ``<i8``.

    Example:
        >>> decode_ragged(encode_ragged(np.array([[1, 2], [3, 4]])), 2).tolist()
        [[1, 2], [3, 4]]
    """
    return struct.pack("<qq", 1, 0) + np.ascontiguousarray(rows, "<i8").tobytes()


def decode_ragged(raw, width: int, *, where: str = "links blob") -> np.ndarray:
    """All records of a ragged blob (any K), ``(n, width)`` int64."""
    raw = bytes(raw)
    if len(raw) < 8:
        return np.zeros((0, width), np.int64)
    (k,) = struct.unpack_from("<q", raw, 0)
    if k <= 0:
        return np.zeros((0, width), np.int64)
    data = 8 + 8 * k
    if len(raw) < data or (len(raw) - data) % (8 * width):
        raise VectorFormatError(f"{where}: {len(raw)} bytes do not hold {k} offsets and {width}-wide rows")
    return np.frombuffer(raw, "<i8", offset=data).reshape(-1, width).astype(np.int64)


# ---------------------------------------------------------------------------- Lehmer codes
def lehmer_encode(perm: Sequence[int]) -> int:
    """``Σ idx_i·(L−1−i)!`` with ``idx_i`` the rank of ``perm[i]`` among the unused values.

    Example:
        >>> lehmer_encode([0, 1, 2]), lehmer_encode([2, 1, 0]), lehmer_decode(5, 3)
        (0, 5, [2, 1, 0])
    """
    unused = sorted(perm)
    code = 0
    for i, p in enumerate(perm):
        idx = unused.index(p)
        unused.pop(idx)
        code += idx * math.factorial(len(perm) - 1 - i)
    return code


def lehmer_decode(code: int, width: int) -> list[int]:
    """The permutation of ``range(width)`` with Lehmer code ``code``."""
    unused = list(range(width))
    out = []
    for i in range(width):
        f = math.factorial(width - 1 - i)
        out.append(unused.pop(code // f))
        code %= f
    return out


_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def lehmer_table(width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(codes of each permutation index, permutations (n!, width))`` for vectorised use."""
    if width not in _TABLES:
        perms = np.array([lehmer_decode(c, width) for c in range(math.factorial(width))], np.int64)
        _TABLES[width] = (np.arange(len(perms), dtype=np.int64), perms)
    return _TABLES[width]


def lehmer_codes(sigma: np.ndarray) -> np.ndarray:
    """Vectorised Lehmer code of each row of ``sigma`` (``(n, L)`` permutations)."""
    n, width = sigma.shape
    codes = np.zeros(n, np.int64)
    for i in range(width):
        smaller_later = (sigma[:, i + 1:] < sigma[:, i:i + 1]).sum(axis=1)
        codes += smaller_later * math.factorial(width - 1 - i)
    return codes


# ---------------------------------------------------------------------------- path names
def format_delta(delta: int) -> str:
    """``"0"``, ``"+N"`` or ``"-N"``.

    Example:
        >>> format_delta(0), format_delta(2), format_delta(-1)
        ('0', '+2', '-1')
    """
    return "0" if delta == 0 else f"{delta:+d}"


def format_offsets(offsets: Sequence[Sequence[int]]) -> str:
    """The array name of a links family member: offsets joined by ``_`` (``self`` if none).

    Example:
        >>> format_offsets([(0, 0, 0), (1, 0, -1)])
        '0.0.0_+1.0.-1'
    """
    if len(offsets) == 0:
        return "self"
    return "_".join(".".join(format_delta(int(c)) for c in o) for o in offsets)


def parse_offsets(name: str) -> list[tuple[int, ...]]:
    """Inverse of :func:`format_offsets`.

    Example:
        >>> parse_offsets("0.+1.0_-1.0.0")
        [(0, 1, 0), (-1, 0, 0)]
    """
    if name == "self":
        return []
    try:
        return [tuple(int(c) for c in part.split(".")) for part in name.split("_")]
    except ValueError:
        raise VectorFormatError(f"links array name {name!r} is not a list of offsets") from None


def all_permutations(width: int) -> list[tuple[int, ...]]:
    """Permutations of ``range(width)`` in Lehmer-code order."""
    return list(permutations(range(width)))
