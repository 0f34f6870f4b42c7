"""A stored digest + one subscriber -> the bytes of one MIME message, with list headers.

The parts every subscriber shares (headers, rendered bodies) are prepared once per
digest in a MessageTemplate; `personalise` then only swaps in the subscriber's name,
address and unsubscribe link and base64-encodes the two bodies. No EmailMessage is
built per subscriber: at tens of thousands of recipients that object model costs
more than the SMTP conversation itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import quote

from ..config import Config
from ..errors import ConfigError
from ..store import DigestRecord
from ..subscribers import transport_address
from ..tokens import preferences_url
from .base64_body import Base64Body
from .markers import EMAIL_MARK, MARKS, NAME_MARK, PREFERENCES_MARK, UNSUBSCRIBE_MARK

CRLF = "\r\n"


@dataclass(frozen=True)
class Variant:
    subject: str  # may hold markers
    subject_header: bytes | None  # pre-encoded when the subject holds no marker
    text: str
    html: str
    text_body: Base64Body  # text and html, encoded ahead for personalise
    html_body: Base64Body


@dataclass(frozen=True)
class MessageTemplate:
    digest_number: int
    sender: str  # envelope sender: the bare address of digest.from
    common_headers: bytes  # From, Reply-To, Date, MIME-Version, List-Id, ...
    domain: str
    nonce: str
    boundary: str
    unsubscribe_base: str  # web.url + "/unsubscribe/"
    unsubscribe_mailto: str
    variants: dict[str, Variant]
    web_url: str = ""  # for the "manage preferences" link

    @property
    def text_part_start(self) -> bytes:
        """The end of the message headers and the text part's headers."""
        return (
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n\r\n'
            f'--{self.boundary}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii")

    @property
    def html_part_start(self) -> bytes:
        return (
            f'--{self.boundary}\r\nContent-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii")

    @property
    def parts_end(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode("ascii")


def one_line(text: str) -> str:
    """Collapse all whitespace (CR and LF included), so a header can never be split."""
    return " ".join(text.split())


def encode_header(name: str, value: str) -> str:
    """One header line, RFC 2047-encoded when not ASCII, folded; CR/LF can never survive."""
    value = one_line(value)
    if value.isascii():
        return (
            f"{name}: {value}"
            if len(value) + len(name) < 990
            else f"{name}: " + Header(value, "us-ascii", header_name=name).encode(linesep=CRLF)
        )
    return f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep=CRLF)


def mailbox(name: str | None, email: str) -> str:
    """``Name <address>`` with a non-ASCII name RFC 2047-encoded.

    An internationalised address stays raw UTF-8: it can only travel with SMTPUTF8.
    """
    name = one_line(name or "")
    if email.isascii() and len(name.encode("utf-8")) < 200:
        return formataddr((name, email), "utf-8")
    if not name:
        return f"<{email}>"
    # A long name as folded encoded words: formataddr would make one line of any length,
    # and Header folds with a bare LF unless told otherwise.
    return Header(name, "utf-8", header_name="To").encode(linesep=CRLF) + f" <{email}>"


def envelope_sender(config: Config) -> str:
    """The bare address of digest.from, used as the SMTP envelope sender."""
    sender = parseaddr(config.digest.sender)[1]
    if "@" not in sender:
        raise ConfigError(f"{config.path}: 'digest.from' needs an address, not {config.digest.sender!r}")
    return transport_address(sender)


def build_template(config: Config, digest: DigestRecord) -> MessageTemplate:
    sender = envelope_sender(config)
    display = parseaddr(config.digest.sender)[0]
    domain = config.site.domain
    list_id = f"bulletin.{domain}"
    headers = [
        "From: " + mailbox(display, sender),
        "Date: " + format_datetime(digest.created_at),
        "MIME-Version: 1.0",
        encode_header("List-Id", config.site.title) + f" <{list_id}>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Precedence: bulk",
        "Auto-Submitted: auto-generated",
    ]
    if config.digest.reply_to:
        reply_name, reply_address = parseaddr(config.digest.reply_to)
        headers.insert(1, "Reply-To: " + mailbox(reply_name, transport_address(reply_address)))
    variants = {}
    for key, parts in digest.rendered.variants().items():
        subject = parts.subject
        pre_encoded = None
        if not any(mark in subject for mark in MARKS):
            pre_encoded = (encode_header("Subject", subject) + CRLF).encode("ascii")
        variants[key] = Variant(
            subject,
            pre_encoded,
            parts.text,
            parts.html,
            Base64Body(parts.text, MARKS),
            Base64Body(parts.html, MARKS),
        )
    return MessageTemplate(
        digest_number=digest.number,
        sender=sender,
        common_headers=(CRLF.join(headers) + CRLF).encode("ascii"),
        domain=domain,
        nonce=digest.nonce,
        boundary=f"=_bulletin_{digest.nonce}",
        unsubscribe_base=config.web.url + "/unsubscribe/",
        unsubscribe_mailto=sender,
        variants=variants,
        web_url=config.web.url,
    )


def _fill(text: str, values: dict[str, str]) -> str:
    for mark, value in values.items():
        if mark in text:
            text = text.replace(mark, value)
    return text


@dataclass(frozen=True)
class PersonalParts:
    variant: Variant
    subject: str
    text: str
    html: str
    unsubscribe_url: str


def _values(
    template: MessageTemplate, name: str | None, email: str, unsubscribe_url: str, preferences_token: str
) -> tuple[dict[str, str], dict[str, str]]:
    """What the markers stand for in the text and in the HTML."""
    text_values = {
        NAME_MARK: one_line(name or ""),
        EMAIL_MARK: email,
        UNSUBSCRIBE_MARK: unsubscribe_url,
        PREFERENCES_MARK: preferences_url(template.web_url, preferences_token),
    }
    return text_values, {key: html.escape(value) for key, value in text_values.items()}


def personal_parts(
    template: MessageTemplate, email: str, name: str | None, token: str, preferences_token: str = ""
) -> PersonalParts:
    """Subject, text and HTML with the subscriber's own values in place of the markers
    (``token`` unsubscribes, ``preferences_token`` opens the preferences page)."""
    variant = template.variants["named" if name else "anonymous"]
    unsubscribe_url = template.unsubscribe_base + token
    text_values, html_values = _values(template, name, email, unsubscribe_url, preferences_token)
    return PersonalParts(
        variant,
        _fill(variant.subject, text_values),
        _fill(variant.text, text_values),
        _fill(variant.html, html_values),
        unsubscribe_url,
    )


def personalise(
    template: MessageTemplate,
    subscriber_id: int,
    email: str,
    name: str | None,
    token: str,
    preferences_token: str = "",
) -> bytes:
    """The complete message for one subscriber, CRLF line ends, ready for DATA.

    Bodies are base64, so no line can start with a dot: the bytes need no
    dot-stuffing and no line-ending pass on the way to the server.
    """
    variant = template.variants["named" if name else "anonymous"]
    unsubscribe_url = template.unsubscribe_base + token
    text_values, html_values = _values(template, name, email, unsubscribe_url, preferences_token)
    if variant.subject_header is not None:
        subject = variant.subject_header
    else:
        subject = (encode_header("Subject", _fill(variant.subject, text_values)) + CRLF).encode("ascii")
    mailto = f"mailto:{template.unsubscribe_mailto}?subject={quote('unsubscribe ' + token)}"
    own_headers = (
        "To: "
        + mailbox(name, email)
        + CRLF
        + f"Message-ID: <{template.nonce}.{template.digest_number}.{subscriber_id}@{template.domain}>"
        + CRLF
        + f"List-Unsubscribe: <{unsubscribe_url}>,{CRLF} <{mailto}>"
        + CRLF
    )
    return b"".join(
        (
            template.common_headers,
            subject,
            own_headers.encode("utf-8"),
            template.text_part_start,
            variant.text_body.encode(text_values),
            template.html_part_start,
            variant.html_body.encode(html_values),
            template.parts_end,
        )
    )
