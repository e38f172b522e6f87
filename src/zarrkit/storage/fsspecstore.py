"""Any fsspec file system: the fallback for remote URLs and the home of chained URLs.

fsspec's synchronous API is used directly.  s3fs always gets ``skip_instance_cache=True``
and no listings cache, so settings and listings never leak between handles.  fsspec has no
conditional put, so ``set_if_absent`` is check-then-write here and
``supports_conditional_create`` is ``False``.

Writes on an async file system (s3fs) run under a deadline (:func:`write_deadline`).
botocore marks every PUT ``Expect: 100-continue`` and aiohttp then waits for the
server's ``100 Continue`` with no timeout at all; its read timeout only starts once the body
is sent.  A server that accepts the connection but never answers (a black-holed endpoint,
a stuck proxy) therefore hung ``pipe_file`` for ever.  The deadline is the longest time
s3fs and botocore could still legitimately spend retrying, so it only ends calls that can
no longer succeed; they raise :class:`~zarrkit.errors.StoreIOError` naming the URL and key.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://fsspec-doc", backend="fsspec", mode="a")  # fsspec's own memory fs
    >>> s.set("a", b"1"); s.get("a")
    b'1'
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from zarrkit.errors import (
    BackendUnavailableError,
    ContainsDataError,
    StoreIOError,
    StoreNotFoundError,
    StorePermissionError,
)
from zarrkit.storage.base import ByteStore, StoreSpec
from zarrkit.storage.local import ROOT_DOCUMENTS
from zarrkit.storage.remote_checks import missing_credentials, no_credentials_error, tidy

INSTALL_HINT = 'install the remote extra: pip install "zarrkit[remote]"'

# Slowest upload rate the write deadline still allows for, in bytes per second.
MIN_UPLOAD_RATE = 64 * 1024
# s3fs sleeps min(1.7**i * 0.1, 15) s between its own retries.
_BACKOFF_CAP = 15.0


def write_deadline(fs, nbytes: int) -> float | None:
    """Seconds a single-object write on ``fs`` may take before it is abandoned; ``None`` for sync file systems.

    Every attempt botocore may make inside every retry s3fs may make gets its connect and
    read timeout, plus s3fs's backoff and time to send ``nbytes`` at :data:`MIN_UPLOAD_RATE`.

    Example:
        >>> import fsspec
        >>> write_deadline(fsspec.filesystem("memory"), 10) is None
        True
    """
    if not getattr(fs, "async_impl", False):
        return None
    config = dict(getattr(fs, "config_kwargs", None) or {})
    connect = float(config.get("connect_timeout") or getattr(fs, "connect_timeout", None) or 60)
    read = float(config.get("read_timeout") or getattr(fs, "read_timeout", None) or 60)
    retries = config.get("retries") or {}
    # botocore rewrites max_attempts (retries after the first try) into total_max_attempts
    # in place; its default is 4 retries.
    if retries.get("total_max_attempts"):
        attempts = int(retries["total_max_attempts"])
    else:
        attempts = int(retries.get("max_attempts", 4)) + 1
    tries = max(1, int(getattr(fs, "retries", 1) or 1))
    backoff = sum(min(1.7**i * 0.1, _BACKOFF_CAP) for i in range(tries))
    return tries * attempts * (connect + read + nbytes / MIN_UPLOAD_RATE) + backoff + 1.0


def build_fsspec(url: str, storage_options: Mapping[str, Any]):
    """Return ``(filesystem, root path)`` for ``url``, without instance caching."""
    try:
        import fsspec.core
    except ImportError as err:  # pragma: no cover
        raise BackendUnavailableError(f"fsspec is not installed; {INSTALL_HINT}", url=url) from err
    opts = dict(storage_options)
    opts.setdefault("skip_instance_cache", True)
    try:
        fs, path = fsspec.core.url_to_fs(url, **opts)
    except ImportError as err:
        raise BackendUnavailableError(f"{err}; {INSTALL_HINT}", url=url) from err
    return fs, path.rstrip("/")


class FsspecStore(ByteStore):
    """Byte store over an fsspec file system rooted at ``root``."""

    kind = "fsspec"
    io_threads = 16
    supports_conditional_create = False

    def __init__(self, fs, root: str, *, url: str, mode: str = "r", overwrite: bool = False,
                 zarr_url: str | None = None, storage_options: Mapping[str, Any] | None = None,
                 identity: tuple | None = None, spec: StoreSpec | None = None) -> None:
        super().__init__(url=url, read_only=(mode == "r"), spec=spec)
        self.fs = fs
        self.root = root
        self._zarr_url = zarr_url
        self._storage_options = dict(storage_options or {})
        proto = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
        self._identity = identity or ("fsspec", proto, root)
        self._prepare(mode, overwrite)

    @property
    def identity(self) -> tuple:
        return self._identity

    def _full(self, key: str) -> str:
        return f"{self.root}/{key}" if self.root else key

    def _prepare(self, mode: str, overwrite: bool) -> None:
        protocols = set(self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else [self.fs.protocol])
        bucketed = bool(protocols & {"s3", "s3a", "gs", "gcs", "az", "abfs", "adl"})
        try:
            if bucketed:
                self._check_bucket(self.root.split("/", 1)[0])
            elif mode in ("r", "r+") and not self.fs.exists(self.root):
                raise StoreNotFoundError("no such location", url=self.url)
            if mode == "w":
                present = list(self._list_prefix(""))
                if present:
                    if not overwrite:
                        raise ContainsDataError("the location is not empty; pass overwrite=True", url=self.url)
                    if not any(self._exists(d) for d in ROOT_DOCUMENTS):
                        raise ContainsDataError(
                            "refusing to clear a location that holds no Zarr root document", url=self.url
                        )
                    self._delete_prefix("")
        except (StoreNotFoundError, ContainsDataError):
            raise
        except Exception as err:
            raise self._translate("open", None, err) from err

    def _check_bucket(self, bucket: str) -> None:
        if "s3" in self.fs.protocol and hasattr(self.fs, "call_s3"):
            # s3fs's exists() swallows every error, so an unreachable server or missing
            # credentials read as "no such bucket"; HeadBucket raises what really happened.
            try:
                self.fs.call_s3("head_bucket", Bucket=bucket)
            except FileNotFoundError:
                raise StoreNotFoundError("the bucket does not exist", url=self.url) from None
            return
        if not self.fs.exists(bucket):
            raise StoreNotFoundError("the bucket does not exist", url=self.url)

    def _translate(self, op, key, err):
        if missing_credentials(f"{type(err).__name__}: {err}"):
            return no_credentials_error(self.url, key=key, op=op, client="fsspec")
        if isinstance(err, PermissionError) or "AccessDenied" in str(err) or "Forbidden" in str(err):
            return StorePermissionError(tidy(f"access denied: {err}"), url=self.url, key=key, op=op)
        if isinstance(err, FileNotFoundError):
            return StoreNotFoundError(tidy(f"not found: {err}"), url=self.url, key=key, op=op)
        return StoreIOError(tidy(f"{type(err).__name__}: {err}"), url=self.url, key=key, op=op)

    def _get(self, key: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._full(key))
        except (FileNotFoundError, IsADirectoryError):
            return None

    def _get_range(self, key: str, start: int, length: int | None) -> bytes | None:
        path = self._full(key)
        try:
            size = self.fs.size(path)
        except FileNotFoundError:
            return None
        if size is None:  # a directory-like entry
            return None
        if start < 0:
            start = max(0, size + start)
            end = size
        else:
            end = size if length is None else min(size, start + length)
        if start >= end:
            return b""
        return self.fs.cat_file(path, start=start, end=end)

    def _exists(self, key: str) -> bool:
        return bool(self.fs.isfile(self._full(key)))

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        base = self._full(prefix.rstrip("/")) if prefix else self.root
        n = len(self.root) + 1 if self.root else 0
        try:
            found = self.fs.find(base) if base else self.fs.find("")
        except FileNotFoundError:
            return
        for path in found:
            path = path.lstrip("/") if not self.root.startswith("/") else path
            yield path[n:]

    def _list_sizes(self, prefix: str):
        base = self._full(prefix.rstrip("/")) if prefix else self.root
        n = len(self.root) + 1 if self.root else 0
        try:
            found = self.fs.find(base, detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            path = path.lstrip("/") if not self.root.startswith("/") else path
            yield path[n:], int(info.get("size") or 0)

    def _list_dir(self, prefix: str) -> list[str]:
        base = self._full(prefix.rstrip("/")) if prefix else self.root
        try:
            entries = self.fs.ls(base, detail=True)
        except FileNotFoundError:
            return []
        out = []
        for e in entries:
            name = e["name"].rstrip("/").rsplit("/", 1)[-1]
            out.append(name + "/" if e.get("type") == "directory" else name)
        return out

    def _get_many(self, keys):
        # fsspec batches reads concurrently on its own loop (s3fs is async underneath).
        paths = [self._full(k) for k in keys]
        found = self.fs.cat(paths, on_error="return")
        out = []
        for path in paths:
            value = found.get(path)
            if isinstance(value, (FileNotFoundError, IsADirectoryError)):
                value = None
            elif isinstance(value, BaseException):
                raise value
            out.append(value)
        return out

    def _bounded_write(self, op: str, key: str, method, *args, nbytes: int = 0):
        """Call a write method of ``self.fs`` under :func:`write_deadline` (if the fs is async)."""
        deadline = write_deadline(self.fs, nbytes)
        if deadline is None:
            return method(*args)
        from fsspec.exceptions import FSTimeoutError

        try:
            # fsspec's sync() cancels the coroutine when the deadline passes, so the
            # abandoned request is not left running on fsspec's loop.
            return method(*args, timeout=deadline)
        except FSTimeoutError as err:
            raise StoreIOError(f"no answer from the server within {deadline:.0f} s (write deadline)",
                               url=self.url, key=key, op=op) from err

    def _set(self, key: str, value: bytes) -> None:
        self._bounded_write("set", key, self.fs.pipe_file, self._full(key), value, nbytes=len(value))

    def _set_if_absent(self, key: str, value: bytes) -> bool:
        if self._exists(key):
            return False
        self._set(key, value)
        return True

    def _delete(self, key: str) -> None:
        try:
            self._bounded_write("delete", key, self.fs.rm_file, self._full(key))
        except FileNotFoundError:
            pass

    def zarr_store(self):
        from zarr.storage import FsspecStore as ZarrFsspecStore

        if self._zarr_url is None:
            return super().zarr_store()
        so = {k: v for k, v in self._storage_options.items() if k != "skip_instance_cache"}
        return ZarrFsspecStore.from_url(self._zarr_url, storage_options=so or None, read_only=self.read_only)
