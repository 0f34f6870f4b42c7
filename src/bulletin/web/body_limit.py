"""A cap on request bodies, enforced before anything parses them."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .security import STRICT_CSP, security_headers

# The largest form bulletin takes is the sign-up: an address (at most 254 characters),
# a name (cut to 200), the CSRF token and the honeypot. Even all in Cyrillic and
# percent-encoded (6 bytes a letter) that is under 3 KB; the one-click body is 26 bytes.
MAX_BODY_BYTES = 8 * 1024
# Providers post larger bodies: an SNS message may be 256 KB, and SendGrid batches events.
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PREFIX = "/webhooks/"
TOO_LARGE = "Request body too large"


class BodyLimit:
    """ASGI middleware: 413 for any request body over ``limit`` bytes (``webhook_limit`` under /webhooks/).

    A declared Content-Length over the limit is answered at once, without reading a
    byte of the body (the connection is then closed, so the rest is never read
    either). A chunked body is counted as it arrives and refused the moment it passes
    the limit, so no parser ever holds more than ``limit`` bytes.
    """

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY_BYTES, webhook_limit: int = WEBHOOK_MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.limit = limit
        self.webhook_limit = webhook_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.webhook_limit if scope["path"].startswith(WEBHOOK_PREFIX) else self.limit
        declared, chunked = _body_headers(scope)
        if declared is not None and declared > limit:
            response = PlainTextResponse(TOO_LARGE, status_code=413, headers=_closing_headers())
            await response(scope, receive, send)
            return
        if not chunked:
            # The server delivers exactly Content-Length bytes (none without it).
            await self.app(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """(Content-Length if given, whether the body is chunked)."""
    declared: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            declared = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                # Raised inside the endpoint's read: Starlette answers it as any HTTP error.
                raise HTTPException(413, TOO_LARGE, headers={"Connection": "close"})
        return message

    return counted


def _closing_headers() -> dict[str, str]:
    return {"Connection": "close", **security_headers(STRICT_CSP)}
