"""The values a store keeps and hands back: subscribers, digests, their posts, deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced")
# 'empty': the digest held nothing in the subscriber's language and topics, so no message
# went out (nothing is pending, nothing failed).
DELIVERY_STATUSES = ("pending", "sent", "failed", "cancelled", "empty")

# A topic a subscriber chose: (taxonomy, term), such as ("category", "вакцинация").
Topic = tuple[str, str]


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str | None
    status: str
    created_at: str
    # Random, made by the store with the row: tokens are bound to it, so a link made
    # for this row never acts on another that gets its id. None for rows kept from
    # before nonces (their links of the first form still work).
    token_nonce: str | None = None
    # The language of their digests (None: the site's default language, whatever it is
    # when the digest is made) and the topics they chose (none: every post).
    language: str | None = None
    topics: frozenset[Topic] = frozenset()


class NewSubscriber(NamedTuple):
    """One row of an import: a plain (address, name) pair is one too."""

    email: str
    name: str | None
    language: str | None = None
    topics: frozenset[Topic] = frozenset()


@dataclass(frozen=True)
class RenderedVariant:
    """Subject, plain text and HTML of one rendering, holding the per-subscriber markers."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class RenderedDigest:
    """A digest rendered once for everyone, in the two variants a subscriber may get.

    ``named`` is for a subscriber with a name (templates may greet them by it),
    ``anonymous`` for one without; the public archive shows ``anonymous``.
    """

    named: RenderedVariant
    anonymous: RenderedVariant

    def variants(self) -> dict[str, RenderedVariant]:
        return {"named": self.named, "anonymous": self.anonymous}

    def as_json(self) -> dict[str, Any]:
        """The shape stores keep (unchanged since the first store, so old rows still read)."""
        return {
            "variants": {
                key: {"subject": part.subject, "text": part.text, "html": part.html}
                for key, part in self.variants().items()
            }
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RenderedDigest:
        """The digest ``as_json`` wrote; KeyError or TypeError when it is not that shape."""
        variants = data["variants"]
        return cls(named=_variant(variants["named"]), anonymous=_variant(variants["anonymous"]))


@dataclass(frozen=True)
class DigestRendering:
    """One rendering of a digest: the posts of one language that one group of subscribers gets.

    A digest is rendered once per distinct (language, posts), never per subscriber;
    each delivery names the rendering its message is made from.
    """

    key: int  # numbers the digest's renderings, from 1
    language: str
    routes: tuple[str, ...]  # the posts it holds, oldest first
    rendered: RenderedDigest
    # Holds every post of the digest in its language (no topic left out): the copy a
    # per-language archive shows.
    whole: bool = False


class DigestSplit(Protocol):
    """Which rendering each subscriber gets; the store asks while it writes the deliveries."""

    def rendering_for(self, subscriber: Subscriber) -> int | None:
        """The key of the subscriber's rendering (made now if no one had it), or None when
        the digest holds nothing for them."""
        ...

    def renderings(self) -> Sequence[DigestRendering]:
        """Every rendering made, once ``rendering_for`` was asked about every subscriber."""
        ...


@dataclass(frozen=True)
class DigestRecord:
    number: int
    created_at: dt.datetime
    nonce: str
    rendered: RenderedDigest


@dataclass(frozen=True)
class DigestPost:
    route: str
    title: str
    url: str
    published_at: dt.datetime
    language: str | None = None  # on a multi-language site, the language version it is part of


@dataclass(frozen=True)
class PostLink:
    title: str
    url: str
    language: str | None = None


@dataclass(frozen=True)
class DigestSummary:
    """What the archive's index shows of a digest, kept apart from its rendering so the
    index never reads (or decodes) a whole digest."""

    number: int
    created_at: dt.datetime
    posts: tuple[PostLink, ...]


@dataclass(frozen=True)
class Delivery:
    digest_id: int
    subscriber: Subscriber
    attempts: int  # every try so far
    troubles: int = 0  # tries that count toward smtp.max_attempts (connection failures)
    uncertain: int = 0  # tries after which the message may have arrived (no reply to its end)
    failing_since: dt.datetime | None = None  # first of the current run of 4xx replies
    rendering: int | None = None  # the digest rendering its message is made from (None: the main one)


@dataclass(frozen=True)
class FailedAttempt:
    """What one failed try of a delivery left behind, as the store records it."""

    error: str
    final: bool = False  # failed for good
    bounced: bool = False  # the address does not exist: the subscriber is bounced too
    counted: bool = True  # counts toward smtp.max_attempts (a 4xx reply counts toward give_up_after)
    uncertain: bool = False  # the message may have arrived
    retry_at: dt.datetime | None = None  # not to be tried again before this


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    empty: int = 0  # nothing in the digest for them: no message
    uncertain: int = 0  # deliveries, in any status, whose message may have arrived unseen


@dataclass(frozen=True)
class StatusChange:
    """A subscriber took ``status`` at ``changed_at`` (the first one when the row was made)."""

    subscriber_id: int
    status: str
    changed_at: dt.datetime


def _variant(data: Mapping[str, Any]) -> RenderedVariant:
    parts = [data["subject"], data["text"], data["html"]]
    if not all(isinstance(part, str) for part in parts):
        raise TypeError("subject, text and html must be strings")
    return RenderedVariant(*parts)


@dataclass(frozen=True)
class StoredEvent:
    """A bounce or complaint as the store keeps it (bounces/rules.py decides what it does).

    ``subscriber_id`` is None when no subscriber could be found for it: it is kept all
    the same, so a person can see what came in.
    """

    kind: str  # one of bounces.events.EVENT_KINDS
    source: str
    key: str  # unique per source: the same event stored twice is refused
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    subscriber_id: int | None = None
    digest_id: int | None = None
    recipient: str | None = None
    code: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class EventCounts:
    """How many of a digest's subscribers had each kind of event reported about it."""

    hard_bounces: int = 0
    soft_bounces: int = 0
    complaints: int = 0
