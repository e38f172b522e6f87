"""Whole-object writes into a local directory at system-call cost: the write path of
:class:`zarrkit.storage.local.LocalStore`.

Each object goes to a temporary name in its own directory, opened ``O_CREAT | O_EXCL`` (a
name clash is never a silent overwrite), written with ``os.write`` and moved onto the
target with ``os.replace``, so a reader sees the old object or the new one, never a torn
one.  No fsync: like zarr-python's local store, durability across a power cut is the file
system's business.  Temporary names are ``.zarrkit-tmp.<process token><counter>.<name>``:
a random token per process and a counter, instead of fresh randomness per file.

A batch is cut into runs of objects (a few dozen small ones, or one large one) that a few
pool threads work through, instead of one future per object; on the first failure the
others stop before their next object.

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> write_object(d, "c0", b"abc"); open(os.path.join(d, "c0"), "rb").read()
    b'abc'
    >>> os.listdir(d)
    ['c0']
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
from typing import Callable, Sequence

__all__ = ["TMP_PREFIX", "temp_name", "write_temp", "write_object", "plan_runs", "run_in_pool"]

TMP_PREFIX = ".zarrkit-tmp."
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
RUN_OBJECTS = 64  # objects per pool task: amortises the future and the thread hand-off
RUN_BYTES = 4 << 20  # ...unless they are large, when fewer per task keep the threads busy

_token = {"pid": -1, "prefix": ""}
_counter = itertools.count()


def temp_name(name: str) -> str:
    """A fresh hidden temporary file name for ``name`` (unique within this process; a random
    per-process token keeps other processes apart, and ``O_EXCL`` catches the rest).

    Example:
        >>> a, b = temp_name("0"), temp_name("0")
        >>> a.startswith(TMP_PREFIX) and a.endswith(".0") and a != b
        True
    """
    pid = os.getpid()
    if _token["pid"] != pid:  # first use, or a forked child: never share the parent's names
        _token["prefix"] = f"{TMP_PREFIX}{secrets.token_hex(4)}{pid:x}-"
        _token["pid"] = pid
    return f"{_token['prefix']}{next(_counter):x}.{name}"


def write_temp(directory: str, name: str, value: bytes) -> str:
    """Write ``value`` to a new temporary file in ``directory`` and return its path; nothing is
    left behind when this raises.  ``FileNotFoundError`` means ``directory`` is missing.

    Example:
        >>> import tempfile; d = tempfile.mkdtemp()
        >>> p = write_temp(d, "x", b"12"); os.path.basename(p).startswith(TMP_PREFIX)
        True
    """
    for _ in range(8):
        tmp = os.path.join(directory, temp_name(name))
        try:
            fd = os.open(tmp, _FLAGS, 0o666)
            break
        except FileExistsError:  # a leftover of a crashed process that drew the same token
            continue
    else:
        raise FileExistsError(f"no free temporary name in {directory}")
    try:
        try:
            view = memoryview(value)
            while view:  # a regular file takes all of it at once; the loop is for > 2 GiB writes
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quiet(tmp)
        raise
    return tmp


def write_object(directory: str, name: str, value: bytes) -> None:
    """Replace ``directory/name`` with ``value`` atomically (temporary file, then rename).

    Example:
        >>> import tempfile; d = tempfile.mkdtemp()
        >>> write_object(d, "k", b"1"); write_object(d, "k", b"2"); open(os.path.join(d, "k"), "rb").read()
        b'2'
    """
    tmp = write_temp(directory, name, value)
    try:
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        _unlink_quiet(tmp)
        raise


def plan_runs(sizes: Sequence[int], *, objects: int = RUN_OBJECTS, nbytes: int = RUN_BYTES) -> list[range]:
    """Cut positions ``0..len(sizes)`` into consecutive runs of at most ``objects`` items and,
    past the first item, at most ``nbytes`` bytes.

    Example:
        >>> plan_runs([1] * 5, objects=2)
        [range(0, 2), range(2, 4), range(4, 5)]
        >>> plan_runs([10, 10, 10], nbytes=15)
        [range(0, 1), range(1, 2), range(2, 3)]
    """
    runs: list[range] = []
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= objects or total + size > nbytes):
            runs.append(range(start, i))
            start, total = i, 0
        total += size
    if start < len(sizes):
        runs.append(range(start, len(sizes)))
    return runs


def run_in_pool(pool, runs: list[range], work: Callable[[int], None], workers: int) -> None:
    """Call ``work(i)`` for every position of every run, on the calling thread and at most
    ``workers - 1`` pool threads taking runs in turn.  On the first exception the others stop before their next item;
    this returns (or raises that first exception) only when no call is running any more.

    Example:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> seen = []
        >>> with ThreadPoolExecutor(2) as pool:
        ...     run_in_pool(pool, plan_runs([1] * 5, objects=2), seen.append, 2)
        >>> sorted(seen)
        [0, 1, 2, 3, 4]
    """
    if not runs:
        return
    next_run = iter(runs).__next__
    lock = threading.Lock()
    failed: list[BaseException] = []

    def worker() -> None:
        while not failed:
            with lock:
                try:
                    run = next_run()
                except StopIteration:
                    return
            for i in run:
                if failed:
                    return
                try:
                    work(i)
                except BaseException as err:
                    failed.append(err)
                    return

    # The calling thread works too: one hand-off fewer, and a one-run batch needs no pool.
    futures = [pool.submit(worker) for _ in range(min(workers, len(runs)) - 1)]
    try:
        worker()
    finally:
        for f in futures:
            f.result()  # worker() records errors in ``failed`` instead of raising
    if failed:
        raise failed[0]


def _unlink_quiet(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
