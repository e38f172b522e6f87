"""Benchmarks shipped with the package, so ``zarrkit bench`` works from any install.

One home, one convention: every module here prints ratios as

    anchor time / zarrkit time        (> 1 means zarrkit is faster)

where the anchor is the other library (zarr-python, tensorstore, astropy, xarray, ...)
measured in the same run.  :data:`RATIO_RULE` is the sentence each table header repeats.
The scripts in the repository's ``benchmarks/`` directory only call the ``main`` functions:

- :func:`zarrkit.bench.core.main`: the core engine against zarr-python and tensorstore
- :func:`zarrkit.bench.image.main`: image archives against astropy FITS and xarray
- :func:`zarrkit.bench.storage.main`: byte stores against zarr-python's own stores

Example:
    >>> speedup(anchor_seconds=3.0, zarrkit_seconds=1.5)
    2.0
    >>> format_speedup(3.0, 1.5)
    '2.00x'
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["RATIO_RULE", "speedup", "format_speedup", "median_seconds"]

RATIO_RULE = "ratio = anchor time / zarrkit time (> 1: zarrkit is faster)"


def speedup(anchor_seconds: float, zarrkit_seconds: float) -> float:
    """How many times faster zarrkit is than the anchor: ``anchor / zarrkit``.

    Example:
        >>> speedup(1.0, 4.0)  # zarrkit took four times longer
        0.25
    """
    return anchor_seconds / zarrkit_seconds


def format_speedup(anchor_seconds: float | None, zarrkit_seconds: float | None) -> str:
    """:func:`speedup` as ``"1.23x"``, or ``"-"`` when either time is missing.

    Example:
        >>> format_speedup(None, 1.0)
        '-'
    """
    if not anchor_seconds or not zarrkit_seconds:
        return "-"
    return f"{speedup(anchor_seconds, zarrkit_seconds):.2f}x"


def median_seconds(fn: Callable[[], object], reps: int, *, warmup: bool = True) -> float:
    """Median wall time of ``reps`` calls of ``fn``, after one untimed warm-up call.

    Example:
        >>> median_seconds(lambda: sum(range(10)), 3) >= 0
        True
    """
    if warmup:
        fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)
