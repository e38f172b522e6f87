"""Process-wide core state: settings, node generations, the array-object LRU, counters.

* **Generations.** Every zarrkit metadata change (create with overwrite, attribute update,
  delete, consolidate) bumps the generation of ``(store identity, node path)``.  An
  :class:`~zarrkit.core.array.Array` handle remembers the sum of the generations of its
  path and ancestors and re-reads metadata when it moves; deleting a group therefore
  invalidates every handle below it.
* **Array objects.** Backends cache what is costly to build (zarrista ``Array`` objects,
  python codec plans) in one LRU keyed on ``(identity, path, canonical metadata JSON)``.
* **Stats.** Counters such as backend fallbacks, for tests and ``core.stats()``.

Example:
    >>> configure(array_cache_size=16)["array_cache_size"]
    16
    >>> before = generation(("memory", "x", ""), "a/b"); bump(("memory", "x", ""), "a")
    >>> generation(("memory", "x", ""), "a/b") > before
    True
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from zarrkit.errors import InvalidOptionError

__all__ = ["ArrayObjectCache", "array_objects", "bump", "configure", "count", "generation", "settings", "stats"]

_settings: dict[str, Any] = {
    "backend": None,  # None → ZARRKIT_CORE_BACKEND, else "auto"
    "array_cache_size": 128,
    "shard_index_budget": 256 * 2**20,
}
_lock = threading.Lock()
_generations: dict[tuple[Hashable, str], int] = {}
_stats: Counter[str] = Counter()


def settings() -> dict[str, Any]:
    """A copy of the current core settings."""
    return dict(_settings)


def configure(**changes: Any) -> dict[str, Any]:
    """Change core settings: ``backend`` (``"auto"``, ``"python"``, ``"zarrs"`` or ``None``),
    ``array_cache_size`` (0 disables) and ``shard_index_budget`` (bytes). Returns the settings."""
    from zarrkit.core.sharding import shard_index_cache

    for key, value in changes.items():
        if key not in _settings:
            raise InvalidOptionError(f"unknown core setting {key!r}; valid: {sorted(_settings)}")
        if key == "backend" and value not in (None, "auto", "python", "zarrs"):
            raise InvalidOptionError(f"backend must be 'auto', 'python' or 'zarrs', got {value!r}")
        if key in ("array_cache_size", "shard_index_budget") and (not isinstance(value, int) or value < 0):
            raise InvalidOptionError(f"{key} must be a non-negative integer, got {value!r}")
    _settings.update(changes)
    array_objects.resize(_settings["array_cache_size"])
    shard_index_cache.budget = _settings["shard_index_budget"]
    return settings()


def default_backend() -> str:
    """The backend name in force: ``configure(backend=…)``, else ``ZARRKIT_CORE_BACKEND``, else auto."""
    name = _settings["backend"] or os.environ.get("ZARRKIT_CORE_BACKEND") or "auto"
    if name not in ("auto", "python", "zarrs"):
        raise InvalidOptionError(f"ZARRKIT_CORE_BACKEND must be 'auto', 'python' or 'zarrs', got {name!r}")
    return name


def _ancestors(path: str) -> list[str]:
    parts = path.split("/") if path else []
    return [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]


@functools.lru_cache(maxsize=4096)
def generation_keys(identity: Hashable, path: str) -> tuple[tuple[Hashable, str], ...]:
    """The generation entries a node's handle watches: its own and its ancestors'."""
    return tuple((identity, p) for p in _ancestors(path))


def generation(identity: Hashable, path: str) -> int:
    """The summed generation of a node and its ancestors."""
    get = _generations.get
    return sum(get(k, 0) for k in generation_keys(identity, path))


def bump(identity: Hashable, path: str) -> None:
    """Record a metadata change at ``path`` (and so below it) in this process."""
    with _lock:
        key = (identity, path)
        _generations[key] = _generations.get(key, 0) + 1
    array_objects.drop_node(identity, path)


def count(name: str, n: int = 1) -> None:
    _stats[name] += n


def stats(reset: bool = False) -> dict[str, int]:
    """Counters of the core (``fallback:<reason>``, ``zarrs:calls``, ...).

    Example:
        >>> isinstance(stats(), dict)
        True
    """
    out = dict(_stats)
    if reset:
        _stats.clear()
    return out


class ArrayObjectCache:
    """An LRU of constructed per-array objects keyed on ``(identity, path, metadata key)``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple, build: Callable[[], Any]) -> Any:
        if self.size == 0:
            return build()
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
                return value
        value = build()  # outside the lock: construction may do I/O
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def drop_node(self, identity: Hashable, path: str) -> None:
        prefix = path + "/" if path else ""
        with self._lock:
            for key in [k for k in self._entries if k[0] == identity and (k[1] == path or k[1].startswith(prefix))]:
                del self._entries[key]

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = size
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


array_objects = ArrayObjectCache(_settings["array_cache_size"])
