"""Partial shard write benchmark (issue 14, item 4): rewrite 1 of 64 inner chunks of a shard.

One uint16 N x N shard of 8 x 8 inner chunks (zstd 3, index at the end) holds varied data;
each rep rewrites one inner chunk (a different one each time) through:

  zarrkit             ``write_chunk(..., inner=True)`` on the python backend (re-encodes the
                      touched inner chunk, copies the other 63 as bytes)
  zarrkit-whole       the same edit done the old way: decode the whole shard, re-encode it
  zarr-python         ``z[box] = block`` (zarr-python's own partial shard write)

and prints ``ratio = anchor time / zarrkit time`` (> 1: zarrkit is faster) against both.

    python -m zarrkit.bench.core_partial --size 4096 --reps 5
    python -m zarrkit.bench.core_partial --size 256 --reps 1     # a smoke run
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np

from zarrkit import core
from zarrkit.bench import RATIO_RULE, format_speedup, median_seconds
from zarrkit.storage import open_store

__all__ = ["main", "run"]

_PER_SIDE = 8  # 8 x 8 = 64 inner chunks per shard
_ZSTD3 = [{"name": "zstd", "configuration": {"level": 3, "checksum": False}}]


def _prepare(root: str, n: int):
    inner = n // _PER_SIDE
    store = open_store(f"{root}/partial.zarr", mode="w")
    meta = core.create_array(store, "a", core.array_metadata((n, n), "uint16", (inner, inner), shards=(n, n),
                                                             compressors=_ZSTD3))
    rng = np.random.default_rng(0)
    data = (rng.normal(1000, 50, (n, n)) + np.arange(n)).astype("uint16")
    core.write_region(store, "a", ..., data, metadata=meta, backend="python")
    return store, meta, inner


def run(n: int, reps: int) -> dict[str, float]:
    """Median seconds per one-inner-chunk rewrite for each way; ``n`` is the shard's side.

    Example:
        >>> sorted(run(64, 1))  # doctest: +SKIP
        ['zarr-python', 'zarrkit', 'zarrkit-whole']
    """
    if n % _PER_SIDE:
        raise ValueError(f"--size must be a multiple of {_PER_SIDE}, got {n}")
    with tempfile.TemporaryDirectory(prefix="zarrkit-partial-") as root:
        store, meta, inner = _prepare(root, n)
        turn = iter(range(10**9))

        def block(i: int) -> tuple[tuple[int, int], np.ndarray]:
            coords = (i % _PER_SIDE, (i // _PER_SIDE) % _PER_SIDE)
            return coords, np.full((inner, inner), i % 60000, dtype="uint16")

        def zarrkit_partial():
            coords, value = block(next(turn))
            core.write_chunk(store, "a", coords, value, metadata=meta, inner=True, backend="python")

        def zarrkit_whole():
            coords, value = block(next(turn))
            key = "a/c/0/0"
            chain = meta.chain
            shard = np.array(chain.decode(store.get(key)))
            shard[coords[0] * inner:(coords[0] + 1) * inner, coords[1] * inner:(coords[1] + 1) * inner] = value
            store.set(key, chain.encode(shard))

        times = {"zarrkit": median_seconds(zarrkit_partial, reps), "zarrkit-whole": median_seconds(zarrkit_whole, reps)}
        try:
            import zarr
        except ImportError:  # zarr-python is an optional anchor here
            return times
        z = zarr.open_array(f"{root}/partial.zarr", path="a", mode="r+")

        def zarr_python():
            (i, j), value = block(next(turn))
            z[i * inner:(i + 1) * inner, j * inner:(j + 1) * inner] = value

        times["zarr-python"] = median_seconds(zarr_python, reps)
        return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="the shard's side N (a multiple of 8)")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    times = run(args.size, args.reps)
    ours = times["zarrkit"]
    print(f"partial shard write: 1 of 64 inner chunks of a {args.size}² uint16 zstd shard; {RATIO_RULE}")
    for name, seconds in times.items():
        ratio = "" if name == "zarrkit" else f"  zarrkit vs {name}: {format_speedup(seconds, ours)}"
        print(f"  {name:<14} {seconds * 1e3:9.2f} ms{ratio}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
