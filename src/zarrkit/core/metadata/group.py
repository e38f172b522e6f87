"""Group metadata, and :func:`parse_documents`, which turns a node's decoded documents into
:class:`ArrayMetadata` or :class:`GroupMetadata`.

Example:
    >>> parse_documents({"zarr.json": {"zarr_format": 3, "node_type": "group", "attributes": {"a": 1}}})
    GroupMetadata(attributes={'a': 1}, zarr_format=3, consolidated=None, extensions={})
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zarrkit.core.metadata.array import ArrayMetadata
from zarrkit.core.metadata.fields import extension_fields, node_documents
from zarrkit.errors import MetadataError

__all__ = ["GroupMetadata", "parse_documents"]


@dataclass(frozen=True, eq=False)
class GroupMetadata:
    """A group's metadata; ``consolidated`` holds the raw consolidated block, if any.

    Example:
        >>> GroupMetadata({"title": "run 1"}).to_dict()
        {'attributes': {'title': 'run 1'}, 'zarr_format': 3, 'node_type': 'group'}
    """

    attributes: dict[str, Any] = field(default_factory=dict)
    zarr_format: int = 3
    consolidated: dict[str, Any] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    node_type = "group"

    def with_attributes(self, attributes: Mapping[str, Any]) -> GroupMetadata:
        return dataclasses.replace(self, attributes=dict(attributes))

    def to_dict(self) -> dict[str, Any]:
        if self.zarr_format == 2:
            return {".zgroup": {"zarr_format": 2}, ".zattrs": dict(self.attributes)}
        doc: dict[str, Any] = {"attributes": dict(self.attributes), "zarr_format": 3}
        if self.consolidated is not None:
            doc["consolidated_metadata"] = self.consolidated
        doc["node_type"] = "group"
        doc.update(self.extensions)
        return doc

    def to_documents(self) -> dict[str, bytes]:
        return node_documents(self)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], attributes: Mapping[str, Any] | None = None) -> GroupMetadata:
        if doc.get("zarr_format") == 2:
            if not isinstance(attributes or {}, dict):
                raise MetadataError(".zattrs must be an object")
            return cls(dict(attributes or {}), zarr_format=2)
        attrs = doc.get("attributes", {})
        if not isinstance(attrs, dict):
            raise MetadataError("attributes must be an object")
        consolidated = doc.get("consolidated_metadata")
        if consolidated is not None and not isinstance(consolidated, dict):
            raise MetadataError("consolidated_metadata must be an object")
        extensions = extension_fields(doc, {"attributes", "zarr_format", "node_type", "consolidated_metadata"})
        return cls(dict(attrs), 3, consolidated, extensions)


def parse_documents(docs: Mapping[str, Any]) -> ArrayMetadata | GroupMetadata | None:
    """Parse a node from its documents (already JSON-decoded), keyed by document name.

    ``zarr.json`` wins over v2 documents when both exist; ``None`` when neither exists.

    Example:
        >>> parse_documents({".zgroup": {"zarr_format": 2}, ".zattrs": {"a": 1}}).attributes
        {'a': 1}
    """
    doc = docs.get("zarr.json")
    if doc is not None:
        if not isinstance(doc, dict):
            raise MetadataError("zarr.json is not a JSON object")
        if doc.get("zarr_format") != 3:
            raise MetadataError(f"zarr.json has zarr_format {doc.get('zarr_format')!r}, expected 3")
        kind = doc.get("node_type")
        if kind == "array":
            return ArrayMetadata.from_dict(doc)
        if kind == "group":
            return GroupMetadata.from_dict(doc)
        raise MetadataError(f"node_type must be 'array' or 'group', got {kind!r}")
    attrs = docs.get(".zattrs") or {}
    if not isinstance(attrs, dict):
        raise MetadataError(".zattrs is not a JSON object")
    for name, cls in ((".zarray", ArrayMetadata), (".zgroup", GroupMetadata)):
        doc = docs.get(name)
        if doc is not None:
            if not isinstance(doc, dict) or doc.get("zarr_format") != 2:
                raise MetadataError(f"{name} must be an object with zarr_format 2")
            return cls.from_dict(doc, attrs)
    return None


