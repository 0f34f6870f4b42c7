"""One reader per section of config.yaml: the table's values plus the checks between keys."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from . import defaults
from .bounces import read_bounce_address
from .grav import is_grav_user_dir
from .model import (
    Author,
    ContentConfig,
    DigestConfig,
    DkimSettings,
    FeedsConfig,
    SiteConfig,
    SmtpConfig,
    StoreConfig,
    WebConfig,
)
from .origins import read_after_subscribe, read_allowed_origins
from .schedule import Schedule, ScheduleError, parse_schedule
from .secrets import Secrets
from .section import Section, parse_duration
from .topics import read_topics

# Where no site.url could be read: the other sections still get checked against something.
FALLBACK_SITE_URL = "http://localhost"


def read_site(section: Section) -> SiteConfig:
    v = section.read(defaults.SITE)
    author_section = section.section("author")
    author = Author(**author_section.read(defaults.AUTHOR))
    author_section.finish()
    section.finish()
    url = v["url"] or FALLBACK_SITE_URL
    return SiteConfig(
        v["title"],
        url,
        v["description"],
        v["language"],
        v["timezone"],
        author,
        _site_relative(v["icon"], url),
        _site_relative(v["logo"], url),
    )


def read_content(section: Section) -> ContentConfig:
    v = section.read(defaults.CONTENT)
    section.finish()
    return ContentConfig(
        dir=v["dir"],
        summary_size=v["summary_size"],
        page_files=v["page_files"],
        grav=is_grav_user_dir(v["dir"]),
        home="/" + v["home"].strip("/"),
        hide_home_in_urls=v["hide_home_in_urls"],
        dateformat=v["dateformat"],
        max_post_bytes=v["max_post_bytes"],
    )


def read_feeds(section: Section, site: SiteConfig) -> FeedsConfig:
    v = section.read(defaults.FEEDS)
    for taxonomy in v["taxonomies"]:
        if taxonomy not in defaults.TAXONOMIES:
            section.problem("taxonomies", f"may hold tag and category, not {taxonomy!r}")
    # Checked, but kept as written: "https://hub.example/websub/" without its
    # slash is another URL, and a hub that redirects a POST refuses the ping.
    hubs = tuple(h for h in v["websub_hubs"] if section.url(h, section.key("websub_hubs")))
    section.finish()
    return FeedsConfig(
        output_dir=v["output_dir"],
        limit=v["limit"],
        full_content=v["full_content"],
        url=v["url"] or site.url,
        taxonomies=v["taxonomies"],
        websub_hubs=hubs,
        archive=v["archive"],
        title=v["title"],
        description=v["description"],
        route_json=v["route_json"],
    )


def read_store(section: Section) -> StoreConfig:
    v = section.read(defaults.STORE)
    url = v["url"]
    if url is not None and not _server_url_ok(section, url):
        url = None
    section.finish()
    return StoreConfig(
        path=v["path"],
        min_free_mb=v["min_free_mb"],
        url=url,
        password_env=v["password_env"],
        lease=v["lease"],
    )


def _server_url_ok(section: Section, url: str) -> bool:
    """store.url names a PostgreSQL database and carries no password (that comes from password_env)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        section.problem("url", "is not a URL")
        return False
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.strip("/"):
        section.problem("url", "must look like postgresql://user@host/database")
        return False
    if parts.password is not None:
        # A password in config.yaml ends up in backups and repositories: keep it in the environment.
        section.problem("url", "must not hold a password: put it in the variable store.password_env names")
        return False
    return True


def read_digest(section: Section, site: SiteConfig, feeds: FeedsConfig) -> DigestConfig:
    start = _read_start(section, site.timezone)
    v = section.read(defaults.DIGEST)
    sender = v["from"]
    if sender is None:
        # Imported here, as ipaddress below: every command reads the config, and a cron run's
        # start-up is mostly imports (email.utils brings socket, random and more).
        from email.utils import formataddr

        sender = formataddr((site.title, f"noreply@{site.domain}"))
    logo, logo_file = _read_logo(section, v["logo"], feeds)
    digest = DigestConfig(
        sender=sender,
        reply_to=v["reply_to"],
        subject=v["subject"],
        start=start,
        secret_env=v["secret_env"],
        templates_dir=v["templates"],
        schedule=_read_schedule(section, v["schedule"]),
        min_posts=v["min_posts"],
        dkim=_read_dkim(section),
        logo=logo,
        logo_file=logo_file,
        footer=v["footer"].strip(),
        topics=read_topics(section, defaults.TAXONOMIES),
        bounce_address=read_bounce_address(section, v["bounce_address"]),
    )
    section.finish()
    return digest


def _read_logo(section: Section, value: str | None, feeds: FeedsConfig) -> tuple[str | None, Path | None]:
    """(public URL, file to publish) of digest.logo: an http(s) URL as it is, else a file.

    A mail can only show an image from the web, so a file is published by `bulletin build`
    beside the feeds (feeds.url/digest/<name>), where the web server already serves them.
    """
    if not value or not value.strip():
        return None, None
    value = value.strip()
    if "://" in value:
        return section.url(value, section.key("logo")), None
    path = section.base / value
    if not path.is_file():
        section.problem("logo", f"names no file: {path} (give a file beside config.yaml or an http(s) URL)")
        return None, None
    return f"{feeds.url}/{defaults.LOGO_FOLDER}/{quote(path.name)}", path


def read_smtp(section: Section, secrets: Secrets) -> SmtpConfig:
    v = section.read(defaults.SMTP)
    security = v["security"]
    if security not in defaults.SECURITY:
        section.problem("security", f"must be starttls, tls or none, not {security!r}")
    port = v["port"]
    if port is None:
        port = 465 if security == "tls" else 587
    give_up_after = parse_duration(v["give_up_after"])
    if give_up_after is None:
        section.problem(
            "give_up_after", f"must be a duration such as 3d, 12h, 90m or 600s, not {v['give_up_after']!r}"
        )
    section.finish()
    return SmtpConfig(
        host=v["host"],
        port=port,
        security=security,
        username=v["username"],
        password_env=v["password_env"],
        timeout=v["timeout"],
        connections=v["connections"],
        rate_per_second=v["rate_per_second"],
        max_attempts=v["max_attempts"],
        retry_delay=v["retry_delay"],
        outbox=v["outbox"],
        ca_file=v["ca_file"],
        secrets=secrets,
        data_timeout=v["data_timeout"],
        give_up_after=give_up_after or 0.0,
        retry_backoff=v["retry_backoff"],
    )


def read_web(section: Section, site: SiteConfig) -> WebConfig:
    v = section.read(defaults.WEB)
    for entry in v["trusted_proxies"]:
        import ipaddress

        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            section.problem("trusted_proxies", f"lists {entry!r}, which is not an IP address or network")
    origins = read_allowed_origins(section, v["allowed_origins"])
    after_subscribe = read_after_subscribe(section, v["after_subscribe"], origins)
    section.finish()
    return WebConfig(
        url=v["url"] or site.url,
        host=v["host"],
        port=v["port"],
        send_confirmations_every=v["send_confirmations_every"],
        trusted_proxies=v["trusted_proxies"],
        max_connections=v["max_connections"],
        max_connections_per_client=v["max_connections_per_client"],
        request_timeout=v["request_timeout"],
        keep_alive_timeout=v["keep_alive_timeout"],
        max_header_bytes=v["max_header_bytes"],
        allowed_origins=origins,
        after_subscribe=after_subscribe,
    )


def _site_relative(url: str | None, site_url: str) -> str | None:
    if not url or "://" in url:
        return url
    return site_url + "/" + url.lstrip("/")


def _read_dkim(digest: Section) -> DkimSettings | None:
    if digest.data.get("dkim") is None:
        digest.take("dkim")
        return None
    section = digest.section("dkim")
    v = section.read(defaults.DKIM)
    section.finish()
    if not (v["domain"] and v["selector"] and v["key_file"]):
        return None
    return DkimSettings(v["domain"], v["selector"], v["key_file"])


def _read_schedule(section: Section, text: str | None) -> Schedule:
    try:
        return parse_schedule(text)
    except ScheduleError as exc:
        section.errors.append(f"{section.where}: '{section.key('schedule')}': {exc}")
        return parse_schedule(None)


def _read_start(section: Section, tz: ZoneInfo) -> dt.datetime | None:
    """digest.start: a YAML date or date-time, or an ISO string; naive ones are in the site's zone."""
    value: Any = section.take("start")
    if value is None:
        return None
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = dt.datetime.fromisoformat(value)
    if moment is None:
        section.problem("start", f"must be an ISO date, not {value!r}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
