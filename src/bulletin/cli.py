"""The `bulletin` command: thin click wrappers over the library's plain functions."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from . import __version__
from .config import DEFAULT_CONFIG, Config, load_config
from .errors import BulletinError

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Path to config.yaml; paths inside it are relative to its folder.",
)
now_option = click.option(
    "--now",
    "now_text",
    metavar="ISO-8601",
    help="Pretend it is this moment (local time in site.timezone unless an offset is given).",
)


def clean_errors(command: F) -> F:
    """Turn a BulletinError into 'Error: ...' lines and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BulletinError as exc:
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            sys.exit(1)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


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
def main() -> None:
    """Publish a folder of Grav-style Markdown posts as feeds and email digests."""


@main.command()
@config_option
@now_option
@clean_errors
def build(config_path: str, now_text: str | None) -> None:
    """Write RSS, Atom and JSON feeds of the posts visible now."""
    from .publish import build as build_feeds

    config = load_config(config_path)
    result = build_feeds(config, resolve_now(config, now_text))
    click.echo(
        f"Built {len(result.files)} feeds with {result.items} posts "
        f"({result.visible} visible of {result.total}) in {config.feeds.output_dir}"
    )
