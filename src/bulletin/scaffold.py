"""`bulletin init`: a new site that builds and sends out of the box."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from .config.secrets import ENV_FILE_NAME
from .errors import ConfigError
from .files import write_files_atomically
from .tokens import new_secret

CONFIG_TEMPLATE = """\
# bulletin configuration. Paths are relative to this file.
# Every key is listed; commented keys show their default.
# Secrets (BULLETIN_SECRET, SMTP_PASSWORD) are never put here: they are read from the
# environment, then from .env beside this file (mode 0600), which bulletin init wrote.
# secrets_file: .env                      # another KEY=VALUE file, relative to this one

site:
  title: 'My site'
  url: 'https://example.com'              # absolute; permalinks are url + route
  description: 'News from my site'
  language: en                            # en, ru, ru-RU, ... (dates and texts follow it)
  timezone: UTC                           # IANA name, e.g. Asia/Almaty; dates without offset are local
  author:
    name: 'Editor'
    # email: editor@example.com

content:
  dir: content                            # Markdown posts, Grav layout or flat files
  # summary_size: 300                     # characters of text when a post has no === line
  # page_files: [item, post, default, blog, page, article, entry, news]

feeds:
  output_dir: public                      # feed.xml, atom.xml, feed.json, archive/
  # limit: 20
  # full_content: false
  # url: 'https://example.com'            # where output_dir is served; default site.url

store:
  path: state/bulletin.db                 # SQLite: subscribers, digests, deliveries

digest:
  from: 'My site <news@example.com>'
  # reply_to: 'editor@example.com'
  # subject: a Jinja2 string; the default is the site title, the first post's title and (+N) for more
  start: '{today}'                     # older posts never go out
  # secret_env: BULLETIN_SECRET           # variable holding the token secret (see .env)
  # templates: templates                  # your templates override the built-in ones
  # schedule: null                        # null (each run), every-post, daily HH:MM,
  #                                       # weekly MON HH:MM or monthly 1 HH:MM
  # min_posts: 1
  # logo: logo.png                        # the header's image: a file beside this one (bulletin build
  #                                       # publishes it at feeds.url/digest/) or an https:// URL
  # Under every digest: who sends it, where. Bulk mail must show a postal address (CAN-SPAM and
  # similar rules); `bulletin check` warns without one.
  footer: |
    My site · 1 Example Street, Example City
    Phone: +1 555 0100
  # dkim:
  #   domain: example.com
  #   selector: bulletin
  #   key_file: dkim.key                  # PEM private key

smtp:
  host: null                              # null: write .eml files to smtp.outbox instead of sending
  # outbox: outbox
  # port: 587                             # 465 with security: tls
  # security: starttls                    # starttls | tls | none
  # username: null
  # password_env: SMTP_PASSWORD           # variable holding the password (see .env)
  # ca_file: null                         # a private CA; certificates are always verified
  # timeout: 30
  # connections: 4
  # rate_per_second: 0                    # 0 = unlimited
  # max_attempts: 5
  # retry_delay: 2                        # seconds before the first retry; doubles each time

web:
  # url: 'https://example.com'            # public base URL of `bulletin serve`; default site.url
  # host: 127.0.0.1
  # port: 8080
"""

EXAMPLE_POST = """\
---
title: 'Hello, world'
date: '{date}'
taxonomy:
    category: [news]
    tag: [welcome]
---

This is the summary: everything above the line with three equals signs.

===

And this is the rest of the post. Put images beside this file and link them
by their file name alone: feeds and emails get absolute URLs.
"""

ENV_FILE = """\
# Secrets for bulletin, read by every command, cron's too. Only you may read this file
# (mode 0600: bulletin refuses it otherwise), and it stays out of git (.gitignore).
# BULLETIN_SECRET signs the unsubscribe links in every digest: keep it. A new value breaks
# the links in mails already sent; to rotate, move this value to BULLETIN_SECRET_OLD and
# put a new one (bulletin secret) here: see docs/security.md.
BULLETIN_SECRET={secret}
# SMTP_PASSWORD=
"""

GITIGNORE = """\
# bulletin secrets (.env), state and output
/.env
/state/
/public/
/outbox/
/preview/
"""


def _default_templates() -> dict[str, bytes]:
    root = resources.files("bulletin") / "templates"
    found: dict[str, bytes] = {}
    for entry in root.iterdir():
        if entry.is_file():
            found[entry.name] = entry.read_bytes()
        elif entry.name == "web":
            for item in entry.iterdir():
                if item.is_file():
                    found[f"web/{item.name}"] = item.read_bytes()
    return found


def init_site(folder: Path, today: dt.date) -> list[Path]:
    """Write a new site into ``folder``, its secret in .env; refuses (writing nothing) if any file exists."""
    # The example post and digest.start are dated yesterday, so the post is visible
    # and goes into the first digest whatever the hour and time zone.
    yesterday = today - dt.timedelta(days=1)
    files: dict[Path, bytes] = {
        folder / "config.yaml": CONFIG_TEMPLATE.replace("{today}", yesterday.isoformat()).encode(),
        folder / ".gitignore": GITIGNORE.encode(),
        folder / ENV_FILE_NAME: ENV_FILE.replace("{secret}", new_secret()).encode(),
        folder / "content" / "01.blog" / "01.hello-world" / "item.md": EXAMPLE_POST.replace(
            "{date}", yesterday.strftime("%d-%m-%Y 09:00")
        ).encode(),
    }
    for name, data in _default_templates().items():
        files[folder / "templates" / name] = data
    existing = [path for path in files if path.exists()]
    if existing:
        raise ConfigError(*(f"{path}: already exists; bulletin init never overwrites" for path in existing))
    write_files_atomically(files, modes={folder / ENV_FILE_NAME: 0o600})
    return sorted(files)
