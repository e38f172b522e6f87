"""Array conversion for the file-like backend: GPU and framework arrays to numpy.

Dispatch is on the top package of ``type(x).__module__``; no framework is imported unless
the object already belongs to it (so numpy input never loads cupy, torch or jax).

Example:
    >>> to_numpy([[1, 2], [3, 4]]).dtype.kind
    'i'
    >>> to_numpy(np.array(3))
    Traceback (most recent call last):
    ...
    TypeError: 0-d data cannot be stored as an image plane
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["to_numpy"]


def _from_torch(x: Any) -> np.ndarray:
    if str(getattr(x, "dtype", "")) == "torch.bfloat16":
        raise TypeError("torch.bfloat16 has no numpy equivalent; convert with .float() first")
    return x.detach().cpu().numpy()  # detach: .numpy() refuses tensors that require grad


_ADAPTERS = {
    "cupy": lambda x: x.get(),
    "torch": _from_torch,
    "jax": lambda x: np.asarray(sys.modules["jax"].device_get(x)),
    "jaxlib": lambda x: np.asarray(sys.modules["jax"].device_get(x)),
}


def to_numpy(x: Any) -> np.ndarray:
    """A numpy array from numpy, CuPy, torch, JAX, any DLPack exporter or ``__array__`` object.

    Object, string and 0-d data raise TypeError.
    """
    if isinstance(x, np.ndarray):
        out = x
    else:
        top = type(x).__module__.split(".")[0]
        if top in _ADAPTERS:
            out = _ADAPTERS[top](x)
        elif hasattr(x, "__dlpack__"):
            try:
                out = np.from_dlpack(x, device="cpu")
            except (TypeError, BufferError, RuntimeError):
                out = np.asarray(x) if hasattr(x, "__array__") else None
        elif hasattr(x, "__array__") or isinstance(x, (list, tuple)):
            out = np.asarray(x)
        else:
            raise TypeError(f"cannot convert {type(x).__module__}.{type(x).__name__} to an array")
        if out is None:
            raise TypeError(f"cannot convert {type(x).__name__} to an array (DLPack failed, no __array__)")
        out = np.asarray(out)
    if out.dtype.kind in "OUSV":
        raise TypeError(f"{out.dtype} data cannot be stored as an image plane")
    if out.ndim == 0:
        raise TypeError("0-d data cannot be stored as an image plane")
    return out
