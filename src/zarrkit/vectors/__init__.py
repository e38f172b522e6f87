"""zarrkit.vectors: points, polylines/streamlines, graphs and meshes in Zarr v3, in the
zarr-vectors 0.9.2 wire format (profile ``zv-0.9``), readable by ``zarr_vectors`` both ways.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0, 0], [1, 1, 1]), chunk_shape=(0.5, 0.5, 0.5))
    >>> _ = s.write_points(np.full((3, 3), 0.25))
    >>> vx.info(s.store).levels[0]["vertices"]
    3
"""

from zarrkit.vectors.store import VectorInfo, VectorStore, create, info, open

__all__ = ["VectorInfo", "VectorStore", "create", "info", "open"]
