"""Per-pixel int8 quantisation: value = q × scale, a non-finite scale = no data.

``scale = max|v| over bands / 127``, ``q = rint(v / scale)`` clipped to ±127, so the error is
at most ``scale / 2``; an all-zero pixel has scale 0 and q 0; a masked or non-finite pixel
scale NaN and q 0.  Pre-quantised int8 with (y, x) scales passes through untouched;
per-band (y, x, band) scales are dequantised and requantised, never collapsed with a max.

Example:
    >>> import numpy as np
    >>> q, s = quantize(np.array([[[1.0, -2.0], [0.0, 0.0]]], "f4"), np.array([[True, True]]))
    >>> q.tolist(), [round(float(v), 6) for v in s[0]]
    ([[[64, -127], [0, 0]]], [0.015748, 0.0])
    >>> [round(float(v), 2) for v in dequantize(q, s)[0, 0]]
    [1.01, -2.0]
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["METHOD", "dequantize", "quantize", "quantize_source"]

METHOD = "per_pixel_scale/1"  # hashed into fingerprints: a change here reruns every task


def quantize(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(q int8 (y, x, band), scale float32 (y, x))`` of float ``values`` where ``valid``."""
    v = np.asarray(values, dtype="f4")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = valid & np.isfinite(v).all(axis=-1)
        scale = (np.abs(np.where(ok[..., None], v, 0)).max(axis=-1) / np.float32(127)).astype("f4")
        safe = np.where(scale > 0, scale, np.float32(1))
        q = np.clip(np.rint(np.where(ok[..., None], v, 0) / safe[..., None]), -127, 127).astype("i1")
    q[~ok] = 0
    scale[~ok] = np.nan
    return q, scale


def quantize_source(data: np.ndarray, valid: np.ndarray, scales: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A source window in any supported form as ``(q, scale)`` (see the module docstring)."""
    if scales is not None and data.dtype == np.int8 and scales.ndim == 2:
        ok = valid & np.isfinite(scales)
        q = np.where(ok[..., None], data, 0).astype("i1")
        return q, np.where(ok, scales, np.float32(np.nan)).astype("f4")
    if scales is not None:  # per-band scales: dequantise, then one scale per pixel
        data = data.astype("f4") * (scales if scales.ndim == 3 else scales[..., None])
    return quantize(data, valid)


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 ``q × scale``; NaN where the scale is not finite."""
    s = np.asarray(scale, dtype="f4")
    out = np.asarray(q, dtype="f4") * np.where(np.isfinite(s), s, np.float32(np.nan))[..., None]
    return out
