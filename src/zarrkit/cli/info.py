"""``zarrkit info URL``: the node tree of a store, as text or JSON.

Piped or redirected output keeps each node on one line (rich would wrap it at 80
columns), and ``--json`` reports a failure as JSON too, so a script reading stdout always
gets a document it can parse.
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from zarrkit.core.tree import NodeInfo, describe_tree
from zarrkit.errors import ZarrkitError
from zarrkit.storage import open_store

# Width for output that is not a terminal: wide enough that no node line is ever wrapped.
PIPE_WIDTH = 10_000


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
    if node.error is not None:  # a damaged document: say what is wrong, show the rest of the tree
        return f"[bold]{name}[/bold] [red]unreadable[/red]: {escape(node.error)}"
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


def format_summaries(store) -> dict[str, dict]:
    """The summary of every registered format that claims the store's root, by format name."""
    from zarrkit.core.metadata import load_document
    from zarrkit.formats import registry

    root = load_document(store, "zarr.json")
    attrs = root.get("attributes") if isinstance(root, dict) else None
    if not isinstance(attrs, dict):
        return {}
    out = {}
    for fmt in registry.claiming(attrs):
        try:
            summary = fmt.summary(store, attrs)
        except ZarrkitError as err:  # info describes damaged archives too; validate judges them
            summary = {"error": f"{type(err).__name__}: {err}"}
        if summary is not None:
            out[fmt.name] = summary
    return out


def error_document(err: ZarrkitError) -> dict[str, dict[str, str]]:
    """What ``info --json`` prints on stdout for a failure (and then exits 1).

    Example:
        >>> from zarrkit.errors import StoreNotFoundError
        >>> error_document(StoreNotFoundError("nothing at 'nowhere.zarr'"))
        {'error': {'type': 'StoreNotFoundError', 'message': "nothing at 'nowhere.zarr'"}}
    """
    return {"error": {"type": type(err).__name__, "message": str(err)}}


def for_output(console: Console) -> Console:
    """``console`` on a terminal; otherwise a console on the same file that never wraps lines.

    Example:
        >>> import io
        >>> for_output(Console(file=io.StringIO())).width
        10000
    """
    if console.is_terminal:
        return console
    return Console(file=console.file, width=PIPE_WIDTH, highlight=False)


def run_info(url: str, as_json: bool, console: Console) -> None:
    """Open ``url`` read-only and print its tree, then each claiming format's summary.

    With ``as_json`` a zarrkit error prints :func:`error_document` on stdout and exits 1.
    """
    import typer

    from zarrkit.formats import registry

    console = for_output(console)
    try:
        with open_store(url, mode="r") as store:
            root = describe_tree(store)
            summaries = format_summaries(store)
    except ZarrkitError as err:
        if not as_json:
            raise  # the command line prints it as one line on stderr
        console.print_json(json.dumps(error_document(err)))
        raise typer.Exit(1) from None
    if as_json:
        console.print_json(json.dumps({"url": store.url, "root": root.to_dict(), "formats": summaries}))
        return
    console.print(escape(f"{store.url} ({store.kind})"), soft_wrap=True)
    console.print(render_tree(root))
    for name, summary in summaries.items():
        if "error" in summary:
            console.print(escape(f"{name}: cannot summarise: {summary['error']}"), soft_wrap=True)
            continue
        for line in registry.get(name).summary_lines(summary):
            console.print(escape(line), soft_wrap=True)
