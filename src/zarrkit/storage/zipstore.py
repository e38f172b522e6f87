"""Zip archives (``.zip`` / ``.ozx``): read in place, written through a staging directory.

Reading parses the central directory once (one suffix read of the end record, ZIP64
aware) and then serves stored entries with positioned reads (``os.pread`` locally,
ranged GETs remotely); deflated entries are read whole.

Writing never edits a zip in place (rewritten keys would append duplicate entries).
A ``"w"`` store stages into ``<target>.zarrkit-staging-<random>``; ``commit()`` or a clean
``close()`` consolidates, packs into ``<target>.zarrkit-tmp`` and renames it onto the target.
The root ``zarr.json`` is the first entry, then the other metadata documents breadth first,
then chunks in key order; entries are stored uncompressed with fixed timestamps, so the same
content always packs to the same bytes.  An exception or ``discard()`` drops the staging
and leaves the target as it was.

Example:
    >>> import os, tempfile
    >>> from zarrkit.storage import open_store
    >>> path = os.path.join(tempfile.mkdtemp(), "demo.zip")
    >>> with open_store(path, mode="w") as s:
    ...     s.set("zarr.json", b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    ...     s.set("c/0", b"chunk")
    >>> open_store(path).get("c/0")
    b'chunk'
"""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from zarrkit.errors import (
    ContainsDataError,
    StoreError,
    StoreNotFoundError,
    UnsupportedOperationError,
)
from zarrkit.storage.base import ByteStore, StoreSpec
from zarrkit.storage.consolidated import consolidate_metadata, is_metadata_key
from zarrkit.storage.local import ROOT_DOCUMENTS, LocalStore

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class _Entry:
    method: int
    compressed: int
    size: int
    header_offset: int
    data_offset: int = -1


class _LocalSource:
    """Positioned reads from a local file, one descriptor for the store's lifetime."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        st = os.fstat(self.fd)
        self.size, self.mtime_ns = st.st_size, st.st_mtime_ns

    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self.fd, length, offset)

    def close(self) -> None:
        os.close(self.fd)


class _StoreSource:
    """Ranged reads of one object in another byte store (a zip in a bucket)."""

    def __init__(self, store: ByteStore, key: str) -> None:
        self.store, self.key = store, key

    def read(self, offset: int, length: int) -> bytes:
        return self.store.get_range(self.key, offset, length) or b""

    def suffix(self, n: int) -> bytes:
        data = self.store.get_range(self.key, -n)
        if data is None:
            raise StoreNotFoundError("no such zip file", url=self.store.url, key=self.key)
        return data

    def close(self) -> None:
        self.store.close()


def _read_directory(source, url: str) -> dict[str, _Entry]:
    """Parse the end record(s) and the central directory into name -> entry."""
    if isinstance(source, _LocalSource):
        tail_len = min(source.size, 22 + 65535 + 20)
        tail = source.read(source.size - tail_len, tail_len)
        tail_start = source.size - tail_len
    else:
        tail = source.suffix(22 + 65535 + 20)
        tail_start = None
    pos = tail.rfind(_EOCD)
    if pos < 0:
        raise StoreError("not a zip file (no end-of-central-directory record)", url=url)
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack("<4s4H2LH", tail[pos : pos + 22])
    loc = pos - 20
    if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR:
        (eocd64_offset,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
        rec = source.read(eocd64_offset, 56)
        if rec[:4] != _EOCD64:
            raise StoreError("corrupt ZIP64 end record", url=url)
        count, _, cd_size, cd_offset = struct.unpack("<4Q", rec[24:56])
    if tail_start is not None and cd_offset + cd_size <= tail_start + pos and cd_offset >= tail_start:
        cd = tail[cd_offset - tail_start : cd_offset - tail_start + cd_size]
    else:
        cd = source.read(cd_offset, cd_size)
    entries: dict[str, _Entry] = {}
    p = 0
    for _ in range(count):
        if cd[p : p + 4] != _CENTRAL:
            raise StoreError("corrupt central directory", url=url)
        (method,) = struct.unpack("<H", cd[p + 10 : p + 12])
        csize, usize = struct.unpack("<2L", cd[p + 20 : p + 28])
        nlen, xlen, clen = struct.unpack("<3H", cd[p + 28 : p + 34])
        (offset,) = struct.unpack("<L", cd[p + 42 : p + 46])
        name = cd[p + 46 : p + 46 + nlen].decode("utf-8")
        extra = cd[p + 46 + nlen : p + 46 + nlen + xlen]
        usize, csize, offset = _zip64_fields(extra, usize, csize, offset)
        p += 46 + nlen + xlen + clen
        if not name.endswith("/"):
            entries[name] = _Entry(method, csize, usize, offset)
    return entries


def _zip64_fields(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack("<2H", extra[i : i + 4])
        if tag == 0x0001:
            vals = list(struct.unpack(f"<{length // 8}Q", extra[i + 4 : i + 4 + (length // 8) * 8]))
            if usize == 0xFFFFFFFF:
                usize = vals.pop(0)
            if csize == 0xFFFFFFFF:
                csize = vals.pop(0)
            if offset == 0xFFFFFFFF:
                offset = vals.pop(0)
            break
        i += 4 + length
    return usize, csize, offset


class ZipReader(ByteStore):
    """Read-only byte store over a zip archive, local or in another byte store."""

    kind = "zip"
    supports_deletes = False
    supports_conditional_create = False

    def __init__(self, source, *, url: str, path: str | None = None, spec: StoreSpec | None = None) -> None:
        super().__init__(url=url, read_only=True, spec=spec)
        self._source = source
        self._path = path
        self._entries = _read_directory(source, url)
        self._lock = threading.Lock()

    @classmethod
    def open_local(cls, path: str, *, url: str, spec: StoreSpec | None = None) -> "ZipReader":
        """Open a zip file on the local disk for reading."""
        try:
            source = _LocalSource(path)
        except FileNotFoundError as err:
            raise StoreNotFoundError("no such zip file", url=url) from err
        return cls(source, url=url, path=path, spec=spec)

    @property
    def identity(self) -> tuple:
        if isinstance(self._source, _LocalSource):
            return ("zip", os.path.realpath(self._path), self._source.mtime_ns)
        return ("zip",) + tuple(self._source.store.identity) + (self._source.key,)

    def _data_offset(self, entry: _Entry) -> int:
        if entry.data_offset < 0:
            head = self._source.read(entry.header_offset, 30)
            if head[:4] != _LOCAL:
                raise StoreError("corrupt local file header", url=self.url)
            nlen, xlen = struct.unpack("<2H", head[26:30])
            entry.data_offset = entry.header_offset + 30 + nlen + xlen
        return entry.data_offset

    def _whole(self, entry: _Entry) -> bytes:
        raw = self._source.read(self._data_offset(entry), entry.compressed)
        if entry.method == zipfile.ZIP_STORED:
            return raw
        if entry.method == zipfile.ZIP_DEFLATED:
            return zlib.decompress(raw, -15)
        raise UnsupportedOperationError(f"zip compression method {entry.method} is not supported", url=self.url)

    def _get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        return None if entry is None else self._whole(entry)

    def _get_range(self, key: str, start: int, length: int | None) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if start < 0:
            start = max(0, entry.size + start)
            length = None
        end = entry.size if length is None else min(entry.size, start + length)
        if start >= end:
            return b""
        if entry.method != zipfile.ZIP_STORED:
            return self._whole(entry)[start:end]
        return self._source.read(self._data_offset(entry) + start, end - start)

    def _exists(self, key: str) -> bool:
        return key in self._entries

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        return iter([k for k in self._entries if k.startswith(prefix)])

    def _list_sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        return iter([(k, e.compressed) for k, e in self._entries.items() if k.startswith(prefix)])

    def zarr_store(self):
        if self._path is not None:
            from zarr.storage import ZipStore

            zs = ZipStore(self._path, mode="r")
            self._zarr_stores = getattr(self, "_zarr_stores", []) + [zs]
            return zs
        return super().zarr_store()

    def _close(self) -> None:
        for zs in getattr(self, "_zarr_stores", []):
            zs.close()
        self._source.close()


class ZipWriter(ByteStore):
    """A zip being built: writes land in a staging directory and are packed on commit."""

    kind = "zip"
    supports_conditional_create = True

    def __init__(self, path: str, *, url: str, overwrite: bool = False, comment: bytes | None = None,
                 spec: StoreSpec | None = None) -> None:
        super().__init__(url=url, read_only=False, spec=spec)
        self.path = path
        self._comment = comment
        if os.path.exists(path):
            if not overwrite:
                raise ContainsDataError("the zip file exists; pass overwrite=True to replace it", url=url)
            _require_zarr_zip(path, url)
        parent = os.path.dirname(path) or "."
        if os.path.exists(parent) and not os.path.isdir(parent):
            raise StoreNotFoundError("the folder for the zip file is a file", url=url)
        # Like a folder target, a zip target gets its missing parent folders.
        os.makedirs(parent, exist_ok=True)
        staging = f"{path}.zarrkit-staging-{secrets.token_hex(4)}"
        self._staging = LocalStore(staging, mode="w", url=url)
        self._dirty = False

    @property
    def identity(self) -> tuple:
        return ("zip-staging",) + self._staging.identity

    def __reduce__(self):
        raise UnsupportedOperationError("a zip being written cannot be shared with other processes", url=self.url)

    # reads and writes go to the staging directory
    def _get(self, key):
        return self._staging._get(key)

    def _get_range(self, key, start, length):
        return self._staging._get_range(key, start, length)

    def _exists(self, key):
        return self._staging._exists(key)

    def _list_prefix(self, prefix):
        return self._staging._list_prefix(prefix)

    def _list_dir(self, prefix):
        return self._staging._list_dir(prefix)

    def _list_sizes(self, prefix):
        return self._staging._list_sizes(prefix)

    def _set(self, key, value):
        self._dirty = True
        self._staging._set(key, value)

    def _set_if_absent(self, key, value):
        self._dirty = True
        return self._staging._set_if_absent(key, value)

    def _delete(self, key):
        self._dirty = True
        self._staging._delete(key)

    def _delete_prefix(self, prefix):
        self._dirty = True
        return self._staging._delete_prefix(prefix)

    def commit(self, message: str = "", *, on_conflict: str = "raise") -> None:
        """Consolidate and pack the staging directory onto the target (atomic rename)."""
        self._usable()
        consolidate_metadata(self._staging)
        pack_directory(self._staging, self.path, comment=self._comment)
        self._dirty = False
        return None

    def discard(self) -> None:
        """Drop everything staged; the target zip is left as it was."""
        self._dirty = False
        self._remove_staging()

    def _remove_staging(self) -> None:
        shutil.rmtree(self._staging.root, ignore_errors=True)

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self._dirty and self._broken is None and not self._forked:
                self.commit()
        finally:
            self._remove_staging()
            super().close()


def _require_zarr_zip(path: str, url: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile as err:
        raise ContainsDataError("the target exists and is not a zip file; refusing to replace it", url=url) from err
    if names and not names & set(ROOT_DOCUMENTS):
        raise ContainsDataError("the zip holds no Zarr root document; refusing to replace it", url=url)


def pack_order(keys: list[str]) -> list[str]:
    """Entry order: root ``zarr.json``, other metadata breadth first, then chunks by key.

    Example:
        >>> pack_order(["c/1", "a/zarr.json", "zarr.json", "a/c/0", "c/0"])
        ['zarr.json', 'a/zarr.json', 'a/c/0', 'c/0', 'c/1']
    """
    meta = sorted((k for k in keys if is_metadata_key(k)), key=lambda k: (k.count("/"), k))
    if "zarr.json" in meta:
        meta.remove("zarr.json")
        meta.insert(0, "zarr.json")
    chunks = sorted(k for k in keys if not is_metadata_key(k))
    return meta + chunks


def pack_directory(store: ByteStore, target: str, *, comment: bytes | None = None) -> None:
    """Write ``store``'s objects into a fresh zip at ``target``, replacing it atomically."""
    tmp = f"{target}.zarrkit-tmp"
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for key in pack_order(list(store.list_prefix(""))):
                info = zipfile.ZipInfo(key, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3
                info.external_attr = 0o644 << 16
                zf.writestr(info, store.get(key))
            if comment:
                zf.comment = comment
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
