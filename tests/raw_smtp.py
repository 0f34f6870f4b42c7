"""A bare SMTP server on a socket, for the faults aiosmtpd cannot produce.

aiosmtpd always answers in well-formed replies and only hands a message over once
its body is complete. Some relays do worse: they hang up while the body is still
arriving, answer with a line that is not SMTP, fall silent after the greeting or
offer STARTTLS and then do not speak TLS. ``RawServer`` runs a small scripted SMTP
conversation in its own thread, so a test can make any one step go wrong.
"""

from __future__ import annotations

import asyncio
import collections
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

# A reply that is not sent at all: the server stays silent and keeps the connection open.
SILENCE = "<silence>"
# A reply that is not sent: the server closes the connection instead. After a reply
# ("421 4.3.2 bye" + HANG_UP) the server sends the reply, then closes.
HANG_UP = "<hang up>"


@dataclass
class Script:
    """What the server answers; each field is a reply line or SILENCE / HANG_UP."""

    greeting: str = "220 raw.example ESMTP"
    ehlo: list[str] = field(default_factory=lambda: ["raw.example", "8BITMIME", "SIZE 10485760"])
    ehlo_reply: str = ""  # when set, the whole answer to EHLO instead of the lines above
    pipelining: bool = False  # offer PIPELINING (RFC 2920) after the EHLO lines above
    mail: str = "250 2.1.0 OK"
    rcpt: str = "250 2.1.5 OK"
    data: str = "354 go ahead"
    starttls: str = "220 2.0.0 ready to start TLS"
    # Hang up after 512 bytes of the body of these DATA commands (1-based).
    drop_in_body: set[int] = field(default_factory=set)
    # The reply to the end of message number n (1-based), given n.
    end_of_data: Callable[[int], str] = lambda n: "250 2.0.0 queued"
    # Seconds of silence before that reply, given n.
    end_of_data_delay: Callable[[int], float] = lambda n: 0.0


class RawServer:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.lock = threading.Lock()
        self.accepted: list[str] = []  # recipient of each message answered with 2xx
        # Recipient of each message the server read to its end mark and did not refuse: the
        # accepted ones and those left unanswered (a hang-up or silence after the end mark),
        # which a real relay would deliver too.
        self.kept: list[str] = []
        self.messages = 0  # ends of DATA seen
        self.data_commands = 0
        self.mail_commands = 0
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.host = "127.0.0.1"
        self.port = 0

    def start(self) -> None:
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self.host, 0), self.loop
        ).result(10)
        self.port = int(self.server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def shut() -> None:
            assert self.server is not None
            self.server.close()
            for writer in list(self.writers):
                writer.transport.abort()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def per_recipient(self) -> collections.Counter[str]:
        with self.lock:
            return collections.Counter(self.accepted)

    def kept_per_recipient(self) -> collections.Counter[str]:
        with self.lock:
            return collections.Counter(self.kept)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self.lock:
            self.connections += 1
        self.writers.add(writer)
        try:
            await self._converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.discard(writer)
            writer.transport.abort()

    async def _answer(self, writer: asyncio.StreamWriter, reply: str) -> bool:
        """Send ``reply``; False when the conversation is over for this connection."""
        if reply == SILENCE:
            await asyncio.sleep(3600)
            return False
        closing = reply.endswith(HANG_UP)
        reply = reply.removesuffix(HANG_UP)
        if reply:
            writer.write(reply.encode("utf-8") + b"\r\n")
            await writer.drain()
        return not closing

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script = self.script
        if not await self._answer(writer, script.greeting):
            return
        recipient = ""
        while True:
            line = await reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                lines = [*script.ehlo, "PIPELINING"] if script.pipelining else script.ehlo
                text = "".join(
                    f"250{'-' if i < len(lines) - 1 else ' '}{item}\r\n" for i, item in enumerate(lines)
                )
                reply = script.ehlo_reply or text.removesuffix("\r\n")
            elif verb == b"STAR":
                reply = script.starttls
                if not await self._answer(writer, reply):
                    return
                # No TLS here: whatever the client sends as its handshake gets plain text back.
                await reader.read(1)
                writer.write(b"this is not TLS\r\n")
                await writer.drain()
                return
            elif verb == b"MAIL":
                with self.lock:
                    self.mail_commands += 1
                reply = script.mail
            elif verb == b"RCPT":
                recipient = line[9:].strip().strip(b"<>").decode("utf-8", "replace").lower()
                reply = script.rcpt
            elif verb == b"DATA":
                with self.lock:
                    self.data_commands += 1
                    drop = self.data_commands in script.drop_in_body
                if not await self._answer(writer, script.data):
                    return
                if not script.data.startswith("354"):
                    continue
                if not await self._read_body(reader, 512 if drop else None):
                    return
                with self.lock:
                    self.messages += 1
                    number = self.messages
                reply = script.end_of_data(number)
                if re.match(r"2[0-9][0-9]( |$)", reply):  # a well-formed acceptance
                    with self.lock:
                        self.accepted.append(recipient)
                if not re.match(r"[45][0-9][0-9]", reply):
                    with self.lock:
                        self.kept.append(recipient)
                await asyncio.sleep(script.end_of_data_delay(number))
            elif verb == b"RSET":
                reply = "250 2.0.0 OK"
            elif verb == b"QUIT":
                await self._answer(writer, "221 2.0.0 bye")
                return
            else:
                reply = "502 5.5.2 unknown command"
            if not await self._answer(writer, reply):
                return

    async def _read_body(self, reader: asyncio.StreamReader, limit: int | None) -> bool:
        """Read the message up to its end mark; False when it hangs up after ``limit`` bytes."""
        read = 0
        while True:
            line = await reader.readline()
            if not line:
                return False
            read += len(line)
            if limit is not None and read >= limit:
                return False
            if line == b".\r\n":
                return True
