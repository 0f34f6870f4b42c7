"""The SMTP conversation on the socket once the session is set up: pipelined replies and
message bytes as DATA carries them."""

from __future__ import annotations

import asyncio
import collections
import re

import aiosmtplib

_LINE_START_DOT = re.compile(rb"(?m)^\.")
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_MAX_REPLY = 32 * 1024
_REPLY_LINE = re.compile(rb"[2-5][0-9][0-9](?:[ \-\r]|$)")


def smtp_ready(data: bytes) -> bytes:
    """``data`` as DATA carries it: ending in CRLF, no line starting with a dot.

    Session.send takes messages with CRLF line ends (messages.personalise builds
    them so: base64 bodies, headers with CR/LF removed from every value). What is
    always checked is the part that matters for safety: a dot after any line
    break would end the message early and let the rest be read as commands. A
    message with such a dot gets its line ends normalised and the dots doubled.
    """
    if _dot_after_line_break(data):
        data = _LINE_START_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", data))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def _dot_after_line_break(data: bytes) -> bool:
    # Single-byte scans (memchr) over a message with few dots, as base64 ones are:
    # a few microseconds for 21 KB, where searching for b"\n." takes several times that.
    at = data.find(b".")
    for _ in range(64):
        if at == -1:
            return False
        if at == 0 or data[at - 1] in (10, 13):
            return True
        at = data.find(b".", at + 1)
    return data.startswith(b".") or b"\n." in data or b"\r." in data


class Replies(asyncio.Protocol):
    """Reads the replies of pipelined commands on a connection aiosmtplib opened.

    aiosmtplib's own protocol expects one reply per write (it drops what arrives
    while no command waits), and arms a timer per command; at thousands of
    messages a second both cost more than the conversation. Once the session is
    set up, this protocol takes over the transport: replies are queued as they
    arrive and one watchdog per connection enforces ``timeout``.
    """

    def __init__(
        self, transport: asyncio.Transport, timeout: float, data_timeout: float | None = None
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self.timeout = timeout
        self.shortest = min(timeout, data_timeout or timeout)
        self.waiting_for = timeout  # the timeout of the read now waiting
        self.buffer = bytearray()
        self.replies: collections.deque[tuple[int, str]] = collections.deque()
        self.waiter: asyncio.Future[None] | None = None
        self.wanted = 0
        self.waiting_since: float | None = None
        self.error: aiosmtplib.SMTPException | None = None
        self.watchdog = self.loop.call_later(self._check_period(), self._check)
        transport.set_protocol(self)

    def _check_period(self) -> float:
        return max(self.shortest / 4, 0.05)

    def _check(self) -> None:
        if self.waiting_since is not None and self.loop.time() - self.waiting_since >= self.waiting_for:
            self._fail(aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response"))
            self.transport.abort()
            return
        self.watchdog = self.loop.call_later(self._check_period(), self._check)

    def _fail(self, error: aiosmtplib.SMTPException) -> None:
        if self.error is None:
            self.error = error
        self.watchdog.cancel()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.error)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            try:
                reply = self._parse()
            except aiosmtplib.SMTPResponseException as exc:
                self._fail(exc)
                self.transport.abort()
                return
            if reply is None:
                break
            self.replies.append(reply)
        if self.waiter is not None and len(self.replies) >= self.wanted and not self.waiter.done():
            self.waiter.set_result(None)

    def _parse(self) -> tuple[int, str] | None:
        """One complete (possibly multi-line) reply off the buffer, or None."""
        lines = []
        offset = 0
        while True:
            end = self.buffer.find(b"\n", offset)
            if end == -1:
                if len(self.buffer) > _MAX_REPLY:
                    raise aiosmtplib.SMTPResponseException(-1, "Response too long")
                return None
            line = bytes(self.buffer[offset:end])
            offset = end + 1
            lines.append(line)
            if line[3:4] != b"-":
                break
        del self.buffer[:offset]
        for line in lines:
            # Three digits from 200 to 599, then a space, a hyphen or the line end:
            # anything else is not SMTP, and a reply read from it could mean anything.
            if not (_REPLY_LINE.match(line) and line[:3] == lines[0][:3]):
                raise aiosmtplib.SMTPResponseException(
                    -1, "Malformed SMTP response line: " + line.decode("utf-8", "replace").strip()
                )
        code = int(lines[0][:3])
        message = "\n".join(line[4:].strip().decode("utf-8", "surrogateescape") for line in lines)
        return code, message

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        error = aiosmtplib.SMTPServerDisconnected("Connection lost")
        error.__cause__ = exc
        self._fail(error)

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        if self.transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self.transport.write(data)

    async def read(self, count: int, timeout: float | None = None) -> list[tuple[int, str]]:
        """The next ``count`` replies, waiting for them as long as ``timeout`` (default: the
        connection's) allows."""
        while len(self.replies) < count:
            if self.error is not None:
                raise self.error
            self.wanted = count
            self.waiter = self.loop.create_future()
            self.waiting_for = timeout or self.timeout
            self.waiting_since = self.loop.time()
            try:
                await self.waiter
            finally:
                self.waiter = None
                self.waiting_since = None
        return [self.replies.popleft() for _ in range(count)]

    def close(self) -> None:
        self.watchdog.cancel()
        self.transport.close()
