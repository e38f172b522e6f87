"""``auto`` picks the backend measured faster per operation (``choice.AUTO_TABLE``), and the
README's table says the same thing as the code."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from zarrkit import core
from zarrkit.core.backends import zarrs as zarrs_backend
from zarrkit.core.backends.choice import AUTO_TABLE, auto_backend, choose_backend, operation
from zarrkit.core.selection import plan_selection
from zarrkit.storage import open_store

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (?P<op>[a-z ,]+) \| `(?P<backend>python|zarrs)` \| (?P<ratio>[0-9.]+)x \| .+ \|$", re.M)


def test_the_readme_table_is_the_code_table():
    text = README.read_text()
    section = text[text.index("### Which backend `auto` picks"):]
    rows = {m["op"]: (m["backend"], float(m["ratio"])) for m in ROW.finditer(section)}
    assert rows == {op: (backend, round(ratio, 2)) for op, (backend, ratio) in AUTO_TABLE.items()}
    for backend, ratio in AUTO_TABLE.values():  # the faster one by the measured ratio
        assert (backend == "python") == (ratio >= 1)


def test_every_call_falls_under_one_row():
    flat = core.array_metadata((64, 64), "u2", (16, 16))
    sharded = core.array_metadata((64, 64), "u2", (16, 16), shards=(32, 32))
    plan = plan_selection(..., (64, 64))
    assert operation(flat, op="read") == "read one chunk"
    assert operation(sharded, op="read", inner=True) == "read one inner chunk or point"
    assert operation(flat, op="read", plan=plan) == "read region"
    assert operation(sharded, op="read", plan=plan) == "read region, sharded"
    assert operation(flat, op="write", plan=plan) == "write region"
    assert operation(sharded, op="write") == "write region, sharded"
    assert {operation(m, op=o, plan=p) for m in (flat, sharded) for o in ("read", "write")
            for p in (None, plan)} == set(AUTO_TABLE)


@pytest.mark.parametrize("shards", [None, (32, 32)], ids=["chunks", "shards"])
def test_auto_follows_the_table_where_zarrs_could_serve_the_call(tmp_path, shards):
    if not zarrs_backend.available():
        pytest.skip("zarrista is not installed")
    store = open_store(str(tmp_path / "s.zarr"), mode="w")
    meta = core.create_array(store, "a", core.array_metadata((64, 64), "u2", (16, 16), shards=shards))
    plan = plan_selection(..., (64, 64))
    for op, call in [("read", {}), ("read", {"plan": plan}), ("write", {"plan": plan})]:
        chosen = choose_backend(store, "a", meta, "auto", op=op, **call).name
        assert chosen == auto_backend(meta, op=op, **call) == AUTO_TABLE[operation(meta, op=op, **call)][0]
        assert choose_backend(store, "a", meta, "zarrs", op=op, **call).name == "zarrs"  # still on request
    core.stats(reset=True)
    core.write_region(store, "a", ..., np.ones((64, 64), "u2"), metadata=meta)
    assert np.array_equal(core.read_region(store, "a", ..., metadata=meta), np.ones((64, 64), "u2"))
    assert core.stats().get("fallback", 0) == 0  # zarrs can serve this store: nothing fell back


def test_zarrs_is_not_used_for_gzip_inside_shards(tmp_path, monkeypatch):
    """zarrs under-sizes a shard's buffer for gzip'd incompressible inner chunks (a zarrs bug:
    "Sharding did not allocate a large enough buffer", or a Rust panic): auto writes with python."""
    if not zarrs_backend.available():
        pytest.skip("zarrista is not installed")
    from zarrkit.core.backends import choice
    from zarrkit.core.backends.base import refusal
    from zarrkit.errors import BackendUnsupportedError

    monkeypatch.setitem(choice.AUTO_TABLE, "write region, sharded", ("zarrs", 0.5))  # as if zarrs were faster
    store = open_store(str(tmp_path / "s.zarr"), mode="w")
    gzip = [{"name": "gzip", "configuration": {"level": 1}}]
    meta = core.create_array(store, "a", core.array_metadata((1024, 1024), "f4", (256, 256), shards=(512, 512),
                                                             compressors=gzip))
    flat = core.create_array(store, "b", core.array_metadata((64, 64), "f4", (16, 16), compressors=gzip))
    assert refusal(zarrs_backend, store, meta, op="write") == "gzip inside a shard"
    assert refusal(zarrs_backend, store, meta, op="read") is None  # zarrs reads them fine
    assert refusal(zarrs_backend, store, flat, op="write") is None
    data = np.random.default_rng(3).random((1024, 1024)).astype("f4")
    with pytest.raises(BackendUnsupportedError, match="gzip inside a shard"):
        core.write_region(store, "a", ..., data, metadata=meta, backend="zarrs")
    assert not list(store.list_prefix("a/c/"))  # refused before anything was written
    core.stats(reset=True)
    core.write_region(store, "a", ..., data, metadata=meta, backend="auto")
    assert core.stats().get("fallback:gzip inside a shard", 0) >= 1
    assert np.array_equal(core.read_region(store, "a", ..., metadata=meta, backend="zarrs"), data)
