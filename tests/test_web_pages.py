"""What people read on the web pages: whole sentences naming the list and the (masked) address,
in every shipped language, and the digest archive as people read dates."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urljoin

import pytest

from bulletin.subscribers import masked_address
from bulletin.tokens import CONFIRM, UNSUBSCRIBE

from .digest_site import WEB_URL, DigestSite
from .feed_site import ALMATY, SITE_URL
from .smtp_server import SmtpServer
from .test_web import ONE_CLICK, client_for, csrf_of

pytestmark = pytest.mark.both_backends


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("anna@mail.kz", "a***@mail.kz"),
        ("a@mail.kz", "a***@mail.kz"),  # one letter or twenty: the length is not told
        ("averyveryverylongname@mail.kz", "a***@mail.kz"),
        ("иван@почта.рф", "и***@почта.рф"),  # Cyrillic local part and domain
        ("айгүл@мысал.қаз", "а***@мысал.қаз"),
        ("anna@xn--80a1acny.xn--p1ai", "a***@почта.рф"),  # an IDN stored in ASCII is shown in Unicode
        ("anna@XN--80A1ACNY.XN--P1AI", "a***@почта.рф"),
        ("anna@xn--broken--.kz", "a***@xn--broken--.kz"),  # not IDNA: shown as stored
        ('"john smith"@example.org', "j***@example.org"),
        ("no-at-sign", "***"),
        ("@example.org", "***"),
    ],
)
def test_masked_address_rule(address: str, shown: str) -> None:
    assert masked_address(address) == shown


def text_of(page: str) -> str:
    """The page's main text as a reader sees it: tags dropped, entities decoded, spaces joined."""
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())
    return words.replace(" ?", "?").replace(" .", ".")


SENTENCES = {
    "en": {
        "unsubscribe": "Stop sending the «Клиника — новости» newsletter to и***@почта.рф?",
        "unsubscribed": "The «Клиника — новости» newsletter will no longer be sent to и***@почта.рф.",
        "confirm": "Send new posts of «Клиника — новости» by email to и***@почта.рф?",
        "confirmed": "The next «Клиника — новости» digest will be sent to и***@почта.рф.",
    },
    "ru": {
        "unsubscribe": "Больше не присылать рассылку «Клиника — новости» на адрес и***@почта.рф?",
        "unsubscribed": "Рассылка «Клиника — новости» больше не будет приходить на адрес и***@почта.рф.",
        "confirm": "Присылать новые публикации «Клиника — новости» на адрес и***@почта.рф?",
        "confirmed": "Следующий выпуск рассылки «Клиника — новости» придёт на адрес и***@почта.рф.",
    },
    "kk": {
        "unsubscribe": "«Клиника — новости» таратылымын и***@почта.рф мекенжайына жіберуді тоқтатайық па?",
        "unsubscribed": "«Клиника — новости» таратылымы и***@почта.рф мекенжайына енді жіберілмейді.",
        "confirm": "«Клиника — новости» жаңа жарияланымдарын и***@почта.рф мекенжайына жіберейік пе?",
        "confirmed": "«Клиника — новости» таратылымының келесі шығарылымы и***@почта.рф мекенжайына келеді.",
    },
}


def pending(site: DigestSite, email: str) -> int:
    with client_for(site) as client:
        form = client.get("/subscribe")
        client.post("/subscribe", data={"csrf": csrf_of(form.text), "email": email, "name": ""})
    return int(site.rows("SELECT id FROM subscribers WHERE email = ?", email)[0][0])


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_confirm_and_unsubscribe_pages_say_whole_sentences_with_list_and_masked_address(
    site: DigestSite, language: str
) -> None:
    site.configure(site={"language": language})
    pending(site, "иван@почта.рф")
    expected = SENTENCES[language]
    with client_for(site) as client:
        confirm_url = f"/confirm/{site.token(CONFIRM, 'иван@почта.рф')}"
        asked = client.get(confirm_url).text
        assert expected["confirm"] in text_of(asked)
        confirmed = client.post(confirm_url, data={"csrf": csrf_of(asked)}).text
        assert expected["confirmed"] in text_of(confirmed)
        unsubscribe_url = f"/unsubscribe/{site.token(UNSUBSCRIBE, 'иван@почта.рф')}"
        asked = client.get(unsubscribe_url).text
        assert expected["unsubscribe"] in text_of(asked)
        done = client.post(unsubscribe_url, data={"csrf": csrf_of(asked)}).text
        assert expected["unsubscribed"] in text_of(done)
        assert '<a href="/subscribe">' in done  # subscribing again is one click away
    with client_for(site, host="198.51.100.1") as provider:  # RFC 8058 one-click: the same page
        one_click = provider.post(unsubscribe_url, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
        assert expected["unsubscribed"] in text_of(one_click.text)
    for page in (asked, confirmed, done, one_click.text):
        assert "иван" not in page and "почта.рф" in page
        assert not re.search(r"[:\s]</p>", page), "a sentence ends in a colon or a space"


# The digest archive ----------------------------------------------------------------------------


@pytest.fixture
def archived(site: DigestSite, smtp_server: SmtpServer) -> DigestSite:
    """Two digests sent on 12 and 26 November 2026 (Almaty)."""
    site.subscribe("reader@example.org", name="Алия Сапарова")
    site.post("one", "Первая новость", "2026-11-01 10:00")
    assert site.send(dt.datetime(2026, 11, 12, 10, 0, tzinfo=ALMATY)).composed == 1
    site.post("two", "Вторая новость", "2026-11-20 10:00")
    assert site.send(dt.datetime(2026, 11, 26, 10, 0, tzinfo=ALMATY)).composed == 2
    return site


@pytest.mark.parametrize(
    ("language", "dates"),
    [
        ("ru", ["26 ноября 2026", "12 ноября 2026"]),
        ("kk", ["26 қараша 2026", "12 қараша 2026"]),
        ("en", ["26 November 2026", "12 November 2026"]),
    ],
)
def test_archive_index_gives_dates_as_people_read_them(
    archived: DigestSite, language: str, dates: list[str]
) -> None:
    archived.configure(site={"language": language})
    with client_for(archived) as client:
        page = client.get("/archive/").text
    assert re.findall(r"<time>([^<]+)</time>", page) == dates
    assert f'<a href="{WEB_URL}/subscribe">' in page


def test_every_issue_page_links_the_index_the_sign_up_form_and_the_stylesheet(archived: DigestSite) -> None:
    with client_for(archived) as client:
        for number in (1, 2):
            page = client.get(f"/archive/{number}/").text
            bar = page.split('<nav class="archive-nav">', 1)[1].split("</nav>", 1)[0]
            assert re.findall(r'<a [^>]*href="([^"]+)"', bar) == [
                f"{SITE_URL}/",
                "/archive/",
                f"{WEB_URL}/subscribe",
            ]
            assert "Все выпуски" in bar and "Получать рассылку на почту" in bar
            # The bar comes first in the body, the stylesheet in the head.
            assert re.search(r"<body[^>]*>\s*<nav ", page)
            assert page.index('<link rel="stylesheet" href="/static/bulletin.css">') < page.index("</head>")
            css = client.get("/static/bulletin.css")
            assert css.status_code == 200 and ".archive-nav" in css.text


def test_the_static_archive_links_a_stylesheet_the_build_wrote(archived: DigestSite) -> None:
    result = archived.cli("build", "--now", "2026-11-27T10:00:00+05:00")
    assert result.exit_code == 0, result.output
    output = archived.root / "public"
    pages = sorted((output / "archive").rglob("index.html"))
    assert len(pages) == 3
    with client_for(archived) as client:
        served_css = client.get("/static/bulletin.css").content
    for page in pages:
        # Each page as a web server serving the output folder at the site's root would: the
        # stylesheet link resolved against the page's own URL names a file the build wrote.
        page_url = "/" + page.relative_to(output).as_posix().removesuffix("index.html")
        (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page.read_text(encoding="utf-8"))
        target = output / urljoin(page_url, href).lstrip("/")
        assert target.is_file(), f"{page} links {href}, which the build did not write"
        assert target.read_bytes() == served_css
