"""The jobs cron runs for mail: compose digests when due, deliver each to every subscriber once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import itertools
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Config
from ..errors import RecordingFailed, StoreError
from ..site.language_posts import language_posts
from ..site.posts import Post
from ..store import DigestPost, DigestRecord, FailedAttempt, LockHeld, Store, open_store, store_exists
from ..subscribers import transport_address
from ..tokens import PREFERENCES, UNSUBSCRIBE, TokenSigner
from .digest_split import DigestParts
from .dkim import message_signer
from .due import LAST_SLOT, Composed, digest_start, due_slot, select_new_posts
from .envelope import digest_envelope
from .interrupt import Interrupt
from .language_start import other_languages_start
from .mailer import STILL_PENDING, Delivery, DeliveryReport, Job, Outcome
from .messages import MessageTemplate, build_template, personalise
from .preflight import refuse_unready
from .recording import RunRecorder, ready_to_record, space_checked
from .sent_journal import sent_journal
from .sessions import open_sessions
from .shared_rate import SharedRateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """What the next `send` would do."""

    new_posts: tuple[Post, ...]
    next_number: int
    recipients: int
    pending_earlier: int  # deliveries of earlier digests still waiting
    due: bool = True  # False: a periodic schedule's next slot has not come yet
    next_due: dt.datetime | None = None
    sample: tuple[str, ...] = ()  # the first few active subscribers' addresses
    first_slot: bool = False  # no slot handled yet: the schedule was just set up


PLAN_SAMPLE = 20  # addresses a dry run lists before saying "and N more"


@dataclass
class SendResult:
    composition: Composed = field(default_factory=Composed)
    locked: bool = False  # another run holds the lock; nothing was done
    total: int = 0  # deliveries this run set out to make
    report: DeliveryReport = field(default_factory=DeliveryReport)
    pending: int = 0  # left pending for the next run
    elapsed: float = 0.0
    unrecorded: int = 0  # accepted by the server when the store could not record them
    unrecorded_kept: bool = True  # recorded after all (with the space set aside)
    interrupted: bool = False  # Ctrl-C stopped the run
    empty: int = 0  # subscribers the digests composed now held nothing for (no message)

    @property
    def composed(self) -> int | None:
        """The number of the (last) digest this run composed."""
        return self.composition.digests[-1][0] if self.composition.digests else None

    @property
    def posts(self) -> int:
        return sum(count for _, count in self.composition.digests)

    @property
    def ok(self) -> bool:
        # A bounce is a failed delivery too: cron should hear about it.
        report = self.report
        return report.failed == 0 and report.bounced == 0 and self.pending == 0 and report.aborted is None


def plan(config: Config, now: dt.datetime) -> Plan:
    """The next send, worked out without changing anything (for --dry-run and status)."""
    posts = language_posts(config, now)
    periodic = config.digest.schedule.periodic
    if not store_exists(config):
        start = config.digest.start or now
        due, _, next_due = due_slot(config, None, now)
        unsent = tuple(select_new_posts(posts, now, set(), start))
        return Plan(unsent, 1, 0, 0, due, next_due, first_slot=periodic)
    with open_store(config) as store:
        start = digest_start(config, store)
        others = other_languages_start(store, start, now, record=False)
        new = select_new_posts(posts, now, store.digested_routes(), start, others)
        last_handled = store.meta(LAST_SLOT)
        due, _, next_due = due_slot(config, last_handled, now)
        sample = tuple(itertools.islice((s.email for s in store.subscribers("active")), PLAN_SAMPLE))
        return Plan(
            tuple(new),
            store.next_digest_number(),
            store.count_subscribers("active"),
            store.count_pending(),
            due,
            next_due,
            sample,
            first_slot=periodic and last_handled is None,
        )


def compose(
    config: Config, store: Store, posts: list[Post], now: dt.datetime, now_due: bool = False
) -> Composed:
    """Store the digests that are due, each with a pending delivery per active subscriber.

    A periodic schedule handles each slot once: the slot is recorded in the same
    transaction as its digest (or alone when there was too little to send), so a
    rerun, a crash or a missed slot never doubles or skips a digest.
    """
    # mail/due.nothing_to_send tells, before this module is even imported, when this would
    # store nothing: a change to what makes a digest here must be made there too.
    schedule = config.digest.schedule
    due, slot, next_due = due_slot(config, store.meta(LAST_SLOT), now, now_due)
    if not due:
        if slot is not None:  # the schedule's first run: this period counts as handled
            store.set_meta(LAST_SLOT, slot.isoformat())
        return Composed(due=False, next_due=next_due)
    start = digest_start(config, store)
    # Noted once a site has languages: it marks where their posts began to count.
    others = other_languages_start(store, start, now, record=config.content.languages is not None)
    new = select_new_posts(posts, now, store.digested_routes(), start, others)
    groups = [[post] for post in new] if schedule.kind == "every-post" else [new]
    if len(new) < config.digest.min_posts:
        groups = []
    meta = {LAST_SLOT: slot.isoformat()} if slot else {}
    made = []
    for group in groups:
        number = store.next_digest_number()
        # Rendered once per distinct (language, posts), as the store asks for each subscriber's.
        parts = DigestParts(config, group, number, now)
        nonce = secrets.token_hex(8)
        # Build the message template once before storing: a digest that cannot become
        # a message (a bad From, say) must fail now, not sit in the store forever.
        build_template(config, DigestRecord(number, now, nonce, parts.main))
        records = [DigestPost(p.route, p.title, p.url, p.date, p.language) for p in group]
        stored = store.create_digest(records, parts.main, nonce, now, meta, parts)
        if stored is None:
            raise StoreError(f"{store.location}: posts of the new digest were stored by another process")
        made.append((stored, len(group)))
        log.debug("digest %d stored: %d posts, a delivery per active subscriber", stored, len(group))
    if not made and meta:
        store.set_meta(LAST_SLOT, meta[LAST_SLOT])
    return Composed(tuple(made), True, next_due)


def send(
    config: Config,
    now: dt.datetime,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    now_due: bool = False,
    on_composed: Callable[[Composed], None] | None = None,
    interrupt: Interrupt | None = None,
    posts: list[Post] | None = None,
) -> SendResult:
    """Compose the digest that is due, then deliver everything pending.

    No subscriber is skipped and none gets a digest twice, except that a message
    the server accepted in the instant before a crash recorded it goes again on the
    next run (at most one per open connection).

    Holding the run lock, every step is either committed or redone by the next run:
    the digest with its deliveries in one transaction, then each delivery on its own.
    ``now_due`` composes a digest now whatever digest.schedule says. ``posts`` are the
    site's, when the caller has read them already.
    """
    if posts is None:
        posts = language_posts(config, now)
    refuse_unready(config)
    signer = TokenSigner.from_config(config)

    def work(store: Store, result: SendResult) -> None:
        ready_to_record(config, store)
        with store.compose_lock():  # several senders at once (PostgreSQL): one composes
            result.composition = compose(config, store, posts, now, now_due)
        if on_composed:  # before any delivery, so a log reads in the order things happened
            on_composed(result.composition)
        result.empty = sum(store.delivery_counts(number).empty for number, _ in result.composition.digests)
        digests = store.digests_with_pending()
        stop = interrupt or Interrupt()
        _deliver_pending(config, store, signer, digests, result, on_progress, stop)
        # Several senders (PostgreSQL): wait until the others are done with these digests, and
        # take over what one that died left when its lease ran out.
        numbers = [digest.number for digest in digests]
        while not (result.report.aborted or result.interrupted) and store.wait_for_other_senders(numbers):
            _deliver_pending(config, store, signer, digests, result, on_progress, stop)
        result.pending = sum(store.delivery_counts(number).pending for number in numbers)

    return _locked_run(config, work)


def resend(
    config: Config,
    number: int,
    statuses: tuple[str, ...],
    on_progress: Callable[[int, int], None] | None = None,
    interrupt: Interrupt | None = None,
) -> SendResult:
    """Retry one digest's deliveries that ended in ``statuses`` (failed and/or pending).

    Sent deliveries are never touched; only subscribers still active are retried.
    """
    refuse_unready(config)
    signer = TokenSigner.from_config(config)

    def work(store: Store, result: SendResult) -> None:
        ready_to_record(config, store)
        digest = store.digest(number)
        if digest is None:
            raise StoreError(f"{store.location}: there is no digest {number}")
        if "failed" in statuses:
            store.requeue_failed(number)
        _deliver_pending(config, store, signer, [digest], result, on_progress, interrupt or Interrupt())

    return _locked_run(config, work)


def _locked_run(config: Config, work: Callable[[Store, SendResult], None]) -> SendResult:
    """Run ``work`` holding the run lock and the store; a held lock means nothing is done."""
    started = time.monotonic()
    result = SendResult()
    try:
        with open_store(config) as store, store.run_lock():
            work(store, result)
    except LockHeld:
        result.locked = True
    result.elapsed = time.monotonic() - started
    return result


def _deliver_pending(
    config: Config,
    store: Store,
    signer: TokenSigner,
    digests: list[DigestRecord],
    result: SendResult,
    on_progress: Callable[[int, int], None] | None,
    interrupt: Interrupt,
) -> None:
    """Deliver the pending deliveries of ``digests``, oldest digest first, into ``result``."""
    started = dt.datetime.now(dt.UTC)
    result.total = sum(store.count_due(d.number, started) for d in digests)
    done = 0

    recorder = RunRecorder(store, functools.partial(failed_attempt, config), sent_journal(config, store))

    def record(job: Job, outcome: Outcome, error: str | None) -> None:
        nonlocal done
        if outcome not in STILL_PENDING:
            done += 1
            if on_progress:
                on_progress(done, result.total)
        recorder.write(job, outcome, error)

    for digest in digests:
        report = asyncio.run(_deliver_digest(config, store, digest, signer, record, interrupt))
        _add(result.report, report)
        if report.aborted:
            _note_stop(store, [d.number for d in digests], report.aborted)
            break
    result.interrupted = interrupt.requested
    result.unrecorded_kept = recorder.finish()
    result.unrecorded = len(recorder.unrecorded)
    result.report.aborted = result.report.aborted or recorder.failure  # the last batch's write, too
    result.pending = sum(store.delivery_counts(d.number).pending for d in digests)


def _note_stop(store: Store, digest_ids: list[int], reason: str) -> None:
    """The deliveries never tried this run still say why they wait (if the store can write)."""
    try:
        store.note_pending_reason(digest_ids, f"delivery stopped: {reason}")
    except RecordingFailed:
        pass


# The longest wait between runs for a delivery the server keeps refusing with 4xx replies.
MAX_RUN_BACKOFF = 3600.0


def failed_attempt(
    config: Config, job: Job, outcome: Outcome, error: str | None, now: dt.datetime
) -> FailedAttempt:
    """What the store records for a try that did not end in 'sent'."""
    reason = error or outcome.value
    if outcome is Outcome.DEFERRED:
        # The longer the server has refused, the longer the wait, as an MTA's queue backs off:
        # from smtp.retry_backoff, about doubling per run, at most an hour (0: no wait).
        failing = (now - job.failing_since).total_seconds() if job.failing_since else 0.0
        backoff = config.smtp.retry_backoff
        wait = max(backoff, min(failing, MAX_RUN_BACKOFF)) if backoff else 0.0
        return FailedAttempt(reason, counted=False, retry_at=now + dt.timedelta(seconds=wait))
    return FailedAttempt(
        reason,
        final=outcome in (Outcome.FAILED, Outcome.BOUNCED, Outcome.UNCERTAIN_AGAIN),
        bounced=outcome is Outcome.BOUNCED,
        uncertain=outcome in (Outcome.UNCERTAIN, Outcome.UNCERTAIN_AGAIN),
    )


def _add(total: DeliveryReport, part: DeliveryReport) -> None:
    total.sent += part.sent
    total.failed += part.failed
    total.bounced += part.bounced
    total.retry += part.retry
    total.uncertain += part.uncertain
    total.aborted = total.aborted or part.aborted


def _templates(config: Config, store: Store, digest: DigestRecord) -> dict[int | None, MessageTemplate]:
    """The message template of each rendering of ``digest`` by key (None: its main one)."""
    templates: dict[int | None, MessageTemplate] = {None: build_template(config, digest)}
    for part in store.digest_renderings(digest.number):
        templates[part.key] = build_template(config, dataclasses.replace(digest, rendered=part.rendered))
    return templates


async def _deliver_digest(
    config: Config,
    store: Store,
    digest: DigestRecord,
    signer: TokenSigner,
    record: Callable[[Job, Outcome, str | None], None],
    interrupt: Interrupt,
) -> DeliveryReport:
    templates = _templates(config, store, digest)
    pending = (
        Job(
            d.digest_id,
            d.subscriber.id,
            transport_address(d.subscriber.email),
            d.subscriber.name,
            d.troubles,
            d.uncertain,
            d.failing_since,
            d.subscriber.token_nonce,
            d.rendering,
        )
        for d in store.pending_deliveries(digest.number, due_at=dt.datetime.now(dt.UTC))
    )

    sign = message_signer(config.digest.dkim)

    def message_for(job: Job) -> bytes:
        unsubscribe = signer.make(UNSUBSCRIBE, job.subscriber_id, job.token_nonce)
        preferences = signer.make(PREFERENCES, job.subscriber_id, job.token_nonce)
        template = templates[job.rendering]
        return sign(personalise(template, job.subscriber_id, job.email, job.name, unsubscribe, preferences))

    smtp = config.smtp
    delivery = Delivery(
        message_for,
        digest_envelope(config, templates[None].sender, signer),
        open_sessions(smtp),
        record,
        rate_per_second=smtp.rate_per_second,
        max_attempts=smtp.max_attempts,
        retry_delay=smtp.retry_delay,
        give_up_after=smtp.give_up_after,
        limiter=SharedRateLimiter(store, smtp.rate_per_second),
    )
    with interrupt.stopping(delivery.stop):
        return await delivery.run(space_checked(pending, config, store, delivery.stop))
