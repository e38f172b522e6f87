"""zarrkit against zarr_vectors 0.9.2 on the same input (spec §5): a metadata golden diff of
every ``zarr.json`` (root, level and array attributes and the array documents), and cell
parity of every array (decoded cells equal, cell for cell), for each kind.

The differences zarrkit is allowed are listed in ``ALLOWED`` with the reason; any other
difference fails.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import pytest

from tests.vectors import make_fixtures as mf
from tests.vectors.truth import MISSING, arrays, documents, json_diff

pytest.importorskip("zarr_vectors")

CASES = [c for c in mf.CASES if c not in mf.READ_ONLY]
PARITY_CASES = [c for c in CASES if c != "pyramid"]  # the two pyramid builders differ by design (§3.4)
ZV_PYRAMID_CAPABILITIES = {"shared_fragments", "multiscale_links"}
CROSS_LEVEL_NODE = r"\d+/links(/[+-]\d+(/.*)?)?"  # links/±1: zarr_vectors' cross-level families


def _chunk(zk, zv, docs) -> bool:
    return zv is MISSING and zk == docs[""]["attributes"]["zarr_vectors"]["chunk_shape"]


def _capabilities(zk, zv, docs) -> bool:
    return isinstance(zv, list) and [c for c in zv if c not in ZV_PYRAMID_CAPABILITIES] == zk


def _zk_only(zk, zv, docs) -> bool:
    return zv is MISSING


def _zv_only(zk, zv, docs) -> bool:
    return zk is MISSING


def _uncompressed(zk, zv, docs) -> bool:
    return [c for c in zk if c["name"] not in ("zstd", "blosc", "gzip")] == zv


# (cases or None for all, node regex, key regex, check(zk value, zv value, zarrkit docs), reason)
ALLOWED: list[tuple[Any, str, str, Callable | None, str]] = [
    (None, "", r"/attributes/zarrkit", _zk_only, "zarrkit's root marker (spec §2.1, §2.11), ignorable by zarr_vectors"),
    (None, "", r"/attributes/zarr_vectors/base_bin_shape", _chunk,
     "zarrkit always writes base_bin_shape; zarr_vectors' writers omit it when it equals chunk_shape (§2.1)"),
    (None, r"\d+", r"/attributes/zarr_vectors_level/arrays_present", None,
     "zarrkit lists the families on disk; zarr_vectors' writers list them inconsistently (§2.2, §5); "
     "zarrkit's own rule is checked in test_arrays_present_is_the_families_on_disk"),
    (None, r"\d+/object_(attributes/[^/]+|index/object_ids|index/manifests)", r"/chunk_grid/configuration/chunk_shape\[0\]",
     None, "object-array chunking: zarrkit caps chunks at the row count, zarr_vectors writes 65,536 rows (§2.7, §5)"),
    ({"pyramid"}, "", r"/attributes/zarr_vectors/cross_level_(depth|storage)", _zv_only,
     "zarr_vectors' cross-level link settings; zarrkit writes no cross-level links (§2.6, §2.9)"),
    ({"pyramid"}, "", r"/attributes/zarr_vectors/format_capabilities", _capabilities,
     "zarr_vectors' per_object pyramid adds shared_fragments and multiscale_links, which zarrkit never writes (§2.9)"),
    ({"pyramid"}, r"[1-9]\d*", r"/attributes/zarr_vectors_level/(coarsening_method|vertex_count)", None,
     "different coarsening methods: zarrkit_grid keeps real points, per_object writes bin centroids (§3.4)"),
    ({"pyramid"}, r"[1-9]\d*", r"/attributes/zarr_vectors_level/shared_fragments", _zv_only,
     "per_object's shared metavertices; zarrkit levels have no shared fragments (§2.9)"),
    ({"pyramid"}, r"[1-9]\d*", r"/attributes/zarr_vectors_level/fragments_tile", _zk_only,
     "zarrkit's checked tiling claim (§2.2)"),
    ({"pyramid"}, r"[1-9]\d*/(vertices|vertex_fragments)", r"/codecs", _uncompressed,
     "zarr_vectors' build_pyramid drops the compressor on coarse levels"),
]
ALLOWED_NODES = [
    (None, r"(.+/)?zvx(/.*)?", _zk_only, "zarrkit extras (§2.11)"),
    ({"pyramid"}, CROSS_LEVEL_NODE, _zv_only, "zarr_vectors' cross-level link families; never written by zarrkit (§2.6)"),
]

_STORES: dict[str, tuple] = {}


def stores(case, tmp_path_factory, zv_written):
    """Both writers' stores for ``case`` (each xdist worker builds the cases it runs, once)."""
    if case not in _STORES:
        zk = tmp_path_factory.mktemp(case) / f"{case}.zv"
        s = mf.write_zarrkit(case, zk)
        if case == "pyramid":
            s.build_pyramid(levels=len(mf.PYRAMID_FACTORS), factor=2)
        _STORES[case] = (zk, zv_written(case, parity=True))
    return _STORES[case]


def _allowed(rules, case, node, key=None):
    for cases, node_re, *rest in rules:
        if cases is not None and case not in cases:
            continue
        if not re.fullmatch(node_re, node):
            continue
        if key is None:
            return rest
        if re.fullmatch(rest[0], key):
            return rest[1:]
    return None


@pytest.mark.parametrize("case", CASES)
def test_metadata_golden_diff(case, tmp_path_factory, zv_written):
    zk, zv = stores(case, tmp_path_factory, zv_written)
    ours, theirs = documents(zk), documents(zv)
    unexplained = []
    for node in sorted(set(ours) | set(theirs)):
        if node not in ours or node not in theirs:
            rule = _allowed(ALLOWED_NODES, case, node)
            a = ours.get(node, MISSING)
            b = theirs.get(node, MISSING)
            if rule is None or not rule[0](a, b, ours):
                unexplained.append((node, "only in " + ("zarrkit" if node in ours else "zarr_vectors")))
            continue
        for key, a, b in json_diff(ours[node], theirs[node]):
            rule = _allowed(ALLOWED, case, node, key)
            if rule is None or (rule[0] is not None and not rule[0](a, b, ours)):
                unexplained.append((node, key, a, b))
    assert unexplained == []
    # geometry_types: one token, the kind's
    assert ours[""]["attributes"]["zarr_vectors"]["geometry_types"] == \
        theirs[""]["attributes"]["zarr_vectors"]["geometry_types"][:1]


@pytest.mark.parametrize("case", CASES)
def test_arrays_present_is_the_families_on_disk(case, tmp_path_factory, zv_written):
    zk, _ = stores(case, tmp_path_factory, zv_written)
    docs = documents(zk)
    for level in (n for n in docs if re.fullmatch(r"\d+", n)):
        on_disk = {n.split("/")[1] for n in docs if n.startswith(level + "/")} - {"zvx"}
        assert docs[level]["attributes"]["zarr_vectors_level"]["arrays_present"] == sorted(on_disk)


@pytest.mark.parametrize("case", PARITY_CASES)
def test_cell_parity(case, tmp_path_factory, zv_written):
    """Every array zarr_vectors writes, zarrkit writes with equal decoded cells (vertices,
    fragment indexes, attributes, links and link fragments, manifests, object ids and
    attributes, groups)."""
    zk, zv = stores(case, tmp_path_factory, zv_written)
    ours, theirs = arrays(zk), arrays(zv)
    assert sorted(n for n in ours if "zvx" not in n.split("/")) == sorted(theirs)
    families = {n.split("/")[1] for n in theirs}
    linked = {"links", "link_fragments", "object_index"}
    expect = {"vertices", "vertex_fragments"} | {
        "points": {"vertex_attributes"}, "points_2d": {"vertex_attributes"},
        "points_ids": {"object_index", "object_attributes"},
        "polylines": {"links", "object_index"},
        "streamlines": {"links", "object_index", "object_attributes", "vertex_attributes", "groups"},
        "graph": linked | {"link_attributes"}, "mesh_tri": linked, "mesh_quad": linked}[
        "streamlines" if case == "streamlines_sharded" else case]
    assert families == expect  # each kind's families really are compared
    for node, values in theirs.items():
        mine = ours[node]
        assert mine.dtype == values.dtype and mine.shape == values.shape, node
        cells = np.flatnonzero(~_equal(mine, values))
        assert cells.size == 0, f"{node}: cells {[np.unravel_index(c, values.shape) for c in cells[:5]]} differ"


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "f":
        return ((a == b) | (np.isnan(a) & np.isnan(b))).ravel()
    return (a == b).ravel() if a.dtype != object else np.array([x == y for x, y in zip(a.ravel(), b.ravel())])
