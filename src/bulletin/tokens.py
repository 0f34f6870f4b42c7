"""Unsubscribe and confirm tokens: HMAC-SHA256 that only the secret can make, bound to one subscriber row."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from .config.secrets import Secrets
from .errors import SubscriberError

if TYPE_CHECKING:
    from .config import Config
    from .store import Subscriber

UNSUBSCRIBE = "unsubscribe"
CONFIRM = "confirm"
PREFERENCES = "preferences"  # the page where a subscriber changes language and topics
PREFERENCES_PATH = "/preferences"
# 128 bits of the MAC are kept: plenty against guessing, short enough for a URL.
_MAC_BYTES = 16


MIN_SECRET_LENGTH = 16
MIN_DISTINCT_CHARACTERS = 8  # sixteen spaces, or "aaaa..." are long but guessable
# "abcdefghijklmnop", "1234567890123456", "zyxw...": a run of neighbouring characters is
# what a person types; in a random secret a step of -1, 0 or +1 is rare (3 in 64).
MAX_SHARE_OF_SMALL_STEPS = 0.75
OLD_SUFFIX = "_OLD"  # BULLETIN_SECRET_OLD: the secret before a rotation, still accepted
# Said wherever a secret is missing: a new shell making a new one kills every link sent.
KEEP_IT = (
    "make one with `bulletin secret` and keep it: changing it breaks the unsubscribe links"
    " in mails already sent (to rotate, see docs/security.md)"
)
REPLACE_IT = "make a new one with `bulletin secret`"


def new_secret() -> str:
    """A fresh secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def secret_problem(secret: str | None, where: str) -> str | None:
    """Why ``secret`` cannot sign tokens (None if it can); ``where`` names its variable."""
    if not secret:
        return f"{where} is not set: it holds the secret that signs unsubscribe links"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"{where} is too short: the secret must be at least {MIN_SECRET_LENGTH} characters long"
    guessable = f"{where} is too easy to guess: use a random secret, not repeated characters or spaces"
    if len(set(secret.strip())) < MIN_DISTINCT_CHARACTERS:
        return guessable
    if len("".join(secret.split())) < MIN_SECRET_LENGTH:
        return (
            f"{where} is too short: the secret must be at least {MIN_SECRET_LENGTH} characters long,"
            " not counting spaces"
        )
    return guessable if _mostly_a_run(secret) else None


def _mostly_a_run(secret: str) -> bool:
    """True for "abcdefgh...", "12345678...": most steps between neighbours are -1, 0 or +1."""
    steps = [ord(after) - ord(before) for before, after in zip(secret, secret[1:], strict=False)]
    return sum(abs(step) <= 1 for step in steps) > MAX_SHARE_OF_SMALL_STEPS * len(steps)


class TokenSigner:
    """Makes and checks tokens of the form ``<subscriber id>.<mac>``.

    The MAC covers the purpose, the subscriber id and the subscriber row's random
    nonce, never the address, so a token reveals nothing, cannot be derived from an
    address, and fits only the row it was made for: a row created later under the
    same id has another nonce. Rows kept from before nonces (nonce None) take the
    first form, a MAC over purpose and id, so the links mailed to them still work.
    Rotating the secret invalidates every token issued before, unless the old secret
    is kept in ``previous``: tokens are then made with the new one and checked against both.
    """

    def __init__(self, secret: str, previous: tuple[str, ...] = ()) -> None:
        for value in (secret, *previous):
            problem = secret_problem(value, "the token secret")
            if problem:
                raise SubscriberError(problem)
        self._key = secret.encode("utf-8")
        self._previous = tuple(value.encode("utf-8") for value in previous)

    @classmethod
    def from_config(cls, config: Config) -> TokenSigner:
        return cls.from_secrets(config.secrets, config.digest.secret_env)

    @classmethod
    def from_secrets(cls, source: Secrets, variable: str) -> TokenSigner:
        """The signer for the secret named ``variable`` (and its ``_OLD`` one, if set)."""
        problems = signer_problems(source, variable)
        if problems:
            raise SubscriberError(*problems)
        secret = source.get(variable)
        old = source.get(variable + OLD_SUFFIX)
        assert secret is not None
        return cls(secret, (old,) if old else ())

    def mac(self, message: str) -> str:
        """A URL-safe HMAC-SHA256 of ``message`` (also used for CSRF form tokens)."""
        return _mac(self._key, message)

    def raw_macs(self, message: str) -> tuple[bytes, ...]:
        """HMAC-SHA256 of ``message`` under the secret, then under each previous one: for tokens
        of another shape (VERP addresses), made with the first and checked against all."""
        keys = (self._key, *self._previous)
        return tuple(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest() for key in keys)

    def make(self, purpose: str, subscriber_id: int, nonce: str | None) -> str:
        """The token for the subscriber row with this id and nonce."""
        return f"{subscriber_id}.{_mac(self._key, _message(purpose, subscriber_id, nonce))}"

    def check(self, purpose: str, token: str, subscriber: Subscriber | None) -> bool:
        """Whether ``token`` was made for ``purpose`` and this very row (id and nonce)."""
        if subscriber is None or claimed_id(token) != subscriber.id:
            return False
        given = token.strip().partition(".")[2].encode("utf-8", "replace")
        message = _message(purpose, subscriber.id, subscriber.token_nonce)
        # Every key is tried, so the time taken does not tell which one matched.
        keys = (self._key, *self._previous)
        matches = [hmac.compare_digest(_mac(key, message).encode(), given) for key in keys]
        return any(matches)

    def find(self, purpose: str, token: str, lookup: Callable[[int], Subscriber | None]) -> Subscriber | None:
        """The subscriber ``token`` was made for (``lookup`` reads a row by id), or None for
        any bad token, one made for another purpose or a row that is gone."""
        subscriber_id = claimed_id(token)
        if subscriber_id is None:
            return None
        subscriber = lookup(subscriber_id)
        return subscriber if self.check(purpose, token, subscriber) else None


def preferences_url(web_url: str, token: str) -> str:
    """The "manage preferences" link of a digest: web.url + /preferences?token=<PREFERENCES token>.

    A token is ``<id>.<base64url>``: nothing in it needs quoting in a query string.
    """
    return f"{web_url}{PREFERENCES_PATH}?token={token}"


def claimed_id(token: str) -> int | None:
    """The subscriber id a token names, before anything is verified; None if malformed."""
    id_text, _, mac = token.strip().partition(".")
    # isdigit() alone accepts '²' (which int() refuses) and other scripts' digits.
    if not (id_text.isascii() and id_text.isdigit()) or len(id_text) > 18 or not mac:
        return None
    subscriber_id = int(id_text)
    if id_text != str(subscriber_id):
        return None  # "07.<mac>": one token per subscriber, no other spellings
    return subscriber_id


def signer_problems(source: Secrets, variable: str) -> list[str]:
    """Why no signer can be made from ``source`` (empty when one can), each with its hint."""
    problems = []
    for name in (variable, variable + OLD_SUFFIX):
        value = source.get(name)
        if name != variable and value is None:
            continue  # the old secret is optional
        problem = secret_problem(value, source.where(name))
        if problem:
            problems.append(f"{problem}; {KEEP_IT if value is None else REPLACE_IT}")
    return problems


def _message(purpose: str, subscriber_id: int, nonce: str | None) -> str:
    if nonce is None:  # the first form, for rows kept from before nonces
        return f"{purpose}:{subscriber_id}"
    return f"{purpose}:{subscriber_id}:{nonce}"


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode("ascii")
