"""zarrkit: convention-correct, cloud-native Zarr v3 for science.

Example:
    >>> import zarrkit
    >>> store = zarrkit.open_store("memory://", mode="w")
    >>> store.kind
    'memory'
"""

from importlib.metadata import PackageNotFoundError, version

from zarrkit.errors import ZarrkitError
from zarrkit.storage import open_store

try:
    __version__ = version("zarrkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__", "open_store", "ZarrkitError"]
