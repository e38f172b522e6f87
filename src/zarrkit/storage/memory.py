"""Process-wide named in-memory stores (``memory://name/prefix``).

Reopening ``memory://name`` in the same process finds the same data, which makes memory
URLs usable across handles in tests and notebooks.  ``memory://`` alone gives a fresh,
unnamed store.  Memory stores cannot be sent to other processes.

Example:
    >>> from zarrkit.storage import open_store
    >>> a = open_store("memory://doc-example/run", mode="w")
    >>> a.set("zarr.json", b"{}")
    >>> open_store("memory://doc-example/run").get("zarr.json")
    b'{}'
"""

from __future__ import annotations

import itertools
import threading
from typing import Iterator

from zarrkit.errors import (
    ContainsDataError,
    StoreNotFoundError,
    UnsupportedOperationError,
)
from zarrkit.storage.base import ByteStore, StoreSpec

_REGISTRY: dict[str, "_Bucket"] = {}
_REGISTRY_LOCK = threading.Lock()
_ANON = itertools.count()


class _Bucket:
    """One named dict of objects and the lock that guards it."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.lock = threading.Lock()


def _bucket(name: str, create: bool) -> "_Bucket | None":
    with _REGISTRY_LOCK:
        bucket = _REGISTRY.get(name)
        if bucket is None and create:
            bucket = _REGISTRY[name] = _Bucket()
        return bucket


def forget(name: str) -> None:
    """Drop the named memory store (tests use this to free memory).

    Example:
        >>> forget("no-such-store")  # forgetting an unknown name is fine
    """
    with _REGISTRY_LOCK:
        _REGISTRY.pop(name, None)


class MemoryStore(ByteStore):
    """Byte store over a named, process-wide dict."""

    kind = "memory"

    def __init__(self, name: str = "", prefix: str = "", *, mode: str = "r",
                 overwrite: bool = False, spec: StoreSpec | None = None) -> None:
        anonymous = not name
        if anonymous:
            name = f"__anon{next(_ANON)}"
        url = "memory://" + ("" if anonymous else name) + (f"/{prefix}" if prefix else "")
        super().__init__(url=url, read_only=(mode == "r"), spec=None if anonymous else spec)
        self.name = name
        self._prefix = f"{prefix}/" if prefix else ""
        bucket = _bucket(name, create=mode in ("a", "w") or anonymous)
        if bucket is None:
            raise StoreNotFoundError("no memory store of this name in this process", url=url)
        self._bucket = bucket
        if mode == "w" and self._has_any():
            if not overwrite:
                raise ContainsDataError("the location is not empty; pass overwrite=True", url=url)
            self._drop_all()

    @property
    def identity(self) -> tuple:
        return ("memory", self.name, self._prefix)

    def __reduce__(self):
        raise UnsupportedOperationError(
            "memory stores live in one process; use a local or object-store URL for process or Dask work",
            url=self.url,
        )

    def _has_any(self) -> bool:
        p = self._prefix
        with self._bucket.lock:
            return any(k.startswith(p) for k in self._bucket.objects)

    def _drop_all(self) -> None:
        p = self._prefix
        with self._bucket.lock:
            for k in [k for k in self._bucket.objects if k.startswith(p)]:
                del self._bucket.objects[k]

    def _get(self, key: str) -> bytes | None:
        return self._bucket.objects.get(self._prefix + key)

    def _exists(self, key: str) -> bool:
        return (self._prefix + key) in self._bucket.objects

    def _set(self, key: str, value: bytes) -> None:
        self._bucket.objects[self._prefix + key] = value

    def _set_if_absent(self, key: str, value: bytes) -> bool:
        with self._bucket.lock:
            full = self._prefix + key
            if full in self._bucket.objects:
                return False
            self._bucket.objects[full] = value
            return True

    def _delete(self, key: str) -> None:
        self._bucket.objects.pop(self._prefix + key, None)

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        full = self._prefix + prefix
        n = len(self._prefix)
        with self._bucket.lock:
            keys = [k[n:] for k in self._bucket.objects if k.startswith(full)]
        return iter(keys)

    def _list_sizes(self, prefix: str):
        full = self._prefix + prefix
        n = len(self._prefix)
        with self._bucket.lock:
            return iter([(k[n:], len(v)) for k, v in self._bucket.objects.items() if k.startswith(full)])

    def _get_many(self, keys):
        objects = self._bucket.objects
        p = self._prefix
        return [objects.get(p + k) for k in keys]

    def _set_many(self, pairs):
        objects = self._bucket.objects
        p = self._prefix
        for k, v in pairs:
            objects[p + k] = bytes(v)
