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


#: the well each kill point writes (the object-store and icechunk points run side by side)
WELL_AT = {"object-mid-chunks": "C4", "object-before-publish": "C5", "icechunk-mid-chunks": "C4",
           "icechunk-before-commit": "C5"}


def _half_then_pause(set_many, ready):
    """``store.set_many`` that stores the first half of a well's chunks and then stops."""
    def partial(items, *a, **k):
        pairs = sorted(items.items() if hasattr(items, "items") else items)
        set_many(pairs[: len(pairs) // 2])
        _pause(ready)
    return partial


def _object_point(url: str, point: str, ready: str, options) -> None:
    """Kill points on object stores and icechunk: mid-chunks (half the chunks stored), before
    publish (everything but the well's complete document; on icechunk: before the commit),
    mid-listing (finalize stopped after writing the listing, before consolidating)."""
    from zarrkit import core
    from zarrkit.hcs import PlateWriter

    w = PlateWriter.open(url, storage_options=options)
    if point.endswith("mid-listing"):
        core.consolidate = lambda *a, **k: _pause(ready)
        w.finalize()
    if point.endswith("mid-chunks"):
        w.store.set_many = _half_then_pause(w.store.set_many, ready)
    elif point == "object-before-publish":
        real_set = w.store.set

        def set_(key, value):
            if key == "C/5/zarr.json" and b'"complete"' in value:
                _pause(ready)
            real_set(key, value)

        w.store.set = set_
    elif point == "icechunk-before-commit":  # everything written in the session, nothing committed
        w.publisher.commit = lambda message: _pause(ready)
    w.write_well(WELL_AT[point], {"0": field_data(77, (2, 16, 16)), "1": field_data(78, (2, 16, 16))})
    raise AssertionError(f"the writer never reached {point}")


def crash_at(url: str, point: str, ready: str, options: str = "null") -> None:
    """Write well C/4 (or the point's well) and stop at ``point`` forever (the parent SIGKILLs
    us there); ``options`` are the store's storage options as JSON."""
    import json

    from zarrkit.hcs import PlateWriter, listing, staging

    if point.startswith(("object-", "icechunk-")):
        return _object_point(url, point, ready, json.loads(options))
    if point == "mid-chunks":
        from zarrkit.storage import localfs

        real = localfs.write_file
        count = [0]

        def write_file(path, data, durable=False):
            count[0] += 1
            if count[0] == 3:
                _pause(ready)
            real(path, data, durable)

        localfs.write_file = write_file
    elif point == "before-publish":
        staging.StagedWell.publish = lambda self, target, overwrite=False: _pause(ready)
    elif point == "mid-merge":
        listing.merge_listing = lambda *a, **k: _pause(ready)
    elif point == "mid-listing":  # a finalize, stopped after the listing and before consolidating
        from zarrkit import core

        core.consolidate = lambda *a, **k: _pause(ready)
        PlateWriter.open(url).finalize()
    w = PlateWriter.open(url)
    w.write_well("C4", {"0": field_data(77, (2, 16, 16)), "1": field_data(78, (2, 16, 16))})


if __name__ == "__main__":
    crash_at(*sys.argv[1:5])
    sys.exit(os.EX_OK)
