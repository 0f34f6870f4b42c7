"""`bulletin serve` over ASGI: a real SQLite store, a real SMTP server for confirmation mail."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import time
from collections.abc import Iterator
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from bulletin.feeds.build import build
from bulletin.feeds.feed_style import FEED_PAGE_STYLE_HASH
from bulletin.store import DigestPost, RenderedDigest, RenderedVariant
from bulletin.tokens import CONFIRM, UNSUBSCRIBE, TokenSigner
from bulletin.web.app import create_app
from bulletin.web.security import CSRF_COOKIE

from .digest_site import NOW, SECRET, WEB_URL, DigestSite
from .smtp_server import SmtpServer

pytestmark = pytest.mark.both_backends

SIGNER = TokenSigner(SECRET)
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}


def client_for(site: DigestSite, host: str = "203.0.113.7") -> TestClient:
    """A fresh app on the site's config; https like web.url, so the Secure CSRF cookie is sent."""
    return TestClient(create_app(site.config), base_url=WEB_URL, client=(host, 50000))


@pytest.fixture
def client(site: DigestSite) -> Iterator[TestClient]:
    with client_for(site) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def subscribe(client: TestClient, email: str, name: str = "", **extra: str) -> object:
    """Open the form as a browser would, then submit it with the CSRF pair it got."""
    form = client.get("/subscribe")
    assert form.status_code == 200
    return client.post("/subscribe", data={"csrf": csrf_of(form.text), "email": email, "name": name, **extra})


def one_click(token: str, site: DigestSite) -> object:
    """What a mail provider sends (RFC 8058): exactly this body, no cookies, a new client."""
    with client_for(site, host="198.51.100.1") as provider:
        return provider.post(
            f"/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK
        )


def link_in(message: object, prefix: str) -> str:
    """The path of the first link in the message text that starts with web.url + prefix."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    match = re.search(re.escape(WEB_URL + prefix) + r"\S+", text)
    assert match, f"no {prefix} link in:\n{text}"
    return urlsplit(match.group(0)).path


def token_of(site: DigestSite, email: str) -> str:
    return site.token(UNSUBSCRIBE, email)


def without_date(response: object) -> tuple[int, str, list[tuple[str, str]]]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "date"]  # type: ignore[attr-defined]
    return response.status_code, response.text, sorted(headers)  # type: ignore[attr-defined]


# Unsubscribe ---------------------------------------------------------------------------------


def test_get_unsubscribe_shows_a_button_and_never_unsubscribes(site: DigestSite, client: TestClient) -> None:
    site.subscribe("reader@example.org")
    token = token_of(site, "reader@example.org")

    for _ in range(3):  # a mail scanner may follow the link many times
        response = client.get(f"/unsubscribe/{token}")
        assert response.status_code == 200
        assert '<form method="post">' in response.text
        assert "<button" in response.text and "Отписаться" in response.text
    client.head(f"/unsubscribe/{token}")

    assert site.subscriber_status("reader@example.org") == "active"


def test_one_click_post_unsubscribes_without_cookies_and_is_idempotent(site: DigestSite) -> None:
    site.subscribe("reader@example.org", "other@example.org")
    token = token_of(site, "reader@example.org")

    first = one_click(token, site)
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert "Вы отписаны" in first.text  # type: ignore[attr-defined]
    assert site.subscriber_status("reader@example.org") == "unsubscribed"
    assert site.subscriber_status("other@example.org") == "active"

    again = one_click(token, site)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert again.text == first.text  # type: ignore[attr-defined]
    assert site.subscriber_status("reader@example.org") == "unsubscribed"


def test_one_click_works_like_curl_with_a_plain_form_post(site: DigestSite) -> None:
    # curl -X POST -d 'List-Unsubscribe=One-Click' URL sends exactly this, with no cookie.
    site.subscribe("reader@example.org")
    token = token_of(site, "reader@example.org")
    with client_for(site) as curl:
        response = curl.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert site.subscriber_status("reader@example.org") == "unsubscribed"


def test_one_click_cancels_what_is_still_queued(site: DigestSite) -> None:
    site.subscribe("reader@example.org", "other@example.org")
    with site.open_store() as store:  # a digest composed, not yet sent
        post = DigestPost("/blog/one", "Новость", "https://clinic.example/blog/one", NOW)
        empty = RenderedVariant("", "", "")
        store.create_digest([post], RenderedDigest(empty, empty), "nonce", NOW)
    assert set(site.delivery_statuses().values()) == {"pending"}

    one_click(token_of(site, "reader@example.org"), site)

    assert site.delivery_statuses() == {
        "reader@example.org": "cancelled",
        "other@example.org": "pending",
    }


def test_browser_post_without_one_click_needs_the_csrf_pair(site: DigestSite, client: TestClient) -> None:
    site.subscribe("reader@example.org")
    token = token_of(site, "reader@example.org")

    assert client.post(f"/unsubscribe/{token}", data={}).status_code == 403
    assert client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "one-click"}).status_code == 403
    page = client.get(f"/unsubscribe/{token}")
    assert client.post(f"/unsubscribe/{token}", data={"csrf": csrf_of(page.text) + "x"}).status_code == 403
    assert site.subscriber_status("reader@example.org") == "active"

    done = client.post(f"/unsubscribe/{token}", data={"csrf": csrf_of(page.text)})

    assert done.status_code == 200
    assert site.subscriber_status("reader@example.org") == "unsubscribed"


def bad_tokens(site: DigestSite, purpose: str) -> list[str]:
    [(subscriber_id, nonce)] = site.rows(
        "SELECT id, token_nonce FROM subscribers WHERE email = 'reader@example.org'"
    )
    good = site.token(purpose, "reader@example.org")
    other_purpose = CONFIRM if purpose == UNSUBSCRIBE else UNSUBSCRIBE
    return [
        "nonsense",
        good[:-3],  # truncated
        good + "A",
        good.split(".")[0] + ".",
        "." + good.split(".")[1],
        site.token(purpose, "reader@example.org", "another-secret-0123456789"),  # forged
        site.token(other_purpose, "reader@example.org"),  # a token for the other action
        SIGNER.make(purpose, int(subscriber_id) + 1000, nonce),  # well signed, no such subscriber
        SIGNER.make(purpose, int(subscriber_id), None),  # the first form, for a row with a nonce
        "9" * 40 + "." + good.split(".")[1],
        "-1." + good.split(".")[1],
        "%00",
    ]


def test_bad_tokens_get_one_404_page_that_reveals_nothing(site: DigestSite, client: TestClient) -> None:
    site.subscribe("reader@example.org")
    unknown_page = client.get("/no-such-page")
    assert unknown_page.status_code == 404

    for action, purpose in (("unsubscribe", UNSUBSCRIBE), ("confirm", CONFIRM)):
        for token, method in itertools.product(bad_tokens(site, purpose), ("GET", "POST")):
            path = f"/{action}/{token}"
            response = client.request(method, path, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
            assert response.status_code == 404, (method, path)
            assert response.text == unknown_page.text, (method, path)
            assert "reader" not in response.text
            assert CSRF_COOKIE not in response.headers.get("set-cookie", "")

    assert "Страница не найдена" in unknown_page.text
    assert site.subscriber_status("reader@example.org") == "active"


# Subscribe and confirm -----------------------------------------------------------------------


def test_subscribe_form_has_email_name_honeypot_and_csrf(client: TestClient) -> None:
    response = client.get("/subscribe")

    assert response.status_code == 200
    html = response.text
    assert '<form method="post" action="/subscribe">' in html
    assert 'name="email" type="email" required' in html
    assert 'name="name"' in html
    assert re.search(r'class="hp" aria-hidden="true">.*name="website".*tabindex="-1"', html)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(CSRF_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    assert csrf_of(html) not in cookie  # the form holds a MAC of the cookie, not the cookie


def test_subscribe_mails_a_working_confirmation_link(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    response = subscribe(client, " Reader@Example.ORG ", name="Алия")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Проверьте почту" in response.text  # type: ignore[attr-defined]
    assert site.rows("SELECT email, name, status FROM subscribers") == [
        ("reader@example.org", "Алия", "pending")
    ]
    smtp_server.wait_for(1)
    [received] = smtp_server.received
    assert received.rcpt_tos == ("reader@example.org",)
    assert received.mail_from == "news@clinic.example"
    message = received.message()
    assert message["To"] == "reader@example.org"
    assert message["From"] == "Клиника «Тест» <news@clinic.example>"
    assert message["Subject"] == "Подтвердите подписку на рассылку «Клиника — новости»"
    assert message["Auto-Submitted"] == "auto-generated"
    html = message.get_body(("html",)).get_content()
    path = link_in(message, "/confirm/")
    assert WEB_URL + path in html

    page = client.get(path)  # opening the link only shows the button
    assert page.status_code == 200
    assert "Подтвердить подписку" in page.text
    assert site.subscriber_status("reader@example.org") == "pending"

    confirmed = client.post(path, data={"csrf": csrf_of(page.text)})

    assert confirmed.status_code == 200
    assert "Подписка подтверждена" in confirmed.text
    assert site.subscriber_status("reader@example.org") == "active"
    again = client.post(path, data={"csrf": csrf_of(client.get(path).text)})
    assert again.status_code == 200 and site.subscriber_status("reader@example.org") == "active"


def test_confirm_post_needs_the_csrf_pair(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    subscribe(client, "reader@example.org")
    smtp_server.wait_for(1)
    path = link_in(smtp_server.received[0].message(), "/confirm/")

    assert client.post(path, data={}).status_code == 403
    assert client.post(path, data={"csrf": "forged"}).status_code == 403
    assert client.post(path, content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK).status_code == 403
    csrf = csrf_of(client.get(path).text)
    with client_for(site) as other:  # the right field without the matching cookie
        assert other.post(path, data={"csrf": csrf}).status_code == 403

    assert site.subscriber_status("reader@example.org") == "pending"


def test_subscribe_needs_the_csrf_pair(site: DigestSite, client: TestClient, smtp_server: SmtpServer) -> None:
    missing = client.post("/subscribe", data={"email": "reader@example.org"})
    client.get("/subscribe")  # a cookie, but the field is wrong
    wrong = client.post("/subscribe", data={"email": "reader@example.org", "csrf": "x" * 22})

    for response in (missing, wrong):
        assert response.status_code == 403
        assert "Форма устарела" in response.text
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]
    assert smtp_server.received == []


def test_same_answer_for_new_pending_and_active_addresses(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    site.subscribe("active@example.org")
    subscribe(client, "pending@example.org")
    smtp_server.wait_for(1)

    answers = {
        email: subscribe(client, email)
        for email in ("new@example.org", "pending@example.org", "active@example.org")
    }

    new, pending, active = (without_date(answer) for answer in answers.values())
    assert new == pending == active
    assert new[0] == 200
    smtp_server.wait_for(2)
    assert smtp_server.per_recipient() == {"pending@example.org": 1, "new@example.org": 1}
    assert dict(site.rows("SELECT email, status FROM subscribers")) == {
        "active@example.org": "active",
        "pending@example.org": "pending",
        "new@example.org": "pending",
    }


def test_honeypot_gets_the_same_answer_and_nothing_happens(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    human = subscribe(client, "human@example.org")
    bot = subscribe(client, "victim@example.org", website="http://spam.example")

    assert without_date(bot) == without_date(human)
    smtp_server.wait_for(1)
    assert smtp_server.per_recipient() == {"human@example.org": 1}
    assert site.rows("SELECT email FROM subscribers") == [("human@example.org",)]


def test_invalid_address_shows_the_form_again(site: DigestSite, client: TestClient) -> None:
    response = subscribe(client, "not an address<script>")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Это не похоже на адрес электронной почты." in response.text  # type: ignore[attr-defined]
    assert "<script>" not in response.text  # type: ignore[attr-defined]
    assert site.rows("SELECT count(*) FROM subscribers") == [(0,)]


def test_at_most_one_confirmation_mail_per_address_per_ten_minutes(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    # Different client addresses, so the per-client limit is not what stops the mails.
    for n in range(4):
        with client_for(site, host=f"192.0.2.{n}") as client:
            assert subscribe(client, "victim@example.org").status_code == 200  # type: ignore[attr-defined]
    with client_for(site):  # a running app's worker sends what the sign-ups queued in the store
        smtp_server.wait_for(1)
        time.sleep(0.3)  # a few more of the worker's looks at the queue
    assert smtp_server.per_recipient() == {"victim@example.org": 1}

    eleven_minutes_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)).isoformat()
    site.execute("UPDATE subscribers SET confirm_sent_at = ?", eleven_minutes_ago)
    with client_for(site, host="192.0.2.200") as client:
        subscribe(client, "victim@example.org")
        smtp_server.wait_for(2)
    assert smtp_server.per_recipient() == {"victim@example.org": 2}


def test_subscribe_requests_are_rate_limited_per_client(
    site: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    answers = [subscribe(client, f"reader{n}@example.org").status_code for n in range(7)]  # type: ignore[attr-defined]

    assert answers == [200] * 5 + [429] * 2
    limited = subscribe(client, "late@example.org")
    assert "Слишком много запросов" in limited.text  # type: ignore[attr-defined]
    assert site.rows("SELECT count(*) FROM subscribers") == [(5,)]
    # Other clients are not affected.
    with client_for(site, host="192.0.2.99") as other:
        assert subscribe(other, "other@example.org").status_code == 200  # type: ignore[attr-defined]


# Feeds ---------------------------------------------------------------------------------------


@pytest.fixture
def built(site: DigestSite) -> DigestSite:
    site.post("one", "Первая новость", "2026-04-01 10:00")
    site.post("two", "Вторая новость", "2026-04-02 10:00")
    build(site.config, NOW)
    return site


@pytest.mark.parametrize(
    "name, media_type",
    [
        ("feed.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json; charset=utf-8"),
    ],
)
def test_feeds_are_served_with_media_type_etag_and_304(
    built: DigestSite, client: TestClient, name: str, media_type: str
) -> None:
    on_disk = (built.root / "public" / name).read_bytes()
    response = client.get(f"/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == on_disk
    etag, last_modified = response.headers["etag"], response.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    mtime = (built.root / "public" / name).stat().st_mtime
    assert last_modified == formatdate(mtime, usegmt=True)

    for conditional in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": formatdate(mtime + 3600, usegmt=True)},
    ):
        not_modified = client.get(f"/{name}", headers=conditional)
        assert not_modified.status_code == 304, conditional
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == etag

    for changed in (
        {"If-None-Match": '"stale"'},
        {"If-Modified-Since": formatdate(mtime - 3600, usegmt=True)},
        {"If-Modified-Since": "yesterday"},
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
        {"If-None-Match": '"stale"', "If-Modified-Since": last_modified},
    ):
        full = client.get(f"/{name}", headers=changed)
        assert full.status_code == 200, changed
        assert full.content == on_disk


def test_a_rebuilt_feed_gets_a_new_etag(built: DigestSite, client: TestClient) -> None:
    first = client.get("/feed.xml")
    built.post("three", "Третья новость", "2026-04-03 10:00")
    build(built.config, NOW)
    path = built.root / "public" / "feed.xml"
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))

    second = client.get("/feed.xml", headers={"If-None-Match": first.headers["etag"]})

    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]
    assert "Третья новость" in second.text


def test_unchanged_rebuild_keeps_the_etag_and_304(built: DigestSite, client: TestClient) -> None:
    first = client.get("/atom.xml")
    build(built.config, NOW)

    again = client.get(
        "/atom.xml",
        headers={
            "If-None-Match": first.headers["etag"],
            "If-Modified-Since": first.headers["last-modified"],
        },
    )

    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/%2e%2e/feed.xml",
        "/..%2ffeed.xml",
        "/%2e%2e%2ffeed.xml",
        "/archive/%2e%2e/%2e%2e/feed.xml",
        "/%2fetc%2fpasswd",
        "/..%5cfeed.xml",
        "/config.yaml",
        "/%2e%2e/config.yaml",
        "/secret.txt",
        "/archive/index.html",
    ],
)
def test_paths_outside_the_feeds_are_refused(built: DigestSite, client: TestClient, path: str) -> None:
    (built.root / "feed.xml").write_text("SECRET FEED OUTSIDE", encoding="utf-8")
    (built.root / "public" / "secret.txt").write_text("SECRET TEXT", encoding="utf-8")

    response = client.get(path)

    assert response.status_code == 404
    assert "SECRET" not in response.text
    assert "clinic.example" not in response.headers.get("content-type", "")


def test_missing_feed_is_404(site: DigestSite, client: TestClient) -> None:
    assert client.get("/feed.xml").status_code == 404


# Archive -------------------------------------------------------------------------------------


@pytest.fixture
def two_digests(site: DigestSite, smtp_server: SmtpServer) -> DigestSite:
    site.subscribe("reader@example.org", name="Алия Сапарова")
    site.post("one", "Первая новость", "2026-04-01 10:00")
    assert site.send(NOW).composed == 1
    site.post("two", "Вторая новость", "2026-04-10 10:00")
    assert site.send(NOW + dt.timedelta(days=1)).composed == 2
    return site


def personal_parts(site: DigestSite) -> list[str]:
    token = token_of(site, "reader@example.org")
    return ["reader@example.org", "Алия", token, token.split(".")[1], "/unsubscribe/", "%%bulletin"]


def test_archive_index_lists_digests_newest_first(two_digests: DigestSite, client: TestClient) -> None:
    response = client.get("/archive/")

    assert response.status_code == 200
    html = response.text
    assert "Архив рассылки" in html
    assert html.index('href="/archive/2/"') < html.index('href="/archive/1/"')
    assert html.index("Вторая новость") < html.index("Первая новость")
    for secret_part in personal_parts(two_digests):
        assert secret_part not in html


def test_archive_digest_page_has_no_subscriber_parts(two_digests: DigestSite, client: TestClient) -> None:
    for number, title in ((1, "Первая новость"), (2, "Вторая новость")):
        for path in (f"/archive/{number}", f"/archive/{number}/"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert title in response.text
            for secret_part in personal_parts(two_digests):
                assert secret_part not in response.text


def test_archive_of_unknown_digest_is_404(two_digests: DigestSite, client: TestClient) -> None:
    for path in ("/archive/3", "/archive/0/", "/archive/99999999999999999999999", "/archive/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Страница не найдена" in response.text


def test_empty_archive(client: TestClient) -> None:
    response = client.get("/archive/")
    assert response.status_code == 200
    assert "Выпусков пока не было." in response.text


def test_bulletin_build_writes_the_archive_as_static_files(
    two_digests: DigestSite, client: TestClient
) -> None:
    result = two_digests.cli("build", "--now", NOW.isoformat())

    assert result.exit_code == 0, result.output
    assert ", and 3 archive pages" in result.output
    archive = two_digests.root / "public" / "archive"
    assert sorted(str(p.relative_to(archive)) for p in archive.rglob("*") if p.is_file()) == [
        "1/index.html",
        "2/index.html",
        "index.html",
    ]
    assert (archive / "index.html").read_text(encoding="utf-8") == client.get("/archive/").text
    for number in (1, 2):
        static = (archive / str(number) / "index.html").read_text(encoding="utf-8")
        assert static == client.get(f"/archive/{number}/").text
        for secret_part in personal_parts(two_digests):
            assert secret_part not in static


@pytest.mark.sqlite_only("a PostgreSQL store is always there to read (an empty archive)")
def test_build_without_a_store_writes_no_archive(built: DigestSite) -> None:
    assert not (built.root / "public" / "archive").exists()
    assert not built.store_path.exists()


# Health, headers, languages ------------------------------------------------------------------


def test_health(client: TestClient, site: DigestSite) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "postgresql" if site.store_url else "sqlite"}


def every_kind_of_response(site: DigestSite, client: TestClient) -> dict[str, object]:
    site.subscribe("reader@example.org")
    token = token_of(site, "reader@example.org")
    confirm = site.token(CONFIRM, "reader@example.org")
    answers: dict[str, object] = {
        "subscribe form": client.get("/subscribe"),
        "unsubscribe page": client.get(f"/unsubscribe/{token}"),
        "confirm page": client.get(f"/confirm/{confirm}"),
        "forbidden": client.post(f"/unsubscribe/{token}", data={}),
        "not found": client.get("/nothing"),
        "bad token": client.get("/unsubscribe/bad"),
        "archive index": client.get("/archive/"),
        "feed": client.get("/feed.xml"),
        "feed 304": client.get(
            "/feed.xml", headers={"If-None-Match": client.get("/feed.xml").headers["etag"]}
        ),
        "stylesheet": client.get("/static/bulletin.css"),
        "health": client.get("/health"),
        "method not allowed": client.put("/subscribe"),
        "invalid address": subscribe(client, "nope"),
        "subscribed": subscribe(client, "new@example.org"),
        "one-click": one_click(token, site),
    }
    for _ in range(4):
        answers["too many"] = subscribe(client, "again@example.org")
    return answers


def test_every_response_sends_a_strict_csp_and_no_referrer(
    built: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    answers = every_kind_of_response(built, client)
    assert answers["too many"].status_code == 429  # type: ignore[attr-defined]
    assert answers["method not allowed"].status_code == 405  # type: ignore[attr-defined]

    for what, response in answers.items():
        headers = response.headers  # type: ignore[attr-defined]
        csp = headers.get("content-security-policy", "")
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
        assert directives.get("default-src") == "'none'", what
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
        if what.startswith("feed"):
            # A feed opened in a browser: Chromium loads its XSLT stylesheet under script-src,
            # and the page it makes has one inline style, allowed by its hash alone.
            assert directives.get("style-src") == f"'self' {FEED_PAGE_STYLE_HASH}", what
            assert directives.get("script-src") == "'self'", what
        else:
            assert directives.get("style-src") == "'self'", what
            assert "script-src" not in directives, what  # default-src 'none' forbids scripts
        assert directives.get("frame-ancestors") == "'none'", what
        assert directives.get("form-action") == "'self'", what
        assert headers.get("referrer-policy") == "no-referrer", what
        assert headers.get("x-content-type-options") == "nosniff", what


def test_archive_digest_pages_allow_inline_styles_only(two_digests: DigestSite, client: TestClient) -> None:
    response = client.get("/archive/1/")

    csp = response.headers["content-security-policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"  # the digest's styles, the archive bar's sheet
    assert "script-src" not in directives
    assert directives["form-action"] == "'none'"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_pages_no_inline_styles_or_scripts(
    built: DigestSite, client: TestClient, smtp_server: SmtpServer
) -> None:
    # The strict CSP would block them, so a page must not rely on any.
    for what, response in every_kind_of_response(built, client).items():
        if response.headers.get("content-type", "").startswith("text/html"):  # type: ignore[attr-defined]
            assert not re.search(r"<script|<style|\sstyle=|\son\w+=", response.text, re.I), what  # type: ignore[attr-defined]


def test_english_site(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(site={"language": "en"})
    with client_for(site) as client:
        form = client.get("/subscribe")
        assert '<html lang="en">' in form.text
        assert "<h1>Subscribe</h1>" in form.text and "Email address" in form.text
        assert "Check your inbox" in subscribe(client, "reader@example.org").text  # type: ignore[attr-defined]
        smtp_server.wait_for(1)
        message = smtp_server.received[0].message()
        assert message["Subject"] == "Confirm your subscription to «Клиника — новости»"
        path = link_in(message, "/confirm/")
        assert "Confirm subscription" in client.get(path).text
        assert "Page not found" in client.get("/unsubscribe/bad").text
        assert "Digest archive" in client.get("/archive/").text
        token = token_of(site, "reader@example.org")
        question = "Stop sending the <strong>«Клиника — новости»</strong> newsletter to <strong>r***@example"
        assert question in client.get(f"/unsubscribe/{token}").text
        assert "You are unsubscribed" in one_click(token, site).text  # type: ignore[attr-defined]


def test_russian_site(site: DigestSite, client: TestClient) -> None:
    site.subscribe("reader@example.org")
    form = client.get("/subscribe")
    assert '<html lang="ru">' in form.text
    assert "<h1>Подписка на рассылку</h1>" in form.text and "Адрес электронной почты" in form.text
    page = client.get(f"/unsubscribe/{token_of(site, 'reader@example.org')}")
    name, address = "<strong>«Клиника — новости»</strong>", "<strong>r***@example.org</strong>"
    assert f"Больше не присылать рассылку {name} на адрес {address}?" in page.text


def test_web_url_defaults_to_site_url(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.sections["web"] = {}
    site.configure()
    with TestClient(create_app(site.config), base_url="https://clinic.example") as client:
        subscribe(client, "reader@example.org")
        smtp_server.wait_for(1)
    text = smtp_server.received[0].message().get_body(("plain",)).get_content()
    assert "https://clinic.example/confirm/" in text


def test_feeds_in_sub_folders_are_served_too(built: DigestSite, client: TestClient) -> None:
    # Per-tag and archive feeds live in folders under feeds.output_dir.
    folder = built.root / "public" / "tags" / "vaccines"
    folder.mkdir(parents=True)
    (folder / "atom.xml").write_bytes((built.root / "public" / "atom.xml").read_bytes())

    response = client.get("/tags/vaccines/atom.xml")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    again = client.get("/tags/vaccines/atom.xml", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/tags/vaccines/other.xml").status_code == 404


def test_serve_answers_for_the_archive_pages_the_feeds_link_to(site: DigestSite) -> None:
    site.configure(feeds={"archive": True, "limit": 2})
    for n in range(1, 6):
        site.post(f"p{n}", f"Пост {n}", f"2026-04-0{n} 10:00")
    build(site.config, NOW)
    client = TestClient(create_app(site.config), base_url="https://web.clinic.example")
    rss = client.get("/feed-archive/rss-1.xml")
    atom = client.get("/feed-archive/atom-1.xml")
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    assert (
        client.get("/feed-archive/rss-1.xml", headers={"if-none-match": rss.headers["etag"]}).status_code
        == 304
    )
    assert client.get("/feed-archive/other.xml").status_code == 404
    assert client.get("/%00/feed.xml").status_code == 404
