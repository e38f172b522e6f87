"""§6 ``block_mode`` / ``block_nearest`` for categorical data, against brute-force references,
and ``build_levels(method=…)`` on a sharded class map."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zarrkit.categorical import block_mode, block_nearest


def _blocks(h, w, f):
    for i in range(-(-h // f)):
        for j in range(-(-w // f)):
            yield i, j, [(y, x) for y in range(i * f, min(i * f + f, h)) for x in range(j * f, min(j * f + f, w))]


def _reference(data, ok, f, fill, how):
    h, w = data.shape
    out = np.full((-(-h // f), -(-w // f)), fill, data.dtype)
    for i, j, cells in _blocks(h, w, f):
        vals = [data[y, x] for y, x in cells if ok[y, x]]
        if not vals:
            continue
        if how == "mode":
            counts = Counter(vals)
            top = max(counts.values())
            out[i, j] = min(v for v, c in counts.items() if c == top)
        else:
            out[i, j] = vals[0]
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from([2, 3]), st.integers(0, 2**32 - 1),
       st.sampled_from(["mode", "nearest"]))
def test_reductions_equal_a_brute_force_reference(h, w, f, seed, how):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, (h, w)).astype("u1")
    valid = rng.random((h, w)) > 0.3
    fn = block_mode if how == "mode" else block_nearest
    # nodata=0 and a mask together; 255 marks blocks without a valid child
    got = fn(data, factor=f, valid=valid, nodata=0, fill=255)
    np.testing.assert_array_equal(got, _reference(data, valid & (data != 0), f, 255, how))


def test_axes_bands_and_nan():
    data = np.zeros((4, 4, 2), "f4")
    data[:2, :2, 0] = [[3, 3], [np.nan, 1]]
    data[:2, :2, 1] = [[np.nan, np.nan], [np.nan, np.nan]]
    got = block_mode(data, axes=(0, 1), fill=-1)
    assert got.shape == (2, 2, 2) and got[0, 0].tolist() == [3.0, -1.0]
    assert block_nearest(data, axes=(0, 1), fill=-1)[0, 0].tolist() == [3.0, -1.0]
    # a (y, x) mask applies to every band
    mask = np.ones((4, 4), bool)
    mask[0, 0] = mask[0, 1] = False
    assert block_nearest(data, axes=(0, 1), valid=mask, fill=-1)[0, 0, 0] == 1.0


def test_build_levels_with_mode_keeps_classes(tmp_path):
    from zarrkit import core, pyramid
    from zarrkit.ledger import Ledger
    from zarrkit.storage import open_store

    url = str(tmp_path / "cls.zarr")
    store = open_store(url, mode="w")
    rng = np.random.default_rng(1)
    classes = np.repeat(np.repeat(rng.integers(1, 6, (24, 20)), 3, axis=0), 3, axis=1).astype("u1")  # 72 × 60
    classes[:20, :20] = 0  # no data
    shapes = [(72, 60), (36, 30), (18, 15)]
    metas = [core.create_array(store, f"{k}", core.array_metadata(s, "uint8", (8, 8), shards=(16, 16), fill_value=0))
             for k, s in enumerate(shapes)]
    core.write_region(store, "0", ..., classes, metadata=metas[0])
    children = {(i, j): f"{i}.{j}" for i in range(5) for j in range(4)}
    ledger = Ledger(str(tmp_path / "ledger"))
    pyramid.build_levels(url, ["0", "1", "2"], children, executor="serial", ledger=ledger, phase="cls",
                         method="mode", nodata=0)
    expect = classes
    for k in (1, 2):
        expect = block_mode(expect, nodata=0, fill=0)
        got = core.read_region(store, str(k), ...)
        np.testing.assert_array_equal(got, expect)
        assert set(np.unique(got)) <= set(np.unique(classes))
    assert core.read_region(store, "1", ...)[:10, :10].max() == 0  # no-data stays no-data, never averaged in
    # the same inputs again: every task has its receipt; a mean pyramid of them is other work
    again = pyramid.build_levels(url, ["0", "1", "2"], children, executor="serial", ledger=ledger, phase="cls",
                                 method="mode", nodata=0)
    assert again[1] and ledger.done("cls/1")
    from zarrkit.errors import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="median"):
        pyramid.build_levels(url, ["0", "1"], children, executor="serial", method="median")
