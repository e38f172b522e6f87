"""zarrkit.geo: raster tiles → sharded Zarr v3 zone mosaics, previews, a global pyramid, STAC, reads.

Example:
    >>> from zarrkit import geo
    >>> geo.utm_zones().zone(31).crs
    'EPSG:32631'
"""

from zarrkit.geo.build import BuildResult, build
from zarrkit.geo.grid import Grid, custom, grids, single_grid, utm_zones
from zarrkit.geo.read import Mosaic
from zarrkit.geo.read import open_mosaic as open

__all__ = ["BuildResult", "Grid", "Mosaic", "build", "custom", "grids", "open", "single_grid", "utm_zones"]
