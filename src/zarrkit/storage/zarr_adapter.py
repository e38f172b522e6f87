"""A zarr-python ``Store`` over any zarrkit byte store.

Used where zarr-python has no store of its own for the data: zarrkit's named memory stores
(zarr-python's ``memory://`` is fsspec's global file system, a different thing) and zips
that live in object stores.  Blocking calls run in worker threads so zarr-python's loop
keeps its concurrency; in-memory calls run inline.

Example:
    >>> import zarr
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://adapter-doc", mode="w")
    >>> arr = zarr.create_array(s.zarr_store(), shape=(4,), dtype="i2", chunks=(2,))
    >>> arr[:] = [1, 2, 3, 4]
    >>> sorted(s.list_prefix(""))
    ['c/0', 'c/1', 'zarr.json']
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Iterable

from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype


def _range(req: ByteRequest | None) -> tuple[int, int | None] | None:
    if req is None:
        return None
    if isinstance(req, RangeByteRequest):
        return req.start, req.end - req.start
    if isinstance(req, OffsetByteRequest):
        return req.offset, None
    if isinstance(req, SuffixByteRequest):
        return -req.suffix, None
    raise TypeError(f"unexpected byte request {req!r}")


class ByteStoreZarrStore(Store):
    """zarr-python view of a zarrkit :class:`~zarrkit.storage.base.ByteStore`."""

    supports_writes = True
    supports_deletes = True
    supports_partial_writes = False
    supports_listing = True

    def __init__(self, bytestore, *, read_only: bool | None = None) -> None:
        super().__init__(read_only=bytestore.read_only if read_only is None else read_only)
        self.bytestore = bytestore
        self._inline = bytestore.kind == "memory"
        self.supports_listing = bytestore.supports_listing

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ByteStoreZarrStore) and other.bytestore.identity == self.bytestore.identity

    def __repr__(self) -> str:
        return f"ByteStoreZarrStore({self.bytestore.url!r})"

    def with_read_only(self, read_only: bool = False) -> "ByteStoreZarrStore":
        return ByteStoreZarrStore(self.bytestore, read_only=read_only)

    async def _call(self, fn, *args):
        if self._inline:
            return fn(*args)
        return await asyncio.to_thread(fn, *args)

    async def get(self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None) -> Buffer | None:
        rng = _range(byte_range)
        if rng is None:
            data = await self._call(self.bytestore.get, key)
        else:
            data = await self._call(self.bytestore.get_range, key, rng[0], rng[1])
        return None if data is None else prototype.buffer.from_bytes(data)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return list(await asyncio.gather(*(self.get(k, prototype, r) for k, r in key_ranges)))

    async def exists(self, key: str) -> bool:
        return await self._call(self.bytestore.exists, key)

    async def set(self, key: str, value: Buffer) -> None:
        self._check_writable()
        await self._call(self.bytestore.set, key, value.to_bytes())

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        self._check_writable()
        await self._call(self.bytestore.set_if_absent, key, value.to_bytes())

    async def delete(self, key: str) -> None:
        self._check_writable()
        await self._call(self.bytestore.delete, key)

    async def delete_dir(self, prefix: str) -> None:
        self._check_writable()
        prefix = prefix.rstrip("/")
        await self._call(self.bytestore.delete_prefix, f"{prefix}/" if prefix else "")

    async def set_partial_values(self, key_start_values) -> None:
        raise NotImplementedError

    async def list(self) -> AsyncIterator[str]:
        for key in await self._call(lambda: list(self.bytestore.list_prefix(""))):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        # zarr-python passes prefixes with or without the trailing slash.
        p = prefix.rstrip("/")
        keys = await self._call(lambda: list(self.bytestore.list_prefix(f"{p}/" if p else "")))
        for key in keys:
            yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        p = prefix.rstrip("/")
        names = await self._call(self.bytestore.list_dir, f"{p}/" if p else "")
        for name in names:
            yield name.rstrip("/")
