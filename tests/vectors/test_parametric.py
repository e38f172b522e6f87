"""§2.10: zarrkit reads the parametric/ and headers/ groups zarr_vectors writes, and keeps them
through its own appends."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zarrkit.vectors as vx
from zarrkit.errors import VectorFormatError
from zarrkit.vectors.parametric import read_headers, read_parametric

pytest.importorskip("zarr_vectors")
from zarr_vectors.headers.registry import HeaderRegistry  # noqa: E402
from zarr_vectors.types.parametric import read_parametric_objects, write_parametric_objects  # noqa: E402

OBJECTS = [{"type": "plane", "coefficients": [0, 0, 1, -5], "name": "floor"},
           {"type": "line", "coefficients": [1, 2, 3, 0, 0, 1]},
           {"type": "sphere", "coefficients": [1, 2, 3, 4.5], "name": "ball"}]
HEADER = {"voxel_size": [1.0, 1.0, 2.0], "dim": [10, 10, 5], "voxel_order": "RAS"}


def _store(tmp_path):
    path = str(tmp_path / "p.zv")
    s = vx.create(path, "points", bounds=([0, 0, 0], [10, 10, 10]), chunk_shape=(5, 5, 5))
    s.write_points(np.random.default_rng(0).uniform(0, 10, (40, 3)).astype("f4"))
    write_parametric_objects(path, OBJECTS)
    HeaderRegistry(path).add("trk", HEADER)
    return path


def _as_zarr_vectors_reads(objs):
    return [{"type": o.type, "type_id": o.type_id, "coefficients": list(o.coefficients.values()),
             "coefficient_names": list(o.coefficients), "name": o.name} for o in objs]


def test_zarrkit_reads_what_zarr_vectors_wrote_and_keeps_it(tmp_path):
    path = _store(tmp_path)
    theirs = read_parametric_objects(path)
    objs = read_parametric(vx.open(path))
    assert [o.type for o in objs] == ["plane", "line", "sphere"]
    assert objs[0].coefficients == {"A": 0.0, "B": 0.0, "C": 1.0, "D": -5.0} and objs[0].name == "floor"
    assert objs[2].coefficients["r"] == 4.5 and objs[2].name == "ball"
    assert _as_zarr_vectors_reads(objs) == [{k: t[k] for k in ("type", "type_id", "coefficients",
                                                                 "coefficient_names", "name")} for t in theirs]
    assert read_headers(vx.open(path)) == {"trk": HEADER}
    # a zarrkit append leaves both groups as they were, for zarr_vectors too
    before = {p.name: p.read_bytes() for p in (tmp_path / "p.zv" / "parametric").rglob("*") if p.is_file()}
    s = vx.open(path, "r+")
    s.write_points(np.full((3, 3), 7.0, "f4"))
    after = {p.name: p.read_bytes() for p in (tmp_path / "p.zv" / "parametric").rglob("*") if p.is_file()}
    assert after == before
    assert read_parametric_objects(path) == theirs and HeaderRegistry(path).get("trk") == HEADER


def test_stores_without_the_groups_read_empty_and_stay_unchanged(tmp_path):
    path = str(tmp_path / "plain.zv")
    s = vx.create(path, "points", bounds=([0, 0, 0], [1, 1, 1]), chunk_shape=(1, 1, 1))
    listing = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert read_parametric(s) == [] and read_headers(s) == {}
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == listing


def test_an_unknown_parametric_type_is_a_format_error(tmp_path):
    path = _store(tmp_path)
    doc = tmp_path / "p.zv" / "parametric" / "zarr.json"
    meta = json.loads(doc.read_text())
    del meta["attributes"]["parametric_types"]["2"]  # the sphere's type
    doc.write_text(json.dumps(meta))
    with pytest.raises(VectorFormatError, match=r"row 2 names parametric type 2\.0.*parametric/objects"):
        read_parametric(vx.open(path))
