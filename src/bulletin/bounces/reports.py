"""Reading the machine-readable parts of bounce mail: RFC 3464 delivery status, RFC 5965 feedback reports.

Both are multipart/report messages whose second part is a list of header blocks
(one for the message, then one per recipient for a DSN) and whose third part is the
original message or only its headers. What a block says is read from its fields
(Action, Status, Feedback-Type), never from the prose around it.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.errors
import email.header
import email.utils
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

# RFC 3463 enhanced status code: class.subject.detail
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"\b([245])\d\d\b")  # an SMTP reply code in a Diagnostic-Code
_MESSAGE_ID_LINE = re.compile(r"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a DSN."""

    recipient: str | None  # Original-Recipient, else Final-Recipient
    action: str  # failed, delayed, delivered, relayed, expanded (lower case)
    code: str | None  # the enhanced status code, "5.1.1"
    diagnostic: str
    last_attempt: dt.datetime | None


@dataclass(frozen=True)
class DeliveryReport:
    """What an RFC 3464 report says: per-message fields and one status per recipient."""

    message_fields: Message
    recipients: tuple[RecipientStatus, ...]


def report_type(message: Message) -> str | None:
    """'delivery-status', 'feedback-report', ... for a multipart/report message; else None."""
    if message.get_content_type() != "multipart/report":
        return None
    value = message.get_param("report-type")
    return value.lower() if isinstance(value, str) else None


def field_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part.

    The email package parses them into sub-messages as they stand; a part sent base64-
    or quoted-printable-encoded (Exchange does) is decoded and split here instead.
    """
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(payload, list):
        if encoding not in ("base64", "quoted-printable"):
            return [block for block in payload if isinstance(block, Message)]
        payload = "".join(block.as_string() for block in payload if isinstance(block, Message))
    text = str(payload)
    if encoding == "base64":
        data = re.sub(r"[^A-Za-z0-9+/]", "", text)
        text = base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "replace")
    elif encoding == "quoted-printable":
        text = quopri.decodestring(text.encode("ascii", "replace")).decode("utf-8", "replace")
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [HeaderParser().parsestr(chunk.strip() + "\n") for chunk in chunks if chunk.strip()]


def find_part(message: Message, *content_types: str) -> Message | None:
    """The first part (at any depth, the message itself included) of one of ``content_types``."""
    for part in message.walk():
        if part.get_content_type() in content_types:
            return part
    return None


def delivery_report(message: Message) -> DeliveryReport | None:
    """The RFC 3464 report in ``message``, or None when it holds none."""
    part = find_part(message, "message/delivery-status", "message/global-delivery-status")
    if part is None:
        return None
    blocks = field_blocks(part)
    if not blocks:
        return None
    per_message, per_recipient = blocks[0], blocks[1:]
    if per_message.get("Action") is not None:
        # A block list without the per-message block (seen from some MTAs).
        per_message, per_recipient = Message(), blocks
    return DeliveryReport(per_message, tuple(_recipient_status(block) for block in per_recipient))


def _recipient_status(block: Message) -> RecipientStatus:
    recipient = address_field(block.get("Original-Recipient")) or address_field(block.get("Final-Recipient"))
    diagnostic = one_line(block.get("Diagnostic-Code", ""))
    return RecipientStatus(
        recipient=recipient,
        action=one_line(block.get("Action", "")).lower(),
        code=status_code(block.get("Status", ""), diagnostic),
        diagnostic=diagnostic,
        last_attempt=parse_date(block.get("Last-Attempt-Date")),
    )


def status_code(status: str, diagnostic: str = "") -> str | None:
    """The enhanced status code of a Status field, else one in the diagnostic, else the class
    of the diagnostic's SMTP reply code ("5.0.0"); None when neither says."""
    for text in (str(status), diagnostic):
        found = _ENHANCED.search(text)
        if found:
            return found.group(0)
    found = _BASIC.search(diagnostic)
    return f"{found[1]}.0.0" if found else None


def address_field(value: object) -> str | None:
    """The address of an ``rfc822; ann@example.org`` field (the type is optional in practice)."""
    if value is None:
        return None
    text = one_line(str(value))
    kind, semicolon, address = text.partition(";")
    if semicolon and kind.strip().lower() not in ("rfc822", "utf-8"):
        return None  # an X.400 or other address type: not ours
    address = (address if semicolon else text).strip().strip("<>").strip()
    return address if "@" in address else None


def original_headers(message: Message) -> Message | None:
    """The original message's headers, from a message/rfc822 part or a text/rfc822-headers one."""
    part = find_part(
        message, "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers"
    )
    if part is None:
        return None
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return HeaderParser().parsestr(text)


def original_message_id(message: Message) -> str | None:
    """The Message-ID of the message a report is about: from its attached copy or headers, else
    from a ``Message-ID:`` line quoted in the body (qmail and others paste the original in)."""
    headers = original_headers(message)
    if headers is not None and headers.get("Message-ID"):
        return one_line(str(headers["Message-ID"]))
    for part in message.walk():
        if part.get_content_maintype() == "text":
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            found = _MESSAGE_ID_LINE.search(text)
            if found:
                return found[1]
    return None


def parse_date(value: object) -> dt.datetime | None:
    """An RFC 5322 date (as DSN fields and Date headers hold), aware; None when unreadable."""
    if value is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(one_line(str(value)))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def decoded_header(value: object) -> str:
    """A header's text with RFC 2047 encoded words decoded, on one line."""
    try:
        return one_line(str(email.header.make_header(email.header.decode_header(str(value)))))
    except (LookupError, UnicodeError, email.errors.HeaderParseError):
        return one_line(str(value))


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def walk_texts(message: Message) -> Iterator[str]:
    """The decoded text of every text part, for the few checks that must look at words."""
    for part in message.walk():
        if part.get_content_maintype() == "text":
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                yield raw.decode(part.get_content_charset() or "utf-8", "replace")
