"""Previews: one global stretch per time, zone ``rgb``, and the EPSG:4326 pyramid ``preview/``.

The stretch samples every zone deterministically (non-empty shards sorted by key, every
⌈n/64⌉-th, every 8th pixel) and is frozen in the ledger for later runs unless
``restretch``.  Zone ``rgb`` = ``rint(255·clip((v−lo)/(hi−lo)))`` with alpha 255 where data
is valid.  Level 0 of ``preview/`` is built per 2048² output shard: for each zone with data
there, its ``rgb`` window (outline densified, padded 2 px) is reprojected with rasterio's
average resampling on premultiplied planes; colour = premultiplied ÷ alpha; zones composite
by highest alpha, then nearest central meridian, then name.  Levels ≥ 1 come from
:func:`zarrkit.pyramid.build_levels` (alpha-weighted means).

Example:
    >>> import numpy as np
    >>> to_rgb(np.array([[[0.0, 5.0, 10.0]]], "f4"), np.array([[1.0]], "f4"), [[0, 10]] * 3)[0, 0].tolist()
    [0, 128, 255, 255]
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from zarrkit import core, parallel, pyramid
from zarrkit.geo.build import _documents, finalise, ledger_for
from zarrkit.geo.overviews import build_zone_levels, zone_levels_setting
from zarrkit.geo.plan import store_url
from zarrkit.geo.quantize import dequantize
from zarrkit.geo.tasks import crash_after_write, open_cached
from zarrkit.geo.world import build_world
from zarrkit.storage import open_store

__all__ = ["load_stretch", "preview", "stretch", "to_rgb"]


def to_rgb(values: np.ndarray, scale: np.ndarray, limits: Sequence[Sequence[float]]) -> np.ndarray:
    """RGBA uint8 of three dequantised bands; alpha 255 where the scale is finite (true black stays valid)."""
    lo = np.array([v[0] for v in limits], "f4")
    hi = np.array([v[1] for v in limits], "f4")
    with np.errstate(invalid="ignore", divide="ignore"):
        rgb = np.rint(255 * np.clip((values - lo) / np.where(hi > lo, hi - lo, 1), 0, 1))
    ok = np.isfinite(scale)
    out = np.zeros((*scale.shape, 4), "u1")
    out[ok, :3] = rgb[ok].astype("u1")
    out[ok, 3] = 255
    return out


def pixel_values(store, zone: str, box, bands: Sequence[int], metas: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``(values float32 (…, band), validity)`` of a zone window: dequantised embeddings and their
    scales, or a raster's ``data`` with 1 where valid (not the fill in every band, finite), NaN elsewhere."""
    if "embeddings" in metas:
        q = core.read_region(store, f"{zone}/embeddings", (*box, list(bands)), metadata=metas["embeddings"])
        s = core.read_region(store, f"{zone}/scales", box, metadata=metas["scales"])
        return dequantize(q, s), s
    meta = metas["data"]
    d = core.read_region(store, f"{zone}/data", (*box, list(bands)), metadata=meta)
    v = d.astype("f4")
    fill = meta.fill_value
    invalid = ~np.isfinite(v).all(axis=-1)
    if fill is not None and not (isinstance(fill, float) and math.isnan(fill)):
        invalid |= (d == fill).all(axis=-1)
    v[invalid] = np.nan
    return v, np.where(invalid, np.float32(np.nan), np.float32(1))


def _metas(docs: dict[str, Any], zone: str) -> dict[str, Any]:
    names = ("embeddings", "scales", "rgb") if f"{zone}/embeddings" in docs else ("data", "rgb")
    return {k: docs[f"{zone}/{k}"] for k in names}


def stretch(store, zones: dict[str, list[tuple[int, int]]], bands: Sequence[int], percentiles: Sequence[float],
            side: int, metas: dict[str, dict[str, Any]] | None = None) -> list[list[float]]:
    """Per-band ``[lo, hi]`` from the deterministic sample described in the module docstring
    (``metas``: each zone's array metadata, read from the store when not given)."""
    samples: list[np.ndarray] = []
    for zone in sorted(zones):
        shards = sorted(zones[zone])
        m = {k: core.ArrayMetadata.from_dict(v) for k, v in metas[zone].items()} if metas else {
            k: core.read_metadata(store, f"{zone}/{k}") for k in ("embeddings", "scales")}
        for ij in shards[::max(1, math.ceil(len(shards) / 64))]:
            box = (slice(ij[0] * side, (ij[0] + 1) * side, 8), slice(ij[1] * side, (ij[1] + 1) * side, 8))
            v = pixel_values(store, zone, box, bands, m)[0].reshape(-1, len(bands))
            samples.append(v[np.isfinite(v).all(axis=1)])
    values = np.concatenate(samples) if samples else np.zeros((0, len(bands)), "f4")
    values = values[::max(1, math.ceil(len(values) / 1_000_000))]
    if not len(values):
        return [[0.0, 1.0] for _ in bands]
    return [[float(v) for v in np.percentile(values[:, b], percentiles)] for b in range(len(bands))]


_sample_stretch = stretch  # preview()'s ``stretch`` argument shadows the name


@dataclass(frozen=True)
class RgbTask:
    key: str
    fingerprint: str
    est_bytes: int
    url: str
    zone: str
    ij: tuple[int, int]
    bands: tuple[int, ...]
    limits: tuple[tuple[float, float], ...]
    metas: str = field(repr=False)  # JSON of the embeddings, scales and rgb metadata


def run_rgb(task: RgbTask) -> dict[str, Any]:
    """One zone ``rgb`` shard from its ``embeddings`` and ``scales`` (or raster ``data``) shards."""
    store = open_cached(task.url)
    metas = {k: core.ArrayMetadata.from_dict(v) for k, v in json.loads(task.metas).items()}
    s = metas["rgb"].chunk_shape[0]
    box = (slice(task.ij[0] * s, (task.ij[0] + 1) * s), slice(task.ij[1] * s, (task.ij[1] + 1) * s))
    values, scale = pixel_values(store, task.zone, box, task.bands, metas)
    info = pyramid.write_shard(store, f"{task.zone}/rgb", metas["rgb"], task.ij, to_rgb(values, scale, task.limits))
    crash_after_write("rgb")
    return {"task": task.key, "phase": task.key.rsplit("/", 2)[0] + "/rgb", "fp": task.fingerprint,
            "status": "written" if info else "empty", "arrays": {"rgb": info} if info else {}}


def load_stretch(source: Any, n_bands: int | None = None) -> dict[str, Any]:
    """A saved stretch as ``{"bands", "percentiles", "stretch"}``: a dict, or the path of a JSON
    file holding one (as the ledger's ``stretch/{time}.json``), a store's root ``zarr.json``
    (its ``zarrkit.rgb``) or a ``{time}.zarr`` folder.  ``stretch`` is one finite
    ``[lo, hi]`` with ``lo < hi`` per band; ``bands`` (default 0, 1, 2) must exist in the store.

    Example:
        >>> load_stretch({"stretch": [[0, 1], [0, 2], [-1, 1]]})["bands"]
        [0, 1, 2]
    """
    import os

    from zarrkit.errors import GeoError

    name = source if isinstance(source, str) else "the stretch"
    doc = source
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path):
            path = os.path.join(path, "zarr.json")
        try:
            doc = json.loads(open(path, "rb").read())
        except (OSError, ValueError) as err:
            raise GeoError(f"--stretch {name}: cannot read a JSON stretch ({err})") from None
        if isinstance(doc, dict) and "attributes" in doc:  # a store's root zarr.json
            doc = ((doc.get("attributes") or {}).get("zarrkit") or {}).get("rgb")
    if isinstance(doc, list):
        doc = {"stretch": doc}
    limits = doc.get("stretch") if isinstance(doc, dict) else None
    bands = doc.get("bands", [0, 1, 2]) if isinstance(doc, dict) else None
    ok = isinstance(limits, list) and isinstance(bands, list) and len(limits) == len(bands) == 3 and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in p)
        and p[0] < p[1] for p in limits)
    if not ok:
        raise GeoError(f"--stretch {name}: expected 'stretch' as three finite [lo, hi] pairs with lo < hi "
                       f"(and optional 'bands', three band indices), got {json.dumps(doc)[:200]}")
    if not all(isinstance(b, int) and b >= 0 and (n_bands is None or b < n_bands) for b in bands):
        raise GeoError(f"--stretch {name}: bands {bands} are not bands of this store (0..{(n_bands or 1) - 1})")
    return {"bands": list(bands), "percentiles": doc.get("percentiles"),
            "stretch": [[float(lo), float(hi)] for lo, hi in limits]}


def preview(root: str, *, time: str | None = None, bands: Sequence[int] | None = None, percentiles=(2, 98),
            restretch: bool = False, stretch: Any = None, base_res: float = 0.0001, levels: int | None = None,
            zone_levels: int | None = None, executor: Any = "serial", workers: int | None = None, memory: Any = "4GiB",
            force: bool = False) -> list[str]:
    """Zone ``rgb`` and the global ``preview/`` pyramid of every time (or ``time``) under ``root``.

    ``stretch`` (a dict or a file, see :func:`load_stretch`) replaces the sampled stretch of every
    time and is frozen like one, so builds of other years or places can share a colour scale.
    ``bands`` (three, as R, G, B) default to 0, 1, 2, or band 0 as grey for rasters of one or two bands.
    ``zone_levels`` builds that many native-CRS levels per zone (:mod:`zarrkit.geo.overviews`);
    ``None`` keeps the number recorded by an earlier run (0 at first), 0 removes them.
    """
    from zarrkit.errors import GeoError

    if stretch is not None and restretch:
        raise GeoError("give either --restretch (sample a new stretch) or --stretch FILE (use a saved one), not both")
    ledger = ledger_for(root)
    percentiles = [float(p) for p in percentiles]  # 2 and 2.0 must give the same bytes (library and CLI)
    times = [time] if time else sorted(k.split("/")[-1][:-5] for k in ledger.store.list_prefix("stores/"))
    done = []
    for t in times:
        url = store_url(root, t)
        store = open_store(url, mode="r+")
        docs = _documents(store)
        zones = sorted(k for k, d in docs.items() if "/" not in k and k != "preview" and d.get("node_type") == "group")
        written = {z: [] for z in zones}
        for (key, fp), r in ledger.matching(f"{t}/data").items():
            z = key.split("/")[1]
            plan = {d["task"]: d["fp"] for d in ledger.read_plan(f"{t}/{z}")}
            if z in written and r["status"] == "written" and plan.get(key) == fp:
                written[z].append(tuple(map(int, key.rsplit("/", 1)[1].split("."))))
        metas = {z: _metas(docs, z) for z in zones}
        side = next(iter(metas[zones[0]].values()))["chunk_grid"]["configuration"]["chunk_shape"][0] if zones else 0
        n_bands = docs[f"{zones[0]}/band"]["shape"][0] if zones else None
        frozen = ledger.store.get(f"stretch/{t}.json")
        if stretch is not None:
            ledger.store.set(f"stretch/{t}.json", json.dumps(load_stretch(stretch, n_bands)).encode())
        elif frozen is None or restretch:
            chosen = list(bands) if bands is not None else ([0, 1, 2] if (n_bands or 3) >= 3 else [0, 0, 0])
            if len(chosen) != 3 or (n_bands is not None and any(not 0 <= b < n_bands for b in chosen)):
                raise GeoError(f"{url}: preview bands {chosen}: give three (R, G, B) of the zones' {n_bands} bands")
            limits = _sample_stretch(store, written, chosen, percentiles, side, metas)
            doc = {"bands": chosen, "percentiles": list(percentiles), "stretch": limits}
            ledger.store.set(f"stretch/{t}.json", json.dumps(doc).encode())
        doc = json.loads(ledger.store.get(f"stretch/{t}.json"))
        rgb_digests = _zone_rgb(url, t, zones, written, docs, doc, ledger, executor, workers, memory, force)
        build_world(url, store, t, zones, docs, rgb_digests, base_res, levels, ledger, executor, workers, memory, force)
        build_zone_levels(url, store, t, zones, docs, rgb_digests, zone_levels_setting(ledger, t, zone_levels), ledger,
                          executor, workers, memory, force)
        finalise(store, t, ledger, [])  # zone attributes stay as the build wrote them; the root is rewritten
        store.close()
        done.append(url)
    return done


def _zone_rgb(url, t, zones, written, docs, stretch_doc, ledger, executor, workers, memory, force):
    data = ledger.matching(f"{t}/data")
    tasks = []
    for z in zones:
        metas = json.dumps(_metas(docs, z))
        by_key = {k: r for (k, _), r in data.items() if k.startswith(f"{t}/{z}/")}
        for ij in sorted(written[z]):
            key = f"{t}/{z}/{ij[0]}.{ij[1]}"
            fp = hashlib.sha256(json.dumps([by_key[key]["fp"], stretch_doc]).encode()).hexdigest()
            tasks.append(RgbTask(key, fp, 64 * 2**20, url, z, ij, tuple(stretch_doc["bands"]),
                                 tuple(map(tuple, stretch_doc["stretch"])), metas))
    parallel.run_tasks(run_rgb, tasks, executor=executor, workers=workers, memory=memory, ledger=ledger,
                       phase=f"{t}/rgb", resume=not force)
    got = ledger.matching(f"{t}/rgb")
    return {(t_.zone, t_.ij): got[(t_.key, t_.fingerprint)]["fp"] for t_ in tasks
            if got[(t_.key, t_.fingerprint)]["status"] == "written"}
