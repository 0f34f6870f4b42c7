"""A run records every message it sends, or stops sending: free space, a write check before
the first message and between batches, and the messages a full disk left unrecorded.

The store keeps what it could not record (``Store.keep_unrecorded``) and refuses every
later run until it can write again (``Store.check_recording``), so a full disk repeats at
most the messages in flight when the first write failed, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator

from ..config import Config
from ..errors import RecordingFailed
from ..store import FailedAttempt, Store, state_dir
from .delivery_errors import CannotRecord
from .mailer import Job, Outcome
from .sent_journal import SentJournal, journals_to_replay, replay

log = logging.getLogger(__name__)

MB = 1_000_000
SPACE_CHECK_EVERY = 500  # deliveries between two free-space checks (one store page of them)


def low_space(config: Config, store: Store) -> str | None:
    """Why the store's disk is too full to start (or go on) sending; None when it is not."""
    free = store.free_space()
    need = config.store.min_free_mb
    if free is None or free >= need * MB:
        return None
    return (
        f"{state_dir(config)}: only {free / MB:.1f} MB free; bulletin send needs at least"
        f" {need:g} MB there to record what it sends (store.min_free_mb)"
    )


def ready_to_record(config: Config, store: Store) -> None:
    """Refuse to send (RecordingFailed, one line) unless the store has room and can write."""
    problem = low_space(config, store)
    if problem:
        raise RecordingFailed(problem)
    recorded = store.check_recording() + sum(replay(path, store) for path in journals_to_replay(config))
    if recorded:
        log.warning("recorded %d deliveries sent by a run that could not record them", recorded)


def space_checked(
    jobs: Iterable[Job], config: Config, store: Store, stop: Callable[[str], None]
) -> Iterator[Job]:
    """``jobs``, stopping the run (``stop``) when free space falls below the margin between batches."""
    for number, job in enumerate(jobs):
        if number and number % SPACE_CHECK_EVERY == 0:
            problem = low_space(config, store)
            if problem:
                stop(problem)
                return
        yield job


class RunRecorder:
    """Writes each outcome down; after the first refused write, notes what went unrecorded.

    A message the server accepted goes to the run's sent journal (sent_journal.py),
    which writes the store a batch at a time; any other outcome is committed at once,
    after the batch, so the store sees outcomes in the order they happened. A refused
    write raises CannotRecord, which stops the delivery run: no new message starts,
    those in flight finish and are noted here too.
    """

    def __init__(
        self,
        store: Store,
        attempt_for: Callable[[Job, Outcome, str | None, dt.datetime], FailedAttempt],
        journal: SentJournal,
    ):
        self.store = store
        self.attempt_for = attempt_for
        self.journal = journal
        self.unrecorded: list[tuple[int, int]] = []  # (digest, subscriber) accepted, not in the store
        self.failure: str | None = None

    def write(self, job: Job, outcome: Outcome, error: str | None) -> None:
        if self.failure is not None:
            self._refused(job, outcome, self.failure)
        try:
            if outcome is Outcome.SENT:
                self.journal.add(job.digest_id, job.subscriber_id)
            else:
                self.journal.flush()
                now = dt.datetime.now(dt.UTC)
                attempt = self.attempt_for(job, outcome, error, now)
                self.store.record_failure(job.digest_id, job.subscriber_id, attempt, now)
        except RecordingFailed as exc:
            self.failure = str(exc)
            self.unrecorded.extend(self.journal.take_batch())
            self._refused(job, outcome, self.failure)

    def _refused(self, job: Job, outcome: Outcome, reason: str) -> None:
        key = (job.digest_id, job.subscriber_id)
        if outcome is Outcome.SENT and key not in self.unrecorded:
            self.unrecorded.append(key)
        raise CannotRecord(reason)

    def finish(self) -> bool:
        """Write the last batch; keep what went unrecorded (recorded now with the space set
        aside, or listed for the next run). True when everything accepted is in the store."""
        if self.failure is None:
            try:
                self.journal.flush()
            except RecordingFailed as exc:
                self.failure = str(exc)
                self.unrecorded.extend(self.journal.take_batch())
        kept = self.store.keep_unrecorded(self.unrecorded) if self.unrecorded else True
        self.journal.close(keep=not kept)
        return kept
