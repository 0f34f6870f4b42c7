"""The `bulletin` command: thin click wrappers over the library's plain functions."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from . import __version__
from .cli_bounces import bounces
from .cli_common import (
    VERBOSE_HELP,
    BulletinGroup,
    clean_errors,
    config_option,
    now_option,
    read_config,
    resolve_now,
)
from .cli_store import store_group
from .cli_subscribers import subscribers, unsubscribe
from .console import configure_logging, progress_printer, say, use_timestamps
from .mail.interrupt import ctrl_c_stops_the_run
from .plurals import count_of
from .summaries import print_check, print_composed, print_idle, print_plan, print_sent


@click.group(cls=BulletinGroup)
@click.version_option(__version__, prog_name="bulletin")
@click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)
@click.option(
    "-t",
    "--timestamps",
    is_flag=True,
    help="Start every line printed with the local time (for cron logs).",
)
def main(verbose: bool, timestamps: bool) -> None:
    """Publish a folder of Grav-style Markdown posts as feeds and email digests."""
    use_timestamps(timestamps)
    configure_logging(verbose)


@main.command()
@config_option
@now_option
@click.option("--no-cache", is_flag=True, help="Read every post again instead of using the build cache.")
@clean_errors
def build(config_path: str, now_text: str | None, no_cache: bool) -> None:
    """Write RSS, Atom and JSON feeds of the posts visible now."""
    from .feeds.build import build as build_feeds

    config = read_config(config_path)
    result = build_feeds(config, resolve_now(config, now_text), use_cache=not no_cache)
    for warning in result.warnings:
        say(f"Warning: {warning}", err=True)
    say(
        f"Built feeds with {count_of(result.items, 'post')} ({result.visible} visible of {result.total})"
        f" in {config.feeds.output_dir}"
        + (f", and {count_of(result.archive_pages, 'archive page')}" if result.archive_pages else "")
    )


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
@click.option(
    "--now-due",
    is_flag=True,
    help="Compose a digest now, before digest.schedule's next slot (that slot then counts as done).",
)
@clean_errors
def send(
    config_path: str, now_text: str | None, dry_run: bool, test_address: str | None, now_due: bool
) -> None:
    """Send the digest of new posts to every active subscriber (cron-safe)."""
    config = read_config(config_path)
    now = resolve_now(config, now_text)
    if dry_run:
        from .mail import jobs as publish
        from .mail.preflight import send_refusals

        print_plan(publish.plan(config, now), config)
        refusals = send_refusals(config)
        for problem in refusals:
            say(f"Error: {problem}", err=True)
        if refusals:
            sys.exit(1)
        return
    if test_address:
        from .mail.drafts import send_test

        new_count = send_test(config, now, test_address)
        what = "the newest posts (nothing new)" if new_count is None else count_of(new_count, "new post")
        say(f"Sent a test digest with {what} to {test_address}; nothing was recorded.")
        return
    # A cron run that finds nothing to do ends here, before the mail pipeline is imported.
    from .mail.due import idle_run
    from .mail.preflight import refuse_unready
    from .site.language_posts import language_posts

    posts = language_posts(config, now)
    refuse_unready(config)
    idle = idle_run(config, posts, now, now_due)
    if idle is not None:
        print_idle(idle, config)
        return
    from .mail import jobs as publish

    context, update = progress_printer()
    with context, ctrl_c_stops_the_run() as interrupt:
        result = publish.send(
            config,
            now,
            on_progress=update,
            now_due=now_due,
            on_composed=lambda c: print_composed(c, config),
            interrupt=interrupt,
            posts=posts,
        )
    print_sent(result, config)


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
    config = read_config(config_path)
    statuses = tuple(s for s, on in (("failed", failed), ("pending", pending)) if on)
    context, update = progress_printer()
    with context, ctrl_c_stops_the_run() as interrupt:
        result = publish.resend(config, digest_number, statuses, on_progress=update, interrupt=interrupt)
    print_sent(result, config)


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
@click.option(
    "--lang", "language", help="As a subscriber reading this language gets it (default: the site's)."
)
@click.option(
    "--topic", "topics", multiple=True, help="As a subscriber with this topic (taxonomy:term) gets it."
)
@clean_errors
def preview(
    config_path: str, now_text: str | None, out_dir: str, language: str | None, topics: tuple[str, ...]
) -> None:
    """Write the next digest as .html, .txt and .eml files to look at."""
    from .mail.drafts import preview as write_preview
    from .preferences import Choices

    config = read_config(config_path)
    choices = Choices.from_config(config)
    reader = choices.language(language), choices.topics_of(topics)
    files, new_count = write_preview(config, resolve_now(config, now_text), Path(out_dir), *reader)
    if new_count is None:
        say("No new posts; previewing the newest visible posts instead.")
    for path in files:
        click.echo(str(path))


@main.command()
@config_option
@now_option
@click.option("--limit", default=10, show_default=True, help="How many recent digests to show.")
@clean_errors
def status(config_path: str, now_text: str | None, limit: int) -> None:
    """Show when the next digest is due, what it would hold, and the last digests."""
    from .bounces.rates import complaint_warning, digest_rates
    from .mail.jobs import plan
    from .store import open_store, store_exists

    config = read_config(config_path)
    print_plan(plan(config, resolve_now(config, now_text)), config)
    if not store_exists(config):
        say("No digest sent yet (the store does not exist).")
        return
    with open_store(config) as store:
        say(f"Subscribers: {store.count_subscribers('active')} active")
        digests = store.recent_digests(limit)
        if not digests:
            say("No digest sent yet.")
        rates = []
        for digest in digests:
            counts = store.delivery_counts(digest.number)
            rates.append(digest_rates(store, digest.number, counts))
            posts = store.digest_posts(digest.number)
            held = count_of(len(posts), "post")
            say(
                f"Digest {digest.number} ({digest.created_at:%Y-%m-%d %H:%M} UTC, {held}): "
                f"sent {counts.sent}, pending {counts.pending}, failed {counts.failed}, "
                f"cancelled {counts.cancelled}"
                + (f", nothing for them {counts.empty}" if counts.empty else "")
                + (f", uncertain {counts.uncertain}" if counts.uncertain else "")
                + rates[-1].describe()
            )
            for email, state, error in store.delivery_errors(digest.number, limit=5):
                say(f"  {state} {email}: {error}")
        warning = complaint_warning(rates)
        if warning:
            say(f"Warning: {warning}", err=True)


main.add_command(unsubscribe)
main.add_command(subscribers)
main.add_command(store_group)
main.add_command(bounces)


@main.command()
@config_option
@click.option("--host", help="Address to listen on (default: web.host).")
@click.option("--port", type=int, help="Port to listen on (default: web.port).")
@clean_errors
def serve(config_path: str, host: str | None, port: int | None) -> None:
    """Serve unsubscribe, subscribe/confirm, the digest archive and the feeds over HTTP."""
    from .web.server import serve as run_server

    config = read_config(config_path)
    run_server(config, host, port, announce=click.echo)


@main.command()
@config_option
@click.option("--lang", "language", metavar="CODE", help="The form's language (default: the site's).")
@click.option("--twig", is_flag=True, help="A Grav Twig partial that speaks the page's language instead.")
@clean_errors
def embed(config_path: str, language: str | None, twig: bool) -> None:
    """Print the sign-up form to put on the site's own pages (it posts to `bulletin serve`)."""
    from .web.embed import embed_snippet, embed_warnings

    config = read_config(config_path)
    click.echo(embed_snippet(config, language, twig), nl=False)
    for warning in embed_warnings(config):
        say(f"Warning: {warning}", err=True)


@main.command()
@config_option
@now_option
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The HTML file to write (one page, charts as SVG, no JavaScript).",
)
@click.option(
    "--digests", default=20, show_default=True, type=click.IntRange(1), help="How many digests to show."
)
@clean_errors
def report(config_path: str, now_text: str | None, out_path: str, digests: int) -> None:
    """Write one HTML page of charts: subscribers by status, each digest's bounces and complaints."""
    from .report.page import write_report

    config = read_config(config_path)
    figures = write_report(config, Path(out_path), resolve_now(config, now_text), digests)
    say(f"Wrote {out_path} ({count_of(len(figures.digests), 'digest')})")


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@clean_errors
def init(folder: str) -> None:
    """Create a new site in FOLDER: config.yaml, .env (its secret), templates/, content/, .gitignore."""
    from .scaffold import init_site

    files = init_site(Path(folder), dt.date.today())
    for path in files:
        say(f"created {path}")
    say(
        f"Keep {Path(folder) / '.env'}: its BULLETIN_SECRET signs unsubscribe links, and a new one"
        " breaks the links in mails already sent."
    )
    say("Next: bulletin build, then bulletin send --dry-run.")


@main.command()
def secret() -> None:
    """Print a new random token secret (for BULLETIN_SECRET in .env)."""
    from .tokens import new_secret

    click.echo(new_secret())


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
    print_check(check_site(Path(config_path), now), config_path)
