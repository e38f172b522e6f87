"""The zarrkit command: version, demo, info, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import zarrkit


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zarrkit.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_python_dash_m_zarrkit_is_the_command():
    done = subprocess.run([sys.executable, "-m", "zarrkit", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"zarrkit {zarrkit.__version__}"


def test_version():
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"zarrkit {zarrkit.__version__}"


def test_demo_writes_into_default_folder_and_readers_agree(tmp_path):
    out = run_cli("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    target = tmp_path / "zarrkit-demo" / "core.zarr"
    assert str(target) in out.stdout
    zarr = pytest.importorskip("zarr")
    group = zarr.open_group(str(target), mode="r")
    assert sorted(group.array_keys()) == ["labels", "temperature"]
    labels = group["labels"]
    assert labels.shards == (128, 128) and labels.chunks == (32, 32)
    from zarrkit.cli.demo import sample_field

    np.testing.assert_array_equal(group["temperature"][:], sample_field())
    xr = pytest.importorskip("xarray")
    ds = xr.open_zarr(str(target), consolidated=True)
    assert ds["temperature"].dims == ("y", "x") and ds["temperature"].attrs["units"] == "degC"
    np.testing.assert_array_equal(ds["labels"].values, labels[:])
    # a second run refuses to overwrite, and says how
    again = run_cli("demo", cwd=tmp_path)
    assert again.returncode == 1
    assert "--overwrite" in again.stderr and "ContainsDataError" in again.stderr
    assert run_cli("demo", "--overwrite", cwd=tmp_path).returncode == 0


def test_info_json_describes_the_tree(tmp_path):
    from zarrkit.cli.demo import write_core_sample

    write_core_sample(str(tmp_path / "d" / "core.zarr"))
    out = run_cli("info", str(tmp_path / "d" / "core.zarr"), "--json")
    assert out.returncode == 0, out.stderr
    tree = json.loads(out.stdout)["root"]
    children = {c["path"]: c for c in tree["children"]}
    labels = children["labels"]
    assert labels["shape"] == [256, 256] and labels["chunks"] == [32, 32] and labels["shards"] == [128, 128]
    assert labels["codecs"] == ["sharding_indexed[bytes, blosc]"]
    assert children["temperature"]["codecs"] == ["bytes", "zstd"]
    assert children["temperature"]["attribute_keys"] == ["long_name", "units"]
    on_disk = sum(p.stat().st_size for p in (tmp_path / "d" / "core.zarr" / "temperature").rglob("*") if p.is_file())
    assert children["temperature"]["stored_bytes"] == on_disk
    text = run_cli("info", str(tmp_path / "d" / "core.zarr"))
    assert "sharding_indexed[bytes, blosc]" in text.stdout and "(256, 256)" in text.stdout


def test_info_on_zip_and_v2(tmp_path):
    zarr = pytest.importorskip("zarr")
    v2 = zarr.open_group(str(tmp_path / "v2.zarr"), mode="w", zarr_format=2)
    v2.create_array("a", shape=(10,), chunks=(5,), dtype="<f8", order="F")
    out = run_cli("info", str(tmp_path / "v2.zarr"), "--json")
    child = json.loads(out.stdout)["root"]["children"][0]
    assert child["zarr_format"] == 2 and child["shape"] == [10] and child["dtype"] == "<f8"


@pytest.mark.parametrize(
    "args, error",
    [
        (("info", "/definitely/not/here"), "StoreNotFoundError"),
        (("info", "nosuch://x"), "UnsupportedURLError"),
        (("info", "s3://bucket/x#frag"), "UnsupportedURLError"),
    ],
)
def test_bad_input_is_one_clear_line(args, error):
    out = run_cli(*args)
    assert out.returncode == 1
    assert error in out.stderr and "Traceback" not in out.stderr


def test_info_on_a_directory_without_zarr(tmp_path):
    out = run_cli("info", str(tmp_path))
    assert out.returncode == 1 and "MetadataError" in out.stderr and str(tmp_path) in out.stderr


def test_image_convert_both_ways_validate_and_info(tmp_path):
    from astropy.utils.data import get_pkg_data_filename

    src = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
    out = run_cli("image", "convert", src, str(tmp_path / "m13.zarr"))
    assert out.returncode == 0, out.stderr
    exists = run_cli("image", "convert", src, str(tmp_path / "m13.zarr"))
    assert exists.returncode == 1 and "add --overwrite" in exists.stderr and "overwrite=True" not in exists.stderr
    back = run_cli("image", "convert", str(tmp_path / "m13.zarr"), str(tmp_path / "m13.fits"))
    assert back.returncode == 0 and (tmp_path / "m13.fits").read_bytes() == open(src, "rb").read()
    assert run_cli("image", "convert", "a.zarr", "b.zarr").returncode == 2
    valid = run_cli("validate", str(tmp_path / "m13.zarr"), "--json")
    assert valid.returncode == 0 and '"passed": true' in valid.stdout
    info = run_cli("info", str(tmp_path / "m13.zarr"))
    assert "RA---TAN" in info.stdout and "image archive 1.0" in info.stdout
    # a broken header array fails validation with exit 1
    (tmp_path / "m13.zarr" / "meta" / "header" / "zarr.json").write_text("{}")
    assert run_cli("validate", str(tmp_path / "m13.zarr")).returncode == 1


def test_image_demo_converts_validates_and_round_trips(tmp_path):
    pytest.importorskip("astropy")
    out = run_cli("image", "demo", str(tmp_path / "d"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "m13 FITS → Zarr → FITS byte-identical: True" in out.stdout
    assert "4 archives" in out.stdout and "every check passed" in out.stdout
    assert "mask planes" in out.stdout or "unit" in out.stdout  # zarrkit info ran on each archive
    again = run_cli("image", "demo", str(tmp_path / "d"))
    assert again.returncode == 1 and "overwrite" in again.stderr  # no silent overwrite
    assert run_cli("image", "demo", str(tmp_path / "d"), "--overwrite").returncode == 0


def test_debug_adds_the_traceback(tmp_path):
    plain = run_cli("info", str(tmp_path / "missing.zarr"))
    debug = run_cli("--debug", "info", str(tmp_path / "missing.zarr"))
    assert plain.returncode == debug.returncode == 1
    assert "Traceback" not in plain.stderr and len(plain.stderr.strip().splitlines()) == 1
    assert "Traceback" in debug.stderr and plain.stderr.strip().splitlines()[-1] in debug.stderr


def _bad_fits_inputs(tmp_path):
    from astropy.utils.data import get_pkg_data_filename

    m13 = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
    (tmp_path / "folder.fits").mkdir()
    (tmp_path / "text.fits").write_bytes(b"this is not FITS\n" * 200)
    (tmp_path / "short.fits").write_bytes(open(m13, "rb").read()[:5000])
    return {
        "missing": (tmp_path / "missing.fits", "does not exist"),
        "folder": (tmp_path / "folder.fits", "is a folder"),
        "not FITS": (tmp_path / "text.fits", "is not a FITS file"),
        "truncated": (tmp_path / "short.fits", "truncated or damaged"),
    }


def test_image_convert_of_bad_fits_is_one_line_and_creates_nothing(tmp_path):
    pytest.importorskip("astropy")
    for what, (path, says) in _bad_fits_inputs(tmp_path).items():
        out = run_cli("image", "convert", str(path), str(tmp_path / "out.zarr"))
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 1, what
        assert len(lines) == 1 and "FitsFileError" in lines[0] and says in lines[0], (what, out.stderr)
        assert not (tmp_path / "out.zarr").exists(), what


def test_header_only_err_and_dq_convert_and_come_back(tmp_path):
    """astropy's j94f05bgq_flt.fits: SCI/ERR/DQ whose ERR and DQ are headers without PIXVALUE."""
    from astropy.io import fits
    from astropy.utils.data import get_pkg_data_filename

    src = get_pkg_data_filename("data/j94f05bgq_flt.fits", package="astropy.wcs.tests")
    out = run_cli("image", "convert", src, str(tmp_path / "j.zarr"))
    assert out.returncode == 0, out.stderr
    assert run_cli("validate", str(tmp_path / "j.zarr")).returncode == 0
    assert run_cli("image", "convert", str(tmp_path / "j.zarr"), str(tmp_path / "j.fits")).returncode == 0
    with fits.open(src) as a, fits.open(tmp_path / "j.fits") as b:
        assert [(h.name, h.ver) for h in b] == [("PRIMARY", 1), ("SCI", 1), ("ERR", 1), ("DQ", 1)]
        for i in range(4):  # the first EXTVER set, headers and pixels as they were
            assert a[i].header.tostring() == b[i].header.tostring()
        assert np.array_equal(a[1].data, b[1].data) and b[2].data is None and b[3].data is None


def test_info_shows_a_damaged_tree_and_archive_without_a_traceback(tmp_path):
    from zarrkit import core, image
    from zarrkit.storage import open_store

    with open_store(str(tmp_path / "plain.zarr"), mode="w") as store:
        core.create_group(store, "")
        core.create_array(store, "good", core.array_metadata((4,), "u1", (4,)))
        core.create_array(store, "bad", core.array_metadata((4,), "u1", (4,)))
    (tmp_path / "plain.zarr" / "bad" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "array"')
    out = run_cli("info", str(tmp_path / "plain.zarr"))
    assert out.returncode == 0, out.stderr
    assert "unreadable" in out.stdout and "malformed JSON" in out.stdout and "good array" in out.stdout

    url = image.write(image.ImageArchive(np.ones((8, 8), "f4")), str(tmp_path / "a.zarr"))
    root = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())
    root["consolidated_metadata"]["metadata"]["image"]["shape"] = "eight"
    (tmp_path / "a.zarr" / "zarr.json").write_text(json.dumps(root))
    out = run_cli("info", url)
    assert out.returncode == 0, out.stderr
    assert "image: cannot summarise: MetadataError" in out.stdout and "Traceback" not in out.stderr
