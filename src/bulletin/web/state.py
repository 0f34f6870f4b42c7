"""What the endpoints share, held on ``app.state``: config, signer, templates, the store, the limits."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

import jinja2
from starlette.requests import Request

from ..bounces.webhooks.guards import WebhookGuards
from ..config import Config
from ..i18n import texts
from ..store import Store, Subscriber
from ..tokens import TokenSigner, claimed_id
from .archive_languages import ArchiveLanguage
from .feed_cache import FeedFiles
from .security import SignupLimit

P = ParamSpec("P")
T = TypeVar("T")


class StoreAccess:
    """The app's store, called on a thread of its own so a slow or locked database (a
    `bulletin send` holding the write lock) never stalls the event loop.

    One thread, as datasette keeps one for writes: a store takes its calls one at a
    time anyway (the SQLite store is one connection behind a lock), and a pool of
    threads queueing on that lock cost twice the CPU per request under load.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulletin-store")

    async def run(self, call: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(store, *args, **kwargs)`` on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(call, self._store, *args, **kwargs))

    def close(self) -> None:
        """Finish the calls already queued, then close the store."""
        self._thread.shutdown(wait=True)
        self._store.close()


@dataclass(frozen=True)
class WebState:
    config: Config
    signer: TokenSigner
    env: jinja2.Environment
    texts: dict[str, str]  # the default language's; texts_in(language) for any other
    store: StoreAccess
    feeds: FeedFiles
    limiter: SignupLimit
    secure_cookie: bool  # web.url is https: the CSRF cookie is sent over https only
    webhooks: WebhookGuards  # what the provider webhooks remember between requests
    languages: tuple[str, ...] = ()  # the site's, the default first (preferences.site_languages)
    archives: tuple[ArchiveLanguage, ...] = ()  # /archive/, and /<lang>/archive/ on a multi-language site
    # The few fixed message pages, rendered once each per language: the one-click answer is the hot path.
    message_pages: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Archive index pages by (archive root, page, number of digests): digests are only ever
    # added, so a page changes only when their number does. Rendering one (50 dates) took 3 ms.
    archive_pages: dict[tuple[str, int, int], str] = field(default_factory=dict)

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else self.config.site.language

    def language(self, wanted: str | None) -> str:
        """``wanted`` if it is one of the site's languages, else the default."""
        return wanted if wanted in self.languages else self.default_language

    def texts_in(self, language: str | None) -> dict[str, str]:
        """The interface texts of a page in ``language`` (None: the default language)."""
        return self.texts if language is None else texts(self.language(language))


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


async def token_subscriber(state: WebState, purpose: str, token: str) -> Subscriber | None:
    """The subscriber a link's token was made for, or None for any bad token."""
    if claimed_id(token) is None:
        return None  # nothing to look up
    return await state.store.run(token_row, state.signer, purpose, token)


def token_row(store: Store, signer: TokenSigner, purpose: str, token: str) -> Subscriber | None:
    """The subscriber row ``token`` was made for (its id and nonce), or None."""
    return signer.find(purpose, token, lambda subscriber_id: store.subscriber(id=subscriber_id))
