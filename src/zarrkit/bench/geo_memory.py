"""Peak memory of a very wide zone (spec geo.md §12): build data, zone rgb and the EPSG:4326
pyramid of a zone ``width`` px wide and 1 024 px high (8 bands) under ``--memory 2GiB``.

The anchor's full-width strips needed ~1.5 GB per row band at ~400 K columns; zarrkit's tasks
are 2-D shard blocks, so memory must not grow with the width.  The zone is a custom grid in
EPSG:3857 (10 m pixels near the equator); the sources are a sparse set of procedural
tiles spread over the whole width (so the run is quick, the extent is the full width, and
the pyramid spans it).  Each width runs in its own ``python`` process with the processes
executor; the row reports ``ru_maxrss`` of that process and the largest of its workers
(``RUSAGE_CHILDREN``), and the spec's bound (all processes ≤ 2.5 GiB, flat as width doubles).

    python -m zarrkit.bench.geo_memory --width 400000          # and half of it, for flatness
    python -m zarrkit.bench.geo_memory --quick                  # a smoke run (25 600 px)

Example:
    >>> wide_grid(8192).shape
    (1024, 8192)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

__all__ = ["main", "measure_width", "wide_grid"]

RES, HEIGHT, BANDS = 10.0, 1024, 8
X0, Y0 = -2_000_000.0, 5_120.0  # the zone straddles the equator and 0° E in EPSG:3857
MODEL, SOURCE = "https://example.org/bench-model/v1", ["https://example.org/bench-source"]


def wide_grid(width: int):
    """The 1 024-px-high EPSG:3857 grid ``width`` px wide (rounded up to whole 1 024 blocks)."""
    from zarrkit.geo.grid import Grid

    return Grid("wide", "EPSG:3857", (RES, RES), (X0, Y0), (HEIGHT, -(-width // 1024) * 1024), align=1024)


def _tiles(folder: str, width: int, tile: int, count: int) -> list[str]:
    """``count`` procedural tiles of ``tile``² px spread evenly from the zone's left to its right edge."""
    paths = []
    cols = np.linspace(0, width - tile, count).astype(int) // 64 * 64
    for k, c in enumerate(cols.tolist()):
        r = (HEIGHT - tile) // 2 // 64 * 64
        yy, xx = np.mgrid[r:r + tile, c:c + tile].astype("f4")
        values = np.stack([np.sin(xx / (97.0 + b)) * np.cos(yy / (61.0 + b)) for b in range(BANDS)], axis=-1)
        path = os.path.join(folder, f"w{k:03d}.npy")
        np.save(path, values.astype("f4"))
        with open(path[:-4] + ".json", "w") as f:
            json.dump({"crs": "EPSG:3857", "transform": [RES, 0, X0 + c * RES, 0, -RES, Y0 - r * RES], "time": "2024"}, f)
        paths.append(path)
    return paths


def child(width: int, tile: int, count: int, memory: str, workers: int, folder: str) -> dict:
    """Build and preview one wide zone in this process; peak RSS of it and of its workers (bytes)."""
    from zarrkit import geo, progress
    from zarrkit.geo.grid import single_grid
    from zarrkit.geo.preview import preview

    tiles = os.path.join(folder, "tiles")
    os.makedirs(tiles, exist_ok=True)
    paths = _tiles(tiles, width, tile, count)
    root = os.path.join(folder, "out")
    t0 = time.perf_counter()
    with progress.enabled(False), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geo.build(paths, root, time="2024", scheme=single_grid(wide_grid(width)), model=MODEL, source_data=SOURCE,
                  executor="processes", workers=workers, memory=memory, progress=False, force=True)
        preview(root, time="2024", executor="processes", workers=workers, memory=memory, force=True)
    seconds = time.perf_counter() - t0
    kib = 1024  # ru_maxrss is in KiB on Linux
    return {"width": wide_grid(width).shape[1], "seconds": seconds,
            "main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib,
            "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib}


def measure_width(width: int, *, tile: int = 1024, count: int = 6, memory: str = "2GiB", workers: int = 2,
                  workdir: str | None = None) -> dict:
    """Run :func:`child` in a fresh process (so ``ru_maxrss`` is this build's alone); the
    scratch folder is removed afterwards."""
    folder = tempfile.mkdtemp(prefix="zarrkit-geo-memory-", dir=workdir)
    try:
        cmd = [sys.executable, "-m", "zarrkit.bench.geo_memory", "--child", str(width), str(tile), str(count),
               memory, str(workers), folder]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the {width}-px build failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def print_rows(rows: list[dict], memory: str) -> None:
    """The table: width, seconds, peak RSS of the main process and the largest worker."""
    print(f"peak RSS of a {HEIGHT}-px-high, {BANDS}-band zone: build + rgb + pyramid, processes executor, "
          f"--memory {memory}; target: every process <= 2.5 GiB, flat as the width doubles")
    print(f"{'width px':>10} {'seconds':>8} {'main MiB':>9} {'worker MiB':>11}")
    for r in rows:
        print(f"{r['width']:>10} {r['seconds']:>8.1f} {r['main'] / 2**20:>9.0f} {r['workers'] / 2**20:>11.0f}")


def build_parser() -> argparse.ArgumentParser:
    """Options of :func:`main`.

    Example:
        >>> build_parser().parse_args(["--quick"]).quick
        True
    """
    parser = argparse.ArgumentParser(prog="python -m zarrkit.bench.geo_memory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=400_000, help="zone width in px (also run at half of it)")
    parser.add_argument("--memory", default="2GiB", help="the build's memory budget (default 2GiB)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 25 600 px, 256-px tiles")
    parser.add_argument("--dir", default=None, help="where the scratch folder goes")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Measure the wide zone at half the width and at the width; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.child:
        width, tile, count, memory, workers, folder = args.child
        print(json.dumps(child(int(width), int(tile), int(count), memory, int(workers), folder)))
        return 0
    width, tile = (25_600, 256) if args.quick else (args.width, 1024)
    rows = [measure_width(w, tile=tile, memory=args.memory, workers=args.workers, workdir=args.dir)
            for w in (width // 2, width)]
    print_rows(rows, args.memory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
