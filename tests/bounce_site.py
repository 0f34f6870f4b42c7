"""Helpers for the tests of `bulletin bounces` on a digest site: the keys of a sent message, the CLI."""

from __future__ import annotations

from click.testing import CliRunner, Result

from bulletin.bounces.verp import VerpSigner, verp_address
from bulletin.cli import main
from bulletin.tokens import TokenSigner

from .digest_site import SECRET, DigestSite

BOUNCES = "bounces@clinic.example"
NOW = "2026-04-12T06:00:00+00:00"  # the corpus's mail is dated the morning of 12 April


def run(site: DigestSite, *words: str) -> Result:
    """A `bulletin bounces ...` command at NOW (`bulletin bounces` alone takes no --now)."""
    when = ["--now", NOW] if len(words) > 1 else []
    return CliRunner().invoke(
        main, [*words, "--config", str(site.config_path), *when], catch_exceptions=False
    )


def keys(site: DigestSite, email: str) -> tuple[str, str]:
    """(VERP address, Message-ID) of digest 1 to ``email``, as the send made them."""
    [(subscriber_id, nonce)] = site.rows("SELECT id, token_nonce FROM subscribers WHERE email = ?", email)
    [(digest_nonce,)] = site.rows("SELECT nonce FROM digests WHERE id = 1")
    token = VerpSigner(TokenSigner(SECRET)).make(1, subscriber_id, nonce)
    return verp_address(BOUNCES, token), f"<{digest_nonce}.1.{subscriber_id}@clinic.example>"
