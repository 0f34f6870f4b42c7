"""Opening a SQLite store file (pragmas, schema) and sharing its connection between threads."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from ..errors import RecordingFailed, StoreError
from .sqlite_migrations import migrate


def iso(moment: dt.datetime) -> str:
    """The one text form the store keeps times in: UTC, to the microsecond."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to the store at ``path``, its schema brought up to date."""
    if not create and not path.exists():
        raise StoreError(f"{path}: store does not exist yet")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so
        # every single-row update is its own committed transaction.
        # check_same_thread=False: the web app calls from a thread pool; the
        # store's lock (``serialised``) makes those calls take turns.
        db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (only a power cut can
        # lose the last commits), at a fraction of FULL's cost per commit.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        now = dt.datetime.now(dt.UTC)
        migrate(db, now)
        # Idempotent, so it runs on every open: a store whose first open was cut
        # short between the two still gets its date.
        db.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (iso(now),))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot open store: {exc}") from None
    return db


class Locked(Protocol):
    _lock: threading.RLock
    path: Path


# SQLite's primary result codes for a write the file system refused.
_WRITE_REFUSED = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY}


def write_refused(exc: sqlite3.Error) -> bool:
    """A disk full, an I/O error or a read-only file: the store cannot record anything now."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in _WRITE_REFUSED


S = TypeVar("S", bound=Locked)
P = ParamSpec("P")
R = TypeVar("R")


def serialised(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run the method holding the store's lock, so threads sharing one connection never
    run a statement inside another thread's transaction."""

    @functools.wraps(method)
    def locked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                if write_refused(exc):
                    raise RecordingFailed(f"{self.path.parent}: cannot write to the store: {exc}") from None
                raise

    return locked
