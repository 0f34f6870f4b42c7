"""Reaching a PostgreSQL store: the password from the environment, a pool, one transaction per call.

The URL in config.yaml never holds a password (the config reader refuses one), so
``location`` is the URL as configured and can be printed; the password is read from
the variable ``store.password_env`` names and handed to libpq only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from ..errors import RecordingFailed, StoreError

try:
    import psycopg
    from psycopg.conninfo import make_conninfo
    from psycopg.rows import namedtuple_row
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError:  # the optional extra: pip install 'bulletin[postgresql]'
    psycopg = None  # type: ignore[assignment]

# Two-number advisory lock keys: the first says "bulletin", the second which lock.
LOCK_SPACE = 0x62756C6C
MIGRATE_LOCK = 1
RUN_LOCK = 2
COMPOSE_LOCK = 3
CONNECT_TIMEOUT = 10  # seconds libpq waits for the server before giving up


def server_conninfo(url: str, password_env: str | None) -> str:
    """libpq's connection string for ``url`` with the password from ``password_env``.

    StoreError when psycopg is not installed or the variable is named but not set.
    """
    if psycopg is None:
        raise StoreError(f"{url}: a PostgreSQL store needs psycopg: pip install 'bulletin[postgresql]'")
    extra: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, "application_name": "bulletin"}
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise StoreError(f"{url}: store.password_env names {password_env}, which is not set")
        extra["password"] = password
    try:
        return make_conninfo(url, **extra)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"{url}: not a PostgreSQL URL: {_first_line(exc)}") from None


def connect(conninfo: str, location: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One connection of its own (the pool's are for statements; a session lock needs its own)."""
    try:
        conn = psycopg.connect(conninfo, autocommit=autocommit, row_factory=namedtuple_row)
    except psycopg.Error as exc:
        raise StoreError(f"{location}: cannot open store: {_first_line(exc)}") from None
    _configure(conn)
    return conn


def _configure(conn: psycopg.Connection[Any]) -> None:
    # Times come back in UTC, as the SQLite store writes them.
    conn.execute("SET TimeZone TO 'UTC'")
    if not conn.autocommit:
        conn.commit()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Connections:
    """A pool of connections; ``transaction()`` hands one out for one committed step.

    A step inside another on the same thread (``add_subscribers`` calling
    ``add_subscriber``) joins the outer one, so both commit together or not at all.
    """

    def __init__(self, conninfo: str, location: str, size: int = 4) -> None:
        self.conninfo = conninfo
        self.location = location
        self._local = threading.local()
        self.pool: ConnectionPool[Any] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=size,
            open=False,
            kwargs={"row_factory": namedtuple_row},
            configure=_configure,
            timeout=30,
            name="bulletin-store",
        )

    def open(self) -> None:
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT + 5)
        except PoolTimeout:
            self.pool.close()
            raise StoreError(f"{self.location}: cannot open store: the server did not answer") from None

    def close(self) -> None:
        self.pool.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        # The pool commits when the block ends and rolls back when it raises.
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None


class HasConnections(Protocol):
    connections: Connections


S = TypeVar("S", bound=HasConnections)
P = ParamSpec("P")
R = TypeVar("R")


def reported(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Turn the server's errors into the store's: a lost connection means nothing can be recorded."""

    @functools.wraps(method)
    def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            location = self.connections.location
            raise RecordingFailed(f"{location}: cannot reach the store: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StoreError(f"{self.connections.location}: {_first_line(exc)}") from None

    return call


def scalar(db: psycopg.Connection[Any], query: Any, params: Any = None) -> Any:
    """The first column of the one row ``query`` returns."""
    row = db.execute(query, params).fetchone()
    assert row is not None, "the query returns a row"
    return row[0]
