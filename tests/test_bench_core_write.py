"""The write-side benchmark additions run end to end: ``bench core --scale`` and the image
benchmark's mask codec table (tiny sizes: they check the plumbing and the numbers' sanity,
never a timing)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest


def test_bench_core_scale_reports_throughput_and_memory_and_removes_its_scratch(tmp_path):
    scratch = tmp_path / "scratch"
    out = subprocess.run([sys.executable, "-m", "zarrkit.cli.main", "bench", "core", "--scale", "512", "--reps", "1",
                          "--libs", "zarrkit-python", "--workloads", "b-write", "--dir", str(scratch)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line.strip().startswith("512 ")]
    assert [r[1:3] for r in rows] == [["python", "b-write"]]
    for r in rows:
        assert float(r[3]) > 0 and float(r[4]) > 0  # MB/s and CPU-s/GB were measured
        baseline, peak = float(r[5].rstrip("Mi")), float(r[6].rstrip("Mi"))
        assert peak >= baseline > 0
    assert list(scratch.iterdir()) == []


def test_mask_codec_table_measures_each_option():
    pytest.importorskip("xarray")
    from zarrkit.bench.image import bench_archive
    from zarrkit.bench.image_mask import measure_mask_codecs, parse_options
    from zarrkit.image import layout

    mask = bench_archive(256).mask
    packed = layout.pack_mask_word(np.asarray(mask.array), 0, [p.bit for p in mask.planes])
    rows = measure_mask_codecs(packed, parse_options("zstd:5,zstd:2,lz4:5:shuffle"), 1)
    assert [r["codec"] for r in rows] == ["zstd:5:bitshuffle", "zstd:2:bitshuffle", "lz4:5:shuffle"]
    assert all(0 < r["stored"] < packed.nbytes for r in rows)  # compressed, and not all fill
    with pytest.raises(ValueError):
        parse_options("zstd")
