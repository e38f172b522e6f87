"""Array and group metadata for Zarr v3 and v2: parse, validate, emit, chunk keys.

:class:`ArrayMetadata` and :class:`GroupMetadata` are immutable; ``from_document`` parses
what a store holds, ``to_documents`` gives the exact bytes zarrkit writes (zarr-python 3.1's
key set and order, 2-space indent), and :func:`array_metadata` builds new array metadata
with zarr-python's defaults.  The codec chain is resolved lazily, so a document naming an
unknown codec still reads (:attr:`ArrayMetadata.chain` raises ``UnknownCodecError``).

Example:
    >>> m = array_metadata((100, 100), "uint16", (32, 32), shards=(64, 64))
    >>> m.chunks, m.shards, m.grid_shape, m.chunk_key((1, 0))
    ((32, 32), (64, 64), (2, 2), 'c/1/0')
    >>> sorted(m.to_documents())
    ['zarr.json']
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from zarrkit.core.codecs import ChunkSpec, V2Chain, build_chain
from zarrkit.core.dtypes import (
    DataType,
    encode_fill,
    from_numpy,
    parse_fill,
    parse_v2_dtype,
    parse_v3_data_type,
)
from zarrkit.core.sharding import ShardingCodec
from zarrkit.errors import MetadataError, UnknownCodecError, UnsupportedMetadataError

__all__ = ["ArrayMetadata", "GroupMetadata", "array_metadata", "parse_documents", "dumps"]

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


def dumps(doc: Mapping[str, Any]) -> bytes:
    """Serialise a document as zarr-python 3.1 does: 2-space indent, NaN never bare."""
    try:
        return json.dumps(doc, indent=2, allow_nan=False).encode()
    except ValueError as err:
        raise MetadataError(f"metadata must be plain JSON (no NaN or Infinity numbers): {err}") from None


def _documents(meta) -> dict[str, bytes]:
    if meta.zarr_format == 2:
        return {name: dumps(doc) for name, doc in meta.to_dict().items()}
    return {"zarr.json": dumps(meta.to_dict())}


def _ints(value: Any, what: str, *, positive: bool) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        raise MetadataError(f"{what} must be a list of integers, got {value!r}")
    out = tuple(int(v) for v in value)
    if any(v < (1 if positive else 0) for v in out):
        raise MetadataError(f"{what} must be {'positive' if positive else 'non-negative'}, got {list(out)}")
    return out


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
    def chunks(self) -> tuple[int, ...]:
        """The chunk shape readers see: the inner chunk when sharded."""
        if self.zarr_format == 3 and self.codecs and self.codecs[0].get("name") == "sharding_indexed":
            return tuple(self.codecs[0]["configuration"]["chunk_shape"])
        return self.chunk_shape

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shard shape, or ``None`` when not sharded."""
        if self.zarr_format == 3 and self.codecs and self.codecs[0].get("name") == "sharding_indexed":
            return self.chunk_shape
        return None

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

    def with_attributes(self, attributes: Mapping[str, Any]) -> "ArrayMetadata":
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
            "codecs": [dict(c) for c in self.codecs],
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
        return _documents(self)

    # ------------------------------------------------------------------ parse
    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> "ArrayMetadata":
        """Parse a v3 ``zarr.json`` or a v2 ``.zarray`` (with its ``.zattrs`` as ``attributes``)."""
        if doc.get("zarr_format") == 2:
            return cls._from_v2(doc, attributes or {})
        return cls._from_v3(doc)

    @classmethod
    def _from_v3(cls, doc: Mapping[str, Any]) -> "ArrayMetadata":
        for required in ("shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value", "codecs"):
            if required not in doc:
                raise MetadataError(f"array document lacks the required field {required!r}")
        shape = _ints(doc["shape"], "shape", positive=False)
        dt = parse_v3_data_type(doc["data_type"])
        grid = doc["chunk_grid"]
        if not isinstance(grid, dict) or grid.get("name") != "regular":
            name = grid.get("name") if isinstance(grid, dict) else grid
            raise UnsupportedMetadataError(f"chunk_grid {name!r} is not supported (only 'regular')")
        chunk_shape = _ints((grid.get("configuration") or {}).get("chunk_shape"), "chunk_grid chunk_shape", positive=True)
        if len(chunk_shape) != len(shape):
            raise MetadataError(f"chunk_shape {list(chunk_shape)} does not match shape {list(shape)}")
        encoding, separator = _parse_key_encoding(doc["chunk_key_encoding"])
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
        extensions = _extensions(doc, _V3_ARRAY_KEYS)
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
    def _from_v2(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any]) -> "ArrayMetadata":
        for required in ("shape", "chunks", "dtype", "compressor", "fill_value", "order", "filters"):
            if required not in doc:
                raise MetadataError(f".zarray lacks the required field {required!r}")
        shape = _ints(doc["shape"], "shape", positive=False)
        chunks = _ints(doc["chunks"], "chunks", positive=True)
        if len(chunks) != len(shape):
            raise MetadataError(f"chunks {list(chunks)} do not match shape {list(shape)}")
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


def _parse_key_encoding(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or value.get("name") not in ("default", "v2"):
        raise UnsupportedMetadataError(f"chunk_key_encoding {value!r} is not supported ('default' or 'v2')")
    name = value["name"]
    sep = (value.get("configuration") or {}).get("separator", "/" if name == "default" else ".")
    if sep not in ("/", "."):
        raise MetadataError(f"chunk key separator must be '/' or '.', got {sep!r}")
    return name, sep


def _extensions(doc: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        if key in known:
            continue
        if isinstance(value, dict) and value.get("must_understand") is False:
            out[key] = value
        else:
            raise UnsupportedMetadataError(f"unknown metadata field {key!r} (not marked must_understand: false)")
    return out


@dataclass(frozen=True, eq=False)
class GroupMetadata:
    """A group's metadata; ``consolidated`` holds the raw consolidated block, if any.

    Example:
        >>> GroupMetadata({"title": "run 1"}).to_dict()
        {'attributes': {'title': 'run 1'}, 'zarr_format': 3, 'node_type': 'group'}
    """

    attributes: dict[str, Any] = field(default_factory=dict)
    zarr_format: int = 3
    consolidated: dict[str, Any] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    node_type = "group"

    def with_attributes(self, attributes: Mapping[str, Any]) -> "GroupMetadata":
        return dataclasses.replace(self, attributes=dict(attributes))

    def to_dict(self) -> dict[str, Any]:
        if self.zarr_format == 2:
            return {".zgroup": {"zarr_format": 2}, ".zattrs": dict(self.attributes)}
        doc: dict[str, Any] = {"attributes": dict(self.attributes), "zarr_format": 3}
        if self.consolidated is not None:
            doc["consolidated_metadata"] = self.consolidated
        doc["node_type"] = "group"
        doc.update(self.extensions)
        return doc

    def to_documents(self) -> dict[str, bytes]:
        return _documents(self)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> "GroupMetadata":
        if doc.get("zarr_format") == 2:
            if not isinstance(attributes or {}, dict):
                raise MetadataError(".zattrs must be an object")
            return cls(dict(attributes or {}), zarr_format=2)
        attrs = doc.get("attributes", {})
        if not isinstance(attrs, dict):
            raise MetadataError("attributes must be an object")
        consolidated = doc.get("consolidated_metadata")
        if consolidated is not None and not isinstance(consolidated, dict):
            raise MetadataError("consolidated_metadata must be an object")
        extensions = _extensions(doc, {"attributes", "zarr_format", "node_type", "consolidated_metadata"})
        return cls(dict(attrs), 3, consolidated, extensions)


def parse_documents(docs: Mapping[str, Any]) -> ArrayMetadata | GroupMetadata | None:
    """Parse a node from its documents (already JSON-decoded), keyed by document name.

    ``zarr.json`` wins over v2 documents when both exist; ``None`` when neither exists.

    Example:
        >>> parse_documents({".zgroup": {"zarr_format": 2}, ".zattrs": {"a": 1}}).attributes
        {'a': 1}
    """
    doc = docs.get("zarr.json")
    if doc is not None:
        if not isinstance(doc, dict):
            raise MetadataError("zarr.json is not a JSON object")
        if doc.get("zarr_format") != 3:
            raise MetadataError(f"zarr.json has zarr_format {doc.get('zarr_format')!r}, expected 3")
        kind = doc.get("node_type")
        if kind == "array":
            return ArrayMetadata.from_dict(doc)
        if kind == "group":
            return GroupMetadata.from_dict(doc)
        raise MetadataError(f"node_type must be 'array' or 'group', got {kind!r}")
    attrs = docs.get(".zattrs") or {}
    if not isinstance(attrs, dict):
        raise MetadataError(".zattrs is not a JSON object")
    for name, cls in ((".zarray", ArrayMetadata), (".zgroup", GroupMetadata)):
        doc = docs.get(name)
        if doc is not None:
            if not isinstance(doc, dict) or doc.get("zarr_format") != 2:
                raise MetadataError(f"{name} must be an object with zarr_format 2")
            return cls.from_dict(doc, attrs)
    return None


# ---------------------------------------------------------------------------- building
_DEFAULT_SERIALIZERS = {
    "string": {"name": "vlen-utf8", "configuration": {}},
    "variable_length_bytes": {"name": "vlen-bytes", "configuration": {}},
}
_V2_DEFAULT_COMPRESSOR = {"id": "zstd", "level": 0}
_V3_DEFAULT_COMPRESSOR = {"name": "zstd", "configuration": {"level": 0, "checksum": False}}


def _codec_doc(codec: Any, *, v2: bool) -> dict[str, Any]:
    if isinstance(codec, dict):
        return dict(codec)
    if v2 and hasattr(codec, "get_config"):
        return codec.get_config()
    if hasattr(codec, "to_dict"):  # zarr-python codec objects and our own stages
        return codec.to_dict()
    if isinstance(codec, str):
        return {"id": codec} if v2 else {"name": codec}
    raise MetadataError(f"cannot use {codec!r} as a codec; pass its JSON object")


def array_metadata(
    shape,
    dtype,
    chunks,
    *,
    shards=None,
    fill_value=None,
    compressors: Any = "default",
    filters: Any = (),
    zarr_format: int = 3,
    **fields: Any,
) -> ArrayMetadata:
    """New array metadata with zarr-python 3.1's defaults, fully validated.

    ``compressors`` are bytes→bytes codecs (``None`` for none; v2: one numcodecs config);
    ``filters`` are array→array codecs (v2: numcodecs filters).  ``fields`` takes any other
    §3 field: ``dimension_names``, ``attributes``, ``chunk_key_encoding`` (``"default"``,
    ``"v2"`` or a JSON object), ``serializer`` (the array→bytes codec), ``index_location``
    and ``index_codecs`` (sharding), ``codecs`` (a whole v3 list, replacing the rest),
    ``order`` and ``dimension_separator`` (v2).

    Example:
        >>> m = array_metadata((4,), "float32", (2,), fill_value=float("nan"), dimension_names=["t"])
        >>> m.to_dict()["fill_value"], m.to_dict()["codecs"][1]["name"]
        ('NaN', 'zstd')
        >>> array_metadata((4,), "<u2", (2,), zarr_format=2, order="F").to_dict()[".zarray"]["compressor"]
        {'id': 'zstd', 'level': 0}
    """
    allowed = {"dimension_names", "attributes", "chunk_key_encoding", "serializer", "index_location",
               "index_codecs", "codecs", "order", "dimension_separator", "extensions"}
    unknown = set(fields) - allowed
    if unknown:
        raise MetadataError(f"unknown array field(s) {sorted(unknown)}; valid: {sorted(allowed)}")
    if zarr_format not in (2, 3):
        raise MetadataError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    shape = _ints(tuple(shape) if not isinstance(shape, int) else (shape,), "shape", positive=False)
    chunks = _ints(tuple(chunks) if not isinstance(chunks, int) else (chunks,), "chunks", positive=True)
    if len(chunks) != len(shape):
        raise MetadataError(f"chunks {list(chunks)} do not match shape {list(shape)}")
    dt = from_numpy(dtype)
    fill = _fill_from_python(fill_value, dt, zarr_format)
    attributes = fields.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise MetadataError("attributes must be a dict")
    dumps(attributes)  # refuses NaN and non-JSON values up front

    if zarr_format == 2:
        if shards is not None:
            raise MetadataError("sharding needs zarr_format=3")
        order = fields.get("order", "C")
        sep = fields.get("dimension_separator", ".")
        v2_filters = [_codec_doc(f, v2=True) for f in (filters or ())]
        if dt.kind == "O" and not any(f.get("id", "").startswith("vlen-") for f in v2_filters):
            v2_filters.insert(0, {"id": "vlen-utf8" if dt.name == "string" else "vlen-bytes"})
        if compressors == "default":
            compressor = dict(_V2_DEFAULT_COMPRESSOR)
        elif compressors is None or compressors == () or compressors == []:
            compressor = None
        else:
            if isinstance(compressors, (list, tuple)):
                if len(compressors) != 1:
                    raise MetadataError("a v2 array takes exactly one compressor")
                compressors = compressors[0]
            compressor = _codec_doc(compressors, v2=True)
        meta = ArrayMetadata(
            shape=shape, data_type=dt, chunk_shape=chunks, fill_value=fill, zarr_format=2,
            chunk_key_encoding="v2", separator=sep, attributes=dict(attributes), order=order,
            filters=tuple(v2_filters) or None, compressor=compressor,
        )
        meta = ArrayMetadata._from_v2(meta.to_dict()[".zarray"], attributes)
        meta.chain  # noqa: B018 - resolve now so unknown codecs fail at creation
        return meta

    if "codecs" in fields:
        codec_list = [_codec_doc(c, v2=False) for c in fields["codecs"]]
    else:
        if compressors == "default":
            bb = [dict(_V3_DEFAULT_COMPRESSOR)]
        elif compressors is None:
            bb = []
        else:
            bb = [_codec_doc(c, v2=False) for c in (compressors if isinstance(compressors, (list, tuple)) else [compressors])]
        aa = [_codec_doc(c, v2=False) for c in (filters or ())]
        serializer = fields.get("serializer")
        if serializer is None:
            serializer = _DEFAULT_SERIALIZERS.get(dt.name, {"name": "bytes", "configuration": {"endian": "little"}})
        inner = [*aa, _codec_doc(serializer, v2=False), *bb]
        if shards is not None:
            config: dict[str, Any] = {"chunk_shape": list(chunks), "codecs": inner}
            if "index_codecs" in fields:
                config["index_codecs"] = [_codec_doc(c, v2=False) for c in fields["index_codecs"]]
            config["index_location"] = fields.get("index_location", "end")
            codec_list = [{"name": "sharding_indexed", "configuration": config}]
            chunks = _ints(tuple(shards), "shards", positive=True)
            if len(chunks) != len(shape):
                raise MetadataError(f"shards {list(chunks)} do not match shape {list(shape)}")
        else:
            codec_list = inner
    encoding, sep = _parse_key_encoding(fields.get("chunk_key_encoding", "default"))
    names = fields.get("dimension_names")
    meta = ArrayMetadata(
        shape=shape, data_type=dt, chunk_shape=chunks, fill_value=fill, codecs=tuple(codec_list),
        chunk_key_encoding=encoding, separator=sep,
        dimension_names=tuple(names) if names is not None else None, attributes=dict(attributes),
        extensions=dict(fields.get("extensions") or {}),
    )
    # round-trip through the parser: one validation path for read and create
    meta = ArrayMetadata._from_v3(json.loads(dumps(meta.to_dict())))
    meta.chain  # noqa: B018 - unknown codecs fail at creation, not at first write
    return meta


def _fill_from_python(value: Any, dt: DataType, zarr_format: int) -> np.ndarray:
    # numpy floats keep their NaN payload; everything else goes through the JSON rules,
    # which range-check integers instead of letting numpy wrap them
    if value is None or isinstance(value, (str, list, bool)) or dt.kind not in "fc":
        if isinstance(value, np.generic):
            value = value.item()
        return parse_fill(value, dt, zarr_format=zarr_format)
    if isinstance(value, (int, float, complex, np.number)):
        return np.asarray(value, dtype=dt.numpy)
    raise MetadataError(f"fill_value {value!r} is not valid for data type {dt.name}")
