"""Reading bounce mail over IMAP (bounces.imap): TLS or STARTTLS, the password from an env var.

Each message is fetched without marking it, its events stored, and only then marked
(\\Seen and the keyword $BulletinDone, or moved to bounces.imap.processed_folder), so a
message is taken in once, and one cut short by a crash is read again harmlessly.
"""

from __future__ import annotations

import base64
import imaplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..config import ImapSettings
from ..errors import MailboxError

DONE = "$BulletinDone"  # our keyword: processed by bulletin, whatever a person did to \Seen


def read_imap(settings: ImapSettings, take: Callable[[str, bytes], object]) -> int:
    """Hand every unprocessed message of the folder to ``take`` (name, bytes), then mark it."""
    where = f"bounces.imap: {settings.host}:{settings.port}"
    try:
        with _session(settings, where) as imap:
            return _read_folder(imap, settings, take)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"{where}: {_describe(exc)}") from None


@contextmanager
def _session(settings: ImapSettings, where: str) -> Iterator[imaplib.IMAP4]:
    password = settings.password()
    if not password:
        raise MailboxError(f"{where}: {settings.password_env} is not set: it holds the mailbox's password")
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    imap: imaplib.IMAP4
    if settings.security == "tls":
        imap = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context, timeout=settings.timeout)
    else:
        imap = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            imap.starttls(context)
    try:
        _log_in(imap, settings.user, password)
        yield imap
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass  # the answer is in; a server that hangs up first changes nothing


def _log_in(imap: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN takes ASCII only; a Cyrillic password goes as SASL PLAIN, which is UTF-8 (RFC 4616)."""
    if (user + password).isascii():
        imap.login(user, password)
        return
    if "AUTH=PLAIN" not in imap.capabilities:
        raise MailboxError(
            f"bounces.imap: {imap.host} offers no AUTH=PLAIN, and LOGIN cannot carry a non-ASCII password"
        )
    imap.authenticate("PLAIN", lambda _challenge: f"\0{user}\0{password}".encode())


def _read_folder(imap: imaplib.IMAP4, settings: ImapSettings, take: Callable[[str, bytes], object]) -> int:
    status, _ = imap.select(_quoted(settings.folder))
    if status != "OK":
        raise MailboxError(f"bounces.imap.folder: no folder {settings.folder!r} on {settings.host}")
    keywords = _keywords_allowed(imap)
    criteria = ("UNKEYWORD", DONE) if keywords else ("UNSEEN",)
    status, data = imap.uid("SEARCH", *criteria)
    if status != "OK":
        raise MailboxError(f"bounces.imap: {settings.host} refused the search: {data!r:.100}")
    uids = [uid.decode("ascii") for uid in data[0].split()] if data and data[0] else []
    for uid in uids:
        raw = _fetch(imap, uid)
        if raw is None:
            continue  # expunged meanwhile
        take(f"{settings.folder} uid {uid}", raw)
        _mark(imap, uid, settings, keywords)
    return len(uids)


def _fetch(imap: imaplib.IMAP4, uid: str) -> bytes | None:
    # BODY.PEEK: fetching does not set \Seen; only a message taken in is marked.
    status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxError(f"bounces.imap: cannot fetch message {uid}: {data!r:.100}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def _mark(imap: imaplib.IMAP4, uid: str, settings: ImapSettings, keywords: bool) -> None:
    flags = f"(\\Seen {DONE})" if keywords else "(\\Seen)"
    imap.uid("STORE", uid, "+FLAGS", flags)
    if settings.processed_folder is None:
        return
    target = _quoted(settings.processed_folder)
    if "MOVE" in imap.capabilities:
        status, data = imap.uid("MOVE", uid, target)
    else:
        status, data = imap.uid("COPY", uid, target)
        if status == "OK":
            imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            imap.expunge()
    if status != "OK":
        raise MailboxError(
            f"bounces.imap.processed_folder: cannot move to {settings.processed_folder!r}: {data!r:.100}"
        )


def _keywords_allowed(imap: imaplib.IMAP4) -> bool:
    """Whether the folder takes new keywords (PERMANENTFLAGS lists \\*); else only \\Seen marks."""
    _, data = imap.response("PERMANENTFLAGS")
    return any(b"\\*" in bytes(item) for item in data if isinstance(item, bytes))


def _quoted(folder: str) -> str:
    """A folder name as IMAP needs it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    encoded = encode_folder(folder).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


def encode_folder(name: str) -> str:
    """IMAP's modified UTF-7: ASCII as it is ('&' as '&-'), other runs as &<base64 of UTF-16>-."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    text = str(exc).strip()
    if isinstance(exc, imaplib.IMAP4.error):
        return text.removeprefix("b'").removesuffix("'") or "refused"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
