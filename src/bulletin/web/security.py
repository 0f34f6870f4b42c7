"""What every answer carries and every form needs: CSP headers, the CSRF pair, the sign-up limiter."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..feeds.feed_style import FEED_PAGE_STYLE_HASH
from ..limits import SlidingWindowLimiter
from ..tokens import TokenSigner

__all__ = ["SlidingWindowLimiter"]  # where the web app has always found it

CSRF_COOKIE = "bulletin_csrf"
CSRF_COOKIE_AGE = 7200  # seconds a form may stay open
# Pages load nothing but their own stylesheet and post nothing but to themselves.
STRICT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# A feed opened in a browser becomes a page through feeds/feed_style.py's XSLT stylesheet:
# Chromium loads a stylesheet of that kind under script-src (same origin only; nosniff keeps
# any other file from running as a script), and the page's one inline style is allowed by its hash.
FEED_CSP = STRICT_CSP.replace(
    "style-src 'self'", f"script-src 'self'; style-src 'self' {FEED_PAGE_STYLE_HASH}"
)
# Archived digests carry the inline styles mail clients need, and the pages' own stylesheet
# for the archive's bar; nothing else is allowed.
ARCHIVE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src https: http: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # Unsubscribe and confirm URLs carry tokens: never leak them to another site.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def new_csrf_pair(signer: TokenSigner) -> tuple[str, str]:
    """(nonce for the cookie, its MAC for the form): a POST must bring both back."""
    nonce = secrets.token_urlsafe(16)
    return nonce, signer.mac("csrf:" + nonce)


def set_csrf_cookie(response: Response, nonce: str, *, secure: bool) -> None:
    response.set_cookie(
        CSRF_COOKIE, nonce, max_age=CSRF_COOKIE_AGE, httponly=True, samesite="strict", secure=secure, path="/"
    )


def csrf_ok(signer: TokenSigner, request: Request, form: FormData) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf")
    if not nonce or not isinstance(sent, str):
        return False
    return secrets.compare_digest(signer.mac("csrf:" + nonce), sent)


@dataclass(frozen=True)
class SignupLimit:
    """At most ``limit`` sign-ups per client address within ``window`` seconds; the store keeps
    the count (``Store.allow_event``), so on PostgreSQL it holds across web processes and hosts."""

    limit: int
    window: float


async def http_error(request: Request, exc: Exception) -> Response:
    # Starlette's own answers (405 and the like) get the same headers as every page.
    assert isinstance(exc, HTTPException)
    headers = {**(exc.headers or {}), **security_headers(STRICT_CSP)}
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Internal Server Error", status_code=500, headers=security_headers(STRICT_CSP))
