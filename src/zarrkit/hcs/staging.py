"""Local POSIX publishing (spec §3): stage a well under a directory flock, move it into place
with one ``rename``, lock the plate directory itself for incremental listings.

No lock files exist at any time: locks are ``flock``s on directory file descriptors, so
nothing is left behind by a crash and nobody can unlink a lock others wait on (the
anchor's mistake).  ``rename(staging, <plate>/<row>/<col>)`` is atomic onto a missing
name or an empty directory and fails on a non-empty one: it is the exclusive claim.

These helpers belong in ``zarrkit.storage`` (a local-store ``rename``/``lock``/``fsync``);
they live here until storage grows them.

Example:
    >>> import os, tempfile
    >>> plate = os.path.join(tempfile.mkdtemp(), "p.ome.zarr"); os.mkdir(plate)
    >>> ensure_row(plate, "B", b'{"zarr_format": 3, "node_type": "group"}')
    >>> with StagedWell(plate, "B/3") as st:
    ...     st.write({"zarr.json": b"{}"})
    ...     st.publish(os.path.join(plate, "B", "3"))
    >>> os.listdir(os.path.join(plate, "B", "3")), sweep(plate)
    (['zarr.json'], [])
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import uuid
from typing import Iterator, Mapping

from zarrkit.errors import ConcurrencyUnsupported, StorageResolutionError, WellExistsError

__all__ = ["StagedWell", "staging_root", "ensure_row", "remove_row", "plate_lock", "sweep", "check_local_locking"]

_NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre")


def staging_root(plate_dir: str) -> str:
    """``<plate>.staging``: beside the plate, so on its device (rename never copies)."""
    return os.path.normpath(plate_dir) + ".staging"


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: str, data: bytes, durable: bool) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())


class StagedWell:
    """A well being written in ``<plate>.staging/<row>-<col>-<uuid4>/`` under ``flock(LOCK_EX)``.

    Leaving the block removes the staging folder unless :meth:`publish` moved it away.
    """

    def __init__(self, plate_dir: str, well_path: str, *, durable: bool = False) -> None:
        self.plate_dir, self.well_path, self.durable = os.path.normpath(plate_dir), well_path, durable
        self.path = ""
        self._fd: int | None = None
        self.published = False

    def __enter__(self) -> "StagedWell":
        root = staging_root(self.plate_dir)
        os.makedirs(root, exist_ok=True)
        if os.stat(root).st_dev != os.stat(self.plate_dir).st_dev:
            raise StorageResolutionError(f"{root}: the staging folder is on another device than the plate "
                                         f"{self.plate_dir}; rename would copy, not move")
        while True:
            self.path = os.path.join(root, f"{self.well_path.replace('/', '-')}-{uuid.uuid4()}")
            try:
                os.mkdir(self.path)
            except FileNotFoundError:  # a sweeper removed the empty staging root: recreate it
                os.makedirs(root, exist_ok=True)
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

    def write(self, objects: Mapping[str, bytes]) -> None:
        """Write the well's objects; its own ``zarr.json`` goes last."""
        for key in sorted(objects, key=lambda k: k == "zarr.json"):
            _write_file(os.path.join(self.path, *key.split("/")), objects[key], self.durable)
        if self.durable:
            for dirpath, _dirs, _files in os.walk(self.path, topdown=False):
                _fsync_dir(dirpath)

    def publish(self, target: str, *, overwrite: bool = False) -> None:
        """Move the staged well to ``target``; an existing well raises WellExistsError
        unless ``overwrite``, which swaps the old well out as trash first."""
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
                raise WellExistsError(f"{self.plate_dir}: well {self.well_path!r} already exists "
                                      "(pass overwrite=True to replace it)") from None
            raise
        finally:
            if trash is not None:
                shutil.rmtree(trash, ignore_errors=True)
        self.published = True
        if self.durable:
            _fsync_dir(os.path.dirname(target))

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


def ensure_row(plate_dir: str, row: str, document: bytes) -> None:
    """Create the row group ``<plate>/<row>`` if absent, by temp folder + rename; racing
    creators write identical content, so losing the race is harmless."""
    target = os.path.join(plate_dir, row)
    if os.path.isfile(os.path.join(target, "zarr.json")):
        return
    tmp = os.path.join(staging_root(plate_dir), f"row-{row}-{uuid.uuid4()}")
    try:
        _write_file(os.path.join(tmp, "zarr.json"), document, False)
        os.rename(tmp, target)
    except FileNotFoundError:  # a sweeper took the unlocked temp folder: try again
        return ensure_row(plate_dir, row, document)
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isfile(os.path.join(target, "zarr.json")):  # a folder without its document
            _link_document(target, document)


def _link_document(target: str, document: bytes) -> None:
    """Give an existing folder its ``zarr.json`` unless it has one (temp file + hard link:
    never a half-written document, never replacing one)."""
    tmp_doc = os.path.join(target, f".zarr.json.{uuid.uuid4().hex}")
    _write_file(tmp_doc, document, False)
    try:
        os.link(tmp_doc, os.path.join(target, "zarr.json"))
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp_doc)


def remove_row(plate_dir: str, row: str, document: bytes) -> bool:
    """Remove an empty row group: its document, then the folder with ``rmdir`` (which fails on
    a folder a writer just renamed a well into: then the document is put back).  True when
    the row is gone."""
    target = os.path.join(plate_dir, row)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(target, "zarr.json"))
    try:
        os.rmdir(target)
    except FileNotFoundError:
        return True
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        _link_document(target, document)
        return False
    return True


def check_local_locking(plate_dir: str) -> None:
    """Refuse flock-based merging on network and FUSE file systems, where flock may be local only."""
    real = os.path.realpath(plate_dir)
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
    if fstype in _NETWORK_FS or fstype.startswith("fuse"):
        raise ConcurrencyUnsupported(f"incremental listing needs a local file system; {real} is on {fstype} "
                                     "(use listing='finalize')", url=plate_dir)


@contextlib.contextmanager
def plate_lock(plate_dir: str) -> Iterator[None]:
    """``flock(LOCK_EX)`` on an ``O_RDONLY`` descriptor of the plate directory itself: a
    stable inode, and nothing is created."""
    fd = os.open(plate_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def sweep(plate_dir: str) -> list[str]:
    """Delete every staging folder whose flock can be taken (its writer is gone); folders of
    live writers stay.  Returns the names removed; removes the staging root once empty."""
    root = staging_root(plate_dir)
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
