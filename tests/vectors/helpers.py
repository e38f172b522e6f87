"""Shared test helpers: zarr_vectors (optional), multiset comparisons, numpy truth."""

from __future__ import annotations

import numpy as np
import pytest


def zv_or_skip():
    """The zarr_vectors package, or skip the test when it cannot be imported."""
    return pytest.importorskip("zarr_vectors")


def rows(a) -> list[tuple]:
    """Rows of a 2-D array as a sorted list of tuples (a multiset)."""
    a = np.asarray(a)
    return sorted(map(tuple, a.reshape(len(a), -1).tolist()))


def in_box(xyz, lo, hi) -> np.ndarray:
    """numpy's selection: inside iff lo <= x <= hi on every axis (float64, inclusive)."""
    x = np.asarray(xyz, np.float64)
    return np.all((x >= np.asarray(lo, np.float64)) & (x <= np.asarray(hi, np.float64)), axis=1)


def zv_validate_errors(path) -> list:
    from zarr_vectors.validate import validate

    return list(validate(str(path), level=5).errors)
