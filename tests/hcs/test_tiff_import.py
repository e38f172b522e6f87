"""`zarrkit hcs import` (TIFF planes -> plate), `demo --tiff` and `pack` (spec §5, §3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.hcs.conftest import field_data
from zarrkit.errors import InvalidOptionError, PlateExistsError, SpecViolation, StorageResolutionError
from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec, PlateWriter

tifffile = pytest.importorskip("tifffile")


def cli(*args):
    from zarrkit.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


def plane_value(well: str, field: int, c: int, z: int) -> np.ndarray:
    """A plane whose pixels say where it belongs, so a misplaced plane shows."""
    row, col = ord(well[0]) - 64, int(well[1:])
    return np.full((12, 10), row * 1000 + col * 100 + field * 10 + c * 3 + z, "uint16")


def write_planes(folder, wells=("A01", "B03"), fields=2, channels=2, zs=3, name="{w}_s{f}_w{c}_z{z:02d}.tif"):
    os.makedirs(folder, exist_ok=True)
    for w in wells:
        for f in range(fields):
            for c in range(channels):
                for z in range(zs):
                    tifffile.imwrite(os.path.join(folder, name.format(w=w, f=f + 1, c=c + 1, z=z + 1)),
                                     plane_value(w, f, c, z))


def stored_tree(root: str) -> dict[str, bytes]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            out[os.path.relpath(path, root)] = open(path, "rb").read()
    return out


def test_cli_import_places_every_plane(tmp_path):
    src, dest = tmp_path / "tiff", tmp_path / "plate.ome.zarr"
    write_planes(src)
    (src / "notes.txt").write_text("not a plane")
    out = cli("hcs", "import", src, dest, "--plate", 96, "--channels", "DAPI:0000FF,GFP:00FF00", "--z-step", 2,
              "--pixel-size", "0.5,0.4")
    assert out.exit_code == 0, out.output
    assert "imported 24 files into 2 wells" in out.output and "notes.txt" in out.output
    r = PlateReader(str(dest))
    assert [w.path for w in r.wells()] == ["A/1", "B/3"] and r.fields("B/3") == ["0", "1"]
    # the spec's example: A01_s1_w2_z03.tif -> A/1, field "0", c=1, z=2
    np.testing.assert_array_equal(r.plane("A/1", "0", c=1, z=2), plane_value("A01", 0, 1, 2))
    for f in range(2):
        img = r.image("B3", str(f))
        assert img.shape == (2, 3, 12, 10) and img.channels == ["DAPI", "GFP"]
        assert img.scale == (1.0, 2.0, 0.5, 0.4)
        for c in range(2):
            for z in range(3):
                np.testing.assert_array_equal(img[c, z], plane_value("B03", f, c, z))
    files = json.loads((dest / "B" / "3" / "zarr.json").read_text())["attributes"]["zarrkit"]["files"]
    assert files["B03_s2_w1_z03.tif"] == ["1", None, 0, 2] and len(files) == 12
    from zarrkit.validate import validate

    assert {c.name: c.status for c in validate(str(dest)).checks}["hcs plate"] == "ok"


def test_demo_tiff_is_the_direct_demo_byte_for_byte(tmp_path):
    from zarrkit.hcs.demo import demo_plate

    direct = demo_plate(str(tmp_path / "direct.ome.zarr"), side=32)
    imported = demo_plate(str(tmp_path / "imported.ome.zarr"), side=32, tiff_dir=str(tmp_path / "tiff"))
    assert len(os.listdir(tmp_path / "tiff")) == 72
    a, b = stored_tree(direct), stored_tree(imported)
    assert sorted(a) == sorted(b) and all(a[k] == b[k] for k in a)


def test_cli_demo_tiff(tmp_path):
    out = cli("hcs", "demo", tmp_path, "--tiff")
    assert out.exit_code == 0, out.output
    assert "imported from the TIFF planes" in out.output and "valid" in out.output
    assert len(os.listdir(tmp_path / "tiff")) == 72


def test_strict_unmatched_and_missing_planes_write_nothing(tmp_path):
    src = tmp_path / "tiff"
    write_planes(src, wells=("A01",))
    (src / "A01_s1_w1_zXX.tif").write_bytes(b"")
    dest = tmp_path / "p.ome.zarr"
    from tests.cli.helpers import run_cli

    done = run_cli("hcs", "import", str(src), str(dest), "--strict")  # the real entry point: one line
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "StorageResolutionError" in done.stderr and "A01_s1_w1_zXX.tif" in done.stderr
    os.unlink(src / "A01_s1_w1_zXX.tif")
    os.unlink(src / "A01_s2_w2_z02.tif")
    out = cli("hcs", "import", src, dest)
    assert isinstance(out.exception, SpecViolation) and "1 planes are missing" in str(out.exception)
    assert not dest.exists()
    out = cli("hcs", "import", src, dest, "--allow-missing")
    assert out.exit_code == 0 and "filled 1 missing planes with 0" in out.output
    r = PlateReader(str(dest))
    assert not r.plane("A1", "1", c=1, z=1).any()
    np.testing.assert_array_equal(r.plane("A1", "1", c=1, z=2), plane_value("A01", 1, 1, 2))


@pytest.mark.parametrize("defect", ["dtype", "shape", "outside", "stack", "duplicate", "not-a-tiff", "zero-based"])
def test_bad_folders_are_refused_before_writing(tmp_path, defect):
    src, dest = tmp_path / "tiff", str(tmp_path / "p.ome.zarr")
    write_planes(src, wells=("A01",), fields=1, channels=1, zs=2)
    bad = {
        "dtype": ("A01_s1_w1_z02.tif", np.zeros((12, 10), "uint8")),
        "shape": ("A01_s1_w1_z02.tif", np.zeros((12, 11), "uint16")),
        "outside": ("I01_s1_w1_z01.tif", np.zeros((12, 10), "uint16")),
        "stack": ("A01_s1_w1_z02.tif", np.zeros((2, 12, 10), "uint16")),
        "duplicate": ("A1_s1_w1_z01.tif", np.zeros((12, 10), "uint16")),
        "not-a-tiff": ("A01_s1_w1_z02.tif", None),
        "zero-based": ("A01_s1_w1_z00.tif", np.zeros((12, 10), "uint16")),
    }[defect]
    if bad[1] is None:
        (src / bad[0]).write_bytes(b"plain text")
    else:
        tifffile.imwrite(src / bad[0], bad[1])
    from zarrkit.hcs.tiff_import import import_tiffs

    if defect == "zero-based":  # a 0 in a 1-based name maps to nothing: unmatched, an error when strict
        with pytest.raises(StorageResolutionError, match="A01_s1_w1_z00.tif"):
            import_tiffs(str(src), dest, strict=True)
    else:
        with pytest.raises(SpecViolation):
            import_tiffs(str(src), dest)
    assert not os.path.exists(dest)


def test_resume_adds_only_missing_wells(tmp_path):
    from zarrkit.hcs.tiff_import import import_tiffs

    src, dest = tmp_path / "tiff", str(tmp_path / "p.ome.zarr")
    write_planes(src, wells=("A01",))
    assert import_tiffs(str(src), dest).wells == ["A/1"]
    write_planes(src, wells=("C05",))
    with pytest.raises(PlateExistsError, match="resume"):
        import_tiffs(str(src), dest)
    before = os.stat(os.path.join(dest, "A", "1", "zarr.json")).st_mtime_ns
    report = import_tiffs(str(src), dest, resume=True, executor="serial")
    assert report.wells == ["C/5"] and report.skipped == ["A/1"] and report.files == 12
    assert os.stat(os.path.join(dest, "A", "1", "zarr.json")).st_mtime_ns == before
    assert [w.path for w in PlateReader(dest).wells()] == ["A/1", "C/5"]


def test_regex_row_col_labels_and_time(tmp_path):
    from zarrkit.hcs.tiff_import import import_tiffs

    src = tmp_path / "tiff"
    src.mkdir()
    for t in range(2):
        for label in ("GFP", "DAPI"):
            tifffile.imwrite(src / f"r02c07-{label}-t{t + 1}.tif", np.full((8, 8), t * 10 + len(label), "float32"))
    dest = str(tmp_path / "p.ome.zarr")
    with pytest.raises(SpecViolation):  # numeric rows are not row names of this plate
        import_tiffs(str(src), dest, plate=PlateSpec.preset(384), regex=True,
                     pattern=r"r(?P<row>\d+)c(?P<col>\d+)-(?P<channel>[A-Z]+)-t(?P<t>\d+)\.tif")
    for p in list(src.iterdir()):
        p.rename(src / p.name.replace("r02", "rB"))
    report = import_tiffs(str(src), dest, plate=PlateSpec.preset(384), regex=True,
                          pattern=r"r(?P<row>[A-P])c(?P<col>\d+)-(?P<channel>[A-Z]+)-t(?P<t>\d+)\.tif")
    assert report.wells == ["B/7"] and report.image.axes == "tcyx"
    img = PlateReader(dest).image("B7")
    assert img.channels == ["DAPI", "GFP"]  # labels, in sorted order when none are given
    assert img[1, 0, 0, 0] == 14 and img[0, 1, 0, 0] == 3


def test_pack_and_read_back(small_plate, tmp_path):
    url, data = small_plate
    zip_path = str(tmp_path / "plate.ozx")
    out = cli("hcs", "pack", url, zip_path)
    assert out.exit_code == 0, out.output
    r = PlateReader(zip_path)
    assert [w.path for w in r.wells()] == ["A/1", "B/3", "H/12"]
    np.testing.assert_array_equal(r.image("H12", "1").numpy(), data["H/12"]["1"])
    assert isinstance(cli("hcs", "pack", url, zip_path).exception, PlateExistsError)
    assert cli("hcs", "pack", url, zip_path, "--overwrite").exit_code == 0
    assert isinstance(cli("hcs", "pack", url, str(tmp_path / "plate.tar")).exception, InvalidOptionError)


def test_pack_refuses_an_unfinished_plate(tmp_path):
    from zarrkit.hcs.pack import pack_plate

    url = str(tmp_path / "p.ome.zarr")
    w = PlateWriter.create(url, PlateSpec.preset(6), ImageSpec("yx"))
    w.write_well("A1", [field_data(1, (8, 8))])
    with pytest.raises(SpecViolation, match="finalize"):
        pack_plate(url, str(tmp_path / "a.zip"))
    w.finalize()
    w.write_well("A2", [field_data(2, (8, 8))])  # published, not listed
    with pytest.raises(SpecViolation, match="out of date"):
        pack_plate(url, str(tmp_path / "a.zip"))
    assert not os.path.exists(tmp_path / "a.zip")


def test_importing_the_importer_does_not_import_tifffile():
    code = "import sys, zarrkit.hcs.tiff_import, zarrkit.hcs.cli; print('tifffile' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
