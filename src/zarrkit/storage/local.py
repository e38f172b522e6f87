"""A directory on the local file system.

Writes go to a temporary file in the target's own directory followed by ``os.replace``,
so a reader sees the old object or the new one, never a torn one.  Temporary files are
named ``.zarrkit-tmp.<random>.<name>`` and hidden from listings.  Every resolved path must
lie under the resolved root: a symlink that leads out of the store is refused as an
escape, like ``..``.

Example:
    >>> import tempfile
    >>> from zarrkit.storage.local import LocalStore
    >>> root = tempfile.mkdtemp()
    >>> s = LocalStore(root, mode="w")
    >>> s.set("g/zarr.json", b"{}"); sorted(s.list_prefix(""))
    ['g/zarr.json']
"""

from __future__ import annotations

import os
import shutil
from typing import Iterator

from zarrkit.errors import (
    ContainsDataError,
    InvalidKeyError,
    StoreIOError,
    StoreNotFoundError,
    StorePermissionError,
)
from zarrkit.storage.base import ByteStore, StoreSpec
from zarrkit.storage.local_write import TMP_PREFIX, plan_runs, run_in_pool, write_object, write_temp

__all__ = ["LocalStore", "TMP_PREFIX"]
ROOT_DOCUMENTS = ("zarr.json", ".zgroup", ".zarray")
# Threads writing one batch (the caller included).  Local writes are system calls on this
# machine's CPUs: more threads than cores mostly add GIL hand-offs.
WRITE_WORKERS = max(2, min(8, os.cpu_count() or 2))


class LocalStore(ByteStore):
    """Byte store over a local directory (see module docstring for the guarantees)."""

    kind = "local"
    io_threads = min(32, (os.cpu_count() or 2) * 4)
    write_workers = WRITE_WORKERS

    def __init__(self, root: str, *, mode: str = "r", overwrite: bool = False,
                 url: str | None = None, spec: StoreSpec | None = None) -> None:
        root = os.path.abspath(os.path.expanduser(root))
        super().__init__(url=url or root, read_only=(mode == "r"), spec=spec)
        self.root = root
        self._prepare(mode, overwrite)
        self._real_root = os.path.realpath(root)
        self._checked_dirs: set[str] = {root}  # directories known to exist inside the root

    def _prepare(self, mode: str, overwrite: bool) -> None:
        exists = os.path.isdir(self.root)
        if os.path.exists(self.root) and not exists:
            raise StoreNotFoundError("the path exists but is not a directory", url=self.url)
        if mode in ("r", "r+"):
            if not exists:
                raise StoreNotFoundError("no such directory", url=self.url)
            return
        if mode == "a":
            os.makedirs(self.root, exist_ok=True)
            return
        # mode "w": the location must be empty, or cleared on request if it holds a Zarr root.
        if exists and os.listdir(self.root):
            has_root = any(os.path.isfile(os.path.join(self.root, d)) for d in ROOT_DOCUMENTS)
            if not overwrite:
                raise ContainsDataError(
                    "the directory is not empty; pass overwrite=True to replace a Zarr hierarchy",
                    url=self.url,
                )
            if not has_root:
                raise ContainsDataError(
                    "refusing to overwrite a folder that is not a Zarr hierarchy (it holds files but no "
                    "zarr.json, .zgroup or .zarray); choose a new or empty folder",
                    url=self.url,
                )
            for entry in os.scandir(self.root):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
        os.makedirs(self.root, exist_ok=True)

    @property
    def identity(self) -> tuple:
        return ("local", self._real_root)

    # ------------------------------------------------------------------ paths
    def _path(self, key: str) -> str:
        path = os.path.join(self.root, key)
        parent = os.path.dirname(path)
        if parent not in self._checked_dirs:
            self._check_contained(parent, key)
        return path

    def _check_contained(self, directory: str, key: str) -> None:
        # Resolve the deepest existing ancestor: a symlinked directory leading out of the
        # root is an escape even when the rest of the path does not exist yet.
        probe = directory
        while not os.path.exists(probe) and probe != self.root and len(probe) > len(self.root):
            probe = os.path.dirname(probe)
        real = os.path.realpath(probe)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise InvalidKeyError("resolves outside the store root (symlink?)", url=self.url, key=key)
        if os.path.isdir(directory):
            self._checked_dirs.add(directory)

    def _check_file(self, path: str, key: str) -> None:
        if os.path.islink(path):
            real = os.path.realpath(path)
            if not real.startswith(self._real_root + os.sep):
                raise InvalidKeyError("resolves outside the store root (symlink)", url=self.url, key=key)

    def _translate(self, op, key, err):
        if isinstance(err, PermissionError):
            return StorePermissionError(str(err), url=self.url, key=key, op=op)
        return StoreIOError(f"{type(err).__name__}: {err}", url=self.url, key=key, op=op)

    # ------------------------------------------------------------------ reads
    def _get(self, key: str) -> bytes | None:
        path = self._path(key)
        self._check_file(path, key)
        try:
            with open(path, "rb") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def _get_range(self, key: str, start: int, length: int | None) -> bytes | None:
        path = self._path(key)
        self._check_file(path, key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        try:
            if start >= 0 and length is not None:
                return os.pread(fd, length, start)
            size = os.fstat(fd).st_size
            if start < 0:
                start = max(0, size + start)
                length = size - start
            elif length is None:
                length = max(0, size - start)
            return os.pread(fd, length, start) if length else b""
        finally:
            os.close(fd)

    def _exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def _list_prefix(self, prefix: str) -> Iterator[str]:
        base = os.path.join(self.root, prefix) if prefix else self.root
        if not os.path.isdir(base):
            return
        for dirpath, _dirnames, filenames in os.walk(base, followlinks=False):
            rel = os.path.relpath(dirpath, self.root)
            rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in filenames:
                if not name.startswith(TMP_PREFIX):
                    yield rel + name

    def _list_sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        for key in self._list_prefix(prefix):
            try:
                yield key, os.stat(os.path.join(self.root, key)).st_size
            except FileNotFoundError:
                continue

    def _list_dir(self, prefix: str) -> list[str]:
        base = os.path.join(self.root, prefix) if prefix else self.root
        self._check_contained(base, prefix)
        try:
            entries = list(os.scandir(base))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [
            e.name + "/" if e.is_dir(follow_symlinks=False) else e.name
            for e in entries
            if not e.name.startswith(TMP_PREFIX)
        ]

    def _get_many(self, keys):
        # Local reads are fast syscalls; a pool only pays off for larger batches.
        if len(keys) < 8:
            return [self._get(k) for k in keys]
        return self._run_batch([(self._get, (k,)) for k in keys])

    # ------------------------------------------------------------------ writes
    def _set(self, key: str, value: bytes) -> None:
        self._set_many([(key, value)])

    def _set_many(self, pairs: list[tuple[str, bytes]]) -> None:
        # Everything is checked before the first byte lands, so a bad key leaves the store as
        # it was; then each missing directory is made once and the objects are written in runs.
        targets = [os.path.split(os.path.join(self.root, key)) for key, _ in pairs]
        firsts = {}
        for (directory, _), (key, _) in zip(targets, pairs):
            firsts.setdefault(directory, key)
        missing = self._plan_dirs(firsts)
        for (directory, name), (key, _) in zip(targets, pairs):
            if directory not in missing:  # a new directory holds no symlink to refuse
                self._check_file(os.path.join(directory, name), key)
        self._make_dirs(missing, firsts)
        values = [v if isinstance(v, bytes) else bytes(v) for _, v in pairs]

        def work(i: int) -> None:
            (directory, name), key = targets[i], pairs[i][0]
            try:
                try:
                    write_object(directory, name, values[i])
                except FileNotFoundError:  # the directory went away since it was checked
                    self._checked_dirs.discard(directory)
                    self._check_contained(directory, key)
                    os.makedirs(directory, exist_ok=True)
                    write_object(directory, name, values[i])
            except OSError as err:
                raise self._translate("set", key, err) from err

        runs = plan_runs([len(v) for v in values])
        pool = self._executor() if len(runs) > 1 else None
        run_in_pool(pool, runs, work, self.write_workers)

    def _plan_dirs(self, firsts: dict[str, str]) -> set[str]:
        """Check that every directory in ``firsts`` (directory -> a key written there) lies under
        the root; return those missing (their nearest existing ancestor is checked too)."""
        missing: set[str] = set()
        for directory, key in firsts.items():
            d, chain = directory, []
            while d not in self._checked_dirs and d not in missing:
                if d == self.root or os.path.lexists(d):
                    self._check_contained(d, key)
                    break
                chain.append(d)
                d = os.path.dirname(d)
            missing.update(chain)
        return missing

    def _make_dirs(self, missing: set[str], firsts: dict[str, str], *, replan: bool = True) -> None:
        # mkdir under a checked directory makes a real directory inside the root, so no
        # realpath is needed; a name someone else made meanwhile is checked like any other.
        for d in sorted(missing, key=len):
            key = firsts.get(d, d[len(self.root) + 1:])
            try:
                os.mkdir(d)
                self._checked_dirs.add(d)
            except FileExistsError:
                self._check_contained(d, key)
            except FileNotFoundError as err:
                # A parent this handle had seen was removed through another handle (a forced
                # rebuild, say): forget what it knew and plan the chain again, once.
                if not replan:
                    raise self._translate("set", key, err) from err
                self._checked_dirs.clear()
                self._checked_dirs.add(self.root)
                self._make_dirs(self._plan_dirs({d: key}), {d: key}, replan=False)
            except OSError as err:
                raise self._translate("set", key, err) from err

    def _set_if_absent(self, key: str, value: bytes) -> bool:
        path = self._path(key)
        directory, name = os.path.split(path)
        self._make_dirs(self._plan_dirs({directory: key}), {directory: key})
        tmp = write_temp(directory, name, value)
        try:
            os.link(tmp, path)  # atomic create-only: fails if the name exists
            return True
        except FileExistsError:
            return False
        finally:
            _unlink_quiet(tmp)

    def _delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError):
            pass

    def _delete_prefix(self, prefix: str) -> int:
        base = os.path.join(self.root, prefix) if prefix else self.root
        if os.path.islink(base.rstrip(os.sep)):
            os.unlink(base.rstrip(os.sep))  # never follow a symlink out of the root
            return 1
        count = 0
        if not os.path.isdir(base):
            return 0
        for dirpath, dirnames, filenames in os.walk(base, topdown=False, followlinks=False):
            for name in filenames:
                os.unlink(os.path.join(dirpath, name))
                count += 1
            for name in dirnames:
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    os.unlink(full)
                else:
                    os.rmdir(full)
        if prefix:
            os.rmdir(base)
        self._checked_dirs.clear()
        self._checked_dirs.add(self.root)
        return count

    def zarr_store(self):
        from zarr.storage import LocalStore as ZarrLocalStore

        return ZarrLocalStore(self.root, read_only=self.read_only)


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
