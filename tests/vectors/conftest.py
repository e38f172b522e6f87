"""Fixtures shared by the vectors conformance tests."""

from __future__ import annotations

import pytest

from tests.vectors import make_fixtures as mf


@pytest.fixture(scope="session")
def zv_written(tmp_path_factory):
    """``zv_written(case, parity=False)``: the store zarr_vectors writes for a fixture case,
    written once per session and layout (the fixture layout and the parity layout coincide for
    most cases), so the regeneration check and the golden tests share the writes."""
    pytest.importorskip("zarr_vectors")
    cache = {}

    def get(case: str, parity: bool = False):
        key = (case, repr(mf.grid(case, parity=parity)))
        if key not in cache:
            path = tmp_path_factory.mktemp("zv") / f"{case}.zv"
            mf.write_zv(case, path, parity=parity)
            cache[key] = path
        return cache[key]

    return get
