"""The envelope sender of a digest's messages: digest.from, or a VERP address per message."""

from __future__ import annotations

from collections.abc import Callable

from ..bounces.verp import VerpSigner, verp_address
from ..config import Config
from ..subscribers import transport_address
from ..tokens import TokenSigner
from .mailer import Job


def digest_envelope(config: Config, sender: str, signer: TokenSigner) -> str | Callable[[Job], str]:
    """``sender`` (digest.from's address) for every message, unless digest.bounce_address is set:
    then bounces+<token>@domain per message, so a bounce names its digest and subscriber."""
    base = config.digest.bounce_address
    if base is None:
        return sender
    verp = VerpSigner(signer)
    base = transport_address(base)

    def sender_for(job: Job) -> str:
        return verp_address(base, verp.make(job.digest_id, job.subscriber_id, job.token_nonce))

    return sender_for
