"""Progress bars for long work: one helper for the domains, the pyramid builder and the
executors' task loops.

Progress is **off unless switched on**, so library calls stay silent in scripts, notebooks
and services.  The ``zarrkit`` command switches it on (``zarrkit --no-progress …`` keeps it
off); a library caller passes ``progress=True`` to a long call such as
``image.write(..., progress=True)``, or switches it on for a block with
``with progress.enabled(): ...``.  Even when on, a bar is drawn only when the console is a
terminal: piped output, logs and CI get no bar and no escape codes.

Bars nest: a step inside a step adds a row to the display already on screen (rich allows
one live display at a time).  Rows disappear when their step ends, and the whole display is
cleared when the outermost step ends, so only the command's own output stays on screen.

Example:
    >>> with task("Writing shards", total=3) as advance:
    ...     for _ in range(3):
    ...         advance()
    >>> [n * n for n in track(range(3), "Squaring")]
    [0, 1, 4]
    >>> with enabled(False):
    ...     is_enabled()
    False
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["Advance", "enable", "enabled", "is_enabled", "task", "track"]

T = TypeVar("T")
Advance = Callable[..., None]
"""What :func:`task` yields: ``advance(steps=1)`` moves the bar on by ``steps``."""

# A plain module-level switch rather than a context variable: steps also run on worker
# threads (the core's pool, the executors), which do not inherit context variables.
_state = {"enabled": False}
_lock = threading.RLock()
_display: dict[str, object] = {"progress": None, "depth": 0}


def is_enabled() -> bool:
    """Whether progress is switched on (bars still need a terminal to be drawn).

    Example:
        >>> is_enabled()
        False
    """
    return bool(_state["enabled"])


def enable(on: bool = True) -> bool:
    """Switch progress on (or off with ``on=False``) for the whole process; returns the
    previous setting so a caller can put it back.

    Example:
        >>> previous = enable(True)
        >>> is_enabled(), enable(previous)
        (True, True)
    """
    with _lock:
        previous = bool(_state["enabled"])
        _state["enabled"] = bool(on)
    return previous


@contextlib.contextmanager
def enabled(on: bool | None = True) -> Iterator[None]:
    """Switch progress on (or off) inside the block; ``on=None`` leaves it as it is, which
    lets a function forward its own ``progress=None`` argument unchanged.

    Example:
        >>> with enabled():
        ...     is_enabled()
        True
        >>> is_enabled()
        False
    """
    if on is None:
        yield
        return
    previous = enable(on)
    try:
        yield
    finally:
        enable(previous)


def _new_display(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,  # the bars go when the work is done; the command's own lines stay
    )


def _noop(steps: float = 1) -> None:
    return None


@contextlib.contextmanager
def task(description: str, total: float | None = None, *, console: Console | None = None) -> Iterator[Advance]:
    """A progress bar for one step of work; yields ``advance(steps=1)``.

    ``total`` is the number of steps (items, bytes, pixels: whatever ``advance`` counts);
    ``None`` draws a moving bar without an ETA.  ``console`` (default: a console on stdout)
    decides where the bar goes; nothing is drawn when progress is off or the console is
    not a terminal, and ``advance`` then costs one function call.  ``advance`` may be called
    from any thread.

    Example:
        >>> import io
        >>> from rich.console import Console
        >>> out = io.StringIO()
        >>> with enabled(), task("Copying", total=2, console=Console(file=out)) as advance:
        ...     advance(2)
        >>> out.getvalue()  # not a terminal: no bar
        ''
    """
    if not is_enabled():
        yield _noop
        return
    with _lock:
        progress = _display["progress"]
        if progress is None:
            console = console or Console()
            if not console.is_terminal:
                progress = None
            else:
                progress = _new_display(console)
                progress.start()
                _display["progress"] = progress
        if progress is not None:
            _display["depth"] = int(_display["depth"]) + 1
    if progress is None:
        yield _noop
        return
    assert isinstance(progress, Progress)
    task_id = progress.add_task(description, total=total)
    try:
        yield lambda steps=1: progress.advance(task_id, steps)
    finally:
        with _lock:
            progress.remove_task(task_id)
            _display["depth"] = int(_display["depth"]) - 1
            if _display["depth"] == 0:
                _display["progress"] = None
                progress.stop()


def track(items: Iterable[T], description: str, total: float | None = None, *,
          console: Console | None = None) -> Iterator[T]:
    """Yield ``items`` while a bar counts them: the wrapper for task loops such as
    ``executor.map(fn, tasks)``.  ``total`` defaults to ``len(items)`` when it has one.

    Example:
        >>> list(track(["a", "b"], "Reading"))
        ['a', 'b']
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with task(description, total=total, console=console) as advance:
        for item in items:
            yield item
            advance()
