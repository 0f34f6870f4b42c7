"""`bulletin store ...`: a consistent backup of the store while it is in use, and its check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_common import BulletinGroup, clean_errors, config_option, read_config


@click.group("store", cls=BulletinGroup)
def store_group() -> None:
    """Back up and check the store (subscribers, digests, deliveries)."""


@store_group.command("backup")
@config_option
@click.argument("target", metavar="FILE", type=click.Path(dir_okay=False))
@clean_errors
def store_backup(config_path: str, target: str) -> None:
    """Copy the store to FILE: consistent, safe while `bulletin send` runs, one file."""
    from .mail.sent_journal import journal_path, read_journal
    from .store import open_store

    config = read_config(config_path)
    path = Path(target)
    with open_store(config, create=False) as store:
        # Read before the copy starts: every message a running send noted by now is in the copy.
        noted = read_journal(journal_path(config))
        store.backup(path, sent=noted)
        location = store.location
    size = path.stat().st_size
    click.echo(f"Backed up {location} to {path} ({size / 1024:.0f} KB); its integrity check passed.")


@store_group.command("check")
@config_option
@clean_errors
def store_check(config_path: str) -> None:
    """Check the store's integrity (SQLite's integrity and foreign key checks)."""
    from .store import open_store

    config = read_config(config_path)
    with open_store(config, create=False) as store:
        problems = store.check()
        location = store.location
    for problem in problems:
        click.echo(f"Error: {location}: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"Store {location}: ok.")


@store_group.command("migrate")
@config_option
@click.option("--to", "url", required=True, metavar="URL", help="postgresql://user@host/database (empty).")
@click.option(
    "--password-env",
    metavar="VAR",
    help="The environment variable holding the server's password (default: store.password_env).",
)
@clean_errors
def store_migrate(config_path: str, url: str, password_env: str | None) -> None:
    """Copy the SQLite store, its whole history, into an empty PostgreSQL database, and check the copy."""
    from urllib.parse import urlsplit

    from .errors import StoreError
    from .store.pg import PostgresStore
    from .store.pg_import import copy_store
    from .store.sqlite import SqliteStore

    config = read_config(config_path)
    if config.store.url:
        raise StoreError(f"{config_path}: the store is already on PostgreSQL ({config.store.url})")
    if urlsplit(url).password is not None:
        # Typed on a command line, a password stays in the shell's history: the environment only.
        raise click.BadParameter(
            "must not hold a password: put it in an environment variable", param_hint="--to"
        )
    with SqliteStore(config.store.path, create=False) as source:
        with PostgresStore(url, password_env or config.store.password_env) as target:
            copied = copy_store(source, target)
    counts = ", ".join(f"{rows} {table}" for table, rows in copied.rows.items())
    click.echo(f"Copied {config.store.path} to {url}: {counts}.")
    click.echo(f"Row counts and checksum match (sha256 {copied.checksum[:16]}).")
    click.echo(f"Next: set store.url: {url} in {config_path}.")
