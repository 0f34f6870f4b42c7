"""Reading config.yaml's `webhooks` section (its keys and values are in webhooks.py)."""

from __future__ import annotations

import re

from .secrets import Secrets
from .section import Section, parse_duration
from .webhooks import (
    MAILGUN,
    POSTMARK,
    SENDGRID,
    SES,
    SNS_HOSTS,
    MailgunWebhook,
    PostmarkWebhook,
    SendgridWebhook,
    SesWebhook,
    WebhooksConfig,
)


def read_webhooks(section: Section, secrets: Secrets) -> WebhooksConfig:
    ses_section = section.section("ses")
    v = ses_section.read(SES)
    hosts = v["certificate_hosts"]
    try:
        re.compile(hosts)
    except re.error as exc:
        ses_section.problem("certificate_hosts", f"is not a regular expression: {exc}")
        hosts = SNS_HOSTS
    ses = SesWebhook(v["topic_arns"], hosts, _duration(ses_section, "max_age", v["max_age"], 3600.0))
    ses_section.finish()
    postmark_section = section.section("postmark")
    postmark = PostmarkWebhook(**postmark_section.read(POSTMARK))
    postmark_section.finish()
    mailgun_section = section.section("mailgun")
    v = mailgun_section.read(MAILGUN)
    mailgun = MailgunWebhook(v["signing_key_env"], _duration(mailgun_section, "max_age", v["max_age"], 300.0))
    mailgun_section.finish()
    sendgrid_section = section.section("sendgrid")
    v = sendgrid_section.read(SENDGRID)
    sendgrid = SendgridWebhook(
        v["public_key_env"], _duration(sendgrid_section, "max_age", v["max_age"], 300.0)
    )
    sendgrid_section.finish()
    section.finish()
    return WebhooksConfig(ses, postmark, mailgun, sendgrid, secrets)


def _duration(section: Section, key: str, text: str, default: float) -> float:
    seconds = parse_duration(text)
    if seconds is None or seconds <= 0:
        section.problem(key, f"must be a duration such as 5m, 1h or 300s, not {text!r}")
        return default
    return seconds
