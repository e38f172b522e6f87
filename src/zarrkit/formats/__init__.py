"""The formats platform: one plug-in object per domain, found through a registry, and one
archive engine every domain writes and opens its stores with.

Generic code (``validate``, ``info``, ``demo``, the CLI) loops over :func:`registry.formats`
and never names a domain; a domain is imported only when one of its plug-in's hooks runs.

Example:
    >>> from zarrkit.formats import registry
    >>> "image" in registry.names()
    True
"""

from zarrkit.formats import registry
from zarrkit.formats.archive import ArchiveWriter, OpenedArchive, open_archive
from zarrkit.formats.plugin import DemoResult, Format

__all__ = ["ArchiveWriter", "DemoResult", "Format", "OpenedArchive", "open_archive", "registry"]
