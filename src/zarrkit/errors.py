"""The one exception hierarchy of zarrkit.

Every error zarrkit raises on purpose derives from :class:`ZarrkitError`, so a caller can
catch the whole family with one ``except``.  Storage errors carry the store's URL (with
credentials redacted) and the key involved, and put both in the message, because an error
that says "not found" without saying *where* costs an afternoon.

Example:
    >>> from zarrkit.errors import StoreNotFoundError, StoreError
    >>> err = StoreNotFoundError("no such directory", url="/data/run1", key=None)
    >>> isinstance(err, StoreError), str(err)
    (True, 'no such directory (in /data/run1)')
"""

from __future__ import annotations

__all__ = [
    "ZarrkitError",
    "StoreError",
    "UnsupportedURLError",
    "BackendUnavailableError",
    "StoreNotFoundError",
    "StorePermissionError",
    "StoreIOError",
    "ReadOnlyError",
    "ReadOnlyRefError",
    "ContainsDataError",
    "InvalidKeyError",
    "UnsupportedOperationError",
    "StoreBrokenError",
    "ForkedStoreError",
    "ConflictError",
    "RepositoryFormatError",
    "InvalidOptionError",
    "ExecutorError",
    "NodeError",
    "NodeNotFoundError",
    "ContainsNodeError",
    "NodeTypeError",
    "MetadataError",
    "UnsupportedMetadataError",
    "UnknownCodecError",
    "UnknownDataTypeError",
    "DTypeError",
    "SelectionError",
    "OutOfBoundsError",
    "ShapeMismatchError",
    "ChunkDecodeError",
    "ChecksumError",
    "ChunkNotFoundError",
    "BackendUnsupportedError",
    "ArchiveError",
    "ArchiveExistsError",
    "MaskPlaneError",
    "NotAnArchiveError",
    "FormatVersionError",
    "MarkerError",
    "UnknownFormatError",
    "FitsLayoutError",
    "FitsFileError",
    "SpecViolation",
    "StorageResolutionError",
    "IncompleteWellError",
    "WellExistsError",
    "WellNotFoundError",
    "PlateExistsError",
    "ConcurrencyUnsupported",
    # geo (zarrkit.geo)
    "GeoError",
    "GridMismatchError",
    "TileError",
    "NoZoneError",
    "LayoutMismatchError",
    "LeaseError",
    "RegionTooLargeError",
    "GeoRetryableError",
    "GeoInterruptedError",
    "ZarrkitWarning",
    "UncommittedChangesWarning",
    # zarrkit.vectors
    "VectorError",
    "VectorFormatError",
    "VectorInputError",
    "VertexOutOfBoundsError",
    "PyramidStaleError",
    "MissingOccupancyWarning",
    "StaleExtrasWarning",
]


class ZarrkitError(Exception):
    """Root of every error zarrkit raises on purpose."""

    #: the command line's exit status for this error (``zarrkit.cli.main.run`` reads it);
    #: subclasses override it (2 a data error, 75 retryable, 130 interrupted)
    exit_code: int = 1


class StoreError(ZarrkitError):
    """A storage-layer failure; names the store (``url``) and, where one is involved, the key.

    The message reads ``<what> '<key>' in <url>: <detail>`` when an operation and key are
    known, else ``<detail> (in <url>)``.
    """

    def __init__(
        self,
        detail: str,
        *,
        url: str | None = None,
        key: str | None = None,
        op: str | None = None,
    ) -> None:
        self.detail = detail
        self.url = url
        self.key = key
        self.op = op
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f" in {self.url}" if self.url else ""
        if self.op and self.key is not None:
            return f"{self.op} {self.key!r}{where}: {self.detail}"
        if self.op:
            return f"{self.op}{where}: {self.detail}"
        if self.key is not None:
            return f"{self.key!r}{where}: {self.detail}"
        return f"{self.detail} (in {self.url})" if self.url else self.detail

    def __reduce__(self):  # keep url/key across pickling (process pools, Dask)
        return (_rebuild_store_error, (type(self), self.detail, self.url, self.key, self.op))


def _rebuild_store_error(cls, detail, url, key, op):
    return cls(detail, url=url, key=key, op=op)


class UnsupportedURLError(StoreError, ValueError):
    """The target is not a URL or path zarrkit knows how to open (unknown scheme, misplaced fragment)."""


class BackendUnavailableError(StoreError, ImportError):
    """An optional package needed for this target is not installed; the message says which extra to install."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """The location, bucket or repository does not exist (never used for a merely missing key)."""


class StorePermissionError(StoreError, PermissionError):
    """The store refused the credentials (HTTP 403 and the like)."""


class StoreIOError(StoreError, OSError):
    """The store could not be reached or failed after its retries. Never means "not found"."""


class ReadOnlyError(StoreError):
    """A mutating call on a store opened read-only."""


class ReadOnlyRefError(ReadOnlyError):
    """A writable mode was asked for on an icechunk tag or snapshot, which never change."""


class ContainsDataError(StoreError):
    """Creating a store or node where data already exists, without permission to replace it."""


class InvalidKeyError(StoreError, ValueError):
    """A key or node path that is malformed or would escape the store root."""


class UnsupportedOperationError(StoreError):
    """The store cannot do this at all (listing over plain HTTP, editing a zip in place, ...)."""


class StoreBrokenError(StoreError):
    """A write through this handle failed earlier; reopen the store to continue."""


class ForkedStoreError(StoreError):
    """A store opened before ``fork()`` was used in the child process; use spawn instead."""


class ConflictError(StoreError):
    """An icechunk commit conflicted with another writer; the changes are kept for rebase or discard."""


class RepositoryFormatError(StoreError):
    """A repository in a format the installed backend cannot open (icechunk format 2 under icechunk 1.x).

    The message names the format and the version to install; nothing was written.
    """


class InvalidOptionError(ZarrkitError, ValueError):
    """An argument or option that zarrkit does not accept (unknown option key, bad mode, ...)."""


class ExecutorError(ZarrkitError, ValueError):
    """An executor name or object zarrkit cannot use (see :mod:`zarrkit.parallel`)."""


class NodeError(ZarrkitError):
    """A problem with one Zarr node; names the store (``url``), the node (``path``) and the key.

    The message reads ``<detail> (node '<path>', key '<key>', in <url>)`` with the parts that
    are known.

    Example:
        >>> str(NodeNotFoundError("no Zarr node here", url="/data/a.zarr", path="raw/0"))
        "no Zarr node here (node '/raw/0' in /data/a.zarr)"
    """

    def __init__(
        self, detail: str, *, url: str | None = None, path: str | None = None, key: str | None = None
    ) -> None:
        self.detail = detail
        self.url = url
        self.path = path
        self.key = key
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(f"node '/{self.path}'")
        if self.key is not None:
            parts.append(f"key '{self.key}'")
        where = ", ".join(parts)
        if self.url:
            where = f"{where} in {self.url}" if where else f"in {self.url}"
        return f"{self.detail} ({where})" if where else self.detail

    def __str__(self) -> str:  # KeyError-style subclasses would otherwise quote the message
        return self._compose()

    def __reduce__(self):
        return (_rebuild_node_error, (type(self), self.detail, self.url, self.path, self.key))


def _rebuild_node_error(cls, detail, url, path, key):
    return cls(detail, url=url, path=path, key=key)


class NodeNotFoundError(NodeError, LookupError):
    """No array or group document exists at the path."""


class ContainsNodeError(NodeError):
    """Creating a node where a node or stored keys already exist, without ``overwrite=True``."""


class NodeTypeError(NodeError, TypeError):
    """The node is of the wrong kind: a group where an array is needed, or an array above a path."""


class MetadataError(NodeError, ValueError):
    """A Zarr metadata document that is missing where required, malformed, or not understood."""


class UnsupportedMetadataError(MetadataError):
    """Valid Zarr metadata zarrkit does not implement (a non-regular grid, storage transformers, ...)."""


class UnknownCodecError(MetadataError):
    """A codec zarrkit does not know; the metadata still reads, data access raises this."""


class UnknownDataTypeError(MetadataError):
    """A data type zarrkit does not know."""


class DTypeError(NodeError, TypeError):
    """Data whose dtype cannot be cast safely ("same_kind") to the array's dtype."""


class SelectionError(NodeError, TypeError):
    """A selection zarrkit does not accept (``None``, floats, several Ellipses, ...)."""


class OutOfBoundsError(NodeError, IndexError):
    """An index or chunk coordinate outside the array or its chunk grid; also an ``IndexError``."""


class ShapeMismatchError(NodeError, ValueError):
    """A value whose shape does not fit (or broadcast to) the selection or chunk."""


class ChunkDecodeError(NodeError):
    """Stored chunk bytes that do not decode (truncated or corrupt); names the key and codec."""

    codec: str | None = None


class ChecksumError(ChunkDecodeError):
    """A CRC-32C that does not match the bytes it guards."""


class ChunkNotFoundError(NodeError, LookupError):
    """A chunk that is not stored, read with ``missing="raise"``."""


class BackendUnsupportedError(NodeError):
    """An explicitly requested core backend cannot serve this array, store or call."""


class ArchiveError(ZarrkitError, ValueError):
    """A domain archive (image, plate, ...) that is invalid; the message names the field."""


class ArchiveExistsError(ArchiveError):
    """The write target already holds data and ``overwrite=True`` was not given."""


class MaskPlaneError(ArchiveError):
    """Mask planes that cannot be stored: more than 64, duplicate names or bits, bits out of range."""


class NotAnArchiveError(ArchiveError):
    """The store holds Zarr data but not an archive of the expected format."""


class FormatVersionError(ArchiveError):
    """The archive's format version is newer than this zarrkit reads."""


class MarkerError(ArchiveError):
    """A ``zarrkit`` root marker that is malformed (not an object, no format or version)."""


class UnknownFormatError(ArchiveError, LookupError):
    """A format name that no registered format plug-in answers to."""


class FitsLayoutError(ArchiveError):
    """A FITS file whose HDUs match no supported layout (no 2-D image, say)."""


class FitsFileError(ArchiveError):
    """A FITS input that cannot be read: missing, a folder, not FITS at all, or truncated."""


# ---- hcs: high-content-screening plates (zarrkit.hcs)
class SpecViolation(ArchiveError):
    """A plate, well or image that breaks the HCS spec (a well outside the plate, a dtype that
    differs between wells, a wrong axis order, an unlisted acquisition, ...)."""


class StorageResolutionError(ArchiveError):
    """A path the file-like backend cannot map to a store and a name (no naming match, a
    symlink cycle, a staging folder on another device, a directory in a plate store)."""


class IncompleteWellError(ArchiveError):
    """A well flushed or finalized before every plane it declared was written."""


class WellExistsError(ArchiveError, FileExistsError):
    """The well is already published and ``overwrite=True`` was not given."""


class WellNotFoundError(ArchiveError, KeyError):
    """No such well (or field) in the plate."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PlateExistsError(ArchiveExistsError, FileExistsError):
    """``PlateWriter.create`` found a node already at the target."""


class ConcurrencyUnsupported(UnsupportedOperationError):
    """The store cannot give the multi-writer guarantee asked for (incremental listing on an
    object store, several writers without conditional writes)."""


# --- geo (zarrkit.geo): tiles, grids, builds and reads ------------------------------------
class GeoError(ArchiveError):
    """A geo mosaic problem; the message names the tile, zone or request."""

    exit_code = 2  # a configuration or data error: rerunning as is fails the same way


class TileError(GeoError):
    """A source tile that cannot be used: no CRS or transform, a non-finite transform,
    band counts or dtypes that differ from the other tiles."""


class GridMismatchError(TileError):
    """A tile not on its grid's lattice (rotated, another resolution, a fractional offset)."""


class NoZoneError(GeoError, LookupError):
    """A tile or request outside every zone of the grid scheme."""


class LayoutMismatchError(GeoError):
    """An existing zone was built with another layout; ``force=True`` rebuilds it."""


class LeaseError(GeoError):
    """Another builder holds the lease on a zone."""


class RegionTooLargeError(GeoError):
    """A read larger than ``max_bytes``; ``iter_region`` reads it in shard-aligned blocks."""


class GeoRetryableError(GeoError):
    """A transient failure (I/O, a lost worker) that outlived the retries; a rerun resumes."""

    exit_code = 75  # EX_TEMPFAIL: batch schedulers retry it


class GeoInterruptedError(GeoError):
    """A build or preview stopped by the user; receipts are flushed, a rerun resumes."""

    exit_code = 130


class ZarrkitWarning(UserWarning):
    """Something zarrkit changed on the way (a sanitised name, a rewritten card) that the user should know."""


class UncommittedChangesWarning(UserWarning):
    """A transactional store was closed with uncommitted changes, which were discarded."""


# ---------------------------------------------------------------------------- zarrkit.vectors
class VectorError(ArchiveError, NodeError):
    """A vector store (zarrkit.vectors) problem; names the store, the node and, where known, the cell key."""


class VectorFormatError(VectorError):
    """Stored vector data that breaks the zv-0.9 format, or a variant zarrkit refuses (Draco, other versions)."""


class VectorInputError(VectorError):
    """Input to a vector writer that cannot be stored (NaN coordinates, bad indices, changed attributes)."""


class VertexOutOfBoundsError(VectorInputError):
    """Vertices outside the store's bounds under ``on_out_of_bounds="raise"``; nothing was written."""


class PyramidStaleError(VectorError):
    """A write to level 0 of a store with coarse levels, without ``on_pyramid="drop"`` or ``"rebuild"``."""


class MissingOccupancyWarning(ZarrkitWarning):
    """A per-chunk array without ``nonempty_chunks``: zarrkit listed the store instead (zarr_vectors reads it as empty)."""


class StaleExtrasWarning(ZarrkitWarning):
    """zarrkit's ``zvx`` extras no longer match the level (another tool edited it); they are ignored."""
