"""Reading a root document for the engine: bytes to a dict, or a clear error.

Example:
    >>> from zarrkit.storage import open_store
    >>> s = open_store("memory://", mode="w")
    >>> load_root(s) is None
    True
    >>> s.set("zarr.json", b"{not json")
    >>> load_root(s)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    zarrkit.errors.MetadataError: ...
"""

from __future__ import annotations

import json
from typing import Any

from zarrkit.errors import MetadataError

__all__ = ["load_root"]


def load_root(store: Any) -> dict[str, Any] | None:
    """The root ``zarr.json`` as a dict, ``None`` when absent; malformed JSON or a document
    that is not an object raises :class:`MetadataError` naming the store and key."""
    raw = store.get("zarr.json")
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MetadataError(f"malformed JSON: {err}", url=store.url, path="", key="zarr.json") from None
    if not isinstance(doc, dict):
        raise MetadataError(f"the document is a JSON {type(doc).__name__}, not an object",
                            url=store.url, path="", key="zarr.json")
    return doc
