"""Vector benchmark (spec vectors.md §6): zarrkit.vectors against zarr_vectors 0.9.2 itself,
both in one process, on ``rng(42).uniform(0, 1000, (N, 3))`` float32 points.

For each chunk edge (250, 125, 62.5 by default: 4, 8, 16 cells per axis, bins of chunk/4,
zstd) it times a write into a fresh directory, a small box ``[200, 450]³``, a large box
``[100, 600]³``, a full read and, at chunk 125, a 3-level ×2 pyramid; then, at chunk 125
with 1,000 object ids, a write, the small box, one object and 100 objects.  Medians of
``--reps`` runs after a warm-up, of wall time and of process CPU time (all threads; on a
shared machine the CPU ratio is the steadier one); removing a previous write's folder is
not timed;

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

Every answer is compared with numpy as a sorted multiset.  A wrong zarrkit answer aborts
the run; zarr_vectors' known wrong answer (§4 #1, box reads on its id'd stores) is printed
as WRONG.  The stores go in a temporary folder (under ``--dir``) removed at the end.

    python benchmarks/vectors.py --points 1000000 --reps 5
    zarrkit bench vectors --points 200000 --reps 3

Example:
    >>> build_parser().parse_args(["--chunks", "125"]).chunks
    [125.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from zarrkit import progress
from zarrkit.bench import RATIO_RULE, format_speedup

__all__ = ["VectorRow", "build_parser", "main", "run_vectors_benchmark"]

SMALL, LARGE = ((200.0,) * 3, (450.0,) * 3), ((100.0,) * 3, (600.0,) * 3)
#: spec §6 targets as minimum ratios (anchor / zarrkit); absent = no target
TARGETS = {("write", 125.0): 2.0, ("write", 62.5): 2.0, ("write", 250.0): 1.0, ("write, 1,000 ids", 125.0): 2.0}


@dataclass
class VectorRow:
    """One operation at one chunk edge: median seconds of both libraries and whether each was right."""

    operation: str
    chunk: float
    zarrkit_seconds: float
    anchor_seconds: float
    anchor_right: bool = True
    zarrkit_cpu: float | None = None
    anchor_cpu: float | None = None

    @property
    def target(self) -> float | None:
        if self.operation in ("small box", "large box", "full read", "pyramid (3 levels)", "one object",
                              "100 objects", "small box, 1,000 ids"):
            return 1.0
        return TARGETS.get((self.operation, self.chunk))


class WrongAnswer(AssertionError):
    """zarrkit returned something other than numpy's selection: the benchmark stops."""


def _same(got: np.ndarray, expect: np.ndarray) -> bool:
    if got.shape != expect.shape:
        return False
    return bool(np.array_equal(_sorted_rows(got), _sorted_rows(expect)))


def _sorted_rows(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    return a[np.lexsort(a.T[::-1])] if len(a) else a


def _in(xyz, box) -> np.ndarray:
    x = xyz.astype(np.float64)
    return np.all((x >= box[0]) & (x <= box[1]), axis=1)


def _tree(path: str) -> tuple[int, int]:
    files = [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
    return sum(os.path.getsize(f) for f in files), len(files)


def _check(label: str, got, expect) -> None:
    if not _same(np.asarray(got), np.asarray(expect)):
        raise WrongAnswer(f"zarrkit {label}: {len(got)} rows, numpy says {len(expect)}")


def _timed(fn: Callable[[], object], reps: int, *, before: Callable[[], object] | None = None,
           warmup: bool = True) -> tuple[float, float]:
    """Medians of wall and process CPU seconds of ``reps`` calls (after one untimed warm-up);
    ``before`` runs untimed ahead of each call."""
    walls, cpus = [], []
    for i in range(reps + (1 if warmup else 0)):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        if i or not warmup:
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    return float(np.median(walls)), float(np.median(cpus))


def _fresh_writes(root: str, name: str, write: Callable[[str], object], reps: int) -> tuple[tuple[float, float], str]:
    """Median wall and CPU time of ``write(path)`` into a new directory each run (the previous
    one is removed untimed); returns them and the last path."""
    paths = iter(os.path.join(root, f"{name}-{i}") for i in range(reps + 2))
    last = {"path": ""}

    def before():
        if last["path"]:
            shutil.rmtree(last["path"], ignore_errors=True)
        last["path"] = next(paths)

    return _timed(lambda: write(last["path"]), reps, before=before), last["path"]


def run_vectors_benchmark(n_points: int = 1_000_000, chunks=(250.0, 125.0, 62.5), reps: int = 5, *,
                          workdir: str | None = None) -> tuple[list[VectorRow], list[str]]:
    """Time both libraries; returns the rows and lines about stored bytes and files.

    Example:
        >>> rows, notes = run_vectors_benchmark(2000, (250.0,), 1)  # doctest: +SKIP
        >>> rows[0].operation                                        # doctest: +SKIP
        'write'
    """
    import zarr_vectors as zv

    import zarrkit.vectors as vx

    xyz = np.random.default_rng(42).uniform(0, 1000, (n_points, 3)).astype("f4")
    bounds = ([0.0] * 3, [1000.0] * 3)
    rows: list[VectorRow] = []
    notes: list[str] = []
    root = tempfile.mkdtemp(prefix="zarrkit-vectors-bench-", dir=workdir)
    steps = len(chunks) + 1
    try:
        with progress.task("Vectors benchmark", total=steps) as advance, progress.enabled(False), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarr's vlen-bytes stability notice, on every array
            for chunk in chunks:
                cells = int(round(1000 / chunk))

                def write_zk(path, chunk=chunk):
                    s = vx.create(path, "points", bounds=bounds, chunk_shape=(chunk,) * 3)
                    s.write_points(xyz)

                def write_zv(path, cells=cells):
                    d = zv.create(path, schema=zv.Schema(bounds=bounds, kind="point_cloud", layout=zv.Layout(cells=cells)))
                    d.add_points(xyz)

                t_zk, p_zk = _fresh_writes(root, f"zk{chunk}", write_zk, reps)
                t_zv, p_zv = _fresh_writes(root, f"zv{chunk}", write_zv, reps)
                rows.append(_row("write", chunk, t_zk, t_zv))
                notes.append(f"chunk {chunk}: zarrkit {_tree(p_zk)[0] / 1e6:.1f} MB in {_tree(p_zk)[1]} files, "
                             f"zarr_vectors {_tree(p_zv)[0] / 1e6:.1f} MB in {_tree(p_zv)[1]} files")
                s, d = vx.open(p_zk), zv.open(p_zv)
                for label, box in (("small box", SMALL), ("large box", LARGE), ("full read", None)):
                    expect = xyz[_in(xyz, box)] if box is not None else xyz
                    _check(label, s.read_points(box=box).xyz, expect)
                    ours = _timed(lambda box=box, s=s: s.read_points(box=box), reps)
                    if box is None:
                        def theirs(d=d):
                            return d.read().positions
                    else:
                        sel = (np.array(box[0]), np.array(box[1]))

                        def theirs(sel=sel, d=d):
                            return d.select(bbox=sel).read().positions
                    right = _same(theirs(), expect)
                    rows.append(_row(label, chunk, ours, _timed(theirs, reps), right))
                if chunk == 125.0:
                    rows.append(_pyramid_row(root, p_zk, p_zv, reps))
                advance()
            rows += _id_rows(root, xyz, bounds, reps)
            advance()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows, notes


def _row(label: str, chunk: float, ours: tuple[float, float], theirs: tuple[float, float],
         right: bool = True) -> VectorRow:
    return VectorRow(label, chunk, ours[0], theirs[0], right, ours[1], theirs[1])


def _pyramid_row(root: str, p_zk: str, p_zv: str, reps: int) -> VectorRow:
    import zarr_vectors as zv

    import zarrkit.vectors as vx

    copies = iter(range(10_000))

    def fresh(src):
        dst = os.path.join(root, f"pyr-{next(copies)}")
        shutil.copytree(src, dst)
        return dst

    def timed(src, build) -> tuple[float, float]:
        paths = []

        def before():  # copying and cleaning up are not timed
            if paths:
                shutil.rmtree(paths[-1], ignore_errors=True)
            paths.append(fresh(src))

        out = _timed(lambda: build(paths[-1]), reps, before=before, warmup=False)
        shutil.rmtree(paths[-1], ignore_errors=True)
        return out

    ours = timed(p_zk, lambda p: vx.open(p, "r+").build_pyramid(levels=3))
    theirs = timed(p_zv, lambda p: zv.open(p, mode="r+").build_pyramid(factors=[(2.0, 1.0)] * 3))
    return _row("pyramid (3 levels)", 125.0, ours, theirs)


def _id_rows(root: str, xyz: np.ndarray, bounds, reps: int) -> list[VectorRow]:
    import zarr_vectors as zv

    import zarrkit.vectors as vx

    ids = np.random.default_rng(7).integers(0, 1000, len(xyz))

    def write_zk(path):
        vx.create(path, "points", bounds=bounds, chunk_shape=(125.0,) * 3, ids=True).write_points(xyz, ids=ids)

    def write_zv(path):
        d = zv.create(path, schema=zv.Schema(bounds=bounds, kind="point_cloud", layout=zv.Layout(cells=8)))
        d.add_points(xyz, object_ids=ids)

    t_zk, p_zk = _fresh_writes(root, "ids-zk", write_zk, reps)
    t_zv, p_zv = _fresh_writes(root, "ids-zv", write_zv, reps)
    out = [_row("write, 1,000 ids", 125.0, t_zk, t_zv)]
    s, d = vx.open(p_zk), zv.open(p_zv)
    expect = xyz[_in(xyz, SMALL)]
    _check("id'd small box", s.read_points(box=SMALL).xyz, expect)
    sel = (np.array(SMALL[0]), np.array(SMALL[1]))
    right = _same(d.select(bbox=sel).read().positions, expect)
    out.append(_row("small box, 1,000 ids", 125.0, _timed(lambda: s.read_points(box=SMALL), reps),
                    _timed(lambda: d.select(bbox=sel).read(), reps), right))
    for label, wanted in (("one object", [3]), ("100 objects", list(range(0, 1000, 10)))):
        expect = xyz[np.isin(ids, wanted)]
        _check(label, s.read_points(ids=wanted).xyz, expect)
        right = _same(d.select(objects=wanted).read().positions, expect)
        out.append(_row(label, 125.0, _timed(lambda w=wanted: s.read_points(ids=w), reps),
                        _timed(lambda w=wanted: d.select(objects=w).read(), reps), right))
    return out


def print_vectors_table(rows: list[VectorRow], notes: list[str], n_points: int, reps: int) -> None:
    """Print the rows with the ratio convention in the header."""
    print(f"{n_points:,} float32 3-D points in [0, 1000]^3, zarr_vectors 0.9.2 as the anchor; medians of {reps} runs")
    print(RATIO_RULE + "; target = spec §6, as a minimum ratio; WRONG = zarr_vectors' answer differs from numpy")
    print("times are wall medians; cpu ratio = the same ratio of process CPU-time medians")
    print(f"{'operation':22} {'chunk':>6} {'zarrkit':>10} {'zarr_vectors':>13} {'ratio':>8} {'cpu ratio':>10} "
          f"{'target':>7}")
    for r in rows:
        target = f">={r.target:g}" if r.target is not None else "-"
        wrong = "" if r.anchor_right else "  WRONG"
        print(f"{r.operation:22} {r.chunk:6g} {r.zarrkit_seconds * 1e3:8.1f}ms {r.anchor_seconds * 1e3:11.1f}ms "
              f"{format_speedup(r.anchor_seconds, r.zarrkit_seconds):>8} "
              f"{format_speedup(r.anchor_cpu, r.zarrkit_cpu):>10} {target:>7}{wrong}")
    for line in notes:
        print(line)


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of :func:`main`."""
    parser = argparse.ArgumentParser(prog="zarrkit bench vectors", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="points (default 1,000,000, the spec's)")
    parser.add_argument("--chunks", type=float, nargs="+", default=[250.0, 125.0, 62.5], help="chunk edges")
    parser.add_argument("--reps", type=int, default=5, help="timed runs per operation, after one warm-up")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes (default: the system's)")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the vectors benchmark; 0 on success, 1 when zarrkit gave a wrong answer.

    Needs zarr_vectors 0.9.2 (``pip install zarr-vectors==0.9.2``).

    Example:
        >>> main(["--points", "2000", "--chunks", "250", "--reps", "1"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    try:
        import zarr_vectors  # noqa: F401 - the anchor
    except ImportError:
        print("zarr_vectors is not installed: pip install zarr-vectors==0.9.2")
        return 1
    try:
        with progress.enabled(not args.no_progress):
            rows, notes = run_vectors_benchmark(args.points, tuple(args.chunks), args.reps, workdir=args.dir)
    except WrongAnswer as err:
        print(f"aborted: {err}")
        return 1
    print_vectors_table(rows, notes, args.points, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
