"""A throw-away site for the digest tests: config.yaml, posts, a store, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from bulletin.cli import main
from bulletin.config import Config, load_config
from bulletin.mail import jobs as publish
from bulletin.store import Store, open_store

from .feed_site import ALMATY, config_data
from .postgres_server import pg_rows, pg_store_section
from .smtp_server import SmtpServer

SECRET = "test-secret-0123456789-abcdef"
SENDER = "Клиника «Тест» <news@clinic.example>"
REPLY_TO = "Пресс-служба <press@clinic.example>"
WEB_URL = "https://web.clinic.example"
# Every post below is dated before this moment; sends happen "now" unless told otherwise.
NOW = dt.datetime(2026, 4, 12, 10, 0, tzinfo=ALMATY)


def bulletin_command() -> list[str]:
    script = shutil.which("bulletin")
    if script:
        return [script]
    return [sys.executable, "-c", "from bulletin.cli import main; main()"]


class DigestSite:
    """One site in a temporary folder, its SMTP settings pointing at ``smtp`` (or the outbox)."""

    def __init__(self, root: Path, smtp: SmtpServer | None, store_url: str | None = None) -> None:
        self.root = root
        self.store_url = store_url
        self.content = root / "content"
        self.content.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "config.yaml"
        self.smtp = smtp
        self.sections: dict[str, dict[str, Any]] = {
            "store": {"path": "state/bulletin.db", **(pg_store_section(store_url) if store_url else {})},
            "digest": {"from": SENDER, "reply_to": REPLY_TO, "start": "2020-01-01"},
            "smtp": (
                {
                    "host": smtp.host,
                    "port": smtp.port,
                    "security": "none",
                    "timeout": 5,
                    "retry_delay": 0.01,
                    "connections": 2,
                    "max_attempts": 5,
                    # Runs follow each other at once here: no wait before retrying a 4xx.
                    "retry_backoff": 0,
                }
                if smtp
                else {"host": None, "outbox": "outbox"}
            ),
            # Confirmation mails go out 20 times a second, so tests wait little for them.
            "web": {"url": WEB_URL, "send_confirmations_every": 0.05},
        }
        self.configure()

    def configure(self, **sections: dict[str, Any]) -> Config:
        """Rewrite config.yaml with ``sections`` merged key by key into the current ones."""
        for name, values in sections.items():
            self.sections.setdefault(name, {}).update(values)
        self.store_url = self.sections["store"].get("url")
        data = config_data(self.content, **{k: dict(v) for k, v in self.sections.items()})
        self.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return self.config

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "bulletin.db"

    def post(self, slug: str, title: str, date: str, body: str = "Первый абзац.", **header: Any) -> Path:
        """A Grav page folder 01.blog/<slug>/item.md: route /blog/<slug>.

        Header values are JSON-quoted, so any character (CR, LF, quotes) survives YAML.
        """
        lines = [f"title: {json.dumps(title, ensure_ascii=False)}", f"date: '{date}'"]
        lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in header.items()]
        path = self.content / "01.blog" / slug / "item.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n", encoding="utf-8")
        return path

    def open_store(self) -> Store:
        """The site's store, on whichever backend its config names."""
        return open_store(self.config)

    def store_problems(self) -> list[str]:
        """What the store's own check finds wrong (SQLite: integrity and foreign keys)."""
        with self.open_store() as store:
            return store.check()

    def subscribe(self, *addresses: str, name: str | None = None) -> None:
        from bulletin.subscribers import add_subscriber

        with open_store(self.config) as store:
            for address in addresses:
                add_subscriber(store, address, name)

    def send(self, now: dt.datetime = NOW) -> publish.SendResult:
        return publish.send(self.config, now)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Run a bulletin command in-process; ``--config`` goes right after the sub-command."""
        words = list(args)
        at = 2 if words[0] in ("subscribers", "store") else 1
        words[at:at] = ["--config", str(self.config_path)]
        return CliRunner().invoke(main, words, env=env, catch_exceptions=False)

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        """``bulletin send ...`` as a real process."""
        env = {**os.environ, "BULLETIN_SECRET": SECRET}
        return subprocess.Popen(
            [*bulletin_command(), *args, "--config", str(self.config_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=self.root,
            **kwargs,
        )

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the store with plain sqlite3 or psycopg, as an outsider would (``?`` placeholders)."""
        if self.store_url:
            return pg_rows(self.store_url, sql, params)
        db = sqlite3.connect(self.store_path)
        try:
            return [tuple(row) for row in db.execute(sql, params)]
        finally:
            db.close()

    def execute(self, sql: str, *params: Any) -> None:
        """Change the store behind bulletin's back (``?`` placeholders), committed at once."""
        if self.store_url:
            pg_rows(self.store_url, sql, params)
            return
        db = sqlite3.connect(self.store_path, isolation_level=None)
        try:
            db.execute(sql, params)
        finally:
            db.close()

    def delivery_statuses(self) -> dict[str, str]:
        return dict(
            self.rows(
                "SELECT s.email, d.status FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
            )
        )

    def token(self, purpose: str, email: str, secret: str = SECRET) -> str:
        """The token the app would make for ``email``'s row (its id and nonce)."""
        from bulletin.tokens import TokenSigner

        [(subscriber_id, nonce)] = self.rows("SELECT id, token_nonce FROM subscribers WHERE email = ?", email)
        return TokenSigner(secret).make(purpose, subscriber_id, nonce)

    def subscriber_status(self, email: str) -> str:
        return self.rows("SELECT status FROM subscribers WHERE email = ?", email)[0][0]
