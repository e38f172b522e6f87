"""Image archives against the real readers: xarray, ome-zarr-models, ome-zarr-py, cf-xarray, zarr-python."""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pytest
import zarr

from zarrkit import image
from zarrkit.errors import (
    ArchiveError,
    ArchiveExistsError,
    FormatVersionError,
    MaskPlaneError,
    NotAnArchiveError,
)
from zarrkit.image.layout import shard_shape

xr = pytest.importorskip("xarray")


def _archive(n=600, planes=3, **kw) -> image.ImageArchive:
    rng = np.random.default_rng(0)
    img = rng.normal(100, 5, (n, n)).astype("f4")
    var = np.full((n, n), 25.0, "f4")
    mask = image.Mask.from_planes({f"P{i}": rng.random((n, n)) > 0.9 for i in range(planes)},
                                  descriptions={"P0": "bad pixel"})
    from astropy import units as u

    return image.ImageArchive(img, variance=var, mask=mask, unit=u.electron, metadata={"run": 7}, **kw)


def test_xarray_opens_the_root_without_warnings(tmp_path):
    arch = _archive()
    url = image.write(arch, str(tmp_path / "a.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(url)
        assert ds.image.dims == ("y", "x") and ds.mask.dims == ("y", "x")
        assert np.array_equal(ds.image.values, arch.image)
        assert np.array_equal(ds.y.values, np.arange(600)) and ds.image.attrs["units"] == "electron"
        assert ds.variance.attrs["units"] == "electron2"
        assert ds.image.attrs["ancillary_variables"] == "variance mask"
        assert ds.mask.attrs["flag_meanings"] == "P0 P1 P2" and ds.mask.attrs["flag_masks"] == [1, 2, 4]
        level = xr.open_zarr(url, group="pyramid/1")
        assert level.image.shape == (300, 300)
    for name in ("image", "variance", "mask", "y", "x"):
        assert "_ARRAY_DIMENSIONS" not in zarr.open_array(url, path=name).attrs


def test_ome_zarr_models_and_ome_zarr_py_accept_it(tmp_path):
    from ome_zarr_models.v05 import Image

    url = image.write(_archive(), str(tmp_path / "a.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = Image.from_zarr(zarr.open_group(url, mode="r"))
    paths = [d.path for d in model.attributes.ome.multiscales[0].datasets]
    assert paths == ["image", "pyramid/1/image", "pyramid/2/image"]
    ms = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    assert ms["datasets"][1]["coordinateTransformations"][1] == {"type": "translation", "translation": [0.5, 0.5]}
    assert {"name", "type", "metadata"} <= set(ms)

    from ome_zarr.io import parse_url
    from ome_zarr.reader import Multiscales, Reader

    nodes = list(Reader(parse_url(url))())
    multiscale = [n for n in nodes if any(isinstance(s, Multiscales) for s in n.specs)]
    assert len(multiscale) == 1
    shapes = [tuple(d.shape) for d in multiscale[0].data]
    assert shapes == [(600, 600), (300, 300), (150, 150)]


def test_round_trip_through_zarrkit_and_zarr_python(tmp_path):
    arch = _archive(n=300, origin=(5, 7), name="deep")
    url = image.write(arch, str(tmp_path / "a.zarr"), pyramid=False)
    got = image.read(url)
    assert np.array_equal(got.image[...], arch.image) and np.array_equal(got.variance[...], arch.variance)
    assert np.array_equal(got.mask.array, arch.mask.array.astype(np.uint64))
    assert got.mask.planes[0].description == "bad pixel" and got.metadata == {"run": 7}
    assert got.origin == (5, 7) and got.name == "deep"
    assert np.array_equal(zarr.open_array(url, path="image")[...], arch.image)
    cut = got.cutout(slice(10, 14), slice(20, 24))
    assert cut.origin == (15, 27) and np.array_equal(cut.image, arch.image[10:14, 20:24])
    assert np.array_equal(cut.mask.array, arch.mask.array[10:14, 20:24])


def test_mask_bit_40_survives_zarrkit_and_cf_decoding(tmp_path):
    cfx = pytest.importorskip("cf_xarray")  # noqa: F841
    planes = {f"plane{i}": np.zeros((16, 16), bool) for i in range(41)}
    planes["plane40"][4:8, 4:8] = True
    arch = image.ImageArchive(np.zeros((16, 16), "f4"), mask=image.Mask.from_planes(planes))
    url = image.write(arch, str(tmp_path / "m.zarr"), pyramid=False)
    got = image.read(url)
    assert np.array_equal(got.mask.plane("plane40"), planes["plane40"])
    ds = xr.open_zarr(url)
    # bits 32..40 live in mask_1 as local bits 0..8: a uint16 that cf-xarray decodes exactly
    assert ds.mask_1.attrs["flag_masks"] == [1 << b for b in range(9)] and ds.mask_1.dtype == np.uint16
    assert ds.mask.dtype == np.uint32
    assert np.array_equal(((ds.mask_1 & 256) != 0).values, planes["plane40"])
    assert np.array_equal(ds.mask_1.cf.flags["plane40"].values, planes["plane40"])


def test_zip_has_unique_entries_root_first_and_opens_in_xarray(tmp_path):
    from ome_zarr_models.v05 import Image

    path = tmp_path / "a.ozx"
    image.write(_archive(n=300), str(path))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert names[0] == "zarr.json" and len(names) == len(set(names))
    store = zarr.storage.ZipStore(str(path), mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(store, consolidated=True)
        Image.from_zarr(zarr.open_group(store, mode="r"))
    assert ds.image.shape == (300, 300)
    assert image.read(str(path)).cutout(slice(0, 4), slice(0, 4)).image.shape == (4, 4)


def test_s3_write_read_and_xarray(s3_options, bucket):
    arch = _archive(n=300)
    url = f"s3://{bucket}/a.zarr"
    image.write(arch, url, storage_options=s3_options)
    got = image.read(url, storage_options=s3_options)
    assert np.array_equal(got.cutout(slice(3, 7), slice(3, 7)).image, arch.image[3:7, 3:7])
    ds = image.to_xarray(url, storage_options=s3_options)
    assert np.array_equal(ds.image.values, arch.image)


def test_existing_target_failed_write_and_versions(tmp_path):
    url = str(tmp_path / "a.zarr")
    image.write(_archive(n=64), url)
    with pytest.raises(ArchiveExistsError):
        image.write(_archive(n=64), url)
    image.write(_archive(n=64), url, overwrite=True)
    doc = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())
    doc["attributes"]["zarrkit"]["version"] = "2.0"
    (tmp_path / "a.zarr" / "zarr.json").write_text(json.dumps(doc))
    with pytest.raises(FormatVersionError, match="newer than this zarrkit reads"):
        image.read(url)
    doc["attributes"]["zarrkit"]["version"] = "1.7"
    (tmp_path / "a.zarr" / "zarr.json").write_text(json.dumps(doc))
    assert image.read(url).image.shape == (64, 64)
    with pytest.raises(NotAnArchiveError):
        image.read(str(tmp_path))

    class Boom(np.ndarray):
        pass

    bad = _archive(n=64)
    bad.metadata = {"x": [1, {"y": object()}]}
    with pytest.raises(ArchiveError, match=r"metadata.x\[1\].y"):
        image.write(bad, str(tmp_path / "b.zarr"))
    assert not (tmp_path / "b.zarr").exists() or not any((tmp_path / "b.zarr").iterdir())


@pytest.mark.parametrize("make", [
    lambda: image.ImageArchive(np.zeros((2, 2, 2), "f4")),
    lambda: image.ImageArchive(np.zeros((2, 2), bool)),
    lambda: image.ImageArchive(np.zeros((2, 2), "c8")),
    lambda: image.Mask(np.zeros((2, 2), "u8"), [image.MaskPlane(f"p{i}", i % 64) for i in range(65)]),
    lambda: image.Mask(np.zeros((2, 2), "u1"), [image.MaskPlane("a", 0), image.MaskPlane("a", 1)]),
    lambda: image.Mask(np.zeros((2, 2), "u1"), [image.MaskPlane("a", 0), image.MaskPlane("b", 0)]),
    lambda: image.ImageArchive(np.zeros((4, 4), "f4"), psf=np.zeros((2, 2, 3, 3)), cells=image.CellGrid((3, 3), (2, 2))),
    lambda: image.ImageArchive(np.zeros((4, 4), "f4"), metadata={"a": float("nan")}),
])
def test_bad_input_is_refused_on_construction(make):
    with pytest.raises(ArchiveError):
        make()


def test_more_than_64_planes_is_a_mask_plane_error():
    with pytest.raises(MaskPlaneError, match="at most 64"):
        image.Mask.from_planes({f"p{i}": np.zeros((2, 2), bool) for i in range(65)})


def test_shard_rule_examples():
    assert shard_shape((4096, 4096), (256, 256), 8, 16 * 2**20) == (1024, 1024)
    assert shard_shape((4096, 4096), (256, 256), 2, 16 * 2**20) == (2048, 2048)
    assert shard_shape((100000, 256), (256, 256), 4, 16 * 2**20) == (16384, 256)
    assert shard_shape((256, 256), (256, 256), 4, 16 * 2**20) is None


def test_cutouts_read_only_their_chunks():
    """§6: open + a 4x4 cutout inside one chunk of image, variance and mask in <= 7 reads, no listing."""
    from zarrkit.core.sharding import shard_index_cache
    from zarrkit.image.read import StoredArchive
    from zarrkit.storage import open_store

    n = 4096
    rng = np.random.default_rng(1)
    arch = image.ImageArchive(
        rng.normal(0, 1, (n, n)).astype("f4"), variance=np.ones((n, n), "f4"),
        mask=image.Mask.from_planes({"BAD": rng.random((n, n)) > 0.99}),
    )
    url = image.write(arch, "memory://cutout-count", pyramid=False)
    store = open_store(url, mode="r")
    calls: list[str] = []
    for name in ("get", "get_range", "get_many", "list_prefix", "list_dir", "list_sizes", "exists"):
        original = getattr(store, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        setattr(store, name, counted)
    shard_index_cache.clear()
    a = StoredArchive(store)
    assert a.image.shards == (2048, 2048)
    cut = a.cutout(slice(300, 304), slice(500, 504))
    assert np.array_equal(cut.image, arch.image[300:304, 500:504])
    assert np.array_equal(cut.mask.array, arch.mask.array[300:304, 500:504])
    assert len(calls) <= 7 and not any(c.startswith("list") for c in calls), calls
    calls.clear()
    shard_index_cache.clear()
    StoredArchive(store).image[254:258, 254:258]  # a corner shared by four chunks
    assert len(calls) <= 6, calls


def test_colour_and_cell_coadd_archives(tmp_path):
    from ome_zarr_models.v05 import Image

    rng = np.random.default_rng(3)
    colour = image.ImageArchive(
        rng.random((3, 600, 500)).astype("f4"),
        channels=[image.Channel("r", "FF0000"), image.Channel("g", "00FF00"), image.Channel("b", "0000FF")],
    )
    url = image.write(colour, str(tmp_path / "c.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Image.from_zarr(zarr.open_group(url, mode="r"))
        ds = xr.open_zarr(url)
    assert ds.image.dims == ("c", "y", "x")
    ome = json.loads((tmp_path / "c.zarr" / "zarr.json").read_text())["attributes"]["ome"]
    assert [a["name"] for a in ome["multiscales"][0]["axes"]] == ["c", "y", "x"]
    assert [c["label"] for c in ome["omero"]["channels"]] == ["r", "g", "b"]
    assert xr.open_zarr(url, group="pyramid/1").image.shape == (3, 300, 250)

    psf = rng.random((4, 3, 9, 9)).astype("f4")
    coadd = image.ImageArchive(rng.random((200, 150)).astype("f4"), psf=psf, cells=image.CellGrid((50, 50), (4, 3)))
    url = image.write(coadd, str(tmp_path / "p.zarr"))
    back = image.read(url)
    assert back.kind == "cell_coadd" and back.cells == image.CellGrid((50, 50), (4, 3))
    assert np.array_equal(back.psf[...], psf) and back.image.chunks == (50, 50)
    assert back.psf.metadata.dimension_names == ("cell_y", "cell_x", "psf_y", "psf_x")


def test_icechunk_archive_is_one_commit_and_a_failure_commits_nothing(tmp_path, monkeypatch):
    pytest.importorskip("icechunk")
    import importlib

    from zarrkit.storage import open_store

    write_module = importlib.import_module("zarrkit.image.write")

    url = f"icechunk+file://{tmp_path / 'repo'}"
    arch = _archive(n=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # closing with uncommitted changes would warn
        assert image.write(arch, url) == url
    back = image.read(url)
    assert np.array_equal(back.image[...], arch.image) and back.mask.planes == arch.mask.planes
    store = open_store(url, mode="r")
    history = list(store.repo.ancestry(branch="main"))
    assert [s.message for s in history[:1]] == ["zarrkit image archive 'image'"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(store.zarr_store(), zarr_format=3)
    assert np.array_equal(ds.image.values, arch.image)
    with pytest.raises(ArchiveExistsError):
        image.write(arch, url)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    url2 = f"icechunk+file://{tmp_path / 'repo2'}"
    monkeypatch.setattr(write_module, "_ome_block", broken)  # fails after every array is written
    with pytest.raises(RuntimeError, match="disk on fire"):
        image.write(arch, url2)
    store2 = open_store(url2, mode="r")
    assert list(store2.list_prefix("")) == []
    assert len(list(store2.repo.ancestry(branch="main"))) == 1  # only the repository's initial snapshot


def test_open_groups_reads_every_level_while_open_datatree_refuses_a_pyramid(tmp_path):
    url = image.write(_archive(n=600), str(tmp_path / "a.zarr"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        groups = xr.open_groups(url, engine="zarr", zarr_format=3)
    assert groups["/"].image.shape == (600, 600)
    assert groups["/pyramid/1"].image.shape == (300, 300) and groups["/pyramid/2"].image.shape == (150, 150)
    with pytest.raises(ValueError, match="(?i)align"):  # the documented limit (README, image archives)
        xr.open_datatree(url, engine="zarr", zarr_format=3)
    flat = image.write(_archive(n=600), str(tmp_path / "flat.zarr"), pyramid=False)
    assert xr.open_datatree(flat, engine="zarr", zarr_format=3)["/"].image.shape == (600, 600)
