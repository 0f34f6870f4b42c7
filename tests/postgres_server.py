"""A throwaway PostgreSQL cluster for the tests: initdb and pg_ctl in a temporary folder, a free port.

No system service and nothing installed: the server runs from Debian's binaries
(/usr/lib/postgresql/<version>/bin, the `postgresql` package .ci/run installs) as
the user running the tests, or, for root (which initdb refuses), as ``nobody``.
Clients log in over TCP with a password, read from the environment as the store's
``password_env`` says, so every test also goes through that path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bulletin.store.sqlite_connection import iso

PASSWORD_ENV = "BULLETIN_TEST_PG_PASSWORD"
USER = "bulletin"
_database_numbers = itertools.count(1)


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl (the newest version installed), or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    password: str

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        )

    def new_database(self) -> str:
        """A fresh, empty database (each test gets its own, so none sees another's rows)."""
        name = f"test_{os.getpid()}_{next(_database_numbers)}"
        with self.admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_cluster(binaries: Path) -> Iterator[PostgresServer]:
    """initdb a cluster in a temporary folder, start it on a free port, stop and remove it after."""
    root = Path(tempfile.mkdtemp(prefix="bulletin-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb will not run as root; the cluster's files belong to nobody instead.
        as_user = ["runuser", "-u", "nobody", "--"]
        os.chown(root, 65534, 65534)
    password = os.urandom(12).hex()
    (root / "pw").write_text(password + "\n")
    if as_user:
        os.chown(root / "pw", 65534, 65534)
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True, cwd=root)

    options = " ".join(
        [
            f"-p {port} -c listen_addresses=127.0.0.1 -k {root}",
            # A test cluster loses nothing worth keeping in a crash: skip the flushes.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "-c max_connections=300 -c shared_buffers=32MB",
        ]
    )
    try:
        run(
            str(binaries / "initdb"), "-D", str(data), "-U", USER, "-E", "UTF8", "--no-locale",
            "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}",
        )  # fmt: skip
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start")
        try:
            yield PostgresServer("127.0.0.1", port, password)
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pg_store_section(url: str) -> dict[str, object]:
    """config.yaml's store keys for a PostgreSQL store at ``url`` of the test cluster.

    A short lease: a test that kills a sender sees its deliveries taken over in seconds.
    """
    return {"url": url, "password_env": PASSWORD_ENV, "lease": 3}


def pg_rows(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of a query written for sqlite3 (``?`` placeholders), run on the PostgreSQL store at ``url``."""
    import psycopg

    with psycopg.connect(url, password=os.environ[PASSWORD_ENV], autocommit=True) as db:
        cursor = db.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
        rows = cursor.fetchall() if cursor.description else []
    # Times as the SQLite store writes them, so one expected row fits both backends.
    return [tuple(iso(value) if isinstance(value, dt.datetime) else value for value in row) for row in rows]


def open_test_store(kind: str, url: str | None, path: Path) -> Any:
    """A store of the backend ``kind``: the SQLite file ``path``, or the database at ``url``."""
    if kind == "sqlite":
        from bulletin.store.sqlite import SqliteStore

        return SqliteStore(path)
    from bulletin.store.pg import PostgresStore

    return PostgresStore(url or "", PASSWORD_ENV, lease=3)


def store_rows(store: Any, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of a query (``?`` placeholders) read straight from ``store``'s database, either backend."""
    if store.kind == "sqlite":
        return [tuple(row) for row in store.db.execute(sql, params)]
    return pg_rows(store.location, sql, params)
