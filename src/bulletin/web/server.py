"""`bulletin serve` as a process: the listening socket, the start-up lines, the access log."""

from __future__ import annotations

import errno
import logging
import re
import socket
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Config
from ..errors import BulletinError
from ..feeds.paths import ATOM_FILE, RSS_FILE
from .app import create_app
from .client_address import parse_networks
from .connections import ConnectionLimits, guarded_protocol

access_log = logging.getLogger("bulletin.web.access")

# Unsubscribe and confirm links carry a token that acts on the subscriber: it never
# reaches a log file. Everything after the action's name is replaced.
_TOKEN_PATH = re.compile(r"^(/(?:unsubscribe|confirm)/)[^/?]+")
# The preferences link carries its token in the query: /preferences?token=<token>.
_TOKEN_QUERY = re.compile(r"(?:^|(?<=&))(token=)[^&]*", re.I)
MASKED_TOKEN = "***"


def masked_path(path: str) -> str:
    """The request path as logged: ``/unsubscribe/<token>`` becomes ``/unsubscribe/***``."""
    return _TOKEN_PATH.sub(lambda match: match.group(1) + MASKED_TOKEN, path)


def masked_query(query: str) -> str:
    """The query string as logged: ``token=<token>`` becomes ``token=***``."""
    return _TOKEN_QUERY.sub(lambda match: match.group(1) + MASKED_TOKEN, query)


class AccessLog:
    """ASGI middleware: one log line per HTTP request (client, method, path, status, size, time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = {"status": 0, "size": 0}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["size"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            path = masked_path(scope["path"])
            query = masked_query(scope.get("query_string", b"").decode("latin-1"))
            access_log.info(
                '%s "%s %s%s" %s %d %.1f ms',
                client[0] if client else "-",
                scope["method"],
                path,
                f"?{query}" if query else "",
                answer["status"] or "-",
                answer["size"],
                (time.perf_counter() - started) * 1000,
            )


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or one clear error (a port in use is the common case)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise BulletinError(f"cannot listen on {host}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    # A restarted server may bind while the last one's connections sit in TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BulletinError(f"port {port} on {host} is in use") from None
        raise BulletinError(f"cannot listen on port {port} on {host}: {exc.strerror or exc}") from None
    return sock


def start_lines(config: Config, sock: socket.socket) -> list[str]:
    """What `bulletin serve` prints first: where it listens and where people find things."""
    host, port = sock.getsockname()[:2]
    local = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    lines = [f"Serving on {local}"]
    if config.web.url.rstrip("/") != local:
        lines.append(f"Public address (web.url): {config.web.url}")
    lines += [
        f"Feeds: {local}/{RSS_FILE} (RSS), {local}/{ATOM_FILE} (Atom), files from {config.feeds.output_dir}",
        f"Archive: {local}/archive/  Sign-up form: {local}/subscribe",
        "Press Ctrl-C to stop.",
    ]
    return lines


def serve(
    config: Config, host: str | None = None, port: int | None = None, announce: Callable[[str], None] = print
) -> None:
    import uvicorn

    host = host or config.web.host
    sock = listening_socket(host, config.web.port if port is None else port)
    app = create_app(config)
    for line in start_lines(config, sock):
        announce(line)
    limits = ConnectionLimits.from_config(config.web, parse_networks(config.web.trusted_proxies))
    # X-Forwarded-For is read by the app (client_address), from web.trusted_proxies
    # only; uvicorn's own reading, which trusts 127.0.0.1, stays off. Its access log is
    # off too: ours masks the tokens in unsubscribe and confirm links.
    server = uvicorn.Server(
        uvicorn.Config(
            AccessLog(app),
            proxy_headers=False,
            http=guarded_protocol(limits),
            limit_concurrency=limits.max_connections,
            timeout_keep_alive=config.web.keep_alive_timeout,
            log_level="warning",
            access_log=False,
        )
    )
    server.run(sockets=[sock])
