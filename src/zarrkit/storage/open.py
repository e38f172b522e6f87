"""``open_store``: one URL, path or store object in, one zarrkit byte store out.

The resolution order follows the storage spec: pre-built objects pass through (wrapped
where needed), then an explicit ``backend=``, then ``ZARRKIT_STORAGE_BACKEND`` for remote
URLs, then the URL itself.  Unknown schemes raise; nothing ever falls back to a local
directory by accident.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://open-doc", mode="a")
    >>> s.kind, s.read_only
    ('memory', False)
    >>> open_store("memory://open-doc").read_only
    True
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from zarrkit.errors import (
    BackendUnavailableError,
    InvalidOptionError,
    ReadOnlyError,
    StoreError,
    UnsupportedOperationError,
    UnsupportedURLError,
)
from zarrkit.storage.base import ByteStore, ReadOnlyView, StoreSpec
from zarrkit.storage.remote_checks import check_s3_access
from zarrkit.storage.url import REF_KINDS, Target, parse_target, redact, resolve_options

MODES = ("r", "r+", "a", "w")
BACKENDS = ("local", "memory", "zip", "obstore", "fsspec", "icechunk")
ENV_BACKEND = "ZARRKIT_STORAGE_BACKEND"


def open_store(
    target: Any,
    mode: str = "r",
    *,
    backend: str | None = None,
    options: Mapping[str, Any] | None = None,
    backend_options: Mapping[str, Any] | None = None,
    ref: str | None = None,
    overwrite: bool = False,
    autocommit: bool = False,
) -> ByteStore:
    """Open a store from a URL, a path or a store object.

    ``mode``: ``"r"`` read only (default, never creates), ``"r+"`` read/write on an existing
    location, ``"a"`` read/write creating the location if missing, ``"w"`` create on an empty
    location (``overwrite=True`` clears one that holds a Zarr hierarchy).  ``options`` takes
    the normalised connection keys (``endpoint_url``, ``region``, credentials, ...);
    ``backend_options`` go verbatim to the client.  ``ref`` (icechunk only) is
    ``"branch=NAME"``, ``"tag=NAME"`` or ``"snapshot=ID"``.

    Example:
        >>> import tempfile
        >>> s = open_store(tempfile.mkdtemp(), mode="r+")
        >>> s.kind
        'local'
    """
    if mode not in MODES:
        raise InvalidOptionError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if backend is not None and backend not in BACKENDS:
        raise InvalidOptionError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if not isinstance(target, (str, os.PathLike)):
        return _from_object(target, mode, ref=ref, overwrite=overwrite, autocommit=autocommit)

    parsed = parse_target(target)
    raw = parsed.raw
    spec = StoreSpec(
        target=raw,
        mode={"w": "r+"}.get(mode, mode),
        backend=backend,
        options=dict(options) if options else None,
        backend_options=dict(backend_options) if backend_options else None,
        ref=ref,
    )
    parsed = _apply_backend(parsed, backend)
    ref_pair = _merge_ref(parsed, ref)
    if ref_pair is not None and parsed.kind != "icechunk":
        raise UnsupportedURLError("only icechunk targets take a ref", url=parsed.url)

    kind = parsed.kind
    if kind == "local":
        from zarrkit.storage.local import LocalStore

        return LocalStore(parsed.path, mode=mode, overwrite=overwrite, url=parsed.url, spec=spec)
    if kind == "memory":
        from zarrkit.storage.memory import MemoryStore

        return MemoryStore(parsed.bucket, parsed.prefix, mode=mode, overwrite=overwrite, spec=spec)
    if kind == "zip":
        return _open_zip(parsed, mode, overwrite, options, backend_options, backend, spec)
    if kind == "icechunk":
        from zarrkit.storage.icechunkstore import open_icechunk

        opts = resolve_options(options, scheme="s3" if parsed.scheme == "s3" else parsed.scheme)
        if parsed.scheme == "s3":
            check_s3_access(opts, parsed.url, client="icechunk")
        return open_icechunk(parsed, mode=mode, ref=ref_pair, opts=opts, backend_options=backend_options,
                             overwrite=overwrite, autocommit=autocommit, spec=spec)
    if kind == "remote":
        return _open_remote(parsed, mode, overwrite, options, backend_options, backend, spec)
    return _open_fsspec(parsed, mode, overwrite, options, backend_options, spec)


def _apply_backend(parsed: Target, backend: str | None) -> Target:
    """Check that an explicit backend fits the target; re-aim icechunk requests."""
    if backend is None:
        return parsed
    fits = {
        "local": ("local",),
        "memory": ("memory",),
        "zip": ("zip",),
        "obstore": ("remote",),
        "fsspec": ("remote", "fsspec", "memory", "local"),
        "icechunk": ("icechunk", "remote", "local"),
    }[backend]
    if parsed.kind not in fits or (backend == "icechunk" and parsed.kind == "remote" and parsed.scheme != "s3"):
        raise UnsupportedURLError(f"backend={backend!r} does not fit this target", url=parsed.url)
    if backend == "icechunk" and parsed.kind == "remote":
        return Target("icechunk", parsed.raw, scheme="s3", bucket=parsed.bucket, prefix=parsed.prefix)
    if backend == "icechunk" and parsed.kind == "local":
        return Target("icechunk", parsed.raw, scheme="file", path=parsed.path)
    if backend == "fsspec" and parsed.kind == "local":
        return Target("fsspec", parsed.raw, scheme="file", path=parsed.path)
    if backend == "fsspec" and parsed.kind == "memory":
        # A memory Target carries bucket/prefix and no path; handing fsspec the empty path
        # made it resolve to the local file system at the current directory.
        return Target("fsspec", parsed.raw, scheme="memory", path=parsed.raw)
    return parsed


def _merge_ref(parsed: Target, ref: str | None) -> tuple[str, str] | None:
    if ref is None:
        return parsed.ref
    kind, sep, name = ref.partition("=")
    pair = (kind, name) if sep else ("branch", ref)
    if pair[0] not in REF_KINDS or not pair[1]:
        raise InvalidOptionError(f"ref is 'branch=NAME', 'tag=NAME' or 'snapshot=ID', not {ref!r}")
    if parsed.ref is not None and parsed.ref != pair:
        raise InvalidOptionError(f"ref={ref!r} disagrees with the URL's #{parsed.ref[0]}={parsed.ref[1]}")
    return pair


def _remote_client(backend: str | None) -> str:
    choice = backend or os.environ.get(ENV_BACKEND) or None
    if choice is not None and choice not in ("obstore", "fsspec"):
        raise InvalidOptionError(f"{ENV_BACKEND} must be 'obstore' or 'fsspec', not {choice!r}")
    if choice is not None:
        return choice
    try:
        import obstore  # noqa: F401

        return "obstore"
    except ImportError:
        pass
    try:
        import fsspec  # noqa: F401

        return "fsspec"
    except ImportError:
        raise BackendUnavailableError('no remote client installed; pip install "zarrkit[remote]"') from None


def _open_remote(parsed: Target, mode, overwrite, options, backend_options, backend, spec) -> ByteStore:
    scheme = parsed.scheme
    norm = "s3" if scheme == "s3" else scheme
    opts = resolve_options(options, scheme=norm)
    client = _remote_client(backend)
    if scheme == "s3":
        check_s3_access(opts, parsed.url, client=client)
    if client == "obstore":
        from zarrkit.storage.objectstore import ObjectStoreStore, build_obstore

        obj = build_obstore(scheme, parsed.bucket, parsed.prefix, parsed.raw, opts, backend_options)
        identity = (scheme, opts.get("endpoint_url"), parsed.bucket, parsed.prefix)
        return ObjectStoreStore(obj, url=parsed.url, mode=mode, overwrite=overwrite, identity=identity,
                                listing=scheme not in ("http", "https"), spec=spec)
    from zarrkit.storage.fsspecstore import FsspecStore, build_fsspec
    from zarrkit.storage.url import to_s3fs

    so = to_s3fs(opts) if scheme == "s3" else {"skip_instance_cache": True}
    if scheme == "s3":
        so["use_listings_cache"] = False
    so.update(backend_options or {})
    fs, root = build_fsspec(parsed.raw, so)
    identity = (scheme, opts.get("endpoint_url"), parsed.bucket, parsed.prefix)
    return FsspecStore(fs, root, url=parsed.url, mode=mode, overwrite=overwrite, zarr_url=parsed.raw,
                       storage_options=so, identity=identity, spec=spec)


def _open_fsspec(parsed: Target, mode, overwrite, options, backend_options, spec) -> ByteStore:
    from zarrkit.storage.fsspecstore import FsspecStore, build_fsspec

    if options:
        raise InvalidOptionError("options= applies to object-store URLs; pass fsspec settings in backend_options=")
    url = parsed.path if parsed.scheme != "file" or "://" in parsed.raw else f"file://{parsed.path}"
    if not url:
        # fsspec reads an empty URL as "the current directory": never open that by accident.
        raise UnsupportedURLError("no fsspec URL for this target", url=parsed.url)
    so = dict(backend_options or {})
    fs, root = build_fsspec(url, so)
    return FsspecStore(fs, root, url=parsed.url, mode=mode, overwrite=overwrite, zarr_url=url,
                       storage_options=so, spec=spec)


def _open_zip(parsed: Target, mode, overwrite, options, backend_options, backend, spec) -> ByteStore:
    from zarrkit.storage.zipstore import ZipReader, ZipWriter

    inner = parsed.inner
    if inner is not None and inner.kind == "remote":
        if mode != "r":
            raise UnsupportedOperationError("zips in object stores are read-only; build locally and upload",
                                            url=parsed.url)
        parent, _, name = inner.prefix.rpartition("/")
        base = f"{inner.scheme}://{inner.bucket}" + (f"/{parent}" if parent else "")
        container = _open_remote(parse_target(base), "r", False, options, backend_options,
                                 None if backend == "zip" else backend, None)
        from zarrkit.storage.zipstore import _StoreSource

        return ZipReader(_StoreSource(container, name), url=parsed.url, spec=spec)
    if mode == "r":
        return ZipReader.open_local(parsed.path, url=parsed.url, spec=spec)
    if mode != "w":
        raise UnsupportedOperationError(
            "a zip cannot be edited in place; unpack it, edit, and write a new zip with mode='w'", url=parsed.url
        )
    comment = (backend_options or {}).get("comment")
    return ZipWriter(parsed.path, url=parsed.url, overwrite=overwrite,
                     comment=comment.encode() if isinstance(comment, str) else comment, spec=None)


# ------------------------------------------------------------------ pre-built objects
def _from_object(obj: Any, mode: str, *, ref, overwrite, autocommit) -> ByteStore:
    if isinstance(obj, ByteStore):
        if mode == "r" and not obj.read_only:
            return ReadOnlyView(obj)
        if mode != "r" and obj.read_only:
            raise ReadOnlyError("this store handle is read-only", url=obj.url)
        return obj
    module = type(obj).__module__
    if module.startswith("icechunk"):
        return _from_icechunk(obj, mode, ref=ref, overwrite=overwrite, autocommit=autocommit)
    if module.startswith("obstore"):
        from zarrkit.storage.objectstore import ObjectStoreStore

        return ObjectStoreStore(obj, url=f"obstore:{type(obj).__name__}", mode=mode, overwrite=overwrite)
    try:
        import zarr.storage
        from zarr.abc.store import Store
    except ImportError:  # pragma: no cover - zarr is a core dependency
        Store = ()
    if isinstance(obj, zarr.storage.LocalStore):
        from zarrkit.storage.local import LocalStore

        _refuse_read_only_source(obj, mode)
        return LocalStore(str(obj.root), mode=mode, overwrite=overwrite)
    if isinstance(obj, zarr.storage.ZipStore):
        from zarrkit.storage.zipstore import ZipReader

        if mode != "r":
            raise UnsupportedOperationError(
                "zarr-python ZipStores are read-only here (rewritten keys append duplicate entries); "
                "open the .zip path with mode='w' to build a new one",
                url=str(obj.path),
            )
        return ZipReader.open_local(str(obj.path), url=str(obj.path))
    if isinstance(obj, zarr.storage.ObjectStore):
        from zarrkit.storage.objectstore import ObjectStoreStore

        _refuse_read_only_source(obj, mode)
        return ObjectStoreStore(obj.store, url=f"obstore:{type(obj.store).__name__}", mode=mode, overwrite=overwrite)
    if isinstance(obj, Store):
        from zarrkit.storage.adapter import AsyncStoreAdapter

        _refuse_read_only_source(obj, mode)
        return AsyncStoreAdapter(obj, url=f"zarr:{type(obj).__name__}", read_only=(mode == "r"))
    raise UnsupportedURLError(f"cannot open a store from a {type(obj).__name__}")


def _refuse_read_only_source(obj, mode: str) -> None:
    if mode != "r" and getattr(obj, "read_only", False):
        raise ReadOnlyError(f"the {type(obj).__name__} given is read-only", url=repr(obj))


def _from_icechunk(obj, mode, *, ref, overwrite, autocommit) -> ByteStore:
    import icechunk

    from zarrkit.storage.icechunkstore import (
        IcechunkStore,
        session_for,
        translate_icechunk_error,
    )

    url = f"icechunk:{type(obj).__name__}"
    if isinstance(obj, icechunk.Session):
        if mode != "r" and obj.read_only:
            raise ReadOnlyError("this icechunk session is read-only", url=url)
        store = IcechunkStore(None, obj, url=url, location=url, branch=obj.branch, autocommit=autocommit)
        return ReadOnlyView(store) if mode == "r" and not obj.read_only else store
    if isinstance(obj, icechunk.Repository):
        pair = _merge_ref(Target("icechunk", url), ref) or ("branch", "main")
        try:
            session, branch = session_for(obj, mode, pair, url=url)
        except StoreError:
            raise
        except Exception as err:
            raise translate_icechunk_error(err, url=url, op="open") from err
        return IcechunkStore(obj, session, url=url, location=url, branch=branch, autocommit=autocommit)
    raise UnsupportedURLError(f"cannot open a store from a {type(obj).__name__}")


def _reopen(spec: StoreSpec) -> ByteStore:
    """Rebuild a store in another process from the spec it was opened with."""
    return open_store(spec.target, spec.mode, backend=spec.backend, options=spec.options,
                      backend_options=spec.backend_options, ref=spec.ref)


__all__ = ["open_store", "MODES", "BACKENDS", "redact"]
