"""Never send what cannot be recorded: free space, a write probe, and what a full disk left behind.

A run that sends a message it cannot then record as sent would send it again on
every later run. So a run checks before sending that the store can write, keeps a
little space aside (``<store>.reserve``), and when a write fails anyway stops taking
new deliveries: it frees the reserve to record the messages the server had already
accepted, or, failing even that, lists them in ``<store>.unrecorded``. While that file
is there no run sends; the first run that can write again records them and removes it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from ..errors import RecordingFailed
from .sqlite_connection import iso, serialised, write_refused
from .sqlite_deliveries import mark_all_sent

RESERVE_BYTES = 256 * 1024  # enough for a few hundred 'sent' commits in the WAL


class RecordingGuard:
    """The recording checks of ``SqliteStore`` (which sets ``db``, ``path`` and ``_lock``)."""

    db: sqlite3.Connection
    path: Path
    _lock: threading.RLock

    @property
    def _marker(self) -> Path:
        return self.path.with_name(self.path.name + ".unrecorded")

    @property
    def _reserve(self) -> Path:
        return self.path.with_name(self.path.name + ".reserve")

    def free_space(self) -> int:
        return shutil.disk_usage(self.path.parent).free

    @serialised
    def check_recording(self) -> int:
        """Make sure a write commits, record what an earlier run could not, keep space aside.

        Returns how many deliveries were recorded from ``<store>.unrecorded``; raises
        RecordingFailed (nothing changed) when the store cannot write.
        """
        now = dt.datetime.now(dt.UTC)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('last_write_check', ?)", (iso(now),))
        recorded = 0
        if self._marker.exists():
            keys = _read_keys(self._marker)
            self._mark_all_sent(keys, now)
            self._marker.unlink()
            recorded = len(keys)
        if not self._reserve.exists():
            _write_reserve(self._reserve)
        return recorded

    @serialised
    def keep_unrecorded(self, sent: Sequence[tuple[int, int]]) -> bool:
        """After a failed write: record ``sent`` (digest, subscriber) as sent with the reserve freed,
        else list them beside the store for the next run. True when they are recorded."""
        self._reserve.unlink(missing_ok=True)
        try:
            self._mark_all_sent(sent, dt.datetime.now(dt.UTC))
            return True
        except sqlite3.Error as exc:
            if not write_refused(exc):
                raise
        # The file first, empty: that needs no data block, so it exists even on a full disk
        # and keeps every later run from sending. Its list then needs one, if there is one.
        fd = os.open(self._marker, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, "".join(f"{digest} {subscriber}\n" for digest, subscriber in sent).encode())
            os.fsync(fd)
        except OSError:
            pass  # without the list those messages go once more when space is back
        finally:
            os.close(fd)
        return False

    def _mark_all_sent(self, keys: Sequence[tuple[int, int]], now: dt.datetime) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            mark_all_sent(self.db, keys, now)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise


def _read_keys(marker: Path) -> list[tuple[int, int]]:
    keys = []
    for line in marker.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and all(part.isdigit() for part in parts):
            keys.append((int(parts[0]), int(parts[1])))
    return keys


def _write_reserve(reserve: Path) -> None:
    try:
        with open(reserve, "wb") as handle:
            handle.write(b"\0" * RESERVE_BYTES)
    except OSError as exc:
        reserve.unlink(missing_ok=True)
        raise RecordingFailed(
            f"{reserve.parent}: cannot set space aside for recording: {exc.strerror}"
        ) from None
