"""The confirmation mails sign-ups queue in the store, sent by a worker on a clock of its own.

A sign-up only queues (the same store work for a new, pending, active or
unsubscribed address); writing and sending the mail happens here, every
``web.send_confirmations_every`` seconds, never in the gap between a client's
request and its next one, where the time it takes would tell a prober that the
address was not subscribed yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from ..store import Store, Subscriber
from ..tokens import CONFIRM
from .confirmation import Confirmation, send_confirmation
from .state import WebState

log = logging.getLogger("bulletin.web")

BATCH = 100  # mails taken from the queue per look; the rest wait for the next


class ConfirmationSender:
    """Sends what the store has queued; ``run`` does so forever, ``send_queued`` once."""

    def __init__(self, state: WebState) -> None:
        self.state = state

    async def run(self) -> None:
        every = self.state.config.web.send_confirmations_every
        while True:
            await asyncio.sleep(every)
            try:
                await self.send_queued()
            except Exception as exc:  # a store locked too long, say: try again next time
                log.warning("confirmation mails not sent this time: %s", exc)

    async def send_queued(self) -> int:
        """Send every queued mail (a batch at a time); how many were taken off the queue."""
        taken = 0
        while queued := await self.state.store.run(_queued):
            for subscriber in queued:
                # Confirmed, unsubscribed or removed since signing up: nothing to confirm.
                if subscriber.status == "pending":
                    await self._send(subscriber)
                await self.state.store.run(_sent, subscriber.id)
            taken += len(queued)
        return taken

    async def _send(self, subscriber: Subscriber) -> None:
        state = self.state
        token = state.signer.make(CONFIRM, subscriber.id, subscriber.token_nonce)
        url = f"{state.config.web.url}/confirm/{token}"
        # In the language they chose when signing up.
        mail = Confirmation(subscriber.email, subscriber.name, url, state.language(subscriber.language))
        try:
            report = await send_confirmation(state.config, state.env, mail)
        except Exception as exc:  # the worker must outlive any one mail
            # As before the queue: a lost mail is fixed by signing up again.
            log.warning("confirmation mail for subscriber %d not sent: %s", subscriber.id, exc)
            return
        if report.sent == 0:
            log.warning(
                "confirmation mail for subscriber %d not sent: %s",
                subscriber.id,
                report.aborted or "refused",
            )


@contextlib.asynccontextmanager
async def sending_confirmations(state: WebState) -> AsyncIterator[ConfirmationSender]:
    """The sender running in the background for as long as the block lasts."""
    sender = ConfirmationSender(state)
    task = asyncio.create_task(sender.run(), name="bulletin-confirmations")
    try:
        yield sender
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _queued(store: Store) -> list[Subscriber]:
    return store.queued_confirmations(BATCH)


def _sent(store: Store, subscriber_id: int) -> None:
    store.confirmation_sent(subscriber_id)
