"""What every `bulletin` command shares: --config, --now, -v after the command, clean errors."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import gc
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .console import configure_logging, say
from .errors import BulletinError

if TYPE_CHECKING:  # the config reader (PyYAML and all) is imported by the commands that read one,
    from .config import Config  # so that `bulletin --help` never loads it

# config.DEFAULT_CONFIG, spelled out for the same reason (tests/test_cli_messages.py checks the two agree).
DEFAULT_CONFIG = "config.yaml"

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
                say(f"Error: {problem}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            raise  # `bulletin ... | head`: click ends quietly
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            say(f"Error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def read_config(path: str) -> Config:
    """The config at ``path`` (config.load_config), its reader imported only now."""
    from .config import load_config

    return load_config(path)


def resolve_now(config: Config, now_text: str | None) -> dt.datetime:
    if now_text is None:
        return dt.datetime.now(config.site.timezone)
    try:
        moment = dt.datetime.fromisoformat(now_text)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date: {now_text!r}", param_hint="--now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=config.site.timezone)


VERBOSE_HELP = "Log each step (and each delivery) to standard error."


def _verbose_after_command(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        configure_logging(True)


class BulletinCommand(click.Command):
    """A command that also takes -v after its name: `bulletin send -v` as `bulletin -v send`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            click.Option(
                ["-v", "--verbose"],
                is_flag=True,
                expose_value=False,
                callback=_verbose_after_command,
                help=VERBOSE_HELP,
            )
        )


class BulletinGroup(click.Group):
    command_class = BulletinCommand
    group_class = type  # sub-groups (subscribers) make BulletinCommands too

    def main(self, args: Any = None, *rest: Any, **options: Any) -> Any:
        if args is None:  # the command line itself (tests pass their arguments in)
            # The interpreter's last collection walks every object the run made, to free
            # what the process exit frees anyway: a tenth of a cold build. Frozen objects
            # are not walked.
            atexit.register(gc.freeze)
        return super().main(args, *rest, **options)
