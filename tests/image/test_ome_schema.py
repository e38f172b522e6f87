"""Root attributes of every archive kind against the official OME-Zarr 0.5 JSON schemas.

The schemas are vendored unmodified in src/zarrkit/conventions/schemas/ome-0.5 (source and
licence in SOURCE.md there); the hashes below catch any edit to them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import zipfile

import numpy as np
import pytest

from zarrkit import image
from zarrkit.conventions.ome_schema import schema_errors, schema_text
from zarrkit.validate import validate

pytest.importorskip("jsonschema")

PINNED = {
    "image": "eb129f72fdd91e0da5c762b0214ac96a714a562c559fc60c6f688e28644c929d",
    "strict_image": "a907836da5d1d528f30008238a2862891ffa60e63366fe403c732a88e6ab6825",
    "_version": "8246b17bd52c846431627d6cc2b9c8026b94930abdf85fa43935367957370ebe",
}


def test_vendored_schemas_are_unmodified():
    for name, digest in PINNED.items():
        assert hashlib.sha256(schema_text(name)).hexdigest() == digest, name
    assert json.loads(schema_text("image"))["$id"] == "https://ngff.openmicroscopy.org/0.5/schemas/image.schema"


def _masked(n=300, **kw):
    rng = np.random.default_rng(1)
    mask = image.Mask.from_planes({"BAD": rng.random((n, n)) > 0.9, "SAT": rng.random((n, n)) > 0.99})
    return image.ImageArchive(rng.random((n, n)).astype("f4"), variance=np.ones((n, n), "f4"), mask=mask, **kw)


ARCHIVES = {
    "masked with pyramid": lambda: (_masked(), {}),
    "no pyramid": lambda: (_masked(), {"pyramid": False}),
    "parent-grid origin": lambda: (_masked(origin=(40, -12)), {}),
    "colour": lambda: (image.ImageArchive(
        np.zeros((3, 128, 96), "u2"),
        channels=[image.Channel("r", "FF0000"), image.Channel("g", "00FF00"), image.Channel("b", "0000FF")]), {}),
    "cell coadd with psf": lambda: (image.ImageArchive(
        np.zeros((100, 60), "f4"), psf=np.zeros((2, 1, 5, 5), "f4"), cells=image.CellGrid((50, 60), (2, 1))), {}),
}


@pytest.mark.parametrize("kind", sorted(ARCHIVES))
def test_root_attributes_pass_image_and_strict_image(tmp_path, kind):
    archive, options = ARCHIVES[kind]()
    url = image.write(archive, str(tmp_path / "a.zarr"), **options)
    attrs = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())["attributes"]
    assert schema_errors(attrs, "image") == []
    assert schema_errors(attrs, "strict_image") == []
    datasets = attrs["ome"]["multiscales"][0]["datasets"]
    assert [d["path"] for d in datasets] == ["image"] + [f"pyramid/{n}/image" for n in range(1, len(datasets))]
    if kind.startswith("masked"):
        assert len(datasets) >= 2
    report = validate(url)
    assert [c.status for c in report.checks if c.name == "OME 0.5 schema"] == ["ok"]


def test_zip_archive_root_passes_the_strict_schema(tmp_path):
    path = tmp_path / "a.ozx"
    image.write(_masked(), str(path))
    with zipfile.ZipFile(path) as zf:
        attrs = json.loads(zf.read("zarr.json"))["attributes"]
    assert schema_errors(attrs, "strict_image") == []


def test_the_schemas_catch_what_the_anchor_got_wrong(tmp_path):
    image.write(_masked(), str(tmp_path / "a.zarr"))
    good = json.loads((tmp_path / "a.zarr" / "zarr.json").read_text())["attributes"]

    untyped = copy.deepcopy(good)  # the anchor wrote neither type nor metadata
    del untyped["ome"]["multiscales"][0]["type"], untyped["ome"]["multiscales"][0]["metadata"]
    assert schema_errors(untyped, "image") == []
    assert any("'type' is a required property" in e for e in schema_errors(untyped, "strict_image"))

    affine = copy.deepcopy(good)  # [scale, affine] is not 0.5
    affine["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"].append(
        {"type": "affine", "affine": [[1, 0, 0], [0, 1, 0]]})
    assert schema_errors(affine, "image")

    old = copy.deepcopy(good)
    old["ome"]["version"] = "0.4"
    assert any(e.startswith("ome.version") for e in schema_errors(old, "image"))

    one_axis = copy.deepcopy(good)
    one_axis["ome"]["multiscales"][0]["axes"] = one_axis["ome"]["multiscales"][0]["axes"][:1]
    assert schema_errors(one_axis, "image")


def test_validate_reports_a_schema_failure(tmp_path):
    path = tmp_path / "a.zarr"
    image.write(_masked(), str(path), pyramid=False)
    doc = json.loads((path / "zarr.json").read_text())
    doc["attributes"]["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"] = []
    (path / "zarr.json").write_text(json.dumps(doc))
    check = [c for c in validate(str(path)).checks if c.name == "OME 0.5 schema"]
    assert check[0].status == "fail" and "coordinateTransformations" in check[0].detail
