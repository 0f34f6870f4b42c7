"""Double opt-in: the sign-up form, the sign-up itself, and the link that confirms it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import SubscriberError
from ..store import Store, Topic
from ..subscribers import clean_name, normalise_address
from ..tokens import CONFIRM
from .choices import Choice, choice_context, chosen, stored_language
from .cross_origin import back_to_site, from_allowed_origin
from .languages import page_language
from .pages import action_page, forbidden, form_page, message_page, not_found, subscriber_page
from .security import csrf_ok
from .state import WebState, token_subscriber, web_state

CONFIRMATION_INTERVAL = dt.timedelta(minutes=10)  # at most one confirmation mail per address per this


async def subscribe(request: Request) -> Response:
    """The sign-up form (GET) and the sign-up (POST), from our own form or a page of an allowed origin."""
    state = web_state(request)
    language = page_language(state, request)
    if request.method == "GET":
        return subscribe_form(state, Choice(language))
    form = await request.form()
    choice = chosen(state, form, language)  # every answer speaks the language chosen in the form
    # Our own form proves itself with the CSRF pair; an embedded one (`bulletin embed`) on
    # a page of web.allowed_origins by its Origin, since no cookie of ours comes with it.
    embedded = not csrf_ok(state.signer, request, form)
    if embedded and not from_allowed_origin(state.config, request):
        return forbidden(state, choice.language)
    client = request.client.host if request.client else "unknown"
    limit = state.limiter
    if not await state.store.run(_allowed, client, limit.limit, limit.window):
        return message_page(state, "too_many_title", "too_many_text", 429, choice.language)
    if form.get("website"):
        # The honeypot field is hidden from people; only a bot fills it in.
        return signed_up(state, choice, embedded)
    email_text, name = form.get("email"), form.get("name")
    email_text = email_text if isinstance(email_text, str) else ""
    try:
        email = normalise_address(email_text)
    except SubscriberError:
        error = state.texts_in(choice.language)["subscribe_invalid"]
        return subscribe_form(state, choice, 400, error=error, email=email_text)
    name = clean_name(name if isinstance(name, str) else None)
    # One store call that does the same work for every address; a confirmation mail,
    # if due, is only queued (confirmation_queue sends it on a clock of its own).
    stored = stored_language(state, choice)
    await state.store.run(_sign_up, email, name, dt.datetime.now(dt.UTC), stored, choice.topics)
    return signed_up(state, choice, embedded)


def subscribe_form(state: WebState, choice: Choice, status: int = 200, **context: Any) -> Response:
    choices = choice_context(state, choice)
    return form_page(state, "subscribe.html.j2", status, language=choice.language, **choices, **context)


def signed_up(state: WebState, choice: Choice, embedded: bool) -> Response:
    """The same answer whatever the address: back to the site's page, or "check your inbox"."""
    if embedded:
        return back_to_site(state.config, choice.language)
    return message_page(state, "subscribe_sent_title", "subscribe_sent_text", language=choice.language)


def _allowed(store: Store, client: str, limit: int, window: float) -> bool:
    return store.allow_event(f"sign-up {client}", limit, window)


def _sign_up(
    store: Store,
    email: str,
    name: str | None,
    now: dt.datetime,
    language: str | None,
    topics: frozenset[Topic],
) -> None:
    store.sign_up(email, name, now, CONFIRMATION_INTERVAL, language=language, topics=topics)


async def confirm(request: Request) -> Response:
    state = web_state(request)
    subscriber = await token_subscriber(state, CONFIRM, request.path_params["token"])
    # A confirm link only ever turns 'pending' into 'active' (a second click on it
    # is harmless); for an unsubscribed or bounced address it is dead, and a new
    # sign-up sends a new one.
    if subscriber is None or subscriber.status not in ("pending", "active"):
        return not_found(state)
    language = state.language(subscriber.language)  # the language they signed up in
    if request.method == "GET":
        return action_page(state, "confirm", subscriber, language)
    form = await request.form()
    if not csrf_ok(state.signer, request, form):
        return forbidden(state, language)
    if not await state.store.run(_confirm, subscriber.id) and subscriber.status != "active":
        return not_found(state, language)  # unsubscribed between the page and the click
    return subscriber_page(state, "confirmed_title", "confirmed_page_text", subscriber, language=language)


def _confirm(store: Store, subscriber_id: int) -> bool:
    return store.confirm_subscriber(subscriber_id)
