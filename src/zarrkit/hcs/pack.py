"""Packing a finished plate into one zip file (spec §3: zip is pack-only).

Wells are never written into a zip: a zip cannot rename, lock or claim, and many writers
would corrupt its central directory.  A plate is written as a folder (or to an object store),
finalized, and then packed: the root ``zarr.json`` (with its consolidated metadata) first,
other metadata breadth first, then chunks, all stored uncompressed (the chunks already are).

Example:
    >>> import os, tempfile, numpy as np
    >>> from zarrkit.hcs import ImageSpec, PlateReader, PlateSpec, PlateWriter
    >>> d = tempfile.mkdtemp()
    >>> w = PlateWriter.create(f"{d}/p.ome.zarr", PlateSpec.preset(6), ImageSpec("yx"))
    >>> _ = w.write_well("A1", [np.ones((8, 8), "uint16")]); _ = w.finalize()
    >>> pack_plate(f"{d}/p.ome.zarr", f"{d}/p.ozx") == f"{d}/p.ozx"
    True
    >>> [x.path for x in PlateReader(f"{d}/p.ozx").wells()]
    ['A/1']
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from zarrkit.errors import InvalidOptionError, PlateExistsError, SpecViolation

__all__ = ["pack_plate"]


def _check_finished(store) -> None:
    """The plate must be finalized: listed, consolidated, nothing unlisted or half-written."""
    import json

    from zarrkit.hcs.listing import scan_wells
    from zarrkit.hcs.reader import PlateReader

    listed = {w.path for w in PlateReader(store).wells()}
    if not listed:
        raise SpecViolation(f"{store.url}: the plate lists no wells; run `zarrkit hcs finalize` before packing")
    scan = scan_wells(store)
    if scan.incomplete:
        raise SpecViolation(f"{store.url}: wells {scan.incomplete[:5]} are still 'writing'; run `zarrkit hcs repair "
                            "--drop-incomplete` (or rewrite them) before packing")
    if set(scan.complete) != listed or "consolidated_metadata" not in json.loads(store.get("zarr.json")):
        raise SpecViolation(f"{store.url}: the listing is out of date; run `zarrkit hcs finalize` before packing")


def pack_plate(src: Any, dest: str, *, overwrite: bool = False,
               storage_options: Mapping[str, Any] | None = None) -> str:
    """Pack the finalized plate at ``src`` into the local zip ``dest`` (``.zip`` or ``.ozx``);
    returns ``dest``.  An existing ``dest`` raises PlateExistsError unless ``overwrite``.

    Example:
        >>> pack_plate("memory://nothing", "out.tar")
        Traceback (most recent call last):
        ...
        zarrkit.errors.InvalidOptionError: out.tar: a packed plate is a local .zip or .ozx file
    """
    from zarrkit.storage import open_store
    from zarrkit.storage.url import ZIP_SUFFIXES, parse_target
    from zarrkit.storage.zipstore import pack_directory

    dest = os.fspath(dest)
    if not dest.lower().endswith(ZIP_SUFFIXES) or parse_target(dest).inner.kind != "local":
        raise InvalidOptionError(f"{dest}: a packed plate is a local .zip or .ozx file")
    if os.path.exists(dest) and not overwrite:
        raise PlateExistsError(f"{dest} already exists; pass overwrite=True to replace it")
    with open_store(src, mode="r", options=storage_options) as store:
        _check_finished(store)
        pack_directory(store, dest)  # written beside dest, then renamed over it
    return dest
