"""Choosing the backend for one call from the backends' declared capabilities.

``backend=`` on the call (or the handle), else ``configure(backend=...)``, else
``ZARRKIT_CORE_BACKEND``, else ``"auto"``: ``zarrs`` when its
:func:`~zarrkit.core.backends.base.refusal` is ``None`` for the call, else ``python``.  An automatic fallback is logged
and counted in ``core.stats()`` (``fallback`` and ``fallback:<reason>``); an explicit
``"zarrs"`` that cannot serve the call raises ``BackendUnsupportedError``.

Example:
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.core.metadata import array_metadata
    >>> s = open_store("memory://", mode="w")
    >>> choose_backend(s, "a", array_metadata((2,), "u1", (2,)), "auto", op="read").name
    'python'
"""

from __future__ import annotations

import logging
from typing import Any

from zarrkit.core import cache
from zarrkit.core.backends import python as python_backend
from zarrkit.core.backends.base import Backend, refusal
from zarrkit.core.metadata import ArrayMetadata
from zarrkit.errors import BackendUnsupportedError, InvalidOptionError

__all__ = ["BACKEND_NAMES", "backend_named", "choose_backend"]

log = logging.getLogger("zarrkit.core")

BACKEND_NAMES = ("auto", "python", "zarrs")
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


def choose_backend(store, path: str, meta: ArrayMetadata, backend: str | None, **call: Any) -> Backend:
    """The backend for this call; ``call`` holds ``op`` (``"read"``, ``"write"``,
    ``"delete"``) and the options that matter (``missing``, ``write_empty``, ``inner``)."""
    name = backend or cache.default_backend()
    if name == "python":
        return python_backend
    if name not in BACKEND_NAMES:
        raise InvalidOptionError(f"backend must be 'auto', 'python' or 'zarrs', got {name!r}")
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
