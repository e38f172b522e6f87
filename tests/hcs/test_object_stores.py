"""Plates on loopback S3 (moto) and icechunk: the claim, the writing state, finalize (spec §3)."""

from __future__ import annotations

import multiprocessing
import uuid

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


def test_finalize_racing_a_writer_never_drops_its_row_or_well(tmp_path):
    """finalize drops empty rows while writers may be adding wells to them: it removes only the
    row's document and puts it back when a well got in; a writer on an object store gives its
    row its document back after publishing; on icechunk, rebased commits are rechecked."""
    from zarrkit import core
    from zarrkit.hcs import staging
    from zarrkit.hcs.publish import ROW_DOCUMENT
    from zarrkit.validate import validate

    # local: a well renamed into the row between finalize's check and its removal
    url = str(tmp_path / "local.ome.zarr")
    w = PlateWriter.create(url, PlateSpec.preset(24), ImageSpec("yx"))
    w.write_well("B2", [field_data(2, (8, 8))])
    assert staging.remove_row(url, "B", ROW_DOCUMENT) is False  # B holds a well: its document is back
    assert w.finalize().wells == ["B/2"] and validate(url).passed

    # memory (object-store publishing): finalize drops the row document while the chunks go up
    mem = PlateWriter.create(f"memory://race-rows-{uuid.uuid4().hex[:8]}/p.ome.zarr", PlateSpec.preset(24), ImageSpec("yx"))
    real = mem.store.set_many

    def set_many_after_finalize(items):
        assert mem.publisher.remove_row("C") is False  # the claim is there: the row stays
        mem.store.delete("C/zarr.json")  # ... and a finalize that checked just before the claim
        real(items)

    mem.store.set_many = set_many_after_finalize
    mem.write_well("C3", [field_data(3, (8, 8))])
    assert mem.store.exists("C/zarr.json")  # the writer put the row document back
    assert mem.finalize().wells == ["C/3"] and validate(mem.store).passed

    # icechunk: a writer whose session predates a finalize that dropped its (then empty) row
    pytest.importorskip("icechunk")
    repo = f"icechunk+file://{tmp_path / 'repo'}"
    PlateWriter.create(repo, PlateSpec.preset(24), ImageSpec("yx")).close()
    late = PlateWriter.open(repo)
    with PlateWriter.open(repo) as first:
        first.write_well("A1", [field_data(1, (8, 8))])
        assert "D" in first.finalize().removed_rows
    late.write_well("D4", [field_data(4, (8, 8))])  # its snapshot still has row D; the rebase drops it
    assert late.store.exists("D/zarr.json") and core.read_metadata(late.store, "D").node_type == "group"
    assert late.finalize().wells == ["A/1", "D/4"]
    late.close()
    assert validate(repo).passed
