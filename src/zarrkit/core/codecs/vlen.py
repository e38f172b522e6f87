"""``vlen-utf8`` and ``vlen-bytes``: array→bytes codecs for variable-length strings and bytes
(numcodecs' ``VLenUTF8`` / ``VLenBytes`` layout, as zarr-python writes them).

Example:
    >>> import numpy as np
    >>> from zarrkit.core.codecs.base import ChunkSpec
    >>> spec = ChunkSpec((2,), np.dtype("O"), np.array("", dtype="O"))
    >>> VlenUtf8Codec().decode(VlenUtf8Codec().encode(np.array(["a", "bc"], "O"), spec), spec).tolist()
    ['a', 'bc']
"""

from __future__ import annotations

from typing import Any, ClassVar

import numcodecs
import numpy as np

from zarrkit.core.codecs.base import ArrayBytesCodec, CodecFailure
from zarrkit.core.codecs.registry import register_codec

__all__ = ["VlenBytesCodec", "VlenCodec", "VlenUtf8Codec"]


class VlenCodec(ArrayBytesCodec):
    _numcodec: ClassVar[Any]
    variable_length = True

    def to_dict(self):
        return {"name": self.name, "configuration": {}}

    def encode(self, arr, spec):
        return self._numcodec.encode(np.asarray(arr, dtype=object).ravel())

    def decode(self, buf, spec):
        try:
            flat = self._numcodec.decode(buf)
        except Exception as err:
            raise CodecFailure(self.name, str(err)) from None
        if flat.size != int(np.prod(spec.shape)):
            raise CodecFailure(self.name, f"expected {int(np.prod(spec.shape))} items, got {flat.size}")
        return flat.reshape(spec.shape)


class VlenUtf8Codec(VlenCodec):
    name = "vlen-utf8"
    _numcodec = numcodecs.VLenUTF8()

    def encode(self, arr, spec):
        arr = np.asarray(arr, dtype=object).ravel()
        return self._numcodec.encode(np.array([("" if v is None else str(v)) for v in arr], dtype=object))


class VlenBytesCodec(VlenCodec):
    name = "vlen-bytes"
    _numcodec = numcodecs.VLenBytes()



register_codec("vlen-utf8", VlenUtf8Codec)
register_codec("vlen-bytes", VlenBytesCodec)
