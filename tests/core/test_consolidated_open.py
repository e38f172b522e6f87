"""open_hierarchy: a whole hierarchy served from the root's consolidated metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr

from zarrkit import core
from zarrkit.errors import MetadataError, NodeNotFoundError, NodeTypeError
from zarrkit.storage import open_store

DOC_NAMES = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")


def _count_document_reads(monkeypatch, store) -> list[str]:
    """Record every metadata-document key the store is asked for."""
    seen: list[str] = []
    get, get_many = store.get, store.get_many

    def counting_get(key):
        if key.rsplit("/", 1)[-1] in DOC_NAMES:
            seen.append(key)
        return get(key)

    def counting_get_many(keys):
        seen.extend(k for k in keys if k.rsplit("/", 1)[-1] in DOC_NAMES)
        return get_many(keys)

    monkeypatch.setattr(store, "get", counting_get)
    monkeypatch.setattr(store, "get_many", counting_get_many)
    return seen


def _build(url: str, zarr_format: int = 3):
    s = open_store(url, mode="w")
    core.create_group(s, "", attributes={"title": "t"}, zarr_format=zarr_format)
    core.create_group(s, "plate/A", attributes={"well": "A"}, zarr_format=zarr_format)
    m = core.create_array(s, "plate/A/0", core.array_metadata((4, 4), "u2", (2, 2), zarr_format=zarr_format))
    core.write_region(s, "plate/A/0", ..., np.arange(16, dtype="u2").reshape(4, 4), metadata=m)
    core.consolidate(s)
    return s


def test_one_get_serves_every_consolidated_node(tmp_path, monkeypatch):
    _build(str(tmp_path / "h.zarr"))
    store = open_store(str(tmp_path / "h.zarr"), mode="r")
    seen = _count_document_reads(monkeypatch, store)
    h = core.open_hierarchy(store)
    assert h.consolidated and sorted(h.members) == ["plate", "plate/A", "plate/A/0"]
    assert h.root.attributes == {"title": "t"}
    assert h.metadata("plate/A").attributes == {"well": "A"}
    a = h.array("plate/A/0")
    assert a[1:3, 2].tolist() == [6, 10]
    assert seen == ["zarr.json"]  # the root document, once; no per-node read
    # what the block says is what each node's own document says (nested groups carry an
    # empty block of their own in zarr-python's layout)
    for path in h.members:
        in_block = {k: v for k, v in h.members[path].to_dict().items() if k != "consolidated_metadata"}
        assert in_block == core.read_metadata(store, path).to_dict()


def test_v2_root_reads_zmetadata(tmp_path, monkeypatch):
    _build(str(tmp_path / "v2.zarr"), zarr_format=2)
    store = open_store(str(tmp_path / "v2.zarr"), mode="r")
    seen = _count_document_reads(monkeypatch, store)
    h = core.open_hierarchy(store)
    assert h.root.zarr_format == 2 and h.root.attributes == {"title": "t"}
    assert h.array("plate/A/0")[3].tolist() == [12, 13, 14, 15]
    assert seen == ["zarr.json", ".zmetadata"]


def test_reads_what_zarr_python_consolidated(tmp_path):
    root = zarr.open_group(str(tmp_path / "zp.zarr"), mode="w")
    arr = root.create_array("g/x", shape=(5,), dtype="i4", chunks=(2,))
    arr[:] = np.arange(5)
    zarr.consolidate_metadata(str(tmp_path / "zp.zarr"))
    h = core.open_hierarchy(open_store(str(tmp_path / "zp.zarr"), mode="r"))
    assert sorted(h.members) == ["g", "g/x"]
    assert h.array("g/x")[...].tolist() == [0, 1, 2, 3, 4]


def test_absent_and_stale_entries_fall_back_to_the_node_document(tmp_path):
    s = _build(str(tmp_path / "h.zarr"))
    # written behind the block's back (core itself would have dropped the block)
    late = core.array_metadata((3,), "f4", (3,))
    s.set("late/zarr.json", late.to_documents()["zarr.json"])
    s.set("plate/zarr.json", core.array_metadata((2,), "i1", (2,)).to_documents()["zarr.json"])
    h = core.open_hierarchy(open_store(str(tmp_path / "h.zarr"), mode="r"))
    assert "late" not in h.members
    assert h.array("late").shape == (3,)
    assert h.metadata("late").dtype == np.dtype("f4")
    assert isinstance(h.members["plate"], core.GroupMetadata)  # the block still says group
    assert h.array("plate").shape == (2,)  # an array was asked for: the node's own document
    with pytest.raises(NodeNotFoundError):
        h.array("nowhere")


def test_without_a_block_every_lookup_reads_the_node(tmp_path):
    s = open_store(str(tmp_path / "h.zarr"), mode="w")
    core.create_group(s, "")
    core.create_array(s, "a", core.array_metadata((2,), "u1", (2,)))
    h = core.open_hierarchy(s)
    assert not h.consolidated and len(h.members) == 0
    assert h.array("a").shape == (2,) and h.metadata("a").node_type == "array"


def test_root_errors(tmp_path):
    s = open_store(str(tmp_path / "h.zarr"), mode="w")
    with pytest.raises(NodeNotFoundError):
        core.open_hierarchy(s)
    core.create_array(s, "", core.array_metadata((2,), "u1", (2,)))
    with pytest.raises(NodeTypeError):
        core.open_hierarchy(s)


@pytest.mark.parametrize(
    "block, node",
    [
        ("junk", ""),
        ({"kind": "inline", "must_understand": False, "metadata": ["a"]}, ""),
        ({"kind": "inline", "must_understand": False, "metadata": {"plate": 5}}, "plate"),
    ],
    ids=["block-not-object", "metadata-not-object", "entry-not-object"],
)
def test_malformed_block_names_store_node_and_key(tmp_path, block, node):
    s = _build(str(tmp_path / "h.zarr"))
    root = json.loads(s.get("zarr.json"))
    root["consolidated_metadata"] = block
    s.set("zarr.json", json.dumps(root).encode())
    with pytest.raises(MetadataError) as info:
        core.open_hierarchy(s)
    assert (info.value.url, info.value.path, info.value.key) == (s.url, node, "zarr.json")


def test_malformed_entry_raises_when_used(tmp_path):
    s = _build(str(tmp_path / "h.zarr"))
    root = json.loads(s.get("zarr.json"))
    root["consolidated_metadata"]["metadata"]["plate/A/0"]["shape"] = [4, "four"]
    s.set("zarr.json", json.dumps(root).encode())
    h = core.open_hierarchy(s)  # entries are parsed on first use
    assert h.metadata("plate/A").attributes == {"well": "A"}
    with pytest.raises(MetadataError, match="consolidated entry: shape") as info:
        h.array("plate/A/0")
    assert (info.value.url, info.value.path, info.value.key) == (s.url, "plate/A/0", "zarr.json")
