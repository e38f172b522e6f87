"""``zarrkit demo``: build the sample stores into one folder and show them.

Each domain adds its part here.  The core part is a small v3 group with two arrays on the
same (y, x) grid, so xarray opens it as one Dataset: a chunked float field and a sharded
label image, written through ``zarr_store()`` so that
what lands on disk is exactly what zarr-python reads.
"""

from __future__ import annotations

import os

import numpy as np
from rich.console import Console
from rich.markup import escape

from zarrkit.cli.info import render_tree
from zarrkit.core.tree import describe_tree
from zarrkit.errors import ContainsDataError
from zarrkit.storage import consolidate_metadata, open_store

DEFAULT_DIR = "zarrkit-demo"


def sample_field(n: int = 256) -> np.ndarray:
    """A smooth, deterministic float32 field (two Gaussian bumps on a gradient)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
    bumps = np.exp(-((x - 0.3) ** 2 + (y - 0.4) ** 2) / 0.01) + 0.5 * np.exp(-((x - 0.7) ** 2 + (y - 0.6) ** 2) / 0.02)
    return (10.0 + 5.0 * x + 20.0 * bumps).astype(np.float32)


def write_core_sample(url: str, *, overwrite: bool = False) -> str:
    """Write the core sample group to ``url``; returns the store's display URL."""
    import zarr
    from zarr.codecs import BloscCodec, ZstdCodec

    field_data = sample_field()
    labels = (field_data > 20).astype(np.uint8) + (field_data > 25).astype(np.uint8)
    with open_store(url, mode="w", overwrite=overwrite) as store:
        group = zarr.create_group(store.zarr_store(), attributes={"title": "zarrkit core sample"})
        temp = group.create_array(
            "temperature", shape=field_data.shape, dtype="float32", chunks=(64, 64),
            compressors=ZstdCodec(level=3), dimension_names=("y", "x"),
            attributes={"units": "degC", "long_name": "synthetic temperature"},
        )
        temp[:] = field_data
        lab = group.create_array(
            "labels", shape=labels.shape, dtype="uint8", chunks=(32, 32), shards=(128, 128),
            compressors=BloscCodec(cname="zstd", clevel=5), dimension_names=("y", "x"),
            attributes={"flag_values": [0, 1, 2], "flag_meanings": "background warm hot"},
        )
        lab[:] = labels
        consolidate_metadata(store)
        return store.url


def run_demo(directory: str | None, overwrite: bool, console: Console) -> str:
    """Build every sample under ``directory`` and print what was written."""
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
    console.print(f"Look again with: zarrkit info {escape(target)}", soft_wrap=True)
    return directory
