"""One mail from the bounce mailbox -> what it is: a bounce, a complaint, an auto-reply or unknown.

RFC 3464 delivery reports and RFC 5965 feedback reports are read here from their
fields. Bounces in other shapes (old qmail, Exchange, Yahoo texts) are recognised by
flufl.bounce, Mailman's maintained set of detectors, which finds the failing addresses
but no status codes. Auto-replies (RFC 3834) are recognised by their headers, and
only as a last resort by their subject. Everything else is unknown: kept for a person.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from typing import Literal

from flufl.bounce import all_failures

from .events import DeliveryEvent, EventKind
from .reports import (
    RecipientStatus,
    address_field,
    decoded_header,
    delivery_report,
    field_blocks,
    find_part,
    one_line,
    original_headers,
    original_message_id,
    parse_date,
    report_type,
)
from .verp import token_in

MailKind = Literal["bounce", "complaint", "auto-reply", "no failure", "unknown"]

# Headers a bounce carries the address it was mailed to in (the VERP address, so the token).
_DESTINATION_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To")
# RFC 5965 feedback types that are a recipient's complaint; others (auth-failure, not-spam,
# virus) are kept for a person.
_COMPLAINT_TYPES = ("abuse", "fraud", "other")
_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status|failure|has failed|notification)|returned mail|failure notice"
    r"|could not be delivered|delivery failed|mail delivery|non.?delivery|"
    r"недоставлен|не доставлен|не удалось доставить|жеткізілмеді",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|auto:|out of (the )?office|vacation|"
    r"abwesenheit|absence|автоответ|автоматический ответ|нет на месте|в отпуске|автожауап)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classified:
    """What one mail is, and the events it reports (a DSN may report several recipients)."""

    kind: MailKind
    events: tuple[DeliveryEvent, ...] = ()
    reason: str = ""  # for a person: how it was recognised, or why it is not understood


def classify(raw: bytes, received: dt.datetime) -> Classified:
    """What the mail ``raw`` is; ``received`` dates events whose mail gives no date."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    context = _Context(message, raw, received)
    kind = report_type(message)
    if kind == "delivery-status" or (kind is None and find_part(message, "message/delivery-status")):
        found = _from_delivery_report(context)
        if found is not None:
            return found
    if kind == "feedback-report":
        return _from_feedback_report(context)
    if _looks_like_bounce(message):
        found = _from_detectors(context)
        if found is not None:
            return found
    auto = auto_reply_reason(message)
    if auto:
        return Classified("auto-reply", reason=auto)
    return Classified("unknown", reason=_unknown_reason(message))


@dataclass(frozen=True)
class _Context:
    message: Message
    raw: bytes
    received: dt.datetime

    @property
    def key(self) -> str:
        """What makes this mail unique: its Message-ID, else a digest of its bytes."""
        mid = one_line(str(self.message.get("Message-ID") or ""))
        return mid or "sha256:" + hashlib.sha256(self.raw).hexdigest()[:32]

    @property
    def when(self) -> dt.datetime:
        return parse_date(self.message.get("Date")) or self.received

    def verp_token(self, *more: object) -> str | None:
        """The VERP token the mail came back to (its delivery headers), or one in ``more``."""
        values = [*(self.message.get_all(name) or [] for name in _DESTINATION_HEADERS), more]
        for group in values:
            for value in group:
                token = token_in(address_field(value) or one_line(str(value)))
                if token:
                    return token
        return None


def _from_delivery_report(context: _Context) -> Classified | None:
    report = delivery_report(context.message)
    if report is None:
        return None
    failed = [status for status in report.recipients if status.action.startswith(("fail", "error"))]
    if not failed:
        actions = ", ".join(sorted({s.action or "none" for s in report.recipients})) or "none"
        return Classified("no failure", reason=f"RFC 3464 report without a failure (action: {actions})")
    headers = original_headers(context.message)
    # Each of our messages has one recipient, so the token and the Message-ID name one
    # subscriber: a report failing several different addresses (a relay that batched,
    # an alias that expanded) is matched address by address instead.
    single = len({(s.recipient or "").lower() for s in failed}) == 1
    token = context.verp_token(
        report.message_fields.get("X-Postfix-Sender", ""), headers.get("Return-Path", "") if headers else ""
    )
    message_id = original_message_id(context.message)
    arrival = parse_date(report.message_fields.get("Arrival-Date"))
    events = tuple(
        _dsn_event(context, status, index, token if single else None, message_id if single else None, arrival)
        for index, status in enumerate(failed)
    )
    return Classified("bounce", events, reason="RFC 3464 delivery status notification")


def _dsn_event(
    context: _Context,
    status: RecipientStatus,
    index: int,
    token: str | None,
    message_id: str | None,
    arrival: dt.datetime | None,
) -> DeliveryEvent:
    # 5.x.x is permanent; 4.x.x is a temporary condition the relay gave up on; a failure
    # with no code at all is taken as permanent, as RFC 3464's "failed" says.
    kind: EventKind = "soft_bounce" if status.code and status.code.startswith("4.") else "hard_bounce"
    return DeliveryEvent(
        kind=kind,
        source="dsn",
        key=f"{context.key}/{status.recipient or index}",
        occurred_at=status.last_attempt or arrival or context.when,
        recipient=status.recipient,
        verp_token=token,
        message_id=message_id,
        code=status.code,
        detail=status.diagnostic[:500],
    )


def _from_feedback_report(context: _Context) -> Classified:
    part = find_part(context.message, "message/feedback-report")
    blocks = field_blocks(part) if part is not None else []
    fields = blocks[0] if blocks else Message()
    feedback = one_line(str(fields.get("Feedback-Type", "abuse"))).lower()
    if feedback not in _COMPLAINT_TYPES:
        return Classified("unknown", reason=f"RFC 5965 feedback report of type {feedback!r}, not a complaint")
    headers = original_headers(context.message)
    recipient = address_field(fields.get("Original-Rcpt-To"))
    if recipient is None and headers is not None:
        recipient = address_field(email.utils.parseaddr(str(headers.get("To", "")))[1])
    event = DeliveryEvent(
        kind="complaint",
        source="arf",
        key=context.key,
        occurred_at=parse_date(fields.get("Arrival-Date")) or context.when,
        recipient=recipient,
        verp_token=context.verp_token(
            fields.get("Original-Mail-From", ""), headers.get("Return-Path", "") if headers else ""
        ),
        message_id=original_message_id(context.message),
        code=feedback,
        detail=one_line(f"{fields.get('User-Agent', '')} {fields.get('Reported-Domain', '')}")[:500],
    )
    return Classified("complaint", (event,), reason=f"RFC 5965 feedback report ({feedback})")


def _looks_like_bounce(message: Message) -> bool:
    """Mail from a mailer daemon, to the null sender, or titled as a bounce."""
    if one_line(str(message.get("Return-Path", ""))) == "<>":
        return True
    sender = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
    if sender.partition("@")[0] in _DAEMONS:
        return True
    return bool(_BOUNCE_SUBJECT.search(_subject(message)))


def _from_detectors(context: _Context) -> Classified | None:
    """A bounce in a shape of its own, as flufl.bounce's detectors recognise it."""
    try:
        temporary, permanent = all_failures(context.message)
    except Exception as exc:  # heuristics over hostile mail must not stop a fetch: kept for a person
        return Classified("unknown", reason=f"flufl.bounce could not read it: {exc!r:.200}")
    found = [("hard_bounce", a) for a in sorted(permanent)] + [("soft_bounce", a) for a in sorted(temporary)]
    if not found:
        return None
    addresses = {address for _, address in found}
    token = context.verp_token() if len(addresses) == 1 else None
    message_id = original_message_id(context.message) if len(addresses) == 1 else None
    events = tuple(
        DeliveryEvent(
            kind="hard_bounce" if kind == "hard_bounce" else "soft_bounce",
            source="bounce",
            key=f"{context.key}/{address.decode('ascii', 'replace')}",
            occurred_at=context.when,
            recipient=address.decode("ascii", "replace"),
            verp_token=token,
            message_id=message_id,
            detail=_subject(context.message)[:200],
        )
        for kind, address in found
    )
    return Classified("bounce", events, reason="bounce without a delivery report, read by flufl.bounce")


def auto_reply_reason(message: Message) -> str | None:
    """Why ``message`` is an automatic reply (RFC 3834 and the headers mail systems use), or None."""
    submitted = one_line(str(message.get("Auto-Submitted", ""))).lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply"):
        if message.get(name) is not None:
            return f"{name} header"
    suppress = one_line(str(message.get("X-Auto-Response-Suppress", ""))).lower()
    if "oof" in suppress or "all" in suppress:
        return f"X-Auto-Response-Suppress: {suppress} (Exchange)"
    precedence = one_line(str(message.get("Precedence", message.get("X-Precedence", "")))).lower()
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    if _AUTO_REPLY_SUBJECT.search(_subject(message)):
        return f"subject {_subject(message)!r:.80}"
    return None


def _subject(message: Message) -> str:
    return decoded_header(message.get("Subject", ""))


def _unknown_reason(message: Message) -> str:
    sender = one_line(str(message.get("From", "")))[:80]
    return f"not a bounce, complaint or auto-reply: from {sender!r}, subject {_subject(message)!r:.80}"
