"""FITS ``DATASUM`` / ``CHECKSUM`` cards (the FITS checksum convention), kept true.

Headers are written back verbatim, so a header that carried checksums keeps them.  When
the data under it changed (a cutout, edited pixels) or a structural card was rewritten,
the old values would make every checksum-aware reader reject the HDU; :func:`refresh`
recomputes just those two card values and leaves every other byte alone.

The sum is the 32-bit ones' complement sum of the big-endian words; ``CHECKSUM`` is the
complement of the HDU's sum, encoded as 16 printable characters, so that the whole HDU
then sums to -0.

Example:
    >>> card = lambda text: text.ljust(80).encode()
    >>> header = b"".join([card("SIMPLE  =                    T"), card("CHECKSUM= '0000000000000000'"),
    ...                    card("DATASUM = '0'"), card("END")]).ljust(2880)
    >>> data = (b"\\x00\\x00\\x00\\x07").ljust(2880, b"\\0")
    >>> fixed = refresh(header, data)
    >>> verify(fixed, data), fixed[160:180]
    (True, b"DATASUM = '7'       ")
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["ones_complement_sum", "encode_checksum", "refresh", "verify"]

_CARD = 80
_VALUE = re.compile(rb"'[^']*'")
# characters the encoding steps around: : ; < = > ? @ and [ \ ] ^ _ `
_EXCLUDED = frozenset(range(0x3A, 0x41)) | frozenset(range(0x5B, 0x61))


def ones_complement_sum(raw: bytes, start: int = 0) -> int:
    """32-bit ones' complement sum of ``raw`` (a multiple of 4 bytes) as big-endian words."""
    words = np.frombuffer(raw, dtype=">u4")
    total = int(words.sum(dtype=np.uint64)) + start
    while total >> 32:
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total


def encode_checksum(value: int) -> str:
    """The 16-character ASCII form of the complement of ``value``."""
    value = ~value & 0xFFFFFFFF
    chars = [0] * 16
    for i in range(4):
        byte = (value >> (24 - 8 * i)) & 0xFF
        quad = [byte // 4 + 0x30] * 4
        quad[0] += byte % 4
        moved = True
        while moved:  # shift pairs off excluded characters; each pair keeps its sum
            moved = False
            for j in (0, 2):
                if quad[j] in _EXCLUDED or quad[j + 1] in _EXCLUDED:
                    quad[j] += 1
                    quad[j + 1] -= 1
                    moved = True
        for j in range(4):
            chars[4 * j + i] = quad[j]
    rotated = chars[-1:] + chars[:-1]  # rotate one place right, as the convention says
    return bytes(rotated).decode("ascii")


def _cards(header: bytes) -> dict[bytes, int]:
    keys = {}
    for pos in range(0, len(header), _CARD):
        key = header[pos:pos + 8].rstrip()
        if key in (b"CHECKSUM", b"DATASUM"):
            keys.setdefault(key, pos)
        if key == b"END":
            break
    return keys


def _set_value(header: bytearray, pos: int, value: str) -> None:
    card = bytes(header[pos:pos + _CARD])
    match = _VALUE.search(card, 10)
    start, end = (match.start(), match.end()) if match else (10, 10)
    new = card[:start] + f"'{value}'".encode("ascii") + card[end:]
    if len(new) > _CARD:  # a longer value eats trailing blanks (or the comment's end)
        new = new[:_CARD]
    header[pos:pos + _CARD] = new.ljust(_CARD)


def verify(header: bytes, data: bytes) -> bool:
    """True when the HDU has no checksum cards, or they match ``data`` and the header."""
    cards = _cards(header)
    if b"DATASUM" in cards:
        match = _VALUE.search(header, cards[b"DATASUM"] + 10, cards[b"DATASUM"] + _CARD)
        if not match or match.group()[1:-1].strip() != str(ones_complement_sum(data)).encode():
            return False
    if b"CHECKSUM" in cards:
        return ones_complement_sum(header, ones_complement_sum(data)) == 0xFFFFFFFF
    return True


def refresh(header: bytes, data: bytes) -> bytes:
    """``header`` with ``DATASUM`` and ``CHECKSUM`` made true for ``data`` (unchanged bytes when
    they already are, or when the header has neither card)."""
    if verify(header, data):
        return header
    cards = _cards(header)
    out = bytearray(header)
    datasum = ones_complement_sum(data)
    if b"DATASUM" in cards:
        _set_value(out, cards[b"DATASUM"], str(datasum))
    if b"CHECKSUM" in cards:
        _set_value(out, cards[b"CHECKSUM"], "0" * 16)
        _set_value(out, cards[b"CHECKSUM"], encode_checksum(ones_complement_sum(bytes(out), datasum)))
    return bytes(out)
