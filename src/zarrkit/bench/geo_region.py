"""Geo region reads (spec geo.md §12): a dequantised ``side``² window, zarrkit against
zarr-python reading the same store, on local disk and on loopback S3 (a moto server in its
own process, so the server's CPU does not share the reader's GIL).

zarrkit reads with ``Mosaic.read_region`` (bbox in the zone's CRS, float32 ``q × scale`` with
NaN for no data); zarr-python reads ``embeddings[window]`` and ``scales[window]`` with its
defaults (fsspec/s3fs on S3) and dequantises with the same numpy expression.  Both results
are compared before any timing counts.  MB/s counts 10⁶ bytes of float32 output.

    ratio = zarr-python time / zarrkit time   (> 1: zarrkit is faster)

Example:
    >>> window_of((100, 200), 64)
    ((100, 164), (200, 264))
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import numpy as np

from zarrkit.bench import median_seconds

__all__ = ["RegionRow", "build_region_store", "measure_region", "window_of"]

RES = 10.0


@dataclass(frozen=True)
class RegionRow:
    """One region read: where, zarrkit and zarr-python medians (seconds), output bytes."""

    where: str
    zarrkit: float
    other: float
    nbytes: int


def window_of(origin: tuple[int, int], side: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Rows and columns of the ``side``² window at ``origin`` (row, col)."""
    return (origin[0], origin[0] + side), (origin[1], origin[1] + side)


def build_region_store(folder: str, side: int, bands: int, workers: int) -> tuple[str, tuple[int, int]]:
    """A zone store holding a ``side``² block of procedural tiles (4 × 4 of ``side / 4`` px);
    returns the build root and the block's top-left (row, col)."""
    from zarrkit import geo
    from zarrkit.bench.geo import MODEL, SOURCE, write_tiles
    from zarrkit.geo.grid import utm_zones

    tiles = os.path.join(folder, "region-tiles")
    os.makedirs(tiles, exist_ok=True)
    paths, origin = write_tiles(tiles, 16, side // 4, bands)  # four rows of four
    root = os.path.join(folder, "region")
    geo.build(paths, root, time="2024", scheme=utm_zones(res=RES), model=MODEL, source_data=SOURCE,
              executor="processes", workers=workers, progress=False, force=True)
    shutil.rmtree(tiles, ignore_errors=True)
    return root, origin


def _zarr_python_read(url: str, rows, cols, storage_options=None):
    import zarr

    kwargs = {"storage_options": storage_options} if storage_options else {}
    emb = zarr.open_array(url, path="utm31/embeddings", mode="r", **kwargs)
    scales = zarr.open_array(url, path="utm31/scales", mode="r", **kwargs)

    def read():
        q = emb[rows[0]:rows[1], cols[0]:cols[1]]
        s = scales[rows[0]:rows[1], cols[0]:cols[1]]
        return q.astype("f4") * np.where(np.isfinite(s), s, np.float32(np.nan))[..., None]
    return read


def _bbox(rows, cols) -> tuple[float, float, float, float]:
    from zarrkit.geo.grid import utm_zones

    ox, oy = utm_zones(res=RES).zone(31).origin
    return ox + cols[0] * RES, oy - rows[1] * RES, ox + cols[1] * RES, oy - rows[0] * RES


def _compare(ours: np.ndarray, theirs: np.ndarray, where: str) -> None:
    if ours.shape != theirs.shape or not np.array_equal(ours, theirs, equal_nan=True):
        raise AssertionError(f"region read on {where}: zarrkit and zarr-python disagree")


def measure_region(root: str, origin: tuple[int, int], side: int, reps: int, *, s3_side: int = 1024,
                   report=None) -> list[RegionRow]:
    """Time the ``side``² window locally and the ``s3_side``² window at the same corner on
    loopback S3 (0 skips it); the results are compared first.  zarr-python on moto makes one
    GET per inner chunk (a 4096² window of 8² chunks: ~280 000), minutes a read on this
    server, so its S3 read is timed once (after the comparison read) and the window is smaller.
    ``report(row)`` is called as each row is ready."""
    from zarrkit import geo

    rows, cols = window_of(origin, side)
    bbox = _bbox(rows, cols)
    store = os.path.join(root, "2024.zarr")
    out = []
    mosaic = geo.Mosaic(root, max_bytes=2**34)  # the window is the point: no iter_region
    theirs = _zarr_python_read(store, rows, cols)
    first = mosaic.read_region(bbox, crs="EPSG:32631", time="2024")
    _compare(first, theirs(), "local disk")
    nbytes = first.nbytes
    del first
    ours = median_seconds(lambda: mosaic.read_region(bbox, crs="EPSG:32631", time="2024"), reps)
    out.append(RegionRow(f"local disk, {side}^2", ours, median_seconds(theirs, reps), nbytes))
    if report:
        report(out[-1])
    if s3_side:
        rows, cols = window_of(origin, s3_side)
        out.append(_measure_s3(root, _bbox(rows, cols), rows, cols, reps))
        if report:
            report(out[-1])
    return out


def _measure_s3(root: str, bbox, rows, cols, reps: int) -> RegionRow:
    import boto3

    from zarrkit import geo

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_REGION="us-east-1")
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        _wait_for(client)
        bucket = f"geo-bench-{uuid.uuid4().hex[:6]}"
        client.create_bucket(Bucket=bucket)
        store = os.path.join(root, "2024.zarr")
        for dirpath, _, files in os.walk(store):
            for f in files:
                full = os.path.join(dirpath, f)
                client.upload_file(full, bucket, "region/2024.zarr/" + os.path.relpath(full, store).replace(os.sep, "/"))
        mosaic = geo.Mosaic(f"s3://{bucket}/region", max_bytes=2**34)
        theirs = _zarr_python_read(f"s3://{bucket}/region/2024.zarr", rows, cols,
                                   {"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
        ours = mosaic.read_region(bbox, crs="EPSG:32631", time="2024")
        _compare(ours, theirs(), "loopback S3")
        return RegionRow(f"loopback S3 (moto), {rows[1] - rows[0]}^2",
                         median_seconds(lambda: mosaic.read_region(bbox, crs="EPSG:32631", time="2024"), reps),
                         median_seconds(theirs, 1, warmup=False), ours.nbytes)
    finally:
        server.terminate()
        server.wait(timeout=30)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _wait_for(client, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.list_buckets()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
