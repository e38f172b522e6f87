"""Acceptance: the official OME-Zarr 0.5 examples, written by zarr-python, pass; the
specification's invalid JSON-schema cases fail.

The corpus (tests/data/ngff, with its licence) and the store builder
(tests/validate/build_ngff_stores.py) are described in tests/data/ngff/README.md.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from tests.validate.build_ngff_stores import (
    STORES,
    build_store,
    example_names,
    suite_cases,
)
from zarrkit.conventions.ome_schema import schema_errors, schema_text
from zarrkit.validate import validate

zarr = pytest.importorskip("zarr")
pytest.importorskip("jsonschema")
pytest.importorskip("ome_zarr_models")

# JSON schema cannot say that a well's path is "<row>/<column>"; the spec's own test run
# expects this case to pass the schema wrongly (XFAIL_ID_PATTERNS in its test_validation.py).
# zarrkit's "OME plate" rule catches it instead.
SCHEMA_BLIND = {"plate:plate/well_path_has_column_before_row": "OME plate"}

PINNED_NEW_SCHEMAS = {
    "label": "9f8bfd0cc0d50c6680dd39abe9b569e53283651933fac56d3b82ca8345740aec",
    "strict_label": "5d3ffcf97be415f8f4b459ea50230dbe78ba147d5434bda0307b3943ca1c265d",
    "plate": "a8a89bfd90a5c3c9f72eb94a9f3b6fa91939ba3230d0f2fef7a58fba7b075233",
    "strict_plate": "f63546f9821a4cd6ec8d7f5966ca8e444bcf70a0514641291d5d95ef60739ef9",
    "well": "03f2bb88aa66de9d46d5b6bd2e935dabafcd452f6cbbbd671e1f2688a7df6b55",
    "strict_well": "45ae31e1f7f530fa6308a4770bd4adf1ae04ea65f35a9111f64a7b311cdf70db",
    "bf2raw": "cc1ed75518e72f6173be7011a819a7907aa6686b3153d3392b922710fa5ee2aa",
    "ome": "9b9b3259256e928a2d2994f58fee47377eddbe8c0e421e50dfd2cca391e711c5",
}


def test_vendored_schemas_are_unmodified():
    for name, digest in PINNED_NEW_SCHEMAS.items():
        assert hashlib.sha256(schema_text(name)).hexdigest() == digest, name


def test_every_example_is_used_by_a_store():
    used = {doc for _, docs in STORES.values() for doc in docs}
    assert set(example_names()) == used
    assert len(example_names()) == 10


@pytest.fixture(scope="module")
def ngff_stores(tmp_path_factory):
    """Every store built twice, consolidated and not: {(name, consolidated): path}."""
    out = tmp_path_factory.mktemp("ngff")
    return {(name, flag): build_store(name, out / ("consolidated" if flag else "plain"), consolidated=flag)
            for name in STORES for flag in (True, False)}


def _listing(path):
    files = {}
    for folder, _, names in os.walk(path):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as fh:
                files[os.path.relpath(full, path)] = fh.read()
    return files


@pytest.mark.parametrize("consolidated", [True, False], ids=["consolidated", "plain"])
@pytest.mark.parametrize("name", sorted(STORES))
def test_official_example_store_passes(ngff_stores, name, consolidated):
    path = ngff_stores[(name, consolidated)]
    before = _listing(path)
    report = validate(str(path))
    assert report.passed, [c for c in report.checks if c.status == "fail"]
    assert _listing(path) == before  # validate writes nothing
    by_name = {c.name for c in report.checks}
    assert {"OME", "OME 0.5 schema", "ome-zarr-models"} <= by_name
    consolidation = [c.status for c in report.checks if c.name == "consolidated metadata"]
    assert consolidation == (["ok"] if consolidated else ["warn"])
    assert not any(c.name == "OME" and c.status == "skip" for c in report.checks)


def test_the_stores_claim_what_their_examples_describe(ngff_stores):
    kinds = {name: validate(str(ngff_stores[(name, True)])).conventions[-1] for name in STORES}
    assert kinds["label/colors_properties"] == "ome 0.5 (image, label, labels)"
    assert kinds["bf2raw/image+series"] == "ome 0.5 (bioformats2raw, image, series)"
    assert kinds["plate/plate_6wells"] == "ome 0.5 (image, plate, well)"


def test_sibling_levels_of_different_sizes_are_not_an_xarray_failure(ngff_stores):
    report = validate(str(ngff_stores[("image/multiscales_example", False)]))
    xarray = [c for c in report.checks if c.name == "xarray"]
    assert [(c.status, c.node) for c in xarray] == [("skip", "")]
    assert [c.status for c in report.checks if c.name == "dimension names"] == ["ok"]


def test_deep_reads_every_chunk_of_an_example(ngff_stores):
    report = validate(str(ngff_stores[("label/colors_properties", True)]), deep=True)
    chunks = [c for c in report.checks if c.name == "chunks"]
    assert report.passed and len(chunks) == 6 and all(c.status == "ok" for c in chunks)


CASES = suite_cases()


def test_the_suites_have_the_expected_size():
    assert len(CASES) == 86 and sum(not valid for *_, valid in CASES) == 65


@pytest.mark.parametrize("schema,case,attributes,valid", CASES, ids=[c[1] for c in CASES])
def test_suite_case_against_its_schema(schema, case, attributes, valid):
    errors = schema_errors(attributes, schema)
    if case in SCHEMA_BLIND:
        assert errors == []  # the schema's known blind spot, caught by validate below
    else:
        assert bool(errors) != valid, errors


INVALID = [c for c in CASES if not c[3]]


@pytest.mark.parametrize("schema,case,attributes,valid", INVALID, ids=[c[1] for c in INVALID])
def test_invalid_suite_case_fails_validate(tmp_path, schema, case, attributes, valid):
    """Each invalid case as the attributes of a real zarr-python group fails validate, and
    the failing check is the schema check (or the rule standing in for the schema).

    A case only the strict schema rejects (a SHOULD of the spec) is a schema warning, so it
    fails ``--strict`` (``strict_passed``) and nothing else.
    """
    path = tmp_path / "case.zarr"
    zarr.open_group(str(path), mode="w", zarr_format=3, attributes=attributes)
    report = validate(str(path))
    expected = SCHEMA_BLIND.get(case, "OME 0.5 schema")
    status = "warn" if schema.startswith("strict_") else "fail"
    named = [c for c in report.checks if c.name == expected and c.status == status]
    assert named and all(c.node == "" and c.key == "zarr.json" for c in named), report.checks
    assert not report.strict_passed()
    if status == "fail":
        assert not report.passed
    else:
        assert schema in named[0].detail
