"""Core engine benchmark: zarrkit (python and zarrs backends) against zarr-python and tensorstore.

Workloads (same bytes for every library, spec core.md §13):

  a-read / a-write   uint16 N x N microscopy-like image, 512² chunks, bytes + zstd(3)
  b-read / b-write   the same in 4096² shards of 256² inner chunks (index at the end)
  c-point            int8 (N/8, N/8, 128) (at most 2048: the spec's), shards (256, 256, 128),
                     inner (4, 4, 128): random a[i, j, :] reads with Python ints; as many
                     bytes as the image
  c-point-np         the same with numpy integers (i, j taken from an index array), the
                     common case; zarrkit-auto (the default backend) runs these two only
  d-chunks           whole chunks of (a) through each library's lowest chunk call
  d-inner            inner chunks of (b) the same way

Each (workload, library) runs in its own subprocess: a warm-up, then the reps, over two
passes in opposite library order.  Every rep records its wall time, its own CPU time and
the machine's busy CPU; the first table reports medians over quiet reps (other processes
below 10% of the machine), the second the speedups of each zarrkit backend over each
anchor library measured in the same run:

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

with the spec's target against zarr-python (core.md §13) beside it.

    python benchmarks/core.py                 # the spec's sizes (N = 16384, 512 MiB); needs zarrkit[bench]
    python benchmarks/core.py --size 4096     # a smaller image, same layout
    zarrkit bench core --size 4096            # the same through the CLI
    zarrkit bench core --size 512 --reps 1    # a smoke run (workload c shrinks to 64 x 64 x 128)

Every workload is sized from ``--size``, and the scratch data (about 12 N² bytes) lives in a
temporary folder (under ``--dir`` when given) that is removed when the run ends, however it ends.
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

from zarrkit import progress
from zarrkit.bench.core_report import ANCHORS, ZARRKIT_LIBS, report
from zarrkit.bench.core_workloads import ZSTD3, check_size, child, geo_side, microscopy, prepare

__all__ = ["LIBS", "WORKLOADS", "ZSTD3", "build_parser", "check_size", "child", "geo_side", "library_available",
           "main", "microscopy", "per_call_overhead", "prepare"]

LIBS = ANCHORS + ZARRKIT_LIBS
WORKLOADS = ["a-read", "a-write", "b-read", "b-write", "c-point", "c-point-np", "d-chunks", "d-inner"]


# ---------------------------------------------------------------------------- parent side
def library_available(lib: str) -> bool:
    """Whether a benchmark library's package is importable here (the pure-Python ones always are).

    Example:
        >>> library_available("zarrkit-python")
        True
    """
    mod = {"zarr-python+zarrs": "zarrs", "tensorstore": "tensorstore", "zarrkit-zarrs": "zarrista"}.get(lib)
    if mod is None:
        return True
    try:
        __import__(mod)
        return True
    except ImportError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of :func:`main` (``zarrkit bench core`` mirrors them).

    Example:
        >>> build_parser().parse_args(["--size", "4096"]).reps
        3
    """
    parser = argparse.ArgumentParser(prog="zarrkit bench core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=16384,
                        help="image side N; every workload is sized from it (a multiple of 512; default 16384, the spec's)")
    parser.add_argument("--reps", type=int, default=3, help="timed reps per pass, two passes (default 3)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated (default: all)")
    parser.add_argument("--libs", default=",".join(LIBS), help="comma-separated (default: every installed one)")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes (default: the system's)")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    parser.add_argument("--scale", default=None, metavar="SIZES",
                        help="instead: the scale benchmark (zarrkit.bench.core_scale) at these comma-separated "
                             "sizes, e.g. 4096,8192,16384: throughput and peak memory per backend")
    parser.add_argument("--child", nargs=3, metavar=("LIB", "WORKLOAD", "ROOT"), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the core benchmark from command-line arguments; return the exit code.

    Example:
        >>> main(["--size", "512", "--reps", "1", "--workloads", "a-read"])  # doctest: +SKIP
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args.reps, args.size)))
        return 0
    if args.scale:
        return _scale(parser, args)
    try:
        check_size(args.size)
    except ValueError as err:
        parser.error(str(err))
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="zarrkit-bench-", dir=args.dir)
    try:
        with progress.enabled(not args.no_progress):
            return _run(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)  # 12 N² bytes: gigabytes at the spec's size


def _scale(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``--scale``: the band-by-band throughput and memory benchmark at several sizes."""
    from zarrkit.bench.core_scale import WORKLOADS as SCALE_WORKLOADS
    from zarrkit.bench.core_scale import print_scale, run_scale

    try:
        sizes = [int(s) for s in args.scale.split(",")]
        for n in sizes:
            check_size(n)
    except ValueError as err:
        parser.error(f"--scale: {err}")
    asked = args.workloads.split(",")
    workloads = [w for w in SCALE_WORKLOADS if w in asked] or SCALE_WORKLOADS
    backends = [lib.split("-", 1)[1] for lib in args.libs.split(",") if lib in ZARRKIT_LIBS and library_available(lib)]
    print(f"cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}); python {sys.version.split()[0]}")
    rows = run_scale(sizes, args.reps, workdir=args.dir, backends=backends or None, workloads=workloads)
    print_scale(rows, args.reps)
    return 0


def _run(args: argparse.Namespace, root: str) -> int:
    libs = [lib for lib in args.libs.split(",") if library_available(lib)]
    workloads = args.workloads.split(",")
    import zarr

    print(f"cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}); python {sys.version.split()[0]}; "
          f"zarr {zarr.__version__}; numpy {np.__version__}")
    for mod in ("zarrista", "zarrs", "tensorstore", "numcodecs"):
        try:
            from importlib.metadata import version

            print(f"  {mod} {version(mod)}")
        except Exception:
            print(f"  {mod} not installed")
    print(f"preparing N={args.size} in {root} ...", flush=True)
    with progress.task("Preparing the source arrays"):
        prepare(root, args.size, workloads)

    results: dict[tuple[str, str], list[dict]] = {}
    verified: dict[tuple[str, str], object] = {}
    with progress.task("Core benchmark", total=2 * len(workloads) * len(libs)) as advance_all:
        for pass_no in range(2):
            order = libs if pass_no == 0 else list(reversed(libs))
            for workload in workloads:
                for lib in progress.track(order, f"pass {pass_no + 1}/2: {workload}"):
                    if lib == "zarrkit-auto" and not workload.startswith("c-point"):
                        advance_all()
                        continue  # auto's choice matters for point reads; bulk ones pick a backend per call
                    _run_child(lib, workload, root, args, results, verified)
                    advance_all()
    report(results, verified, workloads, libs, args.size)
    print("\nper-call overhead (CPU) above dict.get + np.frombuffer (4x4x128 int8, bytes only, memory store; target <= 30 us)")
    for name, value in per_call_overhead().items():
        print(f"  {name:32} {value:8.1f} us")
    return 0


def _run_child(lib: str, workload: str, root: str, args: argparse.Namespace, results: dict, verified: dict) -> None:
    """One (workload, library) in its own process; its reps go to ``results``, its check to ``verified``."""
    cmd = [sys.executable, "-m", "zarrkit.bench.core", "--child", lib, workload, root,
           "--reps", str(args.reps), "--size", str(args.size)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        err = (done.stderr.strip().splitlines() or ["?"])[-1]
        verified[(workload, lib)] = f"failed: {err[:80]}"
        return
    got = json.loads(done.stdout.strip().splitlines()[-1])
    results.setdefault((workload, lib), []).extend(got["reps"])
    if workload.endswith("write"):
        verified[(workload, lib)] = _verify_write(got["path"], root)
    else:
        verified[(workload, lib)] = got["verified"]


def per_call_overhead(calls: int = 20000) -> dict[str, float]:
    """§10: µs each call adds over ``dict.get`` + ``np.frombuffer`` for a 4x4x128 int8 chunk.

    The array is bytes-only in a memory store, so the difference is zarrkit's own cost.
    """
    from zarrkit import core
    from zarrkit.storage import open_store

    store = open_store("memory://bench-overhead", mode="w", overwrite=True)
    meta = core.create_array(store, "a", core.array_metadata((64, 64, 128), "int8", (4, 4, 128), compressors=None))
    chunk = np.arange(2048, dtype=np.int8).reshape(4, 4, 128)
    core.write_chunk(store, "a", (1, 2, 0), chunk, metadata=meta)
    plain = {"a/c/1/2/0": store.get("a/c/1/2/0")}

    def baseline():
        return np.frombuffer(plain.get("a/c/1/2/0"), dtype=np.int8).reshape(4, 4, 128).copy()

    def timed(fn) -> float:
        fn()
        samples = []
        for _ in range(5):  # CPU time: on a shared machine wall time measures the neighbours
            t0 = time.process_time()
            for _ in range(calls // 5):
                fn()
            samples.append((time.process_time() - t0) / (calls // 5) * 1e6)
        return statistics.median(samples)

    base = timed(baseline)
    handle, i, j = core.open_array(store, "a", backend="auto"), np.int64(5), np.int64(9)
    return {
        "baseline dict.get + frombuffer": base,
        "read_chunk": timed(lambda: core.read_chunk(store, "a", (1, 2, 0), metadata=meta, backend="python")) - base,
        "write_chunk": timed(lambda: core.write_chunk(store, "a", (1, 2, 0), chunk, metadata=meta, backend="python")) - base,
        "read_region a[i, j, :]": timed(lambda: core.read_region(store, "a", (5, 9), metadata=meta, backend="python")) - base,
        "Array a[i, j, :], numpy ints, auto": timed(lambda: handle[i, j, :]) - base,
    }


def _verify_write(path: str, root: str) -> bool:
    import zarr

    return bool(np.array_equal(zarr.open_array(path, mode="r")[...], np.load(os.path.join(root, "a.npy"), mmap_mode="r")))


if __name__ == "__main__":
    sys.exit(main())
