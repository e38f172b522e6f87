"""The store matrix: one way to open each backend, and a small Zarr-shaped data set.

Keys are Zarr-shaped (a root group, an array document, chunk keys) because icechunk only
stores Zarr hierarchies.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest

from zarrkit.storage import open_store

GROUP = json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {"title": "matrix"}}).encode()


def array_doc(shape=(4, 4), chunks=(2, 2), dtype="uint8") -> bytes:
    return json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "bytes"}], "attributes": {}, "dimension_names": ["y", "x"],
    }).encode()


def sample_objects() -> dict[str, bytes]:
    """A root group, a sub-group, and a 4x4 uint8 array with four 2x2 chunks."""
    objects = {"zarr.json": GROUP, "g/zarr.json": GROUP, "g/arr/zarr.json": array_doc()}
    for i in range(2):
        for j in range(2):
            objects[f"g/arr/c/{i}/{j}"] = bytes([i * 2 + j] * 4)
    return objects


@dataclass
class Case:
    """How to open one backend: ``open(mode)``; ``reopen_for_read()`` after writing."""

    name: str
    url: str
    options: dict | None = None
    backend: str | None = None

    def open(self, mode: str, **kw):
        return open_store(self.url, mode, options=self.options, backend=self.backend, **kw)

    def finish(self, store):
        """Make writes visible to new readers: commit (icechunk) or close (zip)."""
        if store.kind == "icechunk":
            store.commit("test")
        elif store.kind == "zip":
            store.close()

    def reader(self):
        return self.open("r")


def make_case(name: str, tmp_path, request) -> Case:
    uid = uuid.uuid4().hex[:8]
    if name.startswith("icechunk"):
        pytest.importorskip("icechunk")  # an optional extra: skip its cases, run the rest
    if name == "local":
        return Case(name, str(tmp_path / "store.zarr"))
    if name == "memory":
        return Case(name, f"memory://mx-{uid}/prefix")
    if name == "zip":
        return Case(name, str(tmp_path / "store.zip"))
    if name == "icechunk-local":
        return Case(name, f"icechunk+file://{tmp_path / 'repo'}")
    if name == "icechunk-memory":
        return Case(name, f"icechunk+memory://mx-{uid}")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    opts = {"endpoint_url": endpoint, "access_key_id": "testing", "secret_access_key": "testing"}
    if name == "obstore-s3":
        return Case(name, f"s3://{bucket}/run", opts, backend="obstore")
    if name == "fsspec-s3":
        return Case(name, f"s3://{bucket}/run", opts, backend="fsspec")
    if name == "icechunk-s3":
        return Case(name, f"icechunk+s3://{bucket}/repo", opts)
    raise ValueError(name)


ALL_CASES = ["local", "memory", "zip", "obstore-s3", "fsspec-s3", "icechunk-local", "icechunk-memory", "icechunk-s3"]
WRITABLE_IN_PLACE = [c for c in ALL_CASES if c != "zip"]
