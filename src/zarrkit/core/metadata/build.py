"""Building new array metadata with zarr-python 3.1's defaults (:func:`array_metadata`).

Example:
    >>> array_metadata((4, 4), "int16", (2, 2)).to_dict()["codecs"][1]
    {'name': 'zstd', 'configuration': {'level': 0, 'checksum': False}}
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from zarrkit.core.dtypes import DataType, from_numpy, parse_fill
from zarrkit.core.metadata.array import ArrayMetadata
from zarrkit.core.metadata.fields import dumps, int_tuple, parse_key_encoding
from zarrkit.errors import MetadataError

__all__ = ["array_metadata"]

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
    shape = int_tuple(tuple(shape) if not isinstance(shape, int) else (shape,), "shape", positive=False)
    chunks = int_tuple(tuple(chunks) if not isinstance(chunks, int) else (chunks,), "chunks", positive=True)
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
            chunks = int_tuple(tuple(shards), "shards", positive=True)
            if len(chunks) != len(shape):
                raise MetadataError(f"shards {list(chunks)} do not match shape {list(shape)}")
        else:
            codec_list = inner
    encoding, sep = parse_key_encoding(fields.get("chunk_key_encoding", "default"))
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

