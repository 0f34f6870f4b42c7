"""Unsubscribe (and later confirm) tokens: HMAC-SHA256 that only the secret can make."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from .errors import SubscriberError

UNSUBSCRIBE = "unsubscribe"
CONFIRM = "confirm"
# 128 bits of the MAC are kept: plenty against guessing, short enough for a URL.
_MAC_BYTES = 16


class TokenSigner:
    """Makes and checks tokens of the form ``<subscriber id>.<mac>``.

    The MAC covers the purpose and the subscriber id, never the address, so a token
    reveals nothing and cannot be derived from an address. Rotating the secret
    invalidates every token issued before.
    """

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise SubscriberError("the token secret must be at least 16 characters long")
        self._key = secret.encode("utf-8")

    @classmethod
    def from_env(cls, variable: str) -> TokenSigner:
        secret = os.environ.get(variable)
        if not secret:
            raise SubscriberError(
                f"environment variable {variable} is not set: it holds the secret that signs"
                " unsubscribe links (e.g. export "
                f"{variable}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))'))"
            )
        return cls(secret)

    def mac(self, message: str) -> str:
        """A URL-safe HMAC-SHA256 of ``message`` (also used for CSRF form tokens)."""
        digest = hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode("ascii")

    def _mac(self, purpose: str, subscriber_id: int) -> str:
        return self.mac(f"{purpose}:{subscriber_id}")

    def make(self, purpose: str, subscriber_id: int) -> str:
        return f"{subscriber_id}.{self._mac(purpose, subscriber_id)}"

    def check(self, purpose: str, token: str) -> int | None:
        """The subscriber id the token was made for, or None for any bad token."""
        id_text, _, mac = token.strip().partition(".")
        # isdigit() alone accepts '²' (which int() refuses) and other scripts' digits.
        if not (id_text.isascii() and id_text.isdigit()) or len(id_text) > 18 or not mac:
            return None
        subscriber_id = int(id_text)
        if id_text != str(subscriber_id):
            return None  # "07.<mac>": one token per subscriber, no other spellings
        expected = self._mac(purpose, subscriber_id)
        if not hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace")):
            return None
        return subscriber_id
