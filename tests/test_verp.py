"""VERP: with digest.bounce_address each message's envelope sender names its digest and subscriber."""

from __future__ import annotations

import idna

from bulletin.bounces.verp import VerpSigner, parse_token, token_in
from bulletin.tokens import TokenSigner

from .digest_site import SECRET, DigestSite
from .smtp_server import SmtpServer

READERS = ("анна@клиника.kz", "bob@example.org", "carol@example.org")
PUNYCODE = idna.encode("клиника.kz").decode("ascii")


def test_each_message_goes_out_from_its_own_signed_bounce_address(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    site.configure(digest={"bounce_address": "bounces@клиника.kz"})
    site.post("first", "Первая новость", "2026-04-01 10:00")
    site.subscribe(*READERS)

    assert site.send().report.sent == 3

    verp = VerpSigner(TokenSigner(SECRET))
    rows = dict(site.rows("SELECT email, id FROM subscribers"))
    nonces = dict(site.rows("SELECT id, token_nonce FROM subscribers"))
    seen = {}
    for item in smtp_server.received:
        local, _, domain = item.mail_from.rpartition("@")
        assert local.startswith("bounces+") and domain == PUNYCODE  # as every server takes it
        assert len(local) <= 64
        token = parse_token(token_in(item.mail_from) or "")
        assert token is not None and token.digest_id == 1
        assert verp.check(token, nonces[token.subscriber_id])
        seen[item.rcpt_tos[0]] = token.subscriber_id
        # The Message-ID stays as before: the second key.
        assert str(item.message()["Message-ID"]).endswith(f".1.{token.subscriber_id}@clinic.example>")
    assert seen == {email: rows[email] for email in READERS}  # a Cyrillic local part travels as it is


def test_without_a_bounce_address_the_envelope_sender_is_digest_from(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    site.post("first", "Первая новость", "2026-04-01 10:00")
    site.subscribe("bob@example.org")
    site.send()
    assert [item.mail_from for item in smtp_server.received] == ["news@clinic.example"]
