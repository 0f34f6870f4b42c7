"""Unsubscribe links: a page with one button (GET) and the unsubscribe itself (POST, RFC 8058 one-click)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..store import Store, Subscriber
from ..tokens import UNSUBSCRIBE, TokenSigner, claimed_id
from .pages import action_page, forbidden, not_found, subscriber_page
from .security import csrf_ok
from .state import WebState, token_row, token_subscriber, web_state

ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
URLENCODED = "application/x-www-form-urlencoded"


async def unsubscribe(request: Request) -> Response:
    state = web_state(request)
    token = request.path_params["token"]
    if request.method == "POST" and await _is_one_click(request):
        # The hot path (a mail provider's one-click), in one store call: it can only
        # answer 404 (no such subscriber) or done.
        well_formed = claimed_id(token) is not None
        found = await state.store.run(_unsubscribe, state.signer, token) if well_formed else None
        return unsubscribed(state, found) if found is not None else not_found(state)
    subscriber = await token_subscriber(state, UNSUBSCRIBE, token)
    if subscriber is None:
        return not_found(state)
    language = state.language(subscriber.language)
    if request.method == "GET":
        # Mail scanners follow links: a GET only shows the button.
        return action_page(state, "unsubscribe", subscriber, language)
    form = await request.form()
    if form.get("List-Unsubscribe") != "One-Click" and not csrf_ok(state.signer, request, form):
        return forbidden(state, language)
    await state.store.run(_unsubscribe, state.signer, token)
    return unsubscribed(state, subscriber)


def unsubscribed(state: WebState, subscriber: Subscriber) -> Response:
    """Done, in the subscriber's language, with the way back to the sign-up form in it."""
    language = state.language(subscriber.language)
    again = "/subscribe" if len(state.languages) < 2 else f"/{language}/subscribe"
    title, text = "unsubscribed_title", "unsubscribed_page_text"
    return subscriber_page(state, title, text, subscriber, (again, "subscribe_again"), language=language)


async def _is_one_click(request: Request) -> bool:
    """RFC 8058: the mail provider POSTs exactly this body, without cookies; the token
    in the URL is the proof. The exact body skips the form parser; anything else
    (a browser form, which must pass the CSRF check) takes it."""
    body = await request.body()
    return body == ONE_CLICK_BODY and request.headers.get("content-type", "").startswith(URLENCODED)


def _unsubscribe(store: Store, signer: TokenSigner, token: str) -> Subscriber | None:
    """Unsubscribe (once: a second time changes nothing); the token's subscriber, None for a
    bad token or a row gone."""
    subscriber = token_row(store, signer, UNSUBSCRIBE, token)
    if subscriber is not None and subscriber.status != "unsubscribed":
        store.set_subscriber_status(subscriber.id, "unsubscribed")
    return subscriber
