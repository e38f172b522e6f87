"""A writer killed with SIGKILL mid-write never leaves a torn chunk, on either backend.

zarrs encodes but zarrkit's local store writes (temp file + rename), so after any kill
every stored chunk decodes to one complete generation of the data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from zarrkit import core
from zarrkit.storage import open_store

WRITER = r"""
import sys, numpy as np
from zarrkit import core
from zarrkit.storage import open_store
store = open_store(sys.argv[1], mode="r+")
meta = core.read_metadata(store, "a")
gen = 1
while True:
    core.write_region(store, "a", ..., np.full(meta.shape, gen % 250 + 1, "uint8"), metadata=meta, backend=sys.argv[2])
    gen += 1
    print(gen, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["python", "auto"])
def test_sigkill_leaves_only_whole_chunks(tmp_path, backend):
    path = str(tmp_path / "k.zarr")
    store = open_store(path, mode="w")
    meta = core.create_array(store, "a", core.array_metadata((256, 256), "uint8", (32, 32), shards=(64, 64)))
    rng = np.random.default_rng(0)
    for trial in range(10):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, path, backend], stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # at least one full generation is on disk
        time.sleep(float(rng.uniform(0.0, 0.15)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        reader = open_store(path, mode="r")
        data = core.read_region(reader, "a", ..., metadata=meta, backend="python", missing="raise")
        for (i, j), _ in core.Array(reader, "a").iter_chunks(inner=True):
            block = data[i * 32 : (i + 1) * 32, j * 32 : (j + 1) * 32]
            assert (block == block.flat[0]).all(), f"trial {trial}: inner chunk {(i, j)} mixes generations"
        # half-written temp files may remain on disk, but the store never lists them
        assert all(k.count("/") == 3 or k.endswith("zarr.json") for k in reader.list_prefix(""))
