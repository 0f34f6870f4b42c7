"""`bulletin serve` as a server: store calls never stall the event loop, and it starts light."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bulletin.feeds.build import build
from bulletin.tokens import CONFIRM, PREFERENCES, UNSUBSCRIBE
from bulletin.web.app import create_app

from .digest_site import NOW, WEB_URL, DigestSite
from .smtp_server import free_port

pytestmark = pytest.mark.both_backends

# What only `bulletin build` and `bulletin send` need: feed documents, Markdown and the
# digest's HTML tools. `bulletin serve` answers without any of them.
BUILD_AND_DIGEST_MODULES = (
    "feedgen",
    "lxml",
    "markdown",
    "pygments",
    "dateutil",
    "css_inline",
    "nh3",
    "babel",
    "frontmatter",
    "slugify",
)


@contextlib.contextmanager
def running_server(app: Starlette) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 in a thread of this process; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.sqlite_only("holds SQLite's write lock with a raw sqlite3 connection to make the store wait")
def test_other_requests_are_answered_while_a_store_call_waits_for_the_write_lock(site: DigestSite) -> None:
    site.subscribe("waiting@example.org")
    token = site.token(UNSUBSCRIBE, "waiting@example.org")
    app = create_app(site.config)  # opens the store, before anyone holds its lock
    # Another process writing (a `bulletin send` storing a digest) holds the write lock.
    holder = sqlite3.connect(site.store_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with running_server(app) as url, ThreadPoolExecutor(1) as pool:
            unsubscribing = pool.submit(
                httpx.post,
                f"{url}/unsubscribe/{token}",
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=60,
            )
            time.sleep(0.5)  # the POST reaches the store and waits there for the lock
            assert not unsubscribing.done(), "the unsubscribe did not wait for the write lock"
            # A handler calling SQLite on the event loop would leave this unanswered.
            page = httpx.get(f"{url}/subscribe", timeout=5)
            assert page.status_code == 200 and 'name="email"' in page.text
            assert not unsubscribing.done(), "the unsubscribe did not wait for the write lock"
            holder.execute("COMMIT")
            assert unsubscribing.result(timeout=30).status_code == 200
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
    assert site.subscriber_status("waiting@example.org") == "unsubscribed"


def test_serve_neither_starts_nor_answers_with_the_build_and_digest_libraries(site: DigestSite) -> None:
    site.post("one", "Первая новость", "2026-04-01 10:00")
    build(site.config, NOW)  # in this process: the feed is there for the server to serve
    program = textwrap.dedent(
        f"""
        import sys
        import bulletin.cli
        from bulletin.config import load_config
        from bulletin.web.app import create_app
        from bulletin.web.server import serve

        def loaded():
            return sorted(name for name in {BUILD_AND_DIGEST_MODULES!r} if name in sys.modules)

        app = create_app(load_config({str(site.config_path)!r}))
        print("start", *loaded())
        from starlette.testclient import TestClient
        brought_by_client = set(loaded())  # httpx imports pygments for its own command line
        paths = ("/health", "/subscribe", "/archive/", "/archive/1", "/feed.xml", "/static/bulletin.css")
        with TestClient(app) as client:
            print(*(client.get(path).status_code for path in paths))
        print("answered", *sorted(set(loaded()) - brought_by_client))
        """
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["start", "200 200 200 404 200 200", "answered"]


def start_serve(site: DigestSite, *options: str, port: int) -> subprocess.Popen[str]:
    """`bulletin [options] serve` as a real process on 127.0.0.1:port."""
    return site.popen(*options, "serve", "--host", "127.0.0.1", "--port", str(port))


def wait_for_health(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"bulletin serve did not answer on {url}")


def stopped(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    out, err = process.communicate(timeout=20)
    return out, err


def test_serve_says_where_it_listens_and_logs_requests_under_v_with_tokens_masked(site: DigestSite) -> None:
    site.subscribe("logged@example.org")
    unsubscribe_token = site.token(UNSUBSCRIBE, "logged@example.org")
    confirm_token = site.token(CONFIRM, "logged@example.org")
    preferences_token = site.token(PREFERENCES, "logged@example.org")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_serve(site, "-v", port=port)
    wait_for_health(url, process)
    assert httpx.get(f"{url}/unsubscribe/{unsubscribe_token}", timeout=5).status_code == 200
    assert httpx.get(f"{url}/confirm/{confirm_token}?x=1", timeout=5).status_code == 200
    assert httpx.get(f"{url}/preferences?token={preferences_token}", timeout=5).status_code == 200
    assert httpx.get(f"{url}/no-such-feed.xml", timeout=5).status_code == 404
    out, err = stopped(process)
    lines = out.splitlines()
    assert lines[0] == f"Serving on {url}"
    assert f"Public address (web.url): {WEB_URL}" in lines
    assert f"Feeds: {url}/feed.xml (RSS), {url}/atom.xml (Atom)" in out
    assert f"Archive: {url}/archive/  Sign-up form: {url}/subscribe" in lines
    access = [line for line in err.splitlines() if "bulletin.web.access" in line]
    paths = [line.split('"')[1] for line in access]
    assert "GET /unsubscribe/***" in paths
    assert "GET /confirm/***?x=1" in paths
    assert "GET /preferences?token=***" in paths
    assert "GET /no-such-feed.xml" in paths
    not_found = 'INFO bulletin.web.access: 127.0.0.1 "GET /no-such-feed.xml" 404 '
    assert any(line.startswith(not_found) for line in access)
    assert unsubscribe_token not in out + err and confirm_token not in out + err
    assert preferences_token.split(".")[1] not in out + err


def test_serve_without_v_logs_no_requests(site: DigestSite) -> None:
    port = free_port()
    process = start_serve(site, port=port)
    wait_for_health(f"http://127.0.0.1:{port}", process)
    assert httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=5).status_code == 200
    out, err = stopped(process)
    assert out.startswith(f"Serving on http://127.0.0.1:{port}\n")
    assert "GET" not in err and "/subscribe" not in err


def test_a_port_in_use_is_one_error_line_and_exit_1(site: DigestSite) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_serve(site, port=port)
        out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (1, "", f"Error: port {port} on 127.0.0.1 is in use\n")
