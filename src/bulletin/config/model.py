"""The configuration as frozen dataclasses: what every other module reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .languages import Languages
from .schedule import Schedule
from .secrets import Secrets
from .topics import TopicChoice
from .webhooks import WebhooksConfig

# Grav names a page's Markdown file after its template; these are the common ones.
DEFAULT_MAX_POST_BYTES = 10 * 1024 * 1024  # content.max_post_bytes: 10 MiB
DEFAULT_PAGE_FILES = ("item", "post", "default", "blog", "page", "article", "entry", "news")


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
    home_path: str = "/"  # the home page below url: "/kk" for a language version of a Grav site

    @property
    def home_url(self) -> str:
        return self.url + self.home_path

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
class MarkdownSettings:
    """Grav's system.yaml `pages.markdown`, with Grav's defaults (site/markdown.py applies them)."""

    extra: bool = False
    auto_line_breaks: bool = False
    auto_url_links: bool = False
    escape_markup: bool = False


@dataclass(frozen=True)
class ContentConfig:
    dir: Path
    summary_size: int
    # File names (without .md) that make their folder a Grav page; others are flat posts.
    page_files: tuple[str, ...] = DEFAULT_PAGE_FILES
    grav: bool = False  # dir is a Grav user/ folder (pages/ and config/): read as Grav does
    home: str = "/home"  # Grav's home.alias: the home page's route
    hide_home_in_urls: bool = False  # Grav's home.hide_in_urls
    dateformat: str | None = None  # Grav's pages.dateformat.default
    languages: Languages | None = None  # Grav's languages.supported and its settings
    max_post_bytes: int = DEFAULT_MAX_POST_BYTES  # a longer page file is refused before it is read
    markdown: MarkdownSettings = MarkdownSettings()  # Grav's pages.markdown: how posts are rendered

    @property
    def pages_dir(self) -> Path:
        """Where the pages are: user/pages for a Grav site, else the folder itself."""
        return self.dir / "pages" if self.grav else self.dir


@dataclass(frozen=True)
class FeedsConfig:
    output_dir: Path
    limit: int
    full_content: bool
    url: str  # public URL of output_dir, no trailing slash
    taxonomies: tuple[str, ...] = ()  # "tag", "category": a feed per term
    websub_hubs: tuple[str, ...] = ()
    archive: bool = False  # RFC 5005 archive pages for posts beyond `limit`
    title: str | None = None  # Grav feed plugin's title/description: defaults for every feed
    description: str | None = None
    route_json: bool = False  # also <route>.json beside <route>.rss/.atom (enable_json_feed)


@dataclass(frozen=True)
class StoreConfig:
    path: Path
    min_free_mb: float = 16.0  # send refuses to start (or go on) with less free space by the store
    # postgresql://user@host:port/database: the store is there instead of in ``path`` (which
    # still names the folder of bulletin's other local state, the build cache).
    url: str | None = None
    password_env: str | None = None  # the environment variable holding the server's password
    lease: float = 120.0  # seconds a sender holds the deliveries it claimed (PostgreSQL)


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
    logo: str | None = None  # absolute URL of the logo in the digest's header
    logo_file: Path | None = None  # the file `bulletin build` publishes at `logo`, when it is one
    footer: str = ""  # free text under every digest: postal address, phone
    topics: tuple[TopicChoice, ...] = ()  # digest.topics: the terms a subscriber may choose
    # The envelope sender's base ("bounces@clinic.kz"): each message goes out from
    # bounces+<token>@clinic.kz (VERP), so a later bounce names its digest and subscriber.
    # None: the bare address of digest.from, as before.
    bounce_address: str | None = None


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
    secrets: Secrets = field(default_factory=Secrets, repr=False)
    data_timeout: float = 600.0  # seconds for the reply to the end of a message
    give_up_after: float = 3 * 86400.0  # seconds of 4xx replies before a delivery fails
    retry_backoff: float = 300.0  # seconds before a run tries a 4xx-refused delivery again

    def password(self) -> str | None:
        # Read at the moment of use so the secret never sits in a config value.
        return self.secrets.get(self.password_env)


@dataclass(frozen=True)
class WebConfig:
    url: str  # public base URL used in emails
    host: str
    port: int
    # serve's worker looks at the queued confirmation mails this often (seconds), on a
    # clock of its own: never in the gap after a sign-up, where its time would show.
    send_confirmations_every: float = 2.0
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks, checked by read_web
    max_connections: int = 1000
    max_connections_per_client: int = 32
    request_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_header_bytes: int = 16384
    # Origins ("https://clinic.kz") whose pages may post /subscribe without our CSRF cookie,
    # and the page a sign-up from one of them is sent back to ({lang}: the subscriber's language).
    allowed_origins: tuple[str, ...] = ()
    after_subscribe: str | None = None


@dataclass(frozen=True)
class ImapSettings:
    """The mailbox bounces arrive in (bounces.imap), read by `bulletin bounces fetch`."""

    host: str
    port: int
    security: str  # tls | starttls | none (none only for a loopback host)
    user: str
    password_env: str
    folder: str = "INBOX"
    processed_folder: str | None = None  # processed mail is moved here (else only flagged)
    ca_file: Path | None = None
    timeout: float = 30.0
    secrets: Secrets = field(default_factory=Secrets, repr=False)

    def password(self) -> str | None:
        # Read at the moment of use so the secret never sits in a config value.
        return self.secrets.get(self.password_env)


@dataclass(frozen=True)
class BouncesConfig:
    """What bounces and complaints do (bounces/rules.py) and where bounce mail is read from."""

    soft_limit: int = 3  # soft bounces within `window` that make a subscriber bounced
    window: dt.timedelta = dt.timedelta(days=30)
    imap: ImapSettings | None = None
    maildir: Path | None = None


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
    # Config key -> where its value came from, for keys a Grav site can supply.
    sources: tuple[tuple[str, str], ...] = ()
    secrets: Secrets = field(default_factory=Secrets, repr=False)  # the environment, then the env file
    bounces: BouncesConfig = BouncesConfig()
    webhooks: WebhooksConfig = WebhooksConfig()  # provider webhooks `bulletin serve` accepts
