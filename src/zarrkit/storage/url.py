"""Parsing store targets and normalising connection options.

Two jobs, both pure (no I/O):

* :func:`parse_target` turns a URL or path into a :class:`Target` that says which kind of
  store to build, following the resolution table of the storage spec (first match wins).
* :func:`resolve_options` turns the one normalised ``options`` dict into fully resolved
  settings (endpoint, region, HTTP, path style...) so obstore, s3fs and icechunk all agree;
  ``to_obstore`` / ``to_s3fs`` / ``to_icechunk_s3`` translate them per client.

Example:
    >>> t = parse_target("icechunk+s3://bucket/run1#branch=dev")
    >>> (t.kind, t.scheme, t.bucket, t.prefix, t.ref)
    ('icechunk', 's3', 'bucket', 'run1', ('branch', 'dev'))
    >>> parse_target("memory://scratch/a/b").prefix
    'a/b'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import unquote

from zarrkit.errors import InvalidOptionError, UnsupportedURLError

REMOTE_SCHEMES = frozenset({"s3", "gs", "gcs", "az", "abfs", "http", "https"})
ICECHUNK_SCHEMES = frozenset({"file", "s3", "memory", "gs", "gcs", "az"})
ZIP_SUFFIXES = (".zip", ".ozx")
REF_KINDS = ("branch", "tag", "snapshot")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/@]*@")


def redact(url: str) -> str:
    """Hide credentials embedded in a URL's user-info part.

    Example:
        >>> redact("s3://AKIA:secret@bucket/data")
        's3://***@bucket/data'
    """
    return _USERINFO.sub(r"\1***@", url)


@dataclass(frozen=True)
class Target:
    """What a URL asks for. ``kind`` is one of local, memory, zip, remote, fsspec, icechunk."""

    kind: str
    raw: str
    scheme: str = ""
    path: str = ""  # local root, fsspec URL, or the zip's own location
    bucket: str = ""
    prefix: str = ""
    ref: tuple[str, str] | None = None
    inner: "Target | None" = field(default=None, repr=False)  # zip: where the zip file lives

    @property
    def url(self) -> str:
        """The target as shown to users: credentials redacted, fragment kept."""
        return redact(self.raw)


def _split_fragment(url: str) -> tuple[str, str | None]:
    if "#" in url:
        base, frag = url.split("#", 1)
        return base, frag
    return url, None


def _parse_ref(fragment: str, url: str) -> tuple[str, str]:
    name, sep, value = fragment.partition("=")
    if not sep or name not in REF_KINDS or not value:
        raise UnsupportedURLError(
            f"fragment must be exactly one of #branch=NAME, #tag=NAME, #snapshot=ID, not #{fragment}",
            url=redact(url),
        )
    return name, unquote(value)


def _is_zip(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.lower().endswith(ZIP_SUFFIXES)


def _known_fsspec_protocol(scheme: str) -> bool:
    try:
        from fsspec.registry import known_implementations, registry
    except ImportError:
        return False
    return scheme in known_implementations or scheme in registry


def parse_target(target: str | os.PathLike) -> Target:
    """Classify a URL or path by the storage spec's resolution table (first match wins).

    Raises :class:`UnsupportedURLError` for unknown schemes, query strings, and fragments
    anywhere but on icechunk URLs.  Bare paths are never parsed for fragments or queries.

    Example:
        >>> parse_target("/tmp/data.zarr").kind
        'local'
        >>> parse_target("s3://bucket/a.zip").kind
        'zip'
    """
    raw = os.fspath(target)
    if not isinstance(raw, str):
        raw = os.fsdecode(raw)
    if "::" in raw:
        return Target("fsspec", raw, scheme=raw.split("://", 1)[0], path=raw)
    m = _SCHEME.match(raw)
    # A one-letter scheme is a Windows drive, so it is a path.
    if m is None or len(m.group(1)) == 1:
        path = os.path.abspath(os.path.expanduser(raw))
        kind = "zip" if _is_zip(path) else "local"
        inner = Target("local", raw, path=path) if kind == "zip" else None
        return Target(kind, raw, path=path, inner=inner)

    scheme = m.group(1).lower()
    base, fragment = _split_fragment(raw)

    if scheme.startswith("icechunk+"):
        sub = scheme[len("icechunk+"):]
        if sub not in ICECHUNK_SCHEMES:
            raise UnsupportedURLError(f"icechunk over {sub!r} is not supported", url=redact(raw))
        ref = _parse_ref(fragment, raw) if fragment is not None else None
        _refuse_query(base, raw)
        rest = base[len(m.group(0)):]
        if sub == "file":
            return Target("icechunk", raw, scheme=sub, path=_file_path(rest, raw), ref=ref)
        bucket, _, prefix = rest.partition("/")
        return Target("icechunk", raw, scheme=sub, bucket=bucket, prefix=prefix.strip("/"), ref=ref)

    if fragment is not None:
        raise UnsupportedURLError(
            "only icechunk URLs take a #fragment; write '#' in a key as %23", url=redact(raw)
        )
    _refuse_query(base, raw)
    rest = raw[len(m.group(0)):]

    if scheme == "file":
        path = _file_path(rest, raw)
        kind = "zip" if _is_zip(path) else "local"
        inner = Target("local", raw, path=path) if kind == "zip" else None
        return Target(kind, raw, scheme="file", path=path, inner=inner)
    if scheme == "memory":
        name, _, prefix = rest.partition("/")
        return Target("memory", raw, scheme="memory", bucket=name, prefix=prefix.strip("/"))
    if scheme in REMOTE_SCHEMES:
        bucket, _, prefix = rest.partition("/")
        remote = Target("remote", raw, scheme=scheme, bucket=bucket, prefix=prefix.strip("/"), path=raw)
        if _is_zip(prefix):
            return Target("zip", raw, scheme=scheme, path=raw, inner=remote)
        return remote
    if _known_fsspec_protocol(scheme):
        return Target("fsspec", raw, scheme=scheme, path=raw)
    raise UnsupportedURLError(f"unknown URL scheme {scheme!r}", url=redact(raw))


def _refuse_query(base: str, raw: str) -> None:
    if "?" in base:
        raise UnsupportedURLError(
            "query strings are not accepted (keys may contain '?'); pass settings in options=",
            url=redact(raw),
        )


def _file_path(rest: str, raw: str) -> str:
    host, slash, path = rest.partition("/")
    if host not in ("", "localhost"):
        raise UnsupportedURLError(f"file URLs name no host other than localhost, got {host!r}", url=raw)
    return os.path.abspath(unquote("/" + path))


# ---------------------------------------------------------------------------- options

OPTION_KEYS = (
    "endpoint_url",
    "region",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "anonymous",
    "allow_http",
    "path_style",
    "max_retries",
    "timeout",
    "requester_pays",
)
_NON_S3_KEYS = ("endpoint_url", "anonymous")


def resolve_options(
    options: Mapping[str, Any] | None, *, scheme: str = "s3", env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Check ``options`` against the normalised keys and fill in the shared defaults.

    Defaults are resolved here, once, so every client sees the same settings: the endpoint
    from ``AWS_ENDPOINT_URL``; ``allow_http`` iff the endpoint is ``http://``; path-style
    addressing whenever an endpoint is set; the region from ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``, else ``us-east-1`` when an endpoint is set.

    Example:
        >>> resolve_options({"endpoint_url": "http://127.0.0.1:9000"}, env={})["allow_http"]
        True
        >>> resolve_options({"colour": "red"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zarrkit.errors.InvalidOptionError: unknown option 'colour'; valid options: endpoint_url, region, ..., requester_pays
    """
    env = os.environ if env is None else env
    opts = dict(options or {})
    valid = OPTION_KEYS if scheme == "s3" else _NON_S3_KEYS
    for key in opts:
        if key not in OPTION_KEYS:
            raise InvalidOptionError(f"unknown option {key!r}; valid options: {', '.join(OPTION_KEYS)}")
        if key not in valid:
            raise InvalidOptionError(
                f"option {key!r} is not supported for {scheme}:// yet; supported: {', '.join(valid)}"
            )
    if scheme != "s3":
        return opts
    endpoint = opts.get("endpoint_url") or env.get("AWS_ENDPOINT_URL") or None
    opts["endpoint_url"] = endpoint
    if opts.get("allow_http") is None:
        opts["allow_http"] = bool(endpoint and endpoint.startswith("http://"))
    if opts.get("path_style") is None:
        opts["path_style"] = endpoint is not None
    if not opts.get("region"):
        opts["region"] = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or (
            "us-east-1" if endpoint else None
        )
    if opts.get("access_key_id") and not opts.get("secret_access_key"):
        raise InvalidOptionError("access_key_id given without secret_access_key")
    return opts


def to_obstore(opts: Mapping[str, Any], scheme: str) -> dict[str, Any]:
    """Keyword arguments for ``obstore.store.from_url`` from resolved options."""
    from datetime import timedelta

    kw: dict[str, Any] = {}
    client: dict[str, Any] = {}
    if scheme == "s3":
        for ours, theirs in (
            ("endpoint_url", "endpoint"),
            ("region", "region"),
            ("access_key_id", "access_key_id"),
            ("secret_access_key", "secret_access_key"),
            ("session_token", "token"),
        ):
            if opts.get(ours):
                kw[theirs] = opts[ours]
        if opts.get("anonymous"):
            kw["skip_signature"] = True
        kw["virtual_hosted_style_request"] = not opts.get("path_style", False)
        if opts.get("requester_pays"):
            kw["request_payer"] = True
        if opts.get("allow_http"):
            client["allow_http"] = True
    else:
        if opts.get("anonymous"):
            kw["skip_signature"] = True
        if opts.get("endpoint_url"):
            kw["endpoint" if scheme in ("az", "abfs") else "url"] = opts["endpoint_url"]
            if opts["endpoint_url"].startswith("http://"):
                client["allow_http"] = True
    if opts.get("timeout") is not None:
        client["timeout"] = f"{float(opts['timeout'])}s"
    if client:
        kw["client_options"] = client
    if opts.get("max_retries") is not None:
        kw["retry_config"] = {
            "max_retries": int(opts["max_retries"]),
            "retry_timeout": timedelta(seconds=float(opts.get("timeout") or 10) * 3),
        }
    return kw


def to_s3fs(opts: Mapping[str, Any]) -> dict[str, Any]:
    """``storage_options`` for s3fs from resolved options (always without instance caching)."""
    so: dict[str, Any] = {"skip_instance_cache": True}
    if opts.get("endpoint_url"):
        so["endpoint_url"] = opts["endpoint_url"]
    if opts.get("region"):
        so["client_kwargs"] = {"region_name": opts["region"]}
    if opts.get("access_key_id"):
        so["key"] = opts["access_key_id"]
        so["secret"] = opts["secret_access_key"]
    if opts.get("session_token"):
        so["token"] = opts["session_token"]
    if opts.get("anonymous"):
        so["anon"] = True
    if opts.get("requester_pays"):
        so["requester_pays"] = True
    config: dict[str, Any] = {}
    if opts.get("path_style"):
        config["s3"] = {"addressing_style": "path"}
    if opts.get("max_retries") is not None:
        config["retries"] = {"max_attempts": int(opts["max_retries"]) + 1, "mode": "standard"}
    if opts.get("timeout") is not None:
        config["connect_timeout"] = config["read_timeout"] = float(opts["timeout"])
    if config:
        so["config_kwargs"] = config
    return so


def to_icechunk_s3(opts: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``icechunk.s3_storage`` (bucket and prefix are added by the caller)."""
    kw: dict[str, Any] = {}
    for key in ("endpoint_url", "region", "access_key_id", "secret_access_key", "session_token"):
        if opts.get(key):
            kw[key] = opts[key]
    if opts.get("anonymous"):
        kw["anonymous"] = True
    elif not opts.get("access_key_id"):
        kw["from_env"] = True
    if opts.get("allow_http"):
        kw["allow_http"] = True
    if opts.get("path_style"):
        kw["force_path_style"] = True
    if opts.get("timeout") is not None:
        kw["network_stream_timeout_seconds"] = max(1, int(opts["timeout"]))
    if opts.get("requester_pays"):
        kw["requester_pays"] = True
    return kw
