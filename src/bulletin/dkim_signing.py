"""DKIM signatures (dkimpy) over the headers RFC 8058 asks to be signed."""

from __future__ import annotations

from collections.abc import Callable

from .config import DkimSettings
from .errors import ConfigError

# RFC 8058 section 3.3: List-Unsubscribe and List-Unsubscribe-Post must be covered
# by a valid DKIM signature for one-click unsubscribe to be honoured.
SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Unsubscribe", b"List-Unsubscribe-Post",
    b"List-Id", b"Reply-To", b"MIME-Version", b"Content-Type",
)


class DkimSigner:
    def __init__(self, settings: DkimSettings) -> None:
        self.domain = settings.domain.encode("ascii")
        self.selector = settings.selector.encode("ascii")
        try:
            self.key = settings.key_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{settings.key_file}: cannot read the DKIM key: {exc.strerror or exc}") from None
        if b"PRIVATE KEY" not in self.key:
            raise ConfigError(f"{settings.key_file}: not a PEM private key")

    def sign(self, message: bytes) -> bytes:
        """``message`` with a DKIM-Signature header in front (relaxed/relaxed)."""
        import dkim  # imported here: it pulls in dnspython, costly for commands that never sign

        header = dkim.sign(
            message, self.selector, self.domain, self.key,
            canonicalize=(b"relaxed", b"relaxed"), include_headers=list(SIGNED_HEADERS),
        )
        return bytes(header) + message


def message_signer(settings: DkimSettings | None) -> Callable[[bytes], bytes]:
    """A function that signs a message, or returns it unchanged when DKIM is not set up."""
    if settings is None:
        return lambda message: message
    return DkimSigner(settings).sign
