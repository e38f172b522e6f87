"""Module-level functions run in spawned processes by the concurrency and crash tests."""

from __future__ import annotations

import os
import sys
import time

from tests.hcs.conftest import field_data


def write_one(task):
    """Open the plate and write one well; returns (well, outcome)."""
    from zarrkit.errors import WellExistsError
    from zarrkit.hcs import PlateWriter

    url, well, seed, options = task
    try:
        with PlateWriter.open(url, storage_options=options) as w:
            w.write_well(well, {"0": field_data(seed, (2, 16, 16)), "1": field_data(seed + 1, (2, 16, 16))})
        return well, "ok"
    except WellExistsError:
        return well, "exists"


def _pause(ready: str):
    open(ready, "w").close()
    time.sleep(600)


def crash_at(url: str, point: str, ready: str, options: str = "null") -> None:
    """Write well C/4 and stop at ``point`` forever (the parent SIGKILLs us there);
    ``options`` are the store's storage options as JSON."""
    import json

    from zarrkit.hcs import PlateWriter, listing, staging

    if point in ("object-mid-chunks", "icechunk-before-commit"):
        w = PlateWriter.open(url, storage_options=json.loads(options))
        if point == "object-mid-chunks":  # after the 'writing' claim, before any chunk
            w.store.set_many = lambda *a, **k: _pause(ready)
        else:  # everything written in the session, nothing committed
            w.publisher.commit = lambda message: _pause(ready)
        w.write_well("C4", {"0": field_data(77, (2, 16, 16))})

    if point == "mid-chunks":
        real = staging._write_file
        count = [0]

        def write_file(path, data, durable):
            count[0] += 1
            if count[0] == 3:
                _pause(ready)
            real(path, data, durable)

        staging._write_file = write_file
    elif point == "before-publish":
        staging.StagedWell.publish = lambda self, target, overwrite=False: _pause(ready)
    elif point == "mid-merge":
        listing.merge_listing = lambda *a, **k: _pause(ready)
    w = PlateWriter.open(url)
    w.write_well("C4", {"0": field_data(77, (2, 16, 16)), "1": field_data(78, (2, 16, 16))})


if __name__ == "__main__":
    crash_at(*sys.argv[1:5])
    sys.exit(os.EX_OK)
