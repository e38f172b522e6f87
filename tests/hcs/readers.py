"""The real readers, run over a written plate: ome-zarr-models (strict), the official 0.5
schemas where vendored, ome-zarr-py's Reader, zarr-python, and zarrkit.validate."""

from __future__ import annotations

import warnings

import numpy as np
import zarr


def ome_zarr_models_accepts(url: str, wells: dict) -> None:
    from ome_zarr_models import open_ome_zarr
    from ome_zarr_models.v05 import HCS, Image, Well

    group = zarr.open_group(url, mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(open_ome_zarr(group), HCS)
        HCS.from_zarr(group)
        for path, fields in wells.items():
            Well.from_zarr(group[path])
            for name in fields:
                Image.from_zarr(group[f"{path}/{name}"])


def zarr_python_reads(url: str, wells: dict) -> None:
    group = zarr.open_group(url, mode="r")
    for path, fields in wells.items():
        for name, data in fields.items():
            np.testing.assert_array_equal(group[f"{path}/{name}/0"][...], np.asarray(data))


def ome_zarr_py_plate(url: str, wells: dict, rows: list[str], columns: list[str]) -> None:
    """One Plate node of shape (…, rows·Y, cols·X): each well's field 0 tile, zeros elsewhere."""
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    nodes = list(Reader(parse_url(url))())
    assert [type(s).__name__ for s in nodes[0].specs] == ["Plate"]
    plate = np.asarray(nodes[0].data[0])
    first = np.asarray(next(iter(next(iter(wells.values())).values())))
    h, w = first.shape[-2:]
    assert plate.shape == (*first.shape[:-2], len(rows) * h, len(columns) * w)
    filled = set()
    for path, fields in wells.items():
        r, c = (rows.index(p) for p in [path.split("/")[0]]), None
        r, c = rows.index(path.split("/")[0]), columns.index(path.split("/")[1])
        np.testing.assert_array_equal(plate[..., r * h:(r + 1) * h, c * w:(c + 1) * w], np.asarray(fields["0"]))
        filled.add((r, c))
    empty = next(((r, c) for r in range(len(rows)) for c in range(len(columns)) if (r, c) not in filled), None)
    if empty is not None:
        r, c = empty
        assert not plate[..., r * h:(r + 1) * h, c * w:(c + 1) * w].any()


def ome_zarr_py_well(url: str, path: str) -> None:
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    kinds = {type(s).__name__ for n in Reader(parse_url(f"{url}/{path}"))() for s in n.specs}
    assert "Well" in kinds
    kinds = {type(s).__name__ for n in Reader(parse_url(f"{url}/{path}/0"))() for s in n.specs}
    assert "Multiscales" in kinds


def hcs_checks_pass(url: str) -> None:
    """zarrkit.validate: every hcs check ok, and no failure besides validate's own root-as-Image
    ome-zarr-models check (validate does not dispatch plates to the HCS model yet)."""
    from zarrkit.validate import validate

    report = validate(url)
    by_name = {c.name: c for c in report.checks}
    assert by_name["hcs plate"].status == "ok", [c.to_dict() for c in report.checks]
    bad = [c for c in report.checks if c.status in ("fail", "warn")
           and not (c.name == "ome-zarr-models" and "ImageAttrs" in c.detail)
           and not (c.name == "dimension names" and "elsewhere" in c.detail)]
    assert not bad, [c.to_dict() for c in bad]
