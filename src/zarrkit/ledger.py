"""The ledger of a long build: runs, plans, fingerprinted receipts and leases, outside every store.

Layout under the ledger's root (a folder or any store URL)::

    runs/{run}.json                          plan hash, layout, argv, library versions
    plan/{scope}.jsonl.gz                    the tasks a run planned
    receipts/{phase}/{worker}-{seq}.jsonl    immutable segments of receipts
    leases/{name}                            who builds what (set-if-absent, with a TTL)

A receipt ``{task, phase, fp, status: written|empty, arrays, worker, t}`` is appended only
after the task's writes returned; ``empty`` is explicit, because Zarr stores no object for
an all-fill shard, so "object absent" cannot mean "not done".  Segments are written whole
(atomically) every 64 receipts or 5 s, so a killed build loses at most the receipts of
its last open segment, and those tasks simply run again (tasks are idempotent).

Example:
    >>> led = Ledger("memory://doc-ledger")
    >>> led.append({"task": "a", "phase": "p", "fp": "f1", "status": "empty", "arrays": {}})
    >>> led.flush()
    >>> sorted(led.done("p")), led.receipts("p")["a"]["status"]
    ([('a', 'f1')], 'empty')
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import sys
import time
import uuid
from typing import Any, Iterable, Mapping

from zarrkit.storage import open_store

__all__ = ["Ledger", "ProgressLog", "SEGMENT_RECEIPTS", "SEGMENT_SECONDS"]

SEGMENT_RECEIPTS = 64
SEGMENT_SECONDS = 5.0


class Ledger:
    """One ledger root; ``worker`` names this writer's segments (default host-pid-random)."""

    def __init__(self, root: Any, *, worker: str | None = None) -> None:
        self.store = root if hasattr(root, "list_prefix") else open_store(root, mode="a")
        self.worker = worker or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._opened = time.monotonic()
        self._seq = 0

    # ------------------------------------------------------------------ runs and plans
    def start_run(self, info: Mapping[str, Any]) -> str:
        """Record a run (its plan hash, layout, argv, versions); returns the run id."""
        run = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{self.worker}"
        self.store.set(f"runs/{run}.json", json.dumps(dict(info), sort_keys=True, indent=1).encode())
        return run

    def runs(self) -> list[dict[str, Any]]:
        """Every recorded run, oldest first."""
        keys = sorted(k for k in self.store.list_prefix("runs/") if k.endswith(".json"))
        return [json.loads(self.store.get(k)) for k in keys]

    def write_plan(self, scope: str, tasks: Iterable[Mapping[str, Any]]) -> None:
        """The planned tasks of ``scope`` (``{time}/{zone}``), one JSON line each, gzipped."""
        lines = "".join(json.dumps(t, sort_keys=True) + "\n" for t in tasks).encode()
        self.store.set(f"plan/{scope}.jsonl.gz", gzip.compress(lines, mtime=0))

    def read_plan(self, scope: str) -> list[dict[str, Any]]:
        raw = self.store.get(f"plan/{scope}.jsonl.gz")
        return [] if raw is None else [json.loads(line) for line in gzip.decompress(raw).splitlines()]

    # ------------------------------------------------------------------ receipts
    def append(self, receipt: Mapping[str, Any]) -> None:
        """Queue a receipt; its segment is written when full or old."""
        doc = {**receipt, "worker": receipt.get("worker") or self.worker, "t": receipt.get("t") or round(time.time(), 3)}
        self._pending.setdefault(doc["phase"], []).append(doc)
        if (sum(map(len, self._pending.values())) >= SEGMENT_RECEIPTS
                or time.monotonic() - self._opened >= SEGMENT_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Write every open segment (each an immutable object of its own)."""
        for phase, docs in self._pending.items():
            if docs:
                self._seq += 1
                body = "".join(json.dumps(d, sort_keys=True) + "\n" for d in docs).encode()
                self.store.set(f"receipts/{phase}/{self.worker}-{self._seq:06d}.jsonl", body)
        self._pending = {}
        self._opened = time.monotonic()

    def _all(self, phase: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        prefix = f"receipts/{phase}/"
        for key in sorted(k for k in self.store.list_prefix(prefix) if "/" not in k[len(prefix):]):
            for line in (self.store.get(key) or b"").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:  # a torn line of a non-atomic store: that task reruns
                    continue
        out.extend(self._pending.get(phase, []))
        return out

    def receipts(self, phase: str) -> dict[str, dict[str, Any]]:
        """The latest receipt of every task of ``phase`` (by its time ``t``)."""
        out: dict[str, dict[str, Any]] = {}
        for doc in sorted(self._all(phase), key=lambda d: d.get("t", 0)):
            out[doc["task"]] = doc
        return out

    def matching(self, phase: str) -> dict[tuple[str, str], dict[str, Any]]:
        """``(task, fingerprint) → receipt`` of every receipt of ``phase``."""
        return {(d["task"], d["fp"]): d for d in sorted(self._all(phase), key=lambda d: d.get("t", 0))}

    def done(self, phase: str) -> set[tuple[str, str]]:
        """``(task, fingerprint)`` pairs with a receipt in ``phase``."""
        return set(self.matching(phase))

    # ------------------------------------------------------------------ leases
    def acquire(self, name: str, ttl: float = 900.0) -> bool:
        """Take lease ``name`` (set-if-absent); ``False`` if another live builder holds it.

        An expired lease, or one held by a dead process on this host (a killed build), is
        taken over.  Not atomic on fsspec stores, which have no conditional write.
        """
        key = f"leases/{name}"
        doc = json.dumps({"worker": self.worker, "host": socket.gethostname(), "pid": os.getpid(),
                          "expires": time.time() + ttl}).encode()
        if self.store.set_if_absent(key, doc):
            return True
        held = json.loads(self.store.get(key) or b"{}")
        if held.get("worker") == self.worker or held.get("expires", 0) < time.time() or _dead_here(held):
            self.store.set(key, doc)
            return True
        return False

    def release(self, name: str) -> None:
        """Give lease ``name`` back (only this writer's)."""
        key = f"leases/{name}"
        raw = self.store.get(key)
        if raw is not None and json.loads(raw).get("worker") == self.worker:
            self.store.delete(key)

    def close(self) -> None:
        self.flush()


def _dead_here(held: Mapping[str, Any]) -> bool:
    """Whether a lease's holder was a process on this host that no longer runs."""
    if held.get("host") != socket.gethostname() or not isinstance(held.get("pid"), int):
        return False
    try:
        os.kill(held["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class ProgressLog:
    """Progress of a phase from its receipts, printed to stderr every 30 s (batch jobs have no
    terminal for a bar): tasks done/total, MB written, MB/s, ETA.

    Example:
        >>> log = ProgressLog("2024/data", 4); log.done, log.bytes = 1, 2_000_000
        >>> log.line(log.started + 2.0)
        '2024/data: 1/4 tasks, 2.0 MB, 1.0 MB/s, ETA 6 s'
    """

    def __init__(self, phase: str, total: int | None) -> None:
        self.phase, self.total, self.done, self.bytes, self.started = phase, total, 0, 0, time.monotonic()
        self.last = self.started

    def add(self, receipt: Any) -> None:
        self.done += 1
        self.bytes += sum(a.get("bytes", 0) for a in receipt.get("arrays", {}).values()) if isinstance(receipt, dict) else 0
        if time.monotonic() - self.last >= 30.0:
            self.last = time.monotonic()
            print(self.line(self.last), file=sys.stderr, flush=True)

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        eta = f", ETA {elapsed / self.done * (self.total - self.done):.0f} s" if self.total and self.done else ""
        return (f"{self.phase}: {self.done}/{self.total or '?'} tasks, {self.bytes / 1e6:.1f} MB, "
                f"{self.bytes / 1e6 / elapsed:.1f} MB/s{eta}")
