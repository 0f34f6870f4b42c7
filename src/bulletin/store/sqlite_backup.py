"""Copying a live SQLite store into one self-contained file, and checking a store file.

Copying ``bulletin.db`` with ``cp`` loses the commits still in ``bulletin.db-wal``
(a run records every sent message there first), and a copy taken while a run
writes may be torn. SQLite's online backup API reads one consistent snapshot
through a read transaction instead: writers are not blocked (WAL mode) and the copy
holds every commit made before it started.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import StoreError
from .sqlite_deliveries import mark_all_sent


def backup_database(
    source: sqlite3.Connection, store_path: Path, target: Path, sent: Sequence[tuple[int, int]] = ()
) -> None:
    """Write a consistent copy of ``source`` to ``target``, atomically (a temporary sibling, then rename).

    The copy is in rollback-journal mode, so the one file is the whole store: it
    needs no ``-wal`` beside it and opens read-only. The ``sent`` deliveries (what a
    running send has noted and not yet committed) are marked sent in the copy.
    """
    if _same_file(target, store_path) or target.name.startswith(store_path.name + "-"):
        raise StoreError(f"{target}: that is the store itself; name another file for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        copy = sqlite3.connect(temp, isolation_level=None)
        try:
            # pages=-1: the whole store in one step, so in one read snapshot.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")
            if sent:
                copy.execute("BEGIN")
                mark_all_sent(copy, sent, dt.datetime.now(dt.UTC))
                copy.execute("COMMIT")
            problems = check_database(copy)
        finally:
            copy.close()
        if problems:
            raise StoreError(f"{target}: the copy fails its integrity check: {problems[0]}")
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)  # subscriber addresses: not for every local user
        os.replace(temp, target)
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: cannot back up the store: {exc}") from None
    finally:
        temp.unlink(missing_ok=True)


def check_database(db: sqlite3.Connection) -> list[str]:
    """What SQLite's integrity check finds wrong, one line per problem; empty when all is well."""
    try:
        rows = [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
        rows += [f"foreign key: {tuple(row)}" for row in db.execute("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as exc:  # damaged past what the check itself can read
        return [str(exc)]
    return [] if rows == ["ok"] else [row for row in rows if row != "ok"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False
