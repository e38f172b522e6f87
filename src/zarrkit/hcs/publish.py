"""Publishing an encoded well into a plate store, one strategy per kind of store (spec §3).

- local folders: stage + rename (:mod:`zarrkit.hcs.staging`); the rename is the claim;
- object stores and memory: claim the well with a ``writing`` document written by
  ``set_if_absent`` (``If-None-Match: *``), then chunks and image metadata, and the complete
  well ``zarr.json`` last;
- icechunk: the same writes in the session, one commit per well, rebased and retried on
  conflicts up to 10 times.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> p = publisher_for(s)
    >>> p.publish("B/3", {"zarr.json": b'{"zarr_format": 3, "node_type": "group", "attributes": {}}'})
    >>> p.publish("B/3", {"zarr.json": b"{}"})
    Traceback (most recent call last):
    ...
    zarrkit.errors.WellExistsError: memory://: well 'B/3' already exists (pass overwrite=True to replace it)
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Mapping

from zarrkit import core
from zarrkit.errors import ConcurrencyUnsupported, ConflictError, ContainsNodeError, UnsupportedOperationError, WellExistsError
from zarrkit.hcs import staging
from zarrkit.hcs.layout import STATE_WRITING, well_attributes

__all__ = ["publisher_for", "Publisher", "LocalPublisher", "IcechunkPublisher", "ROW_DOCUMENT"]

ROW_DOCUMENT = core.GroupMetadata({}).to_documents()["zarr.json"]
COMMIT_RETRIES = 10


def _exists_error(store, well: str) -> WellExistsError:
    return WellExistsError(f"{store.url}: well {well!r} already exists (pass overwrite=True to replace it)")


class Publisher:
    """Object stores and memory: a ``writing`` claim, the data, the complete document last."""

    #: several processes may write distinct wells at once (conditional create is real)
    multi_writer = True

    def __init__(self, store) -> None:
        self.store = store
        self.multi_writer = bool(store.supports_conditional_create)

    def ensure_rows(self, rows) -> None:
        for row in rows:
            self.store.set_if_absent(f"{row}/zarr.json", ROW_DOCUMENT)  # identical content: a lost race is harmless

    def publish(self, well: str, objects: Mapping[str, bytes], *, overwrite: bool = False, durable: bool = False) -> None:
        """Store one encoded well; an existing well raises WellExistsError unless ``overwrite``."""
        self.ensure_rows([well.split("/")[0]])
        claim = well_attributes([], 0, None, state=STATE_WRITING)
        try:
            core.create_group(self.store, well, attributes=claim, parents=False, overwrite=overwrite)
        except ContainsNodeError:
            raise _exists_error(self.store, well) from None
        self.store.set_many({f"{well}/{k}": v for k, v in objects.items() if k != "zarr.json"})
        self.store.set(f"{well}/zarr.json", objects["zarr.json"])
        # a finalize racing us may have dropped the row's document before our claim landed
        self.ensure_rows([well.split("/")[0]])
        core.invalidate(self.store, well)

    def remove_row(self, row: str) -> bool:
        """Drop an empty row's document (only it: never a well a writer is adding); put it back
        and answer False when a well appeared meanwhile."""
        self.store.delete(f"{row}/zarr.json")
        if any(p.endswith("/") for p in self.store.list_dir(f"{row}/")):
            self.store.set_if_absent(f"{row}/zarr.json", ROW_DOCUMENT)
            return False
        return True

    def recheck_rows(self, rows) -> None:
        """After finalize's commit: nothing to recheck outside icechunk."""

    def sweep(self) -> list[str]:
        """Nothing is staged outside the plate on object stores."""
        return []

    def commit(self, message: str) -> None:
        """Nothing to commit outside icechunk."""


class LocalPublisher(Publisher):
    """Local folders: stage under a flock, rename into place (atomic, exclusive)."""

    def __init__(self, store) -> None:
        super().__init__(store)
        self.plate_dir = store.root
        self.multi_writer = True

    def ensure_rows(self, rows) -> None:
        for row in rows:
            staging.ensure_row(self.plate_dir, row, ROW_DOCUMENT)

    def publish(self, well: str, objects: Mapping[str, bytes], *, overwrite: bool = False, durable: bool = False) -> None:
        row, col = well.split("/")
        target = os.path.join(self.plate_dir, row, col)
        with staging.StagedWell(self.plate_dir, well, durable=durable) as staged:
            staged.write(objects)
            for attempt in range(3):
                self.ensure_rows([row])
                try:
                    staged.publish(target, overwrite=overwrite)
                    break
                except FileNotFoundError:  # finalize removed the (then empty) row: make it again
                    if attempt == 2:
                        raise
                except WellExistsError:
                    raise _exists_error(self.store, well) from None
        core.invalidate(self.store, well)
        if overwrite:
            self._strip_consolidated()

    def remove_row(self, row: str) -> bool:
        return staging.remove_row(self.plate_dir, row, ROW_DOCUMENT)

    def _strip_consolidated(self) -> None:
        # The replaced well's documents are in the consolidated block: drop it until finalize.
        with staging.plate_lock(self.plate_dir):
            raw = self.store.get("zarr.json")
            doc = json.loads(raw) if raw else {}
            if doc.pop("consolidated_metadata", None) is not None:
                self.store.set("zarr.json", json.dumps(doc, indent=2).encode())
                core.invalidate(self.store, "")

    def sweep(self) -> list[str]:
        return staging.sweep(self.plate_dir)


class IcechunkPublisher(Publisher):
    """icechunk: one commit per well; the creation commit made every row group."""

    def ensure_rows(self, rows) -> None:
        for row in rows:
            if not self.store.exists(f"{row}/zarr.json"):
                self.store.set(f"{row}/zarr.json", ROW_DOCUMENT)

    def publish(self, well: str, objects: Mapping[str, bytes], *, overwrite: bool = False, durable: bool = False) -> None:
        # finalize() removes empty rows, so a well written after it may need its row again
        self.ensure_rows([well.split("/")[0]])
        if self.store.exists(f"{well}/zarr.json"):
            if not overwrite:
                raise _exists_error(self.store, well)
            self.store.delete_prefix(f"{well}/")
        # icechunk stores a chunk only under an existing array node: the field documents go
        # first, parents before children, and the chunks after them (a mixed concurrent
        # set_many failed with KeyError on a chunk whose array was not yet there)
        documents = sorted((k for k in objects if k.endswith("zarr.json") and k != "zarr.json"), key=lambda k: k.count("/"))
        for key in documents:
            self.store.set(f"{well}/{key}", objects[key])
        self.store.set_many({f"{well}/{k}": v for k, v in objects.items() if not k.endswith("zarr.json")})
        self.store.set(f"{well}/zarr.json", objects["zarr.json"])
        self.commit(f"hcs: well {well}")
        self.recheck_rows([well.split("/")[0]])
        core.invalidate(self.store, well)

    def remove_row(self, row: str) -> bool:
        self.store.delete(f"{row}/zarr.json")
        return True

    def recheck_rows(self, rows) -> None:
        """A finalize and a writer committing at once rebase cleanly (different keys), which can
        leave a well under a row whose document the finalize dropped: after each commit, give
        such rows their document back."""
        lost = [r for r in rows if not self.store.exists(f"{r}/zarr.json")
                and any(p.endswith("/") for p in self.store.list_dir(f"{r}/"))]
        for row in lost:
            self.store.set(f"{row}/zarr.json", ROW_DOCUMENT)
        if lost:
            self.commit("hcs: restore row groups")

    def _commit_lock(self):
        """icechunk's local-filesystem storage cannot arbitrate commits (it is single-committer:
        racing processes both 'succeed' and one commit is lost), so on ``icechunk+file://``
        commits take a flock on the repository folder; object storage arbitrates itself."""
        from zarrkit.storage.url import parse_target

        target = parse_target(self.store.url)
        if target.scheme == "file" and os.path.isdir(target.path):
            return staging.plate_lock(target.path)
        return contextlib.nullcontext()

    def commit(self, message: str) -> None:
        # icechunk's rebase tries once; disjoint wells always rebase cleanly, so retry a few times.
        for attempt in range(COMMIT_RETRIES):
            try:
                with self._commit_lock():
                    self.store.commit(message, on_conflict="rebase")
                return
            except ConflictError:
                if attempt == COMMIT_RETRIES - 1:
                    self.store.discard()
                    raise


def publisher_for(store) -> Publisher:
    """The publishing strategy for ``store`` (zip is pack-only: refused)."""
    kind = getattr(store, "kind", "")
    if kind == "zip":
        raise UnsupportedOperationError("a zip store is pack-only for plates: write a folder, then "
                                        "`zarrkit hcs pack` it", url=store.url)
    if kind == "local":
        return LocalPublisher(store)
    if kind == "icechunk":
        return IcechunkPublisher(store)
    return Publisher(store)


def require_incremental(publisher: Publisher) -> None:
    """Incremental listings merge under a directory flock: local folders only."""
    if not isinstance(publisher, LocalPublisher):
        raise ConcurrencyUnsupported("incremental listing needs a local plate folder; object stores and "
                                     "icechunk list wells in finalize() only", url=publisher.store.url)
    staging.check_local_locking(publisher.plate_dir)
