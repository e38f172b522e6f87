"""Remote stores from the command line (--endpoint-url, --region, --anonymous, -o), one-line
warnings, and icechunk's local-filesystem warning kept quiet unless ICECHUNK_LOG asks."""

from __future__ import annotations

import pytest

from tests.cli.helpers import no_credentials_env, run_cli, sample_fits
from tests.storage.recording_s3 import RecordingS3, recording_server
from zarrkit.errors import InvalidOptionError
from zarrkit.formats.cli_options import parse_option, storage_options

pytest.importorskip("astropy")


@pytest.mark.s3
def test_convert_info_validate_and_back_on_s3_with_flags_only(s3_endpoint, bucket, tmp_path, tmp_path_factory):
    """Credentials, endpoint and region come from the flags alone (no AWS variables)."""
    empty_home = tmp_path_factory.mktemp("empty-home")
    flags = ["--endpoint-url", s3_endpoint, "--region", "us-east-1",
             "-o", "access_key_id=testing", "-o", "secret_access_key=testing", "-o", "max_retries=1"]
    kw = no_credentials_env(empty_home)
    url = f"s3://{bucket}/test0.zarr"
    from astropy.utils.data import get_pkg_data_filename

    m13 = get_pkg_data_filename("data/m13.fits", package="astropy.io.fits.hdu.compressed.tests")
    wrote = run_cli("image", "convert", m13, url, *flags, **kw)
    assert wrote.returncode == 0, wrote.stderr
    info = run_cli("info", url, "--json", *flags, **kw)
    assert info.returncode == 0 and '"image"' in info.stdout, info.stderr
    assert run_cli("validate", url, *flags, **kw).returncode == 0
    back = run_cli("image", "convert", url, str(tmp_path / "back.fits"), *flags, **kw)
    assert back.returncode == 0, back.stderr
    assert (tmp_path / "back.fits").read_bytes() == open(m13, "rb").read()  # byte for byte
    # the same read without the keys fails with the credentials message, not a traceback
    denied = run_cli("info", url, "--endpoint-url", s3_endpoint, **kw)
    assert denied.returncode == 1 and "no AWS credentials found" in denied.stderr


@pytest.fixture
def recording_endpoint():
    with recording_server() as endpoint:
        yield endpoint


@pytest.mark.parametrize("flags, signed, region", [
    (["--anonymous"], False, None),
    (["--region", "eu-west-3", "-o", "access_key_id=AKIDFLAG", "-o", "secret_access_key=s"], True, "eu-west-3"),
])
def test_flags_reach_the_server(recording_endpoint, flags, signed, region, tmp_path):
    """What the server receives: unsigned requests for --anonymous; the key and region otherwise."""
    out = run_cli("info", "s3://bkt/x", "--endpoint-url", recording_endpoint, *flags, **no_credentials_env(tmp_path))
    assert out.returncode == 1 and "MetadataError" in out.stderr  # the recorder answers no real document
    assert RecordingS3.seen
    for request in RecordingS3.seen:
        if not signed:
            assert "authorization" not in request
        else:
            assert "Credential=AKIDFLAG/" in request["authorization"]
            assert f"/{region}/s3/aws4_request" in request["authorization"]


def test_an_unknown_option_key_is_one_line():
    out = run_cli("info", "s3://bkt/x", "-o", "colour=red")
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1
    assert "unknown -o key 'colour'" in lines[0] and "endpoint_url" in lines[0]


def test_option_values_are_json_when_they_parse():
    assert parse_option("max_retries=2") == ("max_retries", 2)
    assert parse_option("path_style=false") == ("path_style", False)
    assert parse_option("endpoint_url=http://h:9000") == ("endpoint_url", "http://h:9000")
    assert parse_option("region=") == ("region", "")
    with pytest.raises(InvalidOptionError, match="KEY=VALUE"):
        parse_option("region")
    with pytest.raises(InvalidOptionError, match="disagree"):
        storage_options(region="eu-west-1", option=["region=us-east-1"])
    assert storage_options(region="eu-west-1", option=["region=eu-west-1"]) == {"region": "eu-west-1"}


def test_warnings_print_as_one_line_without_source():
    code = ("import sys, warnings\n"
            "from zarrkit.cli import main\n"
            "main.app.command('warn')(lambda: warnings.warn('first part\\nsecond part', UserWarning))\n"
            "sys.argv = ['zarrkit', 'warn']\n"
            "main.run()\n")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().splitlines() == ["warning: UserWarning: first part second part"]


def test_icechunk_local_warning_is_quiet_unless_icechunk_log_is_set(tmp_path):
    pytest.importorskip("icechunk")
    quiet = run_cli("image", "convert", sample_fits(), f"icechunk+file://{tmp_path}/a", drop=("ICECHUNK_LOG",))
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "LocalFileSystem" not in quiet.stdout
    # icechunk's Rust logger writes to stdout
    loud = run_cli("image", "convert", sample_fits(), f"icechunk+file://{tmp_path}/b",
                   env={"ICECHUNK_LOG": "icechunk=warn"})
    assert loud.returncode == 0 and "LocalFileSystem storage is not safe" in loud.stdout + loud.stderr
