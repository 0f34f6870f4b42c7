"""`bulletin subscribers ...` and `bulletin unsubscribe`: the subscriber list by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import BulletinCommand, BulletinGroup, clean_errors, config_option, read_config
from .console import say
from .errors import SubscriberError


@click.command(cls=BulletinCommand)
@config_option
@click.argument("token")
@clean_errors
def unsubscribe(config_path: str, token: str) -> None:
    """Unsubscribe the subscriber named by an unsubscribe TOKEN."""
    from .store import open_store
    from .subscribers import unsubscribe as apply_unsubscribe
    from .tokens import TokenSigner

    config = read_config(config_path)
    signer = TokenSigner.from_config(config)
    with open_store(config) as store:
        subscriber = apply_unsubscribe(store, signer, token)
    say(f"Unsubscribed {subscriber.email}.")


@click.group(cls=BulletinGroup)
def subscribers() -> None:
    """Add, import, list, remove and export subscribers."""


@subscribers.command("add")
@config_option
@click.argument("email")
@click.option("--name", help="Display name, used in the To header and templates.")
@click.option(
    "--lang", "language", help="Language of their digests (one of the site's; default: the site's)."
)
@click.option(
    "--topic",
    "topics",
    multiple=True,
    help="A topic of digest.topics, as taxonomy:term (repeat for several; none: every post).",
)
@clean_errors
def subscribers_add(
    config_path: str, email: str, name: str | None, language: str | None, topics: tuple[str, ...]
) -> None:
    """Add one active subscriber, with their language and topics."""
    from .preferences import Choices
    from .store import open_store
    from .subscribers import add_subscriber

    config = read_config(config_path)
    choices = Choices.from_config(config)
    chosen_language, chosen_topics = choices.language(language), choices.topics_of(topics)
    with open_store(config) as store:
        address, added = add_subscriber(store, email, name, chosen_language, chosen_topics)
    say(f"Added {address}." if added else f"{address} is already present.")


@subscribers.command("import")
@config_option
@click.argument("csv_file", type=click.Path(dir_okay=False))
@clean_errors
def subscribers_import(config_path: str, csv_file: str) -> None:
    """Import subscribers from a CSV file with an email,name header.

    Optional columns: lang (one of the site's languages; empty: the site's default) and
    topics (taxonomy:term of digest.topics, separated by ';').

    Prints each invalid row, then one summary line. Rows are stored in batches, each
    all or nothing; after an interruption, run the same file again: addresses already
    there are counted as present, never added twice.
    """
    from .preferences import Choices
    from .store import open_store
    from .subscriber_import import import_csv

    config = read_config(config_path)
    with open_store(config) as store:
        report = import_csv(store, Path(csv_file), say, Choices.from_config(config))
    say(report.summary())
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

    config = read_config(config_path)
    with open_store(config) as store:
        for sub in store.subscribers(status_filter):
            click.echo(f"{sub.email}\t{sub.status}\t{sub.name or ''}")


@subscribers.command("show")
@config_option
@click.argument("email")
@clean_errors
def subscribers_show(config_path: str, email: str) -> None:
    """Show one subscriber: status, and the bounces and complaints reported about them."""
    from .bounces.history import subscriber_lines
    from .store import open_store
    from .subscribers import normalise_address

    config = read_config(config_path)
    address = normalise_address(email)
    with open_store(config) as store:
        subscriber = store.subscriber(email=address)
        if subscriber is None:
            raise SubscriberError(f"no subscriber {address}")
        lines = subscriber_lines(subscriber, store.delivery_events(subscriber.id))
    for line in lines:
        click.echo(line)


@subscribers.command("remove")
@config_option
@click.argument("email")
@clean_errors
def subscribers_remove(config_path: str, email: str) -> None:
    """Delete a subscriber and their delivery history."""
    from .store import open_store
    from .subscribers import normalise_address

    config = read_config(config_path)
    address = normalise_address(email)
    with open_store(config) as store:
        if not store.remove_subscriber(address):
            raise SubscriberError(f"no subscriber {address}")
    say(f"Removed {address}.")


@subscribers.command("export")
@config_option
@clean_errors
def subscribers_export(config_path: str) -> None:
    """Write all subscribers as CSV to standard output (spreadsheet-safe)."""
    from .store import open_store
    from .subscribers import export_csv

    config = read_config(config_path)
    with open_store(config) as store:
        click.echo(export_csv(store.subscribers()), nl=False)
