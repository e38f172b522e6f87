"""Failures a person can act on: no credentials, nothing listening, tidy messages, and the
AWS environment variables the README lists (checked on the requests a server receives)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import free_port
from tests.storage.recording_s3 import RecordingS3, recording_server
from zarrkit.errors import StoreIOError, StoreNotFoundError, StorePermissionError
from zarrkit.storage import open_store
from zarrkit.storage.remote_checks import credential_source, tidy

REMOTE_BACKENDS = ("obstore", "fsspec")
CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                   "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No AWS variables, an empty HOME, and the instance-metadata lookup disabled."""
    for var in CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _timed_failure(url, **kw):
    start = time.monotonic()
    with pytest.raises(Exception) as info:
        open_store(url, **kw)
    return info.value, time.monotonic() - start


@pytest.mark.s3
@pytest.mark.parametrize("backend", REMOTE_BACKENDS + ("icechunk",))
def test_no_credentials_says_so_fast_and_writes_nothing(no_credentials, s3_endpoint, bucket, backend, monkeypatch):
    scheme = "icechunk+s3" if backend == "icechunk" else "s3"
    if backend != "icechunk":
        monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", backend)
    err, seconds = _timed_failure(f"{scheme}://{bucket}/run", mode="w", options={"endpoint_url": s3_endpoint})
    assert isinstance(err, StorePermissionError), err
    assert "no AWS credentials found" in str(err) and "AWS_ACCESS_KEY_ID" in str(err)
    assert "169.254" not in str(err) and "dispatch failure" not in str(err)
    assert seconds < 3
    from tests.conftest import s3_client

    assert s3_client(s3_endpoint).list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


@pytest.mark.parametrize("backend", REMOTE_BACKENDS + ("icechunk",))
def test_refused_connection_is_a_connection_failure_within_seconds(backend, monkeypatch):
    scheme = "icechunk+s3" if backend == "icechunk" else "s3"
    if backend != "icechunk":
        monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", backend)
    endpoint = f"http://127.0.0.1:{free_port()}"  # bound and released: nothing listens there
    err, seconds = _timed_failure(f"{scheme}://bkt/run", mode="r",
                                  options={"endpoint_url": endpoint, "access_key_id": "k", "secret_access_key": "s"})
    assert isinstance(err, StoreIOError) and not isinstance(err, StoreNotFoundError), err
    assert f"cannot connect to {endpoint}: connection refused" in str(err)
    assert seconds < 3


@pytest.mark.s3
def test_a_missing_bucket_on_fsspec_is_still_not_found(s3_endpoint, s3_options, monkeypatch):
    monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", "fsspec")
    with pytest.raises(StoreNotFoundError, match="bucket does not exist"):
        open_store("s3://zk-no-such-bucket/x", options=s3_options)


def test_credential_sources_are_found_without_network(tmp_path):
    home = {"HOME": str(tmp_path)}
    assert credential_source({}, {**home, "AWS_EC2_METADATA_DISABLED": "true"}) is False
    assert credential_source({}, home) is None  # the instance-metadata service might answer
    assert credential_source({}, {**home, "AWS_ACCESS_KEY_ID": "AK"}) is True
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n")
    assert credential_source({}, {**home, "AWS_EC2_METADATA_DISABLED": "true"}) is True
    assert credential_source({}, {**home, "AWS_EC2_METADATA_DISABLED": "true"}, client="obstore") is False


@pytest.mark.parametrize("raw, clean", [
    ("Server returned non-2xx status code: 403 Forbidden: ", "Server returned non-2xx status code: 403 Forbidden"),
    ("max_retries: 10,", "max_retries: 10"),
    ("no such bucket..: .", "no such bucket"),
    ("fine (in s3://b/p)", "fine (in s3://b/p)"),
])
def test_tidy_drops_trailing_punctuation_only(raw, clean):
    assert tidy(raw) == clean


@pytest.fixture
def recording_endpoint():
    with recording_server() as endpoint:
        yield endpoint


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
@pytest.mark.parametrize("region_var", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_documented_environment_variables_reach_the_server(no_credentials, recording_endpoint, backend, region_var,
                                                           monkeypatch):
    """AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and the
    region variables, read from the environment alone (no options)."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", backend)
    monkeypatch.setenv("AWS_ENDPOINT_URL", recording_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-from-env")
    monkeypatch.setenv(region_var, "eu-west-3")
    with open_store("s3://bkt/run", mode="r") as store:
        assert store.list_dir("") == []
    assert RecordingS3.seen, "no request reached the endpoint from AWS_ENDPOINT_URL"
    for request in RecordingS3.seen:
        assert "Credential=AKIDFROMENV/" in request["authorization"]
        assert "/eu-west-3/s3/aws4_request" in request["authorization"]
        assert request["x-amz-security-token"] == "token-from-env"


@pytest.mark.parametrize("profile", [None, "other"])
def test_shared_credentials_file_and_aws_profile_work_on_fsspec_only(no_credentials, recording_endpoint, profile,
                                                                    tmp_path, monkeypatch):
    """~/.aws/credentials (and AWS_PROFILE choosing a section of it) sign fsspec's requests;
    the obstore client ignores them, and says so at once."""
    section = profile or "default"
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        f"[{section}]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = s\n")
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)
    options = {"endpoint_url": recording_endpoint}
    monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", "fsspec")
    with open_store("s3://bkt/run", options=options) as store:
        assert store.list_dir("") == []
    assert RecordingS3.seen and all("Credential=AKIDFROMFILE/" in r["authorization"] for r in RecordingS3.seen)
    monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", "obstore")
    with pytest.raises(StorePermissionError, match="does not read ~/.aws/credentials"):
        open_store("s3://bkt/run", options=options)
