"""zarrkit.storage: open any store from a URL and talk to it through one byte protocol.

Example:
    >>> from zarrkit.storage import open_store
    >>> with open_store("memory://", mode="w") as store:
    ...     store.set("zarr.json", b"{}")
    ...     store.list_dir("")
    ['zarr.json']
"""

from zarrkit.storage.base import ByteStore, StoreSpec, Transaction
from zarrkit.storage.consolidated import consolidate_metadata
from zarrkit.storage.keys import check_key, check_node_path, check_prefix
from zarrkit.storage.open import open_store
from zarrkit.storage.url import parse_target, redact

__all__ = [
    "ByteStore",
    "StoreSpec",
    "Transaction",
    "open_store",
    "consolidate_metadata",
    "check_key",
    "check_prefix",
    "check_node_path",
    "parse_target",
    "redact",
]
