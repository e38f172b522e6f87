"""Which backend ``auto`` should pick (issue 14, item 6): the python and zarrs backends timed on
the workloads of :mod:`zarrkit.bench.core`, per operation of
:data:`~zarrkit.core.backends.choice.AUTO_TABLE`.

Each workload runs in one subprocess per round that opens the array with both backends and
alternates them rep by rep (``--reps`` pairs after a warm-up each), so both meet the same
machine load: on a shared machine, separate processes minutes apart do not.  For each
operation the table gives, over all rounds,

    ratio = zarrs time / python time     (> 1: python is faster)

for the process's CPU time and for the wall time, then the backend that needed less CPU
(the one ``auto`` should use: on a shared machine CPU time per call is stable where wall
time is not), next to what ``AUTO_TABLE`` says now (``differs``: update the table).  The
README's rows are printed last.

    python -m zarrkit.bench.core_choice --size 4096 --reps 3 --rounds 3
    python -m zarrkit.bench.core_choice --size 512 --reps 1 --rounds 1     # a smoke run
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

from zarrkit.bench.core_read import load_average
from zarrkit.core.backends.choice import AUTO_TABLE

__all__ = ["WORKLOADS_OF", "decide", "main", "paired"]

#: AUTO_TABLE row -> the zarrkit.bench.core workloads that measure it
WORKLOADS_OF = {
    "read region": ["a-read"],
    "read region, sharded": ["b-read"],
    "read one chunk": ["d-chunks"],
    "read one inner chunk or point": ["c-point", "d-inner"],
    "write region": ["a-write"],
    "write region, sharded": ["b-write"],
}
_LIBS = {"python": "zarrkit-python", "zarrs": "zarrkit-zarrs"}


def decide(python_times: list[float], zarrs_times: list[float]) -> tuple[str, float]:
    """The faster backend by median time, and the ratio zarrs / python.

    Example:
        >>> decide([1.0, 1.2, 1.1], [2.2, 2.0, 2.4])
        ('python', 2.0)
    """
    ratio = statistics.median(zarrs_times) / statistics.median(python_times)
    return ("python" if ratio >= 1 else "zarrs"), ratio


def paired(workload: str, root: str, reps: int, n: int) -> dict[str, list[tuple[float, float]]]:
    """``{backend: [(wall, cpu), ...]}``: both backends on one workload, alternating rep by rep.

    Example:
        >>> paired("a-read", "/nonexistent", 1, 512)  # doctest: +SKIP
        {'python': [(0.01, 0.02)], 'zarrs': [(0.012, 0.021)]}
    """
    import numpy as np

    from zarrkit import core
    from zarrkit.bench.core_workloads import _open, _run_once, geo_side
    from zarrkit.storage import open_store

    letter = workload[0] if workload[0] in "abc" else ("a" if workload == "d-chunks" else "b")
    rng = np.random.default_rng(7)
    grid = n // (512 if workload == "d-chunks" else 256)
    state = {"points": rng.integers(0, geo_side(n), (2000, 2)),
             "blocks": rng.integers(0, grid, (min(1024, grid * grid), 2))}
    state["int_points"] = state["points"].tolist()  # c-point indexes with Python ints
    src = np.load(os.path.join(root, "a.npy")) if workload.endswith("write") else None
    handles = {}
    for backend, lib in _LIBS.items():
        path = os.path.join(root, "data.zarr", letter)
        if src is not None:
            path = os.path.join(root, f"out-{lib}-{workload}.zarr")
            meta = core.read_metadata(open_store(os.path.join(root, "data.zarr"), mode="r"), letter)
            core.create_array(open_store(path, mode="w", overwrite=True), "", meta.with_attributes({}), overwrite=True)
        handles[backend] = _open(lib, path, point_cache=workload == "c-point")
        _run_once(lib, workload, root, handles[backend], src, state)  # warm-up
    out: dict[str, list[tuple[float, float]]] = {b: [] for b in _LIBS}
    for rep in range(reps):
        for backend in (list(_LIBS) if rep % 2 == 0 else list(_LIBS)[::-1]):
            c0 = time.process_time()
            wall = _run_once(_LIBS[backend], workload, root, handles[backend], src, state)
            out[backend].append((wall, time.process_time() - c0))
    return out


def main(argv: list[str] | None = None) -> int:
    """Time both backends per operation and print the table ``auto`` should use.

    Example:
        >>> main(["--size", "512", "--reps", "1", "--rounds", "1"])  # doctest: +SKIP
        0
    """
    parser = argparse.ArgumentParser(prog="python -m zarrkit.bench.core_choice", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096, help="image side N, a multiple of 512 (default 4096)")
    parser.add_argument("--reps", type=int, default=3, help="timed pairs per subprocess (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="subprocesses per workload (default 3)")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes")
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(paired(args.child[0], args.child[1], args.reps, args.size)))
        return 0
    try:
        import zarrista  # noqa: F401
    except ImportError:
        print("zarrista is not installed: auto can only pick python")
        return 0
    from zarrkit.bench.core_workloads import check_size, prepare

    check_size(args.size)
    root = tempfile.mkdtemp(prefix="zarrkit-bench-choice-", dir=args.dir)
    try:
        print(f"cores: {os.cpu_count()}; load at start {load_average()}")
        workloads = [w for ws in WORKLOADS_OF.values() for w in ws]
        prepare(root, args.size, workloads)
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for workload in workloads:
                cmd = [sys.executable, "-m", "zarrkit.bench.core_choice", "--child", workload, root,
                       "--reps", str(args.reps), "--size", str(args.size)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"{workload}: failed: {(done.stderr.strip().splitlines() or ['?'])[-1][:80]}")
                    continue
                for backend, reps in json.loads(done.stdout.strip().splitlines()[-1]).items():
                    walls.setdefault((workload, backend), []).extend(w for w, _ in reps)
                    cpus.setdefault((workload, backend), []).extend(c for _, c in reps)
        print(f"load at end {load_average()}; medians over {args.rounds} rounds x {args.reps} pairs")
        _report(walls, cpus)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _ratio(times: dict, workloads: list[str]) -> tuple[str, float] | None:
    """Per workload the ratio of medians, then the median over the operation's workloads."""
    ratios = []
    for w in workloads:
        if (w, "python") in times and (w, "zarrs") in times:
            ratios.append(decide(times[(w, "python")], times[(w, "zarrs")])[1])
    if not ratios:
        return None
    ratio = statistics.median(ratios)
    return ("python" if ratio >= 1 else "zarrs"), ratio


def _report(walls: dict, cpus: dict) -> None:
    print(f"\n{'operation':32} {'workloads':18} {'CPU zarrs/python':>17} {'wall zarrs/python':>18} "
          f"{'less CPU':>9} {'AUTO_TABLE':>11}")
    rows = []
    for op, workloads in WORKLOADS_OF.items():
        wall, cpu = _ratio(walls, workloads), _ratio(cpus, workloads)
        if wall is None or cpu is None:
            print(f"{op:32} {','.join(workloads):18} {'-':>17}")
            continue
        now = AUTO_TABLE.get(op, ("?", 0))[0]
        mark = "" if now == cpu[0] else "  differs"
        print(f"{op:32} {','.join(workloads):18} {cpu[1]:>16.2f}x {wall[1]:>17.2f}x {cpu[0]:>9} {now:>11}{mark}")
        rows.append((op, cpu[0], cpu[1], wall[1]))
    print("\nREADME rows (operation | auto uses | CPU time, zarrs / python | wall time, zarrs / python):")
    for op, backend, cpu_ratio, wall_ratio in rows:
        print(f"| {op} | `{backend}` | {cpu_ratio:.2f}x | {wall_ratio:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
