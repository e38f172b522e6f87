"""The geo format's plug-in: what ``validate``, ``info``, ``demo`` and the CLI get from it.

Importing this module imports nothing heavy (no rasterio, pyproj, pystac); each hook
imports what it needs when it runs.

Example:
    >>> from zarrkit.formats import registry
    >>> fmt = registry.get("geo")
    >>> fmt.claims({"zarrkit": {"format": "geo", "version": "1.0"}}), fmt.extra
    (True, 'geo')
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zarrkit.formats.plugin import DemoResult, Format

__all__ = ["GeoFormat"]


class GeoFormat(Format):
    name = "geo"
    description = "Geospatial tile mosaics (UTM zone stores, previews, EPSG:4326 pyramid, STAC)."
    reads_major = 1
    extra = "geo"

    def checks(self, context: Any) -> Iterable[Any]:
        from zarrkit.geo.checks import geo_checks

        return geo_checks(context)

    def summary(self, store: Any, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        from zarrkit.geo.checks import summary

        return summary(store, attributes)

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        from zarrkit.geo.checks import summary_lines

        return summary_lines(summary)

    def cli(self) -> Any:
        from zarrkit.geo.cli import app

        return app

    def demo(self, directory: str, *, overwrite: bool, console: Any) -> DemoResult:
        from zarrkit.geo.demo import run_demo

        return run_demo(directory, overwrite=overwrite, console=console)
