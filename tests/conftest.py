"""Shared test rig: a loopback S3 server (moto), per-test buckets, icechunk repositories,
and a TCP proxy that can cut every connection for outage tests.  Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid

import pytest

KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}

# Credentials and proxies for the loopback server only; set before any client is built.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")
for var in ("NO_PROXY", "no_proxy"):
    os.environ[var] = ",".join(filter(None, [os.environ.get(var, ""), "127.0.0.1,localhost"]))
os.environ.pop("AWS_ENDPOINT_URL", None)
# icechunk warns on every local repository that it is single-committer; tests know.
os.environ.setdefault("ICECHUNK_LOG", "icechunk=error")
os.environ.pop("ZARRKIT_STORAGE_BACKEND", None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_RUNNING: dict[str, str] = {}


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free loopback port for the whole session."""
    moto_server = pytest.importorskip("moto.server")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _RUNNING["endpoint"] = f"http://127.0.0.1:{port}"
    yield _RUNNING["endpoint"]
    server.stop()
    _RUNNING.clear()


@pytest.fixture(scope="module", autouse=True)
def _reset_moto_between_modules():
    """moto keeps every object in memory; empty it after each module that used it."""
    yield
    endpoint = _RUNNING.get("endpoint")
    if endpoint:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def bucket(s3_endpoint):
    """A fresh bucket for one test."""
    name = f"zk-{uuid.uuid4().hex[:8]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_options(s3_endpoint):
    return {"endpoint_url": s3_endpoint, **KEYS}


class CutProxy:
    """A TCP forwarder on 127.0.0.1 whose ``cut()`` severs every connection both ways."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.restore()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.writers.discard(writer)
        self.writers.discard(up_writer)

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def restore(self) -> None:
        async def start():
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

        self._run(start())

    def cut(self) -> None:
        async def stop():
            self.server.close()
            for w in list(self.writers):
                w.transport.abort()
            self.writers.clear()
            await self.server.wait_closed()

        self._run(stop())

    def close(self) -> None:
        try:
            self.cut()
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def cut_proxy(s3_endpoint):
    proxy = CutProxy(int(s3_endpoint.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()
