"""URL resolution, ref fragments, the normalised options dict and redaction."""

from __future__ import annotations

import os

import pytest

from zarrkit.errors import InvalidOptionError, UnsupportedURLError
from zarrkit.storage import open_store, parse_target, redact
from zarrkit.storage.url import resolve_options, to_icechunk_s3, to_obstore, to_s3fs


@pytest.mark.parametrize(
    "url, kind",
    [
        ("/data/x.zarr", "local"),
        ("relative/x.zarr", "local"),
        ("~/x.zarr", "local"),
        ("file:///data/x.zarr", "local"),
        ("file://localhost/data/x%20y.zarr", "local"),
        ("/data/x.ZIP", "zip"),
        ("/data/plate.ozx", "zip"),
        ("s3://b/p/archive.zip", "zip"),
        ("memory://name/prefix", "memory"),
        ("s3://bucket/prefix", "remote"),
        ("gs://bucket/prefix", "remote"),
        ("az://container/prefix", "remote"),
        ("https://example.org/data.zarr", "remote"),
        ("simplecache::s3://bucket/x", "fsspec"),
        ("icechunk+file:///data/repo", "icechunk"),
        ("icechunk+s3://bucket/repo#tag=v1", "icechunk"),
        ("icechunk+memory://scratch", "icechunk"),
    ],
)
def test_resolution_table(url, kind):
    assert parse_target(url).kind == kind


def test_file_url_is_percent_decoded_and_local():
    t = parse_target("file://localhost/data/x%20y.zarr")
    assert t.path == "/data/x y.zarr"
    assert parse_target("~/x.zarr").path == os.path.expanduser("~/x.zarr")


def test_refs_only_on_icechunk_urls():
    assert parse_target("icechunk+s3://b/r#snapshot=ABC").ref == ("snapshot", "ABC")
    assert parse_target("icechunk+file:///r").ref is None
    with pytest.raises(UnsupportedURLError, match="%23"):
        parse_target("s3://bucket/a#b")
    with pytest.raises(UnsupportedURLError):
        parse_target("icechunk+s3://b/r#colour=red")
    with pytest.raises(UnsupportedURLError, match="query"):
        parse_target("s3://bucket/a?versionId=3")
    # bare paths are never parsed for fragments or queries
    assert parse_target("/tmp/odd#name?.zarr").kind == "local"


def test_unknown_scheme_raises_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnsupportedURLError, match="unknown URL scheme 'nosuch'"):
        open_store("nosuch://x/y", mode="a")
    assert list(tmp_path.iterdir()) == []


def test_fsspec_memory_url_stays_in_memory(tmp_path, monkeypatch):
    """memory:// with backend="fsspec" once wrote into the current directory (the file ``a``)."""
    import fsspec

    monkeypatch.chdir(tmp_path)
    name = f"zk-cwd-{os.getpid()}"
    store = open_store(f"memory://{name}/run", backend="fsspec", mode="a")
    store.set("a", b"1")
    store.set("g/zarr.json", b"{}")
    assert list(tmp_path.iterdir()) == []
    assert store.kind == "fsspec" and "memory" in store.fs.protocol
    # the bytes live in fsspec's memory file system, visible to a second handle
    assert fsspec.filesystem("memory").cat_file(f"/{name}/run/a") == b"1"
    again = open_store(f"memory://{name}/run", backend="fsspec", mode="r")
    assert again.get("a") == b"1"
    assert sorted(again.list_dir("")) == ["a", "g/"]
    fsspec.filesystem("memory").rm(f"/{name}", recursive=True)


def test_backend_must_fit_the_target():
    with pytest.raises(UnsupportedURLError):
        open_store("s3://bucket/p", backend="local")
    with pytest.raises(InvalidOptionError):
        open_store("memory://", backend="carrier-pigeon")
    with pytest.raises(InvalidOptionError):
        open_store("memory://", mode="x")


def test_env_backend_value_is_checked(monkeypatch):
    monkeypatch.setenv("ZARRKIT_STORAGE_BACKEND", "tape")
    with pytest.raises(InvalidOptionError, match="ZARRKIT_STORAGE_BACKEND"):
        open_store("s3://bucket/p")


def test_unknown_option_lists_valid_keys():
    with pytest.raises(InvalidOptionError, match="endpoint_url, region"):
        open_store("s3://bucket/p", options={"endpoint": "http://x"})
    with pytest.raises(InvalidOptionError, match="not supported for gs"):
        resolve_options({"region": "eu"}, scheme="gs")


def test_defaults_resolved_once_for_all_clients():
    opts = resolve_options({"endpoint_url": "http://127.0.0.1:9000"}, env={})
    assert opts["allow_http"] and opts["path_style"] and opts["region"] == "us-east-1"
    assert to_obstore(opts, "s3")["client_options"] == {"allow_http": True}
    assert to_obstore(opts, "s3")["virtual_hosted_style_request"] is False
    assert to_s3fs(opts)["config_kwargs"]["s3"] == {"addressing_style": "path"}
    assert to_s3fs(opts)["skip_instance_cache"] is True
    ic = to_icechunk_s3(opts)
    assert ic["allow_http"] and ic["force_path_style"] and ic["from_env"]
    env_opts = resolve_options(None, env={"AWS_ENDPOINT_URL": "https://s3.example", "AWS_REGION": "eu-west-1"})
    assert env_opts["endpoint_url"] == "https://s3.example"
    assert env_opts["allow_http"] is False and env_opts["region"] == "eu-west-1"
    assert resolve_options(None, env={})["path_style"] is False


def test_redaction_hides_credentials():
    assert redact("s3://KEY:SECRET@bucket/p") == "s3://***@bucket/p"
    with pytest.raises(UnsupportedURLError) as info:
        parse_target("s3://KEY:SECRET@bucket/p?x=1")
    assert "SECRET" not in str(info.value)


def test_env_only_configuration_reaches_the_server(s3_endpoint, bucket, monkeypatch):
    """Endpoint from AWS_ENDPOINT_URL alone, for obstore and fsspec."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    for backend in ("obstore", "fsspec"):
        store = open_store(f"s3://{bucket}/{backend}", "a", backend=backend)
        store.set("zarr.json", b"{}")
        assert open_store(f"s3://{bucket}/{backend}", backend=backend).get("zarr.json") == b"{}"
