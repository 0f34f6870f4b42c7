"""The shared fixtures, registered here so a test names them as arguments and imports none.

The things they hand out live in plain modules beside this one: ``feed_site`` (config.yaml,
posts, a built site), ``digest_site`` (a site that sends digests), ``smtp_server`` (aiosmtpd
recording on 127.0.0.1), ``raw_smtp`` (a scripted bare SMTP server) and ``golden`` (output
compared byte for byte with files under tests/golden/; ``pytest --update-golden`` rewrites them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .digest_site import SECRET, DigestSite
from .feed_site import TESTS_CONTENT, BuiltSite, WriteConfig, build_site, write_config_file
from .golden import GOLDEN, Golden
from .postgres_server import PASSWORD_ENV, PostgresServer, postgres_bin, running_cluster
from .raw_smtp import RawServer, Script
from .smtp_server import SmtpServer, start_smtp_server

BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: the module's tests that take store_backend run on SQLite and PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "sqlite_only(reason): a test of a both_backends module that runs on SQLite only, and why"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In a module marked both_backends, every test taking ``store_backend`` (directly or through
    ``site``) runs once per backend, unless marked sqlite_only."""
    definition = metafunc.definition
    if "store_backend" in metafunc.fixturenames and definition.get_closest_marker("both_backends"):
        only_sqlite = definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("store_backend", BACKENDS[:1] if only_sqlite else BACKENDS, indirect=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected files under tests/golden/ from this run's output instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare output with its file under tests/golden/ (or rewrite it with --update-golden)."""
    return Golden(GOLDEN, update=bool(request.config.getoption("--update-golden")))


# Feeds ---------------------------------------------------------------------------------------------


@pytest.fixture
def grav_blog(tmp_path: Path) -> Path:
    """A copy of tests/sites/blog (a Grav user/ tree in the blog skeleton's shapes); its config.yaml."""
    shutil.copytree(Path(__file__).parent / "sites" / "blog", tmp_path / "site")
    return tmp_path / "site" / "config.yaml"


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write config.yaml into tmp_path and return its path.

    ``content_dir`` defaults to ``tmp_path / "content"`` (created empty);
    keyword arguments are sections merged into the defaults, e.g. ``feeds={"limit": 2}``.
    """

    def write(content_dir: Path | str | None = None, **sections: dict[str, Any]) -> Path:
        if content_dir is None:
            content_dir = tmp_path / "content"
            Path(content_dir).mkdir(exist_ok=True)
        return write_config_file(tmp_path, content_dir, **sections)

    return write


@pytest.fixture(scope="session")
def edge_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """tests/content built at NOW with summaries only."""
    return build_site(tmp_path_factory.mktemp("edge"), TESTS_CONTENT)


@pytest.fixture(scope="session")
def edge_site_full(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """tests/content built at NOW with feeds.full_content: true."""
    return build_site(tmp_path_factory.mktemp("edge_full"), TESTS_CONTENT, feeds={"full_content": True})


# Digests and SMTP ----------------------------------------------------------------------------------


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BULLETIN_SECRET", SECRET)
    return SECRET


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(tmp_path: Path, smtp_server: SmtpServer, secret: str, store_backend: StoreBackend) -> DigestSite:
    """A digest site sending to ``smtp_server``."""
    return DigestSite(tmp_path / "site", smtp_server, store_backend.url)


@pytest.fixture
def outbox_site(tmp_path: Path, secret: str, store_backend: StoreBackend) -> DigestSite:
    """A digest site writing .eml files into its outbox instead of sending."""
    return DigestSite(tmp_path / "site", None, store_backend.url)


# The store's backend -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of the tests' own, started once (the first test that needs it)."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin;"
            " .ci/run installs the postgresql package): the PostgreSQL variant of this test cannot run"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]'): the PostgreSQL variant cannot run")
    with running_cluster(binaries) as server:
        yield server


@dataclass(frozen=True)
class StoreBackend:
    kind: str  # "sqlite" or "postgresql"
    url: str | None = None  # store.url of a PostgreSQL store (its password in PASSWORD_ENV)


@pytest.fixture
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreBackend]:
    """The backend a test's store is on: SQLite, unless its module runs it on both (both_backends);
    on PostgreSQL each test gets a new, empty database of the session's cluster."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield StoreBackend(kind)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    database = server.new_database()
    try:
        yield StoreBackend(kind, server.url(database))
    finally:
        server.drop_database(database)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Script], RawServer]]:
    """Start a RawServer for a script; stopped at the end of the test."""
    started: list[RawServer] = []

    def start(script: Script) -> RawServer:
        server = RawServer(script)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# The run lock --------------------------------------------------------------------------------------

_HOLD_THE_LOCK = """\
import sys, time
from bulletin.config import load_config
from bulletin.store import open_store
with open_store(load_config(sys.argv[1])) as store, store.run_lock():
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def run_lock_holder() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Start another process that holds the run lock of the site configured in a config.yaml.

    It returns once the lock is held, as a `bulletin send` would hold it; kill the process to
    free the lock (teardown kills any still running).
    """
    started: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_THE_LOCK, str(path)], stdout=subprocess.PIPE, text=True
        )
        started.append(holder)
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        return holder

    yield hold
    for holder in started:
        holder.kill()
        holder.communicate(timeout=10)
