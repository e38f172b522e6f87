"""Bulk read benchmark (issue 14, item 1): workloads a-read and b-read of :mod:`zarrkit.bench.core`
next to the machine's own floors, measured in the same run.

  a-read   uint16 N x N, 512² chunks, bytes + zstd(3), read whole
  b-read   the same in 4096² shards of 256² inner chunks, read whole

Each library runs in its own subprocess per round (it opens the array and reads it once to
warm up); the parent then asks every library for one timed read in turn, ``--reps`` times
(alternating the order), so load spikes on a shared machine hit every library alike.  The
values of each library's last read are checked against the source.  Reported per library: the median wall
time, the median CPU seconds per GB of decoded data (the process's own CPU: the honest metric
on a busy machine) and both as ratios against the best peer (``ratio = peer / zarrkit``,
> 1: zarrkit is faster).  The floors, measured in a subprocess of their own, are:

  decode   zstd into one preallocated buffer (numcodecs, one thread): every chunk's bytes
  output   first touch of a fresh result array (the kernel zeroes its pages)
  read     the stored bytes read from the page cache (``f.read`` of every file)

Their sum is what any library must spend on a read into a new array; CPU above it is overhead.

    python -m zarrkit.bench.core_read --size 4096 --reps 7 --rounds 3
    python -m zarrkit.bench.core_read --size 512 --reps 1 --rounds 1    # a smoke run
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from zarrkit.bench import RATIO_RULE, format_speedup
from zarrkit.bench.core import library_available

__all__ = ["floors", "interleaved", "load_average", "main", "serve", "summarise"]

PEERS = ["zarr-python", "zarr-python+zarrs", "tensorstore"]
OURS = ["zarrkit-python", "zarrkit-zarrs", "zarrkit-auto"]
WORKLOADS = ["a-read", "b-read"]


def _cpu_per_gb(fn, nbytes: int, reps: int) -> float:
    fn()
    samples = []
    for _ in range(reps):
        c0 = time.process_time()
        fn()
        samples.append(time.process_time() - c0)
    return statistics.median(samples) / (nbytes / 1e9)


def floors(root: str, reps: int = 5) -> dict[str, dict[str, float]]:
    """CPU-s/GB floors per workload: ``decode``, ``output``, ``read`` (see the module docstring).

    Example:
        >>> floors("/nonexistent")  # no arrays prepared: nothing to measure
        {}
    """
    from numcodecs.zstd import decompress

    from zarrkit import core
    from zarrkit.storage import open_store

    out: dict[str, dict[str, float]] = {}
    store_root = os.path.join(root, "data.zarr")
    if not os.path.isdir(store_root):
        return out
    store = open_store(store_root, mode="r")
    for letter in "ab":
        meta = core.read_metadata(store, letter)
        files = sorted(glob.glob(os.path.join(store_root, letter, "c", "*", "*")))
        raws = [open(p, "rb").read() for p in files]
        if meta.sharding is None:
            frames = raws
            chunk = meta.chunk_shape
        else:  # every inner chunk of every shard
            frames = []
            for raw in raws:
                index, _ = meta.sharding.split_index(raw)
                frames += [raw[int(o) : int(o) + int(n)] for o, n in index.reshape(-1, 2) if o != 2**64 - 1]
            chunk = meta.chunks
        buf = np.empty(chunk, dtype=meta.dtype)
        decoded = len(frames) * buf.nbytes

        def decode(frames=frames, buf=buf):
            for f in frames:
                decompress(f, buf)

        def read(files=files):
            for p in files:
                with open(p, "rb") as f:
                    f.read()

        warm = np.empty(meta.shape, dtype=meta.dtype)

        def fresh(shape=meta.shape, dtype=meta.dtype):
            np.empty(shape, dtype=dtype).fill(1)

        touch = _cpu_per_gb(fresh, warm.nbytes, reps) - _cpu_per_gb(lambda w=warm: w.fill(1),
                                                                    warm.nbytes, reps)
        out[f"{letter}-read"] = {
            "decode": _cpu_per_gb(decode, decoded, reps),
            "output": max(0.0, touch),
            "read": _cpu_per_gb(read, warm.nbytes, reps),
        }
    return out


def summarise(reps: list[dict], gb: float) -> dict[str, float]:
    """Median wall seconds and CPU-s/GB over the reps.

    Example:
        >>> summarise([{"wall": 1.0, "own_cpu": 2.0}, {"wall": 3.0, "own_cpu": 4.0}], 2.0)
        {'wall': 2.0, 'cpu_gb': 1.5, 'reps': 2}
    """
    return {"wall": statistics.median(r["wall"] for r in reps),
            "cpu_gb": statistics.median(r["own_cpu"] for r in reps) / gb, "reps": len(reps)}


def serve(lib: str, workload: str, root: str) -> None:
    """The child: open ``workload``'s array with ``lib``, read it once, then answer one line
    ``[wall, cpu]`` per timed read asked on stdin; ``check`` answers whether the values are right.

    Example:
        >>> serve("zarrkit-python", "a-read", "/nonexistent")  # doctest: +SKIP
    """
    from zarrkit.bench.core_workloads import _open, _run_once

    handle = _open(lib, os.path.join(root, "data.zarr", workload[0]))
    state: dict = {}
    _run_once(lib, workload, root, handle, None, state)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "check":
            ok = np.array_equal(np.asarray(state["out"]), np.load(os.path.join(root, "a.npy"), mmap_mode="r"))
            print(json.dumps(bool(ok)), flush=True)
            continue
        state.pop("out", None)  # the previous result is freed before the next read, as in a loop
        c0 = time.process_time()
        wall = _run_once(lib, workload, root, handle, None, state)
        print(json.dumps([wall, time.process_time() - c0]), flush=True)


def interleaved(libs: list[str], workload: str, root: str, reps: int) -> tuple[dict, dict]:
    """One child per library, asked for a timed read in turn: ``({lib: [rep, ...]}, {lib: failure})``.

    Example:
        >>> interleaved(["zarrkit-python"], "a-read", "/nonexistent", 1)[1]["zarrkit-python"][:7]
        'failed:'
    """
    children, failed = {}, {}
    for lib in libs:
        proc = subprocess.Popen([sys.executable, "-m", "zarrkit.bench.core_read", "--serve", lib, workload, root],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.stdout.readline().strip() == "ready":
            children[lib] = proc
        else:
            proc.stdin.close()
            failed[lib] = "failed: " + ((proc.stderr.read().strip().splitlines() or ["?"])[-1])[:80]
            proc.wait()
    reps_of: dict[str, list[dict]] = {lib: [] for lib in children}
    try:
        for rep in range(reps):
            for lib in (list(children) if rep % 2 == 0 else list(children)[::-1]):
                proc = children[lib]
                proc.stdin.write("go\n")
                proc.stdin.flush()
                wall, cpu = json.loads(proc.stdout.readline())
                reps_of[lib].append({"wall": wall, "own_cpu": cpu})
        for lib, proc in children.items():
            proc.stdin.write("check\n")
            proc.stdin.flush()
            if not json.loads(proc.stdout.readline()):
                failed[lib] = "failed: wrong values"
                del reps_of[lib]
    finally:
        for proc in children.values():
            proc.stdin.close()
            proc.wait()
    return reps_of, failed


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them.

    Example:
        >>> len(load_average().split())
        3
    """
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the bulk read benchmark; return the exit code.

    Example:
        >>> main(["--size", "512", "--reps", "1", "--rounds", "1"])  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(prog="python -m zarrkit.bench.core_read", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096, help="image side N, a multiple of 512 (default 4096)")
    parser.add_argument("--reps", type=int, default=5, help="timed reads per subprocess (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="subprocesses per library, alternating order (default 3)")
    parser.add_argument("--libs", default=",".join(PEERS + OURS), help="comma-separated (default: every installed one)")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes")
    parser.add_argument("--serve", nargs=3, metavar=("LIB", "WORKLOAD", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(*args.serve)
        return 0
    from zarrkit.bench.core_workloads import check_size, prepare

    try:
        check_size(args.size)
    except ValueError as err:
        parser.error(str(err))
    libs = [lib for lib in args.libs.split(",") if library_available(lib)]
    root = tempfile.mkdtemp(prefix="zarrkit-bench-read-", dir=args.dir)
    try:
        print(f"cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))}); load at start {load_average()}")
        prepare(root, args.size, WORKLOADS)
        floor = floors(root)
        gb = args.size * args.size * 2 / 1e9
        reps: dict[tuple[str, str], list] = {}
        failed: dict[tuple[str, str], str] = {}
        for _ in range(args.rounds):
            for workload in WORKLOADS:
                got, bad = interleaved(libs, workload, root, args.reps)
                for lib, lib_reps in got.items():
                    reps.setdefault((workload, lib), []).extend(lib_reps)
                failed.update({(workload, lib): why for lib, why in bad.items()})
        print(f"load at end {load_average()}; medians over {args.rounds} rounds x {args.reps} reps; {RATIO_RULE}")
        _report(libs, reps, failed, floor, gb)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _report(libs, reps, failed, floor, gb) -> None:
    for workload in WORKLOADS:
        f = floor.get(workload, {})
        total = sum(f.values())
        print(f"\n{workload}: floors (CPU-s/GB) decode {f.get('decode', 0):.2f} + output {f.get('output', 0):.2f}"
              f" + read {f.get('read', 0):.2f} = {total:.2f}")
        stats = {lib: summarise(reps[(workload, lib)], gb) for lib in libs if (workload, lib) in reps}
        peers = [lib for lib in PEERS if lib in stats]
        best_wall = min((stats[p]["wall"] for p in peers), default=None)
        best_cpu = min((stats[p]["cpu_gb"] for p in peers), default=None)
        print(f"{'library':18} {'wall':>9} {'MB/s':>7} {'CPU-s/GB':>9} {'over floor':>10} "
              f"{'vs best peer (wall)':>20} {'(CPU)':>7}")
        for lib in libs:
            if lib not in stats:
                print(f"{lib:18} {failed.get((workload, lib), '-')}")
                continue
            s = stats[lib]
            mine = lib in OURS
            print(f"{lib:18} {s['wall'] * 1e3:>7.1f}ms {gb * 1e3 / s['wall']:>7.0f} {s['cpu_gb']:>9.2f} "
                  f"{s['cpu_gb'] - total:>+10.2f} "
                  f"{format_speedup(best_wall, s['wall']) if mine else '':>20} "
                  f"{format_speedup(best_cpu, s['cpu_gb']) if mine else '':>7}")


if __name__ == "__main__":
    sys.exit(main())
