"""Subscriber operations: validate addresses, add, export CSV, unsubscribe (import: subscriber_import)."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable

import idna
from email_validator import EmailNotValidError, validate_email

from .errors import SubscriberError
from .preferences import topics_cell
from .store import Store, Subscriber, Topic
from .tokens import UNSUBSCRIBE, TokenSigner

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# RFC 5322's dot-atom: the local part almost every address has, valid whatever the domain.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_MAX_LOCAL_PART = 64
_MAX_ADDRESS = 254


def normalise_address(address: str) -> str:
    """The address in the form it is stored and compared: validated, lower case.

    Local parts are case-sensitive in theory only; every large provider ignores
    case, and treating ``Ann@x.org`` and ``ann@x.org`` as two people would send
    two copies. No DNS lookup is made.
    """
    address = address.strip()
    local, _, domain = address.rpartition("@")
    if len(address) <= _MAX_ADDRESS and len(local) <= _MAX_LOCAL_PART and _PLAIN_LOCAL_PART.fullmatch(local):
        # The common case, 30 times faster (an import of a million rows needs it): a plain
        # local part is valid as it is, and a domain is checked once. The same answer as
        # the full check below (tests/test_subscriber_import.py compares the two).
        if (checked := _checked_domain(domain)) is not None:
            return f"{local}@{checked}".lower()
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise SubscriberError(f"invalid address {address!r:.120}: {exc}") from None
    return valid.normalized.lower()


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The domain as validate_email normalises it, None when it refuses it (or is unsure:
    an internationalised domain's length is counted in its ASCII form, so it takes the
    full check)."""
    if not domain.isascii() or "xn--" in domain.lower():
        return None
    try:
        valid = validate_email("x@" + domain, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return valid.domain


def transport_address(email: str) -> str:
    """The form an address travels in: an internationalised domain as punycode.

    ``ann@пример.рф`` goes out as ``ann@xn--e1afmkfd.xn--p1ai``, which every server
    takes; only a non-ASCII local part really needs the server to offer SMTPUTF8.
    """
    local, _, domain = email.rpartition("@")
    if email.isascii() or not local.isascii():
        return email
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return email


def masked_address(email: str) -> str:
    """The address as a page shows it to whoever holds a link: ``anna@mail.kz`` -> ``a***@mail.kz``.

    The rule: the first character of the local part (a quote around it skipped), then
    ``***`` whatever the length (so the length is not told either), then ``@`` and the
    domain as people write it: an internationalised domain in Unicode (``почта.рф``,
    not ``xn--80a1acny.xn--p1ai``). Without a local part it is ``***`` alone.
    """
    local, at, domain = email.rpartition("@")
    local = local.lstrip('"')
    if not at or not local:
        return "***"
    if "xn--" in domain.lower():
        try:
            domain = idna.decode(domain.lower())
        except idna.IDNAError:
            pass  # shown as it is stored
    return f"{local[0]}***@{domain}"


def clean_name(name: str | None) -> str | None:
    """One line, no control characters: names go into the To header."""
    if name is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())
    return cleaned[:200] or None


def add_subscriber(
    store: Store,
    address: str,
    name: str | None = None,
    language: str | None = None,
    topics: frozenset[Topic] = frozenset(),
) -> tuple[str, bool]:
    email = normalise_address(address)
    return email, store.add_subscriber(email, clean_name(name), language=language, topics=topics)


def _spreadsheet_safe(value: str | None) -> str:
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def from_spreadsheet(value: str) -> str:
    """Undo ``_spreadsheet_safe``, so an exported list imports as it was."""
    stripped = value.strip()
    if stripped.startswith("'") and stripped[1:].startswith(_FORMULA_STARTS):
        return stripped[1:]
    return value


def export_csv(subscribers: Iterable[Subscriber]) -> str:
    out = io.StringIO()
    # CRLF, as RFC 4180 and spreadsheets expect; it also makes the writer quote a
    # value holding a lone CR, which with "\n" it writes bare, splitting the row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["email", "name", "status", "created_at", "lang", "topics"])
    for sub in subscribers:
        values = (sub.email, sub.name, sub.status, sub.created_at, sub.language, topics_cell(sub.topics))
        writer.writerow([_spreadsheet_safe(v) for v in values])
    return out.getvalue()


def unsubscribe(store: Store, signer: TokenSigner, token: str) -> Subscriber:
    """Apply an unsubscribe token; idempotent. Raises SubscriberError for a bad token."""
    subscriber = signer.find(UNSUBSCRIBE, token, lambda subscriber_id: store.subscriber(id=subscriber_id))
    if subscriber is None:
        raise SubscriberError("invalid or expired unsubscribe token")
    if subscriber.status != "unsubscribed":
        store.set_subscriber_status(subscriber.id, "unsubscribed")
    return subscriber
