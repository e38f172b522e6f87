"""The plug-in object a format hands the platform (compare xarray's ``BackendEntrypoint``).

A format subclasses :class:`Format`, sets ``name`` (the value of ``zarrkit.format`` in its
root marker) and overrides the hooks it has.  Every hook has a harmless default, so a new
format can start with a name and grow.  Hooks import their domain lazily: loading the
plug-in object itself must stay cheap, since the CLI loads every registered one to build
its sub-commands.

Example:
    >>> class Toy(Format):
    ...     name = "toy"
    ...     description = "a format for the docs"
    >>> Toy().claims({"zarrkit": {"format": "toy", "version": "1.0"}}), Toy().claims({})
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping

from zarrkit.conventions.marker import KEY

__all__ = ["DemoResult", "Format"]


@dataclass
class DemoResult:
    """What a format's demo wrote and whether every one of its own checks passed."""

    written: list[str] = field(default_factory=list)
    ok: bool = True
    skipped: str = ""  # why nothing was written (a missing extra, say); empty when it ran


class Format:
    """Base class of a format plug-in; subclass it and register the subclass."""

    #: the ``zarrkit.format`` value of the stores this format writes
    name: ClassVar[str] = ""
    #: one line for ``zarrkit --help`` and the docs
    description: ClassVar[str] = ""
    #: the highest major version of the format this release reads
    reads_major: ClassVar[int] = 1
    #: the pip extra that installs what the hooks need
    extra: ClassVar[str] = ""
    #: generic validate checks that do not apply to this format's stores, each with the
    #: reason; validate reports them as not checked (the format's own checks cover them)
    replaces_checks: ClassVar[Mapping[str, str]] = {}

    def claims(self, attributes: Mapping[str, Any]) -> bool:
        """Whether a root group with these attributes is one of this format's stores.

        The default reads the root marker only; a format that also recognises stores other
        tools wrote (by the conventions they declare) overrides this.
        """
        marker = attributes.get(KEY) if isinstance(attributes, Mapping) else None
        return isinstance(marker, Mapping) and marker.get("format") == self.name

    def checks(self, context: Any) -> Iterable[Any]:
        """The format's validate checks: ``zarrkit.validate.Check`` objects for the store
        described by ``context`` (a ``zarrkit.validate.CheckContext``)."""
        return ()

    def summary(self, store: Any, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        """A JSON-ready summary for ``zarrkit info`` (``None``: nothing beyond the tree)."""
        return None

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        """The summary as plain text lines for the terminal."""
        return [f"{key}: {value}" for key, value in summary.items()]

    def cli(self) -> Any:
        """The format's ``typer.Typer`` sub-app (``zarrkit <name> …``), or ``None``."""
        return None

    def demo(self, directory: str, *, overwrite: bool, console: Any) -> DemoResult | None:
        """Write the format's sample stores under ``directory`` (no downloads); ``None``
        when the format has no demo."""
        return None

    def __repr__(self) -> str:
        return f"<format {self.name!r}>"
