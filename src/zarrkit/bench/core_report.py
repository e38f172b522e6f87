"""The tables :mod:`zarrkit.bench.core` prints: medians over quiet reps, then speedups.

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

Example:
    >>> volume("a-read", 4096)
    (33.554432, 'MB')
    >>> medians([{"wall": 2.0, "own_cpu": 1.0, "other": 0.5}])
    (2.0, 1.0, 0)
"""

from __future__ import annotations

import statistics

from zarrkit.bench import RATIO_RULE, format_speedup

__all__ = ["ANCHORS", "SPEC_TARGETS", "ZARRKIT_LIBS", "medians", "report", "volume"]

ANCHORS = ["zarr-python", "zarr-python+zarrs", "tensorstore"]
ZARRKIT_LIBS = ["zarrkit-python", "zarrkit-zarrs", "zarrkit-auto"]
# core.md §13: minimum zarr-python time / zarrkit time per workload, (zarrs backend, python backend)
SPEC_TARGETS = {"a-read": (1.7, 1.5), "b-read": (2.5, 2.2), "a-write": (1.8, 1.3), "b-write": (1.8, 1.3),
                "c-point": (20, 20), "c-point-np": (20, 20), "d-chunks": (1.5, 1.5), "d-inner": (5, 5)}


def volume(workload: str, n: int) -> tuple[float, str]:
    """How much one rep of ``workload`` moves at image side ``n``, and in what unit."""
    if workload[0] in "ab":
        return n * n * 2 / 1e6, "MB"
    if workload.startswith("c-point"):
        return 2000, "reads"
    return min(1024, (n // (512 if workload == "d-chunks" else 256)) ** 2), "chunks"


def medians(reps: list[dict]) -> tuple[float, float, int]:
    """Median wall and CPU seconds over the quiet reps (at least 3), else over all reps."""
    quiet = [r for r in reps if r["other"] < 0.10]
    use = quiet if len(quiet) >= 3 else reps
    return (statistics.median(r["wall"] for r in use), statistics.median(r["own_cpu"] for r in use),
            len(use) if use is quiet else 0)


def report(results, verified, workloads, libs, n) -> None:
    """Print the medians table and the speedups table for one run."""
    print()
    print("quiet = reps with other processes below 10% of the machine / all reps; medians use the quiet")
    print("reps when there are at least 3 of them, else all reps (a noisy machine: read ratios, not times);")
    print("rows counted in reads or chunks show their own CPU per read or chunk in the CPU column")
    header = f"{'workload':10} {'library':18} {'median':>10} {'per unit':>12} {'CPU-s/GB':>9} {'quiet':>6}  ok"
    print(header)
    print("-" * len(header))
    walls: dict[tuple[str, str], float] = {}
    for workload in workloads:
        amount, unit = volume(workload, n)
        for lib in libs:
            reps = results.get((workload, lib))
            ok = verified.get((workload, lib), "n/a")
            if not reps:
                print(f"{workload:10} {lib:18} {'-':>10} {'-':>12} {'-':>9} {'-':>6}  {ok}")
                continue
            wall, cpu, quiet_n = medians(reps)
            walls[(workload, lib)] = wall
            per = f"{amount / wall:.0f} MB/s" if unit == "MB" else f"{wall / amount * 1e6:.0f} us/{unit[:-1]}"
            cpu_gb = f"{cpu / (amount / 1e3):.2f}" if unit == "MB" else f"{cpu / amount * 1e6:.1f}us"
            print(f"{workload:10} {lib:18} {wall:>9.3f}s {per:>12} {cpu_gb:>9} {quiet_n:>3}/{len(reps):<2}  {ok}")

    anchors = [lib for lib in ANCHORS if lib in libs]
    print()
    print(f"speedups: {RATIO_RULE}; target = the spec's minimum against zarr-python")
    header = f"{'workload':10} {'zarrkit':16} " + " ".join(f"{'vs ' + a:>22}" for a in anchors) + f" {'target':>8}"
    print(header)
    print("-" * len(header))
    for workload in workloads:
        for lib in (lib for lib in ZARRKIT_LIBS if lib in libs):
            ours = walls.get((workload, lib))
            cells = " ".join(f"{format_speedup(walls.get((workload, a)), ours):>22}" for a in anchors)
            target = SPEC_TARGETS.get(workload, (None, None))[0 if lib == "zarrkit-zarrs" else 1]
            print(f"{workload:10} {lib:16} {cells} {'>=' + format(target, 'g') if target else '-':>8}")
