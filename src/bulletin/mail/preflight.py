"""What a real send would refuse, found before anything is stored: `check`, `send --dry-run` and `send`."""

from __future__ import annotations

from ..config import Config
from ..errors import ConfigError
from ..tokens import signer_problems
from .dkim import message_signer
from .smtp_session import check_login_settings


def send_refusals(config: Config) -> list[str]:
    """Every reason `bulletin send` would stop before delivering, one line each."""
    problems = signer_problems(config.secrets, config.digest.secret_env)
    smtp = config.smtp
    if smtp.host and smtp.ca_file and not smtp.ca_file.is_file():
        problems.append(f"{smtp.ca_file}: smtp.ca_file not found")
    for step in (lambda: check_login_settings(smtp), lambda: message_signer(config.digest.dkim)):
        try:
            step()
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def refuse_unready(config: Config) -> None:
    """Raise one ConfigError listing every refusal, before anything is stored or sent."""
    problems = send_refusals(config)
    if problems:
        raise ConfigError(*problems)
