"""``zarrkit vectors``: import, export, info, query, pyramid, check and demo over vector stores.

Errors are zarrkit errors, which the ``zarrkit`` command prints as one line (exit code 1).

Example:
    >>> from typer.testing import CliRunner
    >>> out = CliRunner().invoke(app, ["--help"]).output
    >>> all(c in out for c in ("import", "export", "pyramid", "query"))
    True
"""

from __future__ import annotations

import os

import typer

from zarrkit.errors import VectorInputError
from zarrkit.formats.cli_options import number_list

app = typer.Typer(help="Vector geometry in the zarr-vectors 0.9 layout.", no_args_is_help=True)


def _box(lo: str | None, hi: str | None):
    if (lo is None) != (hi is None):
        raise VectorInputError("give both --lo and --hi, or neither")
    return None if lo is None else (number_list(lo, "--lo"), number_list(hi, "--hi"))


def _table_bounds(src: str, axes: list[str]):
    """Bounds of a table's coordinate columns, from one streamed pass over those columns only."""
    import numpy as np

    from zarrkit.vectors.io import _batches, _column

    lo, hi = np.full(len(axes), np.inf), np.full(len(axes), -np.inf)
    batches, _ = _batches(src, 1 << 26)
    for batch in batches:
        # the store keeps float32: bounds of the rounded values, so every stored vertex is inside
        xyz = np.stack([_column(batch, a, src).astype(np.float32) for a in axes], axis=1).astype(np.float64)
        if len(xyz):
            lo, hi = np.minimum(lo, xyz.min(0)), np.maximum(hi, xyz.max(0))
    if not np.all(np.isfinite(lo)):
        raise VectorInputError(f"{src}: no rows to import")
    return lo.tolist(), hi.tolist()


def _round_edge(edge: float) -> float:
    """The next 1, 2, 2.5 or 5 × 10^k at or above ``edge``, so chunk edges read well."""
    import math

    if edge <= 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(edge))
    return next(base * m for m in (1, 2, 2.5, 5, 10) if base * m >= edge * (1 - 1e-12))


@app.command("import")
def import_(src: str, url: str,
            chunk: float = typer.Option(None, help="chunk edge in world units, when creating (default: extent/4)"),
            lo: str = typer.Option(None, help="bounds low corner when creating (default: the data's)"),
            hi: str = typer.Option(None, help="bounds high corner when creating (default: the data's)"),
            x: str = "x", y: str = "y", z: str = "z",
            id: str = typer.Option(None, "--id", help="object-id column of a point table"),
            attributes: str = typer.Option(None, help="columns to keep, comma-separated (default: all others)"),
            expand: bool = typer.Option(False, help="grow the bounds for vertices outside them"),
            overwrite: bool = False) -> None:
    """Import a CSV / Parquet point table or a PLY mesh into URL (created if missing, else appended)."""
    import numpy as np

    import zarrkit.vectors as vx
    from zarrkit.errors import NodeNotFoundError, StoreNotFoundError
    from zarrkit.vectors import io

    is_ply = src.lower().endswith(".ply")
    if not os.path.exists(src):
        raise VectorInputError(f"{src}: no such file")
    ply = None
    if is_ply:
        ply = io._need("plyfile").PlyData.read(src)
        kind = "mesh" if "face" in ply and ply["face"].count else "points"
    else:
        kind = "points"
    try:
        if overwrite:
            raise NodeNotFoundError("replace", url=url, path="")
        store = vx.open(url, "r+")
    except (NodeNotFoundError, StoreNotFoundError):
        axes = [a for a in (x, y, z) if a]
        if lo is not None or hi is not None:
            bounds = _box(lo, hi)
        elif ply is not None:
            v = np.stack([np.asarray(ply["vertex"][a], np.float32) for a in "xyz"], axis=1).astype(np.float64)
            bounds = (v.min(0).tolist(), v.max(0).tolist())
        else:
            bounds = _table_bounds(src, axes)
        edge = chunk or _round_edge(max(h - low for low, h in zip(*bounds)) / 4)
        store = vx.create(url, kind, bounds=bounds, chunk_shape=(edge,) * len(bounds[0]), overwrite=overwrite,
                          ids=True if id else None)
    policy = "expand" if expand else "raise"
    if is_ply and kind == "mesh":
        r = io.mesh_from_ply(store, src, on_out_of_bounds=policy)
    elif is_ply:
        r = io.points_from_ply(store, src, on_out_of_bounds=policy)
    else:  # streamed, with a progress bar (the zarrkit command switches progress on)
        r = io.points_from_table(store, src, x=x, y=y, z=z or None, id=id, on_out_of_bounds=policy,
                                 attributes=None if attributes is None else attributes.split(","))
    typer.echo(f"imported {r.vertices} vertices" + (f" and {r.records} faces" if r.records else "")
               + f" into {url} ({store.kind})")


@app.command()
def export(url: str, dst: str, lo: str = typer.Option(None, help="box low corner, comma-separated"),
           hi: str = typer.Option(None, help="box high corner, comma-separated"),
           ids: str = typer.Option(None, help="object ids, comma-separated"), level: int = 0) -> None:
    """Export points to CSV / Parquet, or a mesh to binary PLY, optionally by box and ids."""
    import zarrkit.vectors as vx
    from zarrkit.vectors import io

    store = vx.open(url)
    box, wanted = _box(lo, hi), (list(number_list(ids, "--ids", int)) if ids is not None else None)
    if dst.lower().endswith(".ply"):
        if store.kind != "mesh":
            raise VectorInputError(f"PLY export is for meshes; this store holds {store.kind} (use .csv or .parquet)")
        n = io.mesh_to_ply(store, dst, ids=wanted, box=box, level=level)
        typer.echo(f"wrote {n} faces to {dst}")
        return
    n = io.points_to_table(store, dst, box=box, ids=wanted, level=level)
    typer.echo(f"wrote {n} rows to {dst}")


@app.command()
def info(url: str) -> None:
    """Print kind, grid, levels and attributes of a store (never writes)."""
    import zarrkit.vectors as vx

    for line in vx.info(url).lines():
        typer.echo(line)


@app.command()
def query(url: str, lo: str = typer.Option(..., help="box low corner, comma-separated"),
          hi: str = typer.Option(..., help="box high corner, comma-separated"), level: int = 0) -> None:
    """Count the points (or vertices) inside an inclusive box."""
    import zarrkit.vectors as vx

    box = _box(lo, hi)
    got = vx.open(url).read_points(box=box, level=level, attributes=False)
    typer.echo(f"{len(got.xyz)} vertices in {box}")


@app.command()
def pyramid(url: str, levels: int = typer.Option(None, help="coarse levels to build (default: until <= 65,536)"),
            factor: int = 2, method: str = "auto", keep: int = 1, sparsity: float = 1.0, seed: int = 0,
            replace: bool = typer.Option(False, help="rebuild existing levels"),
            resume: bool = typer.Option(False, help="finish an interrupted build")) -> None:
    """Build levels of detail of real vertices (points, polylines, graphs, meshes)."""
    import zarrkit.vectors as vx

    if replace and resume:
        raise VectorInputError("--replace and --resume exclude each other")
    store = vx.open(url, "r+")
    built = store.build_pyramid(levels=levels, factor=factor, method=method, keep=keep, sparsity=sparsity, seed=seed,
                                on_existing="replace" if replace else "resume" if resume else "raise")
    counts = ", ".join(f"level {k}: {store.level_info(k).vertex_count}" for k in built)
    typer.echo(f"built {len(built)} levels" + (f" ({counts})" if built else " (level 0 is already small enough)"))


@app.command()
def check(url: str, repair: bool = typer.Option(False, help="rebuild nonempty_chunks and counts first")) -> None:
    """Run the vectors validate checks (zarr_vectors' own validator where installed)."""
    from zarrkit.validate import validate

    if repair:
        import zarrkit.vectors as vx
        from zarrkit.vectors.repair import repair as repair_store

        fixes = repair_store(vx.open(url, "r+"))
        for fix in fixes:
            typer.echo(f"fixed {fix.what}")
        typer.echo(f"repair: {len(fixes)} fixes")
    report = validate(url)
    failed = False
    for c in report.checks:
        typer.echo(f"{c.status:5} {c.name}: {c.detail}")
        failed |= c.status == "fail"
    raise typer.Exit(1 if failed else 0)


@app.command()
def demo(directory: str = typer.Argument("zarrkit-demo/vectors"), overwrite: bool = False) -> None:
    """Write the synthesised demo stores into DIRECTORY (default: ./zarrkit-demo/vectors)."""
    from zarrkit.vectors.demo import write_demo

    result = write_demo(directory, overwrite=overwrite, console=None)
    raise typer.Exit(0 if result.ok else 1)
