"""write_wells on every executor writes the same bytes as a serial run (incl. a Dask cluster)."""

from __future__ import annotations

import os

import pytest

from tests.hcs.conftest import field_data
from zarrkit.hcs import ImageSpec, PlateSpec, PlateWriter


def plate_bytes(url):
    out = {}
    for dirpath, _dirs, files in os.walk(url):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, url)] = open(path, "rb").read()
    return out


def write(url, executor, layout="sharded"):
    w = PlateWriter.create(url, PlateSpec.preset(24, name="ex"), ImageSpec("czyx", channels=["a", "b"], levels=2),
                           layout=layout)
    items = [{"well": well, "fields": {"0": field_data(i, (2, 2, 24, 24)), "1": field_data(i + 50, (2, 2, 24, 24))},
              "files": {f"{well}_s1_w1_z01.tif": ("0", None, 0, 0)}}
             for i, well in enumerate(["A1", "B2", "C3", "D6", "A6"])]
    assert w.write_wells(items, executor=executor) == ["A/1", "B/2", "C/3", "D/6", "A/6"]
    w.finalize()
    return plate_bytes(url)


@pytest.mark.parametrize("layout", ["sharded", "plane", "well"])
def test_threads_match_serial(tmp_path, layout):
    assert write(str(tmp_path / "t"), "threads", layout) == write(str(tmp_path / "s"), "serial", layout)


def test_processes_and_dask_match_serial(tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = write(str(tmp_path / "s"), "serial")
    assert write(str(tmp_path / "p"), "processes") == serial
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert write(str(tmp_path / "d"), client) == serial


def test_write_wells_checks_everything_first(tmp_path):
    from zarrkit.errors import SpecViolation

    url = str(tmp_path / "p")
    w = PlateWriter.create(url, PlateSpec.preset(6), ImageSpec("yx"))
    before = plate_bytes(url)
    with pytest.raises(SpecViolation, match="outside"):
        w.write_wells([("A1", [field_data(0, (8, 8))]), ("Z9", [field_data(1, (8, 8))])])
    with pytest.raises(SpecViolation, match="twice"):
        w.write_wells([("A1", [field_data(0, (8, 8))]), ("A/1", [field_data(1, (8, 8))])])
    assert plate_bytes(url) == before
