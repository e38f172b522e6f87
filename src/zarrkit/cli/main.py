"""Entry point of the ``zarrkit`` command.

Errors from zarrkit are printed as one line naming the store and the problem, with exit
code 1 (``zarrkit --debug …`` adds the traceback); anything else is a bug and keeps its
traceback.  Warnings are one line each too, and icechunk's per-open warning about local
repositories is quiet unless ``ICECHUNK_LOG`` says otherwise.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

import zarrkit
from zarrkit.errors import ZarrkitError
from zarrkit.formats.cli_options import Anonymous, EndpointUrl, Option, Region, storage_options

app = typer.Typer(
    name="zarrkit",
    help="Write and read scientific data as convention-correct Zarr v3.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"zarrkit {zarrkit.__version__}")
        raise typer.Exit()


class _Flags:
    debug = False  # set by --debug; read by run() when an error reaches it


@app.callback()
def main(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="On an error, print the traceback too."),
) -> None:
    """zarrkit: convention-correct, cloud-native Zarr v3 for science."""
    _Flags.debug = debug


@app.command()
def info(
    url: str = typer.Argument(..., help="Store URL or path (local, memory://, .zip, s3://, icechunk+...)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a tree."),
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    anonymous: Anonymous = False,
    option: Option = None,
) -> None:
    """Show the node tree of a store: groups, arrays, shapes, chunks, shards, codecs, sizes."""
    from zarrkit.cli.info import run_info
    from zarrkit.storage import open_store

    opts = storage_options(endpoint_url=endpoint_url, region=region, anonymous=anonymous, option=option)
    # run_info opens what it is given read-only; an open store passes through as is.
    run_info(open_store(url, mode="r", options=opts) if opts else url, as_json, console)


@app.command()
def demo(
    directory: Optional[str] = typer.Argument(None, help="Where to write (default: ./zarrkit-demo)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier demo in the same folder."),
) -> None:
    """Write the sample stores (embedded sample data, no download) and show them."""
    from zarrkit.cli.demo import run_demo

    if not run_demo(directory, overwrite, console):
        raise typer.Exit(1)


@app.command()
def validate(
    url: str = typer.Argument(..., help="Store URL or path."),
    strict: bool = typer.Option(False, "--strict", help="Also fail on warnings."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    anonymous: Anonymous = False,
    option: Option = None,
) -> None:
    """Check the conventions a store claims against the real readers; exit 1 on failure."""
    import json as _json

    from zarrkit.validate import validate as run_validate

    report = run_validate(url, storage_options=storage_options(
        endpoint_url=endpoint_url, region=region, anonymous=anonymous, option=option))
    if as_json:
        console.print_json(_json.dumps(report.to_dict()))
    else:
        console.print(f"{escape(report.url)}: {', '.join(report.conventions) or 'no conventions claimed'}", soft_wrap=True)
        for c in report.checks:
            colour = {"ok": "green", "warn": "yellow", "fail": "red"}[c.status]
            console.print(f"  [{colour}]{c.status:4}[/{colour}] {escape(c.name)}: {escape(c.detail)}", soft_wrap=True)
    ok = report.strict_passed() if strict else report.passed
    raise typer.Exit(0 if ok else 1)


def _add_format_commands() -> None:
    """Each registered format's sub-app as ``zarrkit <format> …``."""
    from zarrkit.formats import registry

    for fmt in registry.formats():
        sub = fmt.cli()
        if sub is not None:
            app.add_typer(sub, name=fmt.name, help=fmt.description)


_add_format_commands()

bench_app = typer.Typer(help="Benchmarks against zarr-python, tensorstore and the domain anchors.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("core", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_core(ctx: typer.Context) -> None:
    """Core engine: bulk, sharded, point and chunk-loop workloads (options: --size, --reps, ...).

    Needs the anchors: pip install 'zarrkit[zarrs,bench]'.
    """
    from zarrkit.bench.core import main as bench_main

    raise typer.Exit(bench_main(list(ctx.args)))


@bench_app.command("image", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_image(ctx: typer.Context) -> None:
    """Image archives against astropy FITS and xarray.to_zarr (options: --size, --reps, --dir).

    Needs the image extra: pip install 'zarrkit[image]'.
    """
    from zarrkit.bench.image import main as bench_main

    raise typer.Exit(bench_main(list(ctx.args)))


# Library messages name keyword arguments; at the command line the same advice is a flag.
_CLI_WORDS = {
    "pass overwrite=True": "add --overwrite",
    "overwrite=True": "--overwrite",
    "anonymous=True": "--anonymous",
    "pass the access_key_id and secret_access_key options": "pass -o access_key_id=... -o secret_access_key=...",
}


def cli_message(err: ZarrkitError) -> str:
    """The one line printed for ``err``: its class, then its message in the CLI's words.

    Example:
        >>> from zarrkit.errors import ArchiveExistsError
        >>> cli_message(ArchiveExistsError("out.zarr already holds data; pass overwrite=True to replace it"))
        'ArchiveExistsError: out.zarr already holds data; add --overwrite to replace it'
    """
    text = " ".join(str(err).split())  # one line, whatever the client library's message held
    for library, cli in _CLI_WORDS.items():
        text = text.replace(library, cli)
    return f"{type(err).__name__}: {text}"


class _Warnings:
    """Warnings raised during a command, each as one line, printed when the command ends.

    Held back so that a command that fails prints its one error line alone: a warning on
    the way to a failure (astropy's header complaints before "not a FITS file") is noise.
    ``--debug`` prints them with the traceback.
    """

    pending: list[str] = []

    @classmethod
    def show(cls, message, category, filename, lineno, file=None, line=None) -> None:
        """``warnings.showwarning`` for the CLI: category and message, no source line."""
        text = " ".join(str(message).split())
        cls.pending.append(f"warning: {category.__name__}: {text}")

    @classmethod
    def flush(cls) -> None:
        for text in cls.pending:
            print(text, file=sys.stderr)
        cls.pending.clear()


def run() -> None:
    """Console-script entry: map zarrkit errors to a one-line message and exit code 1."""
    # icechunk warns on every open of a local repository that it is single-committer; a user
    # who wants its logs sets ICECHUNK_LOG.  Read when icechunk loads, so set before that.
    os.environ.setdefault("ICECHUNK_LOG", "icechunk=error")
    warnings.showwarning = _Warnings.show
    try:
        app()
    except SystemExit:
        _Warnings.flush()
        raise
    except ZarrkitError as err:
        if _Flags.debug:
            _Warnings.flush()
            err_console.print_exception()
        err_console.print(f"[red]error:[/red] {escape(cli_message(err))}",
                          highlight=False, soft_wrap=True)
        sys.exit(1)
    else:  # typer normally ends with SystemExit; a command returning is the same success
        _Warnings.flush()


if __name__ == "__main__":  # pragma: no cover
    run()
