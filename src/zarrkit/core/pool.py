"""The core's one thread pool, sized to the usable cores.

numcodecs and crc32c release the GIL, and the stores block in C or in the OS, so threads
give real parallelism for chunk work.  Work submitted from inside a pool worker runs inline
(a nested fan-out would otherwise deadlock a saturated pool), and a single item never pays
for a hand-off.

Example:
    >>> run_all(lambda x: x * x, [1, 2, 3])
    [1, 4, 9]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

__all__ = ["in_worker", "run_all", "submit", "usable_cores"]

T = TypeVar("T")

_local = threading.local()
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_owner_pid: int | None = None


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def in_worker() -> bool:
    """True inside a core pool worker thread."""
    return getattr(_local, "worker", False)


def _mark_worker() -> None:
    _local.worker = True


def _get_executor() -> ThreadPoolExecutor:
    global _executor, _owner_pid
    pid = os.getpid()
    if _executor is None or _owner_pid != pid:
        with _lock:
            if _executor is None or _owner_pid != pid:
                # a bit more than the cores: workers also wait on store I/O
                _executor = ThreadPoolExecutor(
                    max_workers=max(2, usable_cores() * 2), thread_name_prefix="zarrkit-core", initializer=_mark_worker
                )
                _owner_pid = pid
    return _executor


def run_all(fn: Callable[..., T], items: Iterable[Any], *, star: bool = False) -> list[T]:
    """Apply ``fn`` to every item, in parallel when worthwhile; results keep the items' order.

    On the first failure, queued items are cancelled, running ones are awaited, and the
    exception propagates, so nothing keeps writing after the call returns.
    """
    items = list(items)
    call = (lambda it: fn(*it)) if star else fn
    if len(items) <= 1 or in_worker():
        return [call(it) for it in items]
    executor = _get_executor()
    futures = [executor.submit(call, it) for it in items]
    done, pending = wait(futures, return_when=FIRST_EXCEPTION)
    failed = next((f for f in futures if f.done() and not f.cancelled() and f.exception() is not None), None)
    if failed is not None:
        for f in pending:
            f.cancel()
        wait(pending)
        raise failed.exception()
    return [f.result() for f in futures]


def submit(fn: Callable[..., T], *args: Any) -> Future:
    """Run ``fn(*args)`` on the pool and return its future; inside a worker, run it now.

    For pipelines that overlap one step with the next (a shard's store write with the next
    shard's encode); the caller must wait for the future before it returns.

    Example:
        >>> submit(pow, 2, 5).result()
        32
    """
    if in_worker():
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as err:  # the caller sees it from result(), as from a worker
            done.set_exception(err)
        return done
    return _get_executor().submit(fn, *args)
