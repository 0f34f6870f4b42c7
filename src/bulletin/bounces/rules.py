"""What a bounce or complaint does to its subscriber: the one set of rules every reader's events meet.

A hard bounce marks the subscriber bounced at once; soft bounces do once
``bounces.soft_limit`` of them occurred within ``bounces.window``; a complaint
unsubscribes at once. Every event is stored (with no subscriber when none could be
found) and the same event read twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..config import Config
from ..errors import SubscriberError
from ..store import Store, StoredEvent, Subscriber
from ..subscribers import normalise_address
from ..tokens import TokenSigner, signer_problems
from .events import DeliveryEvent
from .verp import VerpSigner, parse_token

# mail/messages.py writes <digest nonce>.<digest number>.<subscriber id>@<site domain>.
_MESSAGE_ID = re.compile(r"<?\s*([0-9a-f]{8,64})\.([0-9]{1,18})\.([0-9]{1,18})@[^>\s]+\s*>?")
LEAVING_STATUSES = ("active", "pending")  # statuses a bounce may end


@dataclass(frozen=True)
class RuleSettings:
    soft_limit: int = 3
    window: dt.timedelta = dt.timedelta(days=30)
    verp: VerpSigner | None = None  # None: VERP tokens are not checked (no secret to check them)

    @classmethod
    def from_config(cls, config: Config) -> RuleSettings:
        """bounces.soft_limit and bounces.window, and the token secret to check VERP tokens with."""
        verp = None
        if not signer_problems(config.secrets, config.digest.secret_env):
            verp = VerpSigner(TokenSigner.from_config(config))
        return cls(config.bounces.soft_limit, config.bounces.window, verp)


@dataclass(frozen=True)
class Match:
    """Who an event is about, and how that was found."""

    subscriber: Subscriber | None = None
    digest_id: int | None = None
    by: str = "nothing"  # "verp", "message-id", "recipient" or "nothing"


@dataclass(frozen=True)
class EventOutcome:
    """What applying one event did."""

    event: DeliveryEvent
    match: Match
    recorded: bool  # False: this event (source and key) was stored before; nothing changed
    status_before: str | None  # the subscriber's; None when no subscriber was found
    status_after: str | None
    soft_bounces: int = 0  # soft bounces within the window, this one included

    @property
    def changed(self) -> bool:
        return self.status_before != self.status_after

    def describe(self) -> str:
        """One line for a person: what happened to whom."""
        who = self.match.subscriber.email if self.match.subscriber else (self.event.recipient or "unknown")
        what = self.event.kind.replace("_", " ")
        code = f" {self.event.code}" if self.event.code else ""
        if not self.recorded:
            return f"{who}: {what}{code} seen before, nothing changed"
        if self.match.subscriber is None:
            return f"{who}: {what}{code} kept, no subscriber found"
        if self.changed:
            return f"{who}: {what}{code}, {self.status_before} -> {self.status_after}"
        if self.event.kind == "soft_bounce":
            return f"{who}: {what}{code}, {self.soft_bounces} within the window, still {self.status_after}"
        return f"{who}: {what}{code}, still {self.status_after}"


def apply_event(store: Store, event: DeliveryEvent, settings: RuleSettings, now: dt.datetime) -> EventOutcome:
    """Store ``event`` and change its subscriber's status as the rules say, in one store step."""
    match = find_subscriber(store, event, settings.verp)
    subscriber = match.subscriber
    soft = 0
    if subscriber is not None and event.kind == "soft_bounce":
        since = now - settings.window
        soft = store.count_delivery_events(subscriber.id, "soft_bounce", since)
        soft += event.occurred_at >= since
    status = _new_status(event, subscriber, soft, settings)
    recorded = store.record_delivery_event(_stored(event, match, now), status)
    before = subscriber.status if subscriber else None
    after = before
    if recorded and subscriber is not None:
        current = store.subscriber(id=subscriber.id)
        after = current.status if current else None
    return EventOutcome(event, match, recorded, before, after, soft)


def _new_status(
    event: DeliveryEvent, subscriber: Subscriber | None, soft_bounces: int, settings: RuleSettings
) -> str | None:
    if subscriber is None:
        return None
    if event.kind == "complaint":
        return None if subscriber.status == "unsubscribed" else "unsubscribed"
    if subscriber.status not in LEAVING_STATUSES:
        return None
    if event.kind == "hard_bounce" or soft_bounces >= settings.soft_limit:
        return "bounced"
    return None


def find_subscriber(store: Store, event: DeliveryEvent, verp: VerpSigner | None) -> Match:
    """The subscriber (and digest) from the VERP token, else the Message-ID, else the recipient."""
    if event.verp_token and verp is not None:
        found = _by_verp(store, event.verp_token, verp)
        if found:
            return found
    if event.message_id:
        found = _by_message_id(store, event.message_id)
        if found:
            return found
    if event.recipient:
        try:
            address = normalise_address(event.recipient)
        except SubscriberError:
            return Match()
        subscriber = store.subscriber(email=address)
        if subscriber is not None:
            return Match(subscriber, None, "recipient")
    return Match()


def _by_verp(store: Store, text: str, verp: VerpSigner) -> Match | None:
    token = parse_token(text)
    if token is None:
        return None
    subscriber = store.subscriber(id=token.subscriber_id)
    if subscriber is None or not verp.check(token, subscriber.token_nonce):
        return None  # forged, or made for a row that is gone
    digest = token.digest_id if store.digest(token.digest_id) is not None else None
    return Match(subscriber, digest, "verp")


def _by_message_id(store: Store, message_id: str) -> Match | None:
    found = _MESSAGE_ID.fullmatch(message_id.strip())
    if not found:
        return None
    nonce, number, subscriber_id = found[1], int(found[2]), int(found[3])
    digest = store.digest(number)
    if digest is None or digest.nonce != nonce:
        return None  # not one of our messages
    subscriber = store.subscriber(id=subscriber_id)
    return Match(subscriber, number, "message-id") if subscriber else None


def _stored(event: DeliveryEvent, match: Match, now: dt.datetime) -> StoredEvent:
    return StoredEvent(
        kind=event.kind,
        source=event.source,
        key=event.key,
        occurred_at=event.occurred_at,
        recorded_at=now,
        subscriber_id=match.subscriber.id if match.subscriber else None,
        digest_id=match.digest_id,
        recipient=event.recipient,
        code=event.code,
        detail=event.detail,
    )
