"""Hypothesis properties of the image layout: mask packing, flag words, the shard rule."""

from __future__ import annotations

import math
import re
import uuid
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zarrkit import core, image
from zarrkit.conventions.cf import flag_attributes, sanitize_words
from zarrkit.errors import ZarrkitWarning
from zarrkit.image.layout import pack_mask_word, shard_shape, split_mask_bits
from zarrkit.image.model import mask_dtype

CF_WORD = re.compile(r"[A-Za-z0-9_.+@-]+")
bit_sets = st.lists(st.integers(0, 63), min_size=1, max_size=64, unique=True)


@st.composite
def masks(draw):
    """A (4, 5) uint64 mask whose planes sit on arbitrary distinct bits, with arbitrary names."""
    bits = draw(bit_sets)
    names = draw(st.lists(st.text(min_size=1, max_size=6), min_size=len(bits), max_size=len(bits), unique=True))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    on = rng.random((len(bits), 4, 5)) < 0.5
    words = np.zeros((4, 5), np.uint64)
    for b, plane in zip(bits, on):
        words[plane] |= np.uint64(1) << np.uint64(b)
    return image.Mask(words, [image.MaskPlane(n, b) for n, b in zip(names, bits)]), dict(zip(names, on))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(masks())
def test_any_mask_of_up_to_64_planes_round_trips(drawn):
    mask, planes = drawn
    arch = image.ImageArchive(np.zeros((4, 5), "f4"), mask=mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZarrkitWarning)  # renamed flag words are expected here
        url = image.write(arch, f"memory://props-{uuid.uuid4().hex}", pyramid=False)
    back = image.read(url)
    got = back.mask
    # planes come back ordered by bit (each word array lists its own)
    assert [(p.name, p.bit) for p in got.planes] == sorted(((p.name, p.bit) for p in mask.planes), key=lambda t: t[1])
    assert np.array_equal(np.asarray(got.array, np.uint64), np.asarray(mask.array, np.uint64))
    for name, plane in planes.items():
        assert np.array_equal(got.plane(name), plane)
    # each stored word holds only its own 32 bits, as local bits, in the smallest dtype
    for word, bits in split_mask_bits([p.bit for p in mask.planes]).items():
        stored = core.read_metadata(back.store, "mask" if word == 0 else f"mask_{word}")
        assert stored.attributes["flag_masks"] == [1 << (b - 32 * word) for b in bits]
        assert stored.dtype == mask_dtype(max(bits) - 32 * word)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=12), bit_sets)
def test_mask_words_recombine_to_the_mask(values, bits):
    mask = np.array(values, np.uint64)
    total = np.zeros_like(mask)
    for word, word_bits in split_mask_bits(bits).items():
        packed = pack_mask_word(mask, word, word_bits)
        assert packed.dtype.kind == "u" and packed.dtype.itemsize <= 4
        total |= packed.astype(np.uint64) << np.uint64(32 * word)
    keep = np.uint64(sum(1 << b for b in bits))
    assert np.array_equal(total, mask & keep)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=5), max_size=64).flatmap(
    lambda names: st.tuples(st.just(names), st.permutations(list(range(64)))[:len(names)]
                            if False else st.lists(st.integers(0, 63), min_size=len(names), max_size=len(names), unique=True))))
def test_flag_words_are_injective_cf_words(drawn):
    names, bits = drawn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        words = sanitize_words(names, bits)
    assert len(words) == len(names)
    assert len(set(words)) == len(words)
    assert all(CF_WORD.fullmatch(w) for w in words)
    changed = words != names
    assert changed == any(issubclass(w.category, ZarrkitWarning) for w in caught)
    if all(CF_WORD.fullmatch(n) for n in names) and len(set(names)) == len(names):
        assert words == names  # valid, distinct names are never touched
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZarrkitWarning)
        attrs = flag_attributes(list(zip(names, bits)))
    assert len(attrs["flag_meanings"].split()) == len(attrs["flag_masks"]) == len(names)


@settings(max_examples=500, deadline=None)
@given(st.integers(1, 4).flatmap(lambda nd: st.tuples(
    st.lists(st.integers(1, 100_000), min_size=nd, max_size=nd),
    st.lists(st.integers(1, 4096), min_size=nd, max_size=nd))),
    st.sampled_from([1, 2, 4, 8]), st.integers(1, 64 * 2**20))
def test_shards_are_chunk_multiples_within_budget(shape_chunks, itemsize, budget):
    shape, chunks = shape_chunks
    chunks = [min(c, s) for c, s in zip(chunks, shape)]
    shard = shard_shape(tuple(shape), tuple(chunks), itemsize, budget)
    if shard is None:
        return
    assert len(shard) == len(chunks) and shard != tuple(chunks)
    assert itemsize * math.prod(shard) <= budget
    grid = [-(-s // c) for s, c in zip(shape, chunks)]
    factors = [s // c for s, c in zip(shard, chunks)]
    assert all(s % c == 0 for s, c in zip(shard, chunks))
    assert all(1 <= f <= g for f, g in zip(factors, grid))  # never past the array's edge
    # one power of two k on every axis, clipped to the grid where the array is shorter
    k = min((f for f, g in zip(factors, grid) if f < g), default=None)
    if k is not None:
        assert k & (k - 1) == 0
        assert factors == [min(k, g) for g in grid]
