"""Each language's digest archive: /<lang>/archive/ lists that language's digests, in that language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import lxml.html
import pytest
from starlette.testclient import TestClient

from bulletin.store import DigestPost, DigestRendering, RenderedDigest, RenderedVariant, Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.web.app import create_app

from .digest_site import WEB_URL, DigestSite
from .multilang_site import multilang_digest_site

SENT = dt.datetime(2026, 1, 12, 4, 0, tzinfo=dt.UTC)  # 12 January, a Monday morning in Almaty
TITLES = {"ru": "Прививки от гриппа", "kk": "Тұмауға қарсы екпе", "en": "Flu vaccination"}


def rendered(text: str) -> RenderedDigest:
    html = f"<html><head><title>{text}</title></head><body><p class='body'>{text}</p></body></html>"
    return RenderedDigest(*[RenderedVariant(text, text, html)] * 2)


class WholeLanguages:
    """A split as a multi-language send makes it: one whole rendering per language of the digest."""

    def __init__(self, languages: Sequence[str], number: int) -> None:
        self.parts = [
            DigestRendering(key, code, (f"/{code}/blog/{number}",), rendered(f"{code} {number}"), True)
            for key, code in enumerate(languages, start=1)
        ]

    def rendering_for(self, subscriber: Subscriber) -> int | None:
        return next((p.key for p in self.parts if p.language == (subscriber.language or "ru")), None)

    def renderings(self) -> Sequence[DigestRendering]:
        return self.parts


def store_digest(store: SqliteStore, number: int, languages: Sequence[str | None]) -> None:
    """Digest ``number``, a week after the first, with a post per language (None: not recorded,
    as before digests had languages, and then rendered once for everyone)."""
    posts = [
        DigestPost(
            f"/{language or 'ru'}/blog/{number}",
            f"{TITLES[language or 'ru']} {number}",
            f"https://emhana.example/{language or 'ru'}/blog/{number}",
            SENT - dt.timedelta(days=1),
            language,
        )
        for language in languages
    ]
    recorded = [language for language in languages if language is not None]
    split = WholeLanguages(recorded, number) if recorded else None
    sent = SENT + dt.timedelta(days=7 * (number - 1))
    assert store.create_digest(posts, rendered(f"main {number}"), f"n{number}", sent, split=split) == number


@pytest.fixture
def archived(tmp_path: Path, secret: str) -> DigestSite:
    site = multilang_digest_site(tmp_path / "site", None)
    site.store_path.parent.mkdir(parents=True)
    with SqliteStore(site.store_path) as store:
        store_digest(store, 1, [None])  # from before languages: the default language's
        store_digest(store, 2, ["ru", "kk"])
        store_digest(store, 3, ["kk"])
        store_digest(store, 4, ["en", "ru"])
    return site


@pytest.fixture
def client(archived: DigestSite) -> Iterator[TestClient]:
    with TestClient(create_app(archived.config), base_url=WEB_URL) as test_client:
        yield test_client


def index(client: TestClient, path: str) -> lxml.html.HtmlElement:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return lxml.html.fromstring(answer.text)


def listed(page: lxml.html.HtmlElement) -> list[tuple[str, str, str]]:
    """(link, date, post titles) of each digest the index lists."""
    return [
        (item.xpath("string(a/@href)"), item.xpath("string(time)"), item.xpath("string(span)"))
        for item in page.xpath("//ul[@class='archive']/li")
    ]


def test_each_language_lists_its_own_digests_in_its_own_words(client: TestClient) -> None:
    kazakh = index(client, "/kk/archive/")

    assert kazakh.get("lang") == "kk"
    assert kazakh.xpath("string(//h1)") == "Таратылым мұрағаты"
    assert listed(kazakh) == [
        ("/kk/archive/3/", "26 қаңтар 2026", "Тұмауға қарсы екпе 3"),
        ("/kk/archive/2/", "19 қаңтар 2026", "Тұмауға қарсы екпе 2"),  # its Russian post is not here
    ]
    assert kazakh.xpath("//p[@class='subscribe']/a/@href") == [WEB_URL + "/kk/subscribe"]
    assert [(a.get("href"), a.text) for a in kazakh.xpath("//nav[@class='languages']/a")] == [
        ("/ru/archive/", "Русский"),
        ("/en/archive/", "English"),
    ]

    english = index(client, "/en/archive/")
    assert english.xpath("string(//h1)") == "Digest archive"
    assert listed(english) == [("/en/archive/4/", "2 February 2026", "Flu vaccination 4")]


def test_the_archive_s_own_address_stays_the_default_language_s(client: TestClient) -> None:
    russian = listed(index(client, "/ru/archive/"))

    assert [digest[0] for digest in russian] == ["/ru/archive/4/", "/ru/archive/2/", "/ru/archive/1/"]
    assert russian[-1][1:] == ("12 января 2026", "Прививки от гриппа 1")
    assert listed(index(client, "/archive/")) == [
        (link.removeprefix("/ru"), date, titles) for link, date, titles in russian
    ]


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/kk/archive/2/", "kk 2"),
        ("/ru/archive/2/", "ru 2"),
        ("/archive/2/", "ru 2"),
        ("/en/archive/4/", "en 4"),
        ("/archive/1/", "main 1"),  # rendered once for everyone, before languages
        ("/ru/archive/1/", "main 1"),
    ],
)
def test_a_digest_page_is_its_rendering_in_the_archive_s_language(
    client: TestClient, path: str, shown: str
) -> None:
    page = index(client, path)

    assert page.xpath("string(//p[@class='body'])") == shown
    archive = path.rsplit("/", 2)[0] + "/"
    assert page.xpath("//nav[@class='archive-nav']/a[2]/@href") == [archive]


@pytest.mark.parametrize("path", ["/kk/archive/4/", "/kk/archive/1/", "/en/archive/3/", "/kk/archive/9/"])
def test_a_digest_with_nothing_in_the_language_is_not_in_its_archive(client: TestClient, path: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 404
    assert lxml.html.fromstring(answer.text).get("lang") == path.split("/")[1]


def test_a_language_archive_pages_and_redirects_its_first_page_to_its_root(client: TestClient) -> None:
    answer = client.get("/kk/archive/page/1/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (301, "/kk/archive/")
    assert client.get("/kk/archive/page/2/").status_code == 404  # two digests: one page
    assert client.get("/de/archive/").status_code == 404  # no such language on this site


def test_the_static_archive_writes_every_language_where_serve_answers(
    archived: DigestSite, client: TestClient
) -> None:
    result = archived.cli("build")
    assert result.exit_code == 0, result.output
    public = archived.config.feeds.output_dir

    pages = ["/archive/", "/kk/archive/", "/en/archive/", "/kk/archive/3/", "/archive/1/", "/ru/archive/2/"]
    for path in pages:
        written = (public / path.strip("/") / "index.html").read_text(encoding="utf-8")
        assert written == client.get(path).text, path
    assert not (public / "kk" / "archive" / "4").exists()
    assert not (public / "en" / "archive" / "1").exists()
