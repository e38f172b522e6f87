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
    ctx: typer.Context,
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="On an error, print the traceback too."),
    no_progress: bool = typer.Option(
        False, "--no-progress", help="Draw no progress bars (they are never drawn when stdout is not a terminal)."
    ),
) -> None:
    """zarrkit: convention-correct, cloud-native Zarr v3 for science."""
    from zarrkit import progress

    _Flags.debug = debug
    # the library is silent by default; the command line shows progress on long steps, and
    # puts the setting back when the command ends (a command run in-process, as tests do)
    previous = progress.enable(not no_progress)
    ctx.call_on_close(lambda: progress.enable(previous))
    # icechunk warns on every open of a local repository that it takes one committer at a
    # time: noise on a command line.  Library users keep it, as does anyone who sets ICECHUNK_LOG.
    os.environ.setdefault("ICECHUNK_LOG", "icechunk=error")


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
    formats: Optional[list[str]] = typer.Option(
        None, "--format", "-f", help="Only this format's demo (repeatable; default: every registered format)."),
) -> None:
    """Write the sample stores (embedded sample data, no download) and show them."""
    from zarrkit.cli.demo import run_demo

    if not run_demo(directory, overwrite, console, formats):
        raise typer.Exit(1)


@app.command()
def validate(
    url: str = typer.Argument(..., help="Store URL or path."),
    strict: bool = typer.Option(False, "--strict", help="Also fail on warnings."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    deep: bool = typer.Option(False, "--deep", help="Also decode every stored chunk of every array."),
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    anonymous: Anonymous = False,
    option: Option = None,
) -> None:
    """Check the conventions a store claims against the real readers; exit 1 on failure.

    One line per check (status, check, node and key, detail), then a closing summary line.
    """
    import json as _json

    from zarrkit.validate import validate as run_validate

    report = run_validate(url, deep=deep, storage_options=storage_options(
        endpoint_url=endpoint_url, region=region, anonymous=anonymous, option=option))
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


def _bench_args(**options: object) -> list[str]:
    """The benchmark's own argv from the typer options: unset ones keep the benchmark's
    default, and the bars follow the global ``--no-progress``.

    Example:
        >>> _bench_args(size=512, reps=None)[:2], _bench_args(mask_codecs="zstd:2")[:2]
        (['--size', '512'], ['--mask-codecs', 'zstd:2'])
    """
    from zarrkit import progress

    argv: list[str] = []
    for name, value in options.items():
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv if progress.is_enabled() else [*argv, "--no-progress"]


# Help texts escape "[" as "\[": typer renders help as rich markup, which would eat
# "[zarrs,bench]" as a style tag.
@bench_app.command("core")
def bench_core(
    size: Optional[int] = typer.Option(None, help="Image side N, a multiple of 512; bounds every workload (default 16384)."),
    reps: Optional[int] = typer.Option(None, help="Timed reps per pass, two passes (default 3)."),
    workloads: Optional[str] = typer.Option(None, help="Comma-separated, e.g. a-read,c-point (default all)."),
    libs: Optional[str] = typer.Option(None, help="Comma-separated libraries (default every installed one)."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where the temporary scratch folder goes; it is removed afterwards."),
    scale: Optional[str] = typer.Option(
        None, help="Instead: throughput and peak memory of both backends at these sizes, e.g. 4096,8192,16384."),
) -> None:
    """Core engine against zarr-python and tensorstore: bulk, sharded, point and chunk-loop workloads.

    Needs the anchors: pip install 'zarrkit\\[zarrs,bench]'.
    """
    from zarrkit.bench.core import main as bench_main

    raise typer.Exit(bench_main(_bench_args(size=size, reps=reps, workloads=workloads, libs=libs, dir=dir, scale=scale)))


@bench_app.command("image")
def bench_image(
    size: Optional[int] = typer.Option(None, help="Image side N (default 4096, the spec's)."),
    reps: Optional[int] = typer.Option(None, help="Timed runs per operation, after one warm-up (default 5)."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where the temporary scratch folder goes; it is removed afterwards."),
    mask_codecs: Optional[str] = typer.Option(
        None, help="Also time blosc options on the mask alone: cname:clevel[:shuffle],... or 'default'."),
) -> None:
    """Image archives against astropy FITS and xarray.to_zarr.

    Needs the image extra: pip install 'zarrkit\\[image]'.
    """
    from zarrkit.bench.image import main as bench_main

    raise typer.Exit(bench_main(_bench_args(size=size, reps=reps, dir=dir, mask_codecs=mask_codecs)))


@bench_app.command("hcs")
def bench_hcs(
    wells: Optional[int] = typer.Option(None, help="Wells written, at most 96 (default 96, the spec's)."),
    side: Optional[int] = typer.Option(None, help="Plane side (default 512, the spec's)."),
    reps: Optional[int] = typer.Option(None, help="Runs of every measurement (default 3)."),
    planes: Optional[int] = typer.Option(None, help="Random planes read per run (default 500)."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where the temporary scratch folder goes; it is removed afterwards."),
) -> None:
    """HCS plates: zarrkit's sharded layout against one chunk per well (ome-zarr-py) and plane chunks (zarr-python).

    Needs ome-zarr-py: pip install 'zarrkit\\[all,test]'.
    """
    from zarrkit.bench.hcs import main as bench_main

    raise typer.Exit(bench_main(_bench_args(wells=wells, side=side, reps=reps, planes=planes, dir=dir)))


@bench_app.command("vectors")
def bench_vectors(
    points: Optional[int] = typer.Option(None, help="Points (default 1,000,000, the spec's)."),
    reps: Optional[int] = typer.Option(None, help="Timed runs per operation, after one warm-up (default 5)."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where the temporary scratch folder goes; it is removed afterwards."),
) -> None:
    """zarrkit.vectors against zarr_vectors 0.9.2 (points: writes, boxes, full reads, pyramid, ids).

    Needs the anchor: pip install zarr-vectors==0.9.2.
    """
    from zarrkit.bench.vectors import main as bench_main

    raise typer.Exit(bench_main(_bench_args(points=points, reps=reps, dir=dir)))


@bench_app.command("geo")
def bench_geo(
    tiles: Optional[int] = typer.Option(None, help="Tiles, four across (default 8)."),
    tile: Optional[int] = typer.Option(None, help="Tile side in pixels (default 256)."),
    bands: Optional[int] = typer.Option(None, help="Bands per tile (default 64)."),
    reps: Optional[int] = typer.Option(None, help="Timed runs per operation, after one warm-up (default 3)."),
    region_side: Optional[int] = typer.Option(None, "--region-side", help="Region read window side (default 4096)."),
    rss_width: Optional[int] = typer.Option(None, "--rss-width", help="Wide-zone width for peak RSS, 0 skips (default 400000)."),
    s3_side: Optional[int] = typer.Option(None, "--s3-side", help="Loopback S3 region window side, 0 skips (default 1024)."),
    quick: bool = typer.Option(False, "--quick", help="A smoke run of every row at small sizes."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where the temporary scratch folder goes; it is removed afterwards."),
) -> None:
    """zarrkit.geo builds and reads against a zarr-python build of the anchor's approach.

    Needs the geo extra: pip install 'zarrkit\\[geo]'.
    """
    from zarrkit.bench.geo import main as bench_main

    argv = _bench_args(tiles=tiles, tile=tile, bands=bands, reps=reps, dir=dir)
    argv += [*(["--region-side", str(region_side)] if region_side is not None else []),
             *(["--rss-width", str(rss_width)] if rss_width is not None else []),
             *(["--s3-side", str(s3_side)] if s3_side is not None else []), *(["--quick"] if quick else [])]
    raise typer.Exit(bench_main(argv))


@bench_app.command("storage")
def bench_storage(
    objects: Optional[int] = typer.Option(None, help="Objects per batch (default 256)."),
    size: Optional[int] = typer.Option(None, help="Bytes per object, a multiple of 256 (default 65536)."),
    runs: Optional[int] = typer.Option(None, help="Timed runs per operation (default 5)."),
    small_local: bool = typer.Option(False, "--small-local",
                                     help="CPU per object of set_many of 1 and 16 KiB objects into a local folder."),
    dir: Optional[str] = typer.Option(None, "--dir", help="Where --small-local makes its folders."),
) -> None:
    """Byte stores (local, S3 via obstore and fsspec, on a loopback server) against zarr-python's stores.

    Needs the remote and test extras: pip install 'zarrkit\\[remote,test]'.
    """
    from zarrkit.bench.storage import main as bench_main

    argv = _bench_args(objects=objects, size=size, runs=runs, dir=dir)
    raise typer.Exit(bench_main([*argv, "--small-local"] if small_local else argv))


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
    """Console-script entry: map zarrkit errors to a one-line message and the exit code their
    class declares (``ZarrkitError.exit_code``: 1 unless a subclass says otherwise)."""
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
        sys.exit(getattr(err, "exit_code", 1))
    else:  # typer normally ends with SystemExit; a command returning is the same success
        _Warnings.flush()


if __name__ == "__main__":  # pragma: no cover
    run()
