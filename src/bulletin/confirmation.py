"""The double opt-in mail: one message with the confirmation link, through the usual mailer."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, parseaddr

import jinja2

from .config import Config
from .files import write_file_atomically
from .i18n import texts
from .mailer import DeliveryReport, Job, Outcome, SmtpSession, deliver
from .messages import one_line


def confirmation_message(
    config: Config, env: jinja2.Environment, email: str, name: str | None, confirm_url: str
) -> bytes:
    t = texts(config.site.language)
    context = {"site": config.site, "t": t, "confirm_url": confirm_url, "name": name}
    message = EmailMessage()
    message["From"] = config.digest.sender
    message["To"] = email
    message["Subject"] = one_line(f"{t['confirm_email_subject']} «{config.site.title}»")
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{config.site.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(env.get_template("web/confirm_email.txt.j2").render(context))
    message.add_alternative(env.get_template("web/confirm_email.html.j2").render(context), subtype="html")
    policy = SMTP if email.isascii() else SMTPUTF8
    return message.as_bytes(policy=policy)


async def send_confirmation(config: Config, subscriber_id: int, email: str, data: bytes) -> DeliveryReport:
    """Send one confirmation mail now; with no SMTP host it lands in the outbox folder."""
    if config.smtp.host is None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        write_file_atomically(config.smtp.outbox / "confirmations" / f"{subscriber_id:08d}-{stamp}.eml", data)
        return DeliveryReport(sent=1)

    def ignore(job: Job, outcome: Outcome, error: str | None) -> None:
        return None  # the sign-up is stored already; a lost mail is fixed by submitting again

    return await deliver(
        [Job(0, subscriber_id, email, None, 0)],
        lambda job: data,
        parseaddr(config.digest.sender)[1],
        functools.partial(SmtpSession, config.smtp),
        ignore,
        connections=1,
        rate_per_second=0,
        max_attempts=config.smtp.max_attempts,
        retry_delay=config.smtp.retry_delay,
    )
