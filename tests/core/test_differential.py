"""The differential matrix: both backends x stores x formats x codecs agree with numpy.

Writes go through one backend and reads through both; every result is compared bit for
bit with the same operations applied to a numpy array.  Cells the zarrs backend cannot
serve (memory and S3 stores, v2, ...) must show the fallback in ``core.stats()``.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.cases import CODECS, SHAPE, same, sample, zarrkit_metadata
from tests.storage.cases import make_case
from zarrkit import core
from zarrkit.core.backends import zarrs as zarrs_backend
from zarrkit.core.backends.base import refusal
from zarrkit.core.backends.choice import auto_backend
from zarrkit.errors import BackendUnsupportedError

STORES = ["local", "memory", "zip", "obstore-s3"]
DTYPE_FILLS = [("uint16", 42), ("float32", float("nan")), ("complex64", 0j), ("bool", False)]


def _apply(target, backend: str) -> None:
    """The same writes on a zarrkit array handle or on a numpy array."""
    data = sample(str(target.dtype), seed=3)
    if isinstance(target, np.ndarray):
        target[...] = data
        target[1:12:3, ::-2] = data[:4, :4][:, ::-1]
        target[[5, 0, 5], 2] = data[0, :3]
        target[[7, 9], [1, 6]] = data[1, :2]  # numpy: pointwise with two arrays
        target[12, :] = np.zeros((), target.dtype)  # an edge row back to zero
        return
    target[...] = data
    target[1:12:3, ::-2] = data[:4, :4][:, ::-1]
    target[[5, 0, 5], 2] = data[0, :3]
    target[[7, 9], [1, 6]] = data[1, :2]
    target[12, :] = np.zeros((), target.dtype)


SELECTIONS = [
    (Ellipsis, "numpy"),
    ((slice(2, 11), slice(1, 6)), "numpy"),
    ((slice(None, None, -4), 3), "numpy"),
    (([12, 0, 5, 5], slice(None, None, 2)), "numpy"),
    ((0, slice(None), ), "numpy"),
    (([1, 8], [6, 0]), "orthogonal"),
    (([1, 8, 12], [6, 0, 3]), "points"),
]


def _ref_select(ref: np.ndarray, sel, mode):
    if mode == "orthogonal":
        return ref[np.ix_(*[np.asarray(s) for s in sel])]
    return ref[sel] if mode == "numpy" else ref[tuple(np.asarray(s) for s in sel)]


@pytest.mark.parametrize("dtype,fill", DTYPE_FILLS, ids=[d for d, _ in DTYPE_FILLS])
@pytest.mark.parametrize("codec", list(CODECS))
@pytest.mark.parametrize("store_name", STORES)
@pytest.mark.parametrize("write_backend", ["python", "zarrs-or-auto"])
def test_backends_agree_with_numpy(tmp_path, request, store_name, codec, dtype, fill, write_backend):
    """``zarrs-or-auto`` writes with zarrs where it can serve the case, else through ``auto``
    (which then falls back to python); reads go through python and the same way."""
    case = make_case(store_name, tmp_path, request)
    meta = zarrkit_metadata(codec, dtype, fill)
    ref = np.full(SHAPE, meta.fill_value, dtype=meta.dtype)
    _apply(ref, write_backend)

    core.stats(reset=True)
    store = case.open("w")
    core.create_array(store, "arr", meta)
    zarrs_served = refusal(zarrs_backend, store, meta, op="write") is None
    fast = "python" if write_backend == "python" else "zarrs" if zarrs_served else "auto"
    handle = core.Array(store, "arr", backend=fast)
    _apply(handle, write_backend)
    stats = core.stats()
    if fast == "zarrs":  # the capabilities said yes: zarrs did the writes, no fallback
        assert stats.get("fallback", 0) == 0 and stats.get("zarrs:calls", 0) > 0
    elif fast == "auto":  # zarrs cannot serve it: python did, as a fallback where auto prefers zarrs
        prefers_zarrs = auto_backend(meta, op="write") == "zarrs"
        assert stats.get("zarrs:calls", 0) == 0 and (stats.get("fallback", 0) > 0) == prefers_zarrs
    case.finish(store)

    reader = case.reader()
    keys = sorted(reader.list_prefix("arr/"))
    read_fast = "zarrs" if refusal(zarrs_backend, reader, meta, op="read") is None else "auto"
    for backend in ("python", read_fast):
        a = core.Array(reader, "arr", backend=backend)
        for sel, mode in SELECTIONS:
            got = a.read_region(sel, indexing=mode)
            assert same(got, _ref_select(ref, sel, mode)), (backend, sel, mode)
        inner = a.read_chunk((1, 1), inner=True)
        r0, c0 = a.chunks[0], a.chunks[1]
        assert same(inner, ref[r0 : 2 * r0, c0 : 2 * c0])
        edge = a.read_chunk((3, 2), inner=True)  # rows 12..15 of 13, padded with the fill
        assert edge.shape == a.chunks and same(edge[:1, :1], ref[12:13, 6:7])

    # the set of stored keys does not depend on the backend that wrote them
    other = make_case("memory", tmp_path, request).open("w")
    core.create_array(other, "arr", meta)
    _apply(core.Array(other, "arr", backend="python"), "python")
    assert sorted(k for k in other.list_prefix("arr/")) == keys


def test_explicit_zarrs_refuses_what_it_cannot_serve(tmp_path, request):
    store = make_case("memory", tmp_path, request).open("w")
    meta = core.create_array(store, "a", core.array_metadata((4,), "u1", (2,)))
    if not zarrs_backend.available():
        pytest.skip("zarrista is not installed")
    with pytest.raises(BackendUnsupportedError, match="store kind memory"):
        core.read_region(store, "a", ..., metadata=meta, backend="zarrs")
    local = make_case("local", tmp_path, request).open("w")
    m2 = core.create_array(local, "v2", core.array_metadata((4,), "u1", (2,), zarr_format=2))
    with pytest.raises(BackendUnsupportedError, match="zarr v2"):
        core.read_region(local, "v2", ..., metadata=m2, backend="zarrs")
    core.stats(reset=True)  # a write of a region is where auto would use zarrs, if any
    core.write_region(local, "v2", ..., 1, metadata=m2, backend="auto")
    assert core.stats().get("fallback:zarr v2") == (1 if auto_backend(m2, op="write") == "zarrs" else None)


def test_zarrs_copy_false_returns_a_read_only_view(tmp_path, request):
    if not zarrs_backend.available():
        pytest.skip("zarrista is not installed")
    store = make_case("local", tmp_path, request).open("w")
    meta = core.create_array(store, "a", core.array_metadata((6, 6), "i4", (3, 3)))
    core.write_region(store, "a", ..., np.arange(36).reshape(6, 6), metadata=meta)
    view = core.read_region(store, "a", (slice(1, 5), slice(0, 6)), metadata=meta, backend="zarrs", copy=False)
    owned = core.read_region(store, "a", (slice(1, 5), slice(0, 6)), metadata=meta, backend="zarrs")
    assert same(view, owned) and not view.flags.writeable and owned.flags.writeable
