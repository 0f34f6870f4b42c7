"""config.yaml's `webhooks` section: which provider webhooks `bulletin serve` accepts, and their secrets.

A provider's endpoint answers only once its secret is configured (SES: the topics it may
report from); the secrets themselves stay in the environment (or the env file) and are
read at the moment a request is checked, never kept in a config value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .secrets import Secrets
from .section import Key, Kind

# Where Amazon SNS keeps its signing certificates and confirmation links: sns.<region>.amazonaws.com
# (.com.cn in China). Matched against the whole host[:port] of the URL, so no port is allowed.
SNS_HOSTS = r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"

SES = (
    Key("topic_arns", Kind.NAMES, ()),  # the SNS topics SES publishes to; none: /webhooks/ses refuses all
    Key("certificate_hosts", Kind.TEXT, SNS_HOSTS),
    Key("max_age", Kind.TEXT, "1h"),  # SNS retries a delivery with its first Timestamp
)
POSTMARK = (
    Key("username", Kind.TEXT, "postmark"),
    Key("password_env", Kind.TEXT, "POSTMARK_WEBHOOK_PASSWORD"),
)
MAILGUN = (
    Key("signing_key_env", Kind.TEXT, "MAILGUN_WEBHOOK_SIGNING_KEY"),
    Key("max_age", Kind.TEXT, "5m"),
)
SENDGRID = (
    Key("public_key_env", Kind.TEXT, "SENDGRID_WEBHOOK_PUBLIC_KEY"),
    Key("max_age", Kind.TEXT, "5m"),
)


@dataclass(frozen=True)
class SesWebhook:
    topic_arns: tuple[str, ...] = ()
    certificate_hosts: str = SNS_HOSTS  # a regular expression for host[:port]
    max_age: float = 3600.0  # seconds


@dataclass(frozen=True)
class PostmarkWebhook:
    username: str = "postmark"
    password_env: str = "POSTMARK_WEBHOOK_PASSWORD"


@dataclass(frozen=True)
class MailgunWebhook:
    signing_key_env: str = "MAILGUN_WEBHOOK_SIGNING_KEY"
    max_age: float = 300.0


@dataclass(frozen=True)
class SendgridWebhook:
    public_key_env: str = "SENDGRID_WEBHOOK_PUBLIC_KEY"
    max_age: float = 300.0


@dataclass(frozen=True)
class WebhooksConfig:
    ses: SesWebhook = SesWebhook()
    postmark: PostmarkWebhook = PostmarkWebhook()
    mailgun: MailgunWebhook = MailgunWebhook()
    sendgrid: SendgridWebhook = SendgridWebhook()
    secrets: Secrets = field(default_factory=Secrets, repr=False)

    def secret(self, name: str) -> str | None:
        """The value of the env var ``name`` (or its line in the env file), read now."""
        return self.secrets.get(name)
