"""Storage throughput: zarrkit's byte stores against zarr-python's own stores, same run.

Writes and reads N objects per backend (local disk, S3 over loopback through moto with
obstore and with fsspec) and prints the median of several runs and the ratio against
zarr-python's store for the same target (its async API driven the way zarr-python drives
it: one ``asyncio.gather`` per batch):

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

with zarr-python's store as the anchor.  Needs the test extra (moto, boto3) and the
remote extra (obstore, fsspec, s3fs).

    python benchmarks/storage.py [--objects 256] [--size 65536] [--runs 5]
    zarrkit bench storage --objects 16 --size 4096 --runs 1

``--small-local`` measures something else: the CPU (user + system, all threads) that one
``set_many`` of ``--objects`` (default there 8,192) small objects of 1 and 16 KiB into a fresh
local store costs per object, against a bare loop of the same system calls (``os.open``,
``os.write``, ``os.close``, ``os.replace``; the floor for temp-file-and-rename) and zarr-python's
``LocalStore``.  ``--dir`` puts the folders on the file system to measure (tmpfs shows the
library's own cost; a loaded disk adds its inode costs to all three alike).

The local objects go in a temporary folder that is removed, and the loopback server
stopped, when the run ends, however it ends.

Example:
    >>> build_parser().parse_args(["--objects", "64", "--small-local"]).objects
    64
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import resource
import shutil
import socket
import statistics
import tempfile
import time
import uuid

from zarrkit import progress
from zarrkit.bench import RATIO_RULE, format_speedup, median_seconds

__all__ = ["build_parser", "main"]


def _zarr_python_batch(zstore, items):
    from zarr.core.buffer import cpu, default_buffer_prototype
    from zarr.core.sync import sync

    async def put():
        await asyncio.gather(*(zstore.set(k, cpu.Buffer.from_bytes(v)) for k, v in items.items()))

    async def get():
        return await asyncio.gather(*(zstore.get(k, default_buffer_prototype()) for k in items))

    return (lambda: sync(put())), (lambda: sync(get()))


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of :func:`main`.

    Example:
        >>> build_parser().parse_args(["--runs", "1"]).runs
        1
    """
    parser = argparse.ArgumentParser(prog="zarrkit bench storage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=None, help="objects per batch (256; 8,192 with --small-local)")
    parser.add_argument("--size", type=int, default=64 * 1024, help="bytes per object (a multiple of 256)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per operation (no warm-up: writes overwrite)")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    parser.add_argument("--small-local", action="store_true",
                        help="CPU per object of set_many of small objects (1 and 16 KiB) into a local store")
    parser.add_argument("--dir", default=None, help="where --small-local makes its folders (default: the system's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the storage benchmark from command-line arguments; return the exit code.

    Example:
        >>> main(["--objects", "16", "--size", "4096", "--runs", "1"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)
    for flag, value in (("--objects", args.objects), ("--runs", args.runs), ("--size", args.size)):
        if value is not None and value < 1:
            raise SystemExit(f"error: {flag} must be a positive number, got {value}")
    if args.small_local:
        small_local(args.objects or 8192, args.runs, args.dir)
        return 0
    args.objects = args.objects or 256

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    tmp = tempfile.mkdtemp(prefix="zarrkit-storage-bench-")
    try:
        with progress.enabled(not args.no_progress):
            _measure(args, f"http://127.0.0.1:{port}", tmp)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _measure(args: argparse.Namespace, endpoint: str, tmp: str) -> None:
    import boto3

    from zarrkit.storage import open_store

    opts = {"endpoint_url": endpoint, "access_key_id": "testing", "secret_access_key": "testing"}
    bucket = f"bench-{uuid.uuid4().hex[:6]}"
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=bucket)

    payload = bytes(range(256)) * (args.size // 256)
    items = {f"arr/c/{i // 16}/{i % 16}": payload for i in range(args.objects)}
    mib = args.objects * len(payload) / 2**20
    cases = [
        ("local", f"{tmp}/zk", None, None),
        ("s3 obstore", f"s3://{bucket}/zk-obstore", opts, "obstore"),
        ("s3 fsspec", f"s3://{bucket}/zk-fsspec", opts, "fsspec"),
    ]
    print(f"{args.objects} objects x {len(payload) // 1024} KiB = {mib:.1f} MiB; median of {args.runs} runs")
    print(f"anchor = zarr-python's store for the same target; {RATIO_RULE}")
    print(f"{'backend':<12} {'op':<6} {'zarrkit MiB/s':>14} {'zarr-python MiB/s':>18} {'ratio':>7}")
    for name, url, options, backend in progress.track(cases, "Storage benchmark"):
        store = open_store(url, "a", options=options, backend=backend)
        zput, zget = _zarr_python_batch(store.zarr_store(), items)
        ours_w = median_seconds(functools.partial(store.set_many, items), args.runs, warmup=False)
        theirs_w = median_seconds(zput, args.runs, warmup=False)
        ours_r = median_seconds(functools.partial(store.get_many, list(items)), args.runs, warmup=False)
        theirs_r = median_seconds(zget, args.runs, warmup=False)
        for op, ours, theirs in (("write", ours_w, theirs_w), ("read", ours_r, theirs_r)):
            print(f"{name:<12} {op:<6} {mib / ours:>14.1f} {mib / theirs:>18.1f} {format_speedup(theirs, ours):>7}")


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)  # the whole process: pool threads included
    return use.ru_utime + use.ru_stime


def _bare_syscalls(root: str, items: dict[str, bytes]) -> None:
    made: set[str] = set()
    for i, (key, value) in enumerate(items.items()):
        directory, name = os.path.split(os.path.join(root, key))
        if directory not in made:
            os.makedirs(directory, exist_ok=True)
            made.add(directory)
        tmp = os.path.join(directory, f".t{i}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.write(fd, value)
        os.close(fd)
        os.replace(tmp, os.path.join(directory, name))


def small_local(objects: int = 8192, runs: int = 5, where: str | None = None) -> dict[tuple[str, int], float]:
    """Print and return the median CPU microseconds per object of writing ``objects`` small
    objects into a fresh folder each run: zarrkit's ``set_many``, a bare system-call loop and
    zarr-python's ``LocalStore``, interleaved so machine load hits all alike.

    Example:
        >>> cpu = small_local(64, 1)  # doctest: +SKIP
        >>> sorted(cpu)[0]  # doctest: +SKIP
        ('bare syscalls', 1024)
    """
    from zarrkit.storage import open_store

    def zarrkit_write(root, items):
        with open_store(root, "a") as store:
            store.set_many(items)

    def zarr_python_write(root, items):
        from zarr.storage import LocalStore

        _zarr_python_batch(LocalStore(root), items)[0]()

    writers = {"zarrkit": zarrkit_write, "bare syscalls": _bare_syscalls, "zarr-python": zarr_python_write}
    result: dict[tuple[str, int], float] = {}
    print(f"set_many of {objects} objects into a fresh local folder ({where or tempfile.gettempdir()}); "
          f"CPU = user + system of all threads, median of {runs} runs")
    print(f"{'size':>6} {'writer':<14} {'CPU us/object':>14} {'wall us/object':>15} {'vs bare':>8}")
    for size in (1024, 16 * 1024):
        payload = os.urandom(size)
        items = {f"arr/c/{i // 256}/{i // 16 % 16}/{i % 16}": payload for i in range(objects)}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in writers}
        for _ in range(runs):
            for name, write in writers.items():
                root = tempfile.mkdtemp(prefix="zarrkit-small-bench-", dir=where)
                try:
                    c0, t0 = _cpu(), time.perf_counter()
                    write(root, items)
                    samples[name].append((_cpu() - c0, time.perf_counter() - t0))
                finally:
                    shutil.rmtree(root, ignore_errors=True)
        floor = statistics.median(c for c, _ in samples["bare syscalls"])
        for name, got in samples.items():
            cpu, wall = statistics.median(c for c, _ in got), statistics.median(w for _, w in got)
            result[(name, size)] = cpu / objects * 1e6
            print(f"{size // 1024:>4}Ki {name:<14} {cpu / objects * 1e6:>14.1f} {wall / objects * 1e6:>15.1f} "
                  f"{cpu / floor if floor else float('nan'):>7.2f}x")
    return result


if __name__ == "__main__":
    raise SystemExit(main())
