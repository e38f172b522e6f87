"""§3 inputs beyond .npy and GeoTIFF: per-tile Zarr arrays (zarr-python writes them), callables,
CSV/JSONL manifests; and the build's progress bar showing MB and MB/s."""

from __future__ import annotations

import io
import json
import os
import re
from functools import partial

import numpy as np
import pytest

from tests.geo.conftest import BUILD_ARGS, scheme, store_digest
from tests.geo.tiles import BANDS, MODEL, SOURCE, TILES, tile_geometry, tile_values
from zarrkit.errors import TileError
from zarrkit.geo.build import build


def _store(root, time="2024"):
    return store_digest(os.path.join(root, f"{time}.zarr"))


def _write_zarr_tiles(directory):
    """The four tiles as Zarr, three ways: proj:/spatial: on the array (y, x, band), CF
    grid_mapping with band first, and a group holding ``data`` with the keys on the group."""
    import zarr
    from pyproj import CRS

    paths = []
    for name in TILES:
        crs, t, _, _ = tile_geometry(name)
        v = tile_values(name)
        path = os.path.join(directory, f"{name}.zarr")
        if name in ("N1", "N2"):
            a = zarr.create_array(path, shape=v.shape, chunks=(64, 64, BANDS), dtype="f4", dimension_names=["y", "x", "band"])
            a[...] = v
            a.attrs.update({"proj:code": crs, "spatial:transform": t})
        elif name == "S1":
            g = zarr.open_group(path, mode="w")
            a = g.create_array("emb", shape=(BANDS, *v.shape[:2]), chunks=(BANDS, 50, 50), dtype="f4",
                               dimension_names=["band", "y", "x"])
            a[...] = np.moveaxis(v, -1, 0)
            a.attrs["grid_mapping"] = "spatial_ref"
            ref = g.create_array("spatial_ref", shape=(), dtype="i4")
            ref.attrs.update({"crs_wkt": CRS(crs).to_wkt(), "GeoTransform": f"{t[2]} {t[0]} 0 {t[5]} 0 {t[4]}"})
        else:
            g = zarr.open_group(path, mode="w", attributes={"proj:code": crs, "spatial:transform": t})
            g.create_array("data", shape=v.shape, chunks=v.shape, dtype="f4")[...] = v
        paths.append(path)
    return paths


def test_zarr_tiles_give_the_same_store(built, tmp_path):
    paths = _write_zarr_tiles(str(tmp_path / "tiles"))
    out = str(tmp_path / "from-zarr")
    build([str(tmp_path / "tiles")], out, scheme=scheme(), **BUILD_ARGS)  # a folder of .zarr tiles
    assert _store(out) == _store(built)
    # rewriting a tile changes its identity: only its shards run again
    import zarr

    a = zarr.open_array(paths[list(TILES).index("N2")], mode="r+")
    a[0, 0, 1] = 0.5
    again = build(paths, out, scheme=scheme(), **BUILD_ARGS)
    assert 0 < again.ran < sum(s.total for s in again.summaries)


def test_a_zarr_tile_without_georeferencing_is_refused(tmp_path):
    import zarr

    path = str(tmp_path / "bare.zarr")
    zarr.create_array(path, shape=(8, 8, BANDS), chunks=(8, 8, BANDS), dtype="f4")[...] = 1
    with pytest.raises(TileError, match="bare.zarr: no CRS"):
        build([path], str(tmp_path / "out"), scheme=scheme(), **BUILD_ARGS)
    assert not os.path.exists(tmp_path / "out")


def _from_npy(path, window):
    r0, r1, c0, c1 = window
    return np.load(path, mmap_mode="r")[r0:r1, c0:c1]


def test_callable_tiles_give_the_same_store(built, tile_dir, tmp_path):
    from zarrkit.geo.tile_adapters import callable_tile

    tiles = []
    for name in TILES:
        crs, t, _, _ = tile_geometry(name)
        tiles.append(callable_tile(partial(_from_npy, os.path.join(tile_dir, f"{name}.npy")), id=name, crs=crs,
                                   transform=t, shape=(150, 150), bands=BANDS, dtype="float32", identity="v1"))
    out = str(tmp_path / "from-callable")
    build(tiles, out, scheme=scheme(), executor="threads", workers=2, **BUILD_ARGS)
    assert _store(out) == _store(built)

    crs, t, _, _ = tile_geometry("E1")
    with pytest.raises(TileError, match=r"callable:bad: window rows 0:1, cols 0:1 gave shape \(1, 1, 3\)"):
        callable_tile(lambda w: np.zeros((1, 1, 3), "f4"), id="bad", crs=crs, transform=t, shape=(150, 150),
                      bands=BANDS, dtype="float32", identity="v1")
    with pytest.raises(TileError, match="needs an identity"):
        callable_tile(partial(_from_npy, "x"), id="anon", crs=crs, transform=t, shape=(1, 1), bands=1, dtype="f4",
                      identity="")


def test_manifests_give_times_and_masks(tile_dir, tmp_path, monkeypatch):
    import zarr

    from zarrkit.cli.main import run

    d = tmp_path / "lists"
    d.mkdir()
    rel = os.path.relpath(tile_dir, d)
    (d / "tiles.csv").write_text("path,time\n" + "".join(f"{rel}/{n}.npy,2024\n" for n in ("N1", "S1", "N2")))
    mask = np.ones((150, 150), "u1")
    mask[:, :75] = 0
    np.save(d / "E1-mask.npy", mask)
    (d / "more.jsonl").write_text(json.dumps({"path": f"{rel}/E1.npy", "time": "2023", "mask": "E1-mask.npy"}) + "\n")
    out = str(tmp_path / "out")
    monkeypatch.setattr("sys.argv", ["zarrkit", "geo", "build", "--out", out, "--res", "100", "--shard", "64",
                                     "--model", MODEL, "--source-data", SOURCE[0], "--no-progress",
                                     "--manifest", str(d / "tiles.csv"), "--manifest", str(d / "more.jsonl")])
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code in (0, None)
    # the manifest's time wins over the sidecar's ("2024"): E1 went to its own store
    assert sorted(n for n in os.listdir(out) if n.endswith(".zarr")) == ["2023.zarr", "2024.zarr"]
    g24, g23 = (zarr.open_group(os.path.join(out, f"{t}.zarr"), mode="r") for t in ("2024", "2023"))
    assert set(g24.group_keys()) == {"utm31"} and set(g23.group_keys()) == {"utm32"}
    row, col = scheme().zone(32).offset(*tile_geometry("E1")[:2])
    scales = g23["utm32/scales"][row:row + 150, col:col + 150]
    assert np.isnan(scales[:, :75]).all() and np.isfinite(scales[:, 75:]).all()


@pytest.mark.parametrize("text, words", [
    ("time\n2024\n", "row 1 has no 'path'"),
    ("path,time\nmissing.npy,2024\n", "row 1: no such tile"),
    ("path,time\n", "lists no tiles"),
])
def test_a_bad_manifest_names_file_and_row(tmp_path, text, words):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(TileError, match=words) as info:
        build([str(bad)], str(tmp_path / "out"), scheme=scheme(), **BUILD_ARGS)
    assert "bad.csv" in str(info.value) and not os.path.exists(tmp_path / "out")


def test_build_progress_bar_shows_megabytes_per_second(tile_dir, tmp_path, monkeypatch):
    from rich.console import Console

    from zarrkit import progress

    buf = io.StringIO()
    monkeypatch.setattr(progress, "Console", lambda: Console(file=buf, force_terminal=True, width=160))
    out = str(tmp_path / "bar")
    with progress.enabled():
        result = build([os.path.join(tile_dir, "*.npy")], out, scheme=scheme(), **{**BUILD_ARGS, "progress": True})
    shown = [(float(mb), float(rate)) for mb, rate in re.findall(r"(\d+\.\d) MB (\d+\.\d) MB/s", buf.getvalue())]
    assert shown, buf.getvalue()[-500:]
    total = sum(s.bytes for s in result.summaries)
    assert total > 0 and all(mb <= total / 1e6 + 0.05 for mb, _ in shown)
    assert "2024/data" in buf.getvalue()
