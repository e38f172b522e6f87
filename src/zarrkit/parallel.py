"""Running independent tasks serially, on threads, on processes or on a Dask cluster.

Domain writers hand :func:`run_tasks` a module-level function and a list of small
picklable tasks; the executor decides where they run, never what they produce, so
output does not depend on the executor or on completion order.

An executor is named (``"serial"``, ``"threads"``, ``"processes"``, ``"dask"``) or
given as an object: a ``concurrent.futures.Executor`` or a ``distributed.Client``.
``processes`` always uses ``spawn``: after obstore, icechunk or a Tokio runtime has
started, ``fork`` can deadlock.  ``dask`` without a client starts a ``LocalCluster``
for the call and closes it afterwards.

Long builds pass more: ``memory=`` (a budget bounding tasks at once, from each task's
``est_bytes``), ``retries=`` (transient errors only: ``OSError``, timeouts, a Dask
``KilledWorker``), ``ledger=`` and ``phase=`` (a :class:`zarrkit.ledger.Ledger`: tasks whose
receipt carries their current fingerprint are skipped, every receipt is appended, a
:class:`RunSummary` comes back) and ``progress=`` (a bar per phase, a log line every 30 s
without a terminal, or a callable called with each result).  Dask runs ``client.map`` in
windows bounded by a ``MEMORY`` worker resource or the workers' memory limits, keys
``{phase}-{task key}-{fingerprint[:12]}``; address from ``scheduler=``, ``ZARRKIT_SCHEDULER``
or Dask's ``scheduler-address``.

Example:
    >>> run_tasks(abs, [-1, 2, -3], executor="serial")
    [1, 2, 3]
    >>> with get_executor("threads", workers=2) as ex:
    ...     ex.name, ex.shares_memory, list(ex.map(abs, [-4, 5]))
    ('threads', True, [4, 5])
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import sys
import time
import uuid
from collections import deque
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from zarrkit.core.pool import usable_cores
from zarrkit.errors import ExecutorError  # lives with the other errors; re-exported for older imports

__all__ = ["EXECUTORS", "ExecutorError", "RunSummary", "TaskExecutor", "check_executor", "get_executor",
           "parse_size", "run_tasks", "slots_for"]

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
        self.phase, self.retries = "task", 0

    def _batches(self, numbered):
        """``(batch, resources)``: tasks claim ``est_bytes`` of a ``MEMORY`` resource, else memory limits cap the window."""
        info = self.client.scheduler_info()["workers"].values()
        by_resource = any("MEMORY" in (w.get("resources") or {}) for w in info)
        while True:
            head = list(itertools.islice(numbered, 1))
            size = self.slots if by_resource else dask_window(info, getattr(head[0][1], "est_bytes", 0) if head else 0,
                                                              self.slots)
            batch = head + list(itertools.islice(numbered, max(0, size - 1)))
            biggest = max((getattr(item, "est_bytes", 0) or 0 for _, item in batch), default=0)
            yield batch, ({"MEMORY": biggest} if by_resource and biggest else None)
            if not batch:
                return

    def map(self, fn, items):
        # client.map over windows of ``slots`` items, at most 2 × slots in flight: a long task
        # list is never all on the scheduler, and only results (receipts) come back
        window: deque = deque()
        run = uuid.uuid4().hex[:8]
        for batch, resources in self._batches(enumerate(items)):
            if batch:
                keys = [_dask_key(self.phase, n, item, run) for n, item in batch]
                extra = {"resources": resources} if resources else {}
                window.extend(self.client.map(fn, [item for _, item in batch], key=keys, retries=self.retries, **extra))
            elif not window:
                return
            while window and (len(window) >= 2 * max(1, len(batch)) or not batch):
                yield window.popleft().result()

    def close(self) -> None:
        if self._cluster is not None:
            self.client.close()
            self._cluster.close()


def dask_window(workers: Iterable[dict], est_bytes: int, slots: int) -> int:
    """Tasks at once on Dask workers: per worker ``min(threads, 0.8 × memory_limit ÷ est_bytes)``.

    Example:
        >>> dask_window([{"nthreads": 4, "memory_limit": 2**30}, {"nthreads": 2, "memory_limit": 0}], 2**28, 8)
        5
    """
    total = sum(min(w.get("nthreads", 1), max(1, int(0.8 * w["memory_limit"] // est_bytes)))
                if w.get("memory_limit") and est_bytes else w.get("nthreads", 1) for w in workers)
    return max(1, min(slots, total))


def _dask_key(phase: str, n: int, item: Any, run: str) -> str:
    key, fp = getattr(item, "key", None), getattr(item, "fingerprint", None)
    if key is not None and fp is not None:
        return f"{phase}-{key}-{str(fp)[:12]}".replace("/", "_")
    return f"{phase}-{n}-{run}"


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


def get_executor(spec: Any = None, *, workers: int | None = None, scheduler: str | None = None,
                 memory: int | str | None = None) -> TaskExecutor:
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
        address = scheduler or os.environ.get("ZARRKIT_SCHEDULER") or _dask_config_address()
        if address:
            return _DaskExecutor(Client(address))
        # a started cluster gets the budget split over its workers (none: no memory_limit)
        limit = parse_size(memory) // n if memory else None
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               memory_limit=limit)
        return _DaskExecutor(Client(cluster), cluster)
    if isinstance(spec, ThreadPoolExecutor):
        return _FuturesExecutor(spec, "threads", spec._max_workers, shares_memory=True, owned=False)
    if isinstance(spec, FuturesExecutor):
        return _FuturesExecutor(spec, "processes", getattr(spec, "_max_workers", n), shares_memory=False, owned=False)
    return _DaskExecutor(spec)  # check_executor let only a distributed.Client through to here


def _dask_config_address() -> str | None:
    try:
        import dask

        return dask.config.get("scheduler-address", None)
    except ImportError:
        return None


def parse_size(text: int | str | None) -> int:
    """Bytes from ``"4GiB"``, ``"512MB"``, ``"65536"`` or an int.

    Example:
        >>> parse_size("4GiB"), parse_size("1.5k"), parse_size(10)
        (4294967296, 1536, 10)
    """
    if text is None or isinstance(text, int):
        return int(text or 0)
    import re

    m = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)i?b?\s*", str(text), re.IGNORECASE)
    if not m:
        raise ExecutorError(f"memory: not a size: {text!r} (say 4GiB)")
    return int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2).lower() or " "))


def slots_for(est_bytes: Iterable[int], budget: int | str | None, workers: int | None = None) -> int:
    """How many tasks may run at once: ``min(workers or cpus, ⌊0.8·budget / max est_bytes⌋)``, ≥ 1.

    A task estimated over the whole budget fails up front.

    Example:
        >>> slots_for([100, 300], 1000, workers=8), slots_for([100], None, workers=3)
        (2, 3)
    """
    n = workers or usable_cores()
    largest = max(est_bytes, default=0)
    if not budget or not largest:
        return n
    budget = parse_size(budget)
    if largest > budget:
        raise ExecutorError(f"a task needs about {largest / 2**20:.1f} MiB, more than the memory budget "
                            f"({budget / 2**20:.1f} MiB); raise --memory or use a smaller shard")
    return max(1, min(n, math.floor(0.8 * budget / largest)))


#: errors worth another try: the task is idempotent, so a rerun is safe
TRANSIENT = (OSError, TimeoutError)


class _Retrying:
    """``fn`` retried on transient errors (picklable, so it runs on any executor)."""

    def __init__(self, fn: Callable[[Any], Any], retries: int) -> None:
        self.fn, self.retries = fn, retries

    def __call__(self, item: Any) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return self.fn(item)
            except TRANSIENT:
                if attempt == self.retries:
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt))


@dataclass
class RunSummary:
    """What a ledgered run did: tasks planned, skipped (receipt current), written, empty."""

    phase: str
    total: int = 0
    skipped: int = 0
    written: int = 0
    empty: int = 0
    bytes: int = 0
    seconds: float = 0.0
    receipts: list = field(default_factory=list, repr=False)


def run_tasks(fn: Callable[[Any], Any], tasks: Iterable[Any], *, executor: Any = None,
              workers: int | None = None, memory: int | str | None = None, scheduler: str | None = None,
              retries: int = 2, ledger: Any = None, phase: str = "", progress: Any = True,
              resume: bool = True) -> Any:
    """Run ``fn`` on every task and return the results in task order (a :class:`RunSummary`
    given a ``ledger``; ``resume=False`` reruns tasks that have a receipt).

    The first task error is raised after in-flight tasks settle; pools created here are
    closed before returning.

    Example:
        >>> run_tasks(len, ["ab", "c"], executor="threads", workers=2)
        [2, 1]
    """
    started = time.monotonic()
    if memory or ledger is not None:
        tasks = list(tasks)
    if ledger is not None and resume:
        done = ledger.done(phase)
        todo = [t for t in tasks if (t.key, t.fingerprint) not in done]
    else:
        todo = tasks
    if memory:
        workers = slots_for((getattr(t, "est_bytes", 0) for t in todo), memory, workers)
    call = _Retrying(fn, retries) if retries else fn
    owned = not isinstance(executor, TaskExecutor)
    ex = get_executor(executor, workers=workers, scheduler=scheduler, memory=memory) if owned else executor
    try:
        if isinstance(ex, _DaskExecutor):  # KilledWorker: the scheduler reruns the task elsewhere
            ex.phase, ex.retries = (phase or getattr(fn, "__name__", "task")), retries
        results = _with_progress(ex.map(call, todo), progress, phase, len(todo) if hasattr(todo, "__len__") else None)
        if ledger is None:
            return list(results)
        summary = RunSummary(phase, total=len(tasks), skipped=len(tasks) - len(todo))
        for receipt in results:
            ledger.append(receipt)
            summary.receipts.append(receipt)
            summary.written += receipt.get("status") == "written"
            summary.empty += receipt.get("status") == "empty"
            summary.bytes += sum(a.get("bytes", 0) for a in receipt.get("arrays", {}).values())
        ledger.flush()
        summary.seconds = time.monotonic() - started
        return summary
    finally:
        if ledger is not None:
            ledger.flush()  # the receipts of finished tasks survive a failing one
        if owned:
            ex.close()


def _with_progress(results: Iterator[Any], progress: Any, phase: str, total: int | None) -> Iterator[Any]:
    if callable(progress):
        for r in results:
            progress(r)
            yield r
        return
    if not progress:
        yield from results
        return
    from zarrkit.ledger import ProgressLog
    from zarrkit.progress import task

    log = ProgressLog(phase or "tasks", total) if not sys.stdout.isatty() else None
    with task(phase or "Running tasks", total=total, nbytes=True) as advance:
        for r in results:  # receipts report the bytes each task wrote: the bar shows MB and MB/s
            advance(1, nbytes=sum(a.get("bytes", 0) for a in r.get("arrays", {}).values()) if isinstance(r, dict) else 0)
            if log:
                log.add(r)
            yield r
