"""The preferences page: a digest's "manage preferences" link changes language and topics, or leaves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from starlette.testclient import TestClient

from bulletin.store import Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import PREFERENCES, UNSUBSCRIBE, preferences_url
from bulletin.web.app import create_app
from bulletin.web.server import masked_query

from .digest_site import WEB_URL, DigestSite
from .multilang_site import DIAGNOSTICS, VACCINATION, multilang_digest_site
from .smtp_server import SmtpServer

ADDRESS = "aliya@example.org"


@pytest.fixture
def clinic(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> DigestSite:
    site = multilang_digest_site(tmp_path / "site", smtp_server, topics=True)
    site.store_path.parent.mkdir(parents=True)
    with SqliteStore(site.store_path) as store:
        store.add_subscriber(ADDRESS, "Алия", language="ru", topics=frozenset({VACCINATION}))
    return site


@pytest.fixture
def client(clinic: DigestSite) -> Iterator[TestClient]:
    with TestClient(create_app(clinic.config), base_url=WEB_URL) as test_client:
        yield test_client


def stored(site: DigestSite, email: str = ADDRESS) -> Subscriber:
    with SqliteStore(site.store_path) as store:
        subscriber = store.subscriber(email=email)
    assert subscriber is not None
    return subscriber


def page_path(site: DigestSite, email: str = ADDRESS) -> str:
    """The path of the link a digest carries (preferences_url, as langcore's digest writes it)."""
    return preferences_url("", site.token(PREFERENCES, email))


def html(answer: object) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(answer.text)  # type: ignore[attr-defined]


def test_the_page_shows_what_the_subscriber_gets_now_in_their_language(
    client: TestClient, clinic: DigestSite
) -> None:
    answer = client.get(page_path(clinic))

    assert answer.status_code == 200
    page = html(answer)
    assert page.get("lang") == "ru"
    assert page.xpath("string(//h1)") == "Настройки подписки"
    assert "a***@example.org" in page.xpath("string(//main/p[2])")  # the address, masked
    assert page.xpath("//option[@selected]/@value") == ["ru"]
    assert [
        (box.get("value"), box.get("checked") is not None) for box in page.xpath("//input[@name='topic']")
    ] == [
        ("category:вакцинация", True),
        ("category:диагностика", False),
    ]
    assert page.xpath("//form/@action") == [page_path(clinic)]
    assert answer.headers["referrer-policy"] == "no-referrer"  # the token never leaves in a Referer
    # The way out is the unsubscribe page, with its own token.
    [leave] = page.xpath("//p[@class='leave']/a/@href")
    assert leave == "/unsubscribe/" + clinic.token(UNSUBSCRIBE, ADDRESS)
    assert html(client.get(leave)).xpath("string(//h1)") == "Отписка от рассылки"


def change(client: TestClient, path: str, **fields: object) -> object:
    form = html(client.get(path))
    csrf = form.xpath("//input[@name='csrf']/@value")[0]
    return client.post(path, data={"csrf": csrf, **fields})


def test_saving_changes_the_language_and_topics_the_next_digest_follows(
    client: TestClient, clinic: DigestSite
) -> None:
    answer = change(client, page_path(clinic), language="kk", topic=["category:диагностика", "category:рак"])

    assert answer.status_code == 200  # type: ignore[attr-defined]
    page = html(answer)
    assert page.get("lang") == "kk"  # the answer already speaks the new language
    assert page.xpath("string(//h1)") == "Баптаулар сақталды"
    assert page.xpath("//main/p[last()]/a/@href") == [page_path(clinic)]
    subscriber = stored(clinic)
    assert (subscriber.language, subscriber.topics, subscriber.status) == (
        "kk",
        frozenset({DIAGNOSTICS}),
        "active",
    )

    # Ticking nothing means every post again; the page now opens in Kazakh.
    change(client, page_path(clinic), language="kk")
    assert stored(clinic).topics == frozenset()
    assert html(client.get(page_path(clinic))).xpath("string(//h1)") == "Жазылым баптаулары"


def test_a_post_without_the_csrf_pair_changes_nothing(client: TestClient, clinic: DigestSite) -> None:
    answer = client.post(page_path(clinic), data={"language": "en", "topic": "category:диагностика"})

    assert answer.status_code == 403
    assert html(answer).get("lang") == "ru"
    subscriber = stored(clinic)
    assert (subscriber.language, subscriber.topics) == ("ru", frozenset({VACCINATION}))


def test_an_unknown_language_keeps_the_subscriber_s(client: TestClient, clinic: DigestSite) -> None:
    change(client, page_path(clinic), language="de", topic="category:вакцинация")
    assert stored(clinic).language == "ru"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?token=",
        "?token=1.AAAA",
        "?token=banana",
        "?token=99.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_a_bad_token_finds_no_page(client: TestClient, query: str) -> None:
    assert client.get("/preferences" + query).status_code == 404
    assert client.post("/preferences" + query, data={"language": "en"}).status_code == 404


def test_a_token_of_another_purpose_or_a_gone_subscriber_finds_no_page(
    client: TestClient, clinic: DigestSite
) -> None:
    # An unsubscribe or confirm token is no preferences token.
    assert client.get("/preferences?token=" + clinic.token(UNSUBSCRIBE, ADDRESS)).status_code == 404
    path = page_path(clinic)
    with SqliteStore(clinic.store_path) as store:
        store.set_subscriber_status(stored(clinic).id, "unsubscribed")
    assert client.get(path).status_code == 404


def test_the_sign_up_form_offers_the_topics_in_the_page_language(
    client: TestClient, clinic: DigestSite
) -> None:
    page = html(client.get("/en/subscribe"))
    labels = [box.xpath("string(..)").strip() for box in page.xpath("//input[@name='topic']")]
    assert labels == ["Vaccination", "Diagnostics"]
    assert page.xpath("string(//legend)") == "Topics"

    csrf = page.xpath("//input[@name='csrf']/@value")[0]
    fields = {"csrf": csrf, "email": "dana@example.org", "language": "en", "topic": "category:диагностика"}
    client.post("/subscribe", data=fields)
    subscriber = stored(clinic, "dana@example.org")
    assert (subscriber.status, subscriber.language, subscriber.topics) == (
        "pending",
        "en",
        frozenset({DIAGNOSTICS}),
    )


def test_the_confirmation_mail_speaks_the_language_chosen_in_the_form(
    client: TestClient, clinic: DigestSite, smtp_server: SmtpServer
) -> None:
    page = html(client.get("/ru/subscribe"))
    csrf = page.xpath("//input[@name='csrf']/@value")[0]
    client.post("/subscribe", data={"csrf": csrf, "email": "erlan@example.org", "language": "kk"})

    smtp_server.wait_for(1)
    [mail] = smtp_server.messages_for("erlan@example.org")
    assert mail["Subject"].startswith("Таратылымға жазылуды растаңыз:")
    assert "Жазылымды растау үшін мына сілтемені ашыңыз" in mail.get_body(("plain",)).get_content()
    assert '<html lang="kk">' in mail.get_body(("html",)).get_content()


def test_the_access_log_never_holds_the_token() -> None:
    assert masked_query("token=12.abc_DEF-x") == "token=***"
    assert masked_query("a=1&token=12.abc&b=2") == "a=1&token=***&b=2"
    assert masked_query("mytoken=5&b=2") == "mytoken=5&b=2"
