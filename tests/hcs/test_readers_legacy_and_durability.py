"""Code paths the first round left untested: reading OME 0.4 and anchor-style plates,
``durable=True``, the icechunk conflict-retry loop, read-only scans of unlisted wells, and
finalize's one-shape check across racing first writers."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from tests.hcs.conftest import field_data
from zarrkit.errors import ConflictError, SpecViolation
from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec, PlateWriter


def test_reads_an_ome_04_plate_on_zarr_v2(tmp_path):
    import zarr
    from ome_zarr.format import FormatV04
    from ome_zarr.writer import write_image, write_plate_metadata, write_well_metadata

    url = str(tmp_path / "v04.ome.zarr")
    group = zarr.open_group(url, mode="w", zarr_format=2)
    fmt = FormatV04()
    write_plate_metadata(group, ["A", "B"], ["1", "2", "3"], ["B/2"], fmt=fmt, field_count=2, name="old")
    well = group.require_group("B").require_group("2")
    write_well_metadata(well, ["0", "1"], fmt=fmt)
    data = {f: field_data(40 + f, (2, 3, 16, 16)) for f in range(2)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f, array in data.items():
            write_image(array, well.require_group(str(f)), scale_factors=[], axes="czyx", fmt=fmt,
                        storage_options={"chunks": (1, 1, 16, 16)})
    assert "ome" not in zarr.open_group(url, mode="r").attrs  # really 0.4: top-level plate
    r = PlateReader(url)
    assert [w.path for w in r.wells()] == ["B/2"] and r.wells()[0].row_index == 1
    assert r.fields("B2") == ["0", "1"]
    img = r.image("B2", "1")
    assert img.axes == "czyx" and img.shape == (2, 3, 16, 16)
    np.testing.assert_array_equal(img.numpy(), data[1])
    np.testing.assert_array_equal(r.plane("B/2", "0", c=1, z=2), data[0][1, 2])


def test_reads_an_anchor_plate_with_a_field_axis(tmp_path):
    from zarrkit.bench.hcs import write_a

    url = str(tmp_path / "anchor.ome.zarr")
    data = {"A/1": field_data(1, (2, 3, 5, 16, 16)), "C/7": field_data(2, (2, 3, 5, 16, 16))}
    write_a(url, data)
    r = PlateReader(url)
    assert [w.path for w in r.wells()] == ["A/1", "C/7"]
    assert r.fields("C7") == ["0", "1"]  # the leading custom axis, exposed as fields
    img = r.image("C7", "1")
    assert img.axes == "czyx" and img.shape == (3, 5, 16, 16)
    np.testing.assert_array_equal(img.numpy(), data["C/7"][1])
    np.testing.assert_array_equal(r.plane("A1", "1", c=2, z=4), data["A/1"][1, 2, 4])
    assert {f: i.shape for f, i in r.well("A1").items()} == {"0": (3, 5, 16, 16), "1": (3, 5, 16, 16)}


@pytest.mark.parametrize("durable", [False, True])
def test_durable_fsyncs_files_and_folders(tmp_path, monkeypatch, durable):
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    url = str(tmp_path / "p.ome.zarr")
    w = PlateWriter.create(url, PlateSpec.preset(6), ImageSpec("zyx"), durable=durable)
    monkeypatch.setattr(os, "fsync", fsync)
    w.write_well("A1", {"0": field_data(1, (2, 8, 8)), "1": field_data(2, (2, 8, 8))})
    monkeypatch.undo()
    if not durable:
        assert synced == []
        return
    staged = [p for p in synced if ".staging" in p]
    assert any(p.endswith("/zarr.json") for p in staged)  # the well's own document
    assert any("/c/" in p for p in staged)  # the shard files
    assert os.path.join(url, "A") in synced  # the row folder after the rename into it
    assert PlateWriter.open(url, durable=True).durable


def test_reopened_writer_keeps_durable_choice(tmp_path):
    url = str(tmp_path / "p.ome.zarr")
    PlateWriter.create(url, PlateSpec.preset(6), ImageSpec("yx"))
    assert not PlateWriter.open(url).durable and PlateWriter.open(url, durable=True).durable


class FlakyStore:
    """Stands in for an icechunk store whose commits conflict ``conflicts`` times."""

    url = "icechunk+memory://flaky"
    supports_conditional_create = True

    def __init__(self, conflicts: int) -> None:
        self.conflicts, self.calls, self.discarded = conflicts, [], False

    def commit(self, message, *, on_conflict="raise"):
        self.calls.append(on_conflict)
        if len(self.calls) <= self.conflicts:
            raise ConflictError("commit conflicts with another writer", url=self.url)
        return "snapshot"

    def discard(self):
        self.discarded = True


@pytest.mark.parametrize("conflicts", [0, 3, 9])
def test_icechunk_commit_rebases_and_retries(conflicts):
    from zarrkit.hcs.publish import IcechunkPublisher

    store = FlakyStore(conflicts)
    IcechunkPublisher(store).commit("hcs: well A/1")
    assert store.calls == ["rebase"] * (conflicts + 1) and not store.discarded


def test_icechunk_commit_gives_up_after_ten_conflicts():
    from zarrkit.hcs.publish import COMMIT_RETRIES, IcechunkPublisher

    store = FlakyStore(COMMIT_RETRIES)
    with pytest.raises(ConflictError):
        IcechunkPublisher(store).commit("hcs: well A/1")
    assert len(store.calls) == COMMIT_RETRIES == 10 and store.discarded


def test_icechunk_writers_on_one_branch_rebase_disjoint_wells(tmp_path):
    pytest.importorskip("icechunk")
    url = f"icechunk+file://{tmp_path / 'repo'}"
    PlateWriter.create(url, PlateSpec.preset(24), ImageSpec("yx")).close()
    first, second = PlateWriter.open(url), PlateWriter.open(url)  # two sessions on one snapshot
    first.write_well("A1", [field_data(1, (8, 8))])
    second.write_well("B2", [field_data(2, (8, 8))])  # its commit conflicts with first's: rebased
    assert second.finalize().wells == ["A/1", "B/2"]
    for w in (first, second):
        w.close()
    r = PlateReader(url)
    np.testing.assert_array_equal(r.image("A1").numpy(), field_data(1, (8, 8)))
    np.testing.assert_array_equal(r.image("B2").numpy(), field_data(2, (8, 8)))


def test_read_only_scans_see_wells_published_after_finalize(small_plate):
    from typer.testing import CliRunner

    from zarrkit.cli.main import app

    url, _ = small_plate
    PlateWriter.open(url).write_well("D4", {"0": field_data(9), "1": field_data(10)})
    r = PlateReader(url)  # read-only, consolidated root without D/4
    assert "D/4" not in [w.path for w in r.wells()]
    assert "D/4" in [w.path for w in r.wells(include_unlisted=True)]
    out = CliRunner().invoke(app, ["hcs", "info", url])
    assert "unlisted (run finalize): D/4" in out.output


def test_finalize_refuses_racing_first_writers_with_different_shapes(tmp_path):
    url = str(tmp_path / "p.ome.zarr")
    PlateWriter.create(url, PlateSpec.preset(96), ImageSpec("zyx")).close()
    writers = [PlateWriter.open(url) for _ in range(3)]
    for w in writers:  # each looked at the plate while it was still empty: none knows a shape
        w._learn_shape = lambda: None
    writers[0].write_well("A1", [field_data(1, (2, 16, 16))])
    writers[1].write_well("A2", [field_data(2, (2, 8, 8))])
    writers[2].write_well("A3", [field_data(3, (2, 16, 16))])
    before = open(os.path.join(url, "zarr.json"), "rb").read()
    with pytest.raises(SpecViolation, match=r"\['A/2'\].*\(2, 16, 16\)"):
        writers[0].finalize()
    assert open(os.path.join(url, "zarr.json"), "rb").read() == before  # nothing listed
    fixer = PlateWriter.open(url)
    fixer.write_well("A2", [field_data(2, (2, 16, 16))], overwrite=True)
    assert fixer.finalize().wells == ["A/1", "A/2", "A/3"]
    with pytest.raises(SpecViolation, match="differs from the plate's"):  # a later writer learns the shape
        PlateWriter.open(url).write_well("B1", [field_data(4, (2, 8, 8))])
