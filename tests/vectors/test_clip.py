"""``read_polylines(clip="exact")``: Liang–Barsky parts with inserted crossing points (spec §3.3)."""

from __future__ import annotations

import numpy as np

import zarrkit.vectors as vx
from tests.vectors.helpers import in_box
from tests.vectors.test_linked import walks

B = ([0.0] * 3, [100.0] * 3)
BOX = ((30.0, 25.0, 20.0), (70.0, 75.0, 65.0))


def _on_segment(p, a, b) -> bool:
    d = b - a
    t = float(np.clip((p - a) @ d / (d @ d), 0, 1)) if d @ d > 0 else 0.0
    return bool(np.allclose(a + t * d, p, atol=1e-6))


def test_exact_parts_are_the_inside_vertices_plus_crossings(tmp_path):
    lines = walks(21, (60, 150, 7, 1))
    s = vx.create(str(tmp_path / "p.zv"), "polylines", bounds=B, chunk_shape=(25,) * 3)
    s.write_polylines(lines, attributes={"t": np.concatenate([np.arange(len(x), dtype="f4") for x in lines])})
    got = s.read_polylines(box=BOX, clip="exact")
    lo, hi = (np.asarray(b, np.float64) for b in BOX)
    assert np.all(in_box(got.vertices, lo, hi))
    kept = got.vertices[~got.inserted]
    # the original vertices that survive are exactly numpy's inside vertices, line by line, in order
    expect = np.concatenate([x[in_box(x, *BOX)] for x in lines]).astype(np.float64)
    assert np.array_equal(kept, expect)
    assert got.inserted.any()
    for i in range(len(got)):
        line = lines[got.ids[i]].astype(np.float64)
        seg_t = got.attributes["t"][got.offsets[i]:got.offsets[i + 1]]
        for p, ins, t in zip(got.line(i), got.inserted[got.offsets[i]:got.offsets[i + 1]], seg_t):
            if not ins:
                continue
            on_box = np.any(np.isclose(p, lo) | np.isclose(p, hi))
            k = int(np.floor(t))  # the interpolated "t" says which segment the crossing is on
            assert on_box and _on_segment(p, line[k], line[min(k + 1, len(line) - 1)])
    inside = s.read_polylines(box=BOX, clip="inside")
    assert len(got) >= len(inside)
    demo = s.read_polylines(ids=[1], box=BOX, clip="exact")
    assert set(demo.ids.tolist()) <= {1}
