"""``zarrkit info URL``: the node tree of a store, as text or JSON."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from zarrkit.core.tree import NodeInfo, describe_tree
from zarrkit.storage import open_store


def human_bytes(n: int) -> str:
    """Bytes in the largest unit that keeps the number readable.

    Example:
        >>> human_bytes(1536)
        '1.5 KiB'
    """
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _label(node: NodeInfo) -> str:
    name = escape(node.path.rsplit("/", 1)[-1] if node.path else "/")
    attrs = escape(f" attrs: {', '.join(node.attribute_keys)}") if node.attribute_keys else ""
    if node.node_type == "group":
        return f"[bold]{name}[/bold] group (v{node.zarr_format}), {human_bytes(node.stored_bytes)}{attrs}"
    shards = f" shards {tuple(node.shards)}" if node.shards else ""
    dims = f" dims {tuple(node.dimension_names)}" if node.dimension_names else ""
    detail = escape(
        f" array (v{node.zarr_format}) {tuple(node.shape)} {node.dtype}"
        f" chunks {tuple(node.chunks or ())}{shards}{dims} codecs [{', '.join(node.codecs)}]"
        f" {human_bytes(node.stored_bytes)}"
    )
    return f"[bold]{name}[/bold]{detail}{attrs}"


def render_tree(node: NodeInfo, tree: Tree | None = None) -> Tree:
    """A rich Tree of the node and its children."""
    branch = Tree(_label(node)) if tree is None else tree.add(_label(node))
    for child in node.children:
        render_tree(child, branch)
    return branch


def archive_summary(store) -> dict | None:
    """Kind, version, unit, mask planes, WCS and pyramid levels of an image archive, else ``None``."""
    raw = store.get("zarr.json")
    info = json.loads(raw).get("attributes", {}).get("zarrkit") if raw else None
    if not isinstance(info, dict) or info.get("format") != "image":
        return None
    from zarrkit.image.read import StoredArchive

    arch = StoredArchive(store)
    out = {"kind": info.get("kind"), "version": info.get("version"), "writer": info.get("writer"),
           "unit": arch.image.metadata.attributes.get("units"),
           "levels": [tuple(arch.level(n).image.shape) for n in range(1 + len(arch.contents.get("pyramid", [])))]}
    if arch.mask is not None:
        out["mask_planes"] = [{"bit": p.bit, "name": p.name, "description": p.description} for p in arch.mask.planes]
    if arch.wcs is not None:
        w = arch.wcs.wcs
        out["wcs"] = {"ctype": list(w.ctype), "crval": [float(v) for v in w.crval],
                      "scale_deg": [abs(float(getattr(v, "value", v))) for v in arch.wcs.proj_plane_pixel_scales()]}
    return out


def run_info(url: str, as_json: bool, console: Console) -> None:
    """Open ``url`` read-only and print its tree (and an image archive's summary)."""
    with open_store(url, mode="r") as store:
        root = describe_tree(store)
        summary = archive_summary(store)
    if as_json:
        console.print_json(json.dumps({"url": store.url, "root": root.to_dict(), "archive": summary}))
    else:
        console.print(escape(f"{store.url} ({store.kind})"), soft_wrap=True)
        console.print(render_tree(root))
        if summary:
            console.print(escape(f"image archive {summary['version']} ({summary['kind']}), written by {summary['writer']}"))
            console.print(escape(f"  unit: {summary['unit'] or '-'}; levels: {summary['levels']}"))
            for p in summary.get("mask_planes", []):
                console.print(escape(f"  mask bit {p['bit']:2}: {p['name']} {p['description']}"))
            if "wcs" in summary:
                w = summary["wcs"]
                console.print(escape(f"  WCS {w['ctype']} at {w['crval']}, {w['scale_deg']} deg/pixel"))
