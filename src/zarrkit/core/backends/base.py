"""What a core backend is: the :class:`Backend` protocol, its :class:`Capabilities`, and the
:class:`Node` every backend call receives.

A backend declares what it can serve (Zarr formats, operations, codecs, data types, stores,
write options) instead of the facade knowing each backend by name; :func:`refusal` reads
those declarations and says why a backend cannot serve one call, or ``None`` when it can.
:func:`zarrkit.core.backends.choice.choose_backend` asks it per call.

Example:
    >>> from zarrkit.core.backends import python, zarrs
    >>> from zarrkit.core.metadata import array_metadata
    >>> from zarrkit.storage import open_store
    >>> meta = array_metadata((4,), "u1", (2,), zarr_format=2)
    >>> store = open_store("memory://", mode="w")
    >>> refusal(python, store, meta, op="read") is None
    True
    >>> refusal(zarrs, store, meta, op="read") in ("zarr v2", "zarrista 0.1.0 is not installed")
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from zarrkit.core.metadata import ArrayMetadata
from zarrkit.core.selection import OrthogonalPlan, PointPlan
from zarrkit.errors import ChecksumError, ChunkDecodeError, ChunkNotFoundError

__all__ = ["Backend", "Capabilities", "Node", "all_codec_names", "refusal"]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can serve; :func:`refusal` checks a call against it.

    ``missing_requirement`` names what is not installed (the backend then serves nothing);
    ``codecs=None`` means every codec zarrkit has registered.  ``box_views`` marks a backend
    whose ``read_box`` hands back a whole step-1 box (possibly a read-only zero-copy view).
    ``shard_write_refused`` names codecs the backend cannot write inside a shard.
    """

    missing_requirement: str | None = None
    zarr_formats: frozenset[int] = frozenset({2, 3})
    operations: frozenset[str] = frozenset({"read", "write", "delete"})
    codecs: frozenset[str] | None = None
    variable_length_types: bool = True
    zero_dimensional: bool = True
    metadata_extensions: bool = True
    write_empty_chunks: bool = True
    missing_raise: bool = True
    inner_chunk_writes: bool = True
    box_views: bool = False
    shard_write_refused: frozenset[str] = frozenset()

    @property
    def available(self) -> bool:
        return self.missing_requirement is None


class Node:
    """What a backend call needs about one array: the store, the path and the metadata."""

    __slots__ = ("identity", "meta", "path", "prefix", "store")

    def __init__(self, store, path: str, meta: ArrayMetadata) -> None:
        self.store = store
        self.path = path
        self.meta = meta
        self.prefix = path + "/" if path else ""
        self.identity = store.identity

    def key(self, coords: tuple[int, ...]) -> str:
        """The store key of the chunk at grid ``coords``."""
        return self.prefix + self.meta.chunk_key(coords)

    def decode_error(self, key: str, failure: BaseException) -> ChunkDecodeError:
        """The error for a chunk that would not decode (``ChecksumError`` for a CRC mismatch)."""
        codec = getattr(failure, "codec", None)
        cls = ChecksumError if getattr(failure, "checksum", False) else ChunkDecodeError
        detail = f"cannot decode chunk ({codec}: {failure})" if codec else f"cannot decode chunk: {failure}"
        err = cls(detail, url=self.store.url, path=self.path, key=key)
        err.codec = codec
        return err

    def missing(self, key: str) -> ChunkNotFoundError:
        """The error for a chunk that is not stored, under ``missing="raise"``."""
        return ChunkNotFoundError("chunk is not stored", url=self.store.url, path=self.path, key=key)


@runtime_checkable
class Backend(Protocol):
    """A core backend: its name, its capabilities and the chunk work over a :class:`Node`.

    Backends are modules (``backends/python.py``, ``backends/zarrs.py``) that define these
    names; a module satisfies the protocol structurally.  Calls only arrive when
    :func:`refusal` allowed them.
    """

    name: str
    capabilities: Capabilities

    def store_refusal(self, store, *, op: str) -> str | None:
        """Why this backend cannot use ``store`` for ``op``, or ``None``."""

    def read_chunk(self, node: Node, coords, *, inner: bool = False, missing: str = "fill") -> np.ndarray:
        """The decoded chunk (full chunk shape) at grid ``coords``."""

    def read_single_chunk_box(self, node: Node, starts: list[int], stops: list[int]) -> np.ndarray | None:
        """A step-1 box inside one chunk, or ``None`` to let the general path read it."""

    def read_plan(self, node: Node, plan: OrthogonalPlan, out: np.ndarray, missing: str = "fill") -> None:
        """Fill ``out`` (the plan's full shape) from the touched chunks."""

    def read_points(self, node: Node, plan: PointPlan, out_flat: np.ndarray, missing: str = "fill") -> None:
        """Fill ``out_flat`` with the values at the plan's points."""

    def write_chunk(self, node: Node, coords, data: np.ndarray, *, inner: bool = False,
                    write_empty: bool = False) -> None:
        """Store one chunk from ``data`` without reading."""

    def write_plan(self, node: Node, plan: OrthogonalPlan, value: np.ndarray, write_empty: bool = False) -> None:
        """Write ``value`` (the plan's full shape) into the touched chunks."""

    def write_points(self, node: Node, plan: PointPlan, values_flat: np.ndarray, write_empty: bool = False) -> None:
        """Write ``values_flat`` at the plan's points."""


def all_codec_names(codecs) -> list[str]:
    """Every codec name in a v3 codec list, nested sharding codecs included.

    Example:
        >>> all_codec_names([{"name": "sharding_indexed", "configuration": {"codecs": [{"name": "bytes"}]}}])
        ['sharding_indexed', 'bytes', 'bytes', 'crc32c']
    """
    names = []
    for codec in codecs if isinstance(codecs, (list, tuple)) else [codecs]:
        if not isinstance(codec, dict):  # a bare name (the spec's short form) or damage
            names.append(codec if isinstance(codec, str) else "")
            continue
        name = codec.get("name", "")
        names.append(name if isinstance(name, str) else "")
        if name == "sharding_indexed":
            conf = codec.get("configuration") or {}
            conf = conf if isinstance(conf, dict) else {}
            names += all_codec_names(conf.get("codecs", []))
            index = conf.get("index_codecs")
            # absent index codecs mean the spec's default: bytes (little) + crc32c
            names += all_codec_names(index if index is not None else [{"name": "bytes"}, {"name": "crc32c"}])
    return names


_refusals: dict[tuple, str | None] = {}


def refusal(backend: Any, store, meta: ArrayMetadata, *, op: str, missing: str = "fill",
            write_empty: bool = False, inner: bool = False, plan: Any = None) -> str | None:
    """Why ``backend`` cannot serve this call, or ``None`` when it can (memoised per case).

    The reasons are short and stable: ``core.stats()`` counts them as ``fallback:<reason>``.
    """
    key = (backend.name, store.identity, store.read_only, meta.cache_key, op, missing, write_empty, inner)
    try:
        return _refusals[key]
    except KeyError:
        pass
    reason = _refusal(backend, store, meta, op=op, missing=missing, write_empty=write_empty, inner=inner)
    if len(_refusals) > 4096:
        _refusals.clear()
    _refusals[key] = reason
    return reason


def _refusal(backend, store, meta: ArrayMetadata, *, op: str, missing: str, write_empty: bool,
             inner: bool) -> str | None:
    caps: Capabilities = backend.capabilities
    if caps.missing_requirement is not None:
        return caps.missing_requirement
    if op not in caps.operations:
        return f"operation {op}"
    if meta.zarr_format not in caps.zarr_formats:
        return f"zarr v{meta.zarr_format}"
    if not caps.variable_length_types and meta.dtype.kind in "OU":
        return "variable-length or string data type"
    if not caps.zero_dimensional and meta.ndim == 0:
        return "0-d array"
    if caps.codecs is not None:
        names = all_codec_names(meta.codecs)
        if any(n.startswith("numcodecs.") for n in names):
            return "numcodecs codec"
        lacking = sorted(set(names) - caps.codecs)
        if lacking:
            return f"codec {lacking[0]}"
    if not caps.metadata_extensions and meta.extensions:
        return "metadata extension"
    judge = getattr(backend, "metadata_refusal", None)  # a backend that parses metadata its own way
    reason = judge(meta) if judge is not None else None
    if reason is not None:
        return reason
    reason = backend.store_refusal(store, op=op)
    if reason is not None:
        return reason
    if op == "write":
        if write_empty and not caps.write_empty_chunks:
            return "write_empty_chunks=True"
        if inner and not caps.inner_chunk_writes:
            return "inner-chunk write"
        if caps.shard_write_refused and meta.sharding is not None:
            broken = sorted(caps.shard_write_refused & set(all_codec_names(meta.codecs)))
            if broken:
                return f"{broken[0]} inside a shard"
    if missing == "raise" and not caps.missing_raise:
        return "missing='raise'"
    return None
