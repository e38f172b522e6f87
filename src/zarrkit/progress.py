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
from typing import Any, Callable, Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["Advance", "enable", "enabled", "is_enabled", "task", "track"]

T = TypeVar("T")
Advance = Callable[..., None]
"""What :func:`task` yields: ``advance(steps=1, nbytes=0)`` moves the bar on by ``steps`` (and,
on a bar made with ``nbytes=True``, adds ``nbytes`` to the bytes written)."""

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


class _BytesColumn(ProgressColumn):
    """``12.3 MB 4.1 MB/s`` on bars that count bytes (made with ``nbytes=True``), else empty."""

    def render(self, task: Any) -> Text:
        nbytes = task.fields.get("nbytes")
        if nbytes is None:
            return Text("")
        elapsed = task.finished_time if task.finished else task.elapsed
        rate = nbytes / elapsed / 1e6 if elapsed else 0.0
        return Text(f"{nbytes / 1e6:.1f} MB {rate:.1f} MB/s", style="progress.data.speed")


def _new_display(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _BytesColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,  # the bars go when the work is done; the command's own lines stay
    )


def _noop(steps: float = 1, nbytes: int = 0) -> None:
    return None


@contextlib.contextmanager
def task(description: str, total: float | None = None, *, console: Console | None = None,
         nbytes: bool = False) -> Iterator[Advance]:
    """A progress bar for one step of work; yields ``advance(steps=1, nbytes=0)``.

    With ``nbytes=True`` the bar also shows the bytes reported through ``advance(…, nbytes=n)``
    and their rate (MB, MB/s) beside the count and the ETA.

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
    task_id = progress.add_task(description, total=total, **({"nbytes": 0} if nbytes else {}))

    written = [0]

    def advance(steps: float = 1, nbytes: int = 0) -> None:
        if nbytes:
            with _lock:
                written[0] += nbytes
                progress.update(task_id, advance=steps, nbytes=written[0])
        else:
            progress.advance(task_id, steps)
    try:
        yield advance
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
