"""What is checked before an S3 client is built, and how client failures are worded.

Two mistakes used to surface as client-library noise.  Without credentials, obstore printed
its instance-metadata request, icechunk said "dispatch failure" and s3fs said the bucket did
not exist.  With nothing listening on the endpoint, s3fs retried for 15–20 s and then also
said the bucket did not exist.  So before any client is built, :func:`check_s3_access` looks
for a credential source (without network I/O) and makes one TCP connection to an explicit
endpoint; and :func:`missing_credentials` / :func:`tidy` let each backend's error
translation name the cause in words a person can act on.

Example:
    >>> tidy("error sending request ... max_retries: 10,")
    'error sending request ... max_retries: 10'
    >>> missing_credentials("no providers in chain provided credentials")
    True
"""

from __future__ import annotations

import os
import re
import socket
import urllib.request
from typing import Any, Mapping
from urllib.parse import urlsplit

from zarrkit.errors import StoreIOError, StorePermissionError

CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys), "
    "pass the access_key_id and secret_access_key options, or anonymous=True for a public bucket"
)
# Seconds to wait for the endpoint's TCP handshake: a refused port answers at once, a
# firewalled one should not hold the user for the clients' full retry budget.
CONNECT_TIMEOUT = 3.0

# Text the three clients produce when no credential provider answered.
_NO_CREDENTIAL_MARKERS = (
    "169.254.169.254",  # obstore fell through to the EC2 instance-metadata service
    "no providers in chain provided credentials",  # icechunk (aws-sdk-rust), nothing configured
    "an error occurred while loading credentials",  # icechunk, after its instance-metadata lookup failed
    "unable to locate credentials",  # botocore NoCredentialsError (s3fs)
)
_TRAILING_NOISE = re.compile(r"[\s:;,.\-|]+$")


def tidy(text: str) -> str:
    """``text`` without the trailing punctuation client libraries leave (``"...: ."``, ``","``).

    Example:
        >>> tidy("access denied: .")
        'access denied'
    """
    return _TRAILING_NOISE.sub("", text.strip())


def missing_credentials(text: str) -> bool:
    """Whether a client's error text says no credential provider answered.

    Example:
        >>> missing_credentials("Unable to locate credentials")
        True
    """
    lowered = text.lower()
    return any(marker in lowered for marker in _NO_CREDENTIAL_MARKERS)


def no_credentials_error(url: str, *, key: str | None = None, op: str | None = None,
                         client: str = "") -> StorePermissionError:
    """The one error for "no credentials were found", with how to give them.

    Example:
        >>> str(no_credentials_error("s3://b/p")).startswith("no AWS credentials found; set AWS_ACCESS_KEY_ID")
        True
    """
    note = ""
    if client == "obstore":
        # object_store reads the environment and instance metadata, never ~/.aws files.
        note = " (the obstore client does not read ~/.aws/credentials; ZARRKIT_STORAGE_BACKEND=fsspec does)"
    return StorePermissionError(f"no AWS credentials found{note}; {CREDENTIALS_HINT}", url=url, key=key, op=op)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def credential_source(opts: Mapping[str, Any], env: Mapping[str, str], client: str = "") -> bool | None:
    """``True`` if some credential source is present, ``False`` if none can be, ``None`` if
    only the EC2 instance-metadata service might answer (looked up by the clients, not here).

    No network I/O: environment variables and the existence of the shared AWS files only.
    The obstore client reads neither AWS_PROFILE nor the shared files, so for it they do not count.

    Example:
        >>> credential_source({}, {"AWS_EC2_METADATA_DISABLED": "true", "HOME": "/nonexistent"})
        False
        >>> credential_source({"access_key_id": "AK"}, {})
        True
    """
    if opts.get("access_key_id") or env.get("AWS_ACCESS_KEY_ID"):
        return True
    if any(env.get(var) for var in ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                    "AWS_CONTAINER_CREDENTIALS_FULL_URI")):
        return True
    home = env.get("HOME") or os.path.expanduser("~")
    files = (env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials"),
             env.get("AWS_CONFIG_FILE") or os.path.join(home, ".aws", "config"))
    if client != "obstore" and (env.get("AWS_PROFILE") or any(os.path.isfile(path) for path in files)):
        return True
    return False if _truthy(env.get("AWS_EC2_METADATA_DISABLED")) else None


def probe_endpoint(endpoint: str, url: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Open (and close) one TCP connection to ``endpoint``; a refusal is a :class:`StoreIOError`.

    Skipped when a proxy would carry the request, since the clients then never connect
    directly.

    Example:
        >>> probe_endpoint("http://127.0.0.1:1", "s3://b/p")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zarrkit.errors.StoreIOError: open in s3://b/p: cannot connect to http://127.0.0.1:1: connection refused; ...
    """
    parts = urlsplit(endpoint)
    host = parts.hostname
    if not host:
        return
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        reason = "connection refused"
    except socket.gaierror:
        reason = f"unknown host {host!r}"
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"
    except OSError as err:
        reason = tidy(err.strerror or str(err))
    else:
        return
    raise StoreIOError(f"cannot connect to {endpoint}: {reason}; check the endpoint URL and that the server is running",
                       url=url, op="open")


def check_s3_access(opts: Mapping[str, Any], url: str, *, client: str = "",
                    env: Mapping[str, str] | None = None) -> None:
    """Before an S3 client is built: refuse at once when no credentials can exist, and when
    the explicit endpoint refuses connections.  ``opts`` are resolved options.

    Example:
        >>> check_s3_access({"anonymous": True, "endpoint_url": None}, "s3://b/p")  # nothing to check
    """
    env = os.environ if env is None else env
    if not opts.get("anonymous") and credential_source(opts, env, client) is False:
        raise no_credentials_error(url, op="open", client=client)
    if opts.get("endpoint_url"):
        probe_endpoint(opts["endpoint_url"], url, timeout=min(CONNECT_TIMEOUT, float(opts.get("timeout") or 60)))
