"""VERP envelope senders: bounces+<token>@domain, the token naming digest and subscriber, signed.

A relay mails a bounce back to the envelope sender, so a bounce to such an address
names its message without any guessing from the bounce's text. The token is
``<digest>-<subscriber>-<mac>``: the MAC (HMAC-SHA256 with the token secret over
purpose, both numbers and the subscriber row's nonce, cut to 80 bits) is lower-case
base32, because some systems lower-case addresses on the way back; and nobody can
forge a bounce address that unsubscribes someone else.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass

from ..tokens import TokenSigner

PURPOSE = "verp"
_MAC_BYTES = 10  # 80 bits: 16 base32 characters
_TOKEN = re.compile(r"([0-9]{1,12})-([0-9]{1,12})-([a-z2-7]{16})")
MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1


@dataclass(frozen=True)
class VerpToken:
    """What a VERP token claims before it is checked: the digest and subscriber numbers."""

    digest_id: int
    subscriber_id: int
    mac: str


def verp_address(base: str, token: str) -> str:
    """``bounces@clinic.kz`` + token -> ``bounces+<token>@clinic.kz``."""
    local, _, domain = base.rpartition("@")
    address = f"{local}+{token}@{domain}"
    if len(address.rpartition("@")[0]) > MAX_LOCAL_PART:
        raise ValueError(f"VERP address {address!r} has a local part longer than {MAX_LOCAL_PART}")
    return address


def token_in(address: str) -> str | None:
    """The token of a ``base+<token>@domain`` address, or None when it holds none."""
    local = address.strip().strip("<>").rpartition("@")[0]
    _, plus, token = local.partition("+")
    return token.lower() if plus and _TOKEN.fullmatch(token.lower()) else None


def parse_token(token: str) -> VerpToken | None:
    """The numbers a token names, unchecked; None when it is not a token's shape."""
    found = _TOKEN.fullmatch(token.strip().lower())
    if not found:
        return None
    return VerpToken(int(found[1]), int(found[2]), found[3])


class VerpSigner:
    """Makes the token for a (digest, subscriber) and checks one that came back."""

    def __init__(self, signer: TokenSigner) -> None:
        self.signer = signer

    def make(self, digest_id: int, subscriber_id: int, nonce: str | None) -> str:
        mac = _encode(self.signer.raw_macs(_message(digest_id, subscriber_id, nonce))[0])
        return f"{digest_id}-{subscriber_id}-{mac}"

    def check(self, token: VerpToken, nonce: str | None) -> bool:
        """Whether ``token`` was made with our secret (or the previous one) for this row."""
        macs = self.signer.raw_macs(_message(token.digest_id, token.subscriber_id, nonce))
        # Every key is compared, so the time taken does not tell which one matched.
        matches = [hmac.compare_digest(_encode(mac), token.mac) for mac in macs]
        return any(matches)


def _message(digest_id: int, subscriber_id: int, nonce: str | None) -> str:
    return f"{PURPOSE}:{digest_id}:{subscriber_id}:{nonce or ''}"


def _encode(mac: bytes) -> str:
    return base64.b32encode(mac[:_MAC_BYTES]).decode("ascii").lower()
