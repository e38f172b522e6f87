"""Node documents parsed in one place: strict errors naming store, node and key; the tolerant
mode ``info`` uses; describe_tree surviving damage anywhere in a tree."""

from __future__ import annotations

import json

import pytest

from zarrkit import core
from zarrkit.core.metadata import (
    load_document,
    parse_node_document,
    read_nodes,
    summarize_documents,
)
from zarrkit.errors import MetadataError, UnknownDataTypeError
from zarrkit.storage import open_store

ARRAY = core.array_metadata((6, 4), "int16", (3, 2), dimension_names=["y", "x"], attributes={"u": 1}).to_dict()


@pytest.fixture
def store(tmp_path):
    return open_store(str(tmp_path / "d.zarr"), mode="w")


def test_load_document_strict(store):
    assert load_document(store, "a/zarr.json") is None
    store.set("a/zarr.json", b'{"zarr_format": 3')
    with pytest.raises(MetadataError, match="malformed JSON") as info:
        load_document(store, "a/zarr.json")
    assert (info.value.url, info.value.path, info.value.key) == (store.url, "a", "a/zarr.json")
    store.set("b/c/zarr.json", b'"a string"')
    with pytest.raises(MetadataError, match="not an object") as info:
        load_document(store, "b/c/zarr.json")
    assert (info.value.path, info.value.key) == ("b/c", "b/c/zarr.json")
    store.set("ok/zarr.json", json.dumps(ARRAY).encode())
    assert load_document(store, "ok/zarr.json") == ARRAY


@pytest.mark.parametrize(
    "change, message",
    [
        ({"shape": "6x4"}, "shape must be a list of integers"),
        ({"attributes": [1]}, "attributes must be an object"),
        ({"dimension_names": ["y"]}, "dimension_names"),
        ({"node_type": "widget"}, "node_type"),
    ],
)
def test_strict_parse_names_store_node_and_key(store, change, message):
    raw = json.dumps({**ARRAY, **change}).encode()
    with pytest.raises(MetadataError, match=message) as info:
        parse_node_document(raw, store=store, path="p/q")
    assert (info.value.url, info.value.path, info.value.key) == (store.url, "p/q", "p/q/zarr.json")
    summary = parse_node_document(raw, store=store, path="p/q", tolerant=True)
    assert summary.error is not None and message.split()[0] in summary.error


def test_tolerant_summary_of_a_good_array(store):
    summary = parse_node_document(json.dumps(ARRAY).encode(), store=store, path="a", tolerant=True)
    assert summary.error is None
    assert (summary.node_type, summary.zarr_format, summary.shape, summary.dtype) == ("array", 3, [6, 4], "int16")
    assert (summary.chunks, summary.shards, summary.dimension_names) == ([3, 2], None, ["y", "x"])
    assert summary.codecs == ["bytes", "zstd"] and summary.attribute_keys == ["u"]


def test_tolerant_mode_reports_instead_of_raising(store):
    bad_json = parse_node_document(b"{", store=store, path="a", tolerant=True)
    assert bad_json.node_type == "unknown" and bad_json.error.startswith("malformed JSON")
    wrong_types = parse_node_document(json.dumps({**ARRAY, "shape": "x", "codecs": 3}).encode(), tolerant=True)
    assert wrong_types.node_type == "array" and wrong_types.shape is None and wrong_types.codecs == []
    assert "shape is not a list of integers" in wrong_types.error
    unknown_type = parse_node_document(json.dumps({**ARRAY, "data_type": "float128"}).encode(), tolerant=True)
    assert unknown_type.dtype == "float128" and "float128" in unknown_type.error
    with pytest.raises(UnknownDataTypeError):  # strict mode keeps the precise class
        parse_node_document(json.dumps({**ARRAY, "data_type": "float128"}).encode())


def test_v2_documents_tolerant_and_strict(store):
    zarray = core.array_metadata((4,), "<u2", (2,), zarr_format=2).to_dict()[".zarray"]
    raws = {".zarray": json.dumps(zarray).encode(), ".zattrs": b"[not, json"}
    summary = parse_node_document(raws, store=store, path="v", tolerant=True)
    assert summary.node_type == "array" and summary.shape == [4] and summary.error.startswith("malformed JSON")
    with pytest.raises(MetadataError) as info:
        parse_node_document(raws, store=store, path="v")
    assert info.value.key == "v/.zattrs"
    assert parse_node_document({".zattrs": b"{}"}, store=store, path="v") is None  # attributes alone: no node
    assert summarize_documents({}).error == "no Zarr metadata document"


def test_read_nodes_batches_v3_and_v2(store):
    core.create_group(store, "")
    core.create_array(store, "v3", core.array_metadata((2,), "u1", (2,)))
    core.create_group(store, "v2", zarr_format=2, attributes={"k": 1})
    metas = read_nodes(store, ["v3", "v2", "none"])
    assert [m and m.node_type for m in metas] == ["array", "group", None]
    assert metas[1].attributes == {"k": 1}


def test_describe_tree_survives_damage_anywhere(store):
    core.create_group(store, "")
    core.create_array(store, "good", core.array_metadata((4,), "u1", (2,)))
    core.write_region(store, "good", ..., 1)
    store.set("broken/zarr.json", b"{nope")
    store.set("listy/zarr.json", b"[1, 2]")
    store.set("typed/zarr.json", json.dumps({**ARRAY, "shape": None, "chunk_grid": 7}).encode())
    core.create_group(store, "g", zarr_format=2)
    store.set("g/v/.zarray", b"{")
    store.set("g/ok/.zgroup", b'{"zarr_format": 2}')
    store.set("g/ok/.zattrs", b'{"a": 1')
    root = core.describe_tree(store)
    by_path = {}

    def index(node):
        by_path[node.path] = node
        for child in node.children:
            index(child)

    index(root)
    assert by_path["good"].error is None and by_path["good"].stored_bytes > 0
    assert by_path["broken"].node_type == "unknown" and by_path["broken"].error.startswith("malformed JSON")
    assert by_path["listy"].error == "the document is a JSON list, not an object"
    assert by_path["typed"].node_type == "array" and by_path["typed"].shape is None and by_path["typed"].error
    assert by_path["g/v"].error.startswith("malformed JSON")
    assert by_path["g/ok"].node_type == "group" and by_path["g/ok"].error.startswith("malformed JSON")
    assert json.dumps(root.to_dict())  # what `info --json` prints


def test_describe_tree_with_a_damaged_consolidated_block(tmp_path):
    path = str(tmp_path / "c.zarr")
    s = open_store(path, mode="w")
    core.create_group(s, "")
    core.create_group(s, "a")
    core.create_array(s, "a/x", core.array_metadata((2,), "u1", (2,)))
    core.consolidate(s)
    root_doc = json.loads(s.get("zarr.json"))
    root_doc["consolidated_metadata"]["metadata"]["a/x"]["node_type"] = "widget"
    root_doc["consolidated_metadata"]["metadata"]["a/y"] = {"zarr_format": 3, "node_type": "group"}
    del root_doc["consolidated_metadata"]["metadata"]["a"]  # the block skips a group
    s.set("zarr.json", json.dumps(root_doc).encode())
    tree = core.describe_tree(open_store(path, mode="r"))
    assert sorted(c.path for c in tree.children) == ["a/x", "a/y"]  # hung on the nearest ancestor
    assert next(c for c in tree.children if c.path == "a/x").error.startswith("node_type")
    root_doc["consolidated_metadata"] = {"metadata": "junk"}
    s.set("zarr.json", json.dumps(root_doc).encode())
    tree = core.describe_tree(open_store(path, mode="r"))
    assert "consolidated_metadata" in tree.error
    assert [c.path for c in tree.children] == ["a"]  # fell back to listing the store


def test_describe_tree_without_a_node_raises(store):
    with pytest.raises(MetadataError) as info:
        core.describe_tree(store, "nothing")
    assert info.value.path == "nothing" and info.value.url == store.url
