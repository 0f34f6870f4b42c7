"""Provider webhooks: POST /webhooks/ses, /postmark, /mailgun and /sendgrid, each checked by its own secret.

A request not proven to come from its provider (unsigned, forged, too old, replayed, or for a
provider not configured) is answered 403 and changes nothing. A proven one becomes
DeliveryEvents, each applied by the bounce rules under the provider's own event id, so the
same event delivered twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..bounces.events import DeliveryEvent
from ..bounces.rules import RuleSettings, apply_event
from ..bounces.webhooks import Refused, Unreadable, mailgun, postmark, sendgrid, ses, sns
from ..bounces.webhooks.certificates import CertificateFetcher
from ..bounces.webhooks.replay import RecentlySeen
from ..config import Config
from ..store import Store
from .security import STRICT_CSP, security_headers
from .state import web_state

log = logging.getLogger("bulletin.web")


@dataclass(frozen=True)
class WebhookGuards:
    """What the webhooks remember between requests: SNS certificates, tokens and signatures taken."""

    rules: RuleSettings
    certificates: CertificateFetcher
    mailgun_tokens: RecentlySeen
    sendgrid_signatures: RecentlySeen

    @classmethod
    def from_config(cls, config: Config) -> WebhookGuards:
        hooks = config.webhooks
        return cls(
            RuleSettings.from_config(config),
            CertificateFetcher(hooks.ses.certificate_hosts),
            RecentlySeen(hooks.mailgun.max_age * 2),  # a token is refused for its age after this
            RecentlySeen(hooks.sendgrid.max_age * 2),
        )


async def ses_webhook(request: Request) -> Response:
    state = web_state(request)
    body = await request.body()
    now = dt.datetime.now(dt.UTC)
    guards = state.webhooks
    try:
        # Fetching a certificate blocks: off the event loop.
        message = await run_in_threadpool(
            sns.verified_message, body, state.config.webhooks.ses, guards.certificates, now
        )
        if message.type == sns.SUBSCRIPTION_CONFIRMATION:
            await run_in_threadpool(guards.certificates.visit, message.subscribe_url or "")
            log.info("SES webhook: subscribed to %s", message.topic_arn)
            return _answer("subscribed")
        if message.type == sns.UNSUBSCRIBE_CONFIRMATION:
            log.warning("SES webhook: %s unsubscribed this endpoint", message.topic_arn)
            return _answer("ok")
        events = ses.ses_events(message)
    except Refused as exc:
        return _refused("ses", exc)
    except Unreadable as exc:
        return _unreadable("ses", exc)
    return await _record(request, events)


async def postmark_webhook(request: Request) -> Response:
    state = web_state(request)
    settings = state.config.webhooks
    try:
        postmark.check_basic_auth(
            request.headers.get("authorization"),
            settings.postmark.username,
            settings.secret(settings.postmark.password_env),
        )
        events = postmark.postmark_events(await request.body())
    except Refused as exc:
        return _refused("postmark", exc)
    except Unreadable as exc:
        return _unreadable("postmark", exc)
    return await _record(request, events)


async def mailgun_webhook(request: Request) -> Response:
    state = web_state(request)
    settings = state.config.webhooks
    try:
        payload = mailgun.verified_payload(
            await request.body(),
            settings.secret(settings.mailgun.signing_key_env),
            settings.mailgun.max_age,
            state.webhooks.mailgun_tokens,
        )
        events = mailgun.mailgun_events(payload)
    except Refused as exc:
        return _refused("mailgun", exc)
    except Unreadable as exc:
        return _unreadable("mailgun", exc)
    return await _record(request, events)


async def sendgrid_webhook(request: Request) -> Response:
    state = web_state(request)
    settings = state.config.webhooks
    body = await request.body()
    try:
        sendgrid.check_signature(
            body,
            request.headers.get(sendgrid.SIGNATURE_HEADER),
            request.headers.get(sendgrid.TIMESTAMP_HEADER),
            sendgrid.public_key(settings.secret(settings.sendgrid.public_key_env)),
            settings.sendgrid.max_age,
            state.webhooks.sendgrid_signatures,
        )
        events = sendgrid.sendgrid_events(body)
    except Refused as exc:
        return _refused("sendgrid", exc)
    except Unreadable as exc:
        return _unreadable("sendgrid", exc)
    return await _record(request, events)


WEBHOOK_ROUTES = [
    Route("/webhooks/ses", ses_webhook, methods=["POST"]),
    Route("/webhooks/postmark", postmark_webhook, methods=["POST"]),
    Route("/webhooks/mailgun", mailgun_webhook, methods=["POST"]),
    Route("/webhooks/sendgrid", sendgrid_webhook, methods=["POST"]),
]


async def _record(request: Request, events: Sequence[DeliveryEvent]) -> Response:
    state = web_state(request)
    await state.store.run(_apply_events, state.webhooks.rules, events, dt.datetime.now(dt.UTC))
    return _answer("ok")


def _apply_events(
    store: Store, rules: RuleSettings, events: Sequence[DeliveryEvent], now: dt.datetime
) -> None:
    for event in events:
        outcome = apply_event(store, event, rules, now)
        log.info("webhook event: %s", outcome.describe())


def _refused(provider: str, exc: Refused) -> Response:
    # The reason is for the operator's log; the caller learns nothing from the answer.
    log.warning("%s webhook refused: %s", provider, exc)
    return _answer("Forbidden", 403)


def _unreadable(provider: str, exc: Unreadable) -> Response:
    log.warning("%s webhook not understood: %s", provider, exc)
    return _answer("Bad Request", 400)


def _answer(text: str, status: int = 200) -> Response:
    return PlainTextResponse(text, status_code=status, headers=security_headers(STRICT_CSP))
