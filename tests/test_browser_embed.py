"""The embedded sign-up form in headless chromium: a page on another port posts it to `bulletin serve`.

The site's page is served by a plain HTTP server on one 127.0.0.1 port, `bulletin serve` runs
as a real process on another; a third port plays a site that is not allowed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bulletin.store.sqlite import SqliteStore

from .chromium import chromium, shoot
from .digest_site import DigestSite
from .multilang_site import VACCINATION, multilang_digest_site
from .smtp_server import SmtpServer
from .test_browser import ARTIFACTS, CHROMIUM, Server

THANKS = {"kk": "Рахмет! Поштаңызды тексеріңіз.", "en": "Thank you! Check your inbox."}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class PageServer:
    """A folder of static pages on 127.0.0.1: the clinic's own site."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def site_pages(folder: Path, snippet: str) -> None:
    """A news page holding the form, and a thank-you page per language."""
    (folder / "index.html").write_text(
        '<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Емхана</title></head>'
        '<body style="font-family: sans-serif; margin: 16px"><h1>Емхана жаңалықтары</h1>'
        + snippet
        + "</body></html>",
        encoding="utf-8",
    )
    for language, text in THANKS.items():
        (folder / language).mkdir()
        (folder / language / "thanks.html").write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>{text}</h1></body></html>',
            encoding="utf-8",
        )


@pytest.fixture
def embedding(
    tmp_path: Path, smtp_server: SmtpServer, secret: str
) -> Iterator[tuple[Server, PageServer, PageServer]]:
    site: DigestSite = multilang_digest_site(tmp_path / "site", smtp_server, topics=True)
    pages = tmp_path / "pages"  # filled below, once serve's address (the form's action) is known
    pages.mkdir()
    allowed, other = PageServer(pages), PageServer(pages)
    thanks = allowed.origin + "/{lang}/thanks.html"
    site.configure(web={"allowed_origins": [allowed.origin], "after_subscribe": thanks})
    server = Server(site)
    try:
        result = site.cli("embed", "--lang", "kk")
        assert result.exit_code == 0, result.output
        site_pages(pages, result.output)
        yield server, allowed, other
    finally:
        server.stop()
        allowed.stop()
        other.stop()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_the_form_on_the_clinic_site_signs_up_and_returns_there(
    embedding: tuple[Server, PageServer, PageServer],
) -> None:
    server, allowed, other = embedding
    site = server.site
    with chromium() as browser:
        for page in shoot(browser, allowed.origin + "/index.html", "embed-form"):
            honeypot = page.locator("#bulletin-website").bounding_box()
            assert honeypot is not None and honeypot["x"] + honeypot["width"] < 0
            page.close()

        page = browser.new_page()
        page.goto(allowed.origin + "/index.html")
        assert page.locator("label[for=bulletin-email]").inner_text() == "Электрондық пошта мекенжайы"
        page.fill("#bulletin-email", "aliya@example.org")
        page.select_option("#bulletin-language", "en")
        page.get_by_label("Екпе").check()
        page.click("button[type=submit]")
        page.wait_for_url(allowed.origin + "/en/thanks.html")
        assert page.locator("h1").inner_text() == THANKS["en"]
        with SqliteStore(site.store_path) as store:
            subscriber = store.subscriber(email="aliya@example.org")
        assert subscriber is not None
        assert (subscriber.status, subscriber.language, subscriber.topics) == ("pending", "en", {VACCINATION})

        # The same form on a site that is not allowed: refused, nothing stored.
        page.goto(other.origin + "/index.html")
        page.fill("#bulletin-email", "mallory@example.org")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == server.url + "/subscribe"
        # Refused, in the language chosen in the form.
        assert page.locator("h1").inner_text() == "Форманың мерзімі өтіп кетті"
        page.screenshot(path=str(ARTIFACTS / "embed-refused.png"), full_page=True)

    assert site.rows("SELECT email FROM subscribers") == [("aliya@example.org",)]
