"""The `bulletin` command: thin click wrappers over the library's plain functions."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_common import clean_errors, config_option
from .cli_store import store_group
from .config import Config, load_config
from .errors import SubscriberError

now_option = click.option(
    "--now",
    "now_text",
    metavar="ISO-8601",
    help="Pretend it is this moment (local time in site.timezone unless an offset is given).",
)


def resolve_now(config: Config, now_text: str | None) -> dt.datetime:
    if now_text is None:
        return dt.datetime.now(config.site.timezone)
    try:
        moment = dt.datetime.fromisoformat(now_text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date: {now_text!r}", param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=config.site.timezone)


@click.group()
@click.version_option(__version__, prog_name="bulletin")
@click.option("-v", "--verbose", is_flag=True, help="Log each step (and each delivery) to standard error.")
def main(verbose: bool) -> None:
    """Publish a folder of Grav-style Markdown posts as feeds and email digests."""
    configure_logging(verbose)


def configure_logging(verbose: bool) -> None:
    """bulletin's own log lines go to standard error: warnings always, all with --verbose."""
    logger = logging.getLogger("bulletin")
    for handler in [h for h in logger.handlers if getattr(h, "bulletin_cli", False)]:
        logger.removeHandler(handler)  # a second invocation in one process (tests)
    handler = logging.StreamHandler(sys.stderr)
    handler.bulletin_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command()
@config_option
@now_option
@click.option("--no-cache", is_flag=True, help="Read every post again instead of using the build cache.")
@clean_errors
def build(config_path: str, now_text: str | None, no_cache: bool) -> None:
    """Write RSS, Atom and JSON feeds of the posts visible now."""
    from .feeds.build import build as build_feeds

    config = load_config(config_path)
    result = build_feeds(config, resolve_now(config, now_text), use_cache=not no_cache)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Built feeds with {result.items} posts ({result.visible} visible of {result.total})"
        f" in {config.feeds.output_dir}"
        + (f", and {result.archive_pages} archive pages" if result.archive_pages else "")
    )


def _progress_printer(config: Config) -> tuple[Any, Any]:
    """A rich progress bar on a terminal; a log line every few seconds otherwise."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        task = bar.add_task("Sending", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return bar, update

    last = [0.0]

    def log(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 5 or done == total:
            last[0] = now
            click.echo(f"sending: {done}/{total}", err=True)

    return contextlib.nullcontext(), log


@main.command()
@config_option
@now_option
@click.option("--dry-run", is_flag=True, help="Show who would get what; change nothing.")
@click.option(
    "--test",
    "test_address",
    metavar="ADDRESS",
    help="Send the next digest to this one address now, subject [TEST]; record nothing.",
)
@clean_errors
def send(config_path: str, now_text: str | None, dry_run: bool, test_address: str | None) -> None:
    """Send the digest of new posts to every active subscriber (cron-safe)."""
    from .mail import jobs as publish

    config = load_config(config_path)
    now = resolve_now(config, now_text)
    if dry_run:
        _print_plan(publish.plan(config, now), config)
        return
    if test_address:
        from .mail.drafts import send_test

        new_count = send_test(config, now, test_address)
        what = "the newest posts (nothing new)" if new_count is None else f"{new_count} new posts"
        click.echo(f"Sent a test digest with {what} to {test_address}; nothing was recorded.")
        return
    context, update = _progress_printer(config)
    with context:
        result = publish.send(config, now, on_progress=update)
    _report(result, config)


@main.command()
@config_option
@click.argument("digest_number", metavar="DIGEST", type=int)
@click.option("--failed", is_flag=True, help="Retry the deliveries that ended failed.")
@click.option("--pending", is_flag=True, help="Deliver the deliveries still pending now.")
@clean_errors
def resend(config_path: str, digest_number: int, failed: bool, pending: bool) -> None:
    """Retry one digest's failed or pending deliveries; sent ones are never repeated."""
    from .mail import jobs as publish

    if not (failed or pending):
        raise click.UsageError("say which deliveries to retry: --failed, --pending or both")
    config = load_config(config_path)
    statuses = tuple(s for s, on in (("failed", failed), ("pending", pending)) if on)
    context, update = _progress_printer(config)
    with context:
        result = publish.resend(config, digest_number, statuses, on_progress=update)
    _report(result, config)


def _report(result: Any, config: Config) -> None:
    if result.locked:
        click.echo("Another bulletin send holds the lock; nothing to do in this run.")
        return
    composed = result.composition
    for number, count in composed.digests:
        click.echo(f"Composed digest {number} with {count} posts.")
    if not composed.due and composed.next_due:
        click.echo(f"No digest due: the next one is due at {_local(composed.next_due, config)}.")
    if not composed.digests and result.total == 0:
        if composed.due:
            click.echo("No new posts and nothing pending: nothing sent.")
        return
    report = result.report
    rate = report.sent / result.elapsed if result.elapsed > 0 else 0.0
    click.echo(
        f"Sent {report.sent}, failed {report.failed}, bounced {report.bounced}, "
        f"pending {result.pending}; {result.elapsed:.1f} s, {rate:.0f} messages/s."
    )
    if report.aborted:
        click.echo(f"Error: delivery stopped: {report.aborted}", err=True)
    if not result.ok:
        sys.exit(1)


def _local(moment: dt.datetime, config: Config) -> str:
    return moment.astimezone(config.site.timezone).strftime("%Y-%m-%d %H:%M %Z")


def _print_plan(plan: Any, config: Config) -> None:
    if plan.next_due:
        when = "now" if plan.due else "not yet"
        click.echo(
            f"Schedule {config.digest.schedule.kind}: a digest is due {when}; "
            f"the next slot is {_local(plan.next_due, config)}."
        )
    if plan.new_posts:
        click.echo(f"Digest {plan.next_number} would hold {len(plan.new_posts)} posts:")
        for post in plan.new_posts:
            click.echo(f"  {post.date:%Y-%m-%d %H:%M} {post.title} <{post.url}>")
        click.echo(f"to {plan.recipients} active subscribers" + (":" if plan.recipients else "."))
        for address in plan.sample:
            click.echo(f"  {address}")
        if plan.recipients > len(plan.sample):
            click.echo(f"  ... and {plan.recipients - len(plan.sample)} more")
    else:
        click.echo("No new posts: no digest would be composed.")
    if plan.pending_earlier:
        click.echo(f"{plan.pending_earlier} deliveries of earlier digests are pending and would be retried.")


@main.command()
@config_option
@now_option
@click.option(
    "--out",
    "out_dir",
    default="preview",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for digest.html, digest.txt and digest.eml.",
)
@clean_errors
def preview(config_path: str, now_text: str | None, out_dir: str) -> None:
    """Write the next digest as .html, .txt and .eml files to look at."""
    from .mail.drafts import preview as write_preview

    config = load_config(config_path)
    files, new_count = write_preview(config, resolve_now(config, now_text), Path(out_dir))
    if new_count is None:
        click.echo("No new posts; previewing the newest visible posts instead.")
    for path in files:
        click.echo(str(path))


@main.command()
@config_option
@now_option
@click.option("--limit", default=10, show_default=True, help="How many recent digests to show.")
@clean_errors
def status(config_path: str, now_text: str | None, limit: int) -> None:
    """Show when the next digest is due, what it would hold, and the last digests."""
    from .mail.jobs import plan
    from .store import open_store, store_exists

    config = load_config(config_path)
    _print_plan(plan(config, resolve_now(config, now_text)), config)
    if not store_exists(config):
        click.echo("No digest sent yet (the store does not exist).")
        return
    with open_store(config) as store:
        click.echo(f"Subscribers: {store.count_subscribers('active')} active")
        digests = store.recent_digests(limit)
        if not digests:
            click.echo("No digest sent yet.")
        for digest in digests:
            counts = store.delivery_counts(digest.number)
            posts = store.digest_posts(digest.number)
            click.echo(
                f"Digest {digest.number} ({digest.created_at:%Y-%m-%d %H:%M} UTC, {len(posts)} posts): "
                f"sent {counts.sent}, pending {counts.pending}, failed {counts.failed}, "
                f"cancelled {counts.cancelled}"
            )
            for email, state, error in store.delivery_errors(digest.number, limit=5):
                click.echo(f"  {state} {email}: {error}")


@main.command()
@config_option
@click.argument("token")
@clean_errors
def unsubscribe(config_path: str, token: str) -> None:
    """Unsubscribe the subscriber named by an unsubscribe TOKEN."""
    from .store import open_store
    from .subscribers import unsubscribe as apply_unsubscribe
    from .tokens import TokenSigner

    config = load_config(config_path)
    signer = TokenSigner.from_env(config.digest.secret_env)
    with open_store(config) as store:
        subscriber = apply_unsubscribe(store, signer, token)
    click.echo(f"Unsubscribed {subscriber.email}.")


@main.group()
def subscribers() -> None:
    """Add, import, list, remove and export subscribers."""


@subscribers.command("add")
@config_option
@click.argument("email")
@click.option("--name", help="Display name, used in the To header and templates.")
@clean_errors
def subscribers_add(config_path: str, email: str, name: str | None) -> None:
    """Add one active subscriber."""
    from .store import open_store
    from .subscribers import add_subscriber

    config = load_config(config_path)
    with open_store(config) as store:
        address, added = add_subscriber(store, email, name)
    click.echo(f"Added {address}." if added else f"{address} is already present.")


@subscribers.command("import")
@config_option
@click.argument("csv_file", type=click.Path(dir_okay=False))
@clean_errors
def subscribers_import(config_path: str, csv_file: str) -> None:
    """Import subscribers from a CSV file with an email,name header."""
    from .store import open_store
    from .subscribers import import_csv

    config = load_config(config_path)
    with open_store(config) as store:
        report = import_csv(store, Path(csv_file))
    for line in report.lines:
        click.echo(line)
    click.echo(f"Added {report.added}, already present {report.present}, invalid {report.invalid}.")
    if report.invalid:
        sys.exit(1)


@subscribers.command("list")
@config_option
@click.option(
    "--status",
    "status_filter",
    type=click.Choice(["pending", "active", "unsubscribed", "bounced"]),
    help="Only subscribers with this status.",
)
@clean_errors
def subscribers_list(config_path: str, status_filter: str | None) -> None:
    """List subscribers: address, status, name."""
    from .store import open_store

    config = load_config(config_path)
    with open_store(config) as store:
        for sub in store.subscribers(status_filter):
            click.echo(f"{sub.email}\t{sub.status}\t{sub.name or ''}")


@subscribers.command("remove")
@config_option
@click.argument("email")
@clean_errors
def subscribers_remove(config_path: str, email: str) -> None:
    """Delete a subscriber and their delivery history."""
    from .store import open_store
    from .subscribers import normalise_address

    config = load_config(config_path)
    address = normalise_address(email)
    with open_store(config) as store:
        if not store.remove_subscriber(address):
            raise SubscriberError(f"no subscriber {address}")
    click.echo(f"Removed {address}.")


@subscribers.command("export")
@config_option
@clean_errors
def subscribers_export(config_path: str) -> None:
    """Write all subscribers as CSV to standard output (spreadsheet-safe)."""
    from .store import open_store
    from .subscribers import export_csv

    config = load_config(config_path)
    with open_store(config) as store:
        click.echo(export_csv(store.subscribers()), nl=False)


@main.command()
@config_option
@click.option("--host", help="Address to listen on (default: web.host).")
@click.option("--port", type=int, help="Port to listen on (default: web.port).")
@clean_errors
def serve(config_path: str, host: str | None, port: int | None) -> None:
    """Serve unsubscribe, subscribe/confirm, the digest archive and the feeds over HTTP."""
    from .web.server import serve as run_server

    config = load_config(config_path)
    run_server(config, host, port, announce=click.echo)


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@clean_errors
def init(folder: str) -> None:
    """Create a new site in FOLDER: config.yaml, templates/, content/, .gitignore."""
    from .scaffold import init_site

    files = init_site(Path(folder), dt.date.today())
    for path in files:
        click.echo(f"created {path}")
    click.echo("Next: bulletin build, then bulletin send --dry-run.")


@main.command()
@config_option
@now_option
@clean_errors
def check(config_path: str, now_text: str | None) -> None:
    """Validate config, templates and every post; report all problems; write nothing."""
    from .check import check_site

    now = None
    if now_text is not None:
        try:
            now = dt.datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 date: {now_text!r}", param_hint="--now") from None
    report = check_site(Path(config_path), now)
    for problem in report.errors:
        click.echo(f"Error: {problem}", err=True)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if click.get_current_context().find_root().params.get("verbose"):
        for line in report.details:
            click.echo(line)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


main.add_command(store_group)
