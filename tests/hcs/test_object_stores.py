"""Plates on loopback S3 (moto) and icechunk: the claim, the writing state, finalize (spec §3)."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest

from tests.hcs import workers
from tests.hcs.conftest import field_data
from zarrkit.errors import ConcurrencyUnsupported, WellExistsError
from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec, PlateWriter


def test_s3_plate_claims_and_lists(bucket, s3_options):
    url = f"s3://{bucket}/plate.ome.zarr"
    w = PlateWriter.create(url, PlateSpec.preset(96), ImageSpec("zyx"), storage_options=s3_options)
    assert w.publisher.multi_writer
    with pytest.raises(ConcurrencyUnsupported):
        PlateWriter.create(f"s3://{bucket}/other.ome.zarr", PlateSpec.preset(96), ImageSpec("zyx"),
                           listing="incremental", storage_options=s3_options)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.map(workers.write_one, [(url, well, i, s3_options) for i, well in enumerate(
            ["A1", "A2", "B1", "B2", "A1", "A1"])], chunksize=1)
    assert sorted(o for _, o in results) == ["exists", "exists", "ok", "ok", "ok", "ok"]
    # a writer that died after its claim leaves a 'writing' well: never listed, reported
    from zarrkit import core

    core.create_group(w.store, "C/3", attributes={"zarrkit": {"state": "writing"}})
    report = w.finalize()
    assert report.wells == ["A/1", "A/2", "B/1", "B/2"] and report.incomplete == ["C/3"]
    with pytest.raises(WellExistsError):
        w.write_well("C3", {"0": field_data(3, (2, 16, 16))})
    w.write_well("C3", {"0": field_data(3, (2, 16, 16))}, overwrite=True)
    assert w.finalize().incomplete == []
    r = PlateReader(url, storage_options=s3_options)
    np.testing.assert_array_equal(r.image("C3").numpy(), field_data(3, (2, 16, 16)))
    assert len(r.wells()) == 5


def test_icechunk_plate_commits_per_well(tmp_path):
    pytest.importorskip("icechunk")
    url = f"icechunk+file://{tmp_path / 'repo'}"
    w = PlateWriter.create(url, PlateSpec.preset(24), ImageSpec("yx"))
    for i, well in enumerate(["A1", "B2", "D6"]):
        w.write_well(well, [field_data(i, (16, 16))])
    with pytest.raises(WellExistsError):
        w.write_well("A1", [field_data(9, (16, 16))])
    report = w.finalize()
    assert report.wells == ["A/1", "B/2", "D/6"]
    assert report.removed_rows == ["C"]  # the creation commit made every row; empty ones go
    w.close()
    r = PlateReader(url)
    np.testing.assert_array_equal(r.image("D6").numpy(), field_data(2, (16, 16)))
