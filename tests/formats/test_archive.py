"""The archive engine: nodes first, the root last, one commit, nothing left by a failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from zarrkit import core
from zarrkit.conventions.marker import RootMarker
from zarrkit.errors import ArchiveExistsError, FormatVersionError, MetadataError, NotAnArchiveError
from zarrkit.formats.archive import ArchiveWriter, blocks, open_archive
from zarrkit.storage import open_store

MARKER = RootMarker("toy", "1.0")


def _meta(shape=(64, 64), chunks=(16, 16), shards=None):
    return core.array_metadata(shape, "int32", chunks, shards=shards, dimension_names=["y", "x"])


def _data(shape=(64, 64)):
    return np.arange(np.prod(shape), dtype="int32").reshape(shape)


class RecordingStore:
    """Wraps a store and records the order of its writes."""

    def __init__(self, inner):
        self.inner, self.keys = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def set(self, key, value):
        self.keys.append(key)
        self.inner.set(key, value)

    def set_many(self, items):
        items = dict(items)
        self.keys.extend(items)
        self.inner.set_many(items)


def test_root_is_written_last_with_every_node_consolidated(tmp_path):
    with ArchiveWriter(str(tmp_path / "a.zarr"), MARKER) as w:
        w.store = RecordingStore(w.store)
        w.group("g", {"role": "sub"})
        w.array("g/data", _meta(shards=(32, 32)), _data())
        url = w.finish({"title": "t"}, marker_extra={"contents": ["g/data"]})
    assert w.store.keys[-1] == "zarr.json" and w.store.keys.count("zarr.json") == 1
    root = json.loads((tmp_path / "a.zarr" / "zarr.json").read_bytes())
    assert root["attributes"]["zarrkit"] == {**MARKER.to_dict(), "contents": ["g/data"]}
    members = root["consolidated_metadata"]["metadata"]
    for path in ("g", "g/data"):
        own = json.loads((tmp_path / "a.zarr" / path / "zarr.json").read_bytes())
        assert {k: v for k, v in members[path].items() if k != "consolidated_metadata"} == own
    arch = open_archive(url, format="toy")
    assert np.array_equal(arch.array("g/data")[...], _data())


def test_open_takes_one_get_for_the_whole_hierarchy(tmp_path):
    with ArchiveWriter(str(tmp_path / "a.zarr"), MARKER) as w:
        w.array("x", _meta(), _data())
        url = w.finish()
    store = open_store(url)
    gets = []
    original = store.get
    store.get = lambda key: (gets.append(key), original(key))[1]
    arch = open_archive(store, format="toy")
    handle = arch.array("x")
    assert gets == ["zarr.json"]
    assert handle.shape == (64, 64)


def test_open_refuses_other_formats_newer_majors_and_malformed_roots(tmp_path):
    with ArchiveWriter(str(tmp_path / "a.zarr"), RootMarker("toy", "3.1")) as w:
        url = w.finish()
    with pytest.raises(NotAnArchiveError, match="not a zarrkit image archive"):
        open_archive(url, format="image")
    with pytest.raises(FormatVersionError, match="toy format 3.1 is newer"):
        open_archive(url, format="toy", reads_major=2)
    with pytest.raises(NotAnArchiveError, match="no root group"):
        open_archive(str(tmp_path), format="toy")
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{not json")
    with pytest.raises(MetadataError, match=r"malformed JSON.*key 'zarr.json'"):
        open_archive(str(tmp_path / "bad.zarr"), format="toy")


def test_existing_target_is_refused_and_left_alone(tmp_path):
    with ArchiveWriter(str(tmp_path / "a.zarr"), MARKER) as w:
        w.array("x", _meta(), _data())
        w.finish()
    before = sorted(p.name for p in (tmp_path / "a.zarr").iterdir())
    with pytest.raises(ArchiveExistsError, match="already holds data"):
        ArchiveWriter(str(tmp_path / "a.zarr"), MARKER)
    assert sorted(p.name for p in (tmp_path / "a.zarr").iterdir()) == before


@pytest.mark.parametrize("existed", [False, True])
def test_a_failed_write_leaves_no_trace(tmp_path, existed):
    target = tmp_path / "out.zarr"
    if existed:
        target.mkdir()  # the user's empty folder stays
    with pytest.raises(RuntimeError, match="boom"):
        with ArchiveWriter(str(target), MARKER) as w:
            w.array("x", _meta(), _data())
            raise RuntimeError("boom")
    assert target.exists() == existed
    if existed:
        assert list(target.iterdir()) == []


def test_leaving_without_finish_removes_the_nodes():
    with ArchiveWriter("memory://engine-unfinished", MARKER) as w:
        w.array("x", _meta(), _data())
    assert list(open_store("memory://engine-unfinished").list_prefix("")) == []


def test_zip_target_is_untouched_by_a_failure(tmp_path):
    target = tmp_path / "a.zarr.zip"
    with pytest.raises(RuntimeError):
        with ArchiveWriter(str(target), MARKER) as w:
            w.array("x", _meta(), _data())
            raise RuntimeError("boom")
    assert not target.exists()


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_every_executor_writes_the_same_bytes(tmp_path, executor):
    def build(url, ex):
        with ArchiveWriter(url, MARKER, executor=ex, block_bytes=4096) as w:
            w.array("sharded", _meta(shards=(32, 32)), _data())
            w.array("plain", _meta(), _data())
            return w.finish()

    ref = build(str(tmp_path / "ref.zarr"), None)
    got = build(str(tmp_path / f"{executor}.zarr"), executor)
    a, b = open_store(ref), open_store(got)
    keys = sorted(a.list_prefix(""))
    assert keys == sorted(b.list_prefix("")) and len(keys) > 10
    assert all(a.get(k) == b.get(k) for k in keys)


def test_blocks_cover_the_array_exactly_once():
    for meta in (_meta((50, 70), (16, 16)), _meta((64, 64), (16, 16), (32, 32))):
        seen = np.zeros(meta.shape, int)
        for box in blocks(meta, 4096):
            seen[box] += 1
        assert (seen == 1).all()


def test_processes_without_a_main_guard_leave_no_empty_folder(tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent('''
        import numpy as np
        from zarrkit.conventions.marker import RootMarker
        from zarrkit import core
        from zarrkit.formats.archive import ArchiveWriter

        with ArchiveWriter("out.zarr", RootMarker("toy", "1.0"), executor="processes", block_bytes=1024) as w:
            w.array("x", core.array_metadata((64, 64), "int32", (16, 16)), np.zeros((64, 64), "int32"))
            w.finish()
    '''))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.returncode != 0
    assert "ExecutorError" in proc.stderr and "__main__" in proc.stderr
    assert not (tmp_path / "out.zarr").exists()


def test_icechunk_target_is_one_commit(tmp_path):
    pytest.importorskip("icechunk")
    url = f"icechunk+file://{tmp_path / 'repo'}"
    with ArchiveWriter(url, MARKER, commit_message="toy archive") as w:
        w.array("x", _meta(), _data())
        w.finish()
    store = open_store(url)
    assert [s.message for s in list(store.repo.ancestry(branch="main"))[:1]] == ["toy archive"]
    assert np.array_equal(open_archive(store, format="toy").array("x")[...], _data())
