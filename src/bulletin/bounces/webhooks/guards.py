"""What the provider webhooks remember between requests, kept by the web app's state."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Config
from ..rules import RuleSettings
from .certificates import CertificateFetcher
from .replay import RecentlySeen


@dataclass(frozen=True)
class WebhookGuards:
    """What the webhooks remember between requests: SNS certificates, tokens and signatures taken."""

    rules: RuleSettings
    certificates: CertificateFetcher
    mailgun_tokens: RecentlySeen
    sendgrid_signatures: RecentlySeen

    @classmethod
    def from_config(cls, config: Config) -> WebhookGuards:
        hooks = config.webhooks
        return cls(
            RuleSettings.from_config(config),
            CertificateFetcher(hooks.ses.certificate_hosts),
            RecentlySeen(hooks.mailgun.max_age * 2),  # a token is refused for its age after this
            RecentlySeen(hooks.sendgrid.max_age * 2),
        )
