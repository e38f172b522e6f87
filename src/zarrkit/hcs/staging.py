"""Local POSIX publishing of wells (spec §3), on the local primitives of
:mod:`zarrkit.storage.localfs`: a well is staged in ``<plate>.staging/<row>-<col>-<uuid4>/``
under a directory flock and moved into place with one ``rename`` (the exclusive claim);
incremental listings lock the plate directory itself; row groups appear and disappear
without ever hiding or deleting a well.

Example:
    >>> import os, tempfile
    >>> plate = os.path.join(tempfile.mkdtemp(), "p.ome.zarr"); os.mkdir(plate)
    >>> ensure_row(plate, "B", b'{"zarr_format": 3, "node_type": "group"}')
    >>> with StagedWell(plate, "B/3") as st:
    ...     st.write({"zarr.json": b"{}"})
    ...     st.publish(os.path.join(plate, "B", "3"))
    >>> os.listdir(os.path.join(plate, "B", "3")), sweep(plate)
    (['zarr.json'], [])
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid

from zarrkit.errors import ConcurrencyUnsupported, WellExistsError
from zarrkit.storage import localfs
from zarrkit.storage.localfs import directory_lock as plate_lock

__all__ = ["StagedWell", "staging_root", "ensure_row", "remove_row", "plate_lock", "sweep", "check_local_locking"]


def staging_root(plate_dir: str) -> str:
    """``<plate>.staging``: beside the plate, so on its device (rename never copies)."""
    return os.path.normpath(plate_dir) + ".staging"


class StagedWell(localfs.StagedDir):
    """A well being written in ``<plate>.staging/<row>-<col>-<uuid4>/`` under ``flock(LOCK_EX)``
    (on the plate's device, else StorageResolutionError)."""

    def __init__(self, plate_dir: str, well_path: str, *, durable: bool = False) -> None:
        self.plate_dir, self.well_path = os.path.normpath(plate_dir), well_path
        super().__init__(staging_root(plate_dir), well_path.replace("/", "-"), durable=durable, device_of=plate_dir)

    def publish(self, target: str, *, overwrite: bool = False) -> None:
        """Move the staged well to ``target``; an existing well raises WellExistsError unless
        ``overwrite``, which swaps the old well out as trash first."""
        try:
            super().publish(target, overwrite=overwrite)
        except FileExistsError:
            raise WellExistsError(f"{self.plate_dir}: well {self.well_path!r} already exists "
                                  "(pass overwrite=True to replace it)") from None


def ensure_row(plate_dir: str, row: str, document: bytes) -> None:
    """Create the row group ``<plate>/<row>`` if absent, by temp folder + rename; racing
    creators write identical content, so losing the race is harmless."""
    target = os.path.join(plate_dir, row)
    if os.path.isfile(os.path.join(target, "zarr.json")):
        return
    tmp = os.path.join(staging_root(plate_dir), f"row-{row}-{uuid.uuid4()}")
    try:
        localfs.write_file(os.path.join(tmp, "zarr.json"), document)
        os.rename(tmp, target)
    except FileNotFoundError:  # a sweeper took the unlocked temp folder: try again
        return ensure_row(plate_dir, row, document)
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.isfile(os.path.join(target, "zarr.json")):  # a folder without its document
            localfs.link_if_absent(os.path.join(target, "zarr.json"), document)


def remove_row(plate_dir: str, row: str, document: bytes) -> bool:
    """Remove an empty row group: its document, then the folder with ``rmdir`` (which fails on
    a folder a writer just renamed a well into: then the document is put back).  True when
    the row is gone."""
    target = os.path.join(plate_dir, row)
    try:
        os.unlink(os.path.join(target, "zarr.json"))
    except FileNotFoundError:
        pass
    try:
        os.rmdir(target)
    except FileNotFoundError:
        return True
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        localfs.link_if_absent(os.path.join(target, "zarr.json"), document)
        return False
    return True


def check_local_locking(plate_dir: str) -> None:
    """Refuse incremental listings (a flock merge) on network and FUSE file systems."""
    try:
        localfs.check_local_locking(plate_dir)
    except ConcurrencyUnsupported as err:
        raise ConcurrencyUnsupported(f"incremental listing: {err.detail} (use listing='finalize')",
                                     url=plate_dir) from None


def sweep(plate_dir: str) -> list[str]:
    """Delete every staging folder whose flock can be taken (its writer is gone); folders of
    live writers stay.  Returns the names removed; removes the staging root once empty."""
    return localfs.sweep_staged(staging_root(plate_dir))
