"""Reading bounce mail from a Maildir (bounces.maildir): new mail, then moved to cur/ marked seen.

A message is marked only after its events are stored, so a run killed in between
reads it again next time, and its events, stored already, change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import MailboxError

SEEN = "S"
_INFO = ":2,"  # what separates a Maildir file's unique name from its flags


def read_maildir(folder: Path, take: Callable[[str, bytes], object]) -> int:
    """Hand every unprocessed message to ``take`` (name, bytes), then mark it; how many."""
    if not (folder / "new").is_dir() or not (folder / "cur").is_dir():
        raise MailboxError(f"{folder}: not a Maildir (no new/ and cur/ folders): bounces.maildir")
    count = 0
    for path in _unprocessed(folder):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            continue  # another reader took it meanwhile
        except OSError as exc:
            raise MailboxError(f"{path}: cannot read: {exc.strerror or exc}") from None
        take(f"{folder.name}/{path.parent.name}/{path.name}", raw)
        _mark_seen(folder, path)
        count += 1
    return count


def _unprocessed(folder: Path) -> list[Path]:
    """Messages in new/, and in cur/ without the seen flag (moved there by a mail client)."""
    waiting = sorted(p for p in (folder / "new").iterdir() if p.is_file() and not p.name.startswith("."))
    for path in sorted((folder / "cur").iterdir()):
        _, info, flags = path.name.partition(_INFO)
        if path.is_file() and not path.name.startswith(".") and SEEN not in (flags if info else ""):
            waiting.append(path)
    return waiting


def _mark_seen(folder: Path, path: Path) -> None:
    base, info, flags = path.name.partition(_INFO)
    flags = "".join(sorted(set(flags if info else "") | {SEEN}))
    try:
        path.rename(folder / "cur" / f"{base}{_INFO}{flags}")
    except OSError as exc:
        raise MailboxError(f"{path}: cannot move to cur/: {exc.strerror or exc}") from None
