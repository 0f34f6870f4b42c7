"""Double opt-in: the sign-up form, the sign-up itself, and the link that confirms it."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from ..errors import SubscriberError
from ..store import Store
from ..subscribers import clean_name, normalise_address
from ..tokens import CONFIRM
from .pages import action_page, forbidden, form_page, message_page, not_found, subscriber_page
from .security import csrf_ok
from .state import token_subscriber, web_state

CONFIRMATION_INTERVAL = dt.timedelta(minutes=10)  # at most one confirmation mail per address per this


async def subscribe(request: Request) -> Response:
    state = web_state(request)
    if request.method == "GET":
        return form_page(state, "subscribe.html.j2")
    form = await request.form()
    if not csrf_ok(state.signer, request, form):
        return forbidden(state)
    client = request.client.host if request.client else "unknown"
    if not state.limiter.allow(client):
        return message_page(state, "too_many_title", "too_many_text", 429)
    email_text, name = form.get("email"), form.get("name")
    if form.get("website"):
        # The honeypot field is hidden from people; only a bot fills it in.
        return message_page(state, "subscribe_sent_title", "subscribe_sent_text")
    email_text = email_text if isinstance(email_text, str) else ""
    try:
        email = normalise_address(email_text)
    except SubscriberError:
        return form_page(
            state, "subscribe.html.j2", 400, error=state.texts["subscribe_invalid"], email=email_text
        )
    name = clean_name(name if isinstance(name, str) else None)
    # One store call that does the same work for every address; a confirmation mail,
    # if due, is only queued (confirmation_queue sends it on a clock of its own).
    await state.store.run(_sign_up, email, name, dt.datetime.now(dt.UTC))
    return message_page(state, "subscribe_sent_title", "subscribe_sent_text")


def _sign_up(store: Store, email: str, name: str | None, now: dt.datetime) -> None:
    store.sign_up(email, name, now, CONFIRMATION_INTERVAL)


async def confirm(request: Request) -> Response:
    state = web_state(request)
    subscriber = await token_subscriber(state, CONFIRM, request.path_params["token"])
    # A confirm link only ever turns 'pending' into 'active' (a second click on it
    # is harmless); for an unsubscribed or bounced address it is dead, and a new
    # sign-up sends a new one.
    if subscriber is None or subscriber.status not in ("pending", "active"):
        return not_found(state)
    if request.method == "GET":
        return action_page(state, "confirm", subscriber)
    form = await request.form()
    if not csrf_ok(state.signer, request, form):
        return forbidden(state)
    if not await state.store.run(_confirm, subscriber.id) and subscriber.status != "active":
        return not_found(state)  # unsubscribed between the page and the click
    return subscriber_page(state, "confirmed_title", "confirmed_page_text", subscriber)


def _confirm(store: Store, subscriber_id: int) -> bool:
    return store.confirm_subscriber(subscriber_id)
