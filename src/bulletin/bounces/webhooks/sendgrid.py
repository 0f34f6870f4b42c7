"""SendGrid's signed event webhook as DeliveryEvents, once its ECDSA signature and age are checked."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..events import DeliveryEvent, EventKind
from . import Refused
from .fields import JsonObject, epoch_time, json_document, json_object, message_id, optional_text, text
from .replay import RecentlySeen

SOURCE = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def public_key(text_key: str | None) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER), or as PEM."""
    if not text_key:
        raise Refused("webhooks.sendgrid: no public key configured")
    try:
        if "BEGIN PUBLIC KEY" in text_key:
            key = serialization.load_pem_public_key(text_key.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text_key.split())))
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        raise Refused("webhooks.sendgrid: the public key is not a base64 DER or PEM key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refused("webhooks.sendgrid: the public key is not an ECDSA key")
    return key


def check_signature(
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    key: ec.EllipticCurvePublicKey,
    max_age: float,
    seen: RecentlySeen,
    now: float | None = None,
) -> None:
    """Refused unless ``signature`` is the ECDSA (SHA-256) signature of timestamp + body, the
    timestamp is within ``max_age`` seconds and this signature was not taken before."""
    if not signature or not timestamp:
        raise Refused("SendGrid webhook without its signature headers")
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise Refused("SendGrid signature does not match") from None
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > max_age:
        raise Refused(f"SendGrid webhook timestamp {timestamp!r:.20} is too old (or from the future)")
    if not seen.first_time(signature):
        raise Refused("SendGrid webhook already taken: a replay")


def sendgrid_events(body: bytes) -> list[DeliveryEvent]:
    """The bounces and spam reports in a batch of events (a JSON array); the rest are left alone."""
    batch = json_document(body, "SendGrid webhook")
    if not isinstance(batch, list):
        batch = [json_object(batch, "SendGrid webhook")]
    events = []
    for item in batch:
        event = json_object(item, "SendGrid event")
        kind = _kind(event)
        if kind is not None:
            events.append(_delivery_event(kind, event))
    return events


def _kind(event: JsonObject) -> EventKind | None:
    name = event.get("event")
    if name == "spamreport":
        return "complaint"
    if name == "bounce":
        # type (bounce_classification's ancestor): "bounce" is permanent, "blocked" a refusal
        # that may pass later. Older payloads have no type: a bounce then is permanent.
        return "soft_bounce" if event.get("type") == "blocked" else "hard_bounce"
    return None  # processed, delivered, deferred (SendGrid still tries), dropped, open, click...


def _delivery_event(kind: EventKind, event: JsonObject) -> DeliveryEvent:
    raw_id: Any = event.get("smtp-id")
    return DeliveryEvent(
        kind=kind,
        source=SOURCE,
        key=text(event, "sg_event_id", "SendGrid event"),
        occurred_at=epoch_time(event.get("timestamp"), "SendGrid timestamp"),
        recipient=text(event, "email", "SendGrid event"),
        message_id=message_id(raw_id) if isinstance(raw_id, str) else None,
        code=optional_text(event, "status"),
        detail=optional_text(event, "reason") or "",
    )
