"""Local POSIX primitives the byte protocol has no words for: a lock on a directory, fsync,
a folder staged under a lock and moved into place with one ``rename``, and a sweep of the
staged folders whose writers died.

No lock files exist at any time: locks are ``flock``s on directory descriptors, so a crash
leaves none behind and nobody can unlink a lock others wait on.  ``rename(staged, target)``
is atomic onto a missing name or an empty directory and fails on a non-empty one, which
makes it an exclusive claim.

Example:
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp(); target = os.path.join(root, "done")
    >>> with StagedDir(os.path.join(root, ".staging"), "job") as st:
    ...     st.write({"a/data": b"1", "zarr.json": b"{}"})
    ...     st.publish(target)
    >>> sorted(os.listdir(target)), sweep_staged(os.path.join(root, ".staging"))
    (['a', 'zarr.json'], [])
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import uuid
from typing import Iterator, Mapping

from zarrkit.errors import ConcurrencyUnsupported, StorageResolutionError

__all__ = ["directory_lock", "check_local_locking", "fsync_dir", "write_file", "link_if_absent", "StagedDir",
           "sweep_staged"]

NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre")


def fsync_dir(path: str) -> None:
    """Make a directory's entries durable (after creating or renaming something in it).

    Example:
        >>> import tempfile; fsync_dir(tempfile.mkdtemp())
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: str, data: bytes, durable: bool = False) -> None:
    """Write a whole file, creating its folders; ``durable`` fsyncs it.

    Example:
        >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "a", "b")
        >>> write_file(p, b"x", durable=True); open(p, "rb").read()
        b'x'
    """
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())


def link_if_absent(path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless something is there (temp file + hard link: never
    half-written, never replacing).  True when this call created it.

    Example:
        >>> import tempfile; p = os.path.join(tempfile.mkdtemp(), "doc")
        >>> link_if_absent(p, b"1"), link_if_absent(p, b"2"), open(p, "rb").read()
        (True, False, b'1')
    """
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{uuid.uuid4().hex}")
    write_file(tmp, data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


@contextlib.contextmanager
def directory_lock(path: str) -> Iterator[None]:
    """``flock(LOCK_EX)`` on an ``O_RDONLY`` descriptor of the directory itself: a stable
    inode, and nothing is created.

    Example:
        >>> import tempfile; d = tempfile.mkdtemp()
        >>> with directory_lock(d):
        ...     os.listdir(d)
        []
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def check_local_locking(path: str) -> None:
    """Refuse flock-based coordination on network and FUSE file systems, where a flock may
    hold on one machine only (ConcurrencyUnsupported).

    Example:
        >>> import tempfile; check_local_locking(tempfile.mkdtemp())  # a local disk: accepted
    """
    real = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2 and (real == parts[1] or real.startswith(parts[1].rstrip("/") + "/")) \
                        and len(parts[1]) >= len(best):
                    best, fstype = parts[1], parts[2]
    except OSError:
        return  # no mount table (not Linux): trust the local file system
    if fstype in NETWORK_FS or fstype.startswith("fuse"):
        raise ConcurrencyUnsupported(f"flock coordination needs a local file system; {real} is on {fstype}",
                                     url=path)


class StagedDir:
    """A folder ``<root>/<name>-<uuid4>`` written under ``flock(LOCK_EX)``, then moved into
    place by :meth:`publish`.  ``device_of`` names a path the folder must share a device with
    (so the rename moves, never copies).  Leaving the block removes it unless published."""

    def __init__(self, root: str, name: str, *, durable: bool = False, device_of: str | None = None) -> None:
        self.root, self.name, self.durable, self.device_of = os.path.normpath(root), name, durable, device_of
        self.path = ""
        self._fd: int | None = None
        self.published = False

    def __enter__(self) -> "StagedDir":
        os.makedirs(self.root, exist_ok=True)
        if self.device_of is not None and os.stat(self.root).st_dev != os.stat(self.device_of).st_dev:
            raise StorageResolutionError(f"{self.root}: the staging folder is on another device than "
                                         f"{self.device_of}; rename would copy, not move")
        while True:
            self.path = os.path.join(self.root, f"{self.name}-{uuid.uuid4()}")
            try:
                os.mkdir(self.path)
            except FileNotFoundError:  # a sweeper removed the empty root: recreate it
                os.makedirs(self.root, exist_ok=True)
                continue
            self._fd = os.open(self.path, os.O_RDONLY)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            # A sweeper may have taken the folder between mkdir and flock: then start again.
            try:
                if os.path.samestat(os.stat(self.path), os.fstat(self._fd)):
                    return self
            except FileNotFoundError:
                pass
            self._unlock()

    def write(self, objects: Mapping[str, bytes], *, last: str = "zarr.json") -> None:
        """Write ``{relative key: bytes}``; the key ``last`` goes last."""
        for key in sorted(objects, key=lambda k: k == last):
            write_file(os.path.join(self.path, *key.split("/")), objects[key], self.durable)
        if self.durable:
            for dirpath, _dirs, _files in os.walk(self.path, topdown=False):
                fsync_dir(dirpath)

    def publish(self, target: str, *, overwrite: bool = False) -> None:
        """Move the folder to ``target``; a non-empty ``target`` raises FileExistsError unless
        ``overwrite``, which swaps the old one out first (a reader may briefly miss it, but
        never sees a mix)."""
        trash = None
        if overwrite and os.path.isdir(target):
            trash = self.path + ".trash"
            try:
                os.rename(target, trash)
            except FileNotFoundError:
                trash = None  # another overwriter took it first; the rename below decides
        try:
            os.rename(self.path, target)
        except OSError as err:
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise FileExistsError(errno.EEXIST, "already exists", target) from None
            raise
        finally:
            if trash is not None:
                shutil.rmtree(trash, ignore_errors=True)
        self.published = True
        if self.durable:
            fsync_dir(os.path.dirname(target))

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __exit__(self, *exc) -> None:
        try:
            if not self.published:
                shutil.rmtree(self.path, ignore_errors=True)
        finally:
            self._unlock()


def sweep_staged(root: str) -> list[str]:
    """Delete every staged folder under ``root`` whose flock can be taken (its writer is gone);
    live writers' folders stay.  Returns the names removed; removes ``root`` once empty."""
    removed: list[str] = []
    if not os.path.isdir(root):
        return removed
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            if os.path.isfile(path):
                os.unlink(path)
                removed.append(name)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(name)
        finally:
            os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(root)
    return removed
