"""End to end in headless Debian chromium: subscribe, confirm, `bulletin send`, unsubscribe.

`bulletin serve` and `bulletin send` run as real processes; the mail goes through a real
aiosmtpd server. Screenshots land in test-artifacts/ at the repository root.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from .digest_site import SECRET, DigestSite, bulletin_command
from .smtp_server import SmtpServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Server:
    """`bulletin serve` as a subprocess on 127.0.0.1, web.url pointing at it."""

    def __init__(self, site: DigestSite, **popen: Any) -> None:
        self.site = site
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        site.configure(web={"url": self.url})
        self.process = subprocess.Popen(
            [
                *bulletin_command(),
                "serve",
                "--config",
                str(site.config_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "BULLETIN_SECRET": SECRET},
            cwd=site.root,
            **popen,
        )
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                raise AssertionError(f"bulletin serve exited with {self.process.returncode}:\n{output}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"bulletin serve did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def served(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> Iterator[Server]:
    site = DigestSite(tmp_path / "site", smtp_server)
    # A post from yesterday, so the real `bulletin send` (no --now) finds it new.
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    site.post("open-day", "День открытых дверей", yesterday.strftime("%Y-%m-%d %H:%M"))
    server = Server(site)
    try:
        yield server
    finally:
        server.stop()


def link(message: EmailMessage, prefix: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(re.escape(prefix) + r"[^\s>]+", text)
    assert match, f"no {prefix} link in:\n{text}"
    return match.group(0)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_subscribe_confirm_send_unsubscribe_in_chromium(served: Server, smtp_server: SmtpServer) -> None:
    from playwright.sync_api import sync_playwright

    site, address = served.site, "aliya@example.org"
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: console.append(message.text))

            page.goto(served.url + "/subscribe")
            assert page.locator("h1").inner_text() == "Подписка на рассылку"
            # The stylesheet loaded under the strict CSP, and the honeypot is out of sight.
            assert (
                page.locator("button").evaluate("b => getComputedStyle(b).backgroundColor")
                == "rgb(15, 76, 129)"
            )
            honeypot = page.locator("#website").bounding_box()
            assert honeypot is not None and honeypot["x"] + honeypot["width"] < 0
            page.fill("#email", address)
            page.fill("#name", "Алия")
            page.screenshot(path=str(ARTIFACTS / "subscribe-form.png"), full_page=True)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Проверьте почту"
            assert site.subscriber_status(address) == "pending"

            smtp_server.wait_for(1)
            confirm_url = link(smtp_server.messages_for(address)[0], served.url + "/confirm/")
            page.goto(confirm_url)
            assert page.locator("h1").inner_text() == "Подтверждение подписки"
            assert site.subscriber_status(address) == "pending"  # opening the link is not enough
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Подписка подтверждена"
            assert site.subscriber_status(address) == "active"

            send = site.popen("send")
            output, errors = send.communicate(timeout=60)
            assert send.returncode == 0, output + errors
            smtp_server.wait_for(2)
            digest = smtp_server.messages_for(address)[1]
            assert "День открытых дверей" in digest.get_body(("plain",)).get_content()
            unsubscribe_url = link(digest, served.url + "/unsubscribe/")
            assert f"<{unsubscribe_url}>" in digest["List-Unsubscribe"]

            page.goto(unsubscribe_url)
            assert page.locator("h1").inner_text() == "Отписка от рассылки"
            page.screenshot(path=str(ARTIFACTS / "unsubscribe-page.png"), full_page=True)
            assert site.subscriber_status(address) == "active"
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Вы отписаны"
            page.screenshot(path=str(ARTIFACTS / "unsubscribed.png"), full_page=True)
        finally:
            browser.close()

    assert site.subscriber_status(address) == "unsubscribed"
    assert not [text for text in console if "Content Security Policy" in text], console
    assert (ARTIFACTS / "subscribe-form.png").stat().st_size > 0
    assert (ARTIFACTS / "unsubscribe-page.png").stat().st_size > 0


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_one_click_from_the_readme(served: Server) -> None:
    # The command below is the README's, with its URL filled in.
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "curl -X POST -d 'List-Unsubscribe=One-Click' https://" in readme
    served.site.subscribe("reader@example.org")
    from bulletin.tokens import UNSUBSCRIBE

    url = f"{served.url}/unsubscribe/{served.site.token(UNSUBSCRIBE, 'reader@example.org')}"
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            "-d",
            "List-Unsubscribe=One-Click",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.stdout == "200", done.stderr
    assert served.site.subscriber_status("reader@example.org") == "unsubscribed"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_a_feed_opened_in_chromium_is_a_readable_page(served: Server) -> None:
    from playwright.sync_api import sync_playwright

    result = served.site.cli("build")
    assert result.exit_code == 0, result.output
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width in (600, 375):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(served.url + "/feed.xml")
                if page.evaluate("typeof XSLTProcessor === 'undefined'"):
                    pytest.skip("this Chromium no longer applies XSLT stylesheets")
                assert page.locator("h1").inner_text() == "Клиника — новости"
                assert page.locator(".url").inner_text() == "https://clinic.example/feed.xml"
                assert page.locator(".posts a").first.inner_text() == "День открытых дверей"
                assert "Лента новостей" in page.locator(".badge").inner_text()
                # The inline style ran under the feed's CSP (its hash), and nothing is wider than the screen.
                assert page.locator("main").evaluate("m => getComputedStyle(m).backgroundColor") == (
                    "rgb(255, 255, 255)"
                )
                assert page.evaluate("document.documentElement.scrollWidth") == width
                page.screenshot(path=str(ARTIFACTS / f"feed-{width}.png"), full_page=True)
        finally:
            browser.close()
