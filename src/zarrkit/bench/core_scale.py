"""Scale benchmark (issue 14, item 5): throughput and peak memory of the core from N = 4096 up.

For each image side N and each zarrkit backend, the workloads of ``zarrkit bench core`` run
band by band, as a pipeline producing or consuming a large image would run them:

  a-write / b-write   write the N x N uint16 image (a: 512² zstd chunks; b: 4096² shards of
                      256² inner chunks) one band of 4096 rows at a time
  a-read / b-read     read it back the same way, into one reused band buffer

Each (N, backend, workload) runs in its own process, so its peak resident memory
(``VmHWM``) is its own.  The band and the data it is cut from are allocated before the
baseline is taken; ``extra`` is the peak above that baseline, what the engine itself needs.
The bound it is held to is a few shards: four decoded shards of 4096² uint16 (128 MiB),
whatever N is.  Throughput should be flat in N: a larger image is only more bands.

    zarrkit bench core --scale 4096,8192,16384 --reps 3
    python -m zarrkit.bench.core_scale --sizes 4096,8192 --reps 3

The bands are tiles of one 4096² microscopy-like image (``microscopy``), shifted per band,
so the compressed size per chunk matches the main benchmark's.  At N = 16384 an array is
512 MiB, and each child writes or reads it ``reps + 1`` times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

__all__ = ["BAND", "band_source", "main", "run_scale"]

BAND = 4096  # rows per band: one row of 4096² shards
WORKLOADS = ["a-write", "b-write", "a-read", "b-read"]
BACKENDS = ["python", "zarrs"]
_ZSTD3 = [{"name": "zstd", "configuration": {"level": 3, "checksum": False}}]


def band_source(n: int, tile: np.ndarray, index: int, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (``BAND`` x ``n``) with band ``index``: the tile repeated across, rolled per band.

    Example:
        >>> tile = np.arange(16, dtype="u2").reshape(4, 4)
        >>> band_source(8, tile, 1, np.empty((4, 8), "u2"))[0].tolist()
        [3, 0, 1, 2, 3, 0, 1, 2]
    """
    side = tile.shape[1]
    rolled = np.roll(tile, index * 97 % side, axis=1) if index else tile
    for x in range(0, n, side):
        out[:, x:x + side] = rolled[:, : n - x]
    return out


def _status_kib(field: str) -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (its peak) of this process, in KiB.

    ``VmHWM`` belongs to this process image alone; ``ru_maxrss`` would also carry the
    parent's peak across ``fork`` + ``exec``.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def child(backend: str, workload: str, root: str, n: int, reps: int) -> dict:
    """One (backend, workload) at side ``n``: seconds and CPU per whole-image pass, memory."""
    from zarrkit import core
    from zarrkit.core.backends import zarrs as _zarrs  # noqa: F401 - its import is not the write's memory
    from zarrkit.storage import open_store

    letter = workload[0]
    path = os.path.join(root, f"{backend}-{letter}.zarr")
    band_rows = min(BAND, n)
    tile = np.load(os.path.join(root, "tile.npy"))[:band_rows, :band_rows]  # made by the parent: its temporaries
    band = np.zeros((band_rows, n), dtype=np.uint16)
    band[...] = 1  # resident before the baseline: the band is the caller's memory, not the engine's
    if workload.endswith("write"):
        shards = {"shards": (min(4096, n),) * 2} if letter == "b" else {}
        chunks = (256, 256) if letter == "b" else (512, 512)
        meta = core.create_array(open_store(path, mode="w", overwrite=True), "",
                                 core.array_metadata((n, n), "uint16", chunks, compressors=_ZSTD3, **shards),
                                 overwrite=True)
    store = open_store(path, mode="r+" if workload.endswith("write") else "r")
    meta = core.read_metadata(store, "")
    baseline = _status_kib("VmRSS")

    def one_pass() -> tuple[float, float]:
        wall = cpu = 0.0
        for i, r0 in enumerate(range(0, n, band_rows)):
            box = (slice(r0, r0 + band_rows), slice(None))
            if workload.endswith("write"):
                band_source(n, tile, i, band)  # not timed: the producer's work
                c0, t0 = time.process_time(), time.perf_counter()
                core.write_region(store, "", box, band, metadata=meta, backend=backend)
            else:
                c0, t0 = time.process_time(), time.perf_counter()
                core.read_region(store, "", box, metadata=meta, backend=backend, out=band)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
        return wall, cpu

    one_pass()  # warm-up (a write pass also creates every file once)
    passes = [one_pass() for _ in range(reps)]
    peak = _status_kib("VmHWM")
    return {"wall": [p[0] for p in passes], "cpu": [p[1] for p in passes],
            "baseline_mib": baseline / 1024, "peak_mib": peak / 1024}


def run_scale(sizes: list[int], reps: int, *, workdir: str | None = None,
              backends: list[str] | None = None, workloads: list[str] | None = None) -> list[dict]:
    """Run every (size, backend, workload) in its own process; return one row each.

    Example:
        >>> rows = run_scale([512], 1, backends=["python"], workloads=["a-write"])  # doctest: +SKIP
        >>> rows[0]["mb_s"] > 0                                                    # doctest: +SKIP
        True
    """
    rows = []
    if workdir:
        os.makedirs(workdir, exist_ok=True)
    backends = backends or [b for b in BACKENDS if b != "zarrs" or _has_zarrista()]
    for n in sizes:
        root = tempfile.mkdtemp(prefix=f"zarrkit-scale-{n}-", dir=workdir)
        try:
            from zarrkit.bench.core_workloads import microscopy

            # the source tile is made here: generating it needs 8 bytes a pixel of scratch,
            # which would otherwise count in the children's peak memory
            np.save(os.path.join(root, "tile.npy"), microscopy(min(BAND, n)))
            for backend in backends:
                for workload in workloads or WORKLOADS:
                    cmd = [sys.executable, "-m", "zarrkit.bench.core_scale", "--child", backend, workload, root,
                           "--sizes", str(n), "--reps", str(reps)]
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    row = {"n": n, "backend": backend, "workload": workload}
                    if done.returncode != 0:
                        row["error"] = (done.stderr.strip().splitlines() or ["?"])[-1][:100]
                    else:
                        got = json.loads(done.stdout.strip().splitlines()[-1])
                        wall, cpu = statistics.median(got["wall"]), statistics.median(got["cpu"])
                        mb = n * n * 2 / 1e6
                        row.update(mb_s=mb / wall, cpu_s_gb=cpu / (mb / 1e3), baseline_mib=got["baseline_mib"],
                                   peak_mib=got["peak_mib"], extra_mib=got["peak_mib"] - got["baseline_mib"])
                    rows.append(row)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return rows


def _has_zarrista() -> bool:
    try:
        import zarrista  # noqa: F401
    except ImportError:
        return False
    return True


def print_scale(rows: list[dict], reps: int) -> None:
    """The table: throughput, CPU-s/GB and memory per size, backend and workload."""
    print(f"\nscale: medians of {reps} whole-image passes in bands of {BAND} rows, each (size, backend, workload) "
          "in its own process")
    print("extra = peak RSS above the baseline (interpreter, zarrkit, the source tile and the band already allocated);"
          " bound: 4 decoded 4096² shards = 128 MiB")
    print(f"{'N':>6} {'backend':8} {'workload':9} {'MB/s':>8} {'CPU-s/GB':>9} {'baseline':>9} {'peak':>8} {'extra':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['n']:>6} {r['backend']:8} {r['workload']:9} failed: {r['error']}")
            continue
        print(f"{r['n']:>6} {r['backend']:8} {r['workload']:9} {r['mb_s']:8.0f} {r['cpu_s_gb']:9.2f} "
              f"{r['baseline_mib']:7.0f}Mi {r['peak_mib']:6.0f}Mi {r['extra_mib']:6.0f}Mi")
    by = {}
    for r in rows:
        if "error" not in r:
            by.setdefault((r["backend"], r["workload"]), []).append(r)
    flat = [(k, min(v, key=lambda r: r["n"]), max(v, key=lambda r: r["n"])) for k, v in by.items() if len(v) > 1]
    if flat:
        print("throughput at the largest N / at the smallest (1.00 = flat):")
        for (backend, workload), small, large in flat:
            print(f"  {backend:8} {workload:9} {large['mb_s'] / small['mb_s']:.2f}  (N {small['n']} -> {large['n']})")


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark from command-line arguments; return the exit code.

    Example:
        >>> main(["--sizes", "512", "--reps", "1"])  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(prog="python -m zarrkit.bench.core_scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="4096,8192,16384", help="comma-separated image sides (multiples of 512)")
    parser.add_argument("--reps", type=int, default=3, help="timed whole-image passes per child, after a warm-up")
    parser.add_argument("--backends", default=None, help="comma-separated (default: python, and zarrs if installed)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated (default: all)")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folders go")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "WORKLOAD", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        print(json.dumps(child(*args.child, sizes[0], args.reps)))
        return 0
    if any(n < 512 or n % 512 for n in sizes):
        parser.error(f"--sizes must be positive multiples of 512, got {args.sizes}")
    rows = run_scale(sizes, args.reps, workdir=args.dir,
                     backends=args.backends.split(",") if args.backends else None, workloads=args.workloads.split(","))
    print_scale(rows, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
