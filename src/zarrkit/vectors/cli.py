"""``zarrkit vectors``: info, query, check and demo over vector stores.

Example:
    >>> from typer.testing import CliRunner
    >>> "query" in CliRunner().invoke(app, ["--help"]).output
    True
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Vector geometry in the zarr-vectors 0.9 layout.", no_args_is_help=True)


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

    box = (tuple(float(v) for v in lo.split(",")), tuple(float(v) for v in hi.split(",")))
    got = vx.open(url).read_points(box=box, level=level, attributes=False)
    typer.echo(f"{len(got.xyz)} vertices in {box}")


@app.command()
def check(url: str) -> None:
    """Run the vectors validate checks (zarr_vectors' own validator where installed)."""
    from zarrkit.validate import validate

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
