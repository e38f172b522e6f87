"""Running independent tasks serially, on threads, on processes or on a Dask cluster.

Domain writers hand :func:`run_tasks` a module-level function and a list of small
picklable tasks; the executor decides where they run, never what they produce, so
output does not depend on the executor or on completion order.

An executor is named (``"serial"``, ``"threads"``, ``"processes"``, ``"dask"``) or
given as an object: a ``concurrent.futures.Executor`` or a ``distributed.Client``.
``processes`` always uses ``spawn``: after obstore, icechunk or a Tokio runtime has
started, ``fork`` can deadlock.  ``dask`` without a client starts a ``LocalCluster``
for the call and closes it afterwards.

This is the small core the image writer needs; the geo builds add receipts, leases and
retries on top of it.

Example:
    >>> run_tasks(abs, [-1, 2, -3], executor="serial")
    [1, 2, 3]
    >>> with get_executor("threads", workers=2) as ex:
    ...     ex.name, ex.shares_memory, list(ex.map(abs, [-4, 5]))
    ('threads', True, [4, 5])
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from zarrkit.core.pool import usable_cores
from zarrkit.errors import ExecutorError  # lives with the other errors; re-exported for older imports

__all__ = ["EXECUTORS", "ExecutorError", "TaskExecutor", "check_executor", "get_executor", "run_tasks"]

EXECUTORS = ("serial", "threads", "processes", "dask")


class TaskExecutor:
    """One way of running tasks: ``map(fn, items)`` yields results in item order.

    ``shares_memory`` says whether tasks run in this process (serial, threads) and may
    therefore use objects such as open stores; otherwise tasks and results are pickled.
    """

    name = "serial"
    shares_memory = True
    slots = 1

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return map(fn, items)

    def close(self) -> None:
        pass

    def __enter__(self) -> "TaskExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _FuturesExecutor(TaskExecutor):
    """A ``concurrent.futures`` pool; at most 2 × slots tasks are in flight, so a long task
    list is not pickled (or held) all at once."""

    def __init__(self, pool: FuturesExecutor, name: str, slots: int, *, shares_memory: bool, owned: bool) -> None:
        self.pool, self.name, self.slots = pool, name, slots
        self.shares_memory, self._owned = shares_memory, owned

    def map(self, fn, items):
        window: deque = deque()
        try:
            for item in items:
                window.append(self.pool.submit(fn, item))
                if len(window) >= 2 * self.slots:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        except BrokenProcessPool as err:
            # The usual cause: a script without a main guard, which every spawned worker
            # re-runs on start-up, so the workers die before taking a task.
            raise ExecutorError(
                "a worker process died before finishing its task; a script that uses "
                "executor='processes' must start its work under `if __name__ == \"__main__\":`"
            ) from err

    def close(self) -> None:
        if self._owned:
            self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskExecutor(TaskExecutor):
    name = "dask"
    shares_memory = False

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client, self._cluster = client, cluster
        self.slots = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))

    def map(self, fn, items):
        window: deque = deque()
        for item in items:
            window.append(self.client.submit(fn, item, pure=False))
            if len(window) >= 2 * self.slots:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()

    def close(self) -> None:
        if self._cluster is not None:
            self.client.close()
            self._cluster.close()


def check_executor(spec: Any) -> None:
    """Raise :class:`ExecutorError` for a ``spec`` :func:`get_executor` cannot use, without
    starting anything (callers check before they touch a store).

    Example:
        >>> check_executor("threads"); check_executor("gpu")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zarrkit.errors.ExecutorError: executor: expected one of ('serial', 'threads', 'processes', 'dask'), ... got 'gpu'
    """
    if spec is None or isinstance(spec, (TaskExecutor, FuturesExecutor)) or spec in EXECUTORS:
        return
    if type(spec).__name__ == "Client" and hasattr(spec, "submit") and hasattr(spec, "scheduler_info"):
        return
    raise ExecutorError(f"executor: expected one of {EXECUTORS}, a concurrent.futures.Executor or a "
                        f"distributed.Client, got {spec!r}")


def get_executor(spec: Any = None, *, workers: int | None = None) -> TaskExecutor:
    """An executor for ``spec``: a name from :data:`EXECUTORS`, ``None`` (threads), a
    ``concurrent.futures.Executor`` or a ``distributed.Client``.  Pools it creates are
    closed by ``close()`` (or a ``with`` block); pools it is given are left open.

    Example:
        >>> get_executor("serial").name
        'serial'
    """
    check_executor(spec)
    if isinstance(spec, TaskExecutor):
        return spec
    n = workers or usable_cores()
    if spec is None or spec == "threads":
        return _FuturesExecutor(ThreadPoolExecutor(n, thread_name_prefix="zarrkit-task"), "threads", n,
                                shares_memory=True, owned=True)
    if spec == "serial":
        return TaskExecutor()
    if spec == "processes":
        pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
        return _FuturesExecutor(pool, "processes", n, shares_memory=False, owned=True)
    if spec == "dask":
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise ExecutorError("executor 'dask' needs the distributed extra: pip install 'zarrkit[distributed]'") from err
        address = os.environ.get("ZARRKIT_SCHEDULER")
        if address:
            return _DaskExecutor(Client(address))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        return _DaskExecutor(Client(cluster), cluster)
    if isinstance(spec, ThreadPoolExecutor):
        return _FuturesExecutor(spec, "threads", spec._max_workers, shares_memory=True, owned=False)
    if isinstance(spec, FuturesExecutor):
        return _FuturesExecutor(spec, "processes", getattr(spec, "_max_workers", n), shares_memory=False, owned=False)
    return _DaskExecutor(spec)  # check_executor let only a distributed.Client through to here


def run_tasks(fn: Callable[[Any], Any], tasks: Iterable[Any], *, executor: Any = None,
              workers: int | None = None) -> list[Any]:
    """Run ``fn`` on every task and return the results in task order.

    The first task error is raised after in-flight tasks settle; pools created here are
    closed before returning.

    Example:
        >>> run_tasks(len, ["ab", "c"], executor="threads", workers=2)
        [2, 1]
    """
    if isinstance(executor, TaskExecutor):  # the caller's: it stays open
        return list(executor.map(fn, tasks))
    with get_executor(executor, workers=workers) as ex:
        return list(ex.map(fn, tasks))
