"""Node functions: create, read, update, list, delete, consolidate; icechunk hints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.errors import NodeNotFoundError
from zarrkit.storage import open_store


def test_create_makes_ancestors_and_lists_children(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    core.create_array(s, "x/y/z", core.array_metadata((2,), "u1", (2,)))
    assert [n for n, _ in core.list_children(s)] == ["x"]
    assert [(n, m.node_type) for n, m in core.list_children(s, "x/y")] == [("z", "array")]
    g = zarr.open_group(str(tmp_path / "s"), mode="r")
    assert g["x/y/z"].shape == (2,)


def test_delete_node_then_rerun_finishes(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    m = core.create_array(s, "g/a", core.array_metadata((4,), "u1", (2,)))
    core.write_region(s, "g/a", ..., 3, metadata=m)
    s.delete("g/zarr.json")  # a partial delete: the document is gone, chunks remain
    core.delete_node(s, "g")
    assert list(s.list_prefix("g/")) == []
    core.delete_node(s, "g", missing_ok=True)


def test_update_attributes_merge_replace_and_v2(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(s, "", attributes={"a": 1, "b": 2})
    assert core.update_attributes(s, "", {"b": 3, "c": 4}).attributes == {"a": 1, "b": 3, "c": 4}
    assert core.update_attributes(s, "", {"z": 0}, replace=True).attributes == {"z": 0}
    core.create_array(s, "v2", core.array_metadata((2,), "u1", (2,), zarr_format=2))
    core.update_attributes(s, "v2", {"units": "m"})
    assert json.loads(s.get("v2/.zattrs")) == {"units": "m"}
    assert zarr.open_array(str(tmp_path / "s" / "v2")).attrs["units"] == "m"


def test_consolidated_block_is_stripped_before_changes_and_restored(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(s, "")
    core.create_group(s, "a")
    core.consolidate(s)
    assert "consolidated_metadata" in json.loads(s.get("zarr.json"))
    core.create_group(s, "b")
    assert "consolidated_metadata" not in json.loads(s.get("zarr.json"))
    assert sorted(zarr.open_group(str(tmp_path / "s"), mode="r").group_keys()) == ["a", "b"]
    core.consolidate(s)
    r = open_store(str(tmp_path / "s"), mode="r")
    assert [n for n, _ in core.list_children(r)] == ["a", "b"]


def test_plain_url_on_an_icechunk_repository_suggests_the_scheme(tmp_path):

    repo = open_store(f"icechunk+file://{tmp_path / 'repo'}", mode="w")
    core.create_group(repo, "")
    repo.commit("root")
    plain = open_store(str(tmp_path / "repo"), mode="r")
    with pytest.raises(NodeNotFoundError, match="icechunk\\+"):
        core.read_metadata(plain, "")


def test_icechunk_round_trip_and_no_consolidation(tmp_path):
    url = f"icechunk+file://{tmp_path / 'repo'}"
    with open_store(url, mode="w") as s:
        core.create_group(s, "", attributes={"t": 1})
        m = core.create_array(s, "a", core.array_metadata((10, 10), "f4", (3, 3), shards=(6, 6)))
        core.write_region(s, "a", (slice(2, 9), slice(None, None, 2)), 1.5, metadata=m)
        assert core.consolidate(s) is None
        s.commit("data")
    ref = np.zeros((10, 10), "f4")
    ref[2:9, ::2] = 1.5
    r = open_store(url, mode="r")
    assert np.array_equal(core.read_region(r, "a", ...), ref)
    assert np.array_equal(zarr.open_array(r.zarr_store(), path="a", mode="r")[...], ref)
    assert [n for n, _ in core.list_children(r)] == ["a"]
