"""Property tests: random shapes, chunks, shards and selections against numpy, both backends."""

from __future__ import annotations

import uuid

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.cases import same
from zarrkit import core
from zarrkit.storage import open_store


@st.composite
def arrays(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 40 if ndim <= 2 else 9), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.integers(1, s + 3)) for s in shape)
    shards = None
    if ndim and draw(st.booleans()):
        shards = tuple(c * draw(st.integers(1, 3)) for c in chunks)
    return shape, chunks, shards


@st.composite
def selections(draw, shape):
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "array", "full"] if n else ["slice", "full"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 2, n + 2))
            stop = draw(st.none() | st.integers(-n - 2, n + 2))
            step = draw(st.none() | st.integers(-5, 5).filter(lambda s: s != 0))
            items.append(slice(start, stop, step))
        elif kind == "array":
            items.append(draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=6)))
        else:
            items.append(slice(None))
    if items and draw(st.booleans()):
        cut = draw(st.integers(0, len(items)))
        items = items[:cut] + [Ellipsis]  # trailing axes through an Ellipsis
    return tuple(items)


def _orthogonal(ref, sel):
    """numpy reference for orthogonal indexing: one axis at a time."""
    out = ref
    axis = 0
    for s in sel:
        if s is Ellipsis:
            break
        if isinstance(s, int):
            out = np.take(out, s, axis=axis)
            continue
        if isinstance(s, list):
            out = np.take(out, np.asarray(s, dtype=np.intp), axis=axis)
        else:
            out = out[(slice(None),) * axis + (s,)]
        axis += 1
    return out


def _store(backend: str):
    if backend == "zarrs":
        import tempfile

        return open_store(tempfile.mkdtemp(prefix="zk-hyp-"), mode="w")
    return open_store(f"memory://hyp-{uuid.uuid4().hex}", mode="w")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), layout=arrays(), backend=st.sampled_from(["python", "zarrs"]))
def test_reads_and_writes_match_numpy(data, layout, backend):
    shape, chunks, shards = layout
    store = _store(backend)
    fill = data.draw(st.integers(-3, 3))
    meta = core.create_array(store, "a", core.array_metadata(shape, "int16", chunks, shards=shards, fill_value=fill))
    be = "auto" if backend == "zarrs" else "python"
    ref = np.asarray(np.arange(int(np.prod(shape)), dtype="int16").reshape(shape) % 7, dtype="int16")
    core.write_region(store, "a", ..., ref, metadata=meta, backend=be)

    sel = data.draw(selections(shape))
    got = core.read_region(store, "a", sel, indexing="orthogonal", metadata=meta, backend=be)
    assert same(got, _orthogonal(ref, sel))
    if sum(isinstance(s, list) for s in sel) <= 1:  # one index array: numpy indexing agrees
        np_sel = tuple(np.asarray(s, dtype=np.intp) if isinstance(s, list) else s for s in sel)
        assert same(core.read_region(store, "a", sel, metadata=meta, backend=be), ref[np_sel])

    # write through the selection, then read everything back
    target = _orthogonal(ref, sel)
    value = (np.arange(target.size, dtype="int16").reshape(target.shape) * 3) % 11
    core.write_region(store, "a", sel, value, indexing="orthogonal", metadata=meta, backend=be)
    expected = ref.copy()
    _assign_orthogonal(expected, sel, value)
    assert same(core.read_region(store, "a", ..., metadata=meta, backend=be), expected)


def _assign_orthogonal(ref, sel, value):
    index = []
    dropped = []
    for axis, n in enumerate(ref.shape):
        s = sel[axis] if axis < len(sel) and sel[axis] is not Ellipsis else slice(None)
        if axis < len(sel) and sel[:axis + 1].count(Ellipsis):
            s = slice(None)
        if isinstance(s, int):
            index.append(np.asarray([s % n]))
            dropped.append(axis)
        elif isinstance(s, list):
            index.append(np.asarray(s, dtype=np.intp) % max(n, 1))
        else:
            index.append(np.arange(n)[s])
    value = np.asarray(value)
    for axis in dropped:
        value = np.expand_dims(value, axis)
    if any(len(i) == 0 for i in index):
        return
    ref[np.ix_(*index)] = value


@settings(max_examples=60, deadline=None)
@given(data=st.data(), layout=arrays())
def test_points_match_numpy(data, layout):
    shape, chunks, shards = layout
    if not shape or 0 in shape:
        return
    store = _store("python")
    meta = core.create_array(store, "a", core.array_metadata(shape, "uint8", chunks, shards=shards))
    ref = (np.arange(int(np.prod(shape))).reshape(shape) % 251).astype("uint8")
    core.write_region(store, "a", ..., ref, metadata=meta)
    n = data.draw(st.integers(0, 8))
    coords = tuple(np.asarray(data.draw(st.lists(st.integers(0, s - 1), min_size=n, max_size=n)), dtype=np.intp) for s in shape)
    assert same(core.read_region(store, "a", coords, indexing="points", metadata=meta), ref[coords])
    value = np.arange(n, dtype="uint8") + 100
    core.write_region(store, "a", coords, value, indexing="points", metadata=meta)
    ref[coords] = value
    assert same(core.read_region(store, "a", ..., metadata=meta), ref)
