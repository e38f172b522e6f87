"""The sample icechunk repositories in tests/storage/data/, and how they were made.

``icechunk-format1`` was written by icechunk 1.1.21 and ``icechunk-format2`` by icechunk
2.3.0, each with ``python -m tests.storage.icechunk_fixtures DIR`` under that version (the
installed icechunk's default format).  They are shipped because neither leg can make the
other's format: icechunk 1.x writes format 1 only.  Each holds one commit on ``main``: a
root group and the int32 array ``x`` below.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import sys

import numpy as np

from zarrkit import core
from zarrkit.storage import open_store

DATA = pathlib.Path(__file__).parent / "data"
VALUES = np.array([[1, 2, 3], [4, 5, 6]], dtype="int32")


def write_sample_repository(path: str) -> None:
    """One commit: a root group and the array ``x`` holding :data:`VALUES`."""
    store = open_store("icechunk+" + pathlib.Path(path).absolute().as_uri(), mode="w")
    with store.transaction("sample"):
        core.create_group(store, "", attributes={"made_by": "tests/storage/icechunk_fixtures.py"})
        meta = core.create_array(store, "x", core.array_metadata(VALUES.shape, "int32", (1, 3)))
        core.write_region(store, "x", ..., VALUES, metadata=meta)
    store.close()


def copy_of(name: str, tmp_path: pathlib.Path) -> pathlib.Path:
    """A private copy of a shipped repository (tests may write to it)."""
    target = tmp_path / name
    shutil.copytree(DATA / name, target)
    return target


def tree_digest(root: pathlib.Path) -> dict[str, str]:
    """Every file under ``root`` with its SHA-256: equal before and after means untouched."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


if __name__ == "__main__":
    write_sample_repository(sys.argv[1])
