"""The Starlette app of `bulletin serve`, assembled from its endpoint modules."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bounces.webhooks.guards import WebhookGuards
from ..config import Config
from ..i18n import texts
from ..preferences import site_languages
from ..store import Store, open_store
from ..templating import template_environment
from ..tokens import PREFERENCES_PATH, TokenSigner
from .archive_languages import ArchiveLanguage, archive_languages
from .archive_pages import archive_routes
from .body_limit import BodyLimit
from .client_address import ClientAddress, parse_networks
from .confirmation_queue import sending_confirmations
from .feed_cache import FeedFiles
from .feeds import feed
from .pages import stylesheet
from .preferences_page import preferences
from .security import STRICT_CSP, SignupLimit, http_error, security_headers, server_error
from .state import StoreAccess, WebState, web_state
from .subscribe import confirm, subscribe
from .unsubscribe import unsubscribe
from .webhooks import WEBHOOK_ROUTES

SUBSCRIBE_LIMIT = 5  # sign-up requests per client address ...
SUBSCRIBE_WINDOW = 600.0  # ... per this many seconds


async def health(request: Request) -> Response:
    kind = await web_state(request).store.run(_ping)
    # Which store this process uses: behind a load balancer, every process should say the same.
    return JSONResponse({"status": "ok", "store": kind}, headers=security_headers(STRICT_CSP))


def _ping(store: Store) -> str:
    store.ping()
    return store.kind


ROUTES = [
    Route("/health", health),
    Route("/subscribe", subscribe, methods=["GET", "POST"]),
    Route("/confirm/{token}", confirm, methods=["GET", "POST"]),
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
    Route(PREFERENCES_PATH, preferences, methods=["GET", "POST"]),
    Route("/static/bulletin.css", stylesheet),
    *WEBHOOK_ROUTES,
]
FEED_FILES = Route("/{path:path}", feed)  # last: everything else is a feed file or 404


def language_routes(languages: tuple[str, ...], archives: tuple[ArchiveLanguage, ...]) -> list[Route]:
    """The pages each language has at its own prefix (/kk/subscribe, /kk/archive/), and the archive."""
    routes = [Route(f"/{code}/subscribe", subscribe, methods=["GET", "POST"]) for code in languages]
    for archive in archives:
        routes += archive_routes(archive)
    return routes


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """While the app runs, queued confirmation mails go out; at shutdown the store closes."""
    state = app.state.web
    assert isinstance(state, WebState)
    async with sending_confirmations(state):
        yield
    state.store.close()


def serving_environment(config: Config) -> jinja2.Environment:
    """The templates, loaded once: jinja2 otherwise checks every template file's time on every
    page (a sixth of the server's CPU under load); a changed template needs a restart."""
    env = template_environment(config)
    env.auto_reload = False
    return env


def create_app(config: Config, signer: TokenSigner | None = None) -> Starlette:
    languages, archives = site_languages(config), archive_languages(config)
    app = Starlette(
        routes=[*ROUTES, *language_routes(languages, archives), FEED_FILES],
        middleware=[
            Middleware(ClientAddress, trusted=parse_networks(config.web.trusted_proxies)),
            Middleware(BodyLimit),
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
        lifespan=lifespan,
    )
    app.state.web = WebState(
        config=config,
        signer=signer or TokenSigner.from_config(config),
        env=serving_environment(config),
        texts=texts(languages[0]),
        store=StoreAccess(open_store(config)),
        feeds=FeedFiles(config.feeds.output_dir),
        limiter=SignupLimit(SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW),
        secure_cookie=config.web.url.startswith("https://"),
        languages=languages,
        archives=archives,
        webhooks=WebhookGuards.from_config(config),
    )
    return app
