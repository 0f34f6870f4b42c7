"""Issue 16 item 7: clients that send their requests a byte at a time do not crowd out the rest.

`bulletin serve` runs as a real process with its file descriptor limit lowered to 256
(as `ulimit -n` would), so a few hundred slow sockets are enough to exhaust it the way
1,050 exhausted the usual 1,024. They connect from 127.0.0.2 and dribble a request head;
normal requests come from 127.0.0.1 meanwhile and must all be answered.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .digest_site import DigestSite
from .test_browser import Server

SLOW_CLIENTS = 300
DESCRIPTORS = 256
HEAD = b"GET /health HTTP/1.1\r\nHost: bulletin.test\r\nUser-Agent: slow\r\nAccept: */*\r\n"


def lower_descriptor_limit() -> None:
    """Run in the server's process before it starts: `ulimit -n 256`."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, hard))


class Dribbler:
    """``count`` sockets from 127.0.0.2, each sending one more byte of a request head every
    ``pause`` seconds; notes when the server closed each one."""

    def __init__(self, port: int, count: int, pause: float) -> None:
        self.sockets: list[socket.socket] = []
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            self.sockets.append(sock)
        self.pause = pause
        self.closed_at: dict[int, float] = {}
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        sent = 0
        while not self.stop.is_set() and sent < len(HEAD):
            for n, sock in enumerate(self.sockets):
                if n in self.closed_at:
                    continue
                try:
                    sock.send(HEAD[sent : sent + 1])
                    if sock.recv(1024, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                        self.closed_at[n] = time.monotonic() - self.started
                except BlockingIOError:
                    pass  # nothing to read: still open
                except OSError:
                    self.closed_at[n] = time.monotonic() - self.started
            sent += 1
            self.stop.wait(self.pause)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def limited_server(site: DigestSite) -> Iterator[Server]:
    site.configure(web={"request_timeout": 3.0})
    server = Server(site, preexec_fn=lower_descriptor_limit)
    try:
        yield server
    finally:
        server.stop()


def test_normal_requests_are_answered_while_hundreds_of_clients_dribble_headers(
    limited_server: Server,
) -> None:
    dribbler = Dribbler(limited_server.port, SLOW_CLIENTS, pause=0.25)
    try:
        time.sleep(1.0)  # every slow socket connected and sending
        answered = []
        for _ in range(20):
            try:
                answered.append(httpx.get(limited_server.url + "/health", timeout=5).status_code)
            except httpx.TransportError as exc:
                answered.append(type(exc).__name__)
        # Past web.request_timeout (3 s), with room for a loaded machine to notice.
        time.sleep(max(0.0, 6.0 - (time.monotonic() - dribbler.started)))
        closed = dict(dribbler.closed_at)
    finally:
        dribbler.close()

    assert answered == [200] * 20
    # Those past the per-client limit were closed at once, the rest at the deadline:
    # none is still held open after web.request_timeout (3 s) with its head unfinished.
    assert len(closed) == SLOW_CLIENTS
    assert max(closed.values()) < 3.0 + 2.5


def test_a_request_head_over_the_limit_is_refused_with_431(limited_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", limited_server.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: bulletin.test\r\n")
        for _ in range(40):  # 40 KB of headers, never ended, against the default 16 KB
            try:
                sock.sendall(b"X-Padding: " + b"a" * 1000 + b"\r\n")
            except OSError:
                break  # closed by the server meanwhile
        answer = sock.recv(1024)
    assert answer.startswith(b"HTTP/1.1 431 "), answer
    assert httpx.get(limited_server.url + "/health", timeout=5).status_code == 200
