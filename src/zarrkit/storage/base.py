"""The synchronous byte-store protocol every zarrkit store implements.

:class:`ByteStore` holds everything the backends share, so each backend only fills in a
handful of private primitives (``_get``, ``_set``, ``_list_prefix``...).  The public
methods add, in one place: key checks before any I/O, read-only refusal, the broken-handle
rule after a failed write, the fork guard, translation of backend exceptions into zarrkit
errors that name the URL and key, and batches that cancel on the first failure.

Example:
    >>> from zarrkit.storage import open_store
    >>> store = open_store("memory://", mode="w")
    >>> store.set("a/zarr.json", b"{}")
    >>> store.get("a/zarr.json"), store.get("missing")
    (b'{}', None)
    >>> store.list_dir("")
    ['a/']
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from zarrkit.errors import (
    ForkedStoreError,
    ReadOnlyError,
    StoreBrokenError,
    StoreError,
    StoreIOError,
    StorePermissionError,
    UnsupportedOperationError,
    ZarrkitError,
)
from zarrkit.storage.keys import check_key, check_prefix
from zarrkit.storage.remote_checks import tidy

__all__ = ["ByteStore", "StoreSpec", "Transaction"]


@dataclass(frozen=True)
class StoreSpec:
    """How to reopen a store in another process: what ``open_store`` was given."""

    target: str
    mode: str
    backend: str | None = None
    options: Mapping[str, Any] | None = None
    backend_options: Mapping[str, Any] | None = None
    ref: str | None = None


@dataclass
class Transaction:
    """Handle yielded by :meth:`ByteStore.transaction`; ``snapshot_id`` is set on icechunk commits."""

    message: str
    snapshot_id: str | None = None


_LIVE_STORES: "weakref.WeakSet[ByteStore]" = weakref.WeakSet()


def _mark_forked() -> None:
    for store in list(_LIVE_STORES):
        store._forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_mark_forked)


class ByteStore:
    """Base of every zarrkit store: the synchronous byte protocol plus lifecycle.

    Subclasses set ``kind`` and implement ``_get``, ``_get_range``, ``_set``,
    ``_set_if_absent``, ``_delete``, ``_exists``, ``_list_prefix`` and ``_list_dir``;
    they may override ``_get_many`` / ``_set_many`` / ``_delete_prefix`` / ``_translate``.
    """

    kind: str = "abstract"
    supports_deletes: bool = True
    supports_listing: bool = True
    supports_conditional_create: bool = True
    io_threads: int = 8

    def __init__(self, *, url: str, read_only: bool, spec: StoreSpec | None = None) -> None:
        self.url = url
        self.read_only = read_only
        self._spec = spec
        self._broken: StoreError | None = None
        self._forked = False
        self._closed = False
        self._writes = 0
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        _LIVE_STORES.add(self)

    # ------------------------------------------------------------------ identity
    @property
    def identity(self) -> tuple:
        """A hashable key naming the data this handle sees (used by the core's caches)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        mode = "r" if self.read_only else "rw"
        return f"<{type(self).__name__} {self.url} ({mode})>"

    # ------------------------------------------------------------------ guards
    def _usable(self) -> None:
        if self._forked:
            raise ForkedStoreError(
                "this store was opened before fork(); open it again in the child (zarrkit uses spawn)",
                url=self.url,
            )
        if self._closed:
            raise StoreError("the store is closed", url=self.url)
        if self._broken is not None:
            raise StoreBrokenError(
                f"an earlier write failed ({self._broken}); reopen the store to continue", url=self.url
            )

    def _writable(self, op: str, key: str | None) -> None:
        self._usable()
        if self.read_only:
            raise ReadOnlyError("the store is open read-only", url=self.url, key=key, op=op)

    def _translate(self, op: str, key: str | None, err: BaseException) -> StoreError:
        """Map a backend exception to a zarrkit error. Backends refine this."""
        if isinstance(err, PermissionError):
            return StorePermissionError(tidy(str(err)) or "permission denied", url=self.url, key=key, op=op)
        return StoreIOError(tidy(f"{type(err).__name__}: {err}"), url=self.url, key=key, op=op)

    def _fail(self, op: str, key: str | None, err: BaseException, *, write: bool) -> StoreError:
        zerr = err if isinstance(err, StoreError) else self._translate(op, key, err)
        if write and isinstance(zerr, (StoreIOError, StorePermissionError)) and self._broken is None:
            self._broken = zerr
        return zerr

    # ------------------------------------------------------------------ reads
    def get(self, key: str) -> bytes | None:
        """Return the whole object at ``key``, or ``None`` if it does not exist.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("k", b"v"); s.get("k")
            b'v'
        """
        self._usable()
        check_key(key, url=self.url)
        try:
            return self._get(key)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("get", key, err, write=False) from err

    def get_range(self, key: str, start: int, length: int | None = None) -> bytes | None:
        """Read part of an object: ``length`` bytes from ``start``, or the last ``-start`` bytes.

        A range past the end returns what exists (callers check the length); ``length == 0``
        returns ``b""`` without I/O; a missing object is ``None``.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("k", b"0123456789")
            >>> s.get_range("k", 2, 3), s.get_range("k", -4), s.get_range("k", 8, 100)
            (b'234', b'6789', b'89')
        """
        self._usable()
        check_key(key, url=self.url)
        if start < 0 and length is not None:
            raise ValueError("a suffix range (start < 0) takes no length")
        if length is not None and length < 0:
            raise ValueError("length must be >= 0")
        if length == 0:
            return b""
        try:
            return self._get_range(key, start, length)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("get_range", key, err, write=False) from err

    def exists(self, key: str) -> bool:
        """True if an object is stored at ``key`` (a bare prefix is not an object)."""
        self._usable()
        check_key(key, url=self.url)
        try:
            return self._exists(key)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("exists", key, err, write=False) from err

    def list_prefix(self, prefix: str = "") -> Iterator[str]:
        """Every key below ``prefix`` (``""`` or ending ``/``), recursively, in no set order."""
        self._usable()
        check_prefix(prefix, url=self.url)
        self._need_listing(prefix)
        try:
            yield from self._list_prefix(prefix)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("list", prefix, err, write=False) from err

    def list_sizes(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """``(key, size in bytes)`` for every object below ``prefix``; used for storage reports.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("a/b", b"xyz")
            >>> list(s.list_sizes("a/"))
            [('a/b', 3)]
        """
        self._usable()
        check_prefix(prefix, url=self.url)
        self._need_listing(prefix)
        try:
            yield from self._list_sizes(prefix)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("list", prefix, err, write=False) from err

    def list_dir(self, prefix: str = "") -> list[str]:
        """Immediate children of ``prefix``, sorted; sub-prefixes end with ``/``.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("g/a/zarr.json", b"{}"); s.set("g/zarr.json", b"{}")
            >>> s.list_dir("g/")
            ['a/', 'zarr.json']
        """
        self._usable()
        check_prefix(prefix, url=self.url)
        self._need_listing(prefix)
        try:
            return sorted(self._list_dir(prefix))
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("list_dir", prefix, err, write=False) from err

    def _need_listing(self, prefix: str) -> None:
        if not self.supports_listing:
            raise UnsupportedOperationError(
                "this store cannot list; use consolidated metadata", url=self.url, key=prefix, op="list"
            )

    def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """Fetch several objects at once (on the store's I/O pool); results follow ``keys``.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("a", b"1")
            >>> s.get_many(["a", "b"])
            [b'1', None]
        """
        self._usable()
        keys = list(keys)
        for key in keys:
            check_key(key, url=self.url)
        try:
            return self._get_many(keys)
        except ZarrkitError:
            raise
        except Exception as err:
            raise self._fail("get_many", None, err, write=False) from err

    # ------------------------------------------------------------------ writes
    def set(self, key: str, value: bytes) -> None:
        """Store ``value`` at ``key`` as one whole object (readers see old or new, never half).

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w"); s.set("a/b", b"x"); s.exists("a/b")
            True
        """
        self._writable("set", key)
        check_key(key, url=self.url)
        self._writes += 1
        try:
            self._set(key, bytes(value) if not isinstance(value, bytes) else value)
        except ZarrkitError as err:
            self._fail("set", key, err, write=True)
            raise
        except Exception as err:
            raise self._fail("set", key, err, write=True) from err

    def set_if_absent(self, key: str, value: bytes) -> bool:
        """Create ``key`` only if nothing is there; ``False`` if it already existed.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w")
            >>> s.set_if_absent("lock", b"1"), s.set_if_absent("lock", b"2"), s.get("lock")
            (True, False, b'1')
        """
        self._writable("set_if_absent", key)
        check_key(key, url=self.url)
        self._writes += 1
        try:
            return self._set_if_absent(key, bytes(value))
        except ZarrkitError as err:
            self._fail("set_if_absent", key, err, write=True)
            raise
        except Exception as err:
            raise self._fail("set_if_absent", key, err, write=True) from err

    def set_many(self, items: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> None:
        """Write several objects; on the first failure cancel the rest, wait, then raise.

        No write outlives this call: when it returns or raises, nothing more will land.
        """
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        self._writable("set_many", None)
        for key, _ in pairs:
            check_key(key, url=self.url)
        self._writes += 1
        try:
            self._set_many(pairs)
        except ZarrkitError as err:
            self._fail("set_many", None, err, write=True)
            raise
        except Exception as err:
            raise self._fail("set_many", None, err, write=True) from err

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        self._writable("delete", key)
        check_key(key, url=self.url)
        self._need_deletes(key)
        self._writes += 1
        try:
            self._delete(key)
        except ZarrkitError as err:
            self._fail("delete", key, err, write=True)
            raise
        except Exception as err:
            raise self._fail("delete", key, err, write=True) from err

    def delete_prefix(self, prefix: str) -> int:
        """Remove everything under ``prefix`` (``""`` or ending ``/``); returns how many objects.

        Not atomic: if it fails part way, run it again to finish.
        """
        self._writable("delete_prefix", prefix)
        check_prefix(prefix, url=self.url)
        self._need_deletes(prefix)
        self._writes += 1
        try:
            return self._delete_prefix(prefix)
        except ZarrkitError as err:
            self._fail("delete_prefix", prefix, err, write=True)
            raise
        except Exception as err:
            raise self._fail("delete_prefix", prefix, err, write=True) from err

    def _need_deletes(self, key: str) -> None:
        if not self.supports_deletes:
            raise UnsupportedOperationError("this store cannot delete", url=self.url, key=key, op="delete")

    # ------------------------------------------------------------------ default batch paths
    def _get_many(self, keys: list[str]) -> list[bytes | None]:
        if len(keys) <= 1:
            return [self._get(k) for k in keys]
        return self._run_batch([(self._get, (k,)) for k in keys])

    def _set_many(self, pairs: list[tuple[str, bytes]]) -> None:
        if len(pairs) <= 1:
            for key, value in pairs:
                self._set(key, bytes(value))
            return
        self._run_batch([(self._set, (k, bytes(v))) for k, v in pairs])

    def _delete_prefix(self, prefix: str) -> int:
        keys = list(self._list_prefix(prefix))
        for key in keys:
            self._delete(key)
        return len(keys)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.io_threads, thread_name_prefix=f"zarrkit-{self.kind}")
            return self._pool

    def _run_batch(self, calls: list[tuple[Callable, tuple]]) -> list[Any]:
        """Run calls on the pool; on the first exception cancel queued ones, wait for running ones, raise."""
        pool = self._executor()
        futures: list[Future] = [pool.submit(fn, *args) for fn, args in calls]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f.done() and not f.cancelled() and f.exception()), None)
        if failed is not None:
            for f in pending:
                f.cancel()
            wait(pending)  # those already running finish before we report
            raise failed.exception()
        return [f.result() for f in futures]

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self, message: str = "", on_conflict: str = "raise") -> Iterator[Transaction]:
        """Group writes; plain stores promise that a successful block has finished every write.

        If the block raises after issuing writes, the handle is broken (see the spec's
        failure semantics): reopen to continue.  Icechunk stores commit on success and
        discard on error instead.

        Example:
            >>> from zarrkit.storage import open_store
            >>> s = open_store("memory://", mode="w")
            >>> with s.transaction("add a") as tx:
            ...     s.set("a", b"1")
            >>> tx.snapshot_id is None
            True
        """
        if on_conflict not in ("raise", "rebase"):
            raise ValueError("on_conflict is 'raise' or 'rebase'")
        self._usable()
        tx = Transaction(message)
        before = self._writes
        try:
            yield tx
        except BaseException as err:
            if self._writes != before and self._broken is None:
                self._broken = StoreIOError(
                    f"transaction {message!r} raised {type(err).__name__} after writing", url=self.url
                )
            raise
        tx.snapshot_id = self.commit(message, on_conflict=on_conflict)

    def commit(self, message: str = "", *, on_conflict: str = "raise") -> str | None:
        """Make writes durable; returns the snapshot id on icechunk, ``None`` on plain stores."""
        self._usable()
        return None

    def discard(self) -> None:
        """Drop uncommitted changes where the store can (icechunk, zip staging); else nothing."""

    # ------------------------------------------------------------------ zarr-python
    def zarr_store(self):
        """A ``zarr.abc.store.Store`` over the same data, read-only when this handle is."""
        from zarrkit.storage.zarr_adapter import ByteStoreZarrStore

        return ByteStoreZarrStore(self)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Release pools and files; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._close()

    def _close(self) -> None:
        pass

    def __enter__(self) -> "ByteStore":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            with contextlib.suppress(Exception):
                self.discard()
        self.close()

    def __reduce__(self):
        if self._spec is None:
            raise UnsupportedOperationError(
                "this store was built from an object and cannot be reopened in another process",
                url=self.url,
            )
        from zarrkit.storage.open import _reopen

        return (_reopen, (self._spec,))

    # ------------------------------------------------------------------ primitives
    def _get(self, key: str) -> bytes | None:
        raise NotImplementedError

    def _get_range(self, key: str, start: int, length: int | None) -> bytes | None:
        data = self._get(key)
        return None if data is None else self._get_range_of(data, start, length)

    @staticmethod
    def _get_range_of(data: bytes, start: int, length: int | None) -> bytes:
        """The ``get_range`` slice of an object already in memory."""
        if start < 0:
            return data[start:]
        return data[start : None if length is None else start + length]

    def _set(self, key: str, value: bytes) -> None:
        raise NotImplementedError

    def _set_if_absent(self, key: str, value: bytes) -> bool:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        raise NotImplementedError

    def _exists(self, key: str) -> bool:
        raise NotImplementedError

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        raise NotImplementedError

    def _list_sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        for key in self._list_prefix(prefix):
            data = self._get(key)
            if data is not None:
                yield key, len(data)

    def _list_dir(self, prefix: str) -> Iterable[str]:
        """Default: derive immediate children from the recursive listing."""
        children = set()
        n = len(prefix)
        for key in self._list_prefix(prefix):
            head, sep, _ = key[n:].partition("/")
            children.add(head + "/" if sep else head)
        return children


class ReadOnlyView(ByteStore):
    """A read-only window onto another zarrkit store (what ``open_store(store, "r")`` returns)."""

    def __init__(self, inner: ByteStore) -> None:
        super().__init__(url=inner.url, read_only=True, spec=None)
        self._inner = inner
        self.kind = inner.kind
        self.supports_listing = inner.supports_listing
        self.supports_deletes = inner.supports_deletes
        self.supports_conditional_create = inner.supports_conditional_create
        if inner._spec is not None:
            self._spec = StoreSpec(**{**inner._spec.__dict__, "mode": "r"})

    @property
    def identity(self) -> tuple:
        return self._inner.identity

    def _get(self, key):
        return self._inner.get(key)

    def _get_range(self, key, start, length):
        return self._inner.get_range(key, start, length)

    def _exists(self, key):
        return self._inner.exists(key)

    def _list_prefix(self, prefix):
        return self._inner.list_prefix(prefix)

    def _list_dir(self, prefix):
        return self._inner.list_dir(prefix)

    def _list_sizes(self, prefix):
        return self._inner.list_sizes(prefix)

    def _get_many(self, keys):
        return self._inner.get_many(keys)

    def zarr_store(self):
        zs = self._inner.zarr_store()
        return zs if zs.read_only else zs.with_read_only(True)
