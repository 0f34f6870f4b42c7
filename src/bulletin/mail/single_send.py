"""Send one message now, outside any digest: confirmation mails and `send --test`."""

from __future__ import annotations

import datetime as dt
import functools

from ..config import Config
from ..files import write_file_atomically
from ..subscribers import transport_address
from .dkim import message_signer
from .mailer import DeliveryReport, Job, Outcome, deliver
from .messages import envelope_sender
from .smtp_session import SmtpSession, check_login_settings


async def send_single(config: Config, email: str, data: bytes, outbox_folder: str) -> DeliveryReport:
    """Deliver ``data`` to ``email`` with the usual SMTP settings, retries and checks.

    Nothing is recorded in the store. With no SMTP host the message is written to
    ``smtp.outbox/<outbox_folder>/`` instead.
    """
    email = transport_address(email)  # as digests travel: punycode domains need no SMTPUTF8
    check_login_settings(config.smtp)
    data = message_signer(config.digest.dkim)(data)
    if config.smtp.host is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        write_file_atomically(config.smtp.outbox / outbox_folder / f"{stamp}.eml", data)
        return DeliveryReport(sent=1)

    def ignore(job: Job, outcome: Outcome, error: str | None) -> None:
        return None

    return await deliver(
        [Job(0, 0, email, None, 0)],
        lambda job: data,
        envelope_sender(config),
        functools.partial(SmtpSession, config.smtp),
        ignore,
        connections=1,
        rate_per_second=0,
        max_attempts=config.smtp.max_attempts,
        retry_delay=config.smtp.retry_delay,
    )
