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
    """A TCP forwarder on 127.0.0.1 whose ``cut()`` severs every connection both ways.

    It accepts on its own socket rather than through ``asyncio.start_server``: on Python
    3.12+ a connection accepted just before ``Server.close()`` gets no transport (asyncio's
    ``Server._attach`` asserts the server is open), so it was never served and never closed
    until garbage collection, and a client waiting on it (aiohttp's ``100 Continue``) hung.
    ``blackhole()`` reproduces that state on purpose: connections complete and are never answered.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.listener: socket.socket | None = None
        self.acceptor: asyncio.Task | None = None
        self.epoch = 0  # bumped by every cut; a connection from an older epoch is dropped
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task] = set()
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

    async def _accept(self, listener):
        # accept() runs with no await between it and handing the socket over: a cancel (the
        # cut) can only land while waiting, never after the kernel gave a connection away,
        # which loop.sock_accept allows (the accepted socket was then lost and stayed open).
        loop = asyncio.get_running_loop()
        fd = listener.fileno()
        while True:
            ready = loop.create_future()
            loop.add_reader(fd, lambda f=ready: f.done() or f.set_result(None))
            try:
                await ready
            finally:
                loop.remove_reader(fd)
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                continue
            task = loop.create_task(self._handle(conn, self.epoch))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _handle(self, conn, epoch):
        mine: list[asyncio.StreamWriter] = []
        served = False
        try:
            if epoch != self.epoch:
                return
            reader, writer = await asyncio.open_connection(sock=conn)
            mine.append(writer)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            mine.append(up_writer)
            if epoch != self.epoch:  # cut while connecting upstream
                return
            self.writers.update(mine)
            served = True
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except OSError:
            pass
        finally:
            if epoch != self.epoch or not served:
                for w in mine:
                    w.transport.abort()
                conn.close()
            self.writers.difference_update(mine)

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def _listen(self) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.setblocking(False)
        return listener

    def restore(self) -> None:
        """Listen again on the same port and forward new connections."""
        async def start():
            self.listener = self._listen()
            self.acceptor = asyncio.get_running_loop().create_task(self._accept(self.listener))

        self._run(start())

    def cut(self) -> None:
        """Stop listening and abort every connection, whatever stage it is in."""
        async def stop():
            self.epoch += 1
            if self.acceptor is not None:
                self.acceptor.cancel()
                # the acceptor stops watching the socket before it closes
                await asyncio.gather(self.acceptor, return_exceptions=True)
                self.acceptor = None
            if self.listener is not None:
                self.listener.close()  # the kernel resets connections still in the backlog
                self.listener = None
            for w in list(self.writers):
                w.transport.abort()
            self.writers.clear()
            await asyncio.sleep(0)  # let handlers of older epochs see the cut and drop their sockets

        self._run(stop())

    def blackhole(self) -> None:
        """Cut, then accept connections at the TCP level and never answer (a hung server)."""
        self.cut()

        async def start():
            self.listener = self._listen()  # never accepted: the kernel completes handshakes

        self._run(start())

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
