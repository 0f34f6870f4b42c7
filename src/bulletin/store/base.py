"""The store seam: what the jobs, the CLI and the web app may ask of any store backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, Self

from .records import (
    Delivery,
    DeliveryCounts,
    DigestPost,
    DigestRecord,
    DigestRendering,
    DigestSplit,
    DigestSummary,
    EventCounts,
    FailedAttempt,
    NewSubscriber,
    RenderedDigest,
    StatusChange,
    StoredEvent,
    Subscriber,
    Topic,
)


class LockHeld(Exception):
    """Another process holds the run lock."""


class Store(Protocol):
    """Subscribers, digests, the posts each digest holds and one delivery per (digest, subscriber).

    Guarantees every backend keeps:

    - Each method is one step that is committed when it returns (a method that
      changes several rows commits them together or not at all). Nothing is left
      half written by an error or by the process being killed.
    - The delivery row is the whole truth about a message once recorded: a run notes
      each accepted message in its sent journal at once (mail/sent_journal.py) and
      commits the rows a batch at a time (``mark_sent_many``); the next run records
      what a killed one noted before anything else, so it resumes where it stopped.
    - A store may be shared by threads (the web app calls it from a thread pool):
      calls are serialised. An iterator reads in pages; consume it in one thread.
    - Errors a user should see are ``StoreError`` (one line naming ``location``),
      unknown statuses ``SubscriberError``.
    """

    @property
    def kind(self) -> str:
        """'sqlite' or 'postgresql': what /health reports, and what a message may name."""
        ...

    @property
    def location(self) -> str:
        """Where the store is, for messages: a file path, or a server address without secrets."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def close(self) -> None: ...

    def run_lock(self) -> AbstractContextManager[object]:
        """Hold the lock that lets one ``bulletin send`` run at a time, across processes.

        Raises LockHeld at once (never waits) when another process holds it. The lock
        ends with its holder, even one killed with SIGKILL, so a crash never leaves a
        stale lock. SQLite: flock(2) on a file beside the store, one run at a time.
        PostgreSQL: a shared session advisory lock, so several senders run at once, each
        claiming deliveries under a lease (``pending_deliveries``).
        """
        ...

    def compose_lock(self) -> AbstractContextManager[object]:
        """Held while a run composes the digest that is due, waited for: with several senders
        running at once (PostgreSQL), one composes and the others then find it stored. (SQLite:
        nothing more, since its run lock already lets one run at a time.)"""
        ...

    def wait_for_other_senders(self, digest_ids: Sequence[int]) -> bool:
        """After a run has recorded its outcomes: block while other senders hold deliveries of
        these digests (PostgreSQL leases); True when rows are left that a run may take now (a
        sender died and its lease ran out), so the caller delivers once more. SQLite: False at
        once, there is no other sender."""
        ...

    def send_slot(self, interval: float) -> float | None:
        """Seconds to wait before sending one message, from a budget every sender of the store
        shares (one message per ``interval`` seconds among them all); None when the store has one
        sender at a time (SQLite), whose own limiter is the whole budget."""
        ...

    def allow_event(self, key: str, limit: int, window: float) -> bool:
        """True (and the event noted) when ``key`` had fewer than ``limit`` events within ``window``
        seconds (the web sign-up limit). SQLite: counted in this process; PostgreSQL: in the store,
        so the limit holds across web processes and hosts."""
        ...

    def free_space(self) -> int | None:
        """Bytes the store can still grow by on its disk; None when it cannot tell (a server)."""
        ...

    def check_recording(self) -> int:
        """Before a run sends: make sure a write commits, record the deliveries an earlier run
        could not (returns how many), set a little space aside. RecordingFailed when it cannot:
        then nothing may be sent."""
        ...

    def keep_unrecorded(self, sent: Sequence[tuple[int, int]]) -> bool:
        """After a write failed: record these accepted (digest, subscriber) deliveries as sent with
        the space set aside, else keep them where the next run's check_recording finds them (and
        sends nothing until it can record them). True when they are recorded now."""
        ...

    def ping(self) -> None:
        """Touch the store, raising if it cannot answer (the web app's health check)."""
        ...

    def check(self) -> list[str]:
        """What is wrong with the stored data (SQLite: integrity and foreign key checks); empty if nothing."""
        ...

    def backup(self, target: Path, sent: Sequence[tuple[int, int]] = ()) -> None:
        """Write a consistent copy of the whole store to the file ``target``, safe while a run writes.

        The copy holds every commit made before the backup started and nothing half
        written, with the ``sent`` (digest, subscriber) deliveries marked sent (those a
        running send has noted in its journal, not yet committed); ``target`` appears
        only once complete. StoreError when it cannot.
        """
        ...

    # Store-wide values ---------------------------------------------------------

    def created_at(self) -> dt.datetime:
        """When the store was first created (digests start from here unless configured)."""
        ...

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    # Subscribers -----------------------------------------------------------------

    def add_subscriber(
        self,
        email: str,
        name: str | None,
        status: str = "active",
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> bool:
        """Insert a subscriber with their language (None: the site's default) and topics (none:
        every post); False when the address is already there (nothing changes)."""
        ...

    def add_subscribers(self, people: Sequence[tuple[str, str | None] | NewSubscriber]) -> list[bool]:
        """Insert active subscribers ((address, name) or NewSubscriber with language and topics),
        all in one transaction; for each, whether it was new (an address already there, or
        twice in ``people``, is left as it is)."""
        ...

    def set_subscriber_preferences(
        self, subscriber_id: int, language: str | None, topics: frozenset[Topic]
    ) -> None:
        """Replace the subscriber's language and topics, together; the next digest follows them
        (digests already made keep what each delivery was given)."""
        ...

    def subscriber(self, *, email: str | None = None, id: int | None = None) -> Subscriber | None: ...

    def subscribers(self, status: str | None = None) -> Iterator[Subscriber]:
        """Every subscriber (with ``status``, when given) in id order, read in pages."""
        ...

    def count_subscribers(self, status: str = "active") -> int: ...

    def set_subscriber_status(self, subscriber_id: int, status: str) -> None:
        """Set the status; leaving 'active' cancels the subscriber's pending deliveries, together."""
        ...

    def request_subscription(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> Subscriber:
        """The subscriber for a web sign-up: a new, unsubscribed or bounced address becomes
        'pending' (only a confirmation activates it); an active or pending one stays as it is.
        A pending address takes ``language`` and ``topics``; an active one keeps its own."""
        ...

    def confirm_subscriber(self, subscriber_id: int) -> bool:
        """Activate a pending subscriber; False for any other status (nothing changes)."""
        ...

    def claim_confirmation_slot(self, subscriber_id: int, now: dt.datetime, interval: dt.timedelta) -> bool:
        """True (and ``now`` noted) when no confirmation mail went out within ``interval``."""
        ...

    def sign_up(
        self,
        email: str,
        name: str | None,
        now: dt.datetime,
        interval: dt.timedelta,
        *,
        language: str | None = None,
        topics: frozenset[Topic] = frozenset(),
    ) -> None:
        """A web sign-up, in one transaction: ``request_subscription``, then a confirmation
        mail queued for a pending address that had none within ``interval``. The same
        statements run whether the address is new, pending, active or gone, so the
        time taken tells nothing about it."""
        ...

    def queued_confirmations(self, limit: int = 100) -> list[Subscriber]:
        """Subscribers with a confirmation mail queued, oldest first (any status now:
        one confirmed or gone meanwhile needs no mail, only ``confirmation_sent``)."""
        ...

    def confirmation_sent(self, subscriber_id: int) -> None:
        """Take the subscriber's confirmation mail off the queue."""
        ...

    def status_changes(self) -> Iterator[StatusChange]:
        """Every status each subscriber took, in the order taken (a subscriber's first one when
        the row was made), read in pages; a removed subscriber's are gone with them."""
        ...

    def remove_subscriber(self, email: str) -> bool:
        """Delete a subscriber with their deliveries; False when there was none."""
        ...

    # Digests ---------------------------------------------------------------------

    def digested_routes(self) -> set[str]:
        """The routes of every post some digest already holds."""
        ...

    def create_digest(
        self,
        posts: Sequence[DigestPost],
        rendered: RenderedDigest,
        nonce: str,
        now: dt.datetime,
        meta: dict[str, str] | None = None,
        split: DigestSplit | None = None,
    ) -> int | None:
        """Store a digest, its posts, a delivery per active subscriber and ``meta``, together.

        Without ``split`` every delivery is pending, made from ``rendered``. With it, each
        active subscriber's delivery names the rendering ``split.rendering_for`` gives them
        (or is 'empty', no message, when it gives None), and ``split.renderings()`` are stored.
        Returns the digest number, or None with nothing written when another process
        stored one of these posts first (a post goes into one digest only).
        """
        ...

    def digest_renderings(self, number: int) -> list[DigestRendering]:
        """The digest's renderings by key; empty for a digest rendered once for everyone."""
        ...

    def next_digest_number(self) -> int: ...

    def digest(self, number: int) -> DigestRecord | None:
        """The digest numbered ``number``; None for any number that names none."""
        ...

    def digest_posts(self, number: int) -> list[DigestPost]:
        """A digest's posts, oldest first."""
        ...

    def recent_digests(self, limit: int = 10) -> list[DigestRecord]:
        """The newest ``limit`` digests, newest first."""
        ...

    def digests_with_pending(self) -> list[DigestRecord]:
        """Digests with a delivery still pending, oldest first."""
        ...

    def digest_count(self) -> int:
        """How many digests there are."""
        ...

    def digest_summaries(self, limit: int, offset: int = 0) -> list[DigestSummary]:
        """The archive index's rows, newest first, ``limit`` of them after skipping ``offset``.

        Read from a small row per digest written with it, never from its rendering: a
        digest whose rendering is damaged is still listed.
        """
        ...

    # Deliveries ------------------------------------------------------------------

    def pending_deliveries(
        self, digest_id: int, batch: int = 500, due_at: dt.datetime | None = None
    ) -> Iterator[Delivery]:
        """A digest's pending deliveries in subscriber order, read ``batch`` at a time so memory
        stays flat; deliveries marked while iterating are not seen again. With ``due_at``, only
        those not waiting for a later retry (a backoff after 4xx replies). PostgreSQL claims
        each batch under a lease so several senders share the digest, and takes over rows
        whose lease ran out (their sender died) before it ends."""
        ...

    def count_due(self, digest_id: int, due_at: dt.datetime) -> int:
        """Pending deliveries of a digest that are not waiting for a later retry at ``due_at``."""
        ...

    def mark_sent(self, digest_id: int, subscriber_id: int, now: dt.datetime) -> None:
        """Record the message as accepted, in its own committed transaction.

        Only a pending delivery becomes sent: marking twice changes nothing, and a
        delivery cancelled meanwhile (the subscriber left) stays cancelled.
        """
        ...

    def mark_sent_many(self, sent: Sequence[tuple[int, int]], now: dt.datetime) -> None:
        """``mark_sent`` for many (digest, subscriber) deliveries, all in one transaction.

        A run notes each accepted message in its sent journal first (mail/sent_journal.py)
        and records them here a batch at a time.
        """
        ...

    def mark_attempt_failed(
        self, digest_id: int, subscriber_id: int, error: str, *, final: bool, bounced: bool = False
    ) -> None:
        """Record a failed attempt: still pending (to retry), or failed for good when ``final``.

        ``bounced`` also marks the subscriber bounced and cancels their other pending
        deliveries, all in one transaction.
        """
        ...

    def record_failure(
        self, digest_id: int, subscriber_id: int, attempt: FailedAttempt, now: dt.datetime | None = None
    ) -> None:
        """Record a failed try as ``attempt`` describes it, in one transaction: its reason, whether
        it counts toward smtp.max_attempts or starts the smtp.give_up_after window, whether the
        message may have arrived, when to try again; failed for good (and bounced) as it says."""
        ...

    def note_pending_reason(self, digest_ids: Sequence[int], reason: str) -> None:
        """Write why deliveries are still pending where no attempt has said so yet."""
        ...

    def requeue_failed(self, digest_id: int) -> int:
        """Make a digest's failed deliveries to active subscribers pending again with fresh
        attempts, except those whose message may have arrived; returns how many."""
        ...

    def count_pending(self) -> int:
        """Pending deliveries over all digests."""
        ...

    def delivery_counts(self, digest_id: int) -> DeliveryCounts: ...

    def delivery_errors(self, digest_id: int, limit: int = 20) -> list[tuple[str, str, str]]:
        """(address, status, last error) of a digest's unsent deliveries that have an error."""
        ...

    # Bounces and complaints reported later (issue 14) ---------------------------

    def record_delivery_event(self, event: StoredEvent, status: str | None = None) -> bool:
        """Store ``event`` and, with ``status`` ('bounced' or 'unsubscribed'), set its subscriber's
        status and cancel their pending deliveries, all in one transaction.

        False, with nothing changed, when an event with the same (source, key) is stored
        already: the same DSN or webhook read twice. A bounce never replaces
        'unsubscribed'; a complaint's 'unsubscribed' replaces any other status.
        """
        ...

    def count_delivery_events(self, subscriber_id: int, kind: str, since: dt.datetime) -> int:
        """The subscriber's events of ``kind`` that occurred at ``since`` or later."""
        ...

    def delivery_events(self, subscriber_id: int, limit: int = 50) -> list[StoredEvent]:
        """The subscriber's events, newest first."""
        ...

    def unmatched_delivery_events(self, limit: int = 50) -> list[StoredEvent]:
        """Events no subscriber could be found for, newest first."""
        ...

    def event_counts(self, digest_id: int) -> EventCounts:
        """How many of the digest's recipients bounced (hard, soft) or complained."""
        ...
