"""The webhooks' own checks apart from the app: the config section, the certificate allow-list,
a certificate kept by hand, the replay memory."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from bulletin.bounces.webhooks import Refused
from bulletin.bounces.webhooks.certificates import CertificateFetcher
from bulletin.bounces.webhooks.replay import RecentlySeen
from bulletin.config import load_config
from bulletin.config.webhooks import SNS_HOSTS
from bulletin.errors import ConfigError

from .feed_site import WriteConfig
from .webhook_senders import rsa_key, self_signed

NOW = dt.datetime.now(dt.UTC)


def test_webhook_settings_are_read(write_config: WriteConfig) -> None:
    config = load_config(
        write_config(
            webhooks={
                "ses": {"topic_arns": ["arn:aws:sns:eu-central-1:1:b"], "max_age": "30m"},
                "postmark": {"username": "клиника"},
                "mailgun": {"max_age": "2m"},
            }
        )
    )
    hooks = config.webhooks
    assert hooks.ses.topic_arns == ("arn:aws:sns:eu-central-1:1:b",)
    assert hooks.ses.max_age == 1800 and hooks.mailgun.max_age == 120 and hooks.sendgrid.max_age == 300
    assert hooks.ses.certificate_hosts == SNS_HOSTS
    assert hooks.postmark.username == "клиника" and hooks.postmark.password_env == "POSTMARK_WEBHOOK_PASSWORD"


def test_bad_webhook_settings_name_their_keys(write_config: WriteConfig) -> None:
    path = write_config(
        webhooks={
            "ses": {"certificate_hosts": "sns\\.(", "max_age": "soon"},
            "mailgun": {"signing_key": "in the file"},
        }
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "'webhooks.ses.certificate_hosts' is not a regular expression" in text
    assert "'webhooks.ses.max_age' must be a duration" in text
    assert (
        "unknown key 'webhooks.mailgun.signing_key' (did you mean 'webhooks.mailgun.signing_key_env'?)"
        in text
    )


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-1.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem", True),
        ("http://sns.eu-central-1.amazonaws.com/SimpleNotificationService-1.pem", False),
        ("https://sns.eu-central-1.amazonaws.com.evil.example/cert.pem", False),
        ("https://evil.example/sns.eu-central-1.amazonaws.com/cert.pem", False),
        ("https://sns.eu-central-1.amazonaws.com@evil.example/cert.pem", False),
        ("https://x@sns.eu-central-1.amazonaws.com/cert.pem", False),
        ("https://sns.eu-central-1.amazonaws.com:8443/cert.pem", False),
        ("https://s3.amazonaws.com/cert.pem", False),
        ("file:///etc/passwd", False),
    ],
)
def test_the_certificate_allow_list(url: str, allowed: bool) -> None:
    assert CertificateFetcher(SNS_HOSTS).allowed(url) is allowed


def test_a_disallowed_url_is_refused_without_a_fetch() -> None:
    with pytest.raises(Refused, match="not allowed"):
        CertificateFetcher(SNS_HOSTS).public_key("https://evil.example/cert.pem", NOW)
    with pytest.raises(Refused, match="not allowed"):
        CertificateFetcher(SNS_HOSTS).visit("https://evil.example/?Action=ConfirmSubscription")


def test_a_preloaded_certificate_is_used_without_a_fetch() -> None:
    key = rsa_key()
    url = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-test.pem"
    fetcher = CertificateFetcher(SNS_HOSTS)
    fetcher.preload(url, self_signed("sns.amazonaws.com", key), NOW)
    found = fetcher.public_key(url, NOW)
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert found.public_bytes(*raw) == key.public_key().public_bytes(*raw)


def test_an_expired_certificate_is_refused() -> None:
    fetcher = CertificateFetcher(SNS_HOSTS)
    pem = self_signed("sns.amazonaws.com", rsa_key(), days=1)
    with pytest.raises(Refused, match="not valid now"):
        fetcher.preload("https://sns.eu-central-1.amazonaws.com/old.pem", pem, NOW + dt.timedelta(days=3))


def test_recently_seen_forgets_after_its_window() -> None:
    seen = RecentlySeen(window=60)
    assert seen.first_time("token", now=1000)
    assert not seen.first_time("token", now=1030)
    assert seen.first_time("token", now=1061)  # by then its timestamp is refused anyway


def test_recently_seen_stays_bounded() -> None:
    seen = RecentlySeen(window=3600, limit=100)
    for n in range(1000):
        assert seen.first_time(f"token-{n}", now=float(n) / 1000)
    assert len(seen._seen) <= 100
