"""Pyramid means against a pixel-by-pixel reference: edges, NaN, integer rounding."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from zarrkit.pyramid import block_mean, half_level


def reference(data: np.ndarray) -> np.ndarray:
    h, w = data.shape[-2:]
    out = np.empty((*data.shape[:-2], -(-h // 2), -(-w // 2)), dtype=data.dtype)
    for idx in np.ndindex(out.shape):
        *lead, i, j = idx
        block = data[(*lead, slice(2 * i, 2 * i + 2), slice(2 * j, 2 * j + 2))].astype(np.float64)
        real = block[~np.isnan(block)]
        mean = real.sum() / real.size if real.size else np.nan
        out[idx] = np.rint(mean) if data.dtype.kind in "iu" else mean
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2), st.sampled_from(["f4", "f8", "u1", "i2", "u2"]),
       st.integers(0, 2**32 - 1), st.booleans())
def test_block_mean_matches_the_reference(h, w, lead, dtype, seed, with_nan):
    rng = np.random.default_rng(seed)
    shape = (2,) * lead + (h, w)
    if np.dtype(dtype).kind == "f":
        data = rng.normal(0, 100, shape).astype(dtype)
        if with_nan:
            data[rng.random(shape) < 0.3] = np.nan
    else:
        info = np.iinfo(dtype)
        data = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    got = block_mean(data)
    want = reference(data)
    assert got.dtype == data.dtype and got.shape == want.shape
    if data.dtype.kind == "f":
        # Sums of up to four values in another order differ by a few units of the largest
        # value's last place (a relative bound fails where values cancel); NaN where the reference has it.
        scale = float(np.nanmax(np.abs(data))) if not np.isnan(data).all() else 0.0
        np.testing.assert_allclose(got, want, rtol=0, atol=4 * np.finfo(data.dtype).eps * scale, equal_nan=True)
    else:
        assert np.array_equal(got, want)


def test_half_level_bands_equal_one_block_and_halves_round_half_to_even():
    rng = np.random.default_rng(2)
    data = rng.normal(size=(3, 37, 51)).astype("f4")
    assert np.array_equal(half_level(data, band_rows=4), block_mean(data))
    ints = np.array([[1, 2], [2, 2]], "u1")  # 7 / 4 = 1.75 -> 2
    assert block_mean(ints).tolist() == [[2]]
    assert block_mean(np.array([[1, 2], [3, 4]], "u1")).tolist() == [[2]]  # 2.5 -> 2, half to even
    assert block_mean(np.array([[1, 2], [4, 4]], "u1")).tolist() == [[3]]  # 2.75 -> 3
