"""`zarrkit bench hcs` on a tiny plate: every comparison printed, scratch data removed."""

from __future__ import annotations

import os

from typer.testing import CliRunner


def test_bench_hcs_prints_ratios_and_removes_its_scratch(tmp_path):
    from zarrkit.cli.main import app

    out = CliRunner().invoke(app, ["bench", "hcs", "--wells", "2", "--side", "32", "--reps", "1", "--planes", "5",
                                   "--dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "anchor time / zarrkit time" in out.output
    for metric in ("whole-plate write", "whole-plate read", "plane-at-a-time write", "random-plane p50", "data files"):
        assert sum(line.startswith(metric) for line in out.output.splitlines()) == 2, metric  # vs A and vs B
    # C keeps one data file per field: 2 wells x 2 fields
    assert "C: 4 data files" in out.output and "A: 2 data files" in out.output and "B: 60 data files" in out.output
    assert os.listdir(tmp_path) == []


def test_anchor_layout_is_one_chunk_per_well(tmp_path):
    import json

    from tests.hcs.conftest import field_data
    from zarrkit.bench.hcs import write_a

    url = str(tmp_path / "a.ome.zarr")
    write_a(url, {"B/3": field_data(1, (2, 3, 5, 8, 8))})
    meta = json.load(open(os.path.join(url, "B", "3", "0", "s0", "zarr.json")))
    assert meta["shape"] == meta["chunk_grid"]["configuration"]["chunk_shape"] == [2, 3, 5, 8, 8]
    assert meta["dimension_names"][0] == "field"
