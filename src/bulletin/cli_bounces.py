"""`bulletin bounces ...`: read bounce and complaint mail from files, a Maildir or IMAP."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_common import BulletinGroup, clean_errors, config_option, now_option, read_config, resolve_now
from .console import say
from .errors import ConfigError

if TYPE_CHECKING:  # imported where used: `bulletin --help` and cron's send need none of it
    from .bounces.intake import Intake
    from .config import Config


def unknown_folder(config: Config) -> Path:
    """Where mail no rule understands is kept for a person (beside the store)."""
    from .store import state_dir

    return state_dir(config) / "bounces-unknown"


@click.group(cls=BulletinGroup, invoke_without_command=True)
@config_option
@click.pass_context
@clean_errors
def bounces(ctx: click.Context, config_path: str) -> None:
    """Read bounces and complaints; alone, list the mail kept for a person to look at."""
    if ctx.invoked_subcommand is not None:
        return
    from .bounces.kept import kept_mail
    from .store import open_store

    config = read_config(config_path)
    kept = kept_mail(unknown_folder(config))
    for mail in kept:
        say(f"{mail.path}: from {mail.sender}, {mail.subject!r}: {mail.reason}")
    with open_store(config) as store:
        unmatched = store.unmatched_delivery_events()
    for event in unmatched:
        say(
            f"{event.occurred_at:%Y-%m-%d %H:%M} {event.kind.replace('_', ' ')} {event.code or ''}"
            f" for {event.recipient or 'an unknown address'} ({event.source}): no subscriber found"
        )
    say(f"{len(kept)} unknown mail kept, {len(unmatched)} event(s) about no subscriber.")


@bounces.command("import")
@config_option
@now_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@clean_errors
def bounces_import(config_path: str, now_text: str | None, files: tuple[Path, ...]) -> None:
    """Read bounce, complaint and auto-reply mail from .eml FILES and apply what they report."""
    config = read_config(config_path)
    with _intake(config, resolve_now(config, now_text)) as intake:
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                intake.report.problems.append(f"{path}: cannot read: {exc.strerror or exc}")
                continue
            _print(intake.take(str(path), raw).lines())
    _finish(intake)


@bounces.command("fetch")
@config_option
@now_option
@clean_errors
def bounces_fetch(config_path: str, now_text: str | None) -> None:
    """Read the bounce mailbox (bounces.imap or bounces.maildir); mark what was read."""
    from .bounces.imap import read_imap
    from .bounces.maildir import read_maildir

    config = read_config(config_path)
    settings = config.bounces
    if settings.imap is None and settings.maildir is None:
        raise ConfigError(f"{config.path}: set bounces.imap or bounces.maildir to fetch bounces from")
    with _intake(config, resolve_now(config, now_text)) as intake:

        def take(name: str, raw: bytes) -> None:
            _print(intake.take(name, raw).lines())

        if settings.maildir is not None:
            read_maildir(settings.maildir, take)
        if settings.imap is not None:
            read_imap(settings.imap, take)
    _finish(intake)


@contextmanager
def _intake(config: Config, now: dt.datetime) -> Iterator[Intake]:
    from .bounces.intake import Intake
    from .bounces.rules import RuleSettings
    from .store import open_store

    with open_store(config) as store:
        yield Intake(store, RuleSettings.from_config(config), unknown_folder(config), now)


def _print(lines: list[str]) -> None:
    for line in lines:
        say(line)


def _finish(intake: Intake) -> None:
    for problem in intake.report.problems:
        say(f"Error: {problem}", err=True)
    say(intake.report.summary())
    if intake.report.problems:
        sys.exit(1)
