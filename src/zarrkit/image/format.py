"""The image format's plug-in: what ``validate``, ``info``, ``demo`` and the CLI get from it.

Importing this module imports nothing heavy (no astropy, no xarray); each hook imports
what it needs when it runs.

Example:
    >>> from zarrkit.formats import registry
    >>> fmt = registry.get("image")
    >>> fmt.claims({"zarrkit": {"format": "image", "version": "1.0"}}), fmt.extra
    (True, 'image')
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zarrkit.formats.plugin import DemoResult, Format

__all__ = ["ImageFormat"]


class ImageFormat(Format):
    name = "image"
    description = "Astronomical image archives (FITS in and out, OME-Zarr 0.5 + CF)."
    reads_major = 1
    extra = "image"

    def checks(self, context: Any) -> Iterable[Any]:
        from zarrkit.image.checks import image_checks

        return image_checks(context)

    def summary(self, store: Any, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        from zarrkit.image.summary import archive_summary

        return archive_summary(store)

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        from zarrkit.image.summary import summary_lines

        return summary_lines(summary)

    def cli(self) -> Any:
        from zarrkit.image.cli import app

        return app

    def demo(self, directory: str, *, overwrite: bool, console: Any) -> DemoResult:
        from zarrkit.image.demo import write_samples

        return write_samples(directory, overwrite=overwrite, console=console)
