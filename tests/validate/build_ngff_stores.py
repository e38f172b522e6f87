"""Build real OME-Zarr 0.5 stores from the official specification examples, with zarr-python.

The corpus in ``tests/data/ngff/0.5`` is copied unchanged from github.com/ome/ngff-spec
(branch ``0.5``; licence in ``tests/data/ngff/LICENSE.md``, provenance in
``tests/data/ngff/README.md``).  Each example is the ``zarr.json`` of one group; a store
needs the nodes it points to as well, so each builder below puts the example's attributes on
its group and fills in what the example refers to (levels, wells, fields, label images),
taking those nodes' attributes from other examples wherever one fits.  Arrays are small,
Zarr v3, with ``dimension_names`` equal to the axes, sized to the datasets' scales.

Run it to write every store into a folder::

    python tests/validate/build_ngff_stores.py /tmp/ngff   # then: zarrkit validate /tmp/ngff/<name>

Example:
    >>> sorted(STORES)[:3]
    ['bf2raw/image+series', 'bf2raw/plate', 'image/multiscales_example']
    >>> load_example("well_strict/well_2fields.json")["attributes"]["ome"]["well"]["images"][1]
    {'acquisition': 3, 'path': '1'}
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ngff" / "0.5"
EXAMPLES = CORPUS / "examples"
SUITES = CORPUS / "tests"

#: base length of an axis at the full-resolution level, by axis type
_BASE_LENGTH = {"time": 2, "channel": 2}  # space axes: the ``base`` argument
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def load_example(name: str) -> dict[str, Any]:
    """One example document (``<folder>/<file>.json``); the spec's examples carry ``//``
    comment lines, which are dropped before parsing."""
    return json.loads(_COMMENT.sub("", (EXAMPLES / name).read_text()))


def example_names() -> list[str]:
    """Every example document of the corpus, as ``<folder>/<file>.json``."""
    return sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json"))


def suite_cases() -> list[tuple[str, str, dict[str, Any], bool]]:
    """Every JSON-schema test case: ``(schema name, case id, attributes, valid)``."""
    cases = []
    for path in sorted(SUITES.glob("*_suite.json")):
        suite = json.loads(path.read_text())
        schema = Path(suite["schema"]["id"]).stem
        for n, test in enumerate(suite["tests"]):
            cases.append((schema, f"{schema}:{test.get('formerly') or n}", test["data"], test["valid"]))
    return cases


def _ome(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_example(name)["attributes"])


def _level_shapes(multiscale: dict[str, Any], base: int) -> list[tuple[int, ...]]:
    """A shape per dataset: non-space axes keep their base length, space axes shrink by
    each level's scale relative to the first level's."""
    axes = multiscale["axes"]
    first = next(t["scale"] for t in multiscale["datasets"][0]["coordinateTransformations"] if t["type"] == "scale")
    shapes = []
    for dataset in multiscale["datasets"]:
        scale = next(t["scale"] for t in dataset["coordinateTransformations"] if t["type"] == "scale")
        shape = []
        for axis, s0, s in zip(axes, first, scale):
            if axis.get("type") == "space":
                shape.append(max(1, int(base * s0 / s)))
            else:
                shape.append(_BASE_LENGTH.get(axis.get("type"), 2))
        shapes.append(tuple(shape))
    return shapes


def write_image(parent, path: str, attributes: dict[str, Any], *, dtype: str = "uint16", base: int = 16,
                squeeze: tuple[str, ...] = ()):
    """A multiscale image group at ``path`` under ``parent`` with ``attributes`` and one
    array per dataset; axes named in ``squeeze`` get length 1 (a label's channel axis)."""
    group = parent.create_group(path, attributes=attributes) if path else parent
    if not path:
        group.attrs.update(attributes)
    multiscale = attributes["ome"]["multiscales"][0]
    names = [a["name"] for a in multiscale["axes"]]
    for dataset, shape in zip(multiscale["datasets"], _level_shapes(multiscale, base)):
        shape = tuple(1 if n in squeeze else s for n, s in zip(names, shape))
        array = group.create_array(dataset["path"], shape=shape, dtype=dtype, chunks=tuple(max(1, s // 2) for s in shape),
                                   dimension_names=names, fill_value=0)
        array[...] = (np.arange(int(np.prod(shape))) % 200).reshape(shape).astype(dtype)
    return group


def _field_image() -> dict[str, Any]:
    # the 2-D single-level strict example stands in for every field of view of a well
    return _ome("multiscales_strict/multiscales_transformations.json")


def _write_well(parent, path: str, attributes: dict[str, Any]) -> None:
    well = parent.create_group(path, attributes=attributes) if path else parent
    if not path:
        well.attrs.update(attributes)
    for image in attributes["ome"]["well"]["images"]:
        write_image(well, image["path"], _field_image(), base=8)


def _write_plate(root, attributes: dict[str, Any], well_attributes: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    root.attrs.update(attributes)
    plate = attributes["ome"]["plate"]
    for row in sorted({w["path"].split("/")[0] for w in plate["wells"]}):
        root.create_group(row)  # a well row is a plain group
    for well in plate["wells"]:
        _write_well(root, well["path"], well_attributes(plate))


def _minimal_well(plate: dict[str, Any]) -> dict[str, Any]:
    """A well whose fields match the plate's acquisitions (``field_count`` of them, each
    in the first acquisition), for plates whose wells no example describes."""
    acquisition = (plate.get("acquisitions") or [{}])[0].get("id")
    images = [{"path": str(n), **({"acquisition": acquisition} if acquisition is not None else {})}
              for n in range(plate.get("field_count", 1))]
    return {"ome": {"version": "0.5", "well": {"images": images}}}


def build_multiscales_example(root) -> None:
    write_image(root, "", _ome("multiscales_strict/multiscales_example.json"))


def build_multiscales_transformations(root) -> None:
    write_image(root, "", _ome("multiscales_strict/multiscales_transformations.json"))


def build_label(root) -> None:
    """The 5-D image, a labels group listing one label image, and the label image: the
    example's ``image-label`` plus the parent's multiscales (the spec requires both)."""
    image = _ome("multiscales_strict/multiscales_example.json")
    write_image(root, "", image)
    root.create_group("labels", attributes={"ome": {"version": "0.5", "labels": ["cell_space_segmentation"]}})
    label = _ome("label_strict/colors_properties.json")
    label["ome"]["multiscales"] = copy.deepcopy(image["ome"]["multiscales"])
    label["ome"]["multiscales"][0]["name"] = "cell_space_segmentation"
    write_image(root, "labels/cell_space_segmentation", label, dtype="uint8", squeeze=("c",))


def build_plate_6wells(root) -> None:
    # well_4fields (acquisitions 1, 1, 2, 2) is exactly what this plate's acquisitions describe
    _write_plate(root, _ome("plate_strict/plate_6wells.json"), lambda plate: _ome("well_strict/well_4fields.json"))


def build_plate_2wells(root) -> None:
    _write_plate(root, _ome("plate_strict/plate_2wells.json"), _minimal_well)


def build_well(name: str) -> Callable[[Any], None]:
    def build(root) -> None:
        _write_well(root, "", _ome(f"well_strict/{name}.json"))
    return build


def build_bf2raw_image(root) -> None:
    """The bioformats2raw container with two images and its OME group (series-2.json)."""
    root.attrs.update(_ome("bf2raw/image.json"))
    write_image(root, "0", _ome("multiscales_strict/multiscales_example.json"))
    write_image(root, "1", _ome("multiscales_strict/multiscales_transformations.json"))
    root.create_group("OME", attributes=_ome("ome/series-2.json"))


def build_bf2raw_plate(root) -> None:
    _write_plate(root, _ome("bf2raw/plate.json"), _minimal_well)


#: store name -> (builder, the example documents it is built from)
STORES: dict[str, tuple[Callable[[Any], None], tuple[str, ...]]] = {
    "image/multiscales_example": (build_multiscales_example, ("multiscales_strict/multiscales_example.json",)),
    "image/multiscales_transformations": (build_multiscales_transformations,
                                          ("multiscales_strict/multiscales_transformations.json",)),
    "label/colors_properties": (build_label, ("label_strict/colors_properties.json",
                                              "multiscales_strict/multiscales_example.json")),
    "plate/plate_6wells": (build_plate_6wells, ("plate_strict/plate_6wells.json", "well_strict/well_4fields.json",
                                                "multiscales_strict/multiscales_transformations.json")),
    "plate/plate_2wells": (build_plate_2wells, ("plate_strict/plate_2wells.json",
                                                "multiscales_strict/multiscales_transformations.json")),
    "well/well_2fields": (build_well("well_2fields"), ("well_strict/well_2fields.json",
                                                       "multiscales_strict/multiscales_transformations.json")),
    "well/well_4fields": (build_well("well_4fields"), ("well_strict/well_4fields.json",
                                                       "multiscales_strict/multiscales_transformations.json")),
    "bf2raw/image+series": (build_bf2raw_image, ("bf2raw/image.json", "ome/series-2.json",
                                                 "multiscales_strict/multiscales_example.json",
                                                 "multiscales_strict/multiscales_transformations.json")),
    "bf2raw/plate": (build_bf2raw_plate, ("bf2raw/plate.json", "multiscales_strict/multiscales_transformations.json")),
}


def build_store(name: str, directory: Path | str, *, consolidated: bool) -> Path:
    """Write store ``name`` into ``directory/<name with / as __>.zarr``; return its path."""
    import zarr

    target = Path(directory) / (name.replace("/", "__") + ".zarr")
    root = zarr.open_group(str(target), mode="w-", zarr_format=3)
    STORES[name][0](root)
    if consolidated:
        zarr.consolidate_metadata(str(target), zarr_format=3)
    return target


if __name__ == "__main__":  # pragma: no cover - a helper for trying stores by hand
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "ngff-stores")
    for store_name in STORES:
        for flag in (True, False):
            print(build_store(store_name, out / ("consolidated" if flag else "plain"), consolidated=flag))
