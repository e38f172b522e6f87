"""Hypothesis properties: well names resolve one way from every spelling, naming patterns
round-trip, geometry survives its JSON, every layout stores what it is given."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zarrkit.errors import SpecViolation
from zarrkit.hcs import Compression, ImageSpec, Layout, PlateReader, PlateSpec, PlateWriter
from zarrkit.hcs.geometry import PRESETS, row_names
from zarrkit.hcs.layout import field_metadata
from zarrkit.hcs.naming import Pattern

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def preset_wells(draw):
    """(plate, row index, column index) on any preset, padded or not."""
    plate = PlateSpec.preset(draw(st.sampled_from(sorted(PRESETS))), padded=draw(st.booleans()))
    return plate, draw(st.integers(0, len(plate.rows) - 1)), draw(st.integers(0, len(plate.columns) - 1))


@FAST
@given(preset_wells(), st.data())
def test_every_spelling_of_a_well_resolves_to_its_path(case, data):
    plate, ri, ci = case
    row, col = plate.rows[ri], plate.columns[ci]
    number = int(col)
    spelling = data.draw(st.sampled_from([f"{row}/{col}", f"{row}{number}", f"{row}{number:02d}", f"{row}{number:03d}",
                                          (row, number), [row.lower(), str(number)], f" {row.lower()}{col} "]))
    assert plate.resolve(spelling) == f"{row}/{col}"
    assert plate.index(spelling) == (ri, ci)


@FAST
@given(preset_wells(), st.integers(1, 3))
def test_wells_past_the_edge_are_refused(case, beyond):
    plate, _ri, ci = case
    with pytest.raises(SpecViolation):
        plate.resolve(f"{plate.rows[-1]}{len(plate.columns) + beyond}")
    with pytest.raises(SpecViolation):
        plate.resolve((row_names(len(plate.rows) + beyond)[-1], int(plate.columns[ci])))


@given(st.integers(1, 26 * 27))
def test_row_names_are_unique_ordered_letters(n):
    names = row_names(n)
    assert len(set(names)) == n and all(name.isalpha() and name.isupper() for name in names)
    assert sorted(names, key=lambda r: (len(r), r)) == list(names)


names = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=4)


@FAST
@given(st.lists(names, min_size=1, max_size=6, unique_by=str.lower), st.lists(names, min_size=1, max_size=6,
                                                                            unique_by=str.lower),
       st.lists(st.integers(0, 99), min_size=1, max_size=3, unique=True))
def test_geometry_survives_its_json(rows, columns, acquisitions):
    plate = PlateSpec(rows, columns, name="p", acquisitions=[(a, f"acq{a}") for a in acquisitions])
    assert PlateSpec.from_dict(plate.to_dict()) == plate
    listed = plate.plate([f"{rows[-1]}/{columns[0]}"]).to_dict()
    assert listed["wells"] == [{"path": f"{rows[-1]}/{columns[0]}", "rowIndex": len(rows) - 1, "columnIndex": 0}]


PATTERNS = ["{well}_s{field}_w{channel}_z{z}.tif", "{row}{col}-f{field}-t{t}-c{channel}.tiff",
            "plate_{well}_T{t}_Z{z}_C{channel}_F{field}.tif", "{well}.f{field}.tif"]


@FAST
@given(preset_wells(), st.sampled_from(PATTERNS), st.integers(0, 30), st.integers(0, 9), st.integers(0, 8),
       st.integers(0, 120))
def test_patterns_round_trip(case, text, field, t, c, z):
    plate, ri, ci = case
    pattern = Pattern(text)
    present = pattern.names
    well = f"{plate.rows[ri]}/{plate.columns[ci]}"
    coords = (str(field) if "field" in present else "0", t if "t" in present else None,
              c if "channel" in present else None, z if "z" in present else None)
    name = pattern.format(well, *coords)
    parsed = pattern.parse(name)
    assert parsed is not None, name
    assert (parsed.field, parsed.t, parsed.c, parsed.z) == coords
    assert plate.resolve(parsed.well) == well


@FAST
@given(st.sampled_from(PATTERNS), st.sampled_from(["field", "t", "channel", "z"]))
def test_a_zero_in_a_one_based_name_maps_to_nothing(text, zeroed):
    pattern = Pattern(text)
    if zeroed not in pattern.names:
        return
    values = {"well": "B03", "row": "B", "col": "03", "field": "1", "t": "1", "channel": "1", "z": "01", zeroed: "0"}
    name = text
    for key, value in values.items():
        name = name.replace("{" + key + "}", value)
    assert pattern.parse(name) is None
    assert pattern.parse(name.replace("_0", "_1").replace("-0", "-1").replace("Z0", "Z1").replace("T0", "T1")
                         .replace("C0_", "C1_").replace("F0", "F1").replace("f0", "f1").replace("t0", "t1")
                         .replace("c0", "c1").replace("s0", "s1").replace("w0", "w1").replace("z0", "z1")) is not None


axes_st = st.sampled_from(["yx", "zyx", "czyx", "tczyx", "tyx", "cyx", "tzyx"])


@FAST
@given(axes_st, st.sampled_from(list(Layout)), st.data())
def test_layout_chunks_are_planes_fields_or_wells(axes, layout, data):
    shape = tuple(data.draw(st.integers(1, 4)) for _ in axes[:-2]) + (data.draw(st.integers(1, 600)),
                                                                       data.draw(st.integers(1, 600)))
    meta = field_metadata(shape, ImageSpec(axes), layout, Compression())
    assert meta.dimension_names == tuple(axes) and meta.fill_value == 0
    plane = (1,) * (len(axes) - 2) + shape[-2:]
    if layout is Layout.WELL:
        assert meta.chunks == shape and meta.sharding is None
    elif layout is Layout.PLANE:
        assert meta.chunks == plane and meta.sharding is None
    else:
        assert meta.chunks == plane and meta.shape == shape and meta.sharding is not None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(axes_st, st.sampled_from(list(Layout)), st.sampled_from(["zstd:1", "blosc-lz4", "lz4", "zlib:2", "none"]),
       st.sampled_from(["uint8", "uint16", "int32", "float32"]), st.integers(0, 2**32 - 1), st.data())
def test_every_layout_and_codec_stores_what_it_is_given(axes, layout, codec, dtype, seed, data):
    shape = tuple(data.draw(st.integers(1, 3)) for _ in axes[:-2]) + (data.draw(st.integers(1, 20)),
                                                                       data.draw(st.integers(1, 20)))
    array = (np.random.default_rng(seed).random(shape) * 100).astype(dtype)
    url = f"memory://prop-{seed}-{layout.value}-{codec}-{axes}-{dtype}"
    w = PlateWriter.create(url, PlateSpec.preset(6), ImageSpec(axes, dtype), layout=layout, compression=codec)
    w.write_well("B3", {"0": array})
    w.finalize()
    r = PlateReader(url)
    np.testing.assert_array_equal(r.image("B3").numpy(), array)
    index = tuple(data.draw(st.integers(0, n - 1)) for n in shape[:-2])
    coords = dict(zip(axes[:-2], index))
    np.testing.assert_array_equal(r.plane("B3", "0", **coords), array[index])
    w.store.delete_prefix("")


@pytest.fixture(scope="module")
def saved_plate(tmp_path_factory):
    """A plate store written through the file-like backend: 12 plane names, their data."""
    from zarrkit.hcs.backend import FileBackend, FileConfig

    root = str(tmp_path_factory.mktemp("fb") / "plate.ome.zarr")
    fb = FileBackend(FileConfig(plate=PlateSpec.preset(96), image=ImageSpec("czyx", channels=["DAPI", "GFP"]),
                                sizes={"field": 2, "z": 3}))
    names = [f"B03_s{f}_w{c}_z{z:02d}.tif" for f in (1, 2) for c in (1, 2) for z in (1, 2, 3)]
    planes = {n: np.full((6, 6), i, "uint16") for i, n in enumerate(names)}
    fb.save_batch(list(planes.values()), [f"{root}/{n}" for n in names])
    fb.flush()
    return fb, root, planes


@FAST
@given(st.data())
def test_load_batch_keeps_any_order(saved_plate, data):
    fb, root, planes = saved_plate
    order = data.draw(st.lists(st.sampled_from(sorted(planes)), min_size=1, max_size=20))
    for name, array in zip(order, fb.load_batch([f"{root}/{n}" for n in order])):
        np.testing.assert_array_equal(array, planes[name])


@FAST
@given(st.text(st.sampled_from("B03_s12w3z.tif*?[]!"), min_size=1, max_size=10))
def test_list_files_filters_like_fnmatch(saved_plate, pattern):
    import fnmatch

    fb, root, planes = saved_plate
    expected = sorted(f"{root}/{n}" for n in planes if fnmatch.fnmatchcase(n, pattern))
    assert fb.list_files(root, pattern=pattern) == expected
