"""The functional core API: create, read, write and delete Zarr nodes, chunks and regions.

Every function takes an open :class:`~zarrkit.storage.ByteStore` and a node path (``""`` is
the root) and is synchronous.  Inputs are validated before the first write, so a rejected
call leaves the store as it was.  Passing ``metadata=`` (the :class:`ArrayMetadata` you
hold) skips the metadata read; that is the hot path.

Example:
    >>> import numpy as np
    >>> from zarrkit.storage import open_store
    >>> store = open_store("memory://", mode="w")
    >>> meta = create_array(store, "raw", array_metadata((4, 6), "uint8", (2, 3)))
    >>> write_region(store, "raw", (slice(1, 3), slice(None)), 7)
    >>> read_region(store, "raw", (slice(None), 0)).tolist()
    [0, 7, 7, 0]
    >>> [name for name, _ in list_children(store)]
    ['raw']
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping

import numpy as np

from zarrkit.core import cache
from zarrkit.core.backends import python as python_backend
from zarrkit.core.metadata import (
    ArrayMetadata,
    GroupMetadata,
    array_metadata,
    dumps,
    parse_documents,
)
from zarrkit.core.selection import SelectionPlan, plan_selection
from zarrkit.errors import (
    BackendUnsupportedError,
    ContainsNodeError,
    DTypeError,
    InvalidOptionError,
    MetadataError,
    NodeError,
    NodeNotFoundError,
    NodeTypeError,
    ShapeMismatchError,
    ZarrkitError,
)
from zarrkit.storage.consolidated import consolidate_metadata
from zarrkit.storage.keys import check_node_path

__all__ = [
    "array_metadata",
    "create_array",
    "create_group",
    "read_metadata",
    "update_attributes",
    "list_children",
    "delete_node",
    "read_chunk",
    "write_chunk",
    "delete_chunk",
    "read_region",
    "write_region",
    "consolidate",
    "open_array",
    "invalidate",
]

log = logging.getLogger("zarrkit.core")

_DOC_NAMES = ("zarr.json", ".zarray", ".zgroup", ".zattrs")


# ---------------------------------------------------------------------------- helpers
def _path(store, path: str) -> str:
    return check_node_path(path, url=store.url)


def _key(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _context(err: NodeError, store, path: str, key: str | None = None) -> NodeError:
    """The same error with the store, node and key filled in."""
    new = type(err)(err.detail, url=store.url, path=path, key=err.key or key)
    if hasattr(err, "codec"):
        new.codec = err.codec
    return new


def _load_json(store, path: str, key: str, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as err:
        raise MetadataError(f"malformed JSON: {err}", url=store.url, path=path, key=key) from None


def _read_nodes(store, paths: list[str]) -> list[ArrayMetadata | GroupMetadata | None]:
    """Several nodes' metadata with two batched fetches: every ``zarr.json``, then v2 documents."""
    v3_keys = [_key(p, "zarr.json") for p in paths]
    v3_raw = store.get_many(v3_keys) if len(paths) > 1 else [store.get(v3_keys[0])]
    docs: list[dict[str, Any]] = [{} for _ in paths]
    where: list[str | None] = list(v3_keys)
    v2_wanted = []
    for i, (path, raw) in enumerate(zip(paths, v3_raw)):
        if raw is not None:
            docs[i]["zarr.json"] = _load_json(store, path, v3_keys[i], raw)
        else:
            v2_wanted.extend((i, name) for name in _DOC_NAMES[1:])
    if v2_wanted:
        keys = [_key(paths[i], name) for i, name in v2_wanted]
        for (i, name), key, raw in zip(v2_wanted, keys, store.get_many(keys)):
            if raw is not None:
                docs[i][name] = _load_json(store, paths[i], key, raw)
                if name != ".zattrs" or where[i] is None:
                    where[i] = key
    out = []
    for path, found, key in zip(paths, docs, where):
        if not found or set(found) == {".zattrs"}:
            out.append(None)
            continue
        try:
            out.append(parse_documents(found))
        except NodeError as err:
            raise _context(err, store, path, key) from None
    return out


def _read_node(store, path: str) -> ArrayMetadata | GroupMetadata | None:
    return _read_nodes(store, [path])[0]


def _icechunk_hint(store) -> str:
    """Suggest ``icechunk+…://`` when a plain URL points at an icechunk repository (storage §2.5)."""
    try:
        if store.exists("config.yaml") or (store.supports_listing and store.list_dir("refs/")):
            return "; this looks like an icechunk repository: open it as icechunk+" + store.url
    except ZarrkitError:
        pass
    return ""


def read_metadata(store, path: str = "") -> ArrayMetadata | GroupMetadata:
    """The node's metadata: ``zarr.json``, else ``.zarray``/``.zgroup`` + ``.zattrs``.

    Raises ``NodeNotFoundError`` when neither exists and ``MetadataError`` naming the key and
    field for a malformed document.  An unknown codec does not stop this call.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "g", attributes={"a": 1})
        >>> read_metadata(s, "g").attributes
        {'a': 1}
    """
    path = _path(store, path)
    meta = _read_node(store, path)
    if meta is None:
        hint = _icechunk_hint(store) if path == "" and getattr(store, "kind", None) != "icechunk" else ""
        raise NodeNotFoundError("no Zarr array or group here" + hint, url=store.url, path=path)
    return meta


def _array(store, path: str, metadata: ArrayMetadata | None) -> ArrayMetadata:
    if metadata is not None:
        if not isinstance(metadata, ArrayMetadata):
            raise InvalidOptionError(f"metadata= must be an ArrayMetadata, got {type(metadata).__name__}")
        return metadata
    meta = read_metadata(store, path)
    if not isinstance(meta, ArrayMetadata):
        raise NodeTypeError("this node is a group, not an array", url=store.url, path=path)
    return meta


def _chain(store, path: str, meta: ArrayMetadata) -> None:
    try:
        meta.chain  # noqa: B018 - resolving raises UnknownCodecError for unknown codecs
    except NodeError as err:
        raise _context(err, store, path) from None


def _strip_consolidated(store, changed_path: str) -> None:
    """Before changing metadata under a consolidated root, drop the stale block (storage §9)."""
    if getattr(store, "kind", None) == "icechunk":
        return
    if store.exists(".zmetadata"):
        store.delete(".zmetadata")
    if changed_path == "":
        return
    raw = store.get("zarr.json")
    if raw is None or b'"consolidated_metadata"' not in raw:
        return
    doc = json.loads(raw)
    if doc.pop("consolidated_metadata", None) is not None:
        store.set("zarr.json", dumps(doc))
        cache.bump(store.identity, "")


def _check_ancestors(store, path: str, zarr_format: int) -> list[str]:
    """Missing ancestor groups to create; refuses an array anywhere above ``path``."""
    if not path:
        return []
    parts = path.split("/")
    missing = []
    for i in range(len(parts)):
        anc = "/".join(parts[:i])
        meta = _read_node(store, anc)
        if isinstance(meta, ArrayMetadata):
            raise NodeTypeError(f"cannot create a node under the array at '/{anc}'", url=store.url, path=path)
        if meta is None:
            missing.append(anc)
    return missing


def _node_exists(store, path: str) -> bool:
    if any(store.exists(_key(path, n)) for n in ("zarr.json", ".zarray", ".zgroup")):
        return True
    if not store.supports_listing:
        return False
    prefix = path + "/" if path else ""
    return next(iter(store.list_prefix(prefix)), None) is not None


def _write_documents(store, path: str, docs: Mapping[str, bytes], *, exclusive: bool) -> None:
    # The node's own document goes last and, when creating, with set_if_absent: of two
    # racing creators exactly one wins.
    names = sorted(docs, key=lambda n: n in ("zarr.json", ".zarray", ".zgroup"))
    for name in names:
        key = _key(path, name)
        if exclusive and name in ("zarr.json", ".zarray", ".zgroup"):
            if not store.set_if_absent(key, docs[name]):
                raise ContainsNodeError("another writer created this node first", url=store.url, path=path, key=key)
        else:
            store.set(key, docs[name])


def _create(store, path: str, meta, *, overwrite: bool, parents: bool = True):
    fmt = meta.zarr_format
    missing = _check_ancestors(store, path, fmt) if parents else []
    if _node_exists(store, path):
        if not overwrite:
            raise ContainsNodeError(
                "a node or stored keys already exist here (pass overwrite=True to replace them)", url=store.url, path=path
            )
    _strip_consolidated(store, path)
    if overwrite:
        _delete_tree(store, path)
    for anc in missing:
        _write_documents(store, anc, GroupMetadata(zarr_format=fmt).to_documents(), exclusive=False)
    _write_documents(store, path, meta.to_documents(), exclusive=not overwrite)
    cache.bump(store.identity, path)
    return meta


def create_array(store, path: str, metadata: ArrayMetadata, *, overwrite: bool = False,
                 parents: bool = True) -> ArrayMetadata:
    """Create an array node; missing ancestor groups are created in the same format.

    Raises ``ContainsNodeError`` if a node or any key exists at or under ``path`` (stale
    chunks must never show through a new array) unless ``overwrite=True``, which deletes
    them first; ``NodeTypeError`` if an ancestor is an array.  ``parents=False`` skips the
    ancestor checks and groups: builds that write their root document last use it.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> create_array(s, "a/b", array_metadata((3,), "f8", (3,))).shape
        (3,)
        >>> read_metadata(s, "a").node_type
        'group'
    """
    path = _path(store, path)
    if not isinstance(metadata, ArrayMetadata):
        raise InvalidOptionError("create_array takes ArrayMetadata; build it with array_metadata(...)")
    _chain(store, path, metadata)
    return _create(store, path, metadata, overwrite=overwrite, parents=parents)


def create_group(store, path: str = "", *, attributes: Mapping[str, Any] | None = None, zarr_format: int = 3,
                 overwrite: bool = False, parents: bool = True) -> GroupMetadata:
    """Create a group node (and missing ancestors).

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> create_group(s, "", attributes={"title": "t"}).attributes
        {'title': 't'}
    """
    path = _path(store, path)
    if zarr_format not in (2, 3):
        raise InvalidOptionError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    attrs = dict(attributes or {})
    try:
        dumps(attrs)
    except MetadataError as err:
        raise _context(err, store, path) from None
    return _create(store, path, GroupMetadata(attrs, zarr_format), overwrite=overwrite, parents=parents)


def update_attributes(store, path: str, updates: Mapping[str, Any], *, replace: bool = False):
    """Merge ``updates`` into the node's attributes (top-level keys), or replace them wholesale.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "", attributes={"a": 1})
        >>> update_attributes(s, "", {"b": 2}).attributes
        {'a': 1, 'b': 2}
    """
    path = _path(store, path)
    meta = read_metadata(store, path)
    attrs = dict(updates) if replace else {**meta.attributes, **dict(updates)}
    try:
        dumps(attrs)
    except MetadataError as err:
        raise _context(err, store, path) from None
    _strip_consolidated(store, path)
    if isinstance(meta, GroupMetadata):
        new = GroupMetadata(attrs, meta.zarr_format, None, meta.extensions)
    else:
        new = meta.with_attributes(attrs)
    docs = new.to_documents()
    if meta.zarr_format == 2:
        docs = {".zattrs": docs[".zattrs"]}
    _write_documents(store, path, docs, exclusive=False)
    cache.bump(store.identity, path)
    return new


def list_children(store, path: str = "") -> list[tuple[str, ArrayMetadata | GroupMetadata]]:
    """Immediate child nodes, sorted by name; read-only stores use consolidated metadata.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "b"); _ = create_group(s, "a")
        >>> [n for n, _ in list_children(s)]
        ['a', 'b']
    """
    path = _path(store, path)
    if store.read_only:
        found = _children_from_consolidated(store, path)
        if found is not None:
            return found
    prefix = path + "/" if path else ""
    names = [p[:-1] for p in store.list_dir(prefix) if p.endswith("/") and p != "c/"]
    if not names:
        return []
    metas = _read_nodes(store, [_key(path, name) for name in names])
    return [(name, meta) for name, meta in zip(names, metas) if meta is not None]


def _children_from_consolidated(store, path: str):
    raw = store.get("zarr.json")
    if raw is None:
        return None
    doc = _load_json(store, "", "zarr.json", raw)
    block = doc.get("consolidated_metadata") if isinstance(doc, dict) else None
    if not isinstance(block, dict) or not isinstance(block.get("metadata"), dict):
        return None
    prefix = path + "/" if path else ""
    out = []
    for name, child in sorted(block["metadata"].items()):
        if name.startswith(prefix) and "/" not in name[len(prefix) :]:
            try:
                out.append((name[len(prefix) :], parse_documents({"zarr.json": child})))
            except NodeError as err:
                raise _context(err, store, name, "zarr.json") from None
    return out


def _delete_tree(store, path: str) -> None:
    for name in ("zarr.json", ".zarray", ".zgroup", ".zattrs"):
        store.delete(_key(path, name))
    store.delete_prefix(path + "/" if path else "")


def delete_node(store, path: str, *, missing_ok: bool = False) -> None:
    """Delete a node and everything below it; the document goes first so readers stop seeing it.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s, "g")
        >>> delete_node(s, "g"); delete_node(s, "g", missing_ok=True); list_children(s)
        []
    """
    path = _path(store, path)
    if not _node_exists(store, path):
        if missing_ok:
            return
        raise NodeNotFoundError("no Zarr node to delete", url=store.url, path=path)
    _strip_consolidated(store, path)
    _delete_tree(store, path)
    cache.bump(store.identity, path)


def consolidate(store, path: str = "") -> GroupMetadata | None:
    """Write consolidated metadata at the root (zarr-python 3.1's layout); ``None`` on icechunk.

    Only the root is supported (``path=""``), as zarr-python readers look only there.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w"); _ = create_group(s); _ = create_group(s, "g")
        >>> sorted(consolidate(s).consolidated["metadata"])
        ['g']
    """
    path = _path(store, path)
    if path:
        raise InvalidOptionError("consolidate works on the root group (path='') only")
    if getattr(store, "kind", None) == "icechunk":
        return None
    key = consolidate_metadata(store)
    cache.bump(store.identity, "")
    if key is None:
        raise NodeNotFoundError("no Zarr root group to consolidate", url=store.url, path="")
    meta = read_metadata(store, "")
    return meta if isinstance(meta, GroupMetadata) else None


def invalidate(store, path: str = "") -> None:
    """Forget cached state for a node and its descendants after an outside writer changed it."""
    cache.bump(store.identity, _path(store, path))


# ---------------------------------------------------------------------------- backends
_ZARRS: list = []


def _zarrs_module():
    if not _ZARRS:  # import once: a failed import must not be retried on every call
        try:
            from zarrkit.core.backends import zarrs as zarrs_backend
        except ImportError:
            zarrs_backend = None
        _ZARRS.append(zarrs_backend if zarrs_backend is not None and zarrs_backend.available() else None)
    return _ZARRS[0]


def choose_backend(store, path: str, meta: ArrayMetadata, backend: str | None, **call: Any):
    """The backend module for this call; logs and counts every automatic fallback."""
    name = backend or cache.default_backend()
    if name == "python":
        return python_backend
    if name not in ("auto", "zarrs"):
        raise InvalidOptionError(f"backend must be 'auto', 'python' or 'zarrs', got {name!r}")
    module = _zarrs_module()
    reason = "zarrista 0.1.0 is not installed" if module is None else module.unsupported(store, meta, **call)
    if reason is None:
        return module
    if name == "zarrs":
        raise BackendUnsupportedError(f"the zarrs backend cannot serve this call: {reason}", url=store.url, path=path)
    log.debug("zarrs backend not used for %s: %s", path, reason)
    cache.count("fallback")
    cache.count(f"fallback:{reason}")
    return python_backend


# ---------------------------------------------------------------------------- chunks
def _check_missing(missing: str) -> None:
    if missing not in ("fill", "raise"):
        raise InvalidOptionError(f"missing must be 'fill' or 'raise', got {missing!r}")


def _as_value(store, path: str, meta: ArrayMetadata, value: Any) -> np.ndarray:
    """``value`` as an array the array's dtype can take under ``"same_kind"`` casting.

    numpy arrays and scalars are judged by dtype; plain Python values by what they hold, so
    ``[1, 2]`` fits a uint8 array but ``-1`` or ``300`` does not.
    """
    dtype = meta.dtype
    if dtype.kind == "O":
        return np.asarray(value, dtype=object)
    from_python = not isinstance(value, (np.ndarray, np.generic))
    arr = np.asarray(value)
    ok = np.can_cast(arr.dtype, dtype, "same_kind") and arr.dtype.kind != "O"
    if not ok and from_python and arr.dtype.kind in "biu" and dtype.kind in "iu":
        ok = True  # plain ints into an unsigned array: numpy's own range check decides below
    if not ok:
        raise DTypeError(
            f"cannot cast {arr.dtype} to the array's {meta.data_type.name} under 'same_kind'", url=store.url, path=path
        )
    if from_python and arr.dtype != dtype:
        try:
            arr = np.asarray(value, dtype=dtype)
        except (OverflowError, ValueError) as err:
            raise DTypeError(f"value does not fit {meta.data_type.name}: {err}", url=store.url, path=path) from None
    return arr


def read_chunk(store, path: str, coords, *, metadata: ArrayMetadata | None = None, inner: bool = False,
               out: np.ndarray | None = None, copy: bool = True, missing: str = "fill", backend: str | None = None
               ) -> np.ndarray:
    """The decoded chunk at grid ``coords`` (full chunk shape; edge chunks include padding).

    ``inner=True`` addresses a sharded array's inner-chunk grid and reads only that inner
    chunk.  A missing chunk reads as the fill value, or raises ``ChunkNotFoundError`` with
    ``missing="raise"``.  Out-of-grid coordinates raise ``IndexError``.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((4, 4), "i4", (2, 2), shards=(4, 4), fill_value=-1))
        >>> read_chunk(s, "a", (1, 1), inner=True, metadata=m).tolist()
        [[-1, -1], [-1, -1]]
    """
    path = _path(store, path) if metadata is None else path
    meta = _array(store, path, metadata)
    _check_missing(missing)
    be = choose_backend(store, path, meta, backend, op="read", missing=missing, inner=inner)
    try:
        chunk = be.read_chunk(python_backend.Node(store, path, meta), coords, inner=inner, missing=missing)
    except NodeError as err:
        if err.url is None:
            raise _context(err, store, path) from None
        raise
    if out is not None:
        if out.shape != chunk.shape:
            raise ShapeMismatchError(f"out has shape {out.shape}, the chunk {chunk.shape}", url=store.url, path=path)
        out[...] = chunk
        return out
    return chunk


def write_chunk(store, path: str, coords, data, *, metadata: ArrayMetadata | None = None, inner: bool = False,
                write_empty_chunks: bool = False, backend: str | None = None) -> None:
    """Write one chunk from ``data`` without reading (``inner=True`` rewrites the shard).

    ``data`` has the full chunk shape or the in-bounds part of an edge chunk; it must cast
    to the array's dtype under ``"same_kind"`` (else ``DTypeError``).

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((3,), "i2", (2,)))
        >>> write_chunk(s, "a", (1,), np.array([9], "i2"), metadata=m)
        >>> read_region(s, "a", slice(None), metadata=m).tolist()
        [0, 0, 9]
    """
    path = _path(store, path) if metadata is None else path
    meta = _array(store, path, metadata)
    arr = _as_value(store, path, meta, data)
    sharded = inner and meta.sharding is not None
    full = meta.chunks if sharded else meta.chunk_shape
    grid = tuple(-(-s // c) for s, c in zip(meta.shape, full))
    coords = tuple(int(c) for c in coords)
    if len(coords) != meta.ndim or any(not 0 <= c < g for c, g in zip(coords, grid)):
        from zarrkit.errors import OutOfBoundsError

        raise OutOfBoundsError(f"chunk coordinates {list(coords)} are outside the grid {list(grid)}", url=store.url, path=path)
    in_bounds = tuple(min(c, s - i * c) for i, c, s in zip(coords, full, meta.shape))
    if arr.shape not in (full, in_bounds):
        raise ShapeMismatchError(
            f"chunk data has shape {arr.shape}; expected {full} or the in-bounds part {in_bounds}", url=store.url, path=path
        )
    if arr.dtype != meta.dtype:
        arr = arr.astype(meta.dtype)
    be = choose_backend(store, path, meta, backend, op="write", write_empty=write_empty_chunks, inner=inner)
    be.write_chunk(python_backend.Node(store, path, meta), coords, arr, inner=inner, write_empty=write_empty_chunks)


def delete_chunk(store, path: str, coords, *, metadata: ArrayMetadata | None = None, inner: bool = False) -> None:
    """Delete one chunk (idempotent); ``inner=True`` clears an inner chunk of its shard.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((2,), "u1", (1,)))
        >>> write_region(s, "a", slice(None), 5, metadata=m); delete_chunk(s, "a", (0,), metadata=m)
        >>> read_region(s, "a", slice(None), metadata=m).tolist()
        [0, 5]
    """
    path = _path(store, path) if metadata is None else path
    meta = _array(store, path, metadata)
    python_backend.delete_chunk(python_backend.Node(store, path, meta), coords, inner=inner)


# ---------------------------------------------------------------------------- regions
def _plan(store, path: str, meta: ArrayMetadata, selection: Any, indexing: str) -> SelectionPlan:
    try:
        return plan_selection(selection, meta.shape, indexing)
    except NodeError as err:
        raise _context(err, store, path) from None


def _finish(plan: SelectionPlan, full: np.ndarray) -> np.ndarray:
    if plan.post is not None:
        return full[plan.post]
    result = full.reshape(plan.ortho.out_shape)
    if plan.move_front is not None:
        result = np.moveaxis(result, plan.move_front, 0)
    return result


def _basic_box(selection: Any, shape: tuple[int, ...]):
    """``(starts, stops, result shape)`` for in-range ints and step-1 slices; else ``None``."""
    if type(selection) is not tuple:
        selection = (selection,)
    if len(selection) > len(shape):
        return None
    starts, stops, out_shape = [], [], []
    for s, n in zip(selection, shape):
        if type(s) is int:
            if s < 0:
                s += n
            if not 0 <= s < n:
                return None
            starts.append(s)
            stops.append(s + 1)
        elif type(s) is slice and s.step is None or type(s) is slice and s.step == 1:
            a, b, _ = s.indices(n)
            if b <= a:
                return None
            starts.append(a)
            stops.append(b)
            out_shape.append(b - a)
        else:
            return None
    for n in shape[len(selection) :]:
        if n == 0:
            return None
        starts.append(0)
        stops.append(n)
        out_shape.append(n)
    return starts, stops, tuple(out_shape)


def read_region(store, path: str, selection: Any = Ellipsis, *, indexing: str = "numpy",
                metadata: ArrayMetadata | None = None, out: np.ndarray | None = None, copy: bool = True,
                missing: str = "fill", backend: str | None = None) -> np.ndarray:
    """Read a selection: ints, slices with any step, Ellipsis, integer and boolean arrays.

    ``indexing`` is ``"numpy"`` (numpy's rules, as ``a[...]``), ``"orthogonal"`` (each array
    selects along its own axis) or ``"points"`` (pointwise).  Only touched chunks are read.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((5, 5), "i4", (2, 2)))
        >>> write_region(s, "a", ..., np.arange(25).reshape(5, 5), metadata=m)
        >>> read_region(s, "a", (slice(None, None, -2), [4, 0]), metadata=m).tolist()
        [[24, 20], [14, 10], [4, 0]]
        >>> read_region(s, "a", ([0, 4], [1, 3]), indexing="points", metadata=m).tolist()
        [1, 23]
    """
    path = _path(store, path) if metadata is None else path
    meta = _array(store, path, metadata)
    _check_missing(missing)
    if out is None and indexing != "points":
        box = _basic_box(selection, meta.shape)
        if box is not None:
            be = choose_backend(store, path, meta, backend, op="read", missing=missing)
            if missing == "fill":
                try:
                    result = be.read_single_chunk_box(python_backend.Node(store, path, meta), box[0], box[1])
                except NodeError as err:
                    if err.url is None:
                        raise _context(err, store, path) from None
                    raise
                if result is not None:
                    if copy and not result.flags.writeable:
                        result = result.copy()
                    return result.reshape(box[2])
    plan = _plan(store, path, meta, selection, indexing)
    if out is not None and out.shape != plan.out_shape:
        raise ShapeMismatchError(f"out has shape {out.shape}, the selection {plan.out_shape}", url=store.url, path=path)
    if plan.empty:
        result = np.empty(plan.out_shape, dtype=meta.dtype)
        return result if out is None else out
    _chain(store, path, meta)
    node = python_backend.Node(store, path, meta)
    be = choose_backend(store, path, meta, backend, op="read", missing=missing, plan=plan)
    try:
        if plan.points is not None:
            flat = np.empty(plan.points.coords.shape[1], dtype=meta.dtype)
            be.read_points(node, plan.points, flat, missing)
            result = flat.reshape(plan.out_shape)
        elif be is not python_backend and plan.ortho.is_box and plan.post is None and out is None:
            # zarrs hands back the box itself: zero-copy unless the caller wants its own array
            view = be.read_box(node, plan.ortho.box()).reshape(plan.ortho.out_shape)
            result = view.copy() if copy else view
        else:
            direct = out is not None and plan.post is None and plan.move_front is None and out.flags.c_contiguous
            full = out.reshape(plan.ortho.full_shape) if direct else np.empty(plan.ortho.full_shape, dtype=meta.dtype)
            be.read_plan(node, plan.ortho, full, missing)
            if direct:
                return out
            result = _finish(plan, full)
    except NodeError as err:
        if err.url is None:
            raise _context(err, store, path) from None
        raise
    if out is not None:
        out[...] = result
        return out
    if result.ndim == 0 and plan.out_shape == ():
        return result.reshape(())
    return result


def write_region(store, path: str, selection: Any, value: Any, *, indexing: str = "numpy",
                 metadata: ArrayMetadata | None = None, write_empty_chunks: bool = False,
                 backend: str | None = None) -> None:
    """Write ``value`` (broadcast to the selection) into the array.

    Whole chunks are written without reading; partial ones are read, modified and written
    under a per-chunk lock.  Chunks run concurrently; the call is not atomic across chunks.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://", mode="w")
        >>> m = create_array(s, "a", array_metadata((4,), "f4", (2,)))
        >>> write_region(s, "a", [3, 0], [1.5, 2.5], metadata=m)
        >>> read_region(s, "a", ..., metadata=m).tolist()
        [2.5, 0.0, 0.0, 1.5]
    """
    path = _path(store, path) if metadata is None else path
    meta = _array(store, path, metadata)
    if store.read_only:
        from zarrkit.errors import ReadOnlyError

        raise ReadOnlyError("the store is open read-only", url=store.url, key=path, op="write")
    plan = _plan(store, path, meta, selection, indexing)
    arr = _as_value(store, path, meta, value)
    try:
        arr = np.broadcast_to(arr, plan.out_shape)
    except ValueError:
        raise ShapeMismatchError(
            f"value of shape {np.shape(arr)} does not broadcast to the selection's shape {plan.out_shape}",
            url=store.url, path=path,
        ) from None
    if arr.dtype != meta.dtype:
        arr = arr.astype(meta.dtype)
    if plan.empty:
        return
    _chain(store, path, meta)
    node = python_backend.Node(store, path, meta)
    be = choose_backend(store, path, meta, backend, op="write", write_empty=write_empty_chunks, plan=plan)
    try:
        if plan.points is not None:
            be.write_points(node, plan.points, np.ascontiguousarray(arr).reshape(-1), write_empty_chunks)
        elif plan.post is not None:
            # several advanced indices: update the orthogonal block numpy's way, write it back
            full = np.empty(plan.ortho.full_shape, dtype=meta.dtype)
            be.read_plan(node, plan.ortho, full, "fill")
            full[plan.post] = arr
            be.write_plan(node, plan.ortho, full, write_empty_chunks)
        else:
            if plan.move_front is not None:
                arr = np.moveaxis(arr, 0, plan.move_front)
            full = arr.reshape(plan.ortho.full_shape)
            be.write_plan(node, plan.ortho, full, write_empty_chunks)
    except NodeError as err:
        if err.url is None:
            raise _context(err, store, path) from None
        raise


def open_array(target, path: str = "", *, mode: str = "r", backend: str | None = None, **open_store_kwargs: Any):
    """Open an array handle on a URL, path or open store.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://demo-open", mode="w")
        >>> _ = create_array(s, "x", array_metadata((3,), "u1", (3,)))
        >>> with open_array(s, "x", mode="r+") as a:
        ...     a[1] = 4
        ...     a[:].tolist()
        [0, 4, 0]
    """
    from zarrkit.core.array import Array
    from zarrkit.storage import ByteStore, open_store

    if mode not in ("r", "r+"):
        raise InvalidOptionError(f"open_array mode must be 'r' or 'r+', got {mode!r}")
    owned = not isinstance(target, ByteStore)
    store = open_store(target, mode=mode, **open_store_kwargs) if owned else target
    try:
        return Array(store, path, backend=backend, owns_store=owned)
    except ZarrkitError:
        if owned:
            store.close()
        raise

