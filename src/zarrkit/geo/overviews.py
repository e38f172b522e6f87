"""Native-CRS zone pyramids (``--zone-levels N``, off by default): ``{zone}/overviews/``.

Levels ``1..N`` of a zone's ``rgb`` are groups ``{zone}/overviews/{k}`` holding ``rgb`` (same
chunks and shards as the zone's, so :func:`zarrkit.pyramid.build_levels` maps 2×2 shards
to one) and ``x``, ``y``, ``spatial_ref``, each level carrying its own proj:/spatial:/CF keys;
level 0 is the zone's own ``rgb``, as with GDAL overviews.  ``overviews`` carries the
zarr-conventions v0.1 ``multiscales`` layout of levels ``"1"…"N"`` (a layout cannot point
to ``../rgb``; level 1 names no ``derived_from``).  Means are alpha-weighted, as in the
global pyramid; a level's fingerprint hashes its four children, so only dirty shards rerun.

Example:
    >>> level_grid(_Grid("EPSG:32631", (10.0, 10.0), (0.0, 100.0), (10, 7)), 1).shape
    (5, 4)
"""

from __future__ import annotations

import json
from collections import namedtuple
from typing import Any

from zarrkit import core, pyramid
from zarrkit.conventions.geo import multiscales_attributes, proj_attributes, registration, spatial_attributes
from zarrkit.core.metadata import GroupMetadata, dumps
from zarrkit.errors import GeoError
from zarrkit.geo.layout import crs_facts
from zarrkit.geo.world import LevelGrid

__all__ = ["build_zone_levels", "level_grid", "zone_levels_setting"]

_Grid = namedtuple("_Grid", "crs res origin shape")


def level_grid(grid: Any, k: int) -> LevelGrid:
    """The lattice of overview level ``k`` of ``grid`` (pixel ``2^k`` times larger, ceil shapes)."""
    (h, w), f = grid.shape, 2**k
    return LevelGrid(grid.crs, (grid.res[0] * f, grid.res[1] * f), tuple(grid.origin), (-(-h // f), -(-w // f)))


def zone_levels_setting(ledger: Any, time: str, requested: int | None) -> int:
    """The number of zone levels for ``time``: ``requested`` (then recorded), else the recorded
    one (so a later ``preview`` keeps them current), else 0."""
    key = f"zone_levels/{time}.json"
    if requested is None:
        raw = ledger.store.get(key)
        return int(json.loads(raw)) if raw else 0
    if not isinstance(requested, int) or requested < 0:
        raise GeoError(f"--zone-levels: expected a whole number ≥ 0, got {requested!r}")
    ledger.store.set(key, json.dumps(requested).encode())
    return requested


def _level_meta(zone_rgb: core.ArrayMetadata, grid: LevelGrid) -> core.ArrayMetadata:
    code, wkt, *_ = crs_facts(grid.crs)
    attrs = {**registration(["proj", "spatial"]), **proj_attributes(code, wkt),
             **spatial_attributes(grid.res, grid.origin, grid.shape), "grid_mapping": "spatial_ref",
             "coordinates": "spatial_ref", "_CRS": {"wkt": wkt}, "long_name": "RGBA preview"}
    doc = zone_rgb.to_dict()
    doc["shape"] = [*grid.shape, 4]
    doc["attributes"] = attrs
    return core.ArrayMetadata.from_dict(doc)


def _group_attributes(grids: list[LevelGrid]) -> dict[str, Any]:
    code, wkt, *_ = crs_facts(grids[0].crs)
    block = multiscales_attributes(grids[0].res[0], grids[0].origin, [g.shape for g in grids])
    for k, (item, g) in enumerate(zip(block["multiscales"]["layout"], grids), start=1):
        item["asset"] = str(k)
        if "derived_from" in item:
            item["derived_from"] = str(k - 1)
        item["spatial:transform"] = list(g.transform)
    return {**registration(["multiscales", "proj", "spatial"]), **block, **proj_attributes(code, wkt),
            **spatial_attributes(grids[0].res, grids[0].origin, grids[0].shape, transform=False)}


def _ensure(store, zone: str, zone_doc: dict, rgb_doc: dict, n: int) -> list[str]:
    """Create ``{zone}/overviews`` for ``n`` levels unless it already matches; ``[]`` when ``n`` is 0."""
    from zarrkit.geo.layout import coordinate_arrays, coordinate_values

    a = zone_doc["attributes"]
    t, shape = a["spatial:transform"], a["spatial:shape"]
    grid = _Grid(a.get("proj:code") or a.get("proj:wkt2"), (t[0], -t[4]), (t[2], t[5]), tuple(shape))
    root = f"{zone}/overviews"
    raw = store.get(f"{root}/zarr.json")
    if n == 0:
        if raw is not None:
            core.delete_node(store, root)
        return []
    grids = [level_grid(grid, k) for k in range(1, n + 1)]
    attrs = _group_attributes(grids)
    paths = [f"{root}/{k}/rgb" for k in range(1, n + 1)]
    if raw is not None and json.loads(raw).get("attributes") == json.loads(dumps(GroupMetadata(attrs).to_dict()))["attributes"]:
        return paths
    if raw is not None:
        core.delete_node(store, root)
    core.create_group(store, root, attributes=attrs, parents=False)
    zone_rgb = core.ArrayMetadata.from_dict(rgb_doc)
    for k, g in enumerate(grids, start=1):
        core.create_group(store, f"{root}/{k}", parents=False)
        core.create_array(store, f"{root}/{k}/rgb", _level_meta(zone_rgb, g), parents=False)
        for name, m in coordinate_arrays(g, None).items():
            core.create_array(store, f"{root}/{k}/{name}", m, parents=False)
            values = coordinate_values(g, name)
            if values is not None:
                core.write_region(store, f"{root}/{k}/{name}", ..., values, metadata=m, backend="python")
    return paths


def build_zone_levels(url: str, store, time: str, zones: list[str], docs: dict[str, Any], rgb: dict, n: int,
                      ledger, executor, workers, memory, force) -> None:
    """Create (or keep, or with ``n == 0`` remove) every zone's ``overviews`` and fill the shards
    whose inputs changed; ``rgb`` maps ``(zone, shard)`` to the digest of a written zone ``rgb`` shard."""
    for zone in zones:
        paths = _ensure(store, zone, docs[zone], docs[f"{zone}/rgb"], n)
        if not paths:
            continue
        children = {ij: d for (z, ij), d in rgb.items() if z == zone}
        pyramid.build_levels(url, [f"{zone}/rgb", *paths], children, alpha_axis=2, executor=executor, workers=workers,
                             memory=memory, ledger=ledger, phase=f"{time}/{zone}/overviews", force=force)
