"""Offline fixtures written by zarr_vectors 0.9.2 (spec §5), and the seeded inputs behind them.

Each case is a small, seeded input (numpy only, no zarr_vectors needed) plus the zarr_vectors
call that stores it: anonymous points (4 bins per axis, negative coordinates, float32 and
3-channel uint8 attributes), 2-D float64 points with a dictionary string attribute, id'd
points with fine bins (§4 #1), polylines with a chunk re-entry, streamlines with object
attributes and groups (also sharded), a graph with edge attributes, a skeleton, triangle and
quad meshes, and a two-level per_object pyramid.  ``python -m tests.vectors.make_fixtures`` rewrites
``tests/data/vectors/zv-0.9.2/<case>.zv`` and ``<case>.npz`` (the input arrays, and for the
pyramid what zarr_vectors reads back per level); the same inputs drive the metadata golden
diff and cell parity tests, where :func:`write_zarrkit` stores them with zarrkit.

Example:
    >>> sorted(inputs("graph"))[:3]
    ['edge_weight', 'edges', 'positions']
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "vectors" / "zv-0.9.2"
B3 = ([-40.0] * 3, [40.0] * 3)  # negative coordinates: chunk coords -1 and 0
B2 = ([0.0, 0.0], [60.0, 60.0])


def _points(rng, n=80):
    xyz = rng.uniform(-40, 40, (n, 3)).astype("f4")
    xyz[np.abs(xyz) >= 40] = 0  # strictly inside: no vertex on the upper bound
    return xyz


def _anon(rng):
    xyz = _points(rng)
    return {"positions": xyz, "intensity": rng.uniform(0, 1, len(xyz)).astype("f4"),
            "rgb": rng.integers(0, 256, (len(xyz), 3)).astype("u1")}


def _points_2d(rng):
    xyz = rng.uniform(0, 60, (50, 2))  # float64 positions
    labels = np.array(["soma", "axon", "dendrite"])[rng.integers(0, 3, len(xyz))]
    return {"positions": xyz, "label": labels}


def _ids(rng):
    xyz = _points(rng, 100)
    ids = rng.integers(0, 6, len(xyz)) * 1_000_000_007  # sparse, past 32 bits
    uniq = np.unique(ids)
    return {"positions": xyz, "ids": ids.astype("i8"), "object_ids": uniq, "weight": uniq.astype("f8") / 7}


def _walk(rng, n, lo, hi):
    steps = rng.normal(0, (hi - lo) / 8, (n, len(lo)))
    return np.clip((lo + hi) / 2 + np.cumsum(steps, 0), lo + 0.5, hi - 0.5).astype("f4")


def _polylines(rng):
    lo, hi = np.array(B2[0]), np.array(B2[1])
    lines = [_walk(rng, n, lo, hi) for n in (9, 4, 14, 1)]
    # a line that leaves chunk (0, 0) and comes back: two fragments in one chunk
    lines.append(np.array([[5, 5], [10, 8], [35, 8], [40, 12], [20, 14], [8, 20]], "f4"))
    return _lines(lines)


def _streamlines(rng):
    lo, hi = np.array(B3[0]), np.array(B3[1])
    lines = [_walk(rng, n, lo, hi) for n in (12, 5, 20)]
    out = _lines(lines)
    out["fa"] = rng.uniform(0, 1, len(out["positions"])).astype("f4")
    out["length"] = np.array([len(x) for x in lines], "f8") * 1.5
    out["groups"] = np.array([[0, 0], [0, 2], [1, 1]], "i8")  # (group, object) pairs
    return out


def _lines(lines):
    offsets = np.r_[0, np.cumsum([len(x) for x in lines])].astype("i8")
    return {"positions": np.concatenate(lines), "offsets": offsets}


def _graph(rng):
    nodes = _points(rng, 30)
    edges = rng.integers(0, 30, (45, 2))
    edges = edges[edges[:, 0] != edges[:, 1]].astype("i8")
    return {"positions": nodes, "edges": edges, "edge_weight": rng.uniform(0, 5, len(edges)).astype("f4")}


def _skeleton(rng):
    nodes = _points(rng, 25)
    parent = [int(rng.integers(0, i)) for i in range(1, len(nodes))]  # a random tree rooted at node 0
    return {"positions": nodes, "edges": np.array([[i + 1, p] for i, p in enumerate(parent)], "i8")}


def _torus(n_u=8, n_v=6):
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, n_u, endpoint=False), np.linspace(0, 2 * np.pi, n_v, endpoint=False))
    x = (22 + 9 * np.cos(v)) * np.cos(u)
    y = (22 + 9 * np.cos(v)) * np.sin(u)
    z = 9 * np.sin(v) + 3
    verts = np.c_[x.ravel(), y.ravel(), z.ravel()].astype("f4")
    idx = np.arange(n_u * n_v).reshape(n_v, n_u)
    quads = np.c_[idx.ravel(), np.roll(idx, -1, 1).ravel(), np.roll(np.roll(idx, -1, 0), -1, 1).ravel(),
                  np.roll(idx, -1, 0).ravel()]
    return verts, quads.astype("i8")


def _mesh_tri(rng):
    verts, quads = _torus()
    return {"positions": verts, "faces": np.r_[quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]]}


def _mesh_quad(rng):
    verts, quads = _torus()
    return {"positions": verts, "faces": quads}


def _pyramid(rng):
    return _ids(rng)


#: case -> (seed, input generator); seeds are fixed so the npz and the stores never drift
CASES: dict[str, tuple[int, Callable[[Any], dict[str, np.ndarray]]]] = {
    "points": (11, _anon), "points_ids": (12, _ids), "polylines": (13, _polylines),
    "streamlines": (14, _streamlines), "graph": (15, _graph), "mesh_tri": (16, _mesh_tri),
    "mesh_quad": (17, _mesh_quad), "pyramid": (18, _pyramid), "points_2d": (19, _points_2d),
    "streamlines_sharded": (14, _streamlines), "skeleton": (20, _skeleton),
}
KIND = {"points": "points", "points_ids": "points", "polylines": "polylines", "streamlines": "streamlines",
        "graph": "graph", "mesh_tri": "mesh", "mesh_quad": "mesh", "pyramid": "points", "points_2d": "points",
        "streamlines_sharded": "streamlines", "skeleton": "graph"}
#: kinds zarrkit reads but does not write (spec §2.8: skeleton is read-only in v1)
READ_ONLY = {"skeleton"}
#: per-chunk arrays in shards of 2 cells per axis (zarr_vectors' shard_shape=2)
SHARDED = {"streamlines_sharded"}
#: pyramid levels written by zarr_vectors' build_pyramid: (coarsen factor, sparsity factor) per level
PYRAMID_FACTORS = [(2.0, 1.0), (2.0, 1.0)]


def inputs(case: str) -> dict[str, np.ndarray]:
    """The seeded input arrays of ``case`` (numpy only)."""
    seed, make = CASES[case]
    return make(np.random.default_rng(seed))


def split_lines(d) -> list[np.ndarray]:
    """The polylines of a case, from its flat positions and offsets."""
    o = d["offsets"]
    return [d["positions"][o[i]:o[i + 1]] for i in range(len(o) - 1)]


def groups_of(d) -> dict[int, list[int]]:
    """A case's groups as ``{group: [object, ...]}``, from its (group, object) pairs."""
    out: dict[int, list[int]] = {}
    for g, o in d["groups"].tolist():
        out.setdefault(g, []).append(o)
    return out


def grid(case: str, *, parity: bool = False) -> dict[str, Any]:
    """Bounds, chunk and bin shape of a case.  ``parity``: the layout both writers share
    (id'd points with bin = chunk, spec §2.8); the fixture keeps zarr_vectors' finer bins."""
    if case == "polylines":
        return {"bounds": B2, "chunk_shape": (30.0, 30.0), "bin_shape": (30.0, 30.0)}
    if case == "points_2d":
        return {"bounds": B2, "chunk_shape": (30.0, 30.0), "bin_shape": (15.0, 15.0)}
    chunk = (40.0,) * 3
    if case == "points" or (case in ("points_ids", "pyramid") and not parity):
        return {"bounds": B3, "chunk_shape": chunk, "bin_shape": (10.0,) * 3}
    return {"bounds": B3, "chunk_shape": chunk, "bin_shape": None}


def write_zv(case: str, path, *, parity: bool = False) -> None:
    """Store ``case`` with zarr_vectors 0.9.2's type writers (and build_pyramid)."""
    from zarr_vectors.types.graphs import write_graph
    from zarr_vectors.types.meshes import write_mesh
    from zarr_vectors.types.points import write_points
    from zarr_vectors.types.polylines import write_polylines

    d, g, path = inputs(case), grid(case, parity=parity), str(path)
    # zstd as zarrkit's default; ZV's type writers store uncompressed otherwise (a 512 KiB
    # object-attribute chunk)
    kw = {"chunk_shape": g["chunk_shape"], "bin_shape": g["bin_shape"], "bounds": g["bounds"], "compressor": "zstd"}
    if case in SHARDED:
        kw["shard_shape"] = 2
    if case == "points":
        write_points(path, d["positions"], vertex_attributes={"intensity": d["intensity"], "rgb": d["rgb"]}, **kw)
    elif case == "points_2d":
        write_points(path, d["positions"], vertex_attributes={"label": d["label"]}, dtype="float64", **kw)
    elif case in ("points_ids", "pyramid"):
        write_points(path, d["positions"], object_ids=d["ids"], object_attributes={"weight": d["weight"]}, **kw)
        if case == "pyramid":
            import zarr_vectors as zv

            zv.open(path, mode="r+").build_pyramid(factors=PYRAMID_FACTORS)
    elif KIND[case] in ("polylines", "streamlines"):
        lines = split_lines(d)
        extra: dict[str, Any] = {}
        if KIND[case] == "streamlines":
            fa = [d["fa"][d["offsets"][i]:d["offsets"][i + 1]] for i in range(len(lines))]
            extra = {"vertex_attributes": {"fa": fa}, "object_attributes": {"length": d["length"]},
                     "groups": groups_of(d)}
        write_polylines(path, lines, geometry_type="streamline" if KIND[case] == "streamlines" else "polyline", **kw,
                        **extra)
    elif case == "graph":
        write_graph(path, d["positions"], d["edges"], link_attributes={"weight": d["edge_weight"]}, **kw)
    elif case == "skeleton":  # depth-first order, implicit parent(i) = i - 1 within fragments
        write_graph(path, d["positions"], d["edges"], kind="skeleton", **kw)
    else:
        write_mesh(path, d["positions"], d["faces"], **kw)


def write_zarrkit(case: str, path, *, batches: int = 1):
    """Store ``case`` with zarrkit in the parity layout; returns the open store."""
    import zarrkit.vectors as vx

    if case in READ_ONLY:
        raise ValueError(f"zarrkit does not write {case} stores")
    d, g = inputs(case), grid(case, parity=True)
    ids = True if case in ("points_ids", "pyramid") else None
    s = vx.create(str(path), KIND[case], bounds=g["bounds"], chunk_shape=g["chunk_shape"], bin_shape=g["bin_shape"],
                  ids=ids, axes=("x", "y", "z")[:len(g["chunk_shape"])], dtype=d["positions"].dtype.name,
                  shard_shape=(2,) * len(g["chunk_shape"]) if case in SHARDED else None)
    if case == "points":
        s.write_points(d["positions"], attributes={"intensity": d["intensity"], "rgb": d["rgb"]})
    elif case == "points_2d":
        s.write_points(d["positions"], attributes={"label": d["label"]})
    elif case in ("points_ids", "pyramid"):
        s.write_points(d["positions"], ids=d["ids"],
                       object_attributes={"weight": dict(zip(d["object_ids"].tolist(), d["weight"].tolist()))})
    elif KIND[case] in ("polylines", "streamlines"):
        extra = {}
        if KIND[case] == "streamlines":
            extra = {"attributes": {"fa": d["fa"]}, "object_attributes": {"length": d["length"]},
                     "groups": groups_of(d)}
        s.write_polylines(split_lines(d), **extra)
    elif case == "graph":
        s.write_graph(d["positions"], d["edges"], edge_attributes={"weight": d["edge_weight"]})
    else:
        s.write_mesh(d["positions"], d["faces"])
    return s


def expected(case: str, path) -> dict[str, np.ndarray]:
    """What the ``.npz`` beside a fixture holds: the inputs, plus per pyramid level what
    zarr_vectors reads back (all vertices, and the vertices of the first two objects)."""
    out = dict(inputs(case))
    if case == "pyramid":
        import zarr_vectors as zv

        ds = zv.open(str(path))
        for k in range(1, len(PYRAMID_FACTORS) + 1):
            out[f"level{k}"] = _sorted_rows(ds.level(k).read().positions)
            for o in out["object_ids"][:2].tolist():
                out[f"level{k}_object{o}"] = _sorted_rows(ds.level(k).select(objects=[o]).read().positions)
    return out


def _sorted_rows(a) -> np.ndarray:
    a = np.asarray(a)
    return a[np.lexsort(a.T[::-1])]


def regenerate(root: Path = FIXTURES) -> None:
    """Rewrite every fixture store and its ``.npz`` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        store = root / f"{case}.zv"
        shutil.rmtree(store, ignore_errors=True)
        write_zv(case, store)
        np.savez(root / f"{case}.npz", **expected(case, store))


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES)
