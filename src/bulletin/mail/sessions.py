"""Where mail goes: SMTP connections when smtp.host is set, else .eml files in smtp.outbox.

The one place that makes that decision, for the digest jobs and for single messages alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from ..config import SmtpConfig
from ..files import write_file_atomically
from .mailer import Job, Session, Sessions
from .smtp_session import SmtpSession

# A message's file in the outbox, relative to smtp.outbox.
OutboxName = Callable[[Job], str]


def digest_file_name(job: Job) -> str:
    """One folder per digest, one file per subscriber: a rerun overwrites, never doubles."""
    return f"digest-{job.digest_id:04d}/{job.subscriber_id:08d}.eml"


class OutboxSession:
    """Writes each message as an .eml file instead of speaking SMTP (smtp.host: null)."""

    def __init__(self, folder: Path, name_for: OutboxName = digest_file_name) -> None:
        self.folder = folder
        self.name_for = name_for

    async def send(self, sender: str, job: Job, data: bytes) -> None:
        write_file_atomically(self.folder / self.name_for(job), data)

    async def close(self) -> None:
        return None


def open_sessions(smtp: SmtpConfig, outbox_name: OutboxName = digest_file_name) -> Sessions:
    """The sessions a run sends through; ``outbox_name`` names each file when there is no SMTP host."""
    open_session: Callable[[], Session]
    if smtp.host is None:
        # Files are written synchronously: parallel sessions would not make it faster.
        open_session = functools.partial(OutboxSession, smtp.outbox, outbox_name)
        return Sessions(open_session, connections=1)
    open_session = functools.partial(SmtpSession, smtp)
    return Sessions(open_session, connections=smtp.connections)
