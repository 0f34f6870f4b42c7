"""Ctrl-C during `bulletin send`: the first stops the run cleanly, a second exits at once.

The first SIGINT takes no new deliveries; the messages in flight finish (their
connection is waited for as usual) and are recorded, and the run ends with its usual
summary, so the next run sends nothing twice. A second SIGINT exits at once, as a
kill would: every delivery recorded so far stays recorded.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from types import FrameType

REASON = "interrupted (Ctrl-C)"
EXIT_STATUS = 130  # 128 + SIGINT, as shells report a process ended by Ctrl-C


class Interrupt:
    """Whether the run was asked to stop, and how to stop the delivery going on now."""

    def __init__(self) -> None:
        self.requested = False
        self._stop: Callable[[str], None] | None = None

    def request(self) -> None:
        self.requested = True
        if self._stop is not None:
            self._stop(REASON)

    @contextlib.contextmanager
    def stopping(self, stop: Callable[[str], None]) -> Iterator[None]:
        """While inside, a request calls ``stop`` (at once if one came already)."""
        self._stop = stop
        if self.requested:
            stop(REASON)
        try:
            yield
        finally:
            self._stop = None


@contextlib.contextmanager
def ctrl_c_stops_the_run() -> Iterator[Interrupt]:
    """SIGINT handlers for the duration of a run: the first requests a stop, the second exits."""
    interrupt = Interrupt()

    def second(signum: int, frame: FrameType | None) -> None:
        os.write(2, b"Interrupted again: exiting now; run `bulletin send` again to continue.\n")
        os._exit(EXIT_STATUS)

    def first(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, second)
        os.write(2, b"Interrupted: finishing the messages in flight (Ctrl-C again exits at once).\n")
        interrupt.request()

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield interrupt
    finally:
        signal.signal(signal.SIGINT, previous)
