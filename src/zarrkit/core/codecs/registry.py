"""The codec registry: codec name → factory and stage kind, filled by the codec modules.

Each codec module registers its codecs when imported (as zarrs' codec modules do), so the
chain builder knows no codec by name.  A name ending in ``.*`` registers a family: every
name with that prefix goes to its factory, called as ``factory(name, configuration)``
(``numcodecs.*``).  An unregistered name raises ``UnknownCodecError``.

Example:
    >>> import zarrkit.core.codecs  # the built-in codecs register themselves
    >>> codec_entry("zstd").kind.value, codec_entry("numcodecs.zlib").name
    ('bytes→bytes', 'numcodecs.*')
    >>> sorted(n for n in registered_codecs() if not n.startswith("v"))[:4]
    ['blosc', 'bytes', 'crc32c', 'gzip']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zarrkit.core.codecs.base import CodecStage, StageKind
from zarrkit.errors import MetadataError, UnknownCodecError

__all__ = ["CodecEntry", "codec_entry", "parse_codec", "register_codec", "registered_codecs"]


@dataclass(frozen=True)
class CodecEntry:
    """One registered codec (or codec family): its name, factory and stage kind."""

    name: str
    factory: Callable[..., CodecStage]
    kind: StageKind | None

    @property
    def family(self) -> bool:
        return self.name.endswith(".*")


_CODECS: dict[str, CodecEntry] = {}
_FAMILIES: dict[str, CodecEntry] = {}  # prefix ("numcodecs.") → entry


def register_codec(name: str, factory: Any, *, kind: StageKind | None = None) -> None:
    """Register a codec class (called with its ``configuration`` as keywords) under ``name``.

    ``kind`` defaults to the factory's own ``kind`` (every stage class declares one); a
    later registration under the same name replaces the earlier one.

    Example:
        >>> from zarrkit.core.codecs.checksum import Crc32cCodec
        >>> register_codec("crc32c", Crc32cCodec)  # what checksum.py does on import
    """
    entry = CodecEntry(name, factory, kind or getattr(factory, "kind", None))
    if entry.family:
        _FAMILIES[name[:-1]] = entry
    else:
        _CODECS[name] = entry


def codec_entry(name: str) -> CodecEntry:
    """The registered entry serving ``name``; unknown names raise ``UnknownCodecError``."""
    entry = _CODECS.get(name)
    if entry is not None:
        return entry
    for prefix, family in _FAMILIES.items():
        if name.startswith(prefix):
            return family
    raise UnknownCodecError(f"unknown codec {name!r}")


def registered_codecs() -> dict[str, CodecEntry]:
    """Every registered name (families as ``prefix.*``) → its entry."""
    return {**_CODECS, **{e.name: e for e in _FAMILIES.values()}}


def parse_codec(doc: Any) -> CodecStage:
    """Build one stage from its ``{"name", "configuration"}`` document through the registry.

    Example:
        >>> parse_codec({"name": "zstd", "configuration": {"level": 3}}).to_dict()
        {'name': 'zstd', 'configuration': {'level': 3, 'checksum': False}}
    """
    if isinstance(doc, str):
        doc = {"name": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise MetadataError(f"a codec must be an object with a name, got {doc!r}")
    name = doc["name"]
    config = doc.get("configuration") or {}
    if not isinstance(config, dict):
        raise MetadataError(f"codec {name!r}: configuration must be an object")
    entry = codec_entry(name)
    try:
        return entry.factory(name, config) if entry.family else entry.factory(**config)
    except TypeError as err:
        raise MetadataError(f"codec {name!r}: bad configuration {config!r} ({err})") from None
