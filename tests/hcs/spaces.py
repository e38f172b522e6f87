"""Where the file-like backend's contract tests run: a local folder, a named memory store, and
a bucket on the loopback S3 server — one contract, three stores."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

KINDS = ["local", "memory", "s3"]


@dataclass
class Where:
    """One test's corner of a store kind: ``base`` is a folder path or URL nothing else uses."""

    kind: str
    base: str
    options: dict[str, Any] | None = None
    bucket: str = ""
    endpoint: str = ""

    def path(self, *parts: str) -> str:
        return "/".join([self.base, *parts])

    def snapshot(self) -> Any:
        """Every file or object (with its size) in this corner, read with the kind's own tools,
        not zarrkit's: local ``os.walk``, the memory registry, boto3 against the S3 server."""
        if self.kind == "local":
            out = []
            for dirpath, dirs, files in os.walk(self.base):
                for name in dirs + files:
                    p = os.path.join(dirpath, name)
                    out.append((p, os.path.getsize(p) if os.path.isfile(p) else -1))
            return sorted(out)
        if self.kind == "memory":
            from zarrkit.storage import memory

            bucket = memory._REGISTRY.get(self.bucket)
            return None if bucket is None else sorted((k, len(v)) for k, v in bucket.objects.items())
        from tests.conftest import s3_client

        listed = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket)
        return sorted((o["Key"], o["Size"]) for o in listed.get("Contents", []))

    def nowhere(self) -> str:
        """A location in a store that does not exist at all (another folder, memory store or bucket)."""
        if self.kind == "local":
            return os.path.join(self.base, "absent", "nowhere.zarr")
        scheme = "memory" if self.kind == "memory" else "s3"
        return f"{scheme}://absent-{uuid.uuid4().hex[:8]}/nowhere.zarr"


def make_where(kind: str, request, tmp_path) -> Where:
    if kind == "local":
        base = tmp_path / "w"
        base.mkdir()
        return Where("local", str(base))
    if kind == "memory":
        name = f"fb-{uuid.uuid4().hex[:10]}"
        return Where("memory", f"memory://{name}/w", bucket=name)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    return Where("s3", f"s3://{bucket}/w", options=request.getfixturevalue("s3_options"), bucket=bucket,
                 endpoint=endpoint)
