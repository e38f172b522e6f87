"""Issue 10's bad-input list: each mistake is one line on stderr, a non-zero exit code, and
nothing created or changed (locally or in the bucket)."""

from __future__ import annotations

import pytest

from tests.cli.helpers import no_credentials_env, run_cli, sample_fits, tree_snapshot
from tests.conftest import free_port, s3_client

pytest.importorskip("astropy")

ZARR_GROUP = b'{"zarr_format": 3, "node_type": "group", "attributes": {}}'
BAD_INPUTS = ["missing input", "folder instead of file", "non-FITS bytes", "truncated FITS", "header cut short",
              "existing output", "--overwrite on a non-Zarr folder", "s3 with nothing listening",
              "s3 without credentials"]


def _case(name, work, empty_home, s3_endpoint, bucket):
    """(command arguments, run_cli keywords, words the one line must contain) for one bad input."""
    good = sample_fits()
    out = str(work / "out.zarr")
    if name == "missing input":
        return ["image", "convert", str(work / "missing.fits"), out], {}, ["FitsFileError", "does not exist"]
    if name == "folder instead of file":
        (work / "folder.fits").mkdir()
        return ["image", "convert", str(work / "folder.fits"), out], {}, ["FitsFileError", "is a folder"]
    if name == "non-FITS bytes":
        (work / "text.fits").write_bytes(b"this is not FITS\n" * 200)
        return ["image", "convert", str(work / "text.fits"), out], {}, ["FitsFileError", "is not a FITS file"]
    if name == "truncated FITS":
        from astropy.utils.data import get_pkg_data_filename

        m13 = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
        (work / "short.fits").write_bytes(open(m13, "rb").read()[:5000])  # the header whole, pixels cut
        return ["image", "convert", str(work / "short.fits"), out], {}, ["FitsFileError", "truncated or damaged"]
    if name == "header cut short":  # astropy warns about the header first; the warning is held back
        (work / "cut.fits").write_bytes(open(good, "rb").read()[:4000])
        return ["image", "convert", str(work / "cut.fits"), out], {}, ["FitsFileError", "is not a FITS file"]
    if name == "existing output":
        (work / "out.zarr").mkdir()
        (work / "out.zarr" / "zarr.json").write_bytes(ZARR_GROUP)
        return ["image", "convert", good, out], {}, ["ArchiveExistsError", "add --overwrite"]
    if name == "--overwrite on a non-Zarr folder":
        (work / "thesis").mkdir()
        (work / "thesis" / "chapter1.tex").write_text("years of work")
        return (["image", "convert", good, str(work / "thesis"), "--overwrite"], {},
                ["ContainsDataError", "not a Zarr hierarchy"])
    if name == "s3 with nothing listening":
        endpoint = f"http://127.0.0.1:{free_port()}"
        return (["image", "convert", good, "s3://bkt/out", "--endpoint-url", endpoint], {},
                ["StoreIOError", f"cannot connect to {endpoint}: connection refused"])
    if name == "s3 without credentials":
        return (["image", "convert", good, f"s3://{bucket}/out", "--endpoint-url", s3_endpoint],
                no_credentials_env(empty_home), ["StorePermissionError", "no AWS credentials found", "--anonymous"])
    raise AssertionError(name)


@pytest.mark.s3
@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_one_line_a_failure_and_changes_nothing(name, tmp_path, tmp_path_factory, s3_endpoint, bucket):
    work = tmp_path / "work"
    work.mkdir()
    empty_home = tmp_path_factory.mktemp("empty-home")
    args, kw, says = _case(name, work, empty_home, s3_endpoint, bucket)
    before = tree_snapshot(work)
    result = run_cli(*args, **kw)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, (name, result.stdout)
    assert len(lines) == 1, (name, result.stderr)
    for word in says:
        assert word in lines[0], (name, lines[0])
    assert "overwrite=True" not in lines[0] and not lines[0].rstrip().endswith((":", ",", ";"))
    assert tree_snapshot(work) == before, name
    assert s3_client(s3_endpoint).list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0, name
