"""Every key of config.yaml with its kind and default, one table per section.

Keys are read in table order, so problems are reported in that order too. Values that
depend on others (digest.from on site.title, smtp.port on smtp.security, the URLs that
default to site.url) have None here and are filled in by readers.py.
"""

from __future__ import annotations

from .model import DEFAULT_MAX_POST_BYTES, DEFAULT_PAGE_FILES
from .section import Key, Kind

DEFAULT_SUBJECT = (
    "{{ site.title }}: {{ posts[-1].title }}{% if posts|length > 1 %} (+{{ posts|length - 1 }}){% endif %}"
)

ROOT = (Key("secrets_file", Kind.PATH),)  # KEY=VALUE lines; default: .env beside config.yaml

SITE = (
    Key("title", Kind.TEXT, "", required=True),
    Key("url", Kind.URL, required=True),
    Key("description", Kind.PROSE, ""),
    Key("language", Kind.TEXT, "en"),
    Key("timezone", Kind.TIMEZONE, "UTC"),
    Key("icon", Kind.TEXT),  # relative ones are resolved against site.url
    Key("logo", Kind.TEXT),
)

AUTHOR = (
    Key("name", Kind.TEXT),
    Key("email", Kind.TEXT),
)

CONTENT = (
    Key("dir", Kind.PATH, "content"),
    Key("summary_size", Kind.WHOLE, 300, minimum=1),
    Key("page_files", Kind.NAMES, DEFAULT_PAGE_FILES),
    Key("max_post_bytes", Kind.WHOLE, DEFAULT_MAX_POST_BYTES, minimum=1),
    # Grav's settings; config/grav.py fills them from a Grav site's own config files.
    Key("home", Kind.TEXT, "/home"),
    Key("hide_home_in_urls", Kind.FLAG, False),
    Key("dateformat", Kind.TEXT),
)

FEEDS = (
    Key("url", Kind.URL),
    Key("output_dir", Kind.PATH, "public"),
    Key("limit", Kind.WHOLE, 20, minimum=1),
    Key("full_content", Kind.FLAG, False),
    Key("taxonomies", Kind.NAMES, ()),
    Key("websub_hubs", Kind.NAMES, ()),
    Key("archive", Kind.FLAG, False),
    Key("title", Kind.TEXT),
    Key("description", Kind.PROSE),
    Key("route_json", Kind.FLAG, False),
)
TAXONOMIES = ("tag", "category")

STORE = (
    Key("path", Kind.PATH, "state/bulletin.db"),
    Key("min_free_mb", Kind.NUMBER, 16.0),
    Key("url", Kind.TEXT),
    Key("password_env", Kind.TEXT),
    Key("lease", Kind.NUMBER, 120.0, minimum=1),
)

DIGEST = (
    Key("from", Kind.TEXT),
    Key("reply_to", Kind.TEXT),
    Key("subject", Kind.TEXT, DEFAULT_SUBJECT),
    Key("secret_env", Kind.TEXT, "BULLETIN_SECRET"),
    Key("templates", Kind.PATH, "templates"),
    Key("schedule", Kind.TEXT),
    Key("min_posts", Kind.WHOLE, 1, minimum=1),
    Key("logo", Kind.TEXT),  # an http(s) URL, or a file that `bulletin build` publishes
    Key("footer", Kind.PROSE, ""),  # the sender's postal address and phone, in every mail
    Key("bounce_address", Kind.TEXT),  # envelope sender base for VERP: bounces@example.org
)
LOGO_FOLDER = "digest"  # a logo file is published as feeds.url/digest/<its name>

DKIM = (
    Key("domain", Kind.TEXT, required=True),
    Key("selector", Kind.TEXT, required=True),
    Key("key_file", Kind.PATH, required=True),
)

SMTP = (
    Key("security", Kind.TEXT, "starttls"),
    Key("ca_file", Kind.PATH),
    Key("host", Kind.TEXT),  # None: write .eml files to smtp.outbox instead of speaking SMTP
    Key("port", Kind.WHOLE, minimum=1),  # 465 for security tls, else 587
    Key("username", Kind.TEXT),
    Key("password_env", Kind.TEXT, "SMTP_PASSWORD"),
    Key("timeout", Kind.NUMBER, 30.0, minimum=0.1),
    # The reply to the end of a message may take 10 minutes (RFC 5321 4.5.3.2.6).
    Key("data_timeout", Kind.NUMBER, 600.0, minimum=0.1),
    Key("connections", Kind.WHOLE, 4, minimum=1),
    Key("rate_per_second", Kind.NUMBER, 0.0),
    Key("max_attempts", Kind.WHOLE, 5, minimum=1),
    Key("retry_delay", Kind.NUMBER, 2.0),
    # 4xx replies: tried again in later runs for this long (an MTA's queue lifetime), the
    # runs spaced from retry_backoff seconds up, doubling.
    Key("give_up_after", Kind.TEXT, "3d"),
    Key("retry_backoff", Kind.NUMBER, 300.0),
    Key("outbox", Kind.PATH, "outbox"),
)
SECURITY = ("starttls", "tls", "none")

WEB = (
    Key("url", Kind.URL),
    Key("host", Kind.TEXT, "127.0.0.1"),
    Key("port", Kind.WHOLE, 8080, minimum=1),
    Key("send_confirmations_every", Kind.NUMBER, 2.0, minimum=0.01),  # seconds
    # Proxies whose X-Forwarded-For names the client: addresses or networks (10.0.0.0/8).
    Key("trusted_proxies", Kind.NAMES, ()),
    # Limits for serve's connections (web/connections.py).
    Key("max_connections", Kind.WHOLE, 1000, minimum=1),
    Key("max_connections_per_client", Kind.WHOLE, 32, minimum=1),
    Key("request_timeout", Kind.NUMBER, 10.0, minimum=0.1),  # seconds to send a whole request
    Key("keep_alive_timeout", Kind.WHOLE, 5, minimum=1),  # seconds an idle connection stays open
    Key("max_header_bytes", Kind.WHOLE, 16384, minimum=1024),
    # Sites whose pages may post the sign-up form (`bulletin embed`), and where it returns to.
    Key("allowed_origins", Kind.NAMES, ()),
    Key("after_subscribe", Kind.URL),
)

BOUNCES = (
    Key("soft_limit", Kind.WHOLE, 3, minimum=1),
    Key("window", Kind.TEXT, "30d"),  # a duration: 30d, 720h
    Key("maildir", Kind.PATH),
)

IMAP = (
    Key("host", Kind.TEXT, required=True),
    Key("security", Kind.TEXT, "tls"),
    Key("port", Kind.WHOLE, minimum=1),  # 993 for security tls, else 143
    Key("user", Kind.TEXT, required=True),
    Key("password_env", Kind.TEXT, "BOUNCES_IMAP_PASSWORD"),
    Key("folder", Kind.TEXT, "INBOX"),
    Key("processed_folder", Kind.TEXT),  # processed mail is moved there; else flagged in place
    Key("ca_file", Kind.PATH),
    Key("timeout", Kind.NUMBER, 30.0, minimum=0.1),
)
