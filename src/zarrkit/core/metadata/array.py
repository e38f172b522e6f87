"""Array metadata for Zarr v3 (``zarr.json``) and v2 (``.zarray`` + ``.zattrs``).

Example:
    >>> from zarrkit.core.metadata import array_metadata
    >>> m = array_metadata((100, 100), "uint16", (32, 32), shards=(64, 64))
    >>> m.chunks, m.shards, m.grid_shape, m.chunk_key((1, 0))
    ((32, 32), (64, 64), (2, 2), 'c/1/0')
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from zarrkit.core.codecs import ChunkSpec, V2Chain, build_chain
from zarrkit.core.dtypes import (
    DataType,
    encode_fill,
    parse_fill,
    parse_v2_dtype,
    parse_v3_data_type,
)
from zarrkit.core.metadata.fields import (
    check_chunk_nbytes,
    extension_fields,
    int_tuple,
    node_documents,
    parse_key_encoding,
)
from zarrkit.core.sharding import ShardingCodec
from zarrkit.errors import MetadataError, UnknownCodecError, UnsupportedMetadataError

__all__ = ["ArrayMetadata"]

_V3_ARRAY_KEYS = {
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "dimension_names",
    "zarr_format",
    "node_type",
    "storage_transformers",
}


@dataclass(frozen=True, eq=False)
class ArrayMetadata:
    """One array's metadata, for either Zarr format.

    ``chunk_shape`` is the stored object's shape on the grid (the shard shape when sharded);
    :attr:`chunks` and :attr:`shards` follow zarr-python's meaning.
    """

    shape: tuple[int, ...]
    data_type: DataType
    chunk_shape: tuple[int, ...]
    fill_value: np.ndarray
    codecs: tuple[dict[str, Any], ...] = ()
    zarr_format: int = 3
    chunk_key_encoding: str = "default"
    separator: str = "/"
    dimension_names: tuple[str | None, ...] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)
    order: str = "C"  # v2 only: chunk memory order
    filters: tuple[dict[str, Any], ...] | None = None  # v2 only
    compressor: dict[str, Any] | None = None  # v2 only

    node_type = "array"

    # ------------------------------------------------------------------ derived
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of decoded data (native byte order)."""
        return self.data_type.numpy

    @cached_property
    def sharding(self) -> ShardingCodec | None:
        """The resolved sharding codec when it is the only codec (inner chunks addressable)."""
        chain = self.chain
        if isinstance(chain, V2Chain) or chain.array_array or chain.bytes_bytes:
            return None
        return chain.array_bytes if isinstance(chain.array_bytes, ShardingCodec) else None

    @property
    def _sharded(self) -> bool:
        # codecs are normalised dicts unless one is unknown; then they are the document's own
        first = self.codecs[0] if self.zarr_format == 3 and self.codecs else None
        return isinstance(first, dict) and first.get("name") == "sharding_indexed" and isinstance(
            first.get("configuration"), dict) and isinstance(first["configuration"].get("chunk_shape"), list)

    @property
    def chunks(self) -> tuple[int, ...]:
        """The chunk shape readers see: the inner chunk when sharded."""
        if self._sharded:
            return tuple(self.codecs[0]["configuration"]["chunk_shape"])
        return self.chunk_shape

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard shape, or ``None`` when not sharded."""
        return self.chunk_shape if self._sharded else None

    @property
    def read_chunks(self) -> tuple[int, ...]:
        """The chunk shape reads address: inner chunks when sharding is the only codec."""
        return self.chunks if self.sharding is not None else self.chunk_shape

    @cached_property
    def grid_shape(self) -> tuple[int, ...]:
        """Stored chunks (shards) per axis."""
        return tuple(math.ceil(s / c) for s, c in zip(self.shape, self.chunk_shape))

    @cached_property
    def chunk_spec(self) -> ChunkSpec:
        return ChunkSpec(self.chunk_shape, self.dtype, self.fill_value)

    @cached_property
    def chain(self):
        """The resolved codec chain (``CodecChain`` or ``V2Chain``); raises for unknown codecs."""
        if self.zarr_format == 2:
            return V2Chain(self.filters, self.compressor, self.order, self._v2_stored_dtype(), self.chunk_spec)
        return build_chain(list(self.codecs), self.chunk_spec)

    def _v2_stored_dtype(self) -> np.dtype:
        if self.data_type.kind == "O":
            return np.dtype("O")
        return np.dtype(self.data_type.to_v2())

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        """The chunk's key relative to the array (``c/1/2``, ``1.2``, ``c`` or ``0`` for 0-d)."""
        if self.zarr_format == 3 and self.chunk_key_encoding == "default":
            return "c" + "".join(self.separator + str(i) for i in coords)
        return self.separator.join(str(i) for i in coords) if coords else "0"

    @cached_property
    def cache_key(self) -> str:
        """Canonical JSON of everything that shapes the data (attributes excluded)."""
        doc = self.to_dict() if self.zarr_format == 3 else self.to_dict()[".zarray"]
        doc = {k: v for k, v in doc.items() if k != "attributes"}
        return json.dumps(doc, sort_keys=True)

    def with_attributes(self, attributes: Mapping[str, Any]) -> ArrayMetadata:
        return dataclasses.replace(self, attributes=dict(attributes))

    def fill_value_json(self) -> Any:
        return encode_fill(self.fill_value, self.data_type, zarr_format=self.zarr_format)

    # ------------------------------------------------------------------ emit
    def to_dict(self) -> dict[str, Any]:
        """The document(s) as JSON objects: the v3 ``zarr.json``, or ``{".zarray": …, ".zattrs": …}``."""
        if self.zarr_format == 2:
            zarray = {
                "shape": list(self.shape),
                "chunks": list(self.chunk_shape),
                "dtype": self.data_type.to_v2(),
                "fill_value": self.fill_value_json(),
                "order": self.order,
                "filters": [dict(f) for f in self.filters] if self.filters else None,
                "dimension_separator": self.separator,
                "compressor": dict(self.compressor) if self.compressor else None,
                "zarr_format": 2,
            }
            return {".zarray": zarray, ".zattrs": dict(self.attributes)}
        doc: dict[str, Any] = {
            "shape": list(self.shape),
            "data_type": self.data_type.to_v3(),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(self.chunk_shape)}},
            "chunk_key_encoding": {"name": self.chunk_key_encoding, "configuration": {"separator": self.separator}},
            "fill_value": self.fill_value_json(),
            "codecs": [dict(c) if isinstance(c, dict) else c for c in self.codecs],  # raw when one is unknown
            "attributes": dict(self.attributes),
        }
        if self.dimension_names is not None:
            doc["dimension_names"] = list(self.dimension_names)
        doc["zarr_format"] = 3
        doc["node_type"] = "array"
        doc["storage_transformers"] = []
        doc.update(self.extensions)
        return doc

    def to_documents(self) -> dict[str, bytes]:
        """Document name (``zarr.json`` or ``.zarray``/``.zattrs``) → the bytes zarrkit writes."""
        return node_documents(self)

    # ------------------------------------------------------------------ parse
    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> ArrayMetadata:
        """Parse a v3 ``zarr.json`` or a v2 ``.zarray`` (with its ``.zattrs`` as ``attributes``)."""
        if doc.get("zarr_format") == 2:
            return cls._from_v2(doc, attributes or {})
        return cls._from_v3(doc)

    @classmethod
    def _from_v3(cls, doc: Mapping[str, Any]) -> ArrayMetadata:
        for required in ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value", "codecs"):
            if required not in doc:
                raise MetadataError(f"array document lacks the required field {required!r}")
        shape = int_tuple(doc["shape"], "shape", positive=False)
        dt = parse_v3_data_type(doc["data_type"])
        grid = doc["chunk_grid"]
        if not isinstance(grid, dict) or grid.get("name") != "regular":
            name = grid.get("name") if isinstance(grid, dict) else grid
            raise UnsupportedMetadataError(f"chunk_grid {name!r} is not supported (only 'regular')")
        grid_config = grid.get("configuration") or {}
        if not isinstance(grid_config, dict):
            raise MetadataError(f"chunk_grid configuration must be an object, got {grid_config!r}")
        chunk_shape = int_tuple(grid_config.get("chunk_shape"), "chunk_grid chunk_shape", positive=True)
        if len(chunk_shape) != len(shape):
            raise MetadataError(f"chunk_shape {list(chunk_shape)} does not match shape {list(shape)}")
        check_chunk_nbytes(chunk_shape, dt.numpy, "chunk_grid chunk_shape")
        encoding, separator = parse_key_encoding(doc["chunk_key_encoding"])
        fill = parse_fill(doc["fill_value"], dt)
        codecs = doc["codecs"]
        if not isinstance(codecs, list) or not codecs:
            raise MetadataError("codecs must be a non-empty list")
        attributes = doc.get("attributes", {})
        if not isinstance(attributes, dict):
            raise MetadataError("attributes must be an object")
        names = doc.get("dimension_names")
        if names is not None:
            if not isinstance(names, list) or len(names) != len(shape) or not all(n is None or isinstance(n, str) for n in names):
                raise MetadataError(f"dimension_names must list {len(shape)} strings or nulls, got {names!r}")
            names = tuple(names)
        if doc.get("storage_transformers") not in (None, []):
            raise UnsupportedMetadataError("storage_transformers are not supported")
        extensions = extension_fields(doc, _V3_ARRAY_KEYS)
        meta = cls(
            shape=shape,
            data_type=dt,
            chunk_shape=chunk_shape,
            fill_value=fill,
            codecs=tuple(codecs),
            chunk_key_encoding=encoding,
            separator=separator,
            dimension_names=names,
            attributes=dict(attributes),
            extensions=extensions,
        )
        try:
            chain = meta.chain
        except UnknownCodecError:
            return meta  # readable metadata; data access raises
        return dataclasses.replace(meta, codecs=tuple(chain.to_dicts()))

    @classmethod
    def _from_v2(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> ArrayMetadata:
        for required in ("shape", "chunks", "dtype", "compressor", "fill_value", "order", "filters"):
            if required not in doc:
                raise MetadataError(f".zarray lacks the required field {required!r}")
        shape = int_tuple(doc["shape"], "shape", positive=False)
        chunks = int_tuple(doc["chunks"], "chunks", positive=True)
        if len(chunks) != len(shape):
            raise MetadataError(f"chunks {list(chunks)} do not match shape {list(shape)}")
        check_chunk_nbytes(chunks, np.dtype("u1"), "chunks")
        filters = doc["filters"]
        if filters is not None and (not isinstance(filters, list) or not all(isinstance(f, dict) and "id" in f for f in filters)):
            raise MetadataError(f"filters must be null or a list of codec objects, got {filters!r}")
        compressor = doc["compressor"]
        if compressor is not None and (not isinstance(compressor, dict) or "id" not in compressor):
            raise MetadataError(f"compressor must be null or a codec object, got {compressor!r}")
        object_codec = next((f["id"] for f in filters or [] if f["id"] in ("vlen-utf8", "vlen-bytes", "vlen-array")), None)
        dt = parse_v2_dtype(doc["dtype"], object_codec=object_codec)
        order = doc["order"]
        if order not in ("C", "F"):
            raise MetadataError(f"order must be 'C' or 'F', got {order!r}")
        separator = doc.get("dimension_separator", ".") or "."
        if separator not in (".", "/"):
            raise MetadataError(f"dimension_separator must be '.' or '/', got {separator!r}")
        if not isinstance(attributes, dict):
            raise MetadataError(".zattrs must be an object")
        return cls(
            shape=shape,
            data_type=dt,
            chunk_shape=chunks,
            fill_value=parse_fill(doc["fill_value"], dt, zarr_format=2),
            zarr_format=2,
            chunk_key_encoding="v2",
            separator=separator,
            attributes=dict(attributes),
            order=order,
            filters=tuple(filters) if filters else None,
            compressor=compressor,
        )


