"""Lon/lat footprints of projected extents, split at the antimeridian (RFC 7946 §3.1.9).

A UTM zone widened by its overhang (zones 1 and 60) crosses ±180°: projected to lon/lat its
outline jumps from +180 to −180, which a naive polygon draws around the whole globe.  Such
a ring is unwrapped to one side, cut at 180° into a MultiPolygon, and its bbox written with
west > east, as GeoJSON and STAC ask.

Example:
    >>> bbox, geom = footprint("EPSG:32631", [400_000.0, 0.0, 600_000.0, 100_000.0])
    >>> geom["type"], [round(v, 3) for v in bbox]
    ('Polygon', [2.101, 0.0, 3.899, 0.905])
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["EDGE_POINTS", "densified_ring", "footprint", "split_antimeridian"]

#: points per edge when an outline is projected (§7, §8)
EDGE_POINTS = 21


def densified_ring(bbox: Sequence[float], n: int = EDGE_POINTS) -> tuple[list[float], list[float]]:
    """The four edges of ``bbox`` (x0, y0, x1, y1), ``n`` points each, counter-clockwise.

    Example:
        >>> xs, ys = densified_ring([0, 0, 1, 1], n=2)
        >>> list(zip(xs, ys))
        [(0.0, 0), (1.0, 0), (1, 0.0), (1, 1.0), (1.0, 1), (0.0, 1), (0, 1.0), (0, 0.0)]
    """
    x0, y0, x1, y1 = bbox
    t = [i / (n - 1) for i in range(n)]
    xs = [x0 + (x1 - x0) * s for s in t] + [x1] * n + [x1 - (x1 - x0) * s for s in t] + [x0] * n
    ys = [y0] * n + [y0 + (y1 - y0) * s for s in t] + [y1] * n + [y1 - (y1 - y0) * s for s in t]
    return xs, ys


def footprint(crs: str, bbox: Sequence[float]) -> tuple[list[float], dict[str, Any]]:
    """``(lon/lat bbox, GeoJSON geometry)`` of a projected bbox, every edge densified; a
    Polygon, or a MultiPolygon split at ±180° with a bbox whose west exceeds its east."""
    from pyproj import Transformer

    xs, ys = densified_ring(bbox)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    return split_antimeridian(list(lon), list(lat))


def split_antimeridian(lon: list[float], lat: list[float]) -> tuple[list[float], dict[str, Any]]:
    """``(bbox, geometry)`` of an open lon/lat ring; rings jumping over ±180° are split.

    Example:
        >>> bbox, geom = split_antimeridian([179.0, -179.0, -179.0, 179.0], [0.0, 0.0, 1.0, 1.0])
        >>> bbox, geom["type"], geom["coordinates"][1][0][:2]
        ([179.0, 0.0, -179.0, 1.0], 'MultiPolygon', [[-180.0, 0.0], [-179.0, 0.0]])
    """
    lats = [min(lat), max(lat)]
    jumps = any(abs(a - b) > 180 for a, b in zip(lon, lon[1:] + lon[:1]))
    if not jumps:
        return [min(lon), lats[0], max(lon), lats[1]], {"type": "Polygon", "coordinates": [_closed(lon, lat)]}
    unwrapped = [v + 360 if v < 0 else v for v in lon]  # one continuous ring over 180°
    west = _clip(unwrapped, lat, keep_below=True)
    east = _clip(unwrapped, lat, keep_below=False)
    east = ([v - 360 for v in east[0]], east[1])
    polygons = [[_closed(*part)] for part in (west, east) if len(part[0]) >= 3]
    bbox = [min(west[0]), lats[0], max(east[0]), lats[1]]
    return bbox, {"type": "MultiPolygon", "coordinates": polygons}


def _clip(lon: list[float], lat: list[float], *, keep_below: bool) -> tuple[list[float], list[float]]:
    """The ring cut by the meridian 180 (Sutherland–Hodgman against one half-plane)."""
    def inside(v: float) -> bool:
        return v <= 180 if keep_below else v >= 180

    out_lon: list[float] = []
    out_lat: list[float] = []
    n = len(lon)
    for i in range(n):
        (a, alat), (b, blat) = (lon[i - 1], lat[i - 1]), (lon[i], lat[i])
        if inside(b) != inside(a):  # the edge crosses 180: add the crossing point
            f = (180 - a) / (b - a)
            out_lon.append(180.0)
            out_lat.append(alat + f * (blat - alat))
        if inside(b):
            out_lon.append(b)
            out_lat.append(blat)
    return out_lon, out_lat


def _closed(lon: Sequence[float], lat: Sequence[float]) -> list[list[float]]:
    ring = [[round(a, 9), round(b, 9)] for a, b in zip(lon, lat)]
    return ring + ring[:1]
