"""icechunk repositories: commits, discards, conflicts, refs, racing committers."""

from __future__ import annotations

import json
import threading
import warnings

import pytest

from tests.storage.cases import GROUP, array_doc
from zarrkit.errors import (
    ConflictError,
    ContainsDataError,
    InvalidOptionError,
    ReadOnlyError,
    ReadOnlyRefError,
    UncommittedChangesWarning,
)
from zarrkit.storage import open_store

# icechunk is an optional extra: without it this module is skipped, not failed.
icechunk = pytest.importorskip("icechunk")


def _init(url, **kw):
    store = open_store(url, "w", **kw)
    with store.transaction("init"):
        store.set("zarr.json", GROUP)
        store.set("arr/zarr.json", array_doc(shape=(8, 8), chunks=(2, 2)))
    return store


@pytest.fixture(params=["file", "memory", "s3"])
def repo_url(request, tmp_path):
    if request.param == "file":
        return f"icechunk+file://{tmp_path / 'repo'}"
    if request.param == "memory":
        return f"icechunk+memory://ic-{tmp_path.name}"
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    _conditional_put_works(endpoint, bucket)
    request.node.s3_options = {"endpoint_url": endpoint, "access_key_id": "testing", "secret_access_key": "testing"}
    return f"icechunk+s3://{bucket}/repo"


def _conditional_put_works(endpoint, bucket):
    """icechunk's safety needs conditional PUT; fail hard if the server ignores it."""
    from botocore.exceptions import ClientError

    from tests.conftest import s3_client

    client = s3_client(endpoint)
    client.put_object(Bucket=bucket, Key="probe", Body=b"1")
    for kw in ({"IfNoneMatch": "*"}, {"IfMatch": '"deadbeef"'}):
        with pytest.raises(ClientError) as info:
            client.put_object(Bucket=bucket, Key="probe", Body=b"2", **kw)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    client.delete_object(Bucket=bucket, Key="probe")


def _opts(request):
    return getattr(request.node, "s3_options", None)


def test_commit_and_uncommitted_invisible(repo_url, request):
    opts = _opts(request)
    store = _init(repo_url, options=opts)
    store.set("arr/c/0/0", b"\x01" * 4)
    assert store.get("arr/c/0/0") == b"\x01" * 4  # the writer sees its own change
    assert open_store(repo_url, options=opts).get("arr/c/0/0") is None  # readers do not
    snap = store.commit("chunk")
    assert open_store(repo_url, options=opts).get("arr/c/0/0") == b"\x01" * 4
    assert open_store(repo_url, options=opts, ref=f"snapshot={snap}").get("arr/c/0/0") == b"\x01" * 4
    assert not store.read_only  # still writable after a commit


def test_exception_in_transaction_discards(repo_url, request):
    opts = _opts(request)
    store = _init(repo_url, options=opts)
    with pytest.raises(RuntimeError):
        with store.transaction("doomed"):
            store.set("arr/c/1/1", b"\x02" * 4)
            raise RuntimeError("boom")
    assert store.get("arr/c/1/1") is None
    assert open_store(repo_url, options=opts).get("arr/c/1/1") is None
    with store.transaction("works afterwards") as tx:
        store.set("arr/c/1/1", b"\x03" * 4)
    assert tx.snapshot_id
    assert open_store(repo_url, options=opts).get("arr/c/1/1") == b"\x03" * 4


def test_conflict_raises_and_rebase_resolves_disjoint_chunks(repo_url, request):
    opts = _opts(request)
    _init(repo_url, options=opts)
    a = open_store(repo_url, "r+", options=opts)
    b = open_store(repo_url, "r+", options=opts)
    a.set("arr/c/0/0", b"a" * 4)
    b.set("arr/c/3/3", b"b" * 4)
    a.commit("a")
    with pytest.raises(ConflictError) as info:
        b.commit("b")
    assert info.value.url == b.url
    assert b.get("arr/c/3/3") == b"b" * 4  # changes kept
    b.commit("b", on_conflict="rebase")
    tip = open_store(repo_url, options=opts)
    assert tip.get("arr/c/0/0") == b"a" * 4 and tip.get("arr/c/3/3") == b"b" * 4


def test_same_chunk_from_two_sessions_conflicts_even_with_rebase(repo_url, request):
    opts = _opts(request)
    _init(repo_url, options=opts)
    a = open_store(repo_url, "r+", options=opts)
    b = open_store(repo_url, "r+", options=opts)
    a.set("arr/c/0/0", b"a" * 4)
    b.set("arr/c/0/0", b"b" * 4)
    a.commit("a")
    with pytest.raises(ConflictError):
        b.commit("b", on_conflict="rebase")
    b.discard()
    assert open_store(repo_url, options=opts).get("arr/c/0/0") == b"a" * 4


def test_refs_and_modes(tmp_path):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    store = _init(url)
    store.repo.create_tag("v1", store.repo.lookup_branch("main"))
    tagged = open_store(url + "#tag=v1")
    assert tagged.read_only and tagged.exists("arr/zarr.json")
    with pytest.raises(ReadOnlyRefError):
        open_store(url + "#tag=v1", "r+")
    with pytest.raises(ReadOnlyError):
        tagged.set("zarr.json", GROUP)
    with pytest.raises(InvalidOptionError, match="disagrees"):
        open_store(url + "#tag=v1", ref="branch=main")
    with pytest.raises(ContainsDataError):
        open_store(url, "w")
    with pytest.raises(InvalidOptionError):
        open_store(url, "w", overwrite=True)


def test_close_with_uncommitted_changes_warns_and_discards(tmp_path):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    store = _init(url)
    store.set("arr/c/0/0", b"x" * 4)
    with pytest.warns(UncommittedChangesWarning):
        store.close()
    assert open_store(url).get("arr/c/0/0") is None
    auto = open_store(url, "r+", autocommit=True)
    auto.set("arr/c/0/0", b"y" * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auto.close()
    assert open_store(url).get("arr/c/0/0") == b"y" * 4


def test_racing_committers_lose_nothing(s3_endpoint, bucket):
    """8 threads x 5 rounds of commits: every reported success is a commit on main."""
    opts = {"endpoint_url": s3_endpoint, "access_key_id": "testing", "secret_access_key": "testing"}
    _conditional_put_works(s3_endpoint, bucket)
    url = f"icechunk+s3://{bucket}/race"
    _init(url, options=opts)
    successes = []
    lock = threading.Lock()

    def worker(i):
        for r in range(5):
            store = open_store(url, "r+", options=opts)
            store.set(f"arr/c/{i % 4}/{r % 4}", json.dumps([i, r]).encode())
            try:
                snap = store.commit(f"w{i} r{r}")
            except ConflictError:
                store.discard()
                continue
            with lock:
                successes.append(snap)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader = open_store(url, options=opts)
    ancestry = [s.id for s in reader.repo.ancestry(branch="main")]
    assert successes, "at least one commit must win"
    assert set(successes) <= set(ancestry)
    assert len(ancestry) == len(successes) + 2  # plus "init" and the repository's first snapshot


def test_repository_and_session_objects_pass_through(tmp_path):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    _init(url)
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(tmp_path / "repo")))
    writer = open_store(repo, "r+")
    writer.set("arr/c/0/0", b"r" * 4)
    snap = writer.commit("through a Repository object")
    assert open_store(repo, ref=f"snapshot={snap}").get("arr/c/0/0") == b"r" * 4
    with pytest.raises(ReadOnlyRefError):
        open_store(repo, "r+", ref=f"snapshot={snap}")
    session = repo.readonly_session(branch="main")
    assert open_store(session).get("arr/c/0/0") == b"r" * 4
    with pytest.raises(ReadOnlyError):
        open_store(session, "r+")
