"""The ``vectors`` format plug-in: claims zarr-vectors stores, validate checks (running
zarr_vectors' own validator where installed), the ``info`` summary, ``zarrkit vectors`` and
the demo.  Importing this module is cheap: every hook imports its code lazily.

Example:
    >>> VectorsFormat().claims({"zarr_vectors": {"zv_version": "0.9.2"}})
    True
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zarrkit.formats.plugin import DemoResult, Format

__all__ = ["VectorsFormat"]


class VectorsFormat(Format):
    """Points, polylines, graphs and meshes in the zarr-vectors 0.9.2 layout."""

    name = "vectors"
    description = "Vector geometry (points, polylines, graphs, meshes) in the zarr-vectors 0.9 layout."
    reads_major = 1
    extra = "vectors"
    replaces_checks = {
        "OME": "the root 'ome' block is zarr-vectors' 0.6-style collection, not an OME-Zarr 0.5 image",
        "ome-zarr-models": "the root 'ome' block is zarr-vectors' 0.6-style collection, not an OME-Zarr 0.5 image",
        "dimension names": "per-chunk vertex and link arrays have no named dimensions",
        "xarray": "per-chunk arrays hold one opaque payload per cell, not labelled variables",
    }

    def claims(self, attributes: Mapping[str, Any]) -> bool:
        # stores zarr_vectors wrote carry no zarrkit marker: the zarr_vectors key claims them
        return super().claims(attributes) or isinstance(attributes.get("zarr_vectors"), Mapping)

    def checks(self, context: Any) -> Iterable[Any]:
        from zarrkit.vectors.checks import vector_checks

        return vector_checks(context)

    def summary(self, store: Any, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        from dataclasses import asdict

        from zarrkit.vectors.store import open as open_vectors

        return asdict(open_vectors(store).info())

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        from zarrkit.vectors.store import VectorInfo

        return VectorInfo(**summary).lines()

    def cli(self) -> Any:
        from zarrkit.vectors.cli import app

        return app

    def demo(self, directory: str, *, overwrite: bool, console: Any) -> DemoResult:
        from zarrkit.vectors.demo import write_demo

        return write_demo(directory, overwrite=overwrite, console=console)
