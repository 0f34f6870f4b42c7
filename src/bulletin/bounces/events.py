"""The one value every bounce and complaint reader produces, whatever it read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["hard_bounce", "soft_bounce", "complaint"]
EVENT_KINDS: tuple[EventKind, ...] = ("hard_bounce", "soft_bounce", "complaint")


@dataclass(frozen=True)
class DeliveryEvent:
    """A failure or complaint about one message to one recipient, reported after sending.

    A reader fills in what its source tells: a DSN mailed to a VERP address gives the
    ``verp_token``; a provider webhook gives the recipient and often the Message-ID. The
    rules find the subscriber (and digest) from the token first, then the Message-ID,
    then the address.
    """

    kind: EventKind
    source: str  # "dsn", "arf", "ses", "postmark", "mailgun", "sendgrid", ...
    # Unique for this event at its source (an SNS MessageId, a webhook event id, a DSN's
    # Message-ID plus recipient): the same event read twice is recognised and changes nothing.
    key: str
    occurred_at: dt.datetime
    recipient: str | None = None
    verp_token: str | None = None
    message_id: str | None = None
    code: str | None = None  # an enhanced status code ("5.1.1") or the provider's own
    detail: str = ""  # the diagnostic line, for a person reading `subscribers show`
