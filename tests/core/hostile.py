"""Shared rig for the hostile-bytes fuzz suite (issue 14, item 8).

* :data:`CHAINS`: every codec chain zarrkit stores (bytes, transpose, gzip, zstd, blosc,
  crc32c, sharding with the index at the start and at the end, nested sharding, and a v2
  array), each as ``array_metadata`` arguments;
* :func:`mutate_document`: a valid document with fields deleted, retyped, out of range or
  nested wrongly, driven by a hypothesis ``draw``;
* :func:`hostile_call`: runs one read or open and turns anything that is not a
  ``ZarrkitError`` into a test failure, with a watchdog so a hang fails too;
* :func:`snapshot`: a store's listing and bytes, to prove a failed call changed nothing.

``ZARRKIT_FUZZ=nightly`` scales the suite up (:func:`examples`); the default is a small
sample that keeps the default run fast.
"""

from __future__ import annotations

import copy
import os
import signal
import threading
import traceback
from contextlib import contextmanager
from typing import Any

import numpy as np

from zarrkit import core
from zarrkit.core.backends import zarrs as zarrs_backend
from zarrkit.errors import NodeError, ZarrkitError

NIGHTLY = os.environ.get("ZARRKIT_FUZZ", "").lower() == "nightly"
#: when a list, :func:`hostile_call` records foreign exceptions here instead of failing
#: (for counting them across a whole run instead of stopping at the first)
FOREIGN: list[tuple[str, str]] | None = None

SHAPE = (6, 8)
CHUNKS = (3, 4)
SHARDS = (6, 8)
_ZSTD = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}
_NESTED = {
    "name": "sharding_indexed",
    "configuration": {"chunk_shape": [3, 2], "codecs": [{"name": "bytes"}, _ZSTD], "index_location": "start"},
}

# name -> array_metadata keyword arguments (shape, dtype and chunks are shared)
CHAINS: dict[str, dict[str, Any]] = {
    "bytes": {"compressors": None},
    "transpose": {"filters": [{"name": "transpose", "configuration": {"order": [1, 0]}}], "compressors": None},
    "gzip": {"compressors": [{"name": "gzip", "configuration": {"level": 1}}]},
    "zstd": {"compressors": [_ZSTD]},
    "blosc": {"compressors": [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}}]},
    "crc32c": {"compressors": [{"name": "crc32c"}]},
    "shard-end": {"shards": SHARDS, "compressors": [_ZSTD]},
    "shard-start": {"shards": SHARDS, "compressors": [{"name": "crc32c"}], "index_location": "start"},
    "shard-nested": {"shards": SHARDS, "serializer": _NESTED, "compressors": None},
    "v2-zstd": {"zarr_format": 2, "compressors": {"id": "zstd", "level": 1}},
}
SHARDED = [name for name, kw in CHAINS.items() if "shards" in kw]
# auto picks python for reads (choice.AUTO_TABLE): zarrs is named too, so its errors are fuzzed
BACKENDS = ["python", "auto"] + (["zarrs"] if zarrs_backend.available() else [])


def examples(default: int, nightly: int) -> int:
    """How many hypothesis examples a fuzz test runs: ``nightly`` under ``ZARRKIT_FUZZ=nightly``."""
    return nightly if NIGHTLY else default


def build_array(store, path: str, chain: str, dtype: str = "uint16"):
    """Create the chain's array at ``path`` and fill it with varied data; returns the metadata."""
    meta = core.create_array(store, path, core.array_metadata(SHAPE, dtype, CHUNKS, fill_value=0, **CHAINS[chain]),
                             overwrite=True)
    data = (np.arange(np.prod(SHAPE)).reshape(SHAPE) * 7 + 1).astype(dtype)
    core.write_region(store, path, ..., data, metadata=meta, backend="python")
    return meta


def snapshot(store) -> dict[str, bytes]:
    """Every key and its bytes: equal snapshots mean an unchanged store."""
    return {key: bytes(store.get(key)) for key in sorted(store.list_prefix(""))}


# ---------------------------------------------------------------------------- documents
#: values a hostile document puts where something else belongs: wrong types, out of
#: range (negative, past int64 and uint64), wrongly nested, NaN-like strings
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 7, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30,
    0.5, -0.0, 1e308, "", "x", "NaN", "0x7fc00000", "regular", "bytes", "sharding_indexed",
    [], [0], [-1], [1, 2], [[1]], [2**64], ["a"], [None], {}, {"name": 1}, {"name": "bytes"},
    {"configuration": 1}, {"name": "regular", "configuration": []},
    {"name": "regular", "configuration": {"chunk_shape": 3}},
    {"name": "sharding_indexed", "configuration": {"chunk_shape": [1, 1], "codecs": 5}},
]
#: values that must never reach a chunk's shape: they would ask for a real allocation of
#: gigabytes (the fuzzer should find bugs, not the machine's memory limit)
_ALLOCATING = {2**31, 2**53, 2**63 - 1}


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document (keys and list positions)."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _in_chunk_shape(path: tuple) -> bool:
    return "chunk_shape" in path or "chunks" in path


def mutate_document(draw, doc: dict) -> dict:
    """A copy of ``doc`` with one to three hostile edits drawn by hypothesis.

    Each edit picks a path and deletes it, replaces it with a hostile value, wraps it in a
    list or an object, or adds an unknown field next to it.
    """
    from hypothesis import strategies as st

    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        op = draw(st.sampled_from(["delete", "replace", "replace", "replace", "wrap-list", "wrap-dict", "add"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            value = draw(st.sampled_from(HOSTILE_VALUES))
            if _in_chunk_shape(path) and type(value) is int and value in _ALLOCATING:
                value = 2**64
            parent[path[-1]] = copy.deepcopy(value)
        elif op == "wrap-list":
            parent[path[-1]] = [parent[path[-1]]]
        elif op == "wrap-dict":
            parent[path[-1]] = {"name": parent[path[-1]]}
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["novel", "must_understand", "configuration", "name"]))] = copy.deepcopy(
                draw(st.sampled_from(HOSTILE_VALUES)))
    return doc


# ---------------------------------------------------------------------------- calls
class Hang(Exception):
    """A call ran past the watchdog's limit."""


@contextmanager
def watchdog(seconds: float):
    """Raise :class:`Hang` in the main thread when the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def hostile_call(fn, *args, store=None, path: str | None = None, key: str | None = None, **kwargs):
    """Run ``fn``; return ``(result, None)`` or ``(None, error)`` for a ``ZarrkitError``.

    Anything else (``AttributeError``, ``OverflowError``, a hang, ...) fails the test with
    the call in the message.  A ``NodeError`` must name the store and the node (``path``
    when given), and the key ``key`` when given.
    """
    try:
        with watchdog(20):
            return fn(*args, **kwargs), None
    except ZarrkitError as err:
        if isinstance(err, NodeError) and store is not None:
            assert err.url == store.url, f"{type(err).__name__} without the store: {err}"
            if path is not None:
                assert err.path == path, f"{type(err).__name__} names node {err.path!r}, not {path!r}: {err}"
            if key is not None:
                assert err.key == key and key in str(err), f"{type(err).__name__} does not name {key!r}: {err}"
        return None, err
    except Exception as err:  # noqa: BLE001 - the point of the suite: a foreign exception
        if FOREIGN is not None:
            frames = [f for f in traceback.extract_tb(err.__traceback__) if "zarrkit" in f.filename]
            where = f" at {frames[-1].filename.rsplit('/src/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
            FOREIGN.append((type(err).__name__, f"{getattr(fn, '__name__', fn)}: {err}{where}"))
            return None, err
        raise AssertionError(f"foreign {type(err).__name__} from {getattr(fn, '__name__', fn)}: {err}") from err
