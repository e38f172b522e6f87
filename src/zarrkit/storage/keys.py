"""Key safety: every key and prefix is checked before any I/O touches a store.

A key is a ``/``-separated path relative to the store root.  Rejected before any request:
the empty key (``""`` is valid only as a prefix), a leading ``/``, ``.`` or ``..``
components, empty components (``a//b``), backslashes, NUL and every other control
character.  The local store adds a realpath check on top (a symlink leading out of the
root is an escape too).

Example:
    >>> check_key("a/c/0/1")
    'a/c/0/1'
    >>> check_prefix("a/")
    'a/'
    >>> check_key("../etc/passwd")
    Traceback (most recent call last):
    ...
    zarrkit.errors.InvalidKeyError: '../etc/passwd': '..' component escapes the store root
"""

from __future__ import annotations

import re

from zarrkit.errors import InvalidKeyError

# Control characters: C0, DEL and C1.  NUL is the dangerous one, the rest are never
# legitimate in a Zarr key and make error messages unreadable.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _problem(key: str) -> str | None:
    if not isinstance(key, str):
        return f"keys are str, not {type(key).__name__}"
    if key == "":
        return "empty key"
    if key.startswith("/"):
        return "absolute key (leading '/')"
    if "\\" in key:
        return "backslash in key"
    if _CONTROL.search(key):
        return "control character in key"
    for part in key.split("/"):
        if part == "":
            return "empty path component"
        if part == "..":
            return "'..' component escapes the store root"
        if part == ".":
            return "'.' component"
    return None


def check_key(key: str, *, url: str | None = None) -> str:
    """Return ``key`` unchanged if it is a safe object key, else raise :class:`InvalidKeyError`.

    Example:
        >>> check_key("zarr.json")
        'zarr.json'
    """
    problem = _problem(key)
    if problem is not None:
        raise InvalidKeyError(problem, url=url, key=key if isinstance(key, str) else repr(key))
    return key


def check_prefix(prefix: str, *, url: str | None = None) -> str:
    """Return ``prefix`` if it is ``""`` or a safe key followed by ``/``; else raise.

    Example:
        >>> check_prefix("")
        ''
        >>> check_prefix("group/array/")
        'group/array/'
    """
    if prefix == "":
        return prefix
    if not isinstance(prefix, str) or not prefix.endswith("/"):
        raise InvalidKeyError("a prefix is '' or ends with '/'", url=url, key=str(prefix))
    check_key(prefix[:-1], url=url)
    return prefix


def check_node_path(path: str, *, url: str | None = None) -> str:
    """Normalise a node path (``""`` is the root) and check it like a key.

    Surrounding slashes are tolerated because users write ``"/group/array"``; anything
    else that would be refused as a key is refused here too.

    Example:
        >>> check_node_path("/group/array/")
        'group/array'
    """
    stripped = path.strip("/") if isinstance(path, str) else path
    if stripped == "":
        return ""
    check_key(stripped, url=url)
    return stripped
