"""``numcodecs.<id>``: any numcodecs codec as a v3 bytes→bytes stage, as zarr-python names them.

Registered as a family (``"numcodecs.*"``): every name with that prefix is served here.

Example:
    >>> NumcodecsCodec("numcodecs.zlib", {"level": 1}).to_dict()
    {'name': 'numcodecs.zlib', 'configuration': {'level': 1}}
"""

from __future__ import annotations

from typing import Any

import numcodecs
import numpy as np

from zarrkit.core.codecs.compressors import NumcodecsCompressor
from zarrkit.core.codecs.registry import register_codec
from zarrkit.errors import UnknownCodecError

__all__ = ["NumcodecsCodec"]


class NumcodecsCodec(NumcodecsCompressor):
    """A ``numcodecs.<id>`` v3 codec, as zarr-python writes them; run as a bytes→bytes stage."""

    def __init__(self, name: str, configuration: dict[str, Any]) -> None:
        self.name = name
        self.configuration = dict(configuration)
        try:
            self.codec = numcodecs.get_codec({"id": name.split(".", 1)[1], **self.configuration})
        except (KeyError, ValueError, TypeError) as err:
            raise UnknownCodecError(f"codec {name!r} is not available in numcodecs: {err}") from None

    def to_dict(self):
        return {"name": self.name, "configuration": dict(self.configuration)}

    def decode_into(self, buf, out):
        out.view(np.uint8).reshape(-1)[:] = np.frombuffer(memoryview(self.decode(buf)).cast("B"), np.uint8)


register_codec("numcodecs.*", NumcodecsCodec)
