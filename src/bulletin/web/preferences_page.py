"""The "manage preferences" link of every digest: the subscriber's language and topics, or leaving.

The token (purpose "preferences", HMAC like the unsubscribe link's) is the proof of who
asks; the form carries the CSRF pair like every other. Changes are stored at once and the
next digest follows them. Leaving goes through the unsubscribe page, whose one-click
(RFC 8058) path stays as it is.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..store import Store, Subscriber, Topic
from ..tokens import PREFERENCES, PREFERENCES_PATH, UNSUBSCRIBE
from .choices import Choice, choice_context, chosen, stored_language
from .pages import forbidden, form_page, not_found, sentence, subscriber_page
from .security import csrf_ok
from .state import WebState, token_subscriber, web_state

# Who may still change what they get: an unsubscribed or bounced address gets nothing to change.
CHANGEABLE = ("active", "pending")


async def preferences(request: Request) -> Response:
    state = web_state(request)
    token = request.query_params.get("token", "")
    subscriber = await token_subscriber(state, PREFERENCES, token)
    if subscriber is None or subscriber.status not in CHANGEABLE:
        return not_found(state)
    language = state.language(subscriber.language)  # theirs, else the site's default
    if request.method == "GET":
        return preferences_form(state, subscriber, token, Choice(language, subscriber.topics))
    form = await request.form()
    if not csrf_ok(state.signer, request, form):
        return forbidden(state, language)
    choice = chosen(state, form, language)
    await state.store.run(_save, subscriber.id, stored_language(state, choice), choice.topics)
    back = (preferences_path(token), "preferences_back")
    saved_title, saved_text = "preferences_saved_title", "preferences_saved_text"
    return subscriber_page(state, saved_title, saved_text, subscriber, back, language=choice.language)


def preferences_path(token: str) -> str:
    return f"{PREFERENCES_PATH}?token={quote(token, safe='.')}"


def preferences_form(state: WebState, subscriber: Subscriber, token: str, choice: Choice) -> Response:
    unsubscribe_token = state.signer.make(UNSUBSCRIBE, subscriber.id, subscriber.token_nonce)
    return form_page(
        state,
        "preferences.html.j2",
        language=choice.language,
        intro=sentence(state, "preferences_intro", subscriber, choice.language),
        action=preferences_path(token),
        unsubscribe_url=f"/unsubscribe/{unsubscribe_token}",
        **choice_context(state, choice),
    )


def _save(store: Store, subscriber_id: int, language: str | None, topics: frozenset[Topic]) -> None:
    store.set_subscriber_preferences(subscriber_id, language, topics)
