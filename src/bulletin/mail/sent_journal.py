"""Each accepted message noted in a file at once, and in the store a batch at a time.

A store commit per message cost a sending run more than composing the message did
(some 30 µs of CPU, and on a busy disk three times that waiting), so the store is
written once per ``BATCH`` messages or ``FLUSH_SECONDS``. Nothing more can go twice for
it: the moment the server accepts a message, before the connection takes the next one,
its (digest, subscriber) is appended to ``<store>.sent`` with one write(2). That line
survives the process being killed, as the store's own commits do (synchronous=NORMAL:
only a power cut can lose the last ones), and the next run records what the file lists
(``replay``) before it sends anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from pathlib import Path

from ..config import Config
from ..errors import RecordingFailed
from ..store import Store, state_dir

BATCH = 100  # messages per store transaction
FLUSH_SECONDS = 0.5  # and at most this long between two, so `bulletin status` lags little


def journal_path(config: Config) -> Path:
    """The journal of a run from this process: one beside a SQLite store (one run at a time);
    one per process for a PostgreSQL store, since several senders may run on this host at once."""
    name = config.store.path.name + ".sent"
    return state_dir(config) / (f"{name}.{os.getpid()}" if config.store.url else name)


def journals_to_replay(config: Config) -> list[Path]:
    """The journals a run records before it sends: SQLite's one; for a PostgreSQL store those of
    the processes on this host that have ended (a running sender's own is still being written)."""
    if not config.store.url:
        return [journal_path(config)]
    found = []
    for path in sorted(state_dir(config).glob(config.store.path.name + ".sent.*")):
        pid = path.suffix[1:]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            found.append(path)
    return found


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not one of ours that ended
    return True


def sent_journal(config: Config, store: Store) -> SentJournal:
    """The journal of a run that sends from ``store``."""
    path = journal_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)  # a server store leaves the folder to us
    return SentJournal(path, store)


def read_journal(path: Path) -> list[tuple[int, int]]:
    """The (digest, subscriber) pairs a journal lists; a line cut short by a crash is skipped."""
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    pairs = []
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            pairs.append((int(parts[0]), int(parts[1])))
    return pairs


def replay(path: Path, store: Store) -> int:
    """Record as sent what an earlier run's journal lists (it was killed, or its last batch
    could not be written), then remove the file; returns how many. RecordingFailed when the
    store cannot write: then nothing may be sent."""
    sent = read_journal(path)
    if sent:
        store.mark_sent_many(sent, dt.datetime.now(dt.UTC))
    path.unlink(missing_ok=True)
    return len(sent)


class SentJournal:
    """The accepted messages of one run: appended to the journal file, written to the store in batches."""

    def __init__(self, path: Path, store: Store) -> None:
        self.path = path
        self.store = store
        self.batch: list[tuple[int, int]] = []  # in the journal, not yet in the store
        self.batch_started = 0.0
        self._fd: int | None = None  # opened at the first message

    def add(self, digest_id: int, subscriber_id: int) -> None:
        """Note one accepted message now; write the batch to the store when it is full or old."""
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, b"%d %d\n" % (digest_id, subscriber_id))
        except OSError as exc:
            raise RecordingFailed(f"{self.path.parent}: cannot write to the store: {exc}") from None
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append((digest_id, subscriber_id))
        if len(self.batch) >= BATCH or time.monotonic() - self.batch_started >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the batch to the store in one transaction. RecordingFailed leaves it in ``batch``
        (and in the file, for the next run)."""
        if not self.batch:
            return
        self.store.mark_sent_many(self.batch, dt.datetime.now(dt.UTC))
        self.batch = []
        if self._fd is not None:
            # Emptying needs no free space. Should it fail, the next run records these
            # lines once more, which changes nothing (only pending deliveries become sent).
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)

    def take_batch(self) -> list[tuple[int, int]]:
        """The messages not in the store, handed to the caller (after a refused write)."""
        batch, self.batch = self.batch, []
        return batch

    def close(self, *, keep: bool) -> None:
        """Close the file; remove it unless ``keep`` (it lists messages the store lacks)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not keep:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
