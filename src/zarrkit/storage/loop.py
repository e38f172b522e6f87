"""One lazily started event-loop thread for the async stores zarrkit drives.

icechunk sessions and adapted zarr-python stores are async.  Rather than start a loop per
call, zarrkit keeps one loop on a daemon thread and hands it coroutines; the calling thread
blocks on the result.  This also works when the caller is itself inside a running asyncio
loop (Jupyter), because the coroutine never runs on the caller's loop.

Example:
    >>> import asyncio
    >>> async def answer():
    ...     await asyncio.sleep(0)
    ...     return 42
    >>> run(answer())
    42
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import Any, Coroutine

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_owner_pid: int | None = None
_thread: threading.Thread | None = None


def io_loop() -> asyncio.AbstractEventLoop:
    """Return zarrkit's I/O loop, starting its thread on first use (and again after fork)."""
    import os

    global _loop, _owner_pid, _thread
    with _lock:
        if _loop is None or _owner_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="zarrkit-io-loop", daemon=True)
            thread.start()
            if _loop is None:
                atexit.register(_stop_at_exit)
            _loop, _owner_pid, _thread = loop, os.getpid(), thread
        return _loop


def _stop_at_exit() -> None:
    # Stop the loop before the interpreter tears itself down: a loop thread still running
    # while icechunk 2's Rust objects are dropped at finalization crashed Python 3.13 once
    # (SIGSEGV after the script's last line).  Bounded: a stuck call does not hang exit.
    import os

    loop, thread = _loop, _thread
    if loop is None or thread is None or _owner_pid != os.getpid() or loop.is_closed():
        return
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    if not thread.is_alive():
        loop.close()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` on the I/O loop and wait for its result (exceptions propagate)."""
    loop = io_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        raise RuntimeError("zarrkit's synchronous store API was called from its own I/O loop")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()
