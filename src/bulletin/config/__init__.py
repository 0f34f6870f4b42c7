"""config.yaml -> frozen dataclasses, every problem reported at once."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from email.utils import formataddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..errors import ConfigError
from ..grav_yaml import yaml_problem
from .schedule import Schedule, ScheduleError, parse_schedule

DEFAULT_CONFIG = "config.yaml"
# Grav names a page's Markdown file after its template; these are the common ones.
DEFAULT_PAGE_FILES = ("item", "post", "default", "blog", "page", "article", "entry", "news")
DEFAULT_SUBJECT = (
    "{{ site.title }}: {{ posts[0].title }}{% if posts|length > 1 %} (+{{ posts|length - 1 }}){% endif %}"
)


@dataclass(frozen=True)
class Author:
    name: str | None
    email: str | None


@dataclass(frozen=True)
class SiteConfig:
    title: str
    url: str  # absolute, no trailing slash
    description: str
    language: str
    timezone: ZoneInfo
    author: Author
    icon: str | None = None  # absolute URLs (relative ones are resolved against url)
    logo: str | None = None

    @property
    def domain(self) -> str:
        """The site's host name in its ASCII (punycode) form, as mail headers need it."""
        host = urlsplit(self.url).hostname or "localhost"
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host


@dataclass(frozen=True)
class DkimSettings:
    domain: str
    selector: str
    key_file: Path


@dataclass(frozen=True)
class ContentConfig:
    dir: Path
    summary_size: int
    # File names (without .md) that make their folder a Grav page; others are flat posts.
    page_files: tuple[str, ...] = DEFAULT_PAGE_FILES


@dataclass(frozen=True)
class FeedsConfig:
    output_dir: Path
    limit: int
    full_content: bool
    url: str  # public URL of output_dir, no trailing slash
    taxonomies: tuple[str, ...] = ()  # "tag", "category": a feed per term
    websub_hubs: tuple[str, ...] = ()
    archive: bool = False  # RFC 5005 archive pages for posts beyond `limit`


@dataclass(frozen=True)
class StoreConfig:
    path: Path


@dataclass(frozen=True)
class DigestConfig:
    sender: str  # config key digest.from
    reply_to: str | None
    subject: str
    start: dt.datetime | None
    secret_env: str
    templates_dir: Path
    schedule: Schedule
    min_posts: int
    dkim: DkimSettings | None = None


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None  # None: write .eml files to outbox instead of speaking SMTP
    port: int
    security: str  # starttls | tls | none
    username: str | None
    password_env: str
    timeout: float
    connections: int
    rate_per_second: float
    max_attempts: int
    retry_delay: float  # first backoff in seconds; doubles per try
    outbox: Path
    ca_file: Path | None

    def password(self) -> str | None:
        # Read at the moment of use so the secret never sits in a config value.
        return os.environ.get(self.password_env) or None


@dataclass(frozen=True)
class WebConfig:
    url: str  # public base URL used in emails
    host: str
    port: int


@dataclass(frozen=True)
class Config:
    path: Path
    site: SiteConfig
    content: ContentConfig
    feeds: FeedsConfig
    store: StoreConfig
    digest: DigestConfig
    smtp: SmtpConfig
    web: WebConfig


class _Section:
    """Takes typed values out of one mapping of config.yaml, collecting problems."""

    def __init__(self, data: Any, name: str, errors: list[str], where: str) -> None:
        self.name = name
        self.errors = errors
        self.where = where
        if data is None:
            data = {}
        if not isinstance(data, dict):
            errors.append(f"{where}: '{name}' must be a mapping")
            data = {}
        self.data: dict[str, Any] = dict(data)

    def _key(self, key: str) -> str:
        return f"{self.name}.{key}"

    def _message(self, key: str, value: Any, expected: str) -> str:
        return f"{self.where}: '{self._key(key)}' must be {expected}, not {value!r:.60}"

    def text(self, key: str, default: Any = None, required: bool = False, one_line: bool = True) -> Any:
        if self.data.get(key) is None:
            if required:
                self.errors.append(f"{self.where}: '{self._key(key)}' is required")
            self.data.pop(key, None)
            return default
        if not isinstance(self.data[key], str):
            self.errors.append(self._message(key, self.data.pop(key), "a string"))
            return default
        value: str = self.data.pop(key)
        if one_line and ("\r" in value or "\n" in value):
            # Most values can end up in a mail header, where a line break starts a new one.
            self.errors.append(f"{self.where}: '{self._key(key)}' must be one line")
            return default
        return value

    def whole(self, key: str, default: int, minimum: int = 0) -> int:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.errors.append(self._message(key, value, f"a whole number of at least {minimum}"))
            return default
        return value

    def number(self, key: str, default: float, minimum: float = 0) -> float:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.errors.append(self._message(key, value, f"a number of at least {minimum}"))
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if not isinstance(value, bool):
            self.errors.append(self._message(key, value, "true or false"))
            return default
        return value

    def names(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if key not in self.data:
            return default
        value = self.data.pop(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.errors.append(self._message(key, value, "a list of names"))
            return default
        return tuple(v.strip() for v in value)

    def section(self, key: str) -> _Section:
        return _Section(self.data.pop(key, None), self._key(key), self.errors, self.where)

    def finish(self) -> None:
        for key in self.data:
            self.errors.append(f"{self.where}: unknown key '{self._key(key)}'")


def _absolute_url(value: str | None, key: str, where: str, errors: list[str]) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(f"{where}: '{key}' must be an absolute http(s) URL, not {value!r}")
        return None
    return value.rstrip("/")


def load_config(path: str | os.PathLike[str] = DEFAULT_CONFIG) -> Config:
    """Read and validate config.yaml; relative paths are resolved against its folder."""
    config_path = Path(path)
    where = str(config_path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read config: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc)
        raise ConfigError(f"{where}{f':{line}' if line is not None else ''}: {problem}") from None
    except ValueError as exc:
        # PyYAML builds dates itself and raises a bare ValueError for 2025-02-30.
        raise ConfigError(f"{where}: impossible value: {exc}") from None
    return parse_config(data, config_path)


def parse_config(data: Any, config_path: Path) -> Config:
    errors: list[str] = []
    where = str(config_path)
    base = config_path.resolve().parent
    root = _Section(data, "config", errors, where)
    root.name = ""

    def section(name: str) -> _Section:
        return _Section(root.data.pop(name, None), name, errors, where)

    site_s = section("site")
    title = site_s.text("title", "", required=True)
    url = _absolute_url(site_s.text("url", None, required=True), "site.url", where, errors)
    description = site_s.text("description", "", one_line=False)
    language = site_s.text("language", "en")
    tz_name = site_s.text("timezone", "UTC")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"{where}: 'site.timezone' is not an IANA time zone: {tz_name!r}")
        timezone = ZoneInfo("UTC")
    author_s = site_s.section("author")
    author = Author(author_s.text("name"), author_s.text("email"))
    author_s.finish()
    icon = site_s.text("icon")
    logo = site_s.text("logo")
    site_s.finish()
    site_url = url or "http://localhost"
    site = SiteConfig(
        title,
        site_url,
        description,
        language,
        timezone,
        author,
        _site_relative(icon, site_url),
        _site_relative(logo, site_url),
    )

    content_s = section("content")
    content = ContentConfig(
        dir=base / content_s.text("dir", "content"),
        summary_size=content_s.whole("summary_size", 300, minimum=1),
        page_files=content_s.names("page_files", DEFAULT_PAGE_FILES),
    )
    content_s.finish()

    feeds_s = section("feeds")
    feeds_url = _absolute_url(feeds_s.text("url"), "feeds.url", where, errors)
    feeds = FeedsConfig(
        output_dir=base / feeds_s.text("output_dir", "public"),
        limit=feeds_s.whole("limit", 20, minimum=1),
        full_content=feeds_s.flag("full_content", False),
        url=feeds_url or site_url,
        taxonomies=feeds_s.names("taxonomies", ()),
        # Checked, but kept as written: "https://hub.example/websub/" without its
        # slash is another URL, and a hub that redirects a POST refuses the ping.
        websub_hubs=tuple(
            h
            for h in feeds_s.names("websub_hubs", ())
            if _absolute_url(h, "feeds.websub_hubs", where, errors)
        ),
        archive=feeds_s.flag("archive", False),
    )
    for taxonomy in feeds.taxonomies:
        if taxonomy not in ("tag", "category"):
            errors.append(f"{where}: 'feeds.taxonomies' may hold tag and category, not {taxonomy!r}")
    feeds_s.finish()

    store_s = section("store")
    store = StoreConfig(path=base / store_s.text("path", "state/bulletin.db"))
    store_s.finish()

    digest_s = section("digest")
    start_text = digest_s.data.pop("start", None)
    start = _parse_start(start_text, site.timezone, where, errors)
    digest = DigestConfig(
        sender=digest_s.text("from", formataddr((title, f"noreply@{site.domain}"))),
        reply_to=digest_s.text("reply_to"),
        subject=digest_s.text("subject", DEFAULT_SUBJECT),
        start=start,
        secret_env=digest_s.text("secret_env", "BULLETIN_SECRET"),
        templates_dir=base / digest_s.text("templates", "templates"),
        schedule=_parse_schedule(digest_s.text("schedule"), where, errors),
        min_posts=digest_s.whole("min_posts", 1, minimum=1),
        dkim=_parse_dkim(digest_s, base),
    )
    digest_s.finish()

    smtp_s = section("smtp")
    security = smtp_s.text("security", "starttls")
    if security not in ("starttls", "tls", "none"):
        errors.append(f"{where}: 'smtp.security' must be starttls, tls or none, not {security!r}")
    ca_file = smtp_s.text("ca_file")
    smtp = SmtpConfig(
        host=smtp_s.text("host"),
        port=smtp_s.whole("port", 465 if security == "tls" else 587, minimum=1),
        security=security,
        username=smtp_s.text("username"),
        password_env=smtp_s.text("password_env", "SMTP_PASSWORD"),
        timeout=smtp_s.number("timeout", 30.0, minimum=0.1),
        connections=smtp_s.whole("connections", 4, minimum=1),
        rate_per_second=smtp_s.number("rate_per_second", 0.0),
        max_attempts=smtp_s.whole("max_attempts", 5, minimum=1),
        retry_delay=smtp_s.number("retry_delay", 2.0),
        outbox=base / smtp_s.text("outbox", "outbox"),
        ca_file=base / ca_file if ca_file else None,
    )
    smtp_s.finish()

    web_s = section("web")
    web_url = _absolute_url(web_s.text("url"), "web.url", where, errors)
    web = WebConfig(
        url=web_url or site_url,
        host=web_s.text("host", "127.0.0.1"),
        port=web_s.whole("port", 8080, minimum=1),
    )
    web_s.finish()

    for key in root.data:
        errors.append(f"{where}: unknown key '{key}'")
    if errors:
        raise ConfigError(*errors)
    return Config(config_path, site, content, feeds, store, digest, smtp, web)


def _site_relative(url: str | None, site_url: str) -> str | None:
    if not url or "://" in url:
        return url
    return site_url + "/" + url.lstrip("/")


def _parse_dkim(digest_s: _Section, base: Path) -> DkimSettings | None:
    if digest_s.data.get("dkim") is None:
        digest_s.data.pop("dkim", None)
        return None
    dkim_s = digest_s.section("dkim")
    domain = dkim_s.text("domain", required=True)
    selector = dkim_s.text("selector", required=True)
    key_file = dkim_s.text("key_file", required=True)
    dkim_s.finish()
    if not (domain and selector and key_file):
        return None
    return DkimSettings(domain, selector, base / key_file)


def _parse_schedule(text: str | None, where: str, errors: list[str]) -> Schedule:
    try:
        return parse_schedule(text)
    except ScheduleError as exc:
        errors.append(f"{where}: 'digest.schedule': {exc}")
        return parse_schedule(None)


def _parse_start(value: Any, tz: ZoneInfo, where: str, errors: list[str]) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            errors.append(f"{where}: 'digest.start' must be an ISO date, not {value!r}")
            return None
    else:
        errors.append(f"{where}: 'digest.start' must be an ISO date, not {value!r}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
