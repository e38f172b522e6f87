"""CF attribute vocabulary: units, ancillary variables and flag (bit mask) attributes.

Example:
    >>> flag_attributes([("bad pixel", 0), ("sat", 3)])
    {'long_name': 'mask', 'flag_masks': [1, 8], 'flag_meanings': 'bad_pixel sat'}
    >>> sanitize_words(["a b", "a_b", ""], [0, 1, 2])
    ['a_b', 'a_b_b1', '_b2']
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from zarrkit.errors import ZarrkitWarning

__all__ = ["units_string", "flag_attributes", "sanitize_words", "ancillary_variables", "grid_mapping"]

_WORD_BAD = re.compile(r"[^A-Za-z0-9_.+@-]")


def units_string(unit: Any) -> str | None:
    """CF ``units`` for an astropy unit (its FITS form; ``"1"`` when dimensionless), or ``None``.

    A string that astropy does not understand is returned verbatim.
    """
    if unit is None:
        return None
    if isinstance(unit, str):
        return unit or None
    try:
        if unit.physical_type == "dimensionless" and unit.scale == 1:
            return "1"
        return unit.to_string("fits")
    except Exception:
        return str(unit) or None


def sanitize_words(names: list[str], bits: list[int]) -> list[str]:
    """CF flag words: only ``[A-Za-z0-9_.+@-]``; an empty or repeated word gets ``_b<bit>``.

    Every change is reported with one :class:`ZarrkitWarning`.
    """
    out, seen, changed = [], set(), []
    for name, bit in zip(names, bits):
        word = _WORD_BAD.sub("_", name)
        if not word or word in seen:
            # the suffix can itself collide with a later original name, so keep counting
            base, n = f"{word}_b{bit}", 1
            word = base
            while word in seen:
                n += 1
                word = f"{base}_{n}"
        if word != name:
            changed.append((name, word))
        seen.add(word)
        out.append(word)
    if changed:
        warnings.warn(
            "mask plane names changed for CF flag_meanings: " + ", ".join(f"{a!r}->{b!r}" for a, b in changed),
            ZarrkitWarning,
            stacklevel=3,
        )
    return out


def flag_attributes(planes: list[tuple[str, int]], long_name: str = "mask") -> dict[str, Any]:
    """``long_name``, ``flag_masks`` and ``flag_meanings`` for ``(name, local bit)`` planes."""
    names = [n for n, _ in planes]
    bits = [b for _, b in planes]
    return {
        "long_name": long_name,
        "flag_masks": [1 << b for b in bits],
        "flag_meanings": " ".join(sanitize_words(names, bits)),
    }


def ancillary_variables(names: list[str]) -> str:
    """The space-separated ``ancillary_variables`` value."""
    return " ".join(names)


def grid_mapping(crs_wkt: str, cf_parameters: dict[str, Any], transform: tuple[float, ...]) -> dict[str, Any]:
    """Attributes of a CF grid-mapping variable (``spatial_ref``) for a north-up grid.

    ``cf_parameters`` are the CRS's CF keys (``pyproj.CRS.to_cf()``); ``transform`` is the
    Affine-order ``(xres, 0, x0, 0, -yres, y0)``.  ``crs_wkt`` (CF) and ``spatial_ref`` (GDAL,
    rioxarray) both hold the WKT2; ``GeoTransform`` is GDAL's order.

    Example:
        >>> gm = grid_mapping("GEOGCRS[...]", {"grid_mapping_name": "latitude_longitude"}, (0.5, 0, -180, 0, -0.5, 90))
        >>> gm["GeoTransform"], gm["grid_mapping_name"]
        ('-180 0.5 0 90 0 -0.5', 'latitude_longitude')
    """
    a, b, c, d, e, f = transform
    out = {k: v for k, v in cf_parameters.items() if k != "crs_wkt"}
    out["crs_wkt"] = crs_wkt
    out["spatial_ref"] = crs_wkt
    out["GeoTransform"] = " ".join(f"{v:.17g}" for v in (c, a, b, f, d, e))
    return out
