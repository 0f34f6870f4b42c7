"""Provider webhooks: POST /webhooks/ses, /postmark, /mailgun and /sendgrid, each checked by its own secret.

A request not proven to come from its provider (unsigned, forged, too old, replayed, or for a
provider not configured) is answered 403 and changes nothing. A proven one becomes
DeliveryEvents, each applied by the bounce rules under the provider's own event id, so the
same event delivered twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..bounces.events import DeliveryEvent
from ..bounces.rules import RuleSettings, apply_event
from ..bounces.webhooks import Refused, Unreadable, mailgun, postmark, sendgrid, ses, sns
from ..store import Store
from .security import STRICT_CSP, security_headers
from .state import WebState, web_state

log = logging.getLogger("bulletin.web")


# A reader checks the request's proof and reads its events; or it answers a message that
# reports none (an SNS subscription confirmed) with a word of its own.
Reader = Callable[[Request, WebState, bytes], Awaitable[list[DeliveryEvent] | str]]


async def read_ses(request: Request, state: WebState, body: bytes) -> list[DeliveryEvent] | str:
    guards = state.webhooks
    # Fetching a certificate (or visiting a SubscribeURL) blocks: off the event loop.
    message = await run_in_threadpool(
        sns.verified_message, body, state.config.webhooks.ses, guards.certificates, dt.datetime.now(dt.UTC)
    )
    if message.type == sns.SUBSCRIPTION_CONFIRMATION:
        await run_in_threadpool(guards.certificates.visit, message.subscribe_url or "")
        log.info("SES webhook: subscribed to %s", message.topic_arn)
        return "subscribed"
    if message.type == sns.UNSUBSCRIBE_CONFIRMATION:
        log.warning("SES webhook: %s unsubscribed this endpoint", message.topic_arn)
        return "ok"
    return ses.ses_events(message)


async def read_postmark(request: Request, state: WebState, body: bytes) -> list[DeliveryEvent] | str:
    settings = state.config.webhooks
    password = settings.secret(settings.postmark.password_env)
    postmark.check_basic_auth(request.headers.get("authorization"), settings.postmark.username, password)
    return postmark.postmark_events(body)


async def read_mailgun(request: Request, state: WebState, body: bytes) -> list[DeliveryEvent] | str:
    settings = state.config.webhooks
    key = settings.secret(settings.mailgun.signing_key_env)
    payload = mailgun.verified_payload(body, key, settings.mailgun.max_age, state.webhooks.mailgun_tokens)
    return mailgun.mailgun_events(payload)


async def read_sendgrid(request: Request, state: WebState, body: bytes) -> list[DeliveryEvent] | str:
    settings = state.config.webhooks
    sendgrid.check_signature(
        body,
        request.headers.get(sendgrid.SIGNATURE_HEADER),
        request.headers.get(sendgrid.TIMESTAMP_HEADER),
        sendgrid.public_key(settings.secret(settings.sendgrid.public_key_env)),
        settings.sendgrid.max_age,
        state.webhooks.sendgrid_signatures,
    )
    return sendgrid.sendgrid_events(body)


async def webhook(provider: str, read: Reader, request: Request) -> Response:
    """One provider's endpoint: 403 unless proven, 400 unless readable, else its events applied."""
    state = web_state(request)
    try:
        read_out = await read(request, state, await request.body())
    except Refused as exc:
        # The reason is for the operator's log; the caller learns nothing from the answer.
        log.warning("%s webhook refused: %s", provider, exc)
        return _answer("Forbidden", 403)
    except Unreadable as exc:
        log.warning("%s webhook not understood: %s", provider, exc)
        return _answer("Bad Request", 400)
    if isinstance(read_out, str):
        return _answer(read_out)
    await state.store.run(_apply_events, state.webhooks.rules, read_out, dt.datetime.now(dt.UTC))
    return _answer("ok")


WEBHOOK_ROUTES = [
    Route(f"/webhooks/{provider}", functools.partial(webhook, provider, read), methods=["POST"])
    for provider, read in (
        ("ses", read_ses),
        ("postmark", read_postmark),
        ("mailgun", read_mailgun),
        ("sendgrid", read_sendgrid),
    )
]


def _apply_events(
    store: Store, rules: RuleSettings, events: Sequence[DeliveryEvent], now: dt.datetime
) -> None:
    for event in events:
        outcome = apply_event(store, event, rules, now)
        log.info("webhook event: %s", outcome.describe())


def _answer(text: str, status: int = 200) -> Response:
    return PlainTextResponse(text, status_code=status, headers=security_headers(STRICT_CSP))
