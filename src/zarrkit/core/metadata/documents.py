"""Reading node documents from a store: the one place metadata bytes become metadata.

Two modes over the same documents:

* **strict** (:func:`load_document`, :func:`parse_node_document`, :func:`read_nodes`):
  malformed JSON, a document that is not an object, or a field of the wrong type raises
  :class:`~zarrkit.errors.MetadataError` naming the store, the node and the key;
* **tolerant** (``parse_node_document(..., tolerant=True)``, :func:`summarize_documents`):
  never raises on bad metadata and returns a :class:`NodeSummary` that says what could be
  read and, in ``error``, what is wrong; ``zarrkit info`` shows a damaged tree this way.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> s.set("a/zarr.json", b'{"zarr_format": 3, "node_type": "array", "shape": [4]')
    >>> parse_node_document(s.get("a/zarr.json"), store=s, path="a", tolerant=True).error[:14]
    'malformed JSON'
    >>> try:
    ...     parse_node_document(s.get("a/zarr.json"), store=s, path="a")
    ... except MetadataError as err:
    ...     err.path, err.key
    ('a', 'a/zarr.json')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zarrkit.core.context import DOCUMENT_NAMES, document_key, in_context
from zarrkit.core.metadata.array import ArrayMetadata
from zarrkit.core.metadata.group import GroupMetadata, parse_documents
from zarrkit.errors import MetadataError, NodeError

__all__ = [
    "NodeSummary",
    "decode_document",
    "load_document",
    "parse_node_document",
    "read_nodes",
    "summarize_documents",
]


@dataclass
class NodeSummary:
    """A best-effort description of one node, read without trusting its documents.

    ``node_type`` is ``"array"``, ``"group"`` or ``"unknown"`` (unreadable); ``error`` says
    what is wrong, or is ``None`` when the documents parse cleanly.
    """

    node_type: str
    zarr_format: int | None = None
    shape: list[int] | None = None
    dtype: str | None = None
    chunks: list[int] | None = None
    shards: list[int] | None = None
    codecs: list[str] = field(default_factory=list)
    dimension_names: list[str | None] | None = None
    attribute_keys: list[str] = field(default_factory=list)
    error: str | None = None


def _path_of(key: str) -> str:
    return key.rsplit("/", 1)[0] if "/" in key else ""


def decode_document(raw: bytes, *, store=None, path: str = "", key: str | None = None) -> dict[str, Any]:
    """One metadata document's bytes as a JSON object; else ``MetadataError`` (store, node, key).

    Example:
        >>> decode_document(b'{"zarr_format": 3}')
        {'zarr_format': 3}
    """
    url = getattr(store, "url", None)
    try:
        doc = json.loads(raw)
    except (TypeError, ValueError) as err:
        raise MetadataError(f"malformed JSON: {err}", url=url, path=path, key=key) from None
    if not isinstance(doc, dict):
        raise MetadataError(f"the document is a JSON {type(doc).__name__}, not an object", url=url, path=path, key=key)
    return doc


def load_document(store, key: str) -> dict[str, Any] | None:
    """The document at ``key`` as a dict, ``None`` when absent; malformed → ``MetadataError``.

    The error names the store, the node (the key's folder) and the key.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); s.set("g/zarr.json", b"[1]")
        >>> load_document(s, "nothing/zarr.json") is None
        True
        >>> try:
        ...     load_document(s, "g/zarr.json")
        ... except MetadataError as err:
        ...     print(err.path, err.key, err.detail)
        g g/zarr.json the document is a JSON list, not an object
    """
    raw = store.get(key)
    if raw is None:
        return None
    return decode_document(raw, store=store, path=_path_of(key), key=key)


def parse_node_document(raw: bytes | Mapping[str, bytes | None], *, store=None, path: str = "",
                        key: str | None = None, tolerant: bool = False):
    """Parse a node from its raw documents, strictly or tolerantly.

    ``raw`` is the bytes of one document (``zarr.json`` unless ``key`` names another) or a
    mapping of document name (``".zarray"``, ``".zattrs"``, ...) to bytes or ``None``.
    Strict: :class:`ArrayMetadata` or :class:`GroupMetadata` (``None`` when no node document
    is among them), raising ``MetadataError`` naming ``store``, ``path`` and the key.
    Tolerant: a :class:`NodeSummary` (``None`` when no node document), never raising for bad
    metadata.

    Example:
        >>> parse_node_document(b'{"zarr_format": 3, "node_type": "group", "attributes": {}}').node_type
        'group'
        >>> s = parse_node_document({".zarray": b'{"zarr_format": 2, "shape": "x"}'}, tolerant=True)
        >>> s.node_type, s.shape, s.error
        ('array', None, "shape is not a list of integers: 'x'")
    """
    if isinstance(raw, (bytes, bytearray, memoryview)):
        key = key or document_key(path, "zarr.json")
        raws = {key.rsplit("/", 1)[-1]: raw}
    else:
        raws = {name: value for name, value in raw.items() if value is not None}
    docs: dict[str, Any] = {}
    problem = None
    for name in DOCUMENT_NAMES:
        if name not in raws:
            continue
        doc_key = key if key and key.endswith(name) else document_key(path, name)
        try:
            docs[name] = decode_document(raws[name], store=store, path=path, key=doc_key)
        except MetadataError as err:
            if not tolerant:
                raise
            problem = problem or err.detail
            docs[name] = None  # present but unreadable
    main = next((n for n in DOCUMENT_NAMES if n in docs), None)
    if main is None or main == ".zattrs":
        return None
    main_key = key if key and key.endswith(main) else document_key(path, main)
    if tolerant:
        summary = summarize_documents(docs)
        summary.error = problem or summary.error
        return summary
    try:
        return parse_documents(docs)
    except NodeError as err:
        raise in_context(err, store, path, main_key) from None


def read_nodes(store, paths: list[str]) -> list[ArrayMetadata | GroupMetadata | None]:
    """Several nodes' metadata with two batched fetches: every ``zarr.json``, then v2 documents.

    Strict: a malformed document raises ``MetadataError``; ``None`` marks a path with no node.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> s.set("a/.zgroup", b'{"zarr_format": 2}')
        >>> [m and m.node_type for m in read_nodes(s, ["a", "b"])]
        ['group', None]
    """
    v3_keys = [document_key(p, "zarr.json") for p in paths]
    v3_raw = store.get_many(v3_keys) if len(paths) > 1 else [store.get(v3_keys[0])]
    out: list[Any] = [None] * len(paths)
    v2_wanted = []
    for i, (path, raw) in enumerate(zip(paths, v3_raw)):
        if raw is not None:
            out[i] = parse_node_document(raw, store=store, path=path, key=v3_keys[i])
        else:
            v2_wanted.extend((i, name) for name in DOCUMENT_NAMES[1:])
    if v2_wanted:
        keys = [document_key(paths[i], name) for i, name in v2_wanted]
        found: dict[int, dict[str, bytes]] = {}
        for (i, name), raw in zip(v2_wanted, store.get_many(keys)):
            if raw is not None:
                found.setdefault(i, {})[name] = raw
        for i, raws in found.items():
            out[i] = parse_node_document(raws, store=store, path=paths[i])
    return out


# ---------------------------------------------------------------------------- tolerant
def _int_list(value: Any, what: str, problems: list[str]) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    problems.append(f"{what} is not a list of integers: {value!r}")
    return None


def _codec_names(codecs: Any, problems: list[str]) -> tuple[list[str], list[int] | None]:
    names: list[str] = []
    inner_chunks = None
    if not isinstance(codecs, list):
        problems.append(f"codecs is not a list: {codecs!r}")
        return names, None
    for codec in codecs:
        name = codec.get("name") if isinstance(codec, dict) else codec
        if not isinstance(name, str):
            problems.append(f"a codec without a name: {codec!r}")
            names.append("?")
            continue
        conf = codec.get("configuration") if isinstance(codec, dict) else None
        if name == "sharding_indexed" and isinstance(conf, dict):
            inner_chunks = _int_list(conf.get("chunk_shape"), "sharding chunk_shape", problems)
            inner, _ = _codec_names(conf.get("codecs", []), problems)
            names.append(f"sharding_indexed[{', '.join(inner)}]")
        else:
            names.append(name)
    return names, inner_chunks


def _dtype_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _attribute_keys(attrs: Any, problems: list[str]) -> list[str]:
    if attrs is None:
        return []
    if not isinstance(attrs, dict):
        problems.append(f"attributes are not an object: {type(attrs).__name__}")
        return []
    return sorted(attrs)


def _names(value: Any, problems: list[str]) -> list[str | None] | None:
    if value is None or (isinstance(value, list) and all(v is None or isinstance(v, str) for v in value)):
        return value
    problems.append(f"dimension names are not strings or nulls: {value!r}")
    return None


def _summarize_v3(doc: dict[str, Any], problems: list[str]) -> NodeSummary:
    node_type = doc.get("node_type")
    attrs = _attribute_keys(doc.get("attributes"), problems)
    if node_type == "group":
        return NodeSummary("group", 3, attribute_keys=attrs)
    if node_type != "array":
        problems.append(f"node_type must be 'array' or 'group', got {node_type!r}")
        return NodeSummary("unknown", doc.get("zarr_format"), attribute_keys=attrs)
    grid = doc.get("chunk_grid")
    conf = grid.get("configuration") if isinstance(grid, dict) else None
    grid_shape = _int_list(conf.get("chunk_shape") if isinstance(conf, dict) else None, "chunk_shape", problems)
    codecs, inner = _codec_names(doc.get("codecs", []), problems)
    return NodeSummary(
        "array", 3,
        shape=_int_list(doc.get("shape"), "shape", problems),
        dtype=_dtype_text(doc.get("data_type")),
        chunks=inner if inner is not None else grid_shape,
        shards=grid_shape if inner is not None else None,
        codecs=codecs,
        dimension_names=_names(doc.get("dimension_names"), problems),
        attribute_keys=attrs,
    )


def _summarize_v2(zarray: dict[str, Any] | None, zattrs: Any, problems: list[str]) -> NodeSummary:
    attrs = _attribute_keys(zattrs, problems)
    if zarray is None:
        return NodeSummary("group", 2, attribute_keys=attrs)
    filters = zarray.get("filters") or []
    codecs = [f.get("id", "?") if isinstance(f, dict) else "?" for f in (filters if isinstance(filters, list) else [])]
    compressor = zarray.get("compressor")
    if compressor:
        codecs.append(compressor.get("id", "?") if isinstance(compressor, dict) else "?")
    return NodeSummary(
        "array", 2,
        shape=_int_list(zarray.get("shape"), "shape", problems),
        dtype=_dtype_text(zarray.get("dtype")),
        chunks=_int_list(zarray.get("chunks"), "chunks", problems),
        codecs=codecs,
        dimension_names=_names(zattrs.get("_ARRAY_DIMENSIONS") if isinstance(zattrs, dict) else None, problems),
        attribute_keys=attrs,
    )


def summarize_documents(docs: Mapping[str, Any]) -> NodeSummary:
    """A :class:`NodeSummary` of a node's decoded documents; never raises on bad metadata.

    ``docs`` maps document names to decoded JSON (``None`` for one that was unreadable).
    ``error`` lists every problem found (``"; "``-separated); when the fields look right the
    strict parser runs too, so ``error`` also reports what only it would notice.

    Example:
        >>> s = summarize_documents({"zarr.json": {"zarr_format": 3, "node_type": "array", "shape": [-1],
        ...     "data_type": "uint8", "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1]}},
        ...     "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}]}})
        >>> s.shape, s.codecs, s.error
        ([-1], ['bytes'], 'shape must be non-negative, got [-1]')
    """
    problems: list[str] = []
    v3 = docs.get("zarr.json")
    if "zarr.json" in docs:
        if isinstance(v3, dict):
            summary = _summarize_v3(v3, problems)
        else:
            summary = NodeSummary("unknown", 3)
            problems.append("zarr.json is not a JSON object")
    elif ".zarray" in docs or ".zgroup" in docs:
        zarray = docs.get(".zarray")
        if ".zarray" in docs and not isinstance(zarray, dict):
            summary = NodeSummary("unknown", 2)
            problems.append(".zarray is not a JSON object")
        else:
            summary = _summarize_v2(zarray, docs.get(".zattrs"), problems)
    else:
        return NodeSummary("unknown", error="no Zarr metadata document")
    if not problems and summary.node_type != "unknown":
        try:
            parse_documents(docs)
        except NodeError as err:
            problems.append(err.detail)
        except Exception as err:  # noqa: BLE001 - a summary must survive any damaged document
            problems.append(f"{type(err).__name__}: {err}")
    summary.error = "; ".join(problems) if problems else None
    return summary
