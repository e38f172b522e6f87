"""``zarrkit hcs …``: plate summary, demo, checks, finalize and repair."""

from __future__ import annotations

import typer

app = typer.Typer(help="High-content-screening plates (OME-Zarr 0.5).", no_args_is_help=True)


@app.command()
def info(url: str = typer.Argument(..., help="The plate (path or URL).")) -> None:
    """Print the plate summary: geometry, listed/unlisted/incomplete wells, image, layout."""
    from zarrkit.hcs.summary import plate_summary, summary_lines
    from zarrkit.storage import open_store

    with open_store(url) as store:
        for line in summary_lines(plate_summary(store)):
            typer.echo(line)


@app.command()
def check(url: str = typer.Argument(..., help="The plate (path or URL)."),
          strict: bool = typer.Option(False, "--strict", help="Fail on warnings too.")) -> None:
    """Run zarrkit validate on the plate and show its hcs findings; exit 1 on a failure."""
    from zarrkit.validate import validate

    report = validate(url)
    for c in report.checks:
        where = f" [{c.node}]" if c.node else ""
        typer.echo(f"{c.status:4}  {c.name}{where}: {c.detail}")
    typer.echo(report.summary())
    raise typer.Exit(0 if (report.strict_passed() if strict else report.passed) else 1)


@app.command()
def finalize(url: str = typer.Argument(..., help="The plate (path or URL).")) -> None:
    """List every committed well in the plate, set field counts, sweep staging, consolidate."""
    from zarrkit.hcs import PlateWriter

    with PlateWriter.open(url) as writer:
        report = writer.finalize()
    typer.echo(f"listed {len(report.wells)} wells; incomplete: {report.incomplete or 'none'}; "
               f"removed staging: {len(report.removed_staging)}")


@app.command()
def repair(url: str = typer.Argument(..., help="The plate (path or URL)."),
           drop_incomplete: bool = typer.Option(False, "--drop-incomplete",
                                                help="Also delete wells left 'writing' by a crashed writer.")) -> None:
    """Remove what crashed writers left (staging folders; with --drop-incomplete, 'writing'
    wells), then finalize."""
    from zarrkit import core
    from zarrkit.hcs import PlateWriter
    from zarrkit.hcs.listing import scan_wells

    with PlateWriter.open(url) as writer:
        removed = writer.publisher.sweep()
        if drop_incomplete:
            for path in scan_wells(writer.store).incomplete:
                core.delete_node(writer.store, path, missing_ok=True)
                removed.append(path)
        report = writer.finalize()
    typer.echo(f"removed {len(removed)} leftovers; listed {len(report.wells)} wells")


@app.command()
def demo(directory: str = typer.Argument(None, help="Where to write (default: ./zarrkit-demo/hcs)."),
         overwrite: bool = typer.Option(False, "--overwrite", help="Replace the plate from an earlier run.")) -> None:
    """Synthesise a 2x3-well plate (2 fields, 2 channels, 3 z, 256² uint16), finalize,
    validate and summarise it; exit 1 if a check fails."""
    import os

    from rich.console import Console

    from zarrkit.hcs.demo import write_demo

    directory = os.path.abspath(directory or os.path.join("zarrkit-demo", "hcs"))
    result = write_demo(directory, overwrite=overwrite, console=Console())
    raise typer.Exit(0 if result.ok else 1)
