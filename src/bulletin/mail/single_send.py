"""Send one message now, outside any digest: confirmation mails and `send --test`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..config import Config
from ..subscribers import transport_address
from .dkim import message_signer
from .mailer import Delivery, DeliveryReport, Job, Outcome
from .messages import envelope_sender
from .preflight import check_login_settings
from .sessions import open_sessions


async def send_single(config: Config, email: str, data: bytes, outbox_folder: str) -> DeliveryReport:
    """Deliver ``data`` to ``email`` with the usual SMTP settings, retries and checks.

    Nothing is recorded in the store. With no SMTP host the message is written to
    ``smtp.outbox/<outbox_folder>/`` instead.
    """
    email = transport_address(email)  # as digests travel: punycode domains need no SMTPUTF8
    check_login_settings(config.smtp)
    data = message_signer(config.digest.dkim)(data)

    def outbox_name(job: Job) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        return f"{outbox_folder}/{stamp}.eml"

    def ignore(job: Job, outcome: Outcome, error: str | None) -> None:
        return None

    # One message needs one connection (and a run's failure limits are counted per connection).
    sessions = dataclasses.replace(open_sessions(config.smtp, outbox_name), connections=1)
    delivery = Delivery(
        lambda job: data,
        envelope_sender(config),
        sessions,
        ignore,
        rate_per_second=0,
        max_attempts=config.smtp.max_attempts,
        retry_delay=config.smtp.retry_delay,
    )
    return await delivery.run([Job(0, 0, email, None, 0)])
