"""Sign-up forms on the site's own pages (`bulletin embed`): posts from web.allowed_origins only.

A browser sends no SameSite=Strict cookie with a form posted from another site, so the
CSRF pair cannot work there; what stands in for it is the Origin header (else the
Referer), which a page cannot forge in a browser: only the listed sites' pages may post.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from ..config import Config
from ..config.origins import LANGUAGE_PLACEHOLDER, origin_of
from .security import STRICT_CSP, security_headers


def request_origin(request: Request) -> str | None:
    """The origin the request says it comes from: its Origin header, else its Referer's origin.

    "Origin: null" (a sandboxed page, a no-referrer policy) names no origin and stays None.
    """
    origin = request.headers.get("origin")
    if origin is not None:
        return origin_of(origin)
    referer = request.headers.get("referer")
    return origin_of(referer) if referer else None


def from_allowed_origin(config: Config, request: Request) -> bool:
    """Whether the request comes from a page of one of web.allowed_origins."""
    origin = request_origin(request)
    return origin is not None and origin in config.web.allowed_origins


def back_to_site(config: Config, language: str) -> RedirectResponse:
    """303 to web.after_subscribe (at an allowed origin, checked when the config was read)."""
    assert config.web.after_subscribe is not None  # required with allowed_origins
    url = config.web.after_subscribe.replace(LANGUAGE_PLACEHOLDER, language)
    return RedirectResponse(url, status_code=303, headers=security_headers(STRICT_CSP))
