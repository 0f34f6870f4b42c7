"""Mailgun's webhooks as DeliveryEvents, once their HMAC signature, age and token are checked."""

from __future__ import annotations

import hashlib
import hmac
import time

from ..events import DeliveryEvent, EventKind
from . import Refused, Unreadable
from .fields import (
    JsonObject,
    epoch_time,
    json_document,
    json_object,
    message_id,
    optional_text,
    text,
    verp_token,
)
from .replay import RecentlySeen

SOURCE = "mailgun"
# Permanent failures that say nothing final about the address: tried until Mailgun gave up
# (old), refused by the receiving provider for the sender (espblock), greylisted throughout.
SOFT_REASONS = frozenset({"old", "espblock", "greylisted"})
# Not sent because the address is on Mailgun's own lists for an unsubscribe or a complaint,
# which reached bulletin (or not) by its own way.
NOT_ABOUT_THE_ADDRESS = frozenset({"suppress-unsubscribe", "suppress-complaint"})


def verified_payload(
    body: bytes, signing_key: str | None, max_age: float, tokens: RecentlySeen, now: float | None = None
) -> JsonObject:
    """The webhook's JSON once its signature (HMAC-SHA256 of timestamp + token with the webhook
    signing key) matches, its timestamp is within ``max_age`` seconds and its token is new."""
    if not signing_key:
        raise Refused("webhooks.mailgun: no signing key configured")
    try:
        payload = json_object(json_document(body, "Mailgun webhook"), "Mailgun webhook")
        signature = json_object(payload.get("signature"), "Mailgun signature")
        timestamp = text(signature, "timestamp", "Mailgun signature")
        token = text(signature, "token", "Mailgun signature")
        given = text(signature, "signature", "Mailgun signature")
    except Unreadable as exc:  # without a readable signature nothing is proven
        raise Refused(str(exc)) from None
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise Refused("Mailgun signature does not match")
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > max_age:
        raise Refused(f"Mailgun webhook timestamp {timestamp!r:.20} is too old (or from the future)")
    # Checked last, so only a correctly signed token is remembered.
    if not tokens.first_time(token):
        raise Refused("Mailgun webhook token already used: a replay")
    return payload


def mailgun_events(payload: JsonObject) -> list[DeliveryEvent]:
    """The failure or complaint in ``event-data``; none for the other events (delivered, opened...)."""
    data = json_object(payload.get("event-data"), "Mailgun event-data")
    kind = _kind(data)
    if kind is None:
        return []
    status = data.get("delivery-status")
    status = status if isinstance(status, dict) else {}
    message = data.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    envelope = data.get("envelope")
    return [
        DeliveryEvent(
            kind=kind,
            source=SOURCE,
            key=_event_key(data),
            occurred_at=epoch_time(data.get("timestamp"), "Mailgun timestamp"),
            recipient=text(data, "recipient", "Mailgun event-data"),
            verp_token=verp_token(optional_text(envelope, "sender")) if isinstance(envelope, dict) else None,
            message_id=message_id(optional_text(headers, "message-id"))
            if isinstance(headers, dict)
            else None,
            code=optional_text(status, "enhanced-code") or optional_text(status, "code"),
            detail=optional_text(status, "message") or optional_text(status, "description") or "",
        )
    ]


def _kind(data: JsonObject) -> EventKind | None:
    event = data.get("event")
    if event == "complained":
        return "complaint"
    if event != "failed" or data.get("severity") != "permanent":
        # A temporary failure is reported at every try Mailgun makes: counting each as a soft
        # bounce would bounce a full mailbox within hours. Its last word (permanent) decides.
        return None
    reason = data.get("reason")
    if reason in SOFT_REASONS:
        return "soft_bounce"
    if reason in NOT_ABOUT_THE_ADDRESS:
        return None
    return "hard_bounce"


def _event_key(data: JsonObject) -> str:
    """Mailgun's event id, which it keeps unique within a day only: with the event's own
    time it stays unique, and a webhook Mailgun posts again still has the same key."""
    return f"{text(data, 'id', 'Mailgun event-data')}@{data.get('timestamp')}"
