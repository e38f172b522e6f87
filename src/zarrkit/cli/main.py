"""Entry point of the ``zarrkit`` command.

Errors from zarrkit are printed as one line naming the store and the problem, with exit
code 1 (``zarrkit --debug …`` adds the traceback); anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

import zarrkit
from zarrkit.errors import ZarrkitError

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
) -> None:
    """Show the node tree of a store: groups, arrays, shapes, chunks, shards, codecs, sizes."""
    from zarrkit.cli.info import run_info

    run_info(url, as_json, console)


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
    deep: bool = typer.Option(False, "--deep", help="Also decode every stored chunk of every array."),
) -> None:
    """Check the conventions a store claims against the real readers; exit 1 on failure.

    One line per check (status, check, node and key, detail), then a closing summary line.
    """
    import json as _json

    from zarrkit.validate import validate as run_validate

    report = run_validate(url, deep=deep)
    ok = report.strict_passed() if strict else report.passed
    if as_json:
        console.print_json(_json.dumps({**report.to_dict(), "strict": strict, "exit_code": 0 if ok else 1}))
    else:
        console.print(f"{escape(report.url)}: {', '.join(report.conventions) or 'no conventions claimed'}", soft_wrap=True)
        for c in report.checks:
            colour = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}[c.status]
            where = f" [{c.node or '/'}{' ' + c.key if c.key else ''}]" if c.node is not None or c.key else ""
            console.print(f"  [{colour}]{c.status:4}[/{colour}] {escape(c.name)}{escape(where)}: {escape(c.detail)}",
                          soft_wrap=True, highlight=False)
        console.print(report.summary() + (" (strict: warnings fail)" if strict and report.passed and not ok else ""),
                      highlight=False)
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
_CLI_WORDS = {"pass overwrite=True": "add --overwrite", "overwrite=True": "--overwrite"}


def cli_message(err: ZarrkitError) -> str:
    """The one line printed for ``err``: its class, then its message in the CLI's words.

    Example:
        >>> from zarrkit.errors import ArchiveExistsError
        >>> cli_message(ArchiveExistsError("out.zarr already holds data; pass overwrite=True to replace it"))
        'ArchiveExistsError: out.zarr already holds data; add --overwrite to replace it'
    """
    text = str(err)
    for library, cli in _CLI_WORDS.items():
        text = text.replace(library, cli)
    return f"{type(err).__name__}: {text}"


def run() -> None:
    """Console-script entry: map zarrkit errors to a one-line message and exit code 1."""
    try:
        app()
    except ZarrkitError as err:
        if _Flags.debug:
            err_console.print_exception()
        err_console.print(f"[red]error:[/red] {escape(cli_message(err))}",
                          highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    run()
