"""The Array handle and open_array."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit import core
from zarrkit.errors import NodeNotFoundError, StoreError
from zarrkit.storage import open_store


def test_array_handle_follows_metadata_changes(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    core.create_array(s, "a", core.array_metadata((4,), "u1", (2,)))
    a = core.Array(s, "a")
    a[:] = 1
    core.create_array(s, "a", core.array_metadata((6,), "u1", (3,), fill_value=9), overwrite=True)
    assert a.shape == (6,) and a[:].tolist() == [9] * 6  # the generation moved: re-read
    core.update_attributes(s, "a", {"k": 1})
    assert a.attrs == {"k": 1}
    core.delete_node(s, "")
    with pytest.raises(NodeNotFoundError):
        _ = a.shape  # the handle re-reads and finds the node gone


def test_open_array_on_a_url_closes_its_store(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    core.create_array(s, "a", core.array_metadata((3,), "u1", (3,)))
    with core.open_array(str(tmp_path / "s"), "a", mode="r+") as a:
        a[[2, 0, 2]] = [7, 8, 9]
        assert a[...].tolist() == [8, 0, 9]
        assert np.asarray(a).tolist() == [8, 0, 9]
    with pytest.raises(StoreError, match="closed"):  # the handle opened that store, so it closed it
        a.store.get("a/zarr.json")
    with core.open_array(s, "a") as b:  # a store passed in stays open
        b[...]
    assert s.get("a/zarr.json") is not None
