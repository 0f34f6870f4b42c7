"""`bulletin serve`: one-click unsubscribe, double opt-in, digest archive and feeds over HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from collections import deque
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..config import Config
from ..errors import SubscriberError
from ..feeds.feed_files import ARCHIVE_DIR
from ..i18n import texts
from ..mail.digest import template_environment
from ..store import Subscriber, open_store
from ..subscribers import clean_name, normalise_address
from ..tokens import CONFIRM, UNSUBSCRIBE, TokenSigner
from .confirmation import send_confirmation
from .digest_archive import index_html, public_html

FEED_TYPES = {
    "feed.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
# A Grav collection page's feeds, where Grav's feed plugin serves them: /blog.rss, /blog.atom, /blog.json.
ROUTE_FEED_TYPES = {
    ".rss": FEED_TYPES["feed.xml"],
    ".atom": FEED_TYPES["atom.xml"],
    ".json": FEED_TYPES["feed.json"],
}
# RFC 5005 archive pages (feed_files.archive_paths): feed-archive/rss-N.xml, atom-N.xml.
_ARCHIVE_PAGE = re.compile(r"(rss|atom)-[0-9]+\.xml")


def feed_media_type(path: Path) -> str | None:
    """The media type of a feed file bulletin writes, or None for any other file."""
    if path.name in FEED_TYPES:
        return FEED_TYPES[path.name]
    if path.suffix in ROUTE_FEED_TYPES and path.stem:
        return ROUTE_FEED_TYPES[path.suffix]
    if path.parent.name == ARCHIVE_DIR and (match := _ARCHIVE_PAGE.fullmatch(path.name)):
        return FEED_TYPES["feed.xml" if match.group(1) == "rss" else "atom.xml"]
    return None


CSRF_COOKIE = "bulletin_csrf"
ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
URLENCODED = "application/x-www-form-urlencoded"
CONFIRMATION_INTERVAL = dt.timedelta(minutes=10)
SUBSCRIBE_LIMIT = 5  # sign-up requests per client address ...
SUBSCRIBE_WINDOW = 600.0  # ... per this many seconds
# Pages load nothing but their own stylesheet and post nothing but to themselves.
STRICT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Archived digests carry the inline styles mail clients need; nothing else is allowed.
ARCHIVE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class SlidingWindowLimiter:
    """At most ``limit`` events per key within ``window`` seconds (kept in memory)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        events = self.events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self.events) > 10_000:  # forget idle clients so memory stays bounded
            for stale in [k for k, v in self.events.items() if not v or v[-1] <= now - self.window]:
                del self.events[stale]
        return True


class FeedFiles:
    """Serves feed files with ETag/Last-Modified, reading each file only when it changes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.cache: dict[Path, tuple[int, int, bytes, str]] = {}
        # Request path -> the feed file it resolved to. resolve() (a realpath walk)
        # was a tenth of the server's time under load; only paths that resolved to a
        # feed inside the root are kept, and only a bounded number of spellings.
        self.resolved: dict[str, Path] = {}

    def load(self, relative: str) -> tuple[bytes, str, float] | None:
        path = self.resolved.get(relative)
        if path is None:
            try:
                path = (self.root / relative).resolve()
            except (OSError, ValueError):  # a NUL byte, a name too long
                return None
            if not path.is_relative_to(self.root) or feed_media_type(path) is None:
                return None
            if len(self.resolved) < 1024:
                self.resolved[relative] = path
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        cached = self.cache.get(path)
        if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            cached = (stat.st_mtime_ns, stat.st_size, data, etag)
            self.cache[path] = cached
        return cached[2], cached[3], stat.st_mtime


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            return int(mtime) <= parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def create_app(config: Config, signer: TokenSigner | None = None) -> Starlette:
    signer = signer or TokenSigner.from_env(config.digest.secret_env)
    env = template_environment(config)
    t = texts(config.site.language)
    store = open_store(config)
    feeds = FeedFiles(config.feeds.output_dir)
    limiter = SlidingWindowLimiter(SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW)
    secure_cookie = config.web.url.startswith("https://")

    def page(name: str, status: int = 200, csp: str = STRICT_CSP, **context: Any) -> HTMLResponse:
        html = env.get_template(f"web/{name}").render(site=config.site, t=t, **context)
        return HTMLResponse(html, status_code=status, headers=_security_headers(csp))

    rendered_messages: dict[tuple[str, str], str] = {}

    def message_page(title: str, text: str, status: int = 200) -> HTMLResponse:
        # A handful of fixed pages, rendered once: the one-click answer is the hot path.
        html = rendered_messages.get((title, text))
        if html is None:
            html = env.get_template("web/message.html.j2").render(
                site=config.site, t=t, title=t[title], text=t[text]
            )
            rendered_messages[(title, text)] = html
        return HTMLResponse(html, status_code=status, headers=_security_headers(STRICT_CSP))

    def not_found() -> HTMLResponse:
        return message_page("not_found_title", "not_found_text", 404)

    def with_csrf(response: HTMLResponse, nonce: str) -> HTMLResponse:
        response.set_cookie(
            CSRF_COOKIE, nonce, max_age=7200, httponly=True, samesite="strict", secure=secure_cookie, path="/"
        )
        return response

    def form_page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page with a form: a fresh CSRF pair, the nonce in a cookie and its MAC in the form."""
        nonce = secrets.token_urlsafe(16)
        return with_csrf(page(name, status, csrf=signer.mac("csrf:" + nonce), **context), nonce)

    def action_page(action: str) -> HTMLResponse:
        """The one-button page of an unsubscribe or confirm link (texts ``<action>_*``)."""
        return form_page(
            "action.html.j2",
            title=t[f"{action}_title"],
            question=t[f"{action}_question"],
            button=t[f"{action}_button"],
        )

    def token_subscriber(purpose: str, request: Request) -> Subscriber | None:
        """The subscriber the URL's token was made for, or None for any bad token."""
        subscriber_id = signer.check(purpose, request.path_params["token"])
        return store.subscriber(id=subscriber_id) if subscriber_id is not None else None

    def csrf_ok(request: Request, form: Any) -> bool:
        nonce = request.cookies.get(CSRF_COOKIE)
        sent = form.get("csrf")
        if not nonce or not isinstance(sent, str):
            return False
        return secrets.compare_digest(signer.mac("csrf:" + nonce), sent)

    async def health(request: Request) -> Response:
        store.ping()
        return JSONResponse({"status": "ok"}, headers=_security_headers(STRICT_CSP))

    async def unsubscribe(request: Request) -> Response:
        subscriber = token_subscriber(UNSUBSCRIBE, request)
        if subscriber is None:
            return not_found()
        if request.method == "GET":
            # Mail scanners follow links: a GET only shows the button.
            return action_page("unsubscribe")
        # RFC 8058: the mail provider POSTs exactly this body, without cookies; the
        # token in the URL is the proof. A browser form must also pass the CSRF check.
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        one_click = body == ONE_CLICK_BODY and content_type.startswith(URLENCODED)
        if not one_click:  # the exact body skips the form parser; anything else takes it
            form = await request.form()
            one_click = form.get("List-Unsubscribe") == "One-Click"
            if not one_click and not csrf_ok(request, form):
                return message_page("forbidden_title", "forbidden_text", 403)
        if subscriber.status != "unsubscribed":
            store.set_subscriber_status(subscriber.id, "unsubscribed")
        return message_page("unsubscribed_title", "unsubscribed_text")

    async def subscribe(request: Request) -> Response:
        if request.method == "GET":
            return form_page("subscribe.html.j2")
        form = await request.form()
        if not csrf_ok(request, form):
            return message_page("forbidden_title", "forbidden_text", 403)
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(client):
            return message_page("too_many_title", "too_many_text", 429)
        email_text, name = form.get("email"), form.get("name")
        if form.get("website"):
            # The honeypot field is hidden from people; only a bot fills it in.
            return message_page("subscribe_sent_title", "subscribe_sent_text")
        try:
            email = normalise_address(email_text if isinstance(email_text, str) else "")
        except SubscriberError:
            return form_page(
                "subscribe.html.j2",
                400,
                error=t["subscribe_invalid"],
                email=email_text if isinstance(email_text, str) else "",
            )
        now = dt.datetime.now(dt.UTC)
        subscriber = store.request_subscription(
            email, clean_name(name if isinstance(name, str) else None), now
        )
        task = None
        if subscriber.status != "active" and store.claim_confirmation_slot(
            subscriber.id, now, CONFIRMATION_INTERVAL
        ):
            url = f"{config.web.url}/confirm/{signer.make(CONFIRM, subscriber.id)}"
            # Written and sent after the response: the answer takes the same time
            # whether the address was new, pending or active, so it reveals nothing.
            task = BackgroundTask(send_confirmation, config, env, email, subscriber.name, url)
        response = message_page("subscribe_sent_title", "subscribe_sent_text")
        response.background = task
        return response

    async def confirm(request: Request) -> Response:
        subscriber = token_subscriber(CONFIRM, request)
        # A confirm link only ever turns 'pending' into 'active' (a second click on it
        # is harmless); for an unsubscribed or bounced address it is dead, and a new
        # sign-up sends a new one.
        if subscriber is None or subscriber.status not in ("pending", "active"):
            return not_found()
        if request.method == "GET":
            return action_page("confirm")
        form = await request.form()
        if not csrf_ok(request, form):
            return message_page("forbidden_title", "forbidden_text", 403)
        if not store.confirm_subscriber(subscriber.id) and subscriber.status != "active":
            return not_found()  # unsubscribed between the page and the click
        return message_page("confirmed_title", "confirmed_text")

    async def archive_index(request: Request) -> Response:
        html = index_html(config, env, store)
        return HTMLResponse(html, headers=_security_headers(STRICT_CSP))

    async def archive_digest(request: Request) -> Response:
        number = request.path_params["number"]
        # SQLite integers stop at 2**63 - 1; a longer number names no digest.
        record = store.digest(number) if number < 2**63 else None
        if record is None:
            return not_found()
        return HTMLResponse(public_html(record), headers=_security_headers(ARCHIVE_CSP))

    async def stylesheet(request: Request) -> Response:
        css = env.get_template("web/bulletin.css").render()
        return Response(css, media_type="text/css", headers=_security_headers(STRICT_CSP))

    async def feed(request: Request) -> Response:
        found = feeds.load(request.path_params["path"])
        if found is None:
            return not_found()
        data, etag, mtime = found
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
            "Cache-Control": "public, max-age=300",
            **_security_headers(STRICT_CSP),
        }
        if _not_modified(request, etag, mtime):
            return Response(status_code=304, headers=headers)
        return Response(data, headers=headers, media_type=feed_media_type(Path(request.path_params["path"])))

    routes = [
        Route("/health", health),
        Route("/subscribe", subscribe, methods=["GET", "POST"]),
        Route("/confirm/{token}", confirm, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
        Route("/archive/", archive_index),
        Route("/archive/{number:int}", archive_digest),
        Route("/archive/{number:int}/", archive_digest),
        Route("/static/bulletin.css", stylesheet),
        Route("/{path:path}", feed),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own answers (405 and the like) get the same headers as every page.
        assert isinstance(exc, HTTPException)
        headers = {**(exc.headers or {}), **_security_headers(STRICT_CSP)}
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(
            "Internal Server Error", status_code=500, headers=_security_headers(STRICT_CSP)
        )

    handlers = {HTTPException: http_error, 500: server_error}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.store = store
    return app


def _security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # Unsubscribe and confirm URLs carry tokens: never leak them to another site.
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def serve(config: Config, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    app = create_app(config)
    # Behind a reverse proxy on the same machine, X-Forwarded-For names the client
    # (the rate limit needs it); from anywhere else it is ignored.
    uvicorn.run(
        app,
        host=host or config.web.host,
        port=port or config.web.port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
    )
