"""The report ``zarrkit validate`` gives: checks with a status, the node and key they concern.

A check is ``ok``, ``warn`` (a reader still opens the store, or the check could not run),
``fail`` (a reader would refuse it, or a document is malformed) or ``skip`` (not checked:
zarrkit does not know the convention, or the tool it needs is not installed).  Only ``fail``
fails a report; ``--strict`` also fails on ``warn``.

Example:
    >>> r = Report("memory://x")
    >>> r.add("root zarr.json", "ok")
    >>> r.add("consolidated metadata", "warn", "none at the root", node="")
    >>> r.passed, r.strict_passed(), r.counts()
    (True, False, {'ok': 1, 'warn': 1, 'fail': 0, 'skip': 0})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["STATUSES", "Check", "CheckContext", "Report"]

STATUSES = ("ok", "warn", "fail", "skip")


@dataclass
class Check:
    """One verdict: ``name`` of the check, ``status``, a human ``detail``, and where."""

    name: str
    status: str
    detail: str = ""
    node: str | None = None  # the node path ("" is the root), when the check concerns one
    key: str | None = None  # the store key, when it concerns one object

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"check status must be one of {STATUSES}, got {self.status!r}")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class CheckContext:
    """What every check may look at, read once by ``validate``.

    ``documents`` maps node paths to their parsed metadata documents (from consolidated
    metadata when it is there, else from listing the store); ``errors`` maps node paths to
    why their document could not be read.
    """

    store: Any
    root: Mapping[str, Any]
    documents: Mapping[str, Mapping[str, Any]]
    errors: Mapping[str, str] = field(default_factory=dict)
    consolidated: bool = False
    deep: bool = False

    @property
    def attributes(self) -> Mapping[str, Any]:
        attrs = self.root.get("attributes", {})
        return attrs if isinstance(attrs, Mapping) else {}


@dataclass
class Report:
    """Every check run on one store."""

    url: str
    conventions: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: str, detail: str = "", *, node: str | None = None, key: str | None = None) -> None:
        self.checks.append(Check(name, status, detail, node, key))

    def extend(self, checks) -> None:
        self.checks.extend(checks)

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def strict_passed(self) -> bool:
        return all(c.status in ("ok", "skip") for c in self.checks)

    def counts(self) -> dict[str, int]:
        return {s: sum(c.status == s for c in self.checks) for s in STATUSES}

    def summary(self) -> str:
        """One closing line: ``passed: 7 ok, 1 warning, 0 failed, 2 not checked``."""
        n = self.counts()
        verdict = "passed" if self.passed else "FAILED"
        return (f"{verdict}: {n['ok']} ok, {n['warn']} warning{'s' * (n['warn'] != 1)}, "
                f"{n['fail']} failed, {n['skip']} not checked")

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "conventions": self.conventions, "passed": self.passed,
                "counts": self.counts(), "checks": [c.to_dict() for c in self.checks]}
