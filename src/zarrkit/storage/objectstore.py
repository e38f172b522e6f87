"""Object stores (S3, GCS, Azure, HTTP) through obstore's synchronous functions.

obstore's sync calls run on its own Rust runtime, so there is no Python event loop per
request; batches go to a 16-thread pool.  Missing objects are ``None``; a network failure
after obstore's retries is a :class:`StoreIOError`, never "not found".

Example (needs a server, so shown rather than run)::

    from zarrkit.storage import open_store
    s = open_store("s3://bucket/run1", "a", options={"endpoint_url": "http://127.0.0.1:9000"})
    s.set("zarr.json", b"{}")
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


def _obstore():
    try:
        import obstore
        import obstore.exceptions
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise BackendUnavailableError(f"obstore is not installed; {INSTALL_HINT}") from err
    return obstore


def build_obstore(scheme: str, bucket: str, prefix: str, raw_url: str, opts: Mapping[str, Any],
                  backend_options: Mapping[str, Any] | None):
    """Construct the obstore store object for a remote URL from resolved options."""
    _obstore()
    from obstore.store import from_url

    from zarrkit.storage.url import to_obstore

    kw = to_obstore(opts, scheme)
    kw.update(backend_options or {})
    if scheme in ("http", "https"):
        return from_url(raw_url, **kw)
    base = {"gcs": "gs", "abfs": "az"}.get(scheme, scheme)
    url = f"{base}://{bucket}" + (f"/{prefix}" if prefix else "")
    return from_url(url, **kw)


class ObjectStoreStore(ByteStore):
    """Byte store over an obstore store object."""

    kind = "obstore"
    io_threads = 16

    def __init__(self, obj, *, url: str, mode: str = "r", overwrite: bool = False,
                 identity: tuple | None = None, listing: bool = True,
                 spec: StoreSpec | None = None) -> None:
        super().__init__(url=url, read_only=(mode == "r"), spec=spec)
        self._obs = _obstore()
        self._exc = self._obs.exceptions
        self.store = obj
        self.supports_listing = listing
        self.supports_deletes = listing
        self._identity = identity or ("obstore", id(obj))
        if listing:
            self._prepare(mode, overwrite)

    @property
    def identity(self) -> tuple:
        return self._identity

    def _prepare(self, mode: str, overwrite: bool) -> None:
        # One listing request proves the bucket exists and the credentials work.
        try:
            first = next(iter(self._obs.list(self.store, None, chunk_size=1)), [])
        except Exception as err:
            raise self._translate("open", None, err, missing_is_location=True) from err
        if mode == "w" and first:
            if not overwrite:
                raise ContainsDataError("the location is not empty; pass overwrite=True", url=self.url)
            if not any(self._exists(d) for d in ROOT_DOCUMENTS):
                raise ContainsDataError(
                    "refusing to clear a location that holds no Zarr root document", url=self.url
                )
            self._delete_prefix("")

    def _translate(self, op, key, err, *, missing_is_location: bool = False):
        exc = self._exc
        if missing_credentials(str(err)):
            return no_credentials_error(self.url, key=key, op=op, client="obstore")
        if isinstance(err, (exc.PermissionDeniedError, exc.UnauthenticatedError)):
            return StorePermissionError(f"access denied: {_short(err)}", url=self.url, key=key, op=op)
        if isinstance(err, exc.NotFoundError) or (missing_is_location and "NoSuchBucket" in str(err)):
            return StoreNotFoundError(f"bucket or location not found: {_short(err)}", url=self.url, key=key, op=op)
        if isinstance(err, FileNotFoundError):
            return StoreNotFoundError(f"not found: {_short(err)}", url=self.url, key=key, op=op)
        return StoreIOError(_short(err), url=self.url, key=key, op=op)

    # ------------------------------------------------------------------ reads
    def _get(self, key: str) -> bytes | None:
        try:
            return self._obs.get(self.store, key).bytes().to_bytes()
        except (self._exc.NotFoundError, FileNotFoundError):
            return None

    def _get_range(self, key: str, start: int, length: int | None) -> bytes | None:
        rng: Any = {"suffix": -start} if start < 0 else (
            {"offset": start} if length is None else (start, start + length)
        )
        try:
            return self._obs.get(self.store, key, options={"range": rng}).bytes().to_bytes()
        except (self._exc.NotFoundError, FileNotFoundError):
            return None
        except Exception as err:
            # A range starting at or past the end is "what exists": nothing.
            if "range" in str(err).lower() and self._exists(key):
                return b""
            raise

    def _exists(self, key: str) -> bool:
        try:
            self._obs.head(self.store, key)
            return True
        except (self._exc.NotFoundError, FileNotFoundError):
            return False

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        for batch in self._obs.list(self.store, prefix or None, chunk_size=1000):
            for meta in batch:
                yield meta["path"]

    def _list_sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        for batch in self._obs.list(self.store, prefix or None, chunk_size=1000):
            for meta in batch:
                yield meta["path"], meta["size"]

    def _list_dir(self, prefix: str) -> list[str]:
        res = self._obs.list_with_delimiter(self.store, prefix or None)
        n = len(prefix)
        out = [p[n:].rstrip("/") + "/" for p in res["common_prefixes"]]
        out += [m["path"][n:] for m in res["objects"]]
        return out

    # ------------------------------------------------------------------ writes
    def _set(self, key: str, value: bytes) -> None:
        self._obs.put(self.store, key, value, use_multipart=len(value) > 64 * 1024 * 1024)

    def _set_if_absent(self, key: str, value: bytes) -> bool:
        try:
            self._obs.put(self.store, key, value, mode="create")
            return True
        except (self._exc.AlreadyExistsError, self._exc.PreconditionError):
            return False

    def _delete(self, key: str) -> None:
        try:
            self._obs.delete(self.store, key)
        except (self._exc.NotFoundError, FileNotFoundError):
            pass

    def _delete_prefix(self, prefix: str) -> int:
        count = 0
        batch: list[str] = []
        for key in self._list_prefix(prefix):
            batch.append(key)
            if len(batch) == 1000:
                self._obs.delete(self.store, batch)
                count += len(batch)
                batch = []
        if batch:
            self._obs.delete(self.store, batch)
            count += len(batch)
        return count

    def zarr_store(self):
        from zarr.storage import ObjectStore

        return ObjectStore(self.store, read_only=self.read_only)


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    head = text[0] if text else type(err).__name__
    tail = next((line for line in reversed(text) if "retries" in line or "error" in line.lower()), "")
    msg = head if not tail or tail == head else f"{head} ... {tail.strip()}"
    return tidy(f"{type(err).__name__}: {msg[:400]}")
