"""mkdocs hook: the command-line reference, generated at build time from the ``zarrkit``
command itself, so the page always lists the options the installed command has.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; this hook replaces it with one
section per command (usage, help, a table of arguments and options), walking the command tree
that typer builds, format sub-commands included.  Only the command objects' own methods are
used (no ``import click``): recent typer releases carry their own copy of click.
"""

from __future__ import annotations

from typing import Any, Iterator

MARKER = "<!-- cli-reference -->"


def _plain(text: str | None) -> str:
    """Help text as Markdown: typer's rich-markup escapes (``\\[``) undone, lines joined."""
    text = (text or "").replace("\\[", "[")
    paragraphs = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _param_row(param: Any) -> str | None:
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        name = f"`{(param.metavar or param.name).upper()}`"
        detail = "required" if param.required else "optional"
    else:
        names = [*param.opts, *param.secondary_opts]
        name = ", ".join(f"`{n}`" for n in names)
        default = param.default
        shown = "" if default in (None, False, ()) or callable(default) else f"default `{default}`"
        detail = shown or ("flag" if getattr(param, "is_flag", False) else "")
    return f"| {name} | {_cell(_plain(getattr(param, 'help', '')))} | {detail} |"


def _usage(path: list[str], command: Any, ctx: Any) -> str:
    """``zarrkit image convert [OPTIONS] SOURCE OUTPUT``, optional arguments in brackets."""
    pieces = [*path, "[OPTIONS]"]
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = (param.metavar or param.name).upper()
            pieces.append(name if param.required else f"[{name}]")
    if hasattr(command, "list_commands"):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any, Any]]:
    ctx = command.context_class(command, info_name=" ".join(path))
    yield path, command, ctx
    if hasattr(command, "list_commands"):  # a group
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, [*path, name])


def cli_reference() -> str:
    """The reference as Markdown, one ``##`` section per command."""
    import typer

    from zarrkit.cli.main import app

    root = typer.main.get_command(app)
    out: list[str] = []
    for path, command, ctx in _commands(root, ["zarrkit"]):
        out.append(f"## {' '.join(path)}\n")
        out.append(f"```text\n{_usage(path, command, ctx)}\n```\n")
        if command.help:
            out.append(_plain(command.help) + "\n")
        rows = [row for row in (_param_row(p) for p in command.get_params(ctx)) if row]
        if rows:
            out.append("| argument or option | meaning | |\n| --- | --- | --- |")
            out.extend(rows)
            out.append("")
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
