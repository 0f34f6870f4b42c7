"""Subscriber operations: validate addresses, add, import CSV, export CSV, unsubscribe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import idna
from email_validator import EmailNotValidError, validate_email

from .encoding import not_utf8
from .errors import SubscriberError
from .store import Store, Subscriber
from .tokens import UNSUBSCRIBE, TokenSigner

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def normalise_address(address: str) -> str:
    """The address in the form it is stored and compared: validated, lower case.

    Local parts are case-sensitive in theory only; every large provider ignores
    case, and treating ``Ann@x.org`` and ``ann@x.org`` as two people would send
    two copies. No DNS lookup is made.
    """
    try:
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise SubscriberError(f"invalid address {address.strip()!r:.120}: {exc}") from None
    return valid.normalized.lower()


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


def add_subscriber(store: Store, address: str, name: str | None = None) -> tuple[str, bool]:
    email = normalise_address(address)
    return email, store.add_subscriber(email, clean_name(name))


@dataclass
class ImportReport:
    added: int = 0
    present: int = 0
    invalid: int = 0
    lines: list[str] = field(default_factory=list)


def import_csv(store: Store, path: Path) -> ImportReport:
    """Import ``email,name`` rows; each line is reported as added, already present or invalid."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise SubscriberError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SubscriberError(f"{path}: {not_utf8(data, exc)}") from None
    # newline="": the csv module sees the file's own CRLF, LF or CR line ends.
    # Every row is read before any is stored: a broken file imports nothing.
    rows = _numbered_rows(text, path)
    columns = [cell.strip().lower() for cell in rows[0][1]] if rows else []
    if "email" not in columns:
        raise SubscriberError(f"{path}: the first row must be a header naming an 'email' column (email,name)")
    email_at = columns.index("email")
    name_at = columns.index("name") if "name" in columns else None
    report = ImportReport()
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        raw = _from_spreadsheet(row[email_at] if email_at < len(row) else "")
        has_name = name_at is not None and name_at < len(row)
        name = _from_spreadsheet(row[name_at]) if has_name else None  # type: ignore[index]
        try:
            email, added = add_subscriber(store, raw, name)
        except SubscriberError as exc:
            report.invalid += 1
            report.lines.append(f"{path}:{line}: invalid: {exc}")
            continue
        if added:
            report.added += 1
            report.lines.append(f"{path}:{line}: added {email}")
        else:
            report.present += 1
            report.lines.append(f"{path}:{line}: already present {email}")
    return report


def _spreadsheet_safe(value: str | None) -> str:
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _numbered_rows(text: str, path: Path) -> list[tuple[int, list[str]]]:
    """(line number where the row ends, cells) for every row of ``text``."""
    # strict: a quote left open runs to the end of the file, swallowing every row after it.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:  # a quote still open at the end, text after a closing quote
        raise SubscriberError(f"{path}:{reader.line_num}: not a CSV file: {exc}") from None


def _from_spreadsheet(value: str) -> str:
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
    writer.writerow(["email", "name", "status", "created_at"])
    for sub in subscribers:
        writer.writerow([_spreadsheet_safe(v) for v in (sub.email, sub.name, sub.status, sub.created_at)])
    return out.getvalue()


def unsubscribe(store: Store, signer: TokenSigner, token: str) -> Subscriber:
    """Apply an unsubscribe token; idempotent. Raises SubscriberError for a bad token."""
    subscriber_id = signer.check(UNSUBSCRIBE, token)
    subscriber = store.subscriber(id=subscriber_id) if subscriber_id is not None else None
    if subscriber is None:
        raise SubscriberError("invalid or expired unsubscribe token")
    if subscriber.status != "unsubscribed":
        store.set_subscriber_status(subscriber.id, "unsubscribed")
    return subscriber
