"""Task functions for tests/test_parallel.py.

They live in an importable module (not in the test file) because the ``processes``
executor uses ``spawn``: a child imports the function by its module path, and test
modules collected by pytest are not reliably importable that way.
"""

from __future__ import annotations

import os
import time


def square_after_delay(item: tuple[int, float]) -> tuple[int, int]:
    """Return ``(n, n * n)`` after sleeping; later items sleep less, so completion order
    differs from submission order on any parallel executor."""
    n, delay = item
    time.sleep(delay)
    return n, n * n


def fail_on_three(n: int) -> int:
    """Return ``n``, or raise a ValueError that names the task for ``n == 3``."""
    if n == 3:
        raise ValueError(f"task {n} failed on purpose")
    return n


def process_id(_: object) -> int:
    """The id of the process the task ran in."""
    return os.getpid()
