"""zarrkit.vectors: points, polylines/streamlines, graphs and meshes in Zarr v3, in the
zarr-vectors 0.9.2 wire format (profile ``zv-0.9``), readable by ``zarr_vectors`` both ways.

The names load lazily, so the format plug-in (``zarrkit.vectors.format``) stays cheap to import.

Example:
    >>> import numpy as np, zarrkit.vectors as vx
    >>> s = vx.create("memory://", "points", bounds=([0, 0, 0], [1, 1, 1]), chunk_shape=(0.5, 0.5, 0.5))
    >>> _ = s.write_points(np.full((3, 3), 0.25))
    >>> vx.info(s.store).levels[0]["vertices"]
    3
"""

__all__ = ["VectorInfo", "VectorStore", "create", "info", "open"]


def __getattr__(name: str):
    if name == "io":  # file formats (pyarrow, plyfile): ``vx.io.points_from_table``
        import importlib

        return importlib.import_module("zarrkit.vectors.io")
    if name in __all__:
        from zarrkit.vectors import store

        return getattr(store, name)
    raise AttributeError(f"module 'zarrkit.vectors' has no attribute {name!r}")
