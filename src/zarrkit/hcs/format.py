"""The hcs format's plug-in: what ``validate``, ``info``, ``demo`` and the CLI get from it.

Importing this module imports nothing heavy; each hook imports what it needs when it runs.
Besides its own marked plates, it claims any root whose attributes hold an OME ``plate``
(0.5 under ``ome``, 0.4 or an anchor store at the top level), so their checks run too.

Example:
    >>> from zarrkit.formats import registry
    >>> fmt = registry.get("hcs")
    >>> fmt.claims({"ome": {"version": "0.5", "plate": {}}}), fmt.claims({"ome": {"multiscales": []}})
    (True, False)
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zarrkit.formats.plugin import DemoResult, Format

__all__ = ["HcsFormat"]


class HcsFormat(Format):
    name = "hcs"
    description = "High-content-screening plates (OME-Zarr 0.5 plates, wells and fields; many writers)."
    reads_major = 1
    extra = "hcs"

    def claims(self, attributes: Mapping[str, Any]) -> bool:
        if super().claims(attributes):
            return True
        ome = attributes.get("ome") if isinstance(attributes, Mapping) else None
        return (isinstance(ome, Mapping) and "plate" in ome) or (
            isinstance(attributes, Mapping) and isinstance(attributes.get("plate"), Mapping))

    def checks(self, context: Any) -> Iterable[Any]:
        from zarrkit.hcs.checks import hcs_checks

        return hcs_checks(context)

    def summary(self, store: Any, attributes: Mapping[str, Any]) -> dict[str, Any] | None:
        from zarrkit.hcs.summary import plate_summary

        return plate_summary(store)

    def summary_lines(self, summary: Mapping[str, Any]) -> list[str]:
        from zarrkit.hcs.summary import summary_lines

        return summary_lines(summary)

    def cli(self) -> Any:
        from zarrkit.hcs.cli import app

        return app

    def demo(self, directory: str, *, overwrite: bool, console: Any) -> DemoResult:
        from zarrkit.hcs.demo import write_demo

        return write_demo(directory, overwrite=overwrite, console=console)
