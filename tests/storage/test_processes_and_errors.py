"""Fork guard, pickling to spawned processes, and the errors users see from S3."""

from __future__ import annotations

import multiprocessing
import os
import pickle

import pytest

from zarrkit.errors import (
    ForkedStoreError,
    StoreNotFoundError,
    StorePermissionError,
    UnsupportedOperationError,
)
from zarrkit.storage import open_store


def _child_uses_store(store, queue):
    try:
        store.get("zarr.json")
        queue.put("no error")
    except ForkedStoreError as err:
        queue.put(f"forked: {err}")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only on POSIX")
def test_store_used_after_fork_raises(tmp_path):
    store = open_store(str(tmp_path), "a")
    store.set("zarr.json", b"{}")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_uses_store, args=(store, queue))
    proc.start()
    proc.join(30)
    result = queue.get(timeout=5)
    assert result.startswith("forked:") and str(tmp_path) in result
    assert store.get("zarr.json") == b"{}"  # the parent is unaffected


def _read_in_child(store):
    return store.get("zarr.json"), store.read_only, store.kind


def test_stores_pickle_as_their_spec_and_reopen_under_spawn(tmp_path, s3_endpoint, bucket, s3_options):
    local = open_store(str(tmp_path), "w")
    local.set("zarr.json", b"local")
    remote = open_store(f"s3://{bucket}/p", "a", options=s3_options)
    remote.set("zarr.json", b"remote")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        assert pool.apply(_read_in_child, (local,)) == (b"local", False, "local")
        assert pool.apply(_read_in_child, (open_store(str(tmp_path)),)) == (b"local", True, "local")
        assert pool.apply(_read_in_child, (remote,)) == (b"remote", False, "obstore")


def test_memory_stores_refuse_to_travel():
    store = open_store("memory://travel", "w")
    with pytest.raises(UnsupportedOperationError, match="one process"):
        pickle.dumps(store)


def test_missing_bucket_and_denied_access(s3_endpoint, bucket, s3_options):
    from tests.conftest import s3_client

    for backend in ("obstore", "fsspec"):
        with pytest.raises(StoreNotFoundError) as info:
            open_store("s3://no-such-bucket-zk/p", options=s3_options, backend=backend)
        assert "s3://no-such-bucket-zk/p" in str(info.value)
    # moto answers 403 to anonymous requests on a bucket without a public policy
    s3_client(s3_endpoint).put_object(Bucket=bucket, Key="p/zarr.json", Body=b"{}")
    anon = {"endpoint_url": s3_endpoint, "anonymous": True}
    with pytest.raises(StorePermissionError):
        open_store(f"s3://{bucket}/p", options=anon, backend="obstore").get("zarr.json")


def test_read_only_pass_through_of_objects(tmp_path):
    import zarr

    writable = open_store(str(tmp_path), "a")
    view = open_store(writable, "r")
    assert view.read_only and not writable.read_only
    writable.set("zarr.json", b"{}")
    assert view.get("zarr.json") == b"{}"
    zlocal = zarr.storage.LocalStore(str(tmp_path), read_only=True)
    assert open_store(zlocal).get("zarr.json") == b"{}"
    from zarrkit.errors import ReadOnlyError

    with pytest.raises(ReadOnlyError):
        open_store(zlocal, "r+")
    mem = zarr.storage.MemoryStore()
    adapted = open_store(mem, "a")
    adapted.set_many({"a/zarr.json": b"{}", "b/zarr.json": b"{}"})
    assert adapted.list_dir("") == ["a/", "b/"]
