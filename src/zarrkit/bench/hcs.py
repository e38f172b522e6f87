"""HCS plate benchmark (spec hcs.md §8): zarrkit's default layout against the anchor's.

The anchor, OpenHCS's ``ZarrStorageBackend``, is not installable here (it pins ``zarr<3``),
so its *layout* is measured instead, as the spec allows: three layouts of one plate, in
one run, on the same data (default 96 wells x 2 fields x 3 ch x 5 z x 512² uint16, zstd 3):

- **A** the anchor's layout: one image per well with a leading ``field`` axis, one chunk,
  one level, written by ome-zarr-py's ``write_image`` (read back with zarr-python);
- **B** unsharded plane chunks, one array per field, through zarr-python;
- **C** zarrkit's default (``SHARDED``: one plane per inner chunk, one shard per field)
  through ``PlateWriter`` / ``PlateReader``, and ``FileBackend.save`` for plane streaming.

Every ratio compares times (or, for files, counts), the convention of :mod:`zarrkit.bench`:

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

Reads are cold (``posix_fadvise(DONTNEED)`` on every file first).  Each measurement runs
``--reps`` times; the table shows medians, the best run and the spec's target (as a
minimum ratio).  The plates live in a temporary folder (under ``--dir``) removed at the end.

    python benchmarks/hcs.py --wells 96 --reps 3
    zarrkit bench hcs --wells 24 --reps 3

Example:
    >>> build_parser().parse_args(["--wells", "8"]).wells
    8
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from zarrkit import progress
from zarrkit.bench import RATIO_RULE, format_speedup

__all__ = ["Measured", "build_parser", "main", "run_hcs_benchmark"]

LAYOUTS = ("A", "B", "C")
# spec §8 targets as minimum ratios (anchor / zarrkit; for files anchor count / zarrkit count)
SPEC_TARGETS = {("random-plane p50", "A"): 5.0, ("random-plane p50", "B"): 1 / 1.5,
                ("whole-plate read", "A"): 0.9, ("whole-plate read", "B"): 0.9,
                ("whole-plate write", "A"): 0.85, ("whole-plate write", "B"): 0.9,
                ("plane-at-a-time write", "A"): 8.0, ("plane-at-a-time write", "B"): 0.8,
                ("data files", "B"): 15.0}
ZSTD_LEVEL = 3


@dataclass
class Measured:
    """One layout's numbers: seconds per rep for each timed metric, plus counts."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    files: int = 0
    stored: int = 0

    def add(self, metric: str, wall: float, cpu: float | None = None) -> None:
        self.seconds.setdefault(metric, []).append(wall)
        if cpu is not None:
            self.cpu.setdefault(metric, []).append(cpu)


def _wells(n: int) -> list[str]:
    rows = "ABCDEFGH"
    return [f"{rows[i // 12]}/{i % 12 + 1}" for i in range(n)]


def synth_plate(wells: int, side: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per well a (field=2, c=3, z=5, side, side) uint16 array: smooth blobs plus noise, about
    1.9x compressible with zstd 3, every plane distinct (so no codec sees a repeat)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    base = (300 + 800 * np.exp(-((y - 0.4) ** 2 + (x - 0.6) ** 2) / 0.02)).astype(np.int32)
    out = {}
    for w in _wells(wells):
        noise = rng.integers(0, 64, (2, 3, 5, side, side), dtype=np.int32)
        out[w] = (base + noise + rng.integers(0, 400, (2, 3, 5, 1, 1))).astype(np.uint16)
    return out


def _drop_cache(root: str) -> None:
    """Evict ``root``'s files from the page cache, so the next read comes from the disk."""
    os.sync()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _tree(root: str) -> tuple[int, int]:
    """(data files, stored bytes) under ``root``; metadata documents are not data files."""
    files = stored = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            stored += os.path.getsize(os.path.join(dirpath, name))
            files += name != "zarr.json"
    return files, stored


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


# ---------------------------------------------------------------- the three layouts
def _zstd():
    import zarr

    return zarr.codecs.ZstdCodec(level=ZSTD_LEVEL)


def write_a(root: str, data: dict[str, np.ndarray]) -> None:
    """The anchor's layout through ome-zarr-py: one (field, c, z, y, x) image per well, one chunk."""
    import zarr
    from ome_zarr.writer import write_image, write_plate_metadata, write_well_metadata

    group = zarr.open_group(root, mode="w")
    write_plate_metadata(group, list("ABCDEFGH"), [str(c) for c in range(1, 13)], list(data), field_count=2)
    axes = [{"name": "field", "type": "custom"}, "c", "z", "y", "x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notices about custom axes and consolidation
        for well, array in data.items():
            row, col = well.split("/")
            wg = group.require_group(row).require_group(col)
            write_well_metadata(wg, ["0"])
            write_image(array, wg.require_group("0"), scale_factors=[], axes=axes,
                        storage_options={"chunks": array.shape, "compressors": _zstd()})


def write_b(root: str, data: dict[str, np.ndarray]) -> None:
    """Unsharded plane chunks, one (c, z, y, x) array per field, through zarr-python."""
    import zarr

    group = zarr.open_group(root, mode="w")
    for well, array in data.items():
        for f in range(array.shape[0]):
            arr = group.create_array(f"{well}/{f}/0", shape=array.shape[1:], dtype=array.dtype,
                                     chunks=(1, 1, *array.shape[-2:]), compressors=_zstd(),
                                     dimension_names=("c", "z", "y", "x"))
            arr[...] = array[f]


def write_c(root: str, data: dict[str, np.ndarray]) -> None:
    """zarrkit's default layout, wells encoded on its default executor."""
    from zarrkit.hcs import ImageSpec, PlateSpec, PlateWriter

    writer = PlateWriter.create(root, PlateSpec.preset(96, name="bench"), ImageSpec("czyx"),
                                compression=f"zstd:{ZSTD_LEVEL}")
    writer.write_wells([(w, {str(f): a[f] for f in range(a.shape[0])}) for w, a in data.items()])
    writer.finalize()
    writer.close()


def plane_readers(layout: str, root: str) -> Callable[[str, int, int, int], np.ndarray]:
    """``read(well, field, c, z)`` for a layout; arrays opened once, as a pipeline would."""
    import zarr

    if layout == "C":
        from zarrkit.hcs import PlateReader

        reader = PlateReader(root)
        return lambda w, f, c, z: reader.plane(w, str(f), c=c, z=z)
    opened: dict[str, zarr.Array] = {}

    def read(w: str, f: int, c: int, z: int) -> np.ndarray:
        key = f"{w}/0/s0" if layout == "A" else f"{w}/{f}/0"
        if key not in opened:
            opened[key] = zarr.open_array(root, path=key, mode="r")
        return opened[key][(f, c, z) if layout == "A" else (c, z)]

    return read


def read_plate(layout: str, root: str, wells: list[str]) -> int:
    """Read every well whole, one field after another; returns the bytes read."""
    import zarr

    total = 0
    if layout == "C":
        from zarrkit.hcs import PlateReader

        reader = PlateReader(root)
        for w in wells:
            total += sum(img.numpy().nbytes for img in reader.well(w).values())
        return total
    for w in wells:
        if layout == "A":
            total += zarr.open_array(root, path=f"{w}/0/s0", mode="r")[...].nbytes
        else:
            total += sum(zarr.open_array(root, path=f"{w}/{f}/0", mode="r")[...].nbytes for f in range(2))
    return total


def stream_planes(layout: str, root: str, data: dict[str, np.ndarray]) -> None:
    """Write wells one plane per call, as an acquisition pipeline produces them."""
    import zarr

    if layout == "C":
        from zarrkit.hcs import ImageSpec, PlateSpec
        from zarrkit.hcs.backend import FileBackend, FileConfig

        fb = FileBackend(FileConfig(plate=PlateSpec.preset(96), image=ImageSpec("czyx"),
                                    compression=f"zstd:{ZSTD_LEVEL}", sizes={"field": 2, "c": 3, "z": 5}))
        for w, a in data.items():
            row, col = w.split("/")
            for f, c, z in np.ndindex(*a.shape[:3]):
                fb.save(a[f, c, z], os.path.join(root, f"{row}{int(col):02d}_s{f + 1}_w{c + 1}_z{z + 1:02d}.tif"))
        fb.flush()
        return
    group = zarr.open_group(root, mode="w")
    for w, a in data.items():
        if layout == "A":  # one chunk per well: every plane rewrites the well's chunk
            arr = group.create_array(f"{w}/0/s0", shape=a.shape, dtype=a.dtype, chunks=a.shape, compressors=_zstd())
            for f, c, z in np.ndindex(*a.shape[:3]):
                arr[f, c, z] = a[f, c, z]
        else:
            arrs = [group.create_array(f"{w}/{f}/0", shape=a.shape[1:], dtype=a.dtype, chunks=(1, 1, *a.shape[-2:]),
                                       compressors=_zstd()) for f in range(a.shape[0])]
            for f, c, z in np.ndindex(*a.shape[:3]):
                arrs[f][c, z] = a[f, c, z]


# ---------------------------------------------------------------- the run
WRITERS = {"A": write_a, "B": write_b, "C": write_c}


def _measure_layout(layout: str, scratch: str, data: dict[str, np.ndarray], reps: int, planes: int,
                    stream_wells: int, result: Measured) -> None:
    rng = np.random.default_rng(1)
    wells = list(data)
    stream_data = {w: data[w] for w in wells[:stream_wells]}
    for rep in range(reps):
        root = os.path.join(scratch, f"{layout}{rep}.ome.zarr")
        result.add("whole-plate write", *_timed(lambda root=root: WRITERS[layout](root, data)))
        result.files, result.stored = _tree(root)
        _drop_cache(root)
        result.add("whole-plate read", *_timed(lambda root=root: read_plate(layout, root, wells)))
        _drop_cache(root)
        read = plane_readers(layout, root)
        picks = [(wells[rng.integers(len(wells))], *(int(rng.integers(n)) for n in (2, 3, 5))) for _ in range(planes)]
        for pick in picks:
            t0 = time.perf_counter()
            read(*pick)
            result.latencies.append(time.perf_counter() - t0)
        stream_root = os.path.join(scratch, f"{layout}{rep}-stream.ome.zarr")
        result.add("plane-at-a-time write", *_timed(lambda out=stream_root: stream_planes(layout, out, stream_data)))
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(stream_root, ignore_errors=True)
        shutil.rmtree(root + ".staging", ignore_errors=True)


def run_hcs_benchmark(wells: int = 96, side: int = 512, reps: int = 3, *, planes: int = 500, stream_wells: int = 4,
                      workdir: str | None = None) -> tuple[dict[str, Measured], int]:
    """Measure layouts A, B and C; returns ``({layout: Measured}, raw plate bytes)``.

    Example:
        >>> results, raw = run_hcs_benchmark(wells=2, side=64, reps=1, planes=5, stream_wells=1)  # doctest: +SKIP
        >>> sorted(results), raw                                                                 # doctest: +SKIP
        (['A', 'B', 'C'], 491520)
    """
    data = synth_plate(wells, side)
    raw = sum(a.nbytes for a in data.values())
    scratch = tempfile.mkdtemp(prefix="zarrkit-hcs-bench-", dir=workdir)
    results = {layout: Measured() for layout in LAYOUTS}
    try:
        # only this bar: a bar drawn by the timed calls themselves would be timed too
        with progress.task("HCS benchmark", total=len(LAYOUTS)) as advance, progress.enabled(False):
            for layout in LAYOUTS:
                _measure_layout(layout, scratch, data, reps, planes, min(stream_wells, wells), results[layout])
                advance()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results, raw


def _ratio_rows(results: dict[str, Measured], raw: int, stream_raw: int) -> list[tuple[str, str, str, str, str, str]]:
    """(metric, anchor, zarrkit value, anchor value, median ratio, best-run ratio, target) per comparison."""
    rows = []
    c = results["C"]
    volumes = {"whole-plate write": raw, "whole-plate read": raw, "plane-at-a-time write": stream_raw}
    for metric, volume in volumes.items():
        for anchor in ("A", "B"):
            zk, other = c.seconds[metric], results[anchor].seconds[metric]
            target = SPEC_TARGETS.get((metric, anchor))
            rows.append((metric, anchor, f"{volume / 1e6 / statistics.median(zk):8.0f} MB/s",
                         f"{volume / 1e6 / statistics.median(other):8.0f} MB/s",
                         format_speedup(statistics.median(other), statistics.median(zk)),
                         format_speedup(min(other), min(zk)), f">={target:.2f}" if target else "-"))
    for label, q in (("random-plane p50", 50), ("random-plane p95", 95)):
        zk = float(np.percentile(c.latencies, q))
        for anchor in ("A", "B"):
            other = float(np.percentile(results[anchor].latencies, q))
            target = SPEC_TARGETS.get((label, anchor))
            rows.append((label, anchor, f"{zk * 1e3:8.2f} ms", f"{other * 1e3:8.2f} ms", format_speedup(other, zk), "-",
                         f">={target:.2f}" if target else "-"))
    for anchor in ("A", "B"):
        target = SPEC_TARGETS.get(("data files", anchor))
        rows.append(("data files", anchor, f"{c.files:11d}", f"{results[anchor].files:11d}",
                     format_speedup(results[anchor].files, c.files), "-", f">={target:.2f}" if target else "-"))
    return rows


def print_hcs_table(results: dict[str, Measured], raw: int, stream_raw: int, wells: int, side: int, reps: int) -> None:
    """Print the comparisons, CPU per GB and stored sizes, with the ratio convention in the header."""
    print(f"{wells} wells x 2 fields x 3 ch x 5 z x {side}² uint16 ({raw / 1e9:.2f} GB raw), zstd {ZSTD_LEVEL}; "
          f"medians of {reps} runs, reads cold")
    print("A = anchor layout (one chunk per well, ome-zarr-py writer; OpenHCS itself is not installable), "
          "B = plane chunks (zarr-python), C = zarrkit sharded")
    print(RATIO_RULE + "; files: anchor count / zarrkit count; target = spec §8's, as a minimum ratio")
    print(f"{'metric':22} {'vs':2} {'zarrkit (C)':>14} {'anchor':>14} {'ratio':>8} {'best':>8} {'target':>8}")
    for metric, anchor, zk, other, ratio, best, target in _ratio_rows(results, raw, stream_raw):
        print(f"{metric:22} {anchor:2} {zk:>14} {other:>14} {ratio:>8} {best:>8} {target:>8}")
    for layout, m in results.items():
        cpu = {k: statistics.median(v) / (raw / 1e9) for k, v in m.cpu.items() if k != "plane-at-a-time write"}
        print(f"{layout}: {m.files} data files, {m.stored / 2**20:.1f} MiB stored "
              f"({raw / max(m.stored, 1):.2f}x), CPU s/GB write {cpu['whole-plate write']:.2f}, "
              f"read {cpu['whole-plate read']:.2f}")


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of :func:`main`.

    Example:
        >>> build_parser().parse_args([]).reps
        3
    """
    parser = argparse.ArgumentParser(prog="zarrkit bench hcs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wells", type=int, default=96, help="wells written (default 96, the spec's; at most 96)")
    parser.add_argument("--side", type=int, default=512, help="plane side (default 512, the spec's)")
    parser.add_argument("--reps", type=int, default=3, help="runs of every measurement (default 3)")
    parser.add_argument("--planes", type=int, default=500, help="random planes read per run (default 500)")
    parser.add_argument("--stream-wells", type=int, default=4,
                        help="wells written plane by plane per run (default 4: the anchor layout rewrites its chunk "
                             "for every plane)")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes (default: the system's)")
    parser.add_argument("--no-progress", action="store_true", help="draw no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the HCS benchmark from command-line arguments; return the exit code.

    Needs ome-zarr-py (the test extra) and zarr-python.  ``argv`` defaults to ``sys.argv[1:]``.

    Example:
        >>> main(["--wells", "2", "--side", "64", "--reps", "1"])  # doctest: +SKIP
        0
    """
    args = build_parser().parse_args(argv)
    if not 1 <= args.wells <= 96:
        print("--wells must be between 1 and 96")
        return 2
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    with progress.enabled(not args.no_progress):
        results, raw = run_hcs_benchmark(args.wells, args.side, args.reps, planes=args.planes,
                                         stream_wells=args.stream_wells, workdir=args.dir)
    stream_raw = raw * min(args.stream_wells, args.wells) // args.wells
    print_hcs_table(results, raw, stream_raw, args.wells, args.side, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
