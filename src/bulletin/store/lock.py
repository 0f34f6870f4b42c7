"""One `bulletin send` at a time: an advisory flock(2) on a file beside the SQLite store."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from .base import LockHeld

__all__ = ["LockHeld", "RunLock"]


class RunLock:
    """An exclusive flock(2) lock.

    The kernel drops the lock the moment its process dies, so a run killed with
    SIGKILL never leaves a stale lock behind: the next cron run gets it at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(str(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
