"""``zarrkit geo …``: build, preview, pyramid, stac, read, demo.

Exit codes (each error class's ``exit_code``, read by ``run()`` in ``zarrkit.cli.main``): 0
done, 2 a configuration or data error (a ``GeoError``), 75 a retryable failure (I/O, a lost
worker), 130 interrupted, 1 any other zarrkit error.
"""

from __future__ import annotations

import sys
from typing import Callable, List, Optional

import typer

from zarrkit.formats.cli_options import number_list

app = typer.Typer(help="Geospatial tile mosaics: zone stores, previews, a global pyramid, STAC, reads.",
                  no_args_is_help=True)

_EXECUTOR = typer.Option("serial", "--executor", help="serial, threads, processes or dask.")
_WORKERS = typer.Option(None, "--workers", help="Tasks at once (default: cores, bounded by --memory).")
_MEMORY = typer.Option("4GiB", "--memory", help="Memory budget for all tasks at once.")
_SCHEDULER = typer.Option(None, "--scheduler", help="Dask scheduler address (else ZARRKIT_SCHEDULER, Dask's config).")
_FORCE = typer.Option(False, "--force", help="Ignore receipts: rebuild every task.")
_NO_PROGRESS = typer.Option(False, "--no-progress", help="No progress bars.")


def as_zarrkit_error(err: BaseException) -> BaseException:
    """The error ``zarrkit``'s ``run()`` should see: transient failures (I/O, a lost Dask
    worker) and interrupts become geo errors whose ``exit_code`` says so (75, 130); other
    errors pass unchanged (a ``GeoError`` exits 2, any other zarrkit error 1).

    Example:
        >>> from zarrkit.errors import TileError
        >>> [as_zarrkit_error(e).exit_code for e in (TileError("x"), OSError("disk"), KeyboardInterrupt())]
        [2, 75, 130]
    """
    from zarrkit.errors import GeoError, GeoInterruptedError, GeoRetryableError, StoreIOError, ZarrkitError

    if isinstance(err, KeyboardInterrupt):
        return GeoInterruptedError("interrupted: receipts written so far are kept; rerun to resume")
    transient = isinstance(err, StoreIOError) or type(err).__name__ == "KilledWorker" or (
        isinstance(err, OSError) and not isinstance(err, ZarrkitError))
    if transient and not isinstance(err, GeoError):
        return GeoRetryableError(f"{type(err).__name__}: {err} (transient; rerun to resume)")
    return err


def _run(body: Callable[[], None], no_progress: bool = False) -> None:
    from zarrkit import progress

    if no_progress:
        progress.enable(False)
    try:
        body()
    except (Exception, KeyboardInterrupt) as err:
        mapped = as_zarrkit_error(err)
        if mapped is err:
            raise
        raise mapped from err  # run() in zarrkit.cli.main prints it and exits with its exit_code


def _scheme(scheme: str, grid: Optional[str], res: float):
    import json

    from zarrkit.geo.grid import Grid, grids, utm_zones

    if grid:
        return grids([Grid.from_json(g) for g in json.load(open(grid))])
    if scheme != "utm":
        raise typer.BadParameter(f"--scheme: only 'utm' (or --grid FILE), got {scheme!r}")
    return utm_zones(res=res)


@app.command()
def build(
    tiles: List[str] = typer.Argument(None, help="Tiles (.npy + .json sidecar, .tif, .zarr), globs or folders."),  # noqa: B008
    out: str = typer.Option(..., "--out", help="The build root: {time}.zarr stores, stac/, _zarrkit/."),
    scheme: str = typer.Option("utm", "--scheme"), grid: Optional[str] = typer.Option(None, "--grid"),
    res: float = typer.Option(10.0, "--res", help="Resolution of the UTM grids (m)."),
    time: Optional[str] = typer.Option(None, "--time"),
    manifest: List[str] = typer.Option([], "--manifest", help="A CSV (path,time[,mask]) or JSONL list of tiles."),  # noqa: B008
    kind: str = typer.Option("embeddings", "--kind", help="embeddings (int8 + scales) or raster (source dtype)."),
    resample: Optional[str] = typer.Option(None, "--resample", help="nearest or average: warp tiles that are off "
                                           "the grid's lattice (else they are refused)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="point (embeddings default), region (raster default) "
                                          "or visual."), shard: Optional[int] = typer.Option(None, "--shard"),
    chunk: Optional[int] = typer.Option(None, "--chunk"), model: Optional[str] = typer.Option(None, "--model"),
    model_version: Optional[str] = typer.Option(None, "--model-version"),
    source_data: List[str] = typer.Option([], "--source-data"),  # noqa: B008
    zones: List[str] = typer.Option([], "--zones"),  # noqa: B008
    task_range: Optional[str] = typer.Option(None, "--task-range", help="i:j, a slice of the task list."),
    dry_run: bool = typer.Option(False, "--dry-run"), preview: bool = typer.Option(False, "--preview"),
    content_hash: bool = typer.Option(False, "--content-hash"),
    executor: str = _EXECUTOR, workers: Optional[int] = _WORKERS, memory: str = _MEMORY,
    scheduler: Optional[str] = _SCHEDULER, force: bool = _FORCE, no_progress: bool = _NO_PROGRESS,
) -> None:
    """Tiles → sharded zone stores; resumable (rerun after a kill), --force rebuilds."""
    def body() -> None:
        from zarrkit.errors import TileError
        from zarrkit.geo.build import build as run_build

        rng = tuple(int(v) for v in task_range.split(":")) if task_range else None
        for m in manifest:
            if not m.lower().endswith((".csv", ".jsonl")):
                raise TileError(f"--manifest {m}: expected a .csv or .jsonl file")
        if not (tiles or manifest):
            raise TileError("no tiles: give TILES… or --manifest FILE")
        result = run_build([*(tiles or []), *manifest], out, time=time, scheme=_scheme(scheme, grid, res), kind=kind,
                           profile=profile, shard=shard, chunk=chunk, model=model, model_version=model_version,
                           source_data=source_data, resample=resample,
                           executor=executor, workers=workers, memory=memory, scheduler=scheduler, force=force,
                           zones=zones or None, task_range=rng, dry_run=dry_run, content_hash=content_hash,
                           argv=sys.argv)
        for p in result.plans:
            typer.echo(f"{p['time']}/{p['zone']}: {p['tiles']} tiles, {p['tasks']} tasks, "
                       f"peak {p['peak_bytes'] / 2**20:.1f} MiB per task")
        for s in result.summaries:
            typer.echo(f"{s.phase}: {s.total} tasks, {s.skipped} already done, {s.written} written, {s.empty} empty")
        if preview and not dry_run:
            from zarrkit.geo.preview import preview as run_preview
            from zarrkit.geo.stac import write_catalog

            run_preview(out, executor=executor, workers=workers, memory=memory, force=force)
            write_catalog(out)
    _run(body, no_progress)


@app.command()
def preview(
    root: str = typer.Argument(...), time: Optional[str] = typer.Option(None, "--time"),
    bands: Optional[str] = typer.Option(None, "--bands", help="Three bands as R,G,B (default 0,1,2)."),
    percentiles: str = typer.Option("2,98", "--percentiles"),
    restretch: bool = typer.Option(False, "--restretch", help="Sample a new stretch instead of the frozen one."),
    stretch: Optional[str] = typer.Option(None, "--stretch", help="A saved stretch: a JSON file, another root's "
                                          "{time}.zarr or its zarr.json (shares one colour scale across builds)."),
    base_res: float = typer.Option(0.0001, "--base-res"),
    levels: Optional[int] = typer.Option(None, "--levels"),
    zone_levels: Optional[int] = typer.Option(None, "--zone-levels", help="Native-CRS levels per zone "
                                              "({zone}/overviews; default: as the last run, else none; 0 removes)."),
    executor: str = _EXECUTOR, workers: Optional[int] = _WORKERS, memory: str = _MEMORY,
    force: bool = _FORCE, no_progress: bool = _NO_PROGRESS,
) -> None:
    """Zone RGB previews with one global stretch, and the EPSG:4326 pyramid."""
    def body() -> None:
        from zarrkit.errors import GeoError
        from zarrkit.geo.preview import load_stretch
        from zarrkit.geo.preview import preview as run_preview

        chosen = list(number_list(bands, "--bands", int)) if bands else None
        saved = load_stretch(stretch) if stretch else None
        if saved and chosen and chosen != saved["bands"]:
            raise GeoError(f"--bands {bands} differs from the bands {saved['bands']} of --stretch {stretch}")
        run_preview(root, time=time, bands=chosen, percentiles=number_list(percentiles, "--percentiles"),
                    restretch=restretch, stretch=stretch, base_res=base_res, levels=levels, zone_levels=zone_levels,
                    executor=executor, workers=workers, memory=memory, force=force)
    _run(body, no_progress)


@app.command()
def stac(
    root: str = typer.Argument(...), out: Optional[str] = typer.Option(None, "--out"),
    catalog_id: str = typer.Option("zarrkit-geo", "--catalog-id"), base_href: Optional[str] = typer.Option(None, "--base-href"),
    validate: bool = typer.Option(False, "--validate"),
) -> None:
    """A static STAC catalog of the build root (collections per time, items per zone)."""
    def body() -> None:
        from zarrkit.geo.stac import write_catalog

        path = write_catalog(root, out=out, catalog_id=catalog_id, base_href=base_href, validate=validate)
        typer.echo(f"wrote {path}")
    _run(body)


@app.command()
def read(
    root: str = typer.Argument(...), time: str = typer.Option(..., "--time"),
    bbox: Optional[str] = typer.Option(None, "--bbox", help="W,S,E,N"), crs: str = typer.Option("EPSG:4326", "--crs"),
    points: Optional[str] = typer.Option(None, "--points", help="A CSV with lon,lat columns."),
    out: str = typer.Option(..., "--out", help=".npy or .csv"),
) -> None:
    """Dequantised float32 pixels of a bounding box or of points."""
    def body() -> None:
        import numpy as np

        from zarrkit import geo

        box = number_list(bbox, "--bbox")  # a malformed flag is refused before the store is opened
        mosaic = geo.open(root)
        if box:
            arr = mosaic.read_region(box, crs=crs, time=time)
            np.save(out, arr)
            typer.echo(f"wrote {out} {arr.shape}")
        elif points:
            table = np.genfromtxt(points, delimiter=",", names=True)
            vals = mosaic.sample_points(table["lon"], table["lat"], time=time)
            np.savetxt(out, vals, delimiter=",") if out.endswith(".csv") else np.save(out, vals)
            typer.echo(f"wrote {out} {vals.shape}")
        else:
            raise typer.BadParameter("give --bbox or --points")
    _run(body)


@app.command()
def demo(directory: Optional[str] = typer.Argument(None), overwrite: bool = typer.Option(False, "--overwrite")) -> None:
    """Synthetic tiles in two UTM zones → build → preview → STAC; shows the result."""
    from rich.console import Console

    from zarrkit.geo.demo import run_demo

    result = run_demo(directory or "zarrkit-demo/geo", overwrite=overwrite, console=Console())
    raise typer.Exit(0 if result.ok else 1)
