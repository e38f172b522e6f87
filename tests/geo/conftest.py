"""Shared geo fixtures: the §11 tiles and one clean build of them (module-scoped, read only)."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.geo.tiles import MODEL, SOURCE, write_tiles

pytest.importorskip("rasterio")
pytest.importorskip("pyproj")

BUILD_ARGS = dict(time="2024", shard=64, model=MODEL, source_data=SOURCE, progress=False)


def scheme():
    from zarrkit.geo.grid import utm_zones

    return utm_zones(res=100)


def store_digest(path: str) -> dict[str, str]:
    """Every object of a store (name → sha256), without the atomic-write scratch files."""
    out = {}
    for dirpath, _, files in os.walk(path):
        for f in files:
            if f.startswith(".zarrkit-tmp"):
                continue
            full = os.path.join(dirpath, f)
            out[os.path.relpath(full, path)] = hashlib.sha256(open(full, "rb").read()).hexdigest()
    return out


@pytest.fixture(scope="session")
def tile_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("geo-tiles")
    write_tiles(str(d))
    return str(d)


@pytest.fixture(scope="session")
def built(tile_dir, tmp_path_factory):
    """A clean serial build of all four tiles: the reference every other build must equal."""
    from zarrkit.geo.build import build

    out = str(tmp_path_factory.mktemp("geo-built"))
    build([os.path.join(tile_dir, "*.npy")], out, scheme=scheme(), **BUILD_ARGS)
    return out
