"""``zarrkit.geo.build``: tiles → ``{time}.zarr`` zone stores, resumable, on any executor.

Plan (headers only) → create missing groups and arrays (an existing zone with another
layout stops the build unless ``force``; nothing is deleted otherwise) → one data task per
output shard (receipts in the ledger) → verify → finalise (run-dependent attributes from
plan and ledger, then consolidated metadata once per store).  Builds never read
consolidated metadata.  A killed build, rerun, gives the same bytes as an uninterrupted one.

Example:
    >>> BuildResult(root="out").stores
    []
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Sequence

import crc32c

from zarrkit import core, parallel
from zarrkit.conventions.geo import geoemb_attributes, registration
from zarrkit.conventions.marker import RootMarker, writer_string
from zarrkit.core.metadata import GroupMetadata, dumps
from zarrkit.errors import GeoError, LayoutMismatchError, LeaseError
from zarrkit.geo.grid import GridScheme, utm_zones
from zarrkit.geo.layout import coordinate_values
from zarrkit.geo.plan import FORMAT_VERSION, ZonePlan, plan_build, store_url
from zarrkit.geo.sources import TileSource, check_tiles, open_tiles
from zarrkit.geo.tasks import run_shard, shard_key
from zarrkit.ledger import Ledger
from zarrkit.storage import open_store
from zarrkit.storage.consolidated import with_consolidated

__all__ = ["BuildResult", "build", "finalise", "ledger_for"]


@dataclass
class BuildResult:
    """What a build did, per phase, and where its stores are."""

    root: str
    stores: list[str] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[parallel.RunSummary] = field(default_factory=list)

    @property
    def ran(self) -> int:
        """Tasks actually run (not skipped by a current receipt)."""
        return sum(s.total - s.skipped for s in self.summaries)


def ledger_for(root: str) -> Ledger:
    """The ledger of build root ``root`` (``ROOT/_zarrkit/``, outside every store)."""
    return Ledger(f"{str(root).rstrip('/')}/_zarrkit")


def build(tiles: Sequence[str | TileSource], out: str, *, time: str | None = None, scheme: GridScheme | None = None,
          kind: str = "embeddings", profile: str | None = None, shard: int | None = None, chunk: int | None = None,
          model: str | None = None, model_version: str | None = None, source_data: Sequence[str] = (),
          executor: Any = "serial", workers: int | None = None, memory: str | int = "4GiB", scheduler: str | None = None,
          force: bool = False, zones: Sequence[str] | None = None, task_range: tuple[int, int] | None = None,
          dry_run: bool = False, progress: Any = True, content_hash: bool = False, argv: Sequence[str] = (),
          resample: str | None = None) -> BuildResult:
    """Build the zone stores of ``tiles`` under ``out`` (see the module docstring).

    ``kind="embeddings"`` quantises to int8 with per-pixel scales and needs ``model`` and
    ``source_data``; ``kind="raster"`` keeps the source dtype in an array ``data`` whose fill
    is the tiles' nodata (NaN for floats without one, else 0), writes no ``scales`` and no
    geoemb.  ``profile`` defaults to ``point`` for embeddings, ``region`` for rasters.  Tiles off
    their grid's lattice are refused (:class:`GridMismatchError`) unless ``resample`` is
    ``"nearest"`` or ``"average"``, which warps them onto it (:mod:`zarrkit.geo.resample`).
    """
    if kind not in ("embeddings", "raster"):
        raise GeoError(f"kind: expected 'embeddings' or 'raster', got {kind!r}")
    if kind == "embeddings" and (not model or not source_data):
        raise GeoError("embeddings need --model (a URL pinned to a version) and --source-data (URLs): geoemb requires them")
    profile = profile or ("point" if kind == "embeddings" else "region")
    if resample is not None and resample not in ("nearest", "average"):
        raise GeoError(f"resample: expected 'nearest' or 'average', got {resample!r}")
    parallel.check_executor(executor)
    scheme = scheme or utm_zones()
    if tiles and all(isinstance(t, TileSource) for t in tiles):
        sources = check_tiles(tiles)
    elif any(isinstance(t, TileSource) for t in tiles):
        raise GeoError("tiles: give paths and patterns, or TileSource objects (callable_tile, open_tile), not both")
    else:
        sources = open_tiles([str(t) for t in tiles], time=time, content_hash=content_hash)
    if not sources:
        raise GeoError("no tiles to build")
    plans = [p for p in plan_build(sources, scheme, out, time=time, kind=kind, profile=profile, shard=shard, chunk=chunk,
                                   resample=resample)
             if not zones or p.zone in zones]
    result = BuildResult(str(out), plans=[p.describe() for p in plans])
    if dry_run:
        return result
    ledger = ledger_for(out)
    ledger.start_run({"argv": list(argv), "writer": writer_string(), "format": FORMAT_VERSION,
                      "plans": result.plans, "layouts": {p.zone: p.layout.to_json() for p in plans}})
    leases = [f"{p.time}/{p.zone}" for p in plans]
    held = []
    try:
        for name in leases:
            if not ledger.acquire(name):
                raise LeaseError(f"another builder holds the lease on {name} (ledger leases/{name})")
            held.append(name)
        for t in sorted({p.time for p in plans}):
            in_time = [p for p in plans if p.time == t]
            store = open_store(store_url(out, t), mode="a")
            for p in in_time:
                _ensure_zone(store, p, force)
                ledger.write_plan(f"{t}/{p.zone}", ({"task": k.key, "fp": k.fingerprint} for k in p.tasks))
            tasks = [k for p in in_time for k in p.tasks]
            if task_range:
                tasks = tasks[task_range[0]:task_range[1]]
            result.summaries.append(parallel.run_tasks(
                run_shard, tasks, executor=executor, workers=workers, memory=memory, scheduler=scheduler,
                ledger=ledger, phase=f"{t}/data", progress=progress, resume=not force))
            verify(store, in_time, ledger)
            meta = {"kind": kind, "model": model, "model_version": model_version, "source_data": list(source_data),
                    "scheme": scheme.name, "spatial_layout": scheme.spatial_layout}
            ledger.store.set(f"stores/{t}.json", json.dumps(meta, sort_keys=True).encode())
            finalise(store, t, ledger, in_time)
            result.stores.append(store.url)
            store.close()
    finally:
        for name in held:
            ledger.release(name)
        ledger.close()
    return result


def _ensure_zone(store, plan: ZonePlan, force: bool) -> None:
    """Create the root, the zone group and its arrays when absent; refuse another layout."""
    if not store.exists("zarr.json"):
        store.set("zarr.json", dumps(GroupMetadata({}).to_dict()))
    zone, arrays = plan.zone, plan.layout.arrays()
    if store.exists(f"{zone}/zarr.json"):
        differs = [n for n, m in arrays.items() if _doc(store, f"{zone}/{n}") != json.loads(dumps(m.to_dict()))]
        if not differs:
            return
        if not force:
            raise LayoutMismatchError(f"{store.url}: zone {zone} was built with another layout ({', '.join(differs)} "
                                      "differ); pass force=True (--force) to rebuild it")
        core.delete_node(store, zone)
    core.create_group(store, zone, attributes=_zone_attributes(plan, None, None), parents=False)
    for name, meta in arrays.items():
        core.create_array(store, f"{zone}/{name}", meta, parents=False)
        values = coordinate_values(plan.layout.grid, name, plan.layout.bands)
        if values is not None:
            core.write_region(store, f"{zone}/{name}", ..., values, metadata=meta, backend="python")


def _doc(store, path: str) -> Any:
    raw = store.get(f"{path}/zarr.json")
    return None if raw is None else json.loads(raw)


def _zone_attributes(plan: ZonePlan, n_tiles: int | None, data_bbox: list[float] | None,
                     store_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    attrs = plan.layout.geo_attributes()
    if store_meta and store_meta.get("kind") == "embeddings":
        attrs["zarr_conventions"] = attrs["zarr_conventions"] + registration(["geoemb"])["zarr_conventions"]
        attrs.update(_geoemb(plan.layout, store_meta, root=False))
    if n_tiles is not None:
        attrs["zarrkit"] = {"zone": plan.zone, "time": plan.time, "n_tiles": n_tiles, "data_bbox": data_bbox}
    return attrs


def _geoemb(layout, meta: dict[str, Any], *, root: bool) -> dict[str, Any]:
    metric = layout is not None and not layout.grid.crs.upper() == "EPSG:4326"
    return geoemb_attributes(dimensions=meta["bands"] if layout is None else layout.bands, model=meta["model"],
                             source_data=meta["source_data"], build_version=writer_string(),
                             gsd=layout.grid.res[0] if metric else None,
                             spatial_layout=meta.get("spatial_layout") if root else None)


def verify(store, plans: Sequence[ZonePlan], ledger: Ledger, sample: int = 8) -> None:
    """Every task has a current receipt; up to ``sample`` written shards per zone re-read and
    crc32c-compared; ``empty`` shards have no object.  Raises :class:`GeoError`."""
    if not plans:
        return
    receipts = ledger.matching(f"{plans[0].time}/data")
    for p in plans:
        written = []
        for task in p.tasks:
            r = receipts.get((task.key, task.fingerprint))
            if r is None:
                raise GeoError(f"{store.url}: task {task.key} has no receipt for its current inputs; rerun the build")
            if r["status"] == "empty" and store.exists(shard_key(f"{p.zone}/{p.layout.data_name}", task.ij, 3)):
                raise GeoError(f"{store.url}: task {task.key} is empty but its shard holds an object")
            if r["status"] == "written":
                written.append((task, r))
        for task, r in random.Random(0).sample(written, min(sample, len(written))):
            for arr, info in r["arrays"].items():
                raw = store.get(shard_key(f"{p.zone}/{arr}", task.ij, 3 if arr == p.layout.data_name else 2))
                if raw is None or crc32c.crc32c(raw) != info["crc32c"]:
                    raise GeoError(f"{store.url}: shard {task.key} of {arr} does not match its receipt")


def finalise(store, time: str, ledger: Ledger, plans: Sequence[ZonePlan] = ()) -> None:
    """Run-dependent attributes from plan and ledger, then the root with consolidated metadata."""
    meta = json.loads(ledger.store.get(f"stores/{time}.json") or b"{}")
    receipts = ledger.matching(f"{time}/data")
    for p in plans:
        s = p.layout.shard_side
        ij = [t.ij for t in p.tasks if receipts.get((t.key, t.fingerprint), {}).get("status") == "written"]
        bbox = None
        if ij:
            (xres, yres), (x0, y0) = p.layout.grid.res, p.layout.grid.origin
            i0, i1 = min(i for i, _ in ij), max(i for i, _ in ij) + 1
            j0, j1 = min(j for _, j in ij), max(j for _, j in ij) + 1
            bbox = [x0 + j0 * s * xres, y0 - i1 * s * yres, x0 + j1 * s * xres, y0 - i0 * s * yres]
        attrs = _zone_attributes(p, len(p.tiles), bbox, meta)
        store.set(f"{p.zone}/zarr.json", dumps(GroupMetadata(attrs).to_dict()))
    documents = _documents(store)
    zone_names = sorted(k for k, d in documents.items() if "/" not in k and k != "preview" and d.get("node_type") == "group")
    stretch = json.loads(ledger.store.get(f"stretch/{time}.json") or b"null")
    extra = {"time": time, "grid_scheme": meta.get("scheme"), "zones": zone_names,
             "model_version": meta.get("model_version")}
    if stretch:
        extra["rgb"] = stretch
    attrs: dict[str, Any] = {}
    if meta.get("kind") == "embeddings":
        bands = documents[f"{zone_names[0]}/band"]["shape"][0] if zone_names else 0
        attrs = {**registration(["geoemb"]), **_geoemb(None, {**meta, "bands": bands}, root=True)}
    attrs["zarrkit"] = RootMarker("geo", FORMAT_VERSION, extra=extra).to_dict()
    store.set("zarr.json", dumps(with_consolidated(GroupMetadata(attrs).to_dict(), documents)))
    core.invalidate(store)


def _documents(store) -> dict[str, dict[str, Any]]:
    """Every node document under the root, found by listing groups (never chunk folders)."""
    out: dict[str, dict[str, Any]] = {}
    queue = [""]
    while queue:
        prefix = queue.pop()
        for entry in store.list_dir(prefix):
            if not entry.endswith("/") or entry == "c/":
                continue
            path = f"{prefix}{entry}".rstrip("/")
            doc = _doc(store, path)
            if doc is None:
                continue
            out[path] = doc
            if doc.get("node_type") == "group":
                queue.append(f"{path}/")
    return out
