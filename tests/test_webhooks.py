"""Provider webhooks through the real serve app and a real SQLite store, signed with test keys.

SES: the signing certificate is fetched over https from a server on 127.0.0.1 (trusted
through SSL_CERT_FILE), so fetching, the allow-list and the signature check all run for real.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from bulletin.bounces.verp import VerpSigner
from bulletin.tokens import TokenSigner
from bulletin.web.app import create_app

from .digest_site import SECRET, WEB_URL, DigestSite
from .webhook_senders import (
    TOPIC,
    FakeSnsHost,
    basic_auth,
    mailgun_body,
    mailgun_complained,
    mailgun_failed,
    postmark_bounce,
    postmark_complaint,
    sendgrid_event,
    sendgrid_headers,
    sendgrid_keys,
    ses_bounce,
    ses_complaint,
)

POSTMARK_PASSWORD = "пароль-postmark-0123456789"
MAILGUN_KEY = "key-mailgun-signing-0123456789abcdef"
ALICE, BOB, CAROL = "alice@example.kz", "bob@example.kz", "carol@example.kz"


@pytest.fixture
def sns_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSnsHost]:
    host = FakeSnsHost(tmp_path)
    # The only CA this process trusts now is the test server's own certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(host.tls_certificate))
    yield host
    host.stop()


@pytest.fixture
def sendgrid_private(monkeypatch: pytest.MonkeyPatch) -> Any:
    private, public = sendgrid_keys()
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", public)
    return private


@pytest.fixture
def hooked(site: DigestSite, sns_host: FakeSnsHost, monkeypatch: pytest.MonkeyPatch) -> DigestSite:
    monkeypatch.setenv("POSTMARK_WEBHOOK_PASSWORD", POSTMARK_PASSWORD)
    monkeypatch.setenv("MAILGUN_WEBHOOK_SIGNING_KEY", MAILGUN_KEY)
    site.configure(webhooks={"ses": {"topic_arns": [TOPIC], "certificate_hosts": r"127\.0\.0\.1:[0-9]+"}})
    site.subscribe(ALICE, BOB, CAROL)
    return site


@pytest.fixture
def client(hooked: DigestSite) -> Iterator[TestClient]:
    with TestClient(create_app(hooked.config), base_url=WEB_URL) as test_client:
        yield test_client


def snapshot(site: DigestSite) -> list[str]:
    """Every row of the store, as SQL: equal snapshots mean nothing changed."""
    db = sqlite3.connect(site.store_path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def statuses(site: DigestSite) -> dict[str, str]:
    return dict(site.rows("SELECT email, status FROM subscribers"))


def post_json(client: TestClient, path: str, data: Any, **headers: str) -> Any:
    return client.post(path, content=json.dumps(data).encode(), headers=headers)


# SES through SNS -------------------------------------------------------------------------------


def test_subscription_confirmation_visits_the_subscribe_url(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    before = snapshot(hooked)
    confirmation = sns_host.confirmation(version="1")
    response = post_json(client, "/webhooks/ses", confirmation)
    assert response.status_code == 200
    visited = [path for path in sns_host.requests if "ConfirmSubscription" in path]
    assert len(visited) == 1 and confirmation["Token"] in visited[0]
    assert snapshot(hooked) == before


@pytest.mark.parametrize("version", ["1", "2"])
def test_permanent_bounce_bounces_and_complaint_unsubscribes(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite, version: str
) -> None:
    assert (
        post_json(client, "/webhooks/ses", sns_host.notification(ses_bounce(ALICE), version)).status_code
        == 200
    )
    assert (
        post_json(client, "/webhooks/ses", sns_host.notification(ses_complaint(BOB), version)).status_code
        == 200
    )
    assert statuses(hooked) == {ALICE: "bounced", BOB: "unsubscribed", CAROL: "active"}
    # One certificate fetch for both messages: it is kept.
    assert sns_host.requests.count("/SimpleNotificationService-0123456789abcdef.pem") == 1


def test_transient_bounces_bounce_at_the_soft_limit(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    for _ in range(2):
        notification = sns_host.notification(ses_bounce(ALICE, "Transient", "4.2.2"))
        assert post_json(client, "/webhooks/ses", notification).status_code == 200
    assert statuses(hooked)[ALICE] == "active"
    assert (
        post_json(client, "/webhooks/ses", sns_host.notification(ses_bounce(ALICE, "Transient"))).status_code
        == 200
    )
    assert statuses(hooked)[ALICE] == "bounced"  # bounces.soft_limit, 3 by default
    assert hooked.rows("SELECT DISTINCT source, kind FROM delivery_events") == [("ses", "soft_bounce")]


def test_ses_events_are_stored_with_their_code_and_diagnostic(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    assert post_json(client, "/webhooks/ses", sns_host.notification(ses_bounce(ALICE))).status_code == 200
    [(source, kind, code, detail, recipient)] = hooked.rows(
        "SELECT source, kind, code, detail, recipient FROM delivery_events"
    )
    assert (source, kind, code, recipient) == ("ses", "hard_bounce", "5.1.1", ALICE)
    assert "User unknown" in detail


def test_the_verp_envelope_sender_names_the_subscriber(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    """A bounce from a forwarding address still reaches its subscriber: SES reports the
    envelope sender (mail.source), bulletin's VERP address, signed for that subscriber."""
    [(alice_id, nonce)] = hooked.rows("SELECT id, token_nonce FROM subscribers WHERE email = ?", ALICE)
    token = VerpSigner(TokenSigner(SECRET)).make(1, alice_id, nonce)
    bounce = ses_bounce("alice.forwarded@mail.example", source=f"bounces+{token}@clinic.example")
    assert post_json(client, "/webhooks/ses", sns_host.notification(bounce)).status_code == 200
    assert statuses(hooked) == {ALICE: "bounced", BOB: "active", CAROL: "active"}


def test_the_same_notification_twice_changes_nothing_the_second_time(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    notification = sns_host.notification(ses_bounce(ALICE))
    assert post_json(client, "/webhooks/ses", notification).status_code == 200
    after_first = snapshot(hooked)
    # SNS redelivers with the same MessageId when our answer was lost: 200, nothing new.
    assert post_json(client, "/webhooks/ses", notification).status_code == 200
    assert snapshot(hooked) == after_first
    assert hooked.rows("SELECT count(*) FROM delivery_events") == [(1,)]


def _forged_message(host: FakeSnsHost) -> dict[str, Any]:
    signed = host.notification(ses_complaint(CAROL))
    return {**signed, "Message": json.dumps(ses_bounce(ALICE))}


def _unsigned(host: FakeSnsHost) -> dict[str, Any]:
    signed = host.notification(ses_bounce(ALICE))
    return {key: value for key, value in signed.items() if key != "Signature"}


def _resigned_subject(host: FakeSnsHost) -> dict[str, Any]:
    # Signed without a Subject, then one added: the string to sign changes.
    return {**host.notification(ses_bounce(ALICE)), "Subject": "Amazon SES Email Event Notification"}


def _wrong_topic(host: FakeSnsHost) -> dict[str, Any]:
    return host.notification(ses_bounce(ALICE), TopicArn="arn:aws:sns:eu-central-1:999999999999:other")


def _foreign_certificate_host(host: FakeSnsHost) -> dict[str, Any]:
    return host.notification(ses_bounce(ALICE), SigningCertURL="https://evil.example/cert.pem")


def _plain_http_certificate(host: FakeSnsHost) -> dict[str, Any]:
    return host.notification(ses_bounce(ALICE), SigningCertURL=host.cert_url.replace("https:", "http:"))


def _too_old(host: FakeSnsHost) -> dict[str, Any]:
    return host.notification(ses_bounce(ALICE), Timestamp="2020-01-01T00:00:00.000Z")


def _unknown_version(host: FakeSnsHost) -> dict[str, Any]:
    return {**host.notification(ses_bounce(ALICE)), "SignatureVersion": "3"}


FORGERIES = [
    _forged_message,
    _unsigned,
    _resigned_subject,
    _wrong_topic,
    _foreign_certificate_host,
    _plain_http_certificate,
    _too_old,
    _unknown_version,
]


@pytest.mark.parametrize("forge", FORGERIES, ids=[f.__name__.strip("_") for f in FORGERIES])
def test_forged_ses_messages_are_refused_and_change_nothing(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite, forge: Any
) -> None:
    before = snapshot(hooked)
    response = post_json(client, "/webhooks/ses", forge(sns_host))
    assert response.status_code == 403
    assert snapshot(hooked) == before


def test_a_message_from_another_topic_fetches_nothing(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    assert post_json(client, "/webhooks/ses", _wrong_topic(sns_host)).status_code == 403
    assert post_json(client, "/webhooks/ses", _foreign_certificate_host(sns_host)).status_code == 403
    assert sns_host.requests == []


def test_ses_refuses_everything_until_topics_are_configured(
    site: DigestSite, sns_host: FakeSnsHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.subscribe(ALICE)
    with TestClient(create_app(site.config), base_url=WEB_URL) as client:
        assert post_json(client, "/webhooks/ses", sns_host.notification(ses_bounce(ALICE))).status_code == 403
    assert statuses(site) == {ALICE: "active"}


def test_a_large_signed_message_passes_the_webhook_body_limit(
    client: TestClient, sns_host: FakeSnsHost, hooked: DigestSite
) -> None:
    bounce = ses_bounce(ALICE)
    bounce["mail"]["headers"] = [{"name": f"X-Padding-{n}", "value": "я" * 100} for n in range(400)]
    body = json.dumps(sns_host.notification(bounce)).encode()
    assert len(body) > 64 * 1024
    assert client.post("/webhooks/ses", content=body).status_code == 200
    assert statuses(hooked)[ALICE] == "bounced"
    assert client.post("/webhooks/ses", content=b"{" + b" " * (2 * 1024 * 1024) + b"}").status_code == 413


# Postmark --------------------------------------------------------------------------------------


def test_postmark_with_its_basic_credentials(client: TestClient, hooked: DigestSite) -> None:
    auth = basic_auth("postmark", POSTMARK_PASSWORD)
    assert post_json(client, "/webhooks/postmark", postmark_bounce(ALICE), **auth).status_code == 200
    assert post_json(client, "/webhooks/postmark", postmark_complaint(BOB), **auth).status_code == 200
    soft = postmark_bounce(CAROL, "Transient", 2)
    assert post_json(client, "/webhooks/postmark", soft, **auth).status_code == 200
    assert statuses(hooked) == {ALICE: "bounced", BOB: "unsubscribed", CAROL: "active"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic_auth("postmark", "wrong"),
        basic_auth("someone", POSTMARK_PASSWORD),
        {"Authorization": "Basic %%%"},
    ],
    ids=["none", "wrong-password", "wrong-user", "not-base64"],
)
def test_postmark_without_the_credentials_is_refused(
    client: TestClient, hooked: DigestSite, headers: dict[str, str]
) -> None:
    before = snapshot(hooked)
    assert post_json(client, "/webhooks/postmark", postmark_bounce(ALICE), **headers).status_code == 403
    assert snapshot(hooked) == before


def test_postmark_the_same_bounce_twice(client: TestClient, hooked: DigestSite) -> None:
    auth = basic_auth("postmark", POSTMARK_PASSWORD)
    bounce = postmark_bounce(ALICE)
    assert post_json(client, "/webhooks/postmark", bounce, **auth).status_code == 200
    after_first = snapshot(hooked)
    assert post_json(client, "/webhooks/postmark", bounce, **auth).status_code == 200
    assert snapshot(hooked) == after_first


# Mailgun ---------------------------------------------------------------------------------------


def test_mailgun_signed_events(client: TestClient, hooked: DigestSite) -> None:
    def post(event: dict[str, Any]) -> int:
        return int(client.post("/webhooks/mailgun", content=mailgun_body(MAILGUN_KEY, event)).status_code)

    assert post(mailgun_failed(ALICE)) == 200
    assert post(mailgun_complained(BOB)) == 200
    assert statuses(hooked) == {ALICE: "bounced", BOB: "unsubscribed", CAROL: "active"}
    # Mailgun reports every try that failed for now: none of them is a bounce yet.
    assert post(mailgun_failed(CAROL, "temporary")) == 200
    assert hooked.rows("SELECT count(*) FROM delivery_events WHERE recipient = ?", CAROL) == [(0,)]
    # Its last word after trying for hours is permanent, with reason "old": a soft bounce.
    assert post(mailgun_failed(CAROL, "permanent", reason="old")) == 200
    assert hooked.rows("SELECT kind, source FROM delivery_events WHERE recipient = ?", CAROL) == [
        ("soft_bounce", "mailgun")
    ]
    assert statuses(hooked)[CAROL] == "active"


def test_mailgun_forged_old_and_replayed_requests_are_refused(client: TestClient, hooked: DigestSite) -> None:
    before = snapshot(hooked)
    forged = mailgun_body("key-someone-else", mailgun_failed(ALICE))
    old = mailgun_body(MAILGUN_KEY, mailgun_failed(ALICE), timestamp=int(time.time()) - 3600)
    future = mailgun_body(MAILGUN_KEY, mailgun_failed(ALICE), timestamp=int(time.time()) + 3600)
    unsigned = json.dumps({"event-data": mailgun_failed(ALICE)}).encode()
    for body in (forged, old, future, unsigned, b"not json"):
        assert client.post("/webhooks/mailgun", content=body).status_code == 403
    assert snapshot(hooked) == before
    taken = mailgun_body(MAILGUN_KEY, mailgun_failed(CAROL, "temporary"))
    assert client.post("/webhooks/mailgun", content=taken).status_code == 200
    after_first = snapshot(hooked)
    assert client.post("/webhooks/mailgun", content=taken).status_code == 403  # the same token again
    # Mailgun signs only timestamp and token, not the event: a captured signature put on
    # another event is refused by its token, already taken.
    tampered = taken.replace(CAROL.encode(), ALICE.encode()).replace(b'"temporary"', b'"permanent"')
    assert client.post("/webhooks/mailgun", content=tampered).status_code == 403
    assert snapshot(hooked) == after_first


# SendGrid --------------------------------------------------------------------------------------


def test_sendgrid_signed_batch(client: TestClient, hooked: DigestSite, sendgrid_private: Any) -> None:
    batch = [
        sendgrid_event(ALICE, "processed"),
        sendgrid_event(ALICE, "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 no such user"),
        sendgrid_event(BOB, "spamreport"),
        sendgrid_event(CAROL, "bounce", type="blocked", status="4.0.0", reason="blocked for now"),
        sendgrid_event(CAROL, "deferred", response="try later"),
    ]
    body = json.dumps(batch).encode()
    response = client.post(
        "/webhooks/sendgrid", content=body, headers=sendgrid_headers(sendgrid_private, body)
    )
    assert response.status_code == 200
    assert statuses(hooked) == {ALICE: "bounced", BOB: "unsubscribed", CAROL: "active"}


def test_sendgrid_forged_old_and_replayed_requests_are_refused(
    client: TestClient, hooked: DigestSite, sendgrid_private: Any
) -> None:
    before = snapshot(hooked)
    body = json.dumps([sendgrid_event(ALICE, "bounce", type="bounce")]).encode()
    other_key, _ = sendgrid_keys()
    tampered = body.replace(ALICE.encode(), BOB.encode())
    attempts = [
        (body, {"Content-Type": "application/json"}),
        (body, sendgrid_headers(other_key, body)),
        (tampered, sendgrid_headers(sendgrid_private, body)),
        (body, sendgrid_headers(sendgrid_private, body, timestamp=int(time.time()) - 3600)),
    ]
    for content, headers in attempts:
        assert client.post("/webhooks/sendgrid", content=content, headers=headers).status_code == 403
    assert snapshot(hooked) == before
    headers = sendgrid_headers(sendgrid_private, body)
    assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 200
    after_first = snapshot(hooked)
    assert client.post("/webhooks/sendgrid", content=body, headers=headers).status_code == 403
    assert snapshot(hooked) == after_first


def test_sendgrid_without_a_public_key_refuses(client: TestClient, hooked: DigestSite) -> None:
    private, _ = sendgrid_keys()
    body = json.dumps([sendgrid_event(ALICE, "bounce", type="bounce")]).encode()
    response = client.post("/webhooks/sendgrid", content=body, headers=sendgrid_headers(private, body))
    assert response.status_code == 403
    assert statuses(hooked)[ALICE] == "active"


# Secrets ---------------------------------------------------------------------------------------


def test_refusals_never_log_a_secret(
    client: TestClient, hooked: DigestSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post_json(client, "/webhooks/postmark", postmark_bounce(ALICE), **basic_auth("postmark", "wrong"))
    client.post("/webhooks/mailgun", content=mailgun_body("key-someone-else", mailgun_failed(ALICE)))
    assert "webhook refused" in caplog.text
    for secret in (POSTMARK_PASSWORD, MAILGUN_KEY):
        assert secret not in caplog.text
