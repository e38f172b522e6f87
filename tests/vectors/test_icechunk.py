"""Icechunk (spec §3.2, §4 #6): one commit per write call or transaction; a failure commits nothing."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from tests.vectors.helpers import rows

pytest.importorskip("icechunk")
B = ([0.0] * 3, [100.0] * 3)


def _history(url):
    from zarrkit.storage import open_store

    store = open_store(url, mode="r")
    return [s.message for s in store.repo.ancestry(branch="main")]


def test_one_commit_per_write_and_snapshot_reads(tmp_path):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 100, (500, 3)).astype("f4"), rng.uniform(0, 100, (300, 3)).astype("f4")
    s = vx.create(url, "points", bounds=B, chunk_shape=(50,) * 3)
    first = s.commit("create")  # §4 #6: committing after create works, and returns the snapshot
    s.write_points(a)
    after_a = s.commit("nothing pending")  # nothing pending: the current snapshot, no failure
    assert after_a != first
    s.write_points(b)
    history = _history(url)
    assert history[:3] == ["zarrkit.vectors write_points"] * 2 + ["create"]
    assert rows(vx.open(url).read_points().xyz) == rows(np.r_[a, b])
    assert rows(vx.open(f"{url}#snapshot={after_a}").read_points().xyz) == rows(a)  # the snapshot read


def test_transaction_commits_once_and_failure_commits_nothing(tmp_path, monkeypatch):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    nodes = np.random.default_rng(1).uniform(0, 100, (60, 3)).astype("f4")
    edges = np.c_[np.arange(59), np.arange(1, 60)]
    s = vx.create(url, "graph", bounds=B, chunk_shape=(25,) * 3)
    s.commit("create")
    with s.transaction("two graphs"):
        s.write_graph(nodes[:30], edges[:29])
        s.write_graph(nodes[30:], edges[:29])
    assert _history(url)[0] == "two graphs" and len(_history(url)) == 3  # create, two graphs, the repo's first
    before = len(_history(url))
    import zarrkit.vectors.graphs as graphs

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(graphs, "write_records", broken)  # vertex cells get written, then the call fails
    with pytest.raises(RuntimeError):
        s.write_graph(nodes, edges)
    with pytest.raises(RuntimeError), s.transaction("never"):
        s.write_graph(nodes, edges)
    monkeypatch.undo()
    assert len(_history(url)) == before
    assert not s.store.session.has_uncommitted_changes
    g = vx.open(url).read_graph()
    assert len(g.nodes) == 60 and len(g.edges) == 58
