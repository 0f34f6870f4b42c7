"""The preferences page in headless chromium: a subscriber changes language and topics, the store follows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import PREFERENCES, preferences_url

from .chromium import chromium, shoot
from .multilang_site import DIAGNOSTICS, VACCINATION, multilang_digest_site
from .smtp_server import SmtpServer
from .test_browser import ARTIFACTS, CHROMIUM, Server

ADDRESS = "aliya@example.org"


@pytest.fixture
def served(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> Iterator[Server]:
    site = multilang_digest_site(tmp_path / "site", smtp_server, topics=True)
    site.store_path.parent.mkdir(parents=True)
    with SqliteStore(site.store_path) as store:
        store.add_subscriber(ADDRESS, "Алия", language="ru", topics=frozenset({VACCINATION}))
    server = Server(site)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
def test_a_subscriber_changes_language_and_topics_in_chromium(served: Server) -> None:
    site = served.site
    url = preferences_url(served.url, site.token(PREFERENCES, ADDRESS))
    with chromium() as browser:
        for page in shoot(browser, url, "preferences"):
            assert page.locator("h1").inner_text() == "Настройки подписки"
            # The stylesheet loaded under the strict CSP: the topics sit in their box.
            assert page.locator("fieldset").evaluate("f => getComputedStyle(f).borderTopStyle") == "solid"
            page.close()

        page = browser.new_page()
        page.goto(url)
        assert page.locator("#bulletin-language").input_value() == "ru"
        assert page.get_by_label("Вакцинация").is_checked()
        page.select_option("#bulletin-language", "kk")
        page.get_by_label("Вакцинация").uncheck()
        page.get_by_label("Диагностика").check()
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Баптаулар сақталды"
        page.screenshot(path=str(ARTIFACTS / "preferences-saved.png"), full_page=True)

        with SqliteStore(site.store_path) as store:
            subscriber = store.subscriber(email=ADDRESS)
        assert subscriber is not None
        assert (subscriber.language, subscriber.topics) == ("kk", frozenset({DIAGNOSTICS}))

        # Back on the page: it speaks Kazakh now and shows the new choice.
        page.click("main p:last-child a")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Жазылым баптаулары"
        assert page.locator("#bulletin-language").input_value() == "kk"
        assert page.get_by_label("Диагностика").is_checked()
        assert not page.get_by_label("Екпе").is_checked()
        for kazakh in shoot(browser, page.url, "preferences-kk"):
            kazakh.close()
