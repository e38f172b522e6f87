"""Storage throughput: zarrkit's byte stores against zarr-python's own stores, same run.

Writes and reads N objects per backend (local disk, S3 over loopback through moto with
obstore and with fsspec) and prints the median of several runs and the ratio against
zarr-python's store for the same target (its async API driven the way zarr-python drives
it: one ``asyncio.gather`` per batch).  Ratios > 1 mean zarrkit is faster.

    python benchmarks/storage.py [--objects 256] [--size 65536] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
import uuid


def _median_time(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _zarr_python_batch(zstore, items):
    from zarr.core.buffer import cpu, default_buffer_prototype
    from zarr.core.sync import sync

    async def put():
        await asyncio.gather(*(zstore.set(k, cpu.Buffer.from_bytes(v)) for k, v in items.items()))

    async def get():
        return await asyncio.gather(*(zstore.get(k, default_buffer_prototype()) for k in items))

    return (lambda: sync(put())), (lambda: sync(get()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=256)
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request

    from zarrkit.storage import open_store

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    opts = {"endpoint_url": endpoint, "access_key_id": "testing", "secret_access_key": "testing"}
    bucket = f"bench-{uuid.uuid4().hex[:6]}"
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket=bucket)

    payload = bytes(range(256)) * (args.size // 256)
    items = {f"arr/c/{i // 16}/{i % 16}": payload for i in range(args.objects)}
    mib = args.objects * len(payload) / 2**20
    tmp = tempfile.mkdtemp()
    cases = [
        ("local", f"{tmp}/zk", None, None),
        ("s3 obstore", f"s3://{bucket}/zk-obstore", opts, "obstore"),
        ("s3 fsspec", f"s3://{bucket}/zk-fsspec", opts, "fsspec"),
    ]
    print(f"{args.objects} objects x {len(payload) // 1024} KiB = {mib:.1f} MiB; median of {args.runs} runs")
    print(f"{'backend':<12} {'op':<6} {'zarrkit MiB/s':>14} {'zarr-python MiB/s':>18} {'ratio':>7}")
    for name, url, options, backend in cases:
        store = open_store(url, "a", options=options, backend=backend)
        zput, zget = _zarr_python_batch(store.zarr_store(), items)
        ours_w = _median_time(lambda: store.set_many(items), args.runs)
        theirs_w = _median_time(zput, args.runs)
        ours_r = _median_time(lambda: store.get_many(list(items)), args.runs)
        theirs_r = _median_time(zget, args.runs)
        for op, ours, theirs in (("write", ours_w, theirs_w), ("read", ours_r, theirs_r)):
            print(f"{name:<12} {op:<6} {mib / ours:>14.1f} {mib / theirs:>18.1f} {theirs / ours:>6.2f}x")
    server.stop()


if __name__ == "__main__":
    main()
