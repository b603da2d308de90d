"""Work repeated on a thread of its own while a block runs (a lease's heartbeat, the early
write-out of a SQLite load)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def periodically(
    every_s: float,
    work: Callable[[], object],
    *,
    name: str,
    at_once: bool = False,
    join_timeout_s: float | None = None,
) -> Iterator[None]:
    """Call `work` every `every_s` seconds on a daemon thread while the block runs (the first
    call at once with `at_once`, else after one period). `work` returning False ends the
    thread early. When the block ends the thread is told to stop and joined (at most
    `join_timeout_s`: a call in progress finishes first)."""
    stop = threading.Event()

    def repeat() -> None:
        if at_once and work() is False:
            return
        while not stop.wait(every_s):
            if work() is False:
                return

    thread = threading.Thread(target=repeat, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(join_timeout_s)
