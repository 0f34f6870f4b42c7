"""Postmark's bounce and spam complaint webhooks as DeliveryEvents, behind HTTP Basic auth.

Postmark signs nothing; its documented protection is credentials in the webhook's URL
(https://user:password@host/webhooks/postmark), which it sends as HTTP Basic auth.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from ..events import DeliveryEvent, EventKind
from . import Refused, Unreadable
from .fields import JsonObject, iso_time, json_document, json_object, optional_text, text

SOURCE = "postmark"
# Postmark's bounce Types that say something about the address; the others (AutoResponder,
# Subscribe, ChallengeVerification, Blocked, ManuallyDeactivated, ...) leave the subscriber alone.
KINDS: dict[str, EventKind] = {
    "HardBounce": "hard_bounce",
    "BadEmailAddress": "hard_bounce",
    "Transient": "soft_bounce",
    "SoftBounce": "soft_bounce",
    "DnsError": "soft_bounce",
    "SpamComplaint": "complaint",
}


def check_basic_auth(authorization: str | None, username: str, password: str | None) -> None:
    """Refused unless the Authorization header carries exactly these credentials."""
    if not password:
        raise Refused("webhooks.postmark: no password configured")
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise Refused("Postmark webhook without Basic credentials")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Refused("Postmark webhook credentials are not base64") from None
    expected = f"{username}:{password}".encode()
    if not secrets.compare_digest(given, expected):
        raise Refused("Postmark webhook credentials do not match")


def postmark_events(body: bytes) -> list[DeliveryEvent]:
    """The bounce or complaint one webhook call reports (none for the kinds left alone)."""
    record = json_object(json_document(body, "Postmark webhook"), "Postmark webhook")
    kind = KINDS.get(str(record.get("Type")))
    if record.get("RecordType") not in ("Bounce", "SpamComplaint") or kind is None:
        return []
    return [
        DeliveryEvent(
            kind=kind,
            source=SOURCE,
            key=_record_id(record),
            occurred_at=iso_time(record.get("BouncedAt"), "Postmark BouncedAt"),
            recipient=text(record, "Email", "Postmark webhook"),
            # Postmark's MessageID is its own, not the Message-ID header bulletin wrote.
            code=str(record.get("Type")),
            detail=optional_text(record, "Details") or optional_text(record, "Description") or "",
        )
    ]


def _record_id(record: JsonObject) -> str:
    """Postmark's ID of the bounce (a number): the same bounce sent twice has the same one."""
    value = record.get("ID")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise Unreadable("Postmark webhook: ID missing")
    return str(value)
