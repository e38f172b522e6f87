"""Drive any zarr-python ``Store`` (and icechunk's) through the synchronous byte protocol.

Each call is one round trip to zarrkit's I/O loop; batches are one round trip for the
whole batch, run under an ``asyncio.TaskGroup`` so the first failure cancels the rest and
nothing keeps writing after the call returned.

Example:
    >>> import zarr.storage
    >>> from zarrkit.storage import open_store
    >>> s = open_store(zarr.storage.MemoryStore(), mode="a")
    >>> s.set("zarr.json", b"{}"); s.get("zarr.json"), s.kind
    (b'{}', 'adapter')
"""

from __future__ import annotations

import asyncio
from typing import Iterator

from zarrkit.storage.base import ByteStore, StoreSpec
from zarrkit.storage.loop import run


def _proto():
    from zarr.core.buffer import default_buffer_prototype

    return default_buffer_prototype()


def _buffer(value: bytes):
    from zarr.core.buffer import cpu

    return cpu.Buffer.from_bytes(value)


def _request(start: int, length: int | None):
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

    if start < 0:
        return SuffixByteRequest(-start)
    if length is None:
        return OffsetByteRequest(start)
    return RangeByteRequest(start, start + length)


class AsyncStoreAdapter(ByteStore):
    """Byte store over a zarr-python ``Store`` (its async methods run on the I/O loop)."""

    kind = "adapter"

    def __init__(self, zstore, *, url: str, read_only: bool, spec: StoreSpec | None = None) -> None:
        super().__init__(url=url, read_only=read_only, spec=spec)
        self._zstore = zstore
        self.supports_listing = bool(getattr(zstore, "supports_listing", True))
        self.supports_deletes = bool(getattr(zstore, "supports_deletes", True))
        self.supports_conditional_create = False

    @property
    def identity(self) -> tuple:
        return ("adapter", id(self._zstore))

    # ------------------------------------------------------------------ async bodies
    async def _aget(self, key: str, start: int | None = None, length: int | None = None):
        req = None if start is None else _request(start, length)
        try:
            buf = await self._zstore.get(key, _proto(), req)
        except FileNotFoundError:
            return None
        return None if buf is None else buf.to_bytes()

    async def _aset(self, key: str, value: bytes) -> None:
        await self._zstore.set(key, _buffer(value))

    async def _alist(self, it) -> list[str]:
        return [k async for k in it]

    async def _gather(self, coros) -> list:
        async with asyncio.TaskGroup() as group:  # first failure cancels the siblings
            tasks = [group.create_task(c) for c in coros]
        return [t.result() for t in tasks]

    # ------------------------------------------------------------------ primitives
    def _get(self, key):
        return run(self._aget(key))

    def _get_range(self, key, start, length):
        try:
            return run(self._aget(key, start, length))
        except (ValueError, OSError) as err:
            if "range" in str(err).lower() and self._exists(key):
                return b""
            raise

    def _exists(self, key):
        return bool(run(self._zstore.exists(key)))

    def _set(self, key, value):
        run(self._aset(key, value))

    def _set_if_absent(self, key, value):
        async def body():
            if await self._zstore.exists(key):
                return False
            await self._zstore.set_if_not_exists(key, _buffer(value))
            return True

        return run(body())

    def _delete(self, key):
        run(self._zstore.delete(key))

    def _list_prefix(self, prefix) -> Iterator[str]:
        return iter(run(self._alist(self._zstore.list_prefix(prefix))))

    def _get_many(self, keys):
        return run(self._gather([self._aget(k) for k in keys]))

    def _set_many(self, pairs):
        run(self._gather([self._aset(k, bytes(v)) for k, v in pairs]))

    def _delete_prefix(self, prefix):
        keys = list(self._list_prefix(prefix))
        run(self._gather([self._zstore.delete(k) for k in keys]))
        return len(keys)

    def zarr_store(self):
        zs = self._zstore
        if self.read_only and not zs.read_only:
            try:
                return zs.with_read_only(True)
            except NotImplementedError:
                pass
        return zs
