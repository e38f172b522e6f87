"""``zarrkit image …``: FITS to an image archive and back, and the image demo."""

from __future__ import annotations

import re

import typer

from zarrkit.formats.cli_options import Anonymous, EndpointUrl, Option, Region, storage_options

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fz")

app = typer.Typer(help="Astronomical image archives (FITS in and out).", no_args_is_help=True)


def _size(text: str) -> int:
    m = re.fullmatch(r"(\d+)\s*([KMG]i?B?)?", text.strip(), re.IGNORECASE)
    if not m:
        raise typer.BadParameter(f"not a size: {text!r} (say 16MiB)")
    unit = (m.group(2) or "").upper()[:1]
    return int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[unit]


def _astropy_warnings_to_cli() -> None:
    """astropy reroutes warnings through its logger ("WARNING: ..." over several lines) when
    it loads; hand them back to the command's one-line printer."""
    from astropy import log

    try:
        log.disable_warnings_logging()
    except Exception:  # already disabled, or someone else owns warnings.showwarning
        pass


@app.command()
def convert(
    source: str = typer.Argument(..., help="A FITS file, or an archive URL when OUTPUT is .fits."),
    output: str = typer.Argument(..., help="The archive URL (.zarr, .zarr.zip, .ozx, s3://…) or a .fits path."),
    layout: str = typer.Option("auto", help="FITS layout: auto, single, sci_err_dq, masked_image."),
    extver: int = typer.Option(None, help="EXTVER of the SCI/ERR/DQ set (default: the lowest)."),
    err: str = typer.Option("std", help="ERR holds: std, var or ivar."),
    no_pyramid: bool = typer.Option(False, "--no-pyramid", help="Write no pyramid levels."),
    chunks: int = typer.Option(None, help="Chunk side in pixels (default 256)."),
    shard_bytes: str = typer.Option("16MiB", help="Shard budget."),
    profile: str = typer.Option("default", help="default (blosc, shards) or compat (zstd, no shards)."),
    ome: str = typer.Option("0.5", help="OME-Zarr version to write."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    anonymous: Anonymous = False,
    option: Option = None,
) -> None:
    """FITS → Zarr when SOURCE is FITS; Zarr → FITS when OUTPUT ends in .fits.

    The storage options apply to the archive side (OUTPUT, or SOURCE when it is the archive).
    """
    from zarrkit import image

    opts = storage_options(endpoint_url=endpoint_url, region=region, anonymous=anonymous, option=option)
    _astropy_warnings_to_cli()
    src_fits = source.lower().endswith(FITS_SUFFIXES)
    out_fits = output.lower().endswith(FITS_SUFFIXES)
    if src_fits and not out_fits:
        arch = image.from_fits(source, layout=layout, extver=extver, err=err)
        url = image.write(arch, output, overwrite=overwrite, chunks=chunks, shard_bytes=_size(shard_bytes),
                          pyramid=not no_pyramid, profile=profile, ome=ome, storage_options=opts)
        typer.echo(f"wrote {url} ({arch.kind}, {arch.image.shape[-2]}x{arch.image.shape[-1]})")
    elif out_fits and not src_fits:
        archive = image.read(source, storage_options=opts) if opts else source
        image.to_fits(archive, output, overwrite=overwrite, layout=None if layout == "auto" else layout)
        typer.echo(f"wrote {output}")
    else:
        typer.echo("error: one side must be a FITS file (.fits, .fit, .fts, .fits.gz, .fz) "
                   "and the other a Zarr archive", err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    directory: str = typer.Argument(None, help="Where to write (default: ./zarrkit-demo/image)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace archives from an earlier run."),
) -> None:
    """Convert astropy's sample FITS files, show and validate each archive, and check that
    m13.fits comes back byte-identical; exit 1 if any check fails."""
    import os

    from rich.console import Console

    from zarrkit.image.demo import write_samples

    console = Console()
    directory = os.path.abspath(directory or os.path.join("zarrkit-demo", "image"))
    result = write_samples(directory, overwrite=overwrite, console=console, show_info=True)
    if result.skipped:
        console.print(f"image demo skipped: {result.skipped}", soft_wrap=True, markup=False)
    if not result.written:
        raise typer.Exit(1)
    console.print(f"{len(result.written)} archives under {directory}: "
                  + ("every check passed" if result.ok else "[red]a check failed[/red]"), soft_wrap=True)
    raise typer.Exit(0 if result.ok else 1)
