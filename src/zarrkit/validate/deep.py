"""``--deep``: decode every stored chunk of every array through ``zarrkit.core``.

Only chunks that exist are read (the array's folder is listed once; a store that cannot
list has every grid position tried, a missing chunk reading as the fill value).  Each chunk
that fails to decode (truncated, corrupt, a checksum mismatch, an unknown codec) is one
failed check naming the chunk's key.  Without ``deep`` the report carries one "skip" line
saying chunk data was not read.

Example:
    >>> import numpy as np
    >>> from zarrkit import core
    >>> from zarrkit.storage import open_store
    >>> from zarrkit.validate.documents import read_documents
    >>> s = open_store("memory://", mode="w")
    >>> _ = core.create_group(s)
    >>> m = core.create_array(s, "a", core.array_metadata((4,), "i2", (2,)))
    >>> core.write_region(s, "a", ..., np.arange(4), metadata=m)
    >>> s.set("a/c/1", b"junk")
    >>> [(c.status, c.key) for c in chunk_checks(s, read_documents(s))]
    [('fail', 'a/c/1')]
"""

from __future__ import annotations

import itertools
from typing import Any

from zarrkit.errors import UnsupportedOperationError, ZarrkitError
from zarrkit.validate.documents import Documents, document_key
from zarrkit.validate.report import Check

__all__ = ["NOT_READ", "chunk_checks", "not_read"]

NOT_READ = "not checked: chunk data was not read (run with --deep to decode every chunk)"
_MAX_FAILURES_PER_ARRAY = 20


def not_read() -> Check:
    """The one line a report carries when chunks were not read."""
    return Check("chunks", "skip", NOT_READ)


def _stored_keys(store, path: str) -> set[str] | None:
    try:
        return set(store.list_prefix(f"{path}/" if path else ""))
    except UnsupportedOperationError:
        return None


def _array_checks(store, path: str, doc: dict[str, Any]) -> list[Check]:
    from zarrkit import core
    from zarrkit.core.metadata import ArrayMetadata

    attrs = doc.get("attributes", {})
    body = {k: v for k, v in doc.items() if k not in ("attributes", "node_type")} if doc.get("zarr_format") == 2 else doc
    meta = ArrayMetadata.from_dict(body, attrs)
    stored = _stored_keys(store, path)
    prefix = f"{path}/" if path else ""
    failures, read = [], 0
    for coords in itertools.product(*(range(n) for n in meta.grid_shape)):
        key = prefix + meta.chunk_key(coords)
        if stored is not None and key not in stored:
            continue
        read += 1
        try:
            core.read_chunk(store, path, coords, metadata=meta)
        except (ZarrkitError, ValueError, TypeError, RuntimeError, OSError) as err:  # codec libraries raise their own
            failures.append(Check("chunks", "fail", f"cannot decode: {type(err).__name__}: {str(err)[:200]}",
                                  node=path, key=key))
            if len(failures) >= _MAX_FAILURES_PER_ARRAY:
                failures.append(Check("chunks", "fail", f"stopped after {len(failures)} bad chunks", node=path))
                break
    return failures or [Check("chunks", "ok", f"{read} stored chunks decode", node=path)]


def chunk_checks(store, docs: Documents) -> list[Check]:
    """Read every stored chunk of every readable array; one line per array (ok) or per bad chunk."""
    checks: list[Check] = []
    for path in docs.arrays():
        doc = docs.nodes[path]
        try:
            checks.extend(_array_checks(store, path, doc))
        except ZarrkitError as err:  # the array document itself is unusable for reading
            checks.append(Check("chunks", "fail", f"cannot read the array: {type(err).__name__}: {err}",
                                node=path, key=document_key(path)))
    return checks or [Check("chunks", "skip", "not checked: no arrays")]
