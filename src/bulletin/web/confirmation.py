"""The double opt-in mail: one message with the confirmation link, through the usual mailer."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, parseaddr

import jinja2

from ..config import Config
from ..i18n import texts
from ..mail.mailer import DeliveryReport
from ..mail.messages import encode_header, mailbox
from ..mail.single_send import send_single
from ..subscribers import transport_address


@dataclass(frozen=True)
class Confirmation:
    """One confirmation mail: to whom, the link in it, and the language they signed up in."""

    email: str
    name: str | None
    confirm_url: str
    language: str


def confirmation_message(config: Config, env: jinja2.Environment, mail: Confirmation) -> bytes:
    t = texts(mail.language)
    email = transport_address(mail.email)
    context = {
        "site": config.site,
        "t": t,
        "lang": mail.language,
        "confirm_url": mail.confirm_url,
        "name": mail.name,
    }
    message = EmailMessage()
    message["To"] = email
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{config.site.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template("web/confirm_email.txt.j2").render(context))
    message.add_alternative(env.get_template("web/confirm_email.html.j2").render(context), subtype="html")
    policy = SMTP if email.isascii() else SMTPUTF8
    # From and Subject are encoded as in the digests: the email package's own folder
    # drops or adds spaces between encoded words ("Клиника —новости", CPython 3.11).
    display, address = parseaddr(config.digest.sender)
    subject = f"{t['confirm_email_subject']} «{config.site.title}»"
    head = f"From: {mailbox(display, address)}\r\n{encode_header('Subject', subject)}\r\n"
    return head.encode("utf-8") + message.as_bytes(policy=policy)


async def send_confirmation(config: Config, env: jinja2.Environment, mail: Confirmation) -> DeliveryReport:
    """Write and send a confirmation mail (the sign-up is stored already; a lost mail
    is fixed by submitting the form again)."""
    data = confirmation_message(config, env, mail)
    return await send_single(config, mail.email, data, "confirmations")
