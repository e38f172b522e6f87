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


# --- the geo extensions: axes=, valid-only means, alpha weighting, build_levels ----------

def test_valid_only_mean_never_darkens_edges():
    import numpy as np

    from zarrkit.pyramid import block_mean

    data = np.array([[10.0, 0.0, 7.0], [0.0, 0.0, 0.0]])
    valid = np.array([[True, False, True], [False, False, False]])
    assert block_mean(data, valid=valid, fill=-1).tolist() == [[10.0, 7.0]]
    none = block_mean(data, valid=np.zeros_like(valid), fill=-1)
    assert none.tolist() == [[-1.0, -1.0]]


def test_rgba_coverage_and_any_alpha_on_yx_axes():
    import numpy as np

    from zarrkit.pyramid import block_mean

    rgba = np.zeros((3, 3, 4), "uint8")
    rgba[0, 0] = (100, 0, 0, 255)
    rgba[0, 1] = (0, 200, 0, 255)
    cov = block_mean(rgba, axes=(0, 1), alpha_axis=2)
    assert cov.shape == (2, 2, 4)  # ceil shapes
    assert cov[0, 0].tolist() == [50, 100, 0, 128]  # colour of the opaque children only; alpha = coverage
    assert block_mean(rgba, axes=(0, 1), alpha_axis=2, alpha="any")[0, 0, 3] == 255
    assert cov[1, 1].tolist() == [0, 0, 0, 0]


def test_axes_equals_the_moved_reference():
    import numpy as np

    from zarrkit.pyramid import block_mean

    rng = np.random.default_rng(0)
    yxb = rng.random((5, 7, 3))
    ref = np.moveaxis(block_mean(np.moveaxis(yxb, -1, 0)), 0, -1)
    np.testing.assert_allclose(block_mean(yxb, axes=(0, 1), valid=np.ones((5, 7, 3), bool)), ref)


def test_build_levels_tiled_equals_untiled(tmp_path):
    import numpy as np

    from zarrkit import core
    from zarrkit.pyramid import block_mean, build_levels, level_shapes
    from zarrkit.storage import open_store

    url = str(tmp_path / "p.zarr")
    s = open_store(url, mode="w")
    rng = np.random.default_rng(1)
    base = rng.integers(0, 255, (100, 90, 4)).astype("u1")
    shapes = level_shapes((100, 90), 16)
    paths = []
    for k, (h, w) in enumerate(shapes):
        core.create_array(s, f"{k}", core.array_metadata((h, w, 4), "u1", (8, 8, 4), shards=(16, 16, 4), fill_value=0))
        paths.append(f"{k}")
    core.write_region(s, "0", ..., base)
    kids = {(i, j): f"{i}.{j}" for i in range(7) for j in range(6)}
    build_levels(url, paths, kids, alpha_axis=2, executor="threads", workers=2)
    ref = base
    for k in range(1, len(shapes)):
        ref = block_mean(ref, axes=(0, 1), alpha_axis=2)
        np.testing.assert_array_equal(core.read_region(s, f"{k}", ...), ref)
