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
