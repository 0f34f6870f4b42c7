"""Amazon SES bounce and complaint notifications (the Message of an SNS notification) as DeliveryEvents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..events import DeliveryEvent, EventKind
from . import Unreadable
from .fields import (
    JsonObject,
    iso_time,
    json_document,
    json_object,
    message_id,
    optional_text,
    text,
    verp_token,
)
from .sns import SnsMessage

SOURCE = "ses"
# SES's bounceType: Permanent is hard; Transient, and Undetermined (SES could not tell), are soft.
BOUNCE_KINDS: dict[str, EventKind] = {
    "Permanent": "hard_bounce",
    "Transient": "soft_bounce",
    "Undetermined": "soft_bounce",
}


def ses_events(sns: SnsMessage) -> list[DeliveryEvent]:
    """The bounces or complaint an SES notification reports, one event per recipient; none for
    the other notifications (Delivery, Send, Open...). Unreadable when it is not SES's shape."""
    notification = json_object(
        json_document(sns.message.encode("utf-8"), "SES notification"), "SES notification"
    )
    # Notifications say notificationType; event publishing through a configuration set says eventType.
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = json_object(notification.get("mail", {}), "SES mail")
    if kind == "Bounce":
        return _bounces(json_object(notification.get("bounce"), "SES bounce"), mail, sns)
    if kind == "Complaint":
        return _complaints(json_object(notification.get("complaint"), "SES complaint"), mail, sns)
    return []


def _bounces(bounce: JsonObject, mail: JsonObject, sns: SnsMessage) -> list[DeliveryEvent]:
    kind = BOUNCE_KINDS.get(str(bounce.get("bounceType")), "soft_bounce")
    when = _when(bounce, sns)
    feedback = optional_text(bounce, "feedbackId") or sns.message_id
    events = []
    for recipient in _recipients(bounce.get("bouncedRecipients"), "bouncedRecipients"):
        address = text(recipient, "emailAddress", "SES bounced recipient")
        detail = optional_text(recipient, "diagnosticCode") or str(bounce.get("bounceSubType") or "")
        events.append(
            _event(
                kind,
                f"{feedback}:{address.lower()}",
                when,
                address,
                mail,
                optional_text(recipient, "status"),
                detail,
            )
        )
    return events


def _complaints(complaint: JsonObject, mail: JsonObject, sns: SnsMessage) -> list[DeliveryEvent]:
    when = _when(complaint, sns)
    feedback = optional_text(complaint, "feedbackId") or sns.message_id
    code = optional_text(complaint, "complaintFeedbackType")  # abuse, fraud, not-spam... when given
    events = []
    for recipient in _recipients(complaint.get("complainedRecipients"), "complainedRecipients"):
        address = text(recipient, "emailAddress", "SES complained recipient")
        events.append(_event("complaint", f"{feedback}:{address.lower()}", when, address, mail, code, ""))
    return events


def _event(
    kind: EventKind,
    key: str,
    when: dt.datetime,
    address: str,
    mail: JsonObject,
    code: str | None,
    detail: str,
) -> DeliveryEvent:
    headers = mail.get("commonHeaders")
    original_id = optional_text(headers, "messageId") if isinstance(headers, dict) else None
    return DeliveryEvent(
        kind=kind,
        source=SOURCE,
        key=key,
        occurred_at=when,
        recipient=address,
        # mail.source is the envelope sender SES sent from: bulletin's VERP address.
        verp_token=verp_token(optional_text(mail, "source")),
        message_id=message_id(original_id),
        code=code,
        detail=detail,
    )


def _when(report: JsonObject, sns: SnsMessage) -> dt.datetime:
    """When the bounce or complaint happened; when SNS published it if SES does not say."""
    return iso_time(report["timestamp"], "SES timestamp") if "timestamp" in report else sns.timestamp


def _recipients(value: Any, what: str) -> list[JsonObject]:
    if not isinstance(value, list):
        raise Unreadable(f"SES {what} is not a list")
    return [json_object(item, f"SES {what}") for item in value]
