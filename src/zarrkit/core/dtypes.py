"""Zarr data types and fill values, in both the v3 and the v2 spelling.

A :class:`DataType` pairs the Zarr name with the numpy dtype chunks decode to (always
native byte order; the ``bytes`` codec or the v2 dtype string carries the stored order).
Fill values are held as numpy scalars and written back in zarr-python 3.1's JSON forms:
``"NaN"``/``"Infinity"``/``"-Infinity"`` for non-finite floats, a ``"0x…"`` bit pattern only
for a NaN whose payload differs from numpy's default, ``[re, im]`` for complex numbers.

Example:
    >>> dt = parse_v3_data_type("float32")
    >>> dt.numpy, encode_fill(parse_fill(float("nan"), dt), dt)
    (dtype('float32'), 'NaN')
    >>> parse_v2_dtype("<u2").name, parse_v2_dtype(">f8").stored_byteorder
    ('uint16', '>')
"""

from __future__ import annotations

import base64
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarrkit.errors import MetadataError, UnknownDataTypeError

__all__ = [
    "DataType",
    "default_fill",
    "encode_fill",
    "from_numpy",
    "parse_fill",
    "parse_v2_dtype",
    "parse_v3_data_type",
]

_NUMERIC = {
    "bool": "?",
    "int8": "i1",
    "int16": "i2",
    "int32": "i4",
    "int64": "i8",
    "uint8": "u1",
    "uint16": "u2",
    "uint32": "u4",
    "uint64": "u8",
    "float16": "f2",
    "float32": "f4",
    "float64": "f8",
    "complex64": "c8",
    "complex128": "c16",
}
_BY_CHAR = {np.dtype(v).str[1:]: k for k, v in _NUMERIC.items()}


@dataclass(frozen=True)
class DataType:
    """One Zarr data type.

    ``name`` is the v3 name (``"float32"``, ``"string"``, ``"fixed_length_utf32"``), ``numpy``
    the native-order dtype of decoded chunks, ``length`` the characters of a fixed UTF-32
    string, and ``stored_byteorder`` the byte order a v2 document declared (``"<"``, ``">"``
    or ``"|"``).
    """

    name: str
    numpy: np.dtype
    length: int = 0
    stored_byteorder: str = "<"

    @property
    def kind(self) -> str:
        """``"b"``, ``"i"``, ``"u"``, ``"f"``, ``"c"`` (numeric), ``"U"`` (fixed UTF-32), ``"O"`` (variable)."""
        return self.numpy.kind

    @property
    def variable_length(self) -> bool:
        """True for ``string`` and ``variable_length_bytes``, which decode to object arrays."""
        return self.numpy.kind == "O"

    def to_v3(self) -> Any:
        """The ``data_type`` value of a v3 document."""
        if self.name == "fixed_length_utf32":
            return {"name": self.name, "configuration": {"length_bytes": 4 * self.length}}
        return self.name

    def to_v2(self) -> str:
        """The ``dtype`` string of a v2 ``.zarray`` (``"<u2"``, ``"|b1"``, ``"|O"``)."""
        if self.variable_length:
            return "|O"
        if self.name == "fixed_length_utf32":
            return f"{self.stored_byteorder if self.stored_byteorder != '|' else '<'}U{self.length}"
        if self.numpy.itemsize == 1:
            return "|" + self.numpy.str[1:]
        order = self.stored_byteorder if self.stored_byteorder in "<>" else "<"
        return order + self.numpy.str[1:]


def parse_v3_data_type(value: Any) -> DataType:
    """Parse the ``data_type`` of a v3 document.

    Example:
        >>> parse_v3_data_type({"name": "fixed_length_utf32", "configuration": {"length_bytes": 20}}).numpy
        dtype('<U5')
    """
    if isinstance(value, str):
        if value in _NUMERIC:
            return DataType(value, np.dtype(_NUMERIC[value]))
        if value == "string":
            return DataType("string", np.dtype("O"))
        if value == "variable_length_bytes":
            return DataType("variable_length_bytes", np.dtype("O"))
    elif isinstance(value, dict) and value.get("name") == "fixed_length_utf32":
        nbytes = (value.get("configuration") or {}).get("length_bytes")
        if not isinstance(nbytes, int) or nbytes < 0 or nbytes % 4:
            raise MetadataError(f"fixed_length_utf32 needs length_bytes a multiple of 4, got {nbytes!r}")
        return DataType("fixed_length_utf32", np.dtype(f"U{nbytes // 4}"), length=nbytes // 4)
    raise UnknownDataTypeError(f"unknown data_type {value!r}")


def parse_v2_dtype(value: Any, *, object_codec: str | None = None) -> DataType:
    """Parse a v2 ``dtype`` string; ``object_codec`` (``vlen-utf8``/``vlen-bytes``) types ``|O``.

    Example:
        >>> parse_v2_dtype("|O", object_codec="vlen-utf8").name
        'string'
    """
    if not isinstance(value, str) or len(value) < 2:
        raise UnknownDataTypeError(f"unsupported v2 dtype {value!r}")
    order, rest = value[0], value[1:]
    if order not in "<>|=":
        order, rest = "<", value
    if rest == "O":
        if object_codec == "vlen-utf8":
            return DataType("string", np.dtype("O"), stored_byteorder="|")
        if object_codec in ("vlen-bytes", "vlen-array"):
            return DataType("variable_length_bytes", np.dtype("O"), stored_byteorder="|")
        raise UnknownDataTypeError(f"object dtype {value!r} without a vlen-utf8 or vlen-bytes filter")
    if rest.startswith("U") and rest[1:].isdigit():
        return DataType("fixed_length_utf32", np.dtype(f"U{int(rest[1:])}"), int(rest[1:]), order)
    try:
        np_dtype = np.dtype(rest)
    except TypeError:
        raise UnknownDataTypeError(f"unsupported v2 dtype {value!r}") from None
    name = _BY_CHAR.get(np_dtype.str[1:])
    if name is None:
        raise UnknownDataTypeError(f"unsupported v2 dtype {value!r}")
    return DataType(name, np.dtype(_NUMERIC[name]), stored_byteorder="|" if np_dtype.itemsize == 1 else order)


def from_numpy(dtype: Any) -> DataType:
    """The Zarr data type for a numpy dtype (or anything ``np.dtype`` takes), or a v3 name.

    ``str`` means the variable-length ``string`` type, ``bytes`` variable-length bytes.

    Example:
        >>> from_numpy("<U3").to_v3(), from_numpy(str).name, from_numpy(">i2").name
        ({'name': 'fixed_length_utf32', 'configuration': {'length_bytes': 12}}, 'string', 'int16')
    """
    if isinstance(dtype, DataType):
        return dtype
    if dtype is str or dtype == "string":
        return DataType("string", np.dtype("O"))
    if dtype is bytes or dtype == "variable_length_bytes":
        return DataType("variable_length_bytes", np.dtype("O"))
    if isinstance(dtype, (str, dict)):
        try:
            return parse_v3_data_type(dtype)
        except UnknownDataTypeError:
            pass
    try:
        np_dtype = np.dtype(dtype)
    except TypeError:
        raise UnknownDataTypeError(f"unsupported dtype {dtype!r}") from None
    if np_dtype.kind == "U":
        return DataType("fixed_length_utf32", np.dtype(f"U{np_dtype.itemsize // 4}"), np_dtype.itemsize // 4)
    if np_dtype.kind == "T" or np_dtype.kind == "O":
        raise UnknownDataTypeError(f"ambiguous dtype {np_dtype}; pass str or bytes for variable-length data")
    name = _BY_CHAR.get(np_dtype.str[1:])
    if name is None:
        raise UnknownDataTypeError(f"unsupported dtype {np_dtype}")
    return DataType(name, np.dtype(_NUMERIC[name]))


def default_fill(dt: DataType) -> np.ndarray:
    """zarr-python 3.1's default fill: zero, ``False`` or the empty string (a 0-d array)."""
    if dt.name == "variable_length_bytes":
        return _zero_d(b"", dt)
    if dt.kind in "OU":
        return _zero_d("", dt)
    return np.zeros((), dtype=dt.numpy)


def _zero_d(value: Any, dt: DataType) -> np.ndarray:
    out = np.empty((), dtype=dt.numpy)
    out[()] = value
    return out


_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_FLOAT_BITS = {2: ("<e", "<H"), 4: ("<f", "<I"), 8: ("<d", "<Q")}


def parse_fill(value: Any, dt: DataType, *, zarr_format: int = 3) -> np.ndarray:
    """Read a document's ``fill_value`` into a 0-d array of the data type.

    ``None`` means the default fill (zarr-python 3.1 reads a v2 ``null`` this way too).

    Example:
        >>> dt = parse_v3_data_type("float16")
        >>> parse_fill("0x7e01", dt).view("<u2") == 0x7E01
        np.True_
    """
    if value is None:
        return default_fill(dt)
    kind = dt.kind
    try:
        if kind == "b":
            if not isinstance(value, (bool, int)) or (isinstance(value, int) and value not in (0, 1)):
                raise ValueError
            return np.array(bool(value))
        if kind in "iu":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            info = np.iinfo(dt.numpy)
            if not info.min <= value <= info.max:
                raise ValueError
            return np.array(value, dtype=dt.numpy)
        if kind == "f":
            return np.array(_parse_float(value, dt.numpy), dtype=dt.numpy)
        if kind == "c":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError
            part = np.dtype(f"f{dt.numpy.itemsize // 2}")
            re, im = (_parse_float(v, part) for v in value)
            out = np.zeros((), dtype=dt.numpy)
            out.real, out.imag = re, im
            return out
        if dt.name == "variable_length_bytes":
            if isinstance(value, str):
                return _zero_d(base64.b64decode(value), dt)
            if isinstance(value, list):
                return _zero_d(bytes(value), dt)
            raise ValueError
        if isinstance(value, str):
            return _zero_d(value, dt)
        raise ValueError
    except (ValueError, TypeError, OverflowError):
        raise MetadataError(f"fill_value {value!r} is not valid for data type {dt.name}") from None


def _parse_float(value: Any, np_dtype: np.dtype) -> Any:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        if value in _SPECIAL:
            return _SPECIAL[value]
        if value.startswith("0x"):
            fmt, ifmt = _FLOAT_BITS[np_dtype.itemsize]
            return np.frombuffer(struct.pack(ifmt, int(value, 16)), dtype=np_dtype)[0]
    raise ValueError


def encode_fill(fill: np.ndarray, dt: DataType, *, zarr_format: int = 3) -> Any:
    """The JSON form zarr-python 3.1 writes for a fill value.

    Example:
        >>> encode_fill(np.array(-np.inf, "f8"), parse_v3_data_type("float64"))
        '-Infinity'
    """
    kind = dt.kind
    v = fill[()] if isinstance(fill, np.ndarray) else fill
    if kind == "b":
        return bool(v)
    if kind in "iu":
        return int(v)
    if kind == "f":
        return _encode_float(np.asarray(v, dtype=dt.numpy), zarr_format)
    if kind == "c":
        part = np.dtype(f"f{dt.numpy.itemsize // 2}")
        c = np.asarray(v, dtype=dt.numpy)
        return [_encode_float(np.asarray(c.real, part), zarr_format), _encode_float(np.asarray(c.imag, part), zarr_format)]
    if dt.name == "variable_length_bytes":
        return base64.b64encode(bytes(v)).decode()
    return str(v)


def _encode_float(x: np.ndarray, zarr_format: int) -> Any:
    value = float(x)
    if math.isnan(value):
        default_bits = np.array(np.nan, dtype=x.dtype).tobytes()
        if zarr_format == 3 and x.tobytes() != default_bits:
            return "0x" + x.astype(x.dtype.newbyteorder(">")).tobytes().hex()
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
