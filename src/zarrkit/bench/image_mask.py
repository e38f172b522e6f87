"""Codec options for an image archive's packed mask (issue 14, item 7): encode cost and size.

The image benchmark's 20-plane mask (uint32, about 10 % of pixels with a bit set) is written
alone through the core, sharded as the archive shards it, once per blosc option; each row
gives the median CPU and wall seconds of ``reps`` writes after a warm-up, the stored size,
and the CPU against the first option (the archive's former default, zstd clevel 5).  The
archive's choice is :data:`zarrkit.image.layout.MASK_CLEVEL`.

    zarrkit bench image --mask-codecs default
    zarrkit bench image --mask-codecs zstd:5:bitshuffle,zstd:2:bitshuffle,lz4:5:bitshuffle

Example:
    >>> parse_options("zstd:2,lz4:5:shuffle")
    [('zstd', 2, 'bitshuffle'), ('lz4', 5, 'shuffle')]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time

import numpy as np

__all__ = ["DEFAULT_OPTIONS", "measure_mask_codecs", "parse_options", "print_mask_table"]

DEFAULT_OPTIONS = "zstd:5,zstd:3,zstd:2,zstd:1,lz4:5,lz4:9,blosclz:5,zstd:5:shuffle,zstd:2:shuffle,lz4:5:shuffle"


def parse_options(text: str) -> list[tuple[str, int, str]]:
    """``cname:clevel[:shuffle]`` items (shuffle defaults to bitshuffle); ``default`` = the usual set."""
    if text.strip() == "default":
        text = DEFAULT_OPTIONS
    out = []
    for item in text.split(","):
        parts = item.strip().split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"mask codec option {item!r}: expected cname:clevel[:shuffle]")
        out.append((parts[0], int(parts[1]), parts[2] if len(parts) == 3 else "bitshuffle"))
    return out


def _tree_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def measure_mask_codecs(mask: np.ndarray, options: list[tuple[str, int, str]], reps: int, *,
                        workdir: str | None = None) -> list[dict]:
    """Write ``mask`` once per option (256² chunks in 2048² shards, as the archive does).

    Example:
        >>> rows = measure_mask_codecs(np.zeros((64, 64), "u4"), [("lz4", 5, "bitshuffle")], 1)
        >>> rows[0]["codec"], rows[0]["stored"]
        ('lz4:5:bitshuffle', 0)
    """
    from zarrkit import core
    from zarrkit.storage import open_store

    root = tempfile.mkdtemp(prefix="zarrkit-mask-bench-", dir=workdir)
    chunk = min(256, *mask.shape)
    shards = tuple(min(2048, s) for s in mask.shape)
    rows = []
    try:
        for cname, clevel, shuffle in options:
            codec = {"name": "blosc", "configuration": {"cname": cname, "clevel": clevel, "shuffle": shuffle,
                                                        "typesize": int(mask.dtype.itemsize)}}
            path = os.path.join(root, f"{cname}-{clevel}-{shuffle}")
            store = open_store(path, mode="w")
            meta = core.create_array(store, "", core.array_metadata(
                mask.shape, mask.dtype, (chunk, chunk), shards=shards if shards != (chunk, chunk) else None,
                compressors=[codec], fill_value=0))
            samples = []
            for i in range(reps + 1):
                c0, t0 = time.process_time(), time.perf_counter()
                core.write_region(store, "", ..., mask, metadata=meta, backend="python")
                if i:  # the first is a warm-up
                    samples.append((time.process_time() - c0, time.perf_counter() - t0))
            rows.append({"codec": f"{cname}:{clevel}:{shuffle}", "cpu": statistics.median(s[0] for s in samples),
                         "wall": statistics.median(s[1] for s in samples), "stored": _tree_bytes(path) - len(
                             open(os.path.join(path, "zarr.json"), "rb").read())})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def print_mask_table(rows: list[dict], shape: tuple[int, ...], dtype: np.dtype, reps: int,
                     archive_bytes: int | None = None) -> None:
    """The options table, CPU and size against the first row (the former default, zstd clevel 5).

    ``archive_bytes``, the archive as written now (its mask in the chosen option), adds the
    archive's size with each option against the archive with the first.
    """
    from zarrkit.image.layout import MASK_CLEVEL

    chosen = f"zstd:{MASK_CLEVEL}:bitshuffle"
    print(f"\nmask codec options: {shape[0]}x{shape[1]} {dtype} packed mask, blosc; medians of {reps} writes "
          f"(the archive writes {chosen})")
    if not rows:
        return
    first = rows[0]
    current = next((r for r in rows if r["codec"] == chosen), None)
    with_archive = archive_bytes is not None and current is not None
    print(f"{'codec':24} {'CPU s':>8} {'wall s':>8} {'CPU / first':>11} {'MiB':>8} {'size / first':>12}"
          + ("  archive size / first" if with_archive else ""))
    for r in rows:
        line = (f"{r['codec']:24} {r['cpu']:8.3f} {r['wall']:8.3f} {r['cpu'] / first['cpu']:10.2f}x "
                f"{r['stored'] / 2**20:8.2f} {r['stored'] / max(1, first['stored']):11.2f}x")
        if with_archive:
            base = archive_bytes - current["stored"]
            line += f"  {(base + r['stored']) / (base + first['stored']) - 1:+.1%}"
        print(line)
