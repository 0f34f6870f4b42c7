"""What a real send would refuse, found before anything is stored: `check`, `send --dry-run` and `send`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..tokens import signer_problems

if TYPE_CHECKING:
    from ..config import Config, SmtpConfig


def send_refusals(config: Config) -> list[str]:
    """Every reason `bulletin send` would stop before delivering, one line each."""
    problems = signer_problems(config.secrets, config.digest.secret_env)
    smtp = config.smtp
    if smtp.host and smtp.ca_file and not smtp.ca_file.is_file():
        problems.append(f"{smtp.ca_file}: smtp.ca_file not found")
    try:
        check_login_settings(smtp)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if config.digest.dkim is not None:
        # Imported only here: a cron run with nothing to send loads no cryptography.
        from .dkim import message_signer

        try:
            message_signer(config.digest.dkim)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def check_login_settings(config: SmtpConfig) -> None:
    """A user name without a password would send unauthenticated; say so before anything."""
    if config.host and config.username and not config.password():
        where = config.secrets.where(config.password_env)
        raise ConfigError(f"smtp.username is set but the {where} is empty")


def refuse_unready(config: Config) -> None:
    """Raise one ConfigError listing every refusal, before anything is stored or sent."""
    problems = send_refusals(config)
    if problems:
        raise ConfigError(*problems)
