"""image.write on every executor gives the same bytes; arrays as dask arrays."""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from zarrkit import image
from zarrkit.errors import ZarrkitError
from zarrkit.parallel import get_executor, run_tasks


def _archive() -> image.ImageArchive:
    rng = np.random.default_rng(5)
    mask = image.Mask.from_planes({"BAD": rng.random((600, 520)) > 0.95, "EDGE": rng.random((600, 520)) > 0.99})
    return image.ImageArchive(rng.normal(0, 1, (600, 520)).astype("f4"), variance=np.ones((600, 520), "f4"), mask=mask)


def _files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The archive written the default way, with small shards so there are many blocks."""
    root = tmp_path_factory.mktemp("ref") / "a.zarr"
    image.write(_archive(), str(root), shard_bytes=2**20)
    return _files(root)


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_named_executors_write_the_same_bytes(tmp_path, reference, executor):
    root = tmp_path / "a.zarr"
    image.write(_archive(), str(root), shard_bytes=2**20, executor=executor)
    assert _files(root) == reference


def test_a_caller_pool_is_used_and_left_open(tmp_path, reference):
    with ThreadPoolExecutor(3) as pool:
        image.write(_archive(), str(tmp_path / "a.zarr"), shard_bytes=2**20, executor=pool)
        assert pool.submit(abs, -1).result() == 1  # still open
    assert _files(tmp_path / "a.zarr") == reference


@pytest.mark.slow
def test_dask_local_cluster_writes_the_same_bytes_into_a_zip(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        image.write(_archive(), str(tmp_path / "a.ozx"), shard_bytes=2**20, executor=client)
        assert len(client.scheduler_info()["workers"]) == 2
    with zipfile.ZipFile(tmp_path / "a.ozx") as zf:
        names = zf.namelist()
        assert names[0] == "zarr.json" and len(names) == len(set(names))
        assert {n: zf.read(n) for n in names} == reference


def test_unknown_executor_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ZarrkitError, match="executor"):
        image.write(_archive(), str(tmp_path / "a.zarr"), executor="gpu")
    assert not (tmp_path / "a.zarr").exists()


def test_run_tasks_keeps_task_order_and_raises_task_errors():
    assert run_tasks(lambda i: i * i, range(50), executor="threads", workers=4) == [i * i for i in range(50)]
    with pytest.raises(ZeroDivisionError):
        run_tasks(lambda i: 1 // (i - 7), range(20), executor="threads", workers=3)
    with get_executor("serial") as ex:
        assert not hasattr(ex, "pool") and list(ex.map(str, [1, 2])) == ["1", "2"]


def test_stored_arrays_as_dask_arrays(tmp_path):
    da = pytest.importorskip("dask.array")
    arch = _archive()
    url = image.write(arch, str(tmp_path / "a.zarr"), shard_bytes=2**20)
    stored = image.read(url)
    lazy = stored.image.to_dask()
    assert isinstance(lazy, da.Array)
    assert lazy.chunks[0][0] == stored.image.metadata.chunk_shape[0]  # one task per shard
    assert np.array_equal(lazy.compute(), arch.image)
    assert float(lazy[100:200, 50:90].mean().compute()) == pytest.approx(float(arch.image[100:200, 50:90].mean()), rel=1e-6)
    assert np.array_equal(stored.variance.to_dask(chunks=(100, 100)).compute(scheduler="threads"), arch.variance)
