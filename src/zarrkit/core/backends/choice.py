"""Choosing the backend for one call: by measurement, then by the backends' declared capabilities.

``backend=`` on the call (or the handle), else ``configure(backend=...)``, else
``ZARRKIT_CORE_BACKEND``, else ``"auto"``.  ``"auto"`` looks the call's operation up in
:data:`AUTO_TABLE` (which backend was faster for it, by CPU time per call, measured with
``python -m zarrkit.bench.core_choice``); where that is ``zarrs``, it is used when its
:func:`~zarrkit.core.backends.base.refusal` is ``None`` for the call, else ``python``.  An
automatic fallback is logged and counted in ``core.stats()`` (``fallback`` and
``fallback:<reason>``); an explicit ``"zarrs"`` that cannot serve the call raises
``BackendUnsupportedError``.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> s = open_store("memory://", mode="w")
    >>> choose_backend(s, "a", array_metadata((2,), "u1", (2,)), "auto", op="read").name
    'python'
    >>> operation(array_metadata((8,), "u1", (2,), shards=(4,)), op="read", inner=True)
    'read one inner chunk or point'
"""

from __future__ import annotations

import logging
from typing import Any

from zarrkit.core import cache
from zarrkit.core.backends import python as python_backend
from zarrkit.core.backends.base import Backend, refusal
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.errors import BackendUnsupportedError, InvalidOptionError

__all__ = ["AUTO_TABLE", "BACKEND_NAMES", "auto_backend", "backend_named", "choose_backend", "operation"]

log = logging.getLogger("zarrkit.core")

BACKEND_NAMES = ("auto", "python", "zarrs")

#: operation -> (backend ``auto`` uses, zarrs CPU time / python CPU time per call: > 1 means
#: python did the work with less CPU), the mean of two runs of ``python -m
#: zarrkit.bench.core_choice`` (issue 14, item 6).  CPU time decides: on the shared machine it
#: was stable between runs where wall time was not.  The README's "Which backend auto picks"
#: table shows the same rows with the wall times, and a test keeps the two equal.
AUTO_TABLE: dict[str, tuple[str, float]] = {
    "read region": ("python", 1.36),
    "read region, sharded": ("python", 1.37),
    "read one chunk": ("python", 2.04),
    "read one inner chunk or point": ("python", 1.38),
    "write region": ("zarrs", 0.97),
    "write region, sharded": ("python", 1.28),
}
_ZARRS: list = []


def _zarrs_backend():
    if not _ZARRS:  # import once: a failed import must not be retried on every call
        try:
            from zarrkit.core.backends import zarrs
        except ImportError:  # pragma: no cover - zarrs.py guards its own optional import
            zarrs = None
        _ZARRS.append(zarrs)
    return _ZARRS[0]


def backend_named(name: str) -> Backend | None:
    """The backend module called ``name`` (``None`` if it cannot even be imported).

    Example:
        >>> backend_named("python").capabilities.zarr_formats == frozenset({2, 3})
        True
    """
    if name == "python":
        return python_backend
    if name == "zarrs":
        return _zarrs_backend()
    raise InvalidOptionError(f"backend must be one of {', '.join(map(repr, BACKEND_NAMES))}, got {name!r}")


def operation(meta: ArrayMetadata, *, op: str, plan: Any = None, inner: bool = False, **_: Any) -> str:
    """The :data:`AUTO_TABLE` row a call falls under.

    A read without a plan addresses one chunk (``read_chunk``, or a box inside one chunk such
    as ``a[i, j, :]``); reads with a plan are regions (any selection).  Writes split by
    sharding only.
    """
    sharded = meta.shards is not None  # from the document alone: building the codec chain may raise
    if op == "read":
        if plan is None:
            return "read one inner chunk or point" if sharded else "read one chunk"
        return "read region, sharded" if sharded else "read region"
    return "write region, sharded" if sharded else "write region"


def auto_backend(meta: ArrayMetadata, **call: Any) -> str:
    """The backend ``auto`` prefers for this call (before asking whether zarrs can serve it).

    Example:
        >>> from zarrkit.core.metadata import array_metadata
        >>> auto_backend(array_metadata((4,), "u1", (2,)), op="read")
        'python'
    """
    return AUTO_TABLE.get(operation(meta, **call), ("zarrs", 0.0))[0]


def choose_backend(store, path: str, meta: ArrayMetadata, backend: str | None, **call: Any) -> Backend:
    """The backend for this call; ``call`` holds ``op`` (``"read"``, ``"write"``,
    ``"delete"``) and the options that matter (``missing``, ``write_empty``, ``inner``, ``plan``)."""
    name = backend or cache.default_backend()
    if name == "python":
        return python_backend
    if name not in BACKEND_NAMES:
        raise InvalidOptionError(f"backend must be 'auto', 'python' or 'zarrs', got {name!r}")
    if name == "auto" and auto_backend(meta, **call) == "python":
        return python_backend  # measured faster for this operation: zarrs is not even asked
    fast = _zarrs_backend()
    reason = "zarrs backend cannot be imported" if fast is None else refusal(fast, store, meta, **call)
    if reason is None:
        return fast
    if name == "zarrs":
        raise BackendUnsupportedError(f"the zarrs backend cannot serve this call: {reason}", url=store.url, path=path)
    log.debug("zarrs backend not used for %s: %s", path, reason)
    cache.count("fallback")
    cache.count(f"fallback:{reason}")
    return python_backend
