"""The one-chunk point path (zarrkit.core.point) against numpy and the general read path."""

from __future__ import annotations

import numpy as np
import pytest

from zarrkit import core
from zarrkit.core.point import point_reader
from zarrkit.errors import ChunkDecodeError, OutOfBoundsError
from zarrkit.storage import open_store

ZSTD = [{"name": "zstd", "configuration": {"level": 3, "checksum": False}}]
LAYOUTS = {
    "sharded": dict(chunks=(2, 3, 4), shards=(4, 6, 4), compressors=ZSTD),
    "sharded-crc": dict(chunks=(2, 3, 4), shards=(4, 6, 4), compressors=[*ZSTD, {"name": "crc32c"}]),
    "plain": dict(chunks=(3, 4, 4), compressors=ZSTD),
    "v2": dict(chunks=(3, 4, 4), zarr_format=2),
}


def _array(tmp_path, layout: str, dtype="i2", fill=0):
    store = open_store(str(tmp_path / f"{layout}.zarr"), mode="w")
    meta = core.create_array(store, "a", core.array_metadata((7, 11, 4), dtype, fill_value=fill, **LAYOUTS[layout]))
    ref = (np.arange(7 * 11 * 4).reshape(7, 11, 4) % 251 - 120).astype(dtype)
    ref[:4, :6] = fill  # one whole shard (or several chunks) never written
    core.write_region(store, "a", (slice(4, None),), ref[4:], metadata=meta)
    core.write_region(store, "a", (slice(0, 4), slice(6, None)), ref[:4, 6:], metadata=meta)
    return store, meta, ref


def _selections(rng, shape):
    """Ints (Python and numpy, negative too), one-chunk slices, missing trailing axes."""
    out = []
    for _ in range(60):
        i, j = int(rng.integers(-shape[0], shape[0])), int(rng.integers(-shape[1], shape[1]))
        out += [(i, j, slice(None)), (np.int64(i), np.int32(j)), (np.uint16(i % shape[0]), j, 2), (i,),
                (i, slice(j % shape[1], j % shape[1] + 1), slice(1, 3)), np.int64(i)]
    return out


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("backend", ["python", "auto"])
def test_point_reads_equal_numpy(tmp_path, layout, backend):
    store, meta, ref = _array(tmp_path, layout)
    a = core.open_array(store, "a", backend=backend)
    rng = np.random.default_rng(3)
    for sel in _selections(rng, ref.shape):
        got = a[sel]
        want = ref[sel]
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want), sel
        assert np.array_equal(core.read_region(store, "a", sel, metadata=meta, backend=backend), want)
        got[...] = 0  # a fresh array: writing into it must not change the next read
    assert np.array_equal(a[...], ref)


def test_the_reader_serves_one_chunk_boxes_only(tmp_path):
    store, meta, ref = _array(tmp_path, "sharded")
    r = point_reader(store, "a", meta)
    assert np.array_equal(r.read((5, 7, slice(None))), ref[5, 7])
    for sel in [(slice(0, 3),), (5, slice(None)), (7, 0), (0, 11), ([1, 2], 0), (slice(None, None, 2),),
                (True, 0), (0, 0, 0, 0), (Ellipsis, 0), (1.0, 0), ()]:
        assert r.read(sel) is None, sel
    with pytest.raises(OutOfBoundsError):  # the general path raises for what the reader declines
        core.open_array(store, "a")[7, 0]


def test_a_shard_rewritten_behind_a_cached_index_is_read_again(tmp_path):
    import zarr

    store, meta, ref = _array(tmp_path, "sharded", dtype="i4")
    a = core.open_array(store, "a", backend="python")
    assert np.array_equal(a[5, 7], ref[5, 7])  # caches the shard's index
    # another writer (zarr-python) rewrites the shard with constant chunks: far shorter ones,
    # so the cached offsets now point past the end or into other chunks
    zarr.open_array(str(tmp_path / "sharded.zarr"), path="a", mode="r+")[4:, 6:] = 5
    assert a[5, 7].tolist() == [5] * 4 and a[6, 10].tolist() == [5] * 4


def test_corrupt_chunk_names_its_key(tmp_path):
    store, meta, ref = _array(tmp_path, "plain")
    key = "a/c/2/1/0"
    store.set(key, b"\x28\xb5\x2f\xfd garbage")
    with pytest.raises(ChunkDecodeError) as info:
        core.open_array(store, "a")[6, 5]
    assert info.value.key == key and info.value.url == store.url


def test_auto_point_reads_take_the_python_reader(tmp_path):
    store, meta, ref = _array(tmp_path, "sharded")
    a = core.open_array(store, "a", backend="auto")
    a[5, 7]
    core.stats(reset=True)
    for i in range(4, 7):
        assert np.array_equal(a[i, 8, :], ref[i, 8])
    assert core.stats().get("zarrs:calls", 0) == 0


def test_metadata_change_rebuilds_the_reader(tmp_path):
    store, meta, ref = _array(tmp_path, "plain")
    a = core.open_array(store, "a")
    assert a[5, 5, 0] == ref[5, 5, 0]
    new = core.create_array(store, "a", core.array_metadata((2, 2), "f4", (1, 2), fill_value=1.5), overwrite=True)
    assert a[1, 1] == 1.5 and a[1, 1].dtype == np.float32
    assert point_reader(store, "a", new) is not point_reader(store, "a", meta)


def test_a_reader_is_per_store_object(tmp_path):
    store, meta, ref = _array(tmp_path, "plain")
    assert np.array_equal(core.read_region(store, "a", (5, 5), metadata=meta), ref[5, 5])
    store.close()
    again = open_store(str(tmp_path / "plain.zarr"), mode="r")  # same location, same identity
    assert again.identity == store.identity
    assert np.array_equal(core.read_region(again, "a", (5, 5), metadata=meta), ref[5, 5])
    assert point_reader(again, "a", meta).node.store is again
