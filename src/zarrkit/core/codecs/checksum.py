"""``crc32c``: the bytes→bytes codec that appends a little-endian CRC-32C and checks it.

Example:
    >>> raw = Crc32cCodec().encode(b"abc")
    >>> len(raw), bytes(Crc32cCodec().decode(raw))
    (7, b'abc')
"""

from __future__ import annotations

import crc32c as _crc32c

from zarrkit.core.codecs.base import BytesBytesCodec, CodecFailure
from zarrkit.core.codecs.registry import register_codec

__all__ = ["Crc32cCodec"]


class Crc32cCodec(BytesBytesCodec):
    name = "crc32c"
    encodes_views = True

    def to_dict(self):
        return {"name": "crc32c"}

    def encode(self, buf):
        data = bytes(buf)
        return data + _crc32c.crc32c(data).to_bytes(4, "little")

    def decode(self, buf):
        view = memoryview(buf).cast("B")
        if len(view) < 4:
            raise CodecFailure("crc32c", f"{len(view)} bytes is too short to hold a checksum")
        body = view[:-4]
        if _crc32c.crc32c(body) != int.from_bytes(view[-4:], "little"):
            raise CodecFailure("crc32c", "CRC-32C checksum mismatch", checksum=True)
        return body



register_codec("crc32c", Crc32cCodec)
