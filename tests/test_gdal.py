"""GDAL (through rasterio) reads what zarrkit writes: image archives and core arrays.

GDAL's Zarr driver shows an array's last two axes as rows and columns and flattens the
leading ones into bands.  GDAL 3.12 reads unsharded Zarr v3; sharding arrives in GDAL 3.13,
so the sharded cases are skipped, with that reason, on older GDAL.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.core.cases import CODECS, sample
from zarrkit import core, image
from zarrkit.storage import open_store

rasterio = pytest.importorskip("rasterio")
GDAL = tuple(int(p) for p in rasterio.__gdal_version__.split(".")[:2])
if GDAL < (3, 12):
    pytest.skip(f"GDAL {rasterio.__gdal_version__} knows an early draft of Zarr v3 only (refuses the 'bytes' codec); "
                "these run where rasterio brings GDAL 3.12 or newer (Python 3.12+)", allow_module_level=True)
needs_sharding = pytest.mark.skipif(GDAL < (3, 13), reason=f"GDAL {rasterio.__gdal_version__} has no sharding_indexed "
                                    "codec ('Unsupported codec: sharding_indexed'); it arrives in GDAL 3.13")

# the codecs of the core matrix GDAL 3.12 reads: not sharding, not crc32c
GDAL_CODECS = ["bytes", "zstd", "gzip", "blosc-lz4-shuffle", "blosc-zstd-bitshuffle", "transpose-big"]


def gdal_read(root, path: str) -> np.ndarray:
    """Every band of ``ZARR:"root":/path`` as (bands, rows, columns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a plain array has no geotransform, and GDAL says so
        with rasterio.open(f'ZARR:"{root}":/{path}') as ds:
            return ds.read()


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """One archive with the compat profile (no shards) and one with the default (sharded)."""
    rng = np.random.default_rng(7)
    pixels = (rng.standard_normal((300, 260)) * 50).astype("float32")
    pixels[5, 7] = np.nan
    variance = rng.random((300, 260)).astype("float32")
    root = tmp_path_factory.mktemp("archives")
    written = {}
    for profile in ("compat", "default"):
        url = image.write(image.ImageArchive(pixels, variance=variance), str(root / profile), profile=profile,
                          pyramid=1, chunks=64, shard_bytes=64 * 1024)  # 2×2 chunks a shard in "default"
        written[profile] = url
    return pixels, variance, written


def _is_sharded(url: str, path: str) -> bool:
    return core.read_metadata(open_store(url, mode="r"), path).shards is not None


def test_compat_archive_image_and_variance_read_exactly(archives):
    pixels, variance, written = archives
    assert not _is_sharded(written["compat"], "image")
    for path, expected in (("image", pixels), ("variance", variance)):
        got = gdal_read(written["compat"], path)
        assert got.shape == (1, *expected.shape)
        np.testing.assert_array_equal(got[0], expected)  # NaN where NaN, every bit of the rest


def test_compat_archive_pyramid_level_matches_zarrkits_reading(archives):
    _, _, written = archives
    store = open_store(written["compat"], mode="r")
    expected = core.read_region(store, "pyramid/1/image", ...)
    np.testing.assert_array_equal(gdal_read(written["compat"], "pyramid/1/image")[0], expected)


@needs_sharding
def test_sharded_archive_reads_exactly(archives):
    pixels, _, written = archives
    assert _is_sharded(written["default"], "image")
    np.testing.assert_array_equal(gdal_read(written["default"], "image")[0], pixels)


def test_gdal_312_refuses_the_sharded_archive_naming_the_codec(archives):
    _, _, written = archives
    if GDAL >= (3, 13):
        pytest.skip("GDAL reads sharded arrays")
    assert _is_sharded(written["default"], "image")
    with pytest.raises(rasterio.errors.RasterioIOError, match="sharding_indexed"):
        gdal_read(written["default"], "image")


@pytest.mark.parametrize("codec", GDAL_CODECS)
@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint32", "float32", "float64", "complex64"])
def test_core_arrays_read_back_with_every_codec_gdal_has(tmp_path, codec, dtype):
    data = sample(dtype)
    store = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(store, "")
    meta = core.create_array(store, "a", core.array_metadata(data.shape, dtype, (4, 3), **CODECS[codec][0]))
    core.write_region(store, "a", ..., data, metadata=meta)
    got = gdal_read(tmp_path / "s", "a")
    assert got.shape == (1, *data.shape) and got.dtype == data.dtype
    np.testing.assert_array_equal(got[0], data)


@needs_sharding
@pytest.mark.parametrize("codec", ["shard-end-zstd", "shard-start-crc"])
def test_sharded_core_arrays_read_back(tmp_path, codec):
    data = sample("int32")
    store = open_store(str(tmp_path / "s"), mode="w")
    core.create_group(store, "")
    meta = core.create_array(store, "a", core.array_metadata(data.shape, "int32", (4, 3), **CODECS[codec][0]))
    core.write_region(store, "a", ..., data, metadata=meta)
    np.testing.assert_array_equal(gdal_read(tmp_path / "s", "a")[0], data)
