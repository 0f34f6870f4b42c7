"""`bulletin serve`'s HTTP connections: limits that keep slow or many clients from crowding out the rest.

uvicorn closes idle keep-alive connections, but waits for ever on a connection that
has sent part of a request, and takes every connection it is offered until the
process runs out of file descriptors: a few hundred clients dribbling headers a byte
at a time made every other request fail (issue 16). Its httptools protocol is
extended here with

* a deadline to send a whole request, head and body (``web.request_timeout``), from
  the first byte or from connecting: 408, then the connection is closed;
* a cap on the request head (``web.max_header_bytes``): 431;
* at most ``web.max_connections_per_client`` open connections from one address
  (not counting trusted proxies and 127.0.0.1, which speak for many), more are
  closed at once;
* at most ``web.max_connections`` in all, kept below the file descriptor limit.
"""

from __future__ import annotations

import asyncio
import resource
from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import WebConfig
from .client_address import Network, is_trusted

# File descriptors kept for everything but connections: the store, its WAL and lock,
# the listening socket, SMTP connections for confirmation mails, Python's own.
RESERVED_DESCRIPTORS = 64
LOCAL_HOST = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    per_client: int
    request_timeout: float
    max_head_bytes: int
    trusted: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls, web: WebConfig, trusted: tuple[Network, ...]) -> ConnectionLimits:
        return cls(
            max_connections=min(web.max_connections, descriptor_headroom()),
            per_client=web.max_connections_per_client,
            request_timeout=web.request_timeout,
            max_head_bytes=web.max_header_bytes,
            trusted=trusted,
        )


def descriptor_headroom() -> int:
    """How many connections the process can hold open: its descriptor limit less a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(soft - RESERVED_DESCRIPTORS, 16)


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits``, as a class for ``uvicorn.Config(http=...)``."""
    attributes = {"limits": limits, "open_per_client": Counter()}
    return type("GuardedHttpToolsProtocol", (GuardedProtocol,), attributes)


class GuardedProtocol(HttpToolsProtocol):
    limits: ClassVar[ConnectionLimits]
    open_per_client: ClassVar[Counter[str]]  # one server's connections by peer address

    _peer = ""
    _counted = False
    _receiving = False  # a request has begun (or the connection is new) and is not complete
    _head_bytes: int | None = 0  # bytes of the current request head so far; None once it is whole
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._peer = self.client[0] if self.client else ""
        crowded = len(self.connections) > self.limits.max_connections
        per_client = self.open_per_client[self._peer] >= self.limits.per_client
        if crowded or (per_client and not self._speaks_for_many()):
            transport.close()
            return
        self.open_per_client[self._peer] += 1
        self._counted = True
        self._start_request()

    def _speaks_for_many(self) -> bool:
        """A trusted proxy, or this machine (a reverse proxy not listed in web.trusted_proxies
        yet, a benchmark): its connections are not counted against one client's limit."""
        return self._peer in LOCAL_HOST or is_trusted(self._peer, self.limits.trusted)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self._counted = False
            self.open_per_client[self._peer] -= 1
            if self.open_per_client[self._peer] <= 0:
                del self.open_per_client[self._peer]
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        too_long = self._head_bytes is not None and self._head_bytes > self.limits.max_head_bytes
        if too_long and not self.transport.is_closing():
            self._refuse(b"431 Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._receiving:
            self._start_request()

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._receiving = False
        self._head_bytes = 0  # the next request's head starts here
        self._cancel_deadline()

    def _start_request(self) -> None:
        self._receiving = True
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self._receiving and not self.transport.is_closing():
            self._refuse(b"408 Request Timeout")

    def _refuse(self, status: bytes) -> None:
        """Answer ``status`` (no body) and close; only close if a response already began."""
        self._cancel_deadline()
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(b"HTTP/1.1 %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n" % status)
        self.transport.close()
