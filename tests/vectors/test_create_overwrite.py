"""Creating a vector store never overwrites silently, and overwrite=True replaces one."""

from __future__ import annotations

import numpy as np
import pytest

import zarrkit.vectors as vx
from zarrkit.errors import ContainsDataError


def test_create_refuses_an_existing_store_and_replaces_it_on_request(tmp_path):
    url = str(tmp_path / "p.zv")
    first = vx.create(url, "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    first.write_points(np.array([[1.0, 1.0], [7.0, 7.0]], "f4"))
    with pytest.raises(ContainsDataError, match="overwrite"):
        vx.create(url, "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5))
    assert vx.open(url).info().levels[0]["vertices"] == 2  # the refusal changed nothing
    again = vx.create(url, "points", bounds=([0, 0], [9, 9]), chunk_shape=(5, 5), overwrite=True)
    assert again.info().levels[0]["vertices"] == 0
