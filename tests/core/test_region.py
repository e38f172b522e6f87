"""Region functions: concurrent partial writes into one shard."""

from __future__ import annotations

import threading

from zarrkit import core
from zarrkit.storage import open_store


def test_concurrent_partial_writes_to_one_shard(tmp_path):
    s = open_store(str(tmp_path / "s"), mode="w")
    m = core.create_array(s, "a", core.array_metadata((16,), "u1", (1,), shards=(16,)))

    def writer(i):
        core.write_region(s, "a", i, i + 1, metadata=m)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert core.read_region(s, "a", ..., metadata=m).tolist() == list(range(1, 17))
