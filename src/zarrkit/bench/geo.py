"""Geo benchmark (spec geo.md §12): zarrkit.geo against a straightforward zarr-python build.

The anchor, geotessera's zone-store writer, is not installable here, so it is measured the
way the spec names as measurable: a zarr-python 3 version of its approach (same tiles,
same quantiser, a spawn process pool of the same size, one task per output shard writing
whole shards) on its layout, (4, 4, B) chunks in (256, 256, B) shards.  Every row is

    ratio = anchor time / zarrkit time   (> 1: zarrkit is faster)

over medians of ``--reps`` runs after a warm-up.  Reads: cold single-pixel bytes and
requests (counted at the store, after the shard's index fetch), warm point latency
(``sample_point`` and ``sample_points`` of one point; target <= 50 us), ``sample_points`` of
many points against zarr-python's ``vindex``, and a dequantised ``--region-side``² window
read locally (and a ``--s3-side``² one on loopback S3) against zarr-python reading the same
store (:mod:`zarrkit.bench.geo_region`).  Last, the peak RSS of building a ``--rss-width`` px wide
zone under a 2 GiB budget, and of half that width (:mod:`zarrkit.bench.geo_memory`).
Tiles and stores live in a temporary folder (under ``--dir``) that is removed at the end.

    python benchmarks/geo.py --tiles 8 --tile 256 --bands 64 --reps 3
    zarrkit bench geo --reps 3
    python benchmarks/geo.py --quick          # a smoke run of every row, small sizes

Example:
    >>> build_parser().parse_args(["--tiles", "4"]).tiles
    4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from zarrkit import progress
from zarrkit.bench import RATIO_RULE, format_speedup, median_seconds

__all__ = ["GeoRow", "build_parser", "main", "run_geo_benchmark"]

MODEL, SOURCE = "https://example.org/bench-model/v1", ["https://example.org/bench-source"]
ANCHOR_CHUNK, ANCHOR_SHARD = 4, 256  # geotessera's zone-store layout (spec §2 "Measured")
RES = 10.0


@dataclass(frozen=True)
class GeoRow:
    """One comparison: operation, anchor, both medians (seconds, or bytes for the byte rows)."""

    operation: str
    anchor: str
    zarrkit: float
    other: float
    unit: str = "s"

    def ratio(self) -> str:
        return format_speedup(self.other, self.zarrkit)


def write_tiles(folder: str, n: int, side: int, bands: int) -> tuple[list[str], tuple[int, int]]:
    """``n`` procedural float32 tiles on utm31's 10 m lattice near the equator, laid out four
    across; returns their paths and the (row, col) of the first tile's top-left pixel."""
    from zarrkit.geo.grid import utm_zones

    zone = utm_zones(res=RES).zone(31)
    ox, oy = zone.origin
    row0 = int((oy - 100_000) / RES) // ANCHOR_SHARD * ANCHOR_SHARD + 37  # off the shard lattice, as real tiles are
    col0 = int((500_000 - ox) / RES) // ANCHOR_SHARD * ANCHOR_SHARD + 11
    rng = np.random.default_rng(0)
    paths = []
    for k in range(n):
        r, c = row0 + (k // 4) * side, col0 + (k % 4) * side
        yy, xx = np.mgrid[r:r + side, c:c + side].astype("f4")
        base = np.sin(xx / 97.0)[..., None] * np.cos(yy / 61.0)[..., None]
        values = (base * rng.uniform(0.5, 1.5, bands).astype("f4")).astype("f4")
        path = os.path.join(folder, f"t{k:03d}.npy")
        np.save(path, values)
        with open(path[:-4] + ".json", "w") as f:
            json.dump({"crs": zone.crs, "transform": [RES, 0, ox + c * RES, 0, -RES, oy - r * RES], "time": "2024"}, f)
        paths.append(path)
    return paths, (row0, col0)


def _anchor_shard(task) -> None:
    """One output shard, the anchor's way: read overlapping tiles, quantise, write whole shard."""
    import zarr

    from zarrkit.geo.quantize import quantize

    out, (i, j), side, bands, pieces = task
    block = np.full((side, side, bands), np.nan, "f4")
    for path, (tr, tc), (br, bc), (h, w) in pieces:
        block[br:br + h, bc:bc + w] = np.load(path, mmap_mode="r")[tr:tr + h, tc:tc + w]
    q, scale = quantize(block, np.isfinite(block).all(axis=-1))
    scale[~np.isfinite(block).all(axis=-1)] = np.inf  # never written
    sel = (slice(i * side, (i + 1) * side), slice(j * side, (j + 1) * side))
    zarr.open_array(out, path="utm31/embeddings", mode="r+")[sel] = q
    zarr.open_array(out, path="utm31/scales", mode="r+")[sel] = scale


def anchor_build(paths: list[str], origin: tuple[int, int], side: int, bands: int, out: str, workers: int) -> None:
    """The straightforward zarr-python zone build of the anchor's approach (see module docstring)."""
    import zarr
    from zarr.codecs import BloscCodec

    from zarrkit.geo.grid import utm_zones

    h, w = utm_zones(res=RES).zone(31).shape
    shutil.rmtree(out, ignore_errors=True)
    root = zarr.open_group(out, mode="w", zarr_format=3)
    blosc = {"cname": "zstd", "clevel": 3}
    root.create_array("utm31/embeddings", shape=(h, w, bands), dtype="i1", fill_value=0,
                      chunks=(ANCHOR_CHUNK, ANCHOR_CHUNK, bands), shards=(ANCHOR_SHARD, ANCHOR_SHARD, bands),
                      compressors=[BloscCodec(**blosc, shuffle="bitshuffle")], dimension_names=("y", "x", "band"))
    root.create_array("utm31/scales", shape=(h, w), dtype="f4", fill_value=np.inf, chunks=(32, 32),
                      shards=(ANCHOR_SHARD, ANCHOR_SHARD), compressors=[BloscCodec(**blosc, shuffle="shuffle")],
                      dimension_names=("y", "x"))
    shards: dict[tuple[int, int], list] = {}
    for k, path in enumerate(paths):
        r0, c0 = origin[0] + (k // 4) * side, origin[1] + (k % 4) * side
        for i in range(r0 // ANCHOR_SHARD, (r0 + side - 1) // ANCHOR_SHARD + 1):
            for j in range(c0 // ANCHOR_SHARD, (c0 + side - 1) // ANCHOR_SHARD + 1):
                a, b = max(r0, i * ANCHOR_SHARD), min(r0 + side, (i + 1) * ANCHOR_SHARD)
                c, d = max(c0, j * ANCHOR_SHARD), min(c0 + side, (j + 1) * ANCHOR_SHARD)
                shards.setdefault((i, j), []).append((path, (a - r0, c - c0), (a - i * ANCHOR_SHARD, c - j * ANCHOR_SHARD),
                                                      (b - a, d - c)))
    tasks = [(out, ij, ANCHOR_SHARD, bands, pieces) for ij, pieces in sorted(shards.items())]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_anchor_shard, tasks))


class _CountingZarrStore:
    """A zarr-python LocalStore that adds up the bytes and requests it serves."""

    @staticmethod
    def open(path: str):
        from zarr.storage import LocalStore

        class Counting(LocalStore):
            moved = 0
            requests = 0

            async def get(self, key, prototype=None, byte_range=None):
                buf = await super().get(key, prototype, byte_range)
                if buf is not None and not key.endswith("zarr.json"):
                    Counting.moved += len(buf.to_bytes())
                    Counting.requests += 1
                return buf

        return Counting(path, read_only=True), Counting


def _zarrkit_pixel_bytes(root: str, lonlat: list[tuple[float, float]]) -> tuple[int, int]:
    """Bytes and requests zarrkit moves for the last of ``lonlat`` (python backend, counted)."""
    from zarrkit import geo

    mosaic = geo.open(root)
    mosaic.zones("2024")
    store = mosaic.hierarchy("2024").store
    seen = {"bytes": 0, "requests": 0}
    for name in ("get", "get_range"):
        real = getattr(store, name)

        def counted(key, *args, _real=real, **kwargs):
            data = _real(key, *args, **kwargs)
            seen["bytes"] += len(data or b"")
            seen["requests"] += 1
            return data
        setattr(store, name, counted)
    for lon, lat in lonlat[:-1]:
        mosaic.sample_points([lon], [lat], time="2024")
    seen.update(bytes=0, requests=0)
    mosaic.sample_points([lonlat[-1][0]], [lonlat[-1][1]], time="2024")
    return seen["bytes"], seen["requests"]


def run_geo_benchmark(tiles: int = 8, tile: int = 256, bands: int = 64, reps: int = 3, workers: int = 2,
                      points: int = 100_000, *, workdir: str | None = None, region_side: int = 4096,
                      region_bands: int = 8, s3_side: int = 1024) -> list[GeoRow]:
    """Time builds and reads (see the module docstring); the scratch folder is always removed.

    Example:
        >>> rows = run_geo_benchmark(tiles=2, tile=64, bands=8, reps=1)  # doctest: +SKIP
        >>> rows[0].operation                                              # doctest: +SKIP
        'build (point profile)'
    """
    root = tempfile.mkdtemp(prefix="zarrkit-geo-bench-", dir=workdir)
    old_backend = os.environ.get("ZARRKIT_CORE_BACKEND")
    try:
        with progress.enabled(False), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = _measure(root, tiles, tile, bands, reps, workers, points)
            return rows + (_region_rows(root, region_side, region_bands, reps, workers, s3_side) if region_side else [])
    finally:
        if old_backend is None:
            os.environ.pop("ZARRKIT_CORE_BACKEND", None)
        else:
            os.environ["ZARRKIT_CORE_BACKEND"] = old_backend
        shutil.rmtree(root, ignore_errors=True)


def _measure(root: str, n: int, side: int, bands: int, reps: int, workers: int, points: int) -> list[GeoRow]:
    import zarr

    from zarrkit import geo
    from zarrkit.geo.grid import utm_zones

    folder = os.path.join(root, "tiles")
    os.makedirs(folder)
    paths, origin = write_tiles(folder, n, side, bands)
    zk, zk_anchor_layout, anchor = (os.path.join(root, d) for d in ("zk", "zk-anchor-layout", "anchor.zarr"))
    common = dict(time="2024", scheme=utm_zones(res=RES), model=MODEL, source_data=SOURCE, executor="processes",
                  workers=workers, progress=False, force=True)
    rows = []
    t_anchor = median_seconds(lambda: anchor_build(paths, origin, side, bands, anchor, workers), reps)
    rows.append(GeoRow("build (point profile)", "zarr-python, anchor layout",
                       median_seconds(lambda: geo.build(paths, zk, **common), reps), t_anchor))
    rows.append(GeoRow("build (anchor layout)", "zarr-python, anchor layout",
                       median_seconds(lambda: geo.build(paths, zk_anchor_layout, shard=ANCHOR_SHARD, chunk=ANCHOR_CHUNK,
                                                        **common), reps), t_anchor))

    zone = utm_zones(res=RES).zone(31)
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(zone.crs, "EPSG:4326", always_xy=True).transform
    ox, oy = zone.origin

    def lonlat(r: float, c: float) -> tuple[float, float]:
        return to_lonlat(ox + (c + 0.5) * RES, oy - (r + 0.5) * RES)

    # cold pixel: its shard's index already fetched (by a pixel 20 rows, 40 columns away, in
    # other inner chunks of the same shard on both layouts)
    r, c = origin[0] + 4, origin[1] + 4
    os.environ["ZARRKIT_CORE_BACKEND"] = "python"  # count at the store: zarrs reads files itself
    zk_bytes, zk_requests = _zarrkit_pixel_bytes(zk, [lonlat(r, c), lonlat(r + 20, c + 40)])
    store, counting = _CountingZarrStore.open(anchor)
    emb, scales = zarr.open_array(store, path="utm31/embeddings"), zarr.open_array(store, path="utm31/scales")
    emb[r, c], scales[r, c]
    counting.moved = counting.requests = 0
    emb[r + 20, c + 40], scales[r + 20, c + 40]
    rows.append(GeoRow("cold pixel, bytes moved", f"zarr-python ({counting.requests} vs {zk_requests} requests)",
                       zk_bytes, counting.moved, "B"))
    os.environ.pop("ZARRKIT_CORE_BACKEND", None)

    mosaic = geo.open(zk)
    rng = np.random.default_rng(1)
    span = (side * min(n, 4), side * ((n + 3) // 4))
    pr = origin[0] + rng.integers(0, span[1], points)
    pc = origin[1] + rng.integers(0, span[0], points)
    lon, lat = to_lonlat(ox + (pc + 0.5) * RES, oy - (pr + 0.5) * RES)
    plain = zarr.open_array(anchor, path="utm31/embeddings", mode="r")
    plain_s = zarr.open_array(anchor, path="utm31/scales", mode="r")
    one = iter(range(10**9))
    band = np.arange(bands)

    lon_list, lat_list = lon.tolist(), lat.tolist()

    def zk_point():
        k = next(one) % points
        mosaic.sample_point(lon_list[k], lat_list[k], time="2024")

    def zk_points_1():
        k = next(one) % points
        mosaic.sample_points(lon[k:k + 1], lat[k:k + 1], time="2024")

    def zp_point():
        k = next(one) % points
        plain[pr[k], pc[k]] * plain_s[pr[k], pc[k]]
    t_zp = median_seconds(zp_point, reps * 200)
    rows.append(GeoRow("warm point read (sample_point)", "zarr-python [r, c]", median_seconds(zk_point, reps * 2000), t_zp))
    rows.append(GeoRow("warm point (sample_points, 1)", "zarr-python [r, c]", median_seconds(zk_points_1, reps * 2000),
                       t_zp))
    def zp_points():
        return plain.vindex[pr[:, None], pc[:, None], band[None, :]] * plain_s.vindex[pr, pc][:, None]
    rows.append(GeoRow(f"sample_points x{points}", "zarr-python vindex",
                       median_seconds(lambda: mosaic.sample_points(lon, lat, time="2024"), reps),
                       median_seconds(zp_points, reps)))

    return rows


def _region_rows(root: str, side: int, bands: int, reps: int, workers: int, s3_side: int) -> list[GeoRow]:
    from zarrkit.bench.geo_region import build_region_store, measure_region

    store, origin = build_region_store(root, side, bands, workers)
    out = []
    for r in measure_region(store, origin, side, reps, s3_side=s3_side, report=lambda r: print("  region row:", r, flush=True)):
        mb = r.nbytes / 1e6
        out.append(GeoRow(f"region x{bands} {r.where}: {mb / r.zarrkit:.3g} MB/s",
                          f"zarr-python, same store: {mb / r.other:.3g} MB/s", r.zarrkit, r.other))
    return out


def print_geo_table(rows: list[GeoRow], args) -> None:
    """Print the rows with the ratio convention in the header."""
    print(f"{args.tiles} tiles of {args.tile}^2 px x {args.bands} bands (float32 -> int8), {args.workers} workers; "
          f"medians of {args.reps} runs")
    print(RATIO_RULE + "; byte rows: anchor bytes / zarrkit bytes")
    print(f"{'operation':46} {'anchor':38} {'zarrkit':>12} {'anchor':>12} {'ratio':>8}")
    def show(v: float, unit: str) -> str:
        if unit == "B":
            return f"{v:10.0f} B"
        return f"{v * 1e6:9.1f} us" if v < 1e-3 else f"{v * 1e3:10.3f}ms"
    for row in rows:
        print(f"{row.operation:46} {row.anchor:38} {show(row.zarrkit, row.unit):>12} {show(row.other, row.unit):>12} "
              f"{row.ratio():>8}")


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of :func:`main`.

    Example:
        >>> build_parser().parse_args([]).reps
        3
    """
    parser = argparse.ArgumentParser(prog="zarrkit bench geo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=int, default=8, help="tiles, four across (default 8)")
    parser.add_argument("--tile", type=int, default=256, help="tile side in pixels (default 256)")
    parser.add_argument("--bands", type=int, default=64, help="bands per tile (default 64)")
    parser.add_argument("--workers", type=int, default=2, help="build processes, both sides (default 2)")
    parser.add_argument("--points", type=int, default=100_000, help="points for sample_points (default 100000)")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per operation, after one warm-up")
    parser.add_argument("--region-side", type=int, default=4096, help="region read window side (a multiple of 4; 0 skips)")
    parser.add_argument("--region-bands", type=int, default=8, help="bands of the region store (default 8)")
    parser.add_argument("--s3-side", type=int, default=1024, help="loopback S3 region window side; 0 skips it")
    parser.add_argument("--rss-width", type=int, default=400_000, help="wide-zone width for peak RSS; 0 skips it")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small tiles, region and wide zone")
    parser.add_argument("--dir", default=None, help="where the temporary scratch folder goes (default: the system's)")
    parser.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)  # no bars here anyway
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the geo benchmark from command-line arguments; return the exit code.

    Example:
        >>> main(["--tiles", "2", "--tile", "64", "--bands", "8", "--reps", "1"])  # doctest: +SKIP
        0
    """
    from zarrkit.bench.geo_memory import measure_width, print_rows

    args = build_parser().parse_args(argv)
    if args.quick:
        args.tiles, args.tile, args.bands, args.points, args.reps = 2, 64, 8, 1000, 1
        args.region_side, args.s3_side, args.rss_width = 512, args.s3_side and 256, args.rss_width and 25_600
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    started = time.perf_counter()
    rows = run_geo_benchmark(args.tiles, args.tile, args.bands, args.reps, args.workers, args.points, workdir=args.dir,
                             region_side=args.region_side, region_bands=args.region_bands, s3_side=args.s3_side)
    print_geo_table(rows, args)
    if args.rss_width:
        tile = 256 if args.quick else 1024
        print_rows([measure_width(w, tile=tile, workers=args.workers, workdir=args.dir)
                    for w in (args.rss_width // 2, args.rss_width)], "2GiB")
    print(f"(ran {time.perf_counter() - started:.0f} s; the anchor geotessera is not installable here)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
