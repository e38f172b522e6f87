"""Which icechunk repository format is on disk, and which one the installed icechunk reads.

icechunk 1.x reads and writes repository format 1 only.  icechunk 2.x reads and writes
format 1 *and* format 2: it keeps an existing format-1 repository in format 1 when it
commits to it, and creates format 2 unless asked otherwise.  So a repository created by
icechunk 2 cannot be opened by an icechunk 1 reader; this module turns that refusal (and
the misleading "clean prefix" refusal 1.x gives when asked to create or open-or-create on
top of one) into a :class:`~zarrkit.errors.RepositoryFormatError` naming the format and the
fix, before anything is written.

Moving a repository from format 1 to format 2 is a one-off, offline operation of icechunk
2's own (``icechunk.upgrade_icechunk_repository``); :func:`upgrade_repository` wraps it for
a zarrkit URL, dry run by default.

Example:
    >>> installed_major() in (1, 2)
    True
    >>> format_named_in("this repository uses Icechunk v2 format, please upgrade the icechunk library")
    2
    >>> format_named_in("repositories can only be created in clean prefixes") is None
    True
"""

from __future__ import annotations

import re
from typing import Any

from zarrkit.errors import InvalidOptionError, RepositoryFormatError

_FORMAT_IN_MESSAGE = re.compile(r"uses Icechunk v(\d+) format", re.IGNORECASE)


def _icechunk():
    from zarrkit.storage.icechunkstore import _icechunk as load

    return load()


def looks_like_repository(store) -> bool:
    """Whether a plain store holds an icechunk repository (so ``icechunk+`` should open it).

    Format 1 keeps ``refs/`` (and, once configured, ``config.yaml``) at its root; format 2
    keeps one ``repo`` object there.  Needs no icechunk.

    Example:
        >>> from zarrkit.storage import open_store
        >>> s = open_store("memory://looks-doc", mode="w")
        >>> s.set("repo", b"...")
        >>> looks_like_repository(s)
        True
    """
    if store.exists("config.yaml") or store.exists("repo"):
        return True
    return bool(store.supports_listing and store.list_dir("refs/"))


def installed_major() -> int:
    """The major version of the installed icechunk (1 or 2)."""
    return int(_icechunk().__version__.split(".", 1)[0])


def readable_formats() -> tuple[int, ...]:
    """The repository formats the installed icechunk opens: ``(1,)`` on 1.x, ``(1, 2)`` on 2.x."""
    ic = _icechunk()
    supported = getattr(ic, "supported_spec_versions", None)  # icechunk 2 only
    if supported is None:
        return (1,)
    return tuple(sorted(int(v) for v in supported()))


def repository_format(repo) -> int:
    """The format of an open ``icechunk.Repository`` (always 1 under icechunk 1.x).

    Example:
        >>> from zarrkit.storage import open_store
        >>> repo = open_store("icechunk+memory://format-doc", mode="w").repo
        >>> repository_format(repo) == max(readable_formats())  # new repositories: the newest format
        True
    """
    version = getattr(repo, "spec_version", None)  # icechunk 2: SpecVersion.v1 / .v2
    if version is None:
        return 1
    return int(version)


def format_named_in(text: str) -> int | None:
    """The repository format an icechunk refusal names ("uses Icechunk v2 format"), else ``None``."""
    match = _FORMAT_IN_MESSAGE.search(text)
    return int(match.group(1)) if match else None


def format_error(found: int, *, url: str) -> RepositoryFormatError:
    """The error for a repository in a format the installed icechunk cannot open."""
    version = _icechunk().__version__
    return RepositoryFormatError(
        f"this icechunk repository is in format {found} (written by icechunk {found}.x); the installed "
        f"icechunk {version} opens format {' and '.join(map(str, readable_formats()))} only. Install icechunk "
        f"{found}.x to use it (pip install \"icechunk>={found},<{found + 1}\"; icechunk 2 needs Python 3.12 or "
        "newer). The repository was not changed.",
        url=url,
        op="open",
    )


def explain_open_failure(ic, storage, err: BaseException, *, url: str) -> RepositoryFormatError | None:
    """A format error if ``err`` came from a repository the installed icechunk cannot open.

    icechunk 1.x names the format on ``Repository.open``, but its ``create`` and
    ``open_or_create`` only say the prefix is not clean; for those a read-only ``open`` on the
    same storage asks again.  Nothing is written either way.
    """
    found = format_named_in(str(err))
    if found is None and "clean prefix" in str(err):
        try:
            ic.Repository.open(storage)
        except Exception as probe:  # the open that tells which format it is
            found = format_named_in(str(probe))
    return format_error(found, url=url) if found is not None else None


def create_arguments(requested: Any) -> dict[str, Any]:
    """``Repository.create`` keywords for a requested format (``None``: the installed default).

    icechunk 2 creates format 2 by default; ``1`` keeps a new repository readable by
    icechunk 1.x users.  icechunk 1.x writes format 1 only.
    """
    if requested is None:
        return {}
    try:
        wanted = int(requested)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"icechunk repository format must be 1 or 2, not {requested!r}") from None
    if wanted not in readable_formats():
        raise InvalidOptionError(
            f"the installed icechunk {_icechunk().__version__} creates format "
            f"{' or '.join(map(str, readable_formats()))} repositories, not format {wanted}"
        )
    return {"spec_version": wanted} if installed_major() >= 2 else {}


def open_or_create_arguments(requested: Any) -> dict[str, Any]:
    """The same for ``Repository.open_or_create``, whose icechunk 2 keyword is ``create_version``."""
    chosen = create_arguments(requested)
    return {"create_version": chosen["spec_version"]} if chosen else {}


def upgrade_repository(url: str, *, dry_run: bool = True, options: dict | None = None) -> int:
    """Move an icechunk repository from format 1 to format 2; returns its format afterwards.

    Needs icechunk 2.  Run it once, with no other reader or writer on the repository: icechunk
    rewrites the repository's references and (by default) deletes the format-1 files it no
    longer needs, after which icechunk 1.x can no longer open it.  ``dry_run=True`` (the
    default) only checks that the upgrade would succeed.

    Example:
        >>> upgrade_repository("icechunk+file:///data/run1", dry_run=False)  # doctest: +SKIP
        2
    """
    from zarrkit.storage.open import open_store

    store = open_store(url, mode="r", options=options)
    if repository_format(store.repo) >= 2:
        return repository_format(store.repo)
    ic = _icechunk()
    upgrade = getattr(ic, "upgrade_icechunk_repository", None)
    if upgrade is None:
        raise RepositoryFormatError(
            f"upgrading to format 2 needs icechunk 2 (installed: {ic.__version__}); on Python 3.12 or newer: "
            'pip install "icechunk>=2,<2.4"',
            url=store.url,
            op="upgrade",
        )
    upgraded = upgrade(store.repo, dry_run=dry_run)
    return repository_format(upgraded)
