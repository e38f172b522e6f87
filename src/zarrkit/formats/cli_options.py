"""Storage options shared by every command that takes a store URL.

They live here, under the formats platform, rather than in ``zarrkit.cli`` because the
domains' own sub-commands (``zarrkit image convert``) take them too, and a domain may not
import the command line above it (the layer contract in pyproject.toml).

Each command declares the four parameters with the aliases below and turns them into
``open_store(options=...)`` with :func:`storage_options`, so ``--endpoint-url``,
``--region``, ``--anonymous`` and ``-o key=value`` mean the same everywhere.  ``-o`` takes
the normalised keys of :data:`zarrkit.storage.url.OPTION_KEYS`; a value is read as JSON when
it parses (``-o max_retries=2``, ``-o path_style=false``) and as a string otherwise.

Example:
    >>> storage_options(endpoint_url="http://127.0.0.1:9000", option=["max_retries=2", "region=eu-west-1"])
    {'max_retries': 2, 'region': 'eu-west-1', 'endpoint_url': 'http://127.0.0.1:9000'}
    >>> storage_options() is None
    True
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from zarrkit.errors import InvalidOptionError
from zarrkit.storage.url import OPTION_KEYS

_PANEL = "Storage (remote URLs)"

EndpointUrl = Annotated[Optional[str], typer.Option(
    "--endpoint-url", metavar="URL", rich_help_panel=_PANEL,
    help="S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL, else AWS).")]
Region = Annotated[Optional[str], typer.Option(
    "--region", metavar="NAME", rich_help_panel=_PANEL,
    help="Bucket region (default: AWS_REGION / AWS_DEFAULT_REGION).")]
Anonymous = Annotated[bool, typer.Option(
    "--anonymous", rich_help_panel=_PANEL, help="Send unsigned requests (public buckets), no credentials.")]
Option = Annotated[Optional[list[str]], typer.Option(
    "-o", "--option", metavar="KEY=VALUE", rich_help_panel=_PANEL,
    help=f"A storage option, repeatable; keys: {', '.join(OPTION_KEYS)}.")]


def parse_option(text: str) -> tuple[str, Any]:
    """One ``KEY=VALUE`` pair; the value is JSON when it parses, else the string itself.

    Example:
        >>> parse_option("timeout=2.5"), parse_option("region=eu-west-1"), parse_option("anonymous=true")
        (('timeout', 2.5), ('region', 'eu-west-1'), ('anonymous', True))
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidOptionError(f"-o takes KEY=VALUE, not {text!r}")
    if key not in OPTION_KEYS:
        raise InvalidOptionError(f"unknown -o key {key!r}; valid keys: {', '.join(OPTION_KEYS)}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def storage_options(*, endpoint_url: str | None = None, region: str | None = None, anonymous: bool = False,
                    option: list[str] | None = None) -> dict[str, Any] | None:
    """The ``options`` dict for ``open_store`` from a command's storage flags (``None`` if none given).

    A flag and an ``-o`` of the same key must agree.

    Example:
        >>> storage_options(anonymous=True)
        {'anonymous': True}
    """
    opts = dict(parse_option(text) for text in option or ())
    for key, value in (("endpoint_url", endpoint_url), ("region", region), ("anonymous", anonymous or None)):
        if value is None:
            continue
        if key in opts and opts[key] != value:
            raise InvalidOptionError(f"--{key.replace('_', '-')} and -o {key}= disagree")
        opts[key] = value
    return opts or None


def number_list(text: str | None, flag: str, kind: type = float) -> tuple | None:
    """A comma-separated flag value as numbers (``None`` stays ``None``); anything else is a
    one-line :class:`~zarrkit.errors.InvalidOptionError` naming the flag.

    Example:
        >>> number_list("3.0,0,3.1,0.1", "--bbox")
        (3.0, 0.0, 3.1, 0.1)
        >>> number_list("1,x", "--ids", int)
        Traceback (most recent call last):
        ...
        zarrkit.errors.InvalidOptionError: --ids must be numbers separated by commas, got '1,x'
    """
    if text is None:
        return None
    try:
        return tuple(kind(v) for v in text.split(","))
    except ValueError:
        raise InvalidOptionError(f"{flag} must be numbers separated by commas, got {text!r}") from None
