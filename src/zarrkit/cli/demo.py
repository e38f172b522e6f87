"""``zarrkit demo``: build the sample stores into one folder and show them.

The core sample is written here; every registered format then writes its own demo into
``<DIR>/<format>/`` through its plug-in's ``demo`` hook.  The core part is a small v3 group with two arrays on the
same (y, x) grid, so xarray opens it as one Dataset: a chunked float field and a sharded
label image, written through :mod:`zarrkit.core` (zarr-python and xarray read it back in
the tests).
"""

from __future__ import annotations

import os

import numpy as np
from rich.console import Console
from rich.markup import escape

from zarrkit import core
from zarrkit.cli.info import render_tree
from zarrkit.core.tree import describe_tree
from zarrkit.errors import ContainsDataError
from zarrkit.storage import open_store

DEFAULT_DIR = "zarrkit-demo"


def sample_field(n: int = 256) -> np.ndarray:
    """A smooth, deterministic float32 field (two Gaussian bumps on a gradient)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    bumps = np.exp(-((x - 0.3) ** 2 + (y - 0.4) ** 2) / 0.01) + 0.5 * np.exp(-((x - 0.7) ** 2 + (y - 0.6) ** 2) / 0.02)
    return (10.0 + 5.0 * x + 20.0 * bumps).astype(np.float32)


def write_core_sample(url: str, *, overwrite: bool = False) -> str:
    """Write the core sample group to ``url`` through zarrkit's core API; returns the store's URL."""
    field_data = sample_field()
    labels = (field_data > 20).astype(np.uint8) + (field_data > 25).astype(np.uint8)
    with open_store(url, mode="w", overwrite=overwrite) as store:
        core.create_group(store, "", attributes={"title": "zarrkit core sample"})
        temp = core.create_array(store, "temperature", core.array_metadata(
            field_data.shape, "float32", (64, 64),
            compressors=[{"name": "zstd", "configuration": {"level": 3, "checksum": False}}],
            dimension_names=("y", "x"), attributes={"units": "degC", "long_name": "synthetic temperature"},
        ))
        core.write_region(store, "temperature", ..., field_data, metadata=temp)
        lab = core.create_array(store, "labels", core.array_metadata(
            labels.shape, "uint8", (32, 32), shards=(128, 128),
            compressors=[{"name": "blosc", "configuration": {"cname": "zstd", "clevel": 5}}],
            dimension_names=("y", "x"),
            attributes={"flag_values": [0, 1, 2], "flag_meanings": "background warm hot"},
        ))
        core.write_region(store, "labels", ..., labels, metadata=lab)
        core.consolidate(store)
        return store.url


def run_demo(directory: str | None, overwrite: bool, console: Console, formats: list[str] | None = None) -> bool:
    """Build the core sample and every registered format's demo (or only ``formats``) under
    ``directory``; returns whether every check of every demo passed.  An unknown format
    name raises ``UnknownFormatError`` before anything is written."""
    from zarrkit.formats import registry

    chosen = [registry.get(name) for name in formats] if formats else registry.formats()
    directory = os.path.abspath(directory or DEFAULT_DIR)
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "core.zarr")
    try:
        url = write_core_sample(target, overwrite=overwrite)
    except ContainsDataError as err:
        raise ContainsDataError(f"{err.detail}; rerun with --overwrite to rebuild the demo", url=err.url) from err
    with open_store(target) as store:
        console.print(render_tree(describe_tree(store)))
    console.print(f"\nWrote the core sample to [bold]{escape(url)}[/bold]", soft_wrap=True)
    ok = True
    for fmt in chosen:
        console.print(f"\n[bold]{escape(fmt.name)}[/bold]: {escape(fmt.description)}", soft_wrap=True)
        result = fmt.demo(os.path.join(directory, fmt.name), overwrite=overwrite, console=console)
        if result is None:
            continue
        if result.skipped:
            console.print(f"  skipped: {escape(result.skipped)}", soft_wrap=True)
            continue
        ok &= result.ok
    console.print(f"\nLook again with: zarrkit info {escape(target)}", soft_wrap=True)
    return ok
