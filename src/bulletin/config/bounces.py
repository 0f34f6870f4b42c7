"""The bounces section of config.yaml, and digest.bounce_address (the VERP envelope sender)."""

from __future__ import annotations

import datetime as dt

from . import defaults
from .model import BouncesConfig, ImapSettings
from .secrets import Secrets
from .section import Section, parse_duration

# A VERP token is at most this long (two 12-digit ids, a 16-character MAC, separators),
# and a local part at most 64 characters (RFC 5321 4.5.3.1.1): what is left is the base's.
VERP_TOKEN_MAX = 42
MAX_BASE_LOCAL_PART = 64 - 1 - VERP_TOKEN_MAX
SECURITY = ("tls", "starttls", "none")


def read_bounce_address(section: Section, value: str | None) -> str | None:
    """digest.bounce_address: a bare address whose local part leaves room for ``+<token>``."""
    if value is None or not value.strip():
        return None
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "<" in address or " " in address:
        section.problem("bounce_address", f"must be a bare address such as bounces@example.org: {value!r}")
        return None
    if "+" in local:
        section.problem("bounce_address", f"must not hold '+' (bulletin adds +<token> itself): {value!r}")
        return None
    if len(local) > MAX_BASE_LOCAL_PART:
        section.problem(
            "bounce_address",
            f"has a local part longer than {MAX_BASE_LOCAL_PART} characters, leaving no room for"
            f" +<token> within 64: {value!r}",
        )
        return None
    return address


def read_bounces(section: Section, secrets: Secrets) -> BouncesConfig:
    v = section.read(defaults.BOUNCES)
    window = _duration(v["window"])
    if window is None:
        section.problem("window", f"must be a duration such as 30d or 720h, not {v['window']!r}")
    imap = None
    if section.data.get("imap") is not None:
        imap = _read_imap(section.section("imap"), secrets)
    else:
        section.take("imap")
    section.finish()
    return BouncesConfig(
        soft_limit=v["soft_limit"],
        window=dt.timedelta(seconds=window) if window else BouncesConfig.window,
        imap=imap,
        maildir=v["maildir"],
    )


def _read_imap(section: Section, secrets: Secrets) -> ImapSettings | None:
    v = section.read(defaults.IMAP)
    security = v["security"]
    if security not in SECURITY:
        section.problem("security", f"must be tls, starttls or none, not {security!r}")
    elif security == "none" and v["host"] and not _loopback(v["host"]):
        # The password would cross the network in clear text.
        section.problem("security", f"may be none only for a loopback host (127.0.0.1), not {v['host']!r}")
    section.finish()
    if not (v["host"] and v["user"]):
        return None  # "is required" is reported
    port = v["port"] or (993 if security == "tls" else 143)
    return ImapSettings(
        host=v["host"],
        port=port,
        security=security,
        user=v["user"],
        password_env=v["password_env"],
        folder=v["folder"],
        processed_folder=v["processed_folder"],
        ca_file=v["ca_file"],
        timeout=v["timeout"],
        secrets=secrets,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # here, as in readers.py: a cron run reading the config needs it rarely

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _duration(text: str) -> float | None:
    seconds = parse_duration(text)
    return seconds if seconds else None
