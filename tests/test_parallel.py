"""zarrkit.parallel: every executor returns what the serial one returns, in task order.

Checks the named executors, a caller's concurrent.futures pool and a real dask
LocalCluster (in-process workers, no network), the ExecutorError messages, and that a failing
task surfaces as its own exception.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from tests.parallel_tasks import fail_on_three, process_id, square_after_delay
from zarrkit.errors import ExecutorError, ZarrkitError
from zarrkit.parallel import EXECUTORS, check_executor, get_executor, run_tasks

# Later items finish first on parallel executors, so order must come from the executor.
TASKS = [(n, 0.02 * (6 - n)) for n in range(6)]
EXPECTED = [(n, n * n) for n in range(6)]


def test_serial_is_the_reference():
    assert run_tasks(square_after_delay, TASKS, executor="serial") == EXPECTED


@pytest.mark.parametrize("name", ["threads", "processes"])
def test_named_pools_match_serial(name):
    assert run_tasks(square_after_delay, TASKS, executor=name, workers=2) == EXPECTED


def test_processes_really_run_elsewhere():
    pids = run_tasks(process_id, range(4), executor="processes", workers=2)
    assert os.getpid() not in pids


def test_default_executor_is_threads():
    with get_executor(None, workers=2) as ex:
        assert (ex.name, ex.shares_memory, ex.slots) == ("threads", True, 2)


@pytest.mark.parametrize("pool_type", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_callers_pool_matches_serial_and_stays_open(pool_type):
    with pool_type(max_workers=2) as pool:
        assert run_tasks(square_after_delay, TASKS, executor=pool) == EXPECTED
        # run_tasks must not shut down a pool it did not create
        assert pool.submit(abs, -7).result() == 7
        with get_executor(pool) as ex:
            assert ex.shares_memory is (pool_type is ThreadPoolExecutor)
        assert pool.submit(abs, -8).result() == 8


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    # Workers as threads in this process keep the test quick; with processes=False distributed
    # talks over its in-process transport, so nothing listens on a network port.
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_cluster_matches_serial(dask_client):
    assert run_tasks(square_after_delay, TASKS, executor=dask_client) == EXPECTED
    with get_executor(dask_client) as ex:
        assert (ex.name, ex.shares_memory, ex.slots) == ("dask", False, 2)
    # the caller's client stays usable after run_tasks
    assert dask_client.submit(abs, -3).result() == 3


def test_dask_task_failure_propagates(dask_client):
    with pytest.raises(ValueError, match="task 3 failed on purpose"):
        run_tasks(fail_on_three, range(6), executor=dask_client)


@pytest.mark.parametrize("bad", ["gpu", "Threads", 3, object()])
def test_bad_executor_lists_valid_names(bad):
    with pytest.raises(ExecutorError) as info:
        check_executor(bad)
    message = str(info.value)
    assert all(repr(name) in message for name in EXECUTORS)
    assert repr(bad) in message
    with pytest.raises(ExecutorError):
        run_tasks(abs, [1], executor=bad)


def test_executor_error_is_a_zarrkit_value_error_importable_from_both_homes():
    from zarrkit.parallel import ExecutorError as from_parallel

    assert from_parallel is ExecutorError
    assert issubclass(ExecutorError, ZarrkitError) and issubclass(ExecutorError, ValueError)


def test_dask_without_distributed_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(ExecutorError, match=r"zarrkit\[distributed\]"):
        get_executor("dask")


@pytest.mark.parametrize("name", ["serial", "threads", "processes"])
def test_task_failure_propagates(name):
    with pytest.raises(ValueError, match="task 3 failed on purpose"):
        run_tasks(fail_on_three, range(6), executor=name, workers=2)


def test_failure_in_a_callers_pool_leaves_it_usable():
    with ThreadPoolExecutor(max_workers=2) as pool:
        with pytest.raises(ValueError, match="task 3"):
            run_tasks(fail_on_three, range(6), executor=pool)
        assert run_tasks(fail_on_three, [1, 2], executor=pool) == [1, 2]
