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

The local objects go in a temporary folder that is removed, and the loopback server
stopped, when the run ends, however it ends.

Example:
    >>> build_parser().parse_args([]).objects
    256
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import shutil
import socket
import tempfile
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
    parser.add_argument("--objects", type=int, default=256, help="objects per batch")
    parser.add_argument("--size", type=int, default=64 * 1024, help="bytes per object (a multiple of 256)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per operation (no warm-up: writes overwrite)")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the storage benchmark from command-line arguments; return the exit code.

    Example:
        >>> main(["--objects", "16", "--size", "4096", "--runs", "1"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)

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


if __name__ == "__main__":
    raise SystemExit(main())
