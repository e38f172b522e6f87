"""``zarrkit hcs …``: plate summary, demo, TIFF import, checks, finalize, repair and pack."""

from __future__ import annotations

from typing import Optional

import typer

from zarrkit.formats.cli_options import number_list

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
         overwrite: bool = typer.Option(False, "--overwrite", help="Replace the plate from an earlier run."),
         tiff: bool = typer.Option(False, "--tiff", help="Write the planes as TIFF files in DIR/tiff and import them.")
         ) -> None:
    """Synthesise a 2x3-well plate (2 fields, 2 channels, 3 z, 256² uint16), finalize,
    validate and summarise it; exit 1 if a check fails."""
    import os

    from rich.console import Console

    from zarrkit.hcs.demo import write_demo

    directory = os.path.abspath(directory or os.path.join("zarrkit-demo", "hcs"))
    result = write_demo(directory, overwrite=overwrite, console=Console(), tiff=tiff)
    raise typer.Exit(0 if result.ok else 1)


@app.command("import")
def import_(
    src: str = typer.Argument(..., help="The folder of TIFF files (one plane per file)."),
    dest: str = typer.Argument(..., help="The plate to write (path or URL)."),
    plate: int = typer.Option(96, "--plate", help="Wells of the plate: 6, 12, 24, 48, 96, 384 or 1536."),
    name: str = typer.Option("plate", "--name", help="The plate's name."),
    pattern: str = typer.Option("{well}_s{field}_w{channel}_z{z}.tif", "--pattern",
                                help="File names: {well} (or {row}{col}), {field}, {channel}, {z}, {t}; 1-based."),
    regex: bool = typer.Option(False, "--regex", help="PATTERN is a regular expression with those named groups."),
    pixel_size: str = typer.Option("0.65", "--pixel-size", help="Pixel size in µm: 'S' or 'Y,X'."),
    z_step: Optional[float] = typer.Option(None, "--z-step", help="z spacing in µm."),
    time_step: Optional[float] = typer.Option(None, "--time-step", help="t spacing in seconds."),
    channels: Optional[str] = typer.Option(None, "--channels", help="Channel labels in order, e.g. DAPI:0000FF,GFP."),
    layout: str = typer.Option("sharded", "--layout", help="sharded, plane or well."),
    compression: str = typer.Option("zstd:3", "--compression", help="zstd, blosc-lz4, lz4, zlib (CODEC:LEVEL) or none."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Wells encoded at once (processes when > 1)."),
    resume: bool = typer.Option(False, "--resume", help="Add to an existing plate, skipping its published wells."),
    strict: bool = typer.Option(False, "--strict", help="A file matching no pattern is an error, not skipped."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Missing planes are stored as zeros."),
) -> None:
    """Build a plate from TIFF planes named by a pattern (A01_s1_w2_z03.tif: well A/1, field 0, c=1, z=2)."""
    from zarrkit import progress
    from zarrkit.hcs.geometry import PlateSpec
    from zarrkit.hcs.tiff_import import import_tiffs

    sizes = number_list(pixel_size, "--pixel-size")
    executor = None if workers is None else "serial" if workers <= 1 else "processes"
    with progress.enabled(None):
        report = import_tiffs(src, dest, plate=PlateSpec.preset(plate, name=name), pattern=pattern, regex=regex,
                              channels=[c for c in (channels or "").split(",") if c],
                              pixel_size=sizes * 2 if len(sizes) == 1 else sizes, z_step=z_step, time_step=time_step,
                              layout=layout, compression=compression, executor=executor, workers=workers,
                              resume=resume, strict=strict, allow_missing=allow_missing)
    typer.echo(f"imported {report.files} files into {len(report.wells)} wells of {report.url} "
               f"({report.image.axes} {report.image.dtype}); skipped {len(report.skipped)} published wells")
    if report.unmatched:
        more = f" and {len(report.unmatched) - 10} more" if len(report.unmatched) > 10 else ""
        typer.echo(f"skipped {len(report.unmatched)} files matching no pattern: {', '.join(report.unmatched[:10])}{more}")
    if report.missing:
        typer.echo(f"filled {len(report.missing)} missing planes with 0")


@app.command()
def pack(src: str = typer.Argument(..., help="The finalized plate (path or URL)."),
         dest: str = typer.Argument(..., help="The zip to write (.zip or .ozx)."),
         overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing DEST.")) -> None:
    """Pack a finalized plate into one zip (zip is pack-only: wells are never written into one)."""
    from zarrkit.hcs.pack import pack_plate

    typer.echo(f"packed {src} into {pack_plate(src, dest, overwrite=overwrite)}")
