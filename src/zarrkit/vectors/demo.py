"""The vectors demo (spec §8), synthesised: clustered points with an appended batch, helical
streamlines, a random geometric graph and a torus mesh, each read back and checked against
numpy, and reopened with zarr_vectors when it is installed.

Example:
    >>> import tempfile, types
    >>> quiet = types.SimpleNamespace(print=lambda *a: None)
    >>> write_demo(tempfile.mkdtemp(), overwrite=False, console=quiet, n_points=2000).ok
    True
"""

from __future__ import annotations

import os

import numpy as np

from zarrkit.formats.plugin import DemoResult

__all__ = ["write_demo"]


def _say(console, text: str) -> None:
    (console.print if console is not None else print)(text)


def write_demo(directory: str, *, overwrite: bool, console, n_points: int = 200_000) -> DemoResult:
    import zarrkit.vectors as vx

    out = directory  # zarrkit demo hands each format its own folder, <DIR>/vectors
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    result = DemoResult()
    bounds = ([0.0] * 3, [1000.0] * 3)
    centres = rng.uniform(150, 850, (5, 3))
    which = rng.integers(0, 5, n_points)
    xyz = np.clip(centres[which] + rng.normal(0, 60, (n_points, 3)), 0, 1000).astype("f4")
    names = np.array([f"c{i}" for i in range(5)])[which]
    pts = vx.create(os.path.join(out, "points.zv"), "points", bounds=bounds, chunk_shape=(125,) * 3, overwrite=overwrite)
    half = n_points // 2
    inten = rng.random(n_points).astype("f4")
    pts.write_points(xyz[:half], attributes={"intensity": inten[:half], "cluster": names[:half]})
    pts.write_points(xyz[half:], attributes={"intensity": inten[half:], "cluster": names[half:]})
    box = ((200.0, 200.0, 200.0), (450.0, 450.0, 450.0))
    got = pts.read_points(box=box)
    truth = np.all((xyz >= box[0]) & (xyz <= box[1]), axis=1)
    ok = sorted(map(tuple, got.xyz.tolist())) == sorted(map(tuple, xyz[truth].tolist()))
    _say(console, f"points: box read {len(got.xyz)} points, equal to numpy: {ok}")
    result.ok &= ok
    levels = pts.build_pyramid(levels=1)  # one level: every level rewrites ~1,000 small cell files
    _say(console, "points pyramid: " + ", ".join(f"level {k} {pts.level_info(k).vertex_count} real points"
                                                 for k in levels))
    helices = []
    for i in range(24):
        t = np.linspace(0, 6 * np.pi, int(rng.integers(200, 600)))
        c = rng.uniform(200, 800, 3)
        helices.append(np.c_[c[0] + 150 * np.cos(t + i), c[1] + 150 * np.sin(t + i),
                             np.linspace(50, 950, len(t))].clip(0, 1000).astype("f4"))
    sl = vx.create(os.path.join(out, "streamlines.zv"), "streamlines", bounds=bounds, chunk_shape=(125,) * 3,
                   overwrite=overwrite)
    sl.write_polylines(helices, object_attributes={"length": np.array([len(h) for h in helices], "f8")})
    back = sl.read_polylines(ids=[3])
    ok = np.array_equal(back.line(0), helices[3])
    _say(console, f"streamlines: line 3 has {len(back.line(0))} vertices, exact: {ok}")
    result.ok &= ok
    cut = sl.read_polylines(ids=[3], box=((0.0, 0.0, 300.0), (1000.0, 1000.0, 600.0)), clip="exact")
    _say(console, f"streamlines: line 3 clipped to z in [300, 600]: {len(cut)} parts, "
                  f"{int(cut.inserted.sum())} crossing points inserted")
    nodes = rng.uniform(0, 1000, (300, 3)).astype("f4")
    comp = np.arange(300) % 3
    d = np.linalg.norm(nodes[:, None] - nodes[None], axis=2)
    i, j = np.nonzero((d < 150) & (comp[:, None] == comp[None]) & (np.arange(300)[:, None] < np.arange(300)[None]))
    gr = vx.create(os.path.join(out, "graph.zv"), "graph", bounds=bounds, chunk_shape=(250,) * 3, overwrite=overwrite)
    for k in range(3):
        sel = np.flatnonzero(comp == k)
        local = np.searchsorted(sel, np.c_[i, j][comp[i] == k])
        gr.write_graph(nodes[sel], local, edge_attributes={"weight": d[sel[local[:, 0]], sel[local[:, 1]]].astype("f4")})
    g = gr.read_graph(ids=[1])
    _say(console, f"graph: component 1 has {len(g.nodes)} nodes and {len(g.edges)} edges")
    result.ok &= len(g.nodes) == int((comp == 1).sum())
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 40, endpoint=False), np.linspace(0, 2 * np.pi, 25, endpoint=False))
    verts = np.c_[((300 + 120 * np.cos(v)) * np.cos(u) + 500).ravel(), ((300 + 120 * np.cos(v)) * np.sin(u) + 500).ravel(),
                  (120 * np.sin(v) + 500).ravel()].astype("f4")
    idx = np.arange(1000).reshape(25, 40)
    a, b, c, e = idx, np.roll(idx, -1, 1), np.roll(np.roll(idx, -1, 0), -1, 1), np.roll(idx, -1, 0)
    faces = np.r_[np.c_[a.ravel(), b.ravel(), c.ravel()], np.c_[a.ravel(), c.ravel(), e.ravel()]]
    me = vx.create(os.path.join(out, "mesh.zv"), "mesh", bounds=bounds, chunk_shape=(500,) * 3, overwrite=overwrite)
    me.write_mesh(verts, faces)
    m = me.read_mesh(box=((0, 0, 400), (1000, 1000, 1000)), clip="whole")
    _say(console, f"mesh: {len(faces)} triangles; box read (whole) {len(m.faces)} faces")
    for store in (pts, sl, gr, me):
        for line in store.info().lines()[:3]:
            _say(console, "  " + line)
    result.written = [os.path.join(out, n) for n in ("points.zv", "streamlines.zv", "graph.zv", "mesh.zv")]
    try:
        import zarr_vectors as zv
        from zarr_vectors.validate import validate
    except ImportError:
        return result
    # zarr_vectors reads every store back; its validator (seconds per store) runs on the graph,
    # whose cross-chunk edges exercise the most of the layout
    for path in result.written:
        got = zv.open(path).read()
        ok = got.vertex_count == vx.open(path).level_info(0).vertex_count
        _say(console, f"zarr_vectors reads {os.path.basename(path)}: {got.vertex_count} vertices, agrees: {ok}")
        result.ok &= ok
    errors = list(validate(result.written[2], level=5).errors)
    _say(console, f"zarr_vectors validate(level=5) of graph.zv: {len(errors)} errors")
    result.ok &= not errors
    return result
