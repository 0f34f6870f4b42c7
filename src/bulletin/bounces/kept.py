"""Mail no rule understands, kept as .eml files for a person to read (`bulletin bounces` lists them)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..files import write_file_atomically
from .reports import decoded_header, one_line

REASON_HEADER = "X-Bulletin-Unknown"  # why bulletin kept it, prepended to the kept copy


@dataclass(frozen=True)
class KeptMail:
    path: Path
    sender: str
    subject: str
    reason: str


def keep_unknown(folder: Path, raw: bytes, reason: str, now: dt.datetime) -> Path:
    """Write ``raw`` under ``folder``, named by its content: the same mail twice is one file."""
    digest = hashlib.sha256(raw).hexdigest()[:16]
    existing = sorted(folder.glob(f"*-{digest}.eml")) if folder.exists() else []
    if existing:
        return existing[0]
    path = folder / f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%S}-{digest}.eml"
    header = f"{REASON_HEADER}: {one_line(reason)[:900]}\r\n".encode("utf-8", "replace")
    write_file_atomically(path, header + raw)
    return path


def kept_mail(folder: Path) -> list[KeptMail]:
    """The kept mail, oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as file:
            message = email.message_from_binary_file(file, policy=email.policy.compat32)
        found.append(
            KeptMail(
                path,
                decoded_header(message.get("From", "")),
                decoded_header(message.get("Subject", "")),
                one_line(str(message.get(REASON_HEADER, ""))),
            )
        )
    return found
