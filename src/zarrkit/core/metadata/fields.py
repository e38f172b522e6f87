"""The JSON-level pieces every metadata document shares: serialising, integer lists, chunk key
encodings and ``must_understand: false`` extension fields.

Example:
    >>> int_tuple([2, 3], "shape", positive=True), parse_key_encoding("v2")
    ((2, 3), ('v2', '.'))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from zarrkit.errors import MetadataError, UnsupportedMetadataError

__all__ = ["INT64_MAX", "check_chunk_nbytes", "dumps", "extension_fields", "int_tuple", "node_documents", "parse_key_encoding"]

#: the largest extent, chunk size or byte count numpy (and zarrs) can address
INT64_MAX = 2**63 - 1


def dumps(doc: Mapping[str, Any]) -> bytes:
    """Serialise a document as zarr-python 3.1 does: 2-space indent, NaN never bare."""
    try:
        return json.dumps(doc, indent=2, allow_nan=False).encode()
    except ValueError as err:
        raise MetadataError(f"metadata must be plain JSON (no NaN or Infinity numbers): {err}") from None


def node_documents(meta) -> dict[str, bytes]:
    if meta.zarr_format == 2:
        return {name: dumps(doc) for name, doc in meta.to_dict().items()}
    return {"zarr.json": dumps(meta.to_dict())}


def int_tuple(value: Any, what: str, *, positive: bool) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        raise MetadataError(f"{what} must be a list of integers, got {value!r}")
    out = tuple(int(v) for v in value)
    if any(v < (1 if positive else 0) for v in out):
        raise MetadataError(f"{what} must be {'positive' if positive else 'non-negative'}, got {list(out)}")
    if any(v > INT64_MAX for v in out):  # numpy indexes with int64: larger extents cannot be addressed
        raise MetadataError(f"{what} must be at most 2**63 - 1, got {list(out)}")
    return out


def check_chunk_nbytes(chunk_shape: tuple[int, ...], dtype: np.dtype, what: str) -> None:
    """Refuse a chunk whose decoded size does not fit in int64 bytes (numpy cannot allocate it).

    Example:
        >>> check_chunk_nbytes((2**32, 2**32), np.dtype("u1"), "chunks")
        Traceback (most recent call last):
        ...
        zarrkit.errors.MetadataError: chunks [4294967296, 4294967296] of uint8 hold more than 2**63 - 1 bytes
    """
    nbytes = max(dtype.itemsize, 1)
    for n in chunk_shape:
        nbytes *= n
    if nbytes > INT64_MAX:
        raise MetadataError(f"{what} {list(chunk_shape)} of {dtype} hold more than 2**63 - 1 bytes")


def parse_key_encoding(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or value.get("name") not in ("default", "v2"):
        raise UnsupportedMetadataError(f"chunk_key_encoding {value!r} is not supported ('default' or 'v2')")
    name = value["name"]
    config = value.get("configuration") or {}
    if not isinstance(config, dict):
        raise MetadataError(f"chunk_key_encoding configuration must be an object, got {config!r}")
    sep = config.get("separator", "/" if name == "default" else ".")
    if sep not in ("/", "."):
        raise MetadataError(f"chunk key separator must be '/' or '.', got {sep!r}")
    return name, sep


def extension_fields(doc: Mapping[str, Any], known: set[str]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        if key in known:
            continue
        if isinstance(value, dict) and value.get("must_understand") is False:
            out[key] = value
        else:
            raise UnsupportedMetadataError(f"unknown metadata field {key!r} (not marked must_understand: false)")
    return out

