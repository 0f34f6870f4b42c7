"""Pages in the site's languages: the /kk/ prefix, the browser's Accept-Language, the default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from starlette.testclient import TestClient

from bulletin.web.app import create_app
from bulletin.web.languages import accepted_language

from .digest_site import WEB_URL, DigestSite
from .multilang_site import multilang_digest_site
from .smtp_server import SmtpServer

LANGUAGES = ("ru", "kk", "en")


@pytest.fixture
def multilang(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> DigestSite:
    return multilang_digest_site(tmp_path / "site", smtp_server)


@pytest.fixture
def client(multilang: DigestSite) -> Iterator[TestClient]:
    with TestClient(create_app(multilang.config), base_url=WEB_URL) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("kk-KZ,kk;q=0.9,ru;q=0.8,en;q=0.7", "kk"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,ru;q=0.5", "ru"),  # the first the site has, by weight
        ("ru;q=0.2, kk;q=0.8", "kk"),
        ("EN", "en"),
        ("fr, *;q=0.5", None),  # "anything" leaves the choice to the site
        ("kk;q=0, en;q=0.1", "en"),  # q=0 means "not this"
        ("de", None),
        ("", None),
        ("kk;q=abc, en;q=1e0, ru;q=0.5", "ru"),  # malformed weights drop their item
        (",,,;;;q=", None),
    ],
)
def test_the_browser_s_preferred_language_among_the_site_s(header: str, expected: str | None) -> None:
    assert accepted_language(header, LANGUAGES) == expected


def page_of(answer: object) -> lxml.html.HtmlElement:
    assert answer.status_code == 200  # type: ignore[attr-defined]
    return lxml.html.fromstring(answer.text)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "accept", "language", "title"),
    [
        ("/kk/subscribe", "en", "kk", "Таратылымға жазылу"),
        ("/en/subscribe", "kk", "en", "Subscribe"),
        ("/subscribe", "kk-KZ,kk;q=0.9", "kk", "Таратылымға жазылу"),
        ("/subscribe", "en-GB", "en", "Subscribe"),
        ("/subscribe", "de", "ru", "Подписка на рассылку"),
    ],
)
def test_the_sign_up_form_speaks_the_prefix_else_the_browser_s_language(
    client: TestClient, path: str, accept: str, language: str, title: str
) -> None:
    page = page_of(client.get(path, headers={"Accept-Language": accept}))

    assert page.get("lang") == language
    assert page.xpath("string(//h1)") == title
    assert page.xpath("//select[@name='language']/option[@selected]/@value") == [language]
    assert page.xpath("//select[@name='language']/option/text()") == ["Русский", "Қазақша", "English"]


def test_a_prefix_the_site_does_not_have_is_no_sign_up_page(client: TestClient) -> None:
    assert client.get("/de/subscribe").status_code == 404


def test_the_answer_speaks_the_language_chosen_in_the_form(client: TestClient, multilang: DigestSite) -> None:
    form = page_of(client.get("/ru/subscribe"))
    csrf = form.xpath("//input[@name='csrf']/@value")[0]

    answer = client.post("/subscribe", data={"csrf": csrf, "email": "a@example.org", "language": "kk"})

    assert lxml.html.fromstring(answer.text).xpath("string(//h1)") == "Поштаңызды тексеріңіз"
    assert multilang.subscriber_status("a@example.org") == "pending"


def test_a_one_language_site_shows_no_language_choice(site: DigestSite) -> None:
    with TestClient(create_app(site.config), base_url=WEB_URL) as test_client:
        page = page_of(test_client.get("/subscribe", headers={"Accept-Language": "kk"}))
    assert page.get("lang") == "ru"
    assert not page.xpath("//select")
