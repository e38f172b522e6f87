"""A loopback HTTP server that answers like an empty S3 bucket and records each request's
headers, to check what a client really sent (signature, region, token, or none)."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingS3(BaseHTTPRequestHandler):
    """Answers every request with an empty bucket listing and records the headers."""

    seen: list[dict[str, str]] = []

    def _answer(self, body: bytes = b"") -> None:
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_HEAD(self):  # noqa: N802 - the http.server naming
        self._answer()

    def do_GET(self):  # noqa: N802
        self._answer(b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bkt</Name>'
                     b"<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
                     b"</ListBucketResult>")

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def recording_server():
    """Serve on a free loopback port; yields the endpoint URL, with ``RecordingS3.seen`` emptied."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingS3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    RecordingS3.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
