"""What a `bulletin send` has to do: the schedule's slot, the posts no digest holds yet, and
whether that, with the pending deliveries, adds up to nothing at all.

A cron job runs send every few minutes and nearly always finds nothing to do. Deciding that
needs the posts and a few store queries; composing and delivering need templates, Markdown,
SMTP and asyncio, whose imports alone cost more than the rest of such a run. So this module
imports none of them, and a run with nothing to do writes nothing either (not even the
store's write check): a build after it still finds the store as it left it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..site.language_posts import in_other_language
from ..store import LockHeld, Store, open_store, store_exists
from .language_start import other_languages_start

if TYPE_CHECKING:
    from ..config import Config
    from ..site.posts import Post

LAST_SLOT = "last_schedule_slot"  # meta key: the latest schedule slot already handled


@dataclass(frozen=True)
class Composed:
    digests: tuple[tuple[int, int], ...] = ()  # (digest number, number of posts)
    due: bool = True  # False: the schedule's next slot has not come yet
    next_due: dt.datetime | None = None  # for a periodic schedule


def digest_start(config: Config, store: Store) -> dt.datetime:
    return config.digest.start or store.created_at()


def select_new_posts(
    posts: Iterable[Post],
    now: dt.datetime,
    already_sent: set[str],
    start: dt.datetime,
    others_start: dt.datetime | None = None,
) -> list[Post]:
    """Visible posts that no digest has held yet and are not older than ``start``, oldest first;
    a post outside the site's default language not older than ``others_start`` either."""
    later = max(start, others_start) if others_start else start
    chosen = [
        post
        for post in posts
        if post.is_visible(now)
        and post.route not in already_sent
        and post.date >= (later if in_other_language(post) else start)
    ]
    chosen.sort(key=lambda post: (post.date, post.route))
    return chosen


def due_slot(
    config: Config, last_handled: str | None, now: dt.datetime, now_due: bool = False
) -> tuple[bool, dt.datetime | None, dt.datetime | None]:
    """(is a digest due, the slot to record as handled, the next slot) under digest.schedule.

    A schedule that has handled no slot yet was just set up: its first digest waits
    for the next slot, as Mailchimp's RSS campaigns do, instead of going out in the
    middle of the week it was set up in. Not due, the current slot is still returned,
    to be recorded as handled. ``now_due`` (`send --now-due`) makes a digest due now.
    """
    schedule = config.digest.schedule
    if not schedule.periodic:
        return True, None, None
    slot = schedule.latest_slot(now, config.site.timezone)
    next_due = schedule.next_slot(now, config.site.timezone)
    if now_due:
        return True, slot, next_due
    if last_handled is None:
        return False, slot, next_due
    if slot <= dt.datetime.fromisoformat(last_handled):
        return False, None, next_due
    return True, slot, next_due


def nothing_to_send(
    config: Config, store: Store, posts: list[Post], now: dt.datetime, now_due: bool = False
) -> Composed | None:
    """What composing would report when a run has nothing to compose, record or deliver;
    None when it has something (a digest, a schedule slot to record, a pending delivery)."""
    due, slot, next_due = due_slot(config, store.meta(LAST_SLOT), now, now_due)
    if slot is not None or store.count_pending():
        return None
    if due:
        start = digest_start(config, store)
        others = other_languages_start(store, start, now, record=False)
        new = select_new_posts(posts, now, store.digested_routes(), start, others)
        if len(new) >= config.digest.min_posts:
            return None
    return Composed(due=due, next_due=next_due)


def idle_run(config: Config, posts: list[Post], now: dt.datetime, now_due: bool = False) -> Composed | None:
    """nothing_to_send, asked holding the run lock; None also when there is no store yet or
    another run holds the lock (the full run creates the one and reports the other)."""
    if not store_exists(config):
        return None
    with open_store(config) as store:
        try:
            with store.run_lock():
                return nothing_to_send(config, store, posts, now, now_due)
        except LockHeld:
            return None
