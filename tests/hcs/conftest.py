"""Shared helpers for the hcs tests: small plates written to temp folders."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.hcs.spaces import KINDS, make_where
from zarrkit.hcs import ImageSpec, PlateSpec, PlateWriter


def field_data(seed: int, shape=(2, 3, 32, 32), dtype="uint16") -> np.ndarray:
    """Deterministic, distinct data per seed (so a mixed-up well shows)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4000, shape).astype(dtype)


def tree(path: str) -> list[str]:
    """Every file and folder under ``path`` and its siblings ``.staging``/``.files``, relative."""
    out = []
    base = os.path.dirname(path)
    for dirpath, dirs, files in os.walk(base):
        for name in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, name), base))
    return sorted(out)


@pytest.fixture
def plate_url(tmp_path):
    return str(tmp_path / "plate.ome.zarr")


@pytest.fixture
def small_plate(plate_url):
    """A finalized 96-well plate with 3 wells x 2 fields, czyx uint16 (2 ch, 3 z, 32²)."""
    w = PlateWriter.create(plate_url, PlateSpec.preset(96, name="screen-01"),
                           ImageSpec("czyx", channels=["DAPI:0000FF", "GFP:00FF00"], z_step=2.0))
    data = {}
    for i, well in enumerate(["B/3", "A/1", "H/12"]):
        data[well] = {"0": field_data(2 * i), "1": field_data(2 * i + 1)}
        w.write_well(well, data[well])
    w.finalize()
    w.close()
    return plate_url, data


@pytest.fixture(params=KINDS)
def where(request, tmp_path):
    """A corner of each store kind in turn (local folder, memory store, loopback S3 bucket)."""
    w = make_where(request.param, request, tmp_path)
    yield w
    if w.kind == "memory":
        from zarrkit.storage.memory import forget

        forget(w.bucket)
