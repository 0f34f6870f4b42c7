"""The summary lines `send`, `resend`, `status` and `check` print, counts in proper plurals."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from .console import say, verbose
from .mail.interrupt import EXIT_STATUS as INTERRUPTED
from .plurals import count_of

if TYPE_CHECKING:
    from .config import Config


def local_time(moment: dt.datetime, config: Config) -> str:
    return moment.astimezone(config.site.timezone).strftime("%Y-%m-%d %H:%M %Z")


def print_composed(composed: Any, config: Config) -> None:
    """What composing did; printed before any delivery's progress line."""
    for number, count in composed.digests:
        say(f"Composed digest {number} with {count_of(count, 'post')}.")
    if not composed.due and composed.next_due:
        say(f"No digest due: the next one is due at {local_time(composed.next_due, config)}.")


NOTHING_SENT = "No new posts and nothing pending: nothing sent."


def print_idle(composed: Any, config: Config) -> None:
    """A send run that found nothing to do (mail.due.idle_run): what a full run would print."""
    print_composed(composed, config)
    if composed.due:
        say(NOTHING_SENT)


def print_sent(result: Any, config: Config) -> None:
    """The end of a send or resend run; exits 1 when anything failed or is left pending."""
    if result.locked:
        say("Another bulletin send holds the lock; nothing to do in this run.")
        return
    composed = result.composition
    if not composed.digests and result.total == 0 and result.pending == 0:
        if composed.due:
            say(NOTHING_SENT)
        return
    report = result.report
    rate = report.sent / result.elapsed if result.elapsed > 0 else 0.0
    say(
        f"Sent {report.sent}, failed {report.failed}, bounced {report.bounced}, "
        f"pending {result.pending}; {result.elapsed:.1f} s, {rate:.0f} messages/s."
    )
    if result.empty:
        say(f"Nothing for {count_of(result.empty, 'subscriber')}: no post in their language and topics.")
    if report.uncertain:
        say(
            f"Uncertain {report.uncertain}: the server hung up or fell silent after the whole message,"
            " so it may have arrived; each such message is sent once more at most (bulletin status)."
        )
    if result.unrecorded:
        where = "recorded with the space set aside" if result.unrecorded_kept else "noted beside the store"
        say(
            f"{result.unrecorded} accepted by the server while the store could not record them: {where};"
            " no run sends until the store can be written, then `bulletin send` goes on."
        )
    if result.interrupted:
        say(
            "Interrupted: the messages in flight were finished and recorded;"
            " run `bulletin send` again to continue."
        )
        sys.exit(INTERRUPTED)
    if report.aborted:
        say(f"Error: delivery stopped: {report.aborted}", err=True)
    if not result.ok:
        sys.exit(1)


def print_plan(plan: Any, config: Config) -> None:
    """When the next digest goes out and what it would hold (`send --dry-run`, `status`)."""
    schedule = config.digest.schedule.kind
    if plan.next_due:
        next_slot = local_time(plan.next_due, config)
        if plan.due:
            say(f"Schedule {schedule}: a digest is due now; the slot after it is {next_slot}.")
        elif plan.first_slot:
            say(
                f"Schedule {schedule}: the first digest waits for the next slot, {next_slot}"
                " (send --now-due sends one at once)."
            )
        else:
            say(f"Schedule {schedule}: no digest is due yet; the next slot is {next_slot}.")
    if plan.new_posts:
        say(f"Digest {plan.next_number} would hold {count_of(len(plan.new_posts), 'post')}:")
        for post in plan.new_posts:
            say(f"  {post.date:%Y-%m-%d %H:%M} {post.title} <{post.url}>")
        say(f"to {count_of(plan.recipients, 'active subscriber')}" + (":" if plan.recipients else "."))
        for address in plan.sample:
            say(f"  {address}")
        if plan.recipients > len(plan.sample):
            say(f"  ... and {plan.recipients - len(plan.sample)} more")
    else:
        say("No new posts: no digest would be composed.")
    if plan.pending_earlier:
        waiting = count_of(plan.pending_earlier, "delivery")
        verb = "is" if plan.pending_earlier == 1 else "are"
        say(f"{waiting} of earlier digests {verb} pending and would be retried.")


def print_check(report: Any, config_path: str) -> None:
    """`check`'s problems, then one summary line; exits 1 on any error."""
    for problem in report.errors:
        say(f"Error: {problem}", err=True)
    for warning in report.warnings:
        say(f"Warning: {warning}", err=True)
    if verbose():
        for line in report.details:
            say(line)
    say(report.summary(config_path))
    if report.errors:
        sys.exit(1)
