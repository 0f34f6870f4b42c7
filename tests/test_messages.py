"""What a mail client sees: headers, encodings, list headers, the HTML and text parts."""

from __future__ import annotations

import email
import email.policy
import re
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulletin.config import load_config
from bulletin.errors import ConfigError
from bulletin.mail.digest import one_line
from bulletin.mail.messages import encode_header, mailbox
from bulletin.store import Subscriber
from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import CONFIRM, UNSUBSCRIBE, TokenSigner

from .digest_site import NOW, SECRET, WEB_URL, DigestSite
from .smtp_server import SmtpServer

INJECTED_TITLE = "Важно\r\nBcc: x@y"


def raw_headers(data: bytes) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def send_one(
    site: DigestSite,
    server: SmtpServer,
    address: str = "ann@example.org",
    name: str | None = "Анна Петрова",
) -> tuple[EmailMessage, bytes]:
    site.subscribe(address, name=name)
    result = site.send()
    assert result.ok, result
    [item] = [item for item in server.received if address in item.rcpt_tos]
    return item.message(), item.data


@pytest.fixture
def digest(site: DigestSite, smtp_server: SmtpServer) -> tuple[EmailMessage, bytes]:
    lab = site.post(
        "lab",
        "Новая лаборатория",
        "2026-04-01 10:00",
        "Открылась **лаборатория** ![фото](photo.jpg).\n\n===\n\nПодробности: [прайс](/prices).",
        image="cover.jpg",
    )
    (lab.parent / "cover.jpg").write_bytes(b"\xff\xd8\xff\xd9")  # the header image is there
    site.post("donors", "День донора", "2026-04-02 10:00", "Приходите сдать кровь.\n\n- 9:00\n- 12:00")
    return send_one(site, smtp_server)


def test_subject_decodes_back_to_the_cyrillic_title(digest: tuple[EmailMessage, bytes]) -> None:
    message, data = digest
    assert message["Subject"] == "Клиника — новости: День донора (+1)"
    [subject] = [h for h in raw_headers(data) if h.startswith(b"Subject:")]
    assert subject.isascii() and b"=?utf-8?" in subject
    assert str(make_header(decode_header(data.split(b"Subject: ", 1)[1].split(b"\r\nTo:")[0].decode()))) == (
        "Клиника — новости: День донора (+1)"
    )


def test_display_names_are_rfc2047_encoded(digest: tuple[EmailMessage, bytes]) -> None:
    message, data = digest
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    lines = raw_headers(data)
    assert any(re.fullmatch(rb"From: =\?utf-8\?[bq]\?.+\?= <news@clinic\.example>", h) for h in lines)
    assert any(re.fullmatch(rb"To: =\?utf-8\?[bq]\?.+\?= <ann@example\.org>", h) for h in lines)
    assert message["From"].addresses[0].display_name == "Клиника «Тест»"
    assert message["From"].addresses[0].addr_spec == "news@clinic.example"
    assert message["To"].addresses[0].display_name == "Анна Петрова"
    assert message["Reply-To"].addresses[0].display_name == "Пресс-служба"
    assert message["Reply-To"].addresses[0].addr_spec == "press@clinic.example"


def test_list_headers(digest: tuple[EmailMessage, bytes], site: DigestSite) -> None:
    message, _ = digest
    [(ann_id, ann_nonce)] = site.rows(
        "SELECT id, token_nonce FROM subscribers WHERE email = 'ann@example.org'"
    )
    token = site.token(UNSUBSCRIBE, "ann@example.org")
    links = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    assert links == [
        f"{WEB_URL}/unsubscribe/{token}",
        f"mailto:news@clinic.example?subject=unsubscribe%20{token}",
    ]
    assert ann_nonce is not None  # made by the store with the row
    assert links[0].rsplit("/", 1)[1] == TokenSigner(SECRET).make(UNSUBSCRIBE, ann_id, ann_nonce)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Клиника — новости <bulletin.clinic.example>"
    assert message["Date"].datetime.tzinfo is not None
    assert message["MIME-Version"] == "1.0"


def test_web_url_defaults_to_the_site_url(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.sections["web"].pop("url")
    site.configure()
    site.post("one", "Одна", "2026-04-01 10:00")

    message, _ = send_one(site, smtp_server)

    assert "<https://clinic.example/unsubscribe/" in str(message["List-Unsubscribe"])


def test_message_ids_are_unique_and_on_the_site_domain(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Одна", "2026-04-01 10:00")
    site.subscribe("ann@example.org", "bob@example.org", "cat@example.org")
    site.send()
    site.post("two", "Две", "2026-04-03 10:00")
    site.send()

    ids = [item.message()["Message-ID"] for item in smtp_server.received]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert all(re.fullmatch(r"<[^<>@\s]+@clinic\.example>", mid) for mid in ids)


def test_multipart_alternative_text_then_html_in_utf8(digest: tuple[EmailMessage, bytes]) -> None:
    message, data = digest
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert all(line.isascii() and len(line) <= 998 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only


def test_html_part_is_ready_for_mail_clients(digest: tuple[EmailMessage, bytes]) -> None:
    message, _ = digest
    html = message.get_body(("html",)).get_content()
    assert "<style" not in html
    assert re.search(r'<table[^>]*class="container"[^>]*width="600"', html) or re.search(
        r'<table[^>]*width="600"', html
    )
    widths = [int(w) for w in re.findall(r'width="(\d+)"', html)]
    assert max(widths) <= 600
    assert len(re.findall(r'style="[^"]+"', html)) >= 10  # the stylesheet ended up inline
    assert re.search(r'<div style="display:none;[^"]*">Новая лаборатория', html)  # preheader
    assert "1 апреля 2026" in html and "2 апреля 2026" in html
    assert 'src="https://clinic.example/blog/lab/cover.jpg"' in html
    assert 'src="https://clinic.example/blog/lab/photo.jpg"' in html
    assert 'href="https://clinic.example/prices"' not in html  # after the summary delimiter
    assert f'href="{WEB_URL}/unsubscribe/' in html
    assert "Здравствуйте, Анна Петрова!" in html
    assert "ann@example.org" in html
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(src.startswith(("https://", "mailto:")) for src in srcs), srcs


def test_text_part_is_readable(digest: tuple[EmailMessage, bytes]) -> None:
    message, _ = digest
    text = message.get_body(("plain",)).get_content()
    assert "<" not in text.replace("<https", "")  # no markup
    assert not text.startswith("\n")
    for expected in (
        "Клиника — новости",
        "Здравствуйте, Анна Петрова!",
        "Новая лаборатория",
        "1 апреля 2026",
        "Открылась лаборатория [фото].",
        "Читать далее: https://clinic.example/blog/lab",
        "День донора",
        "- 9:00",
        "https://clinic.example/blog/donors",
        "(ann@example.org)",
        f"{WEB_URL}/unsubscribe/",
    ):
        assert expected in text, expected
    assert text.index("Новая лаборатория") < text.index("День донора")  # oldest first
    assert "\n\n\n\n" not in text


def test_anonymous_subscriber_gets_no_greeting(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Одна", "2026-04-01 10:00")
    message, data = send_one(site, smtp_server, "bob@example.org", name=None)

    assert message["To"] == "bob@example.org"
    assert "Здравствуйте" not in message.get_body(("plain",)).get_content()
    assert "Здравствуйте" not in message.get_body(("html",)).get_content()


def test_title_with_crlf_injects_no_header(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("inject", INJECTED_TITLE, "2026-04-01 10:00")

    message, data = send_one(site, smtp_server)

    assert message["Bcc"] is None
    assert not any(line.lower().startswith(b"bcc:") for line in data.split(b"\r\n"))
    assert message["Subject"] == "Клиника — новости: Важно Bcc: x@y"
    assert [item.rcpt_tos for item in smtp_server.received] == [("ann@example.org",)]
    assert set(message.keys()) <= {
        "From",
        "Reply-To",
        "Date",
        "MIME-Version",
        "List-Id",
        "List-Unsubscribe-Post",
        "Precedence",
        "Auto-Submitted",
        "Subject",
        "To",
        "Message-ID",
        "List-Unsubscribe",
        "Content-Type",
    }


def test_name_with_crlf_injects_no_header(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Одна", "2026-04-01 10:00")
    # Straight into the store, past the subscriber module's cleaning: messages must hold anyway.
    with SqliteStore(site.store_path) as store:
        store.add_subscriber("eve@example.org", "Eve\r\nBcc: x@y\nX-Evil: 1")

    site.send()
    [item] = smtp_server.received
    message = item.message()

    assert message["Bcc"] is None and message["X-Evil"] is None
    assert not any(line.lower().startswith((b"bcc:", b"x-evil:")) for line in item.data.split(b"\r\n"))
    assert message["To"].addresses[0].addr_spec == "eve@example.org"


def test_html_in_titles_and_names_is_escaped(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("tags", "<script>alert(1)</script> & co", "2026-04-01 10:00")

    message, _ = send_one(site, smtp_server, name='<img src=x onerror="alert(1)">')

    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    text = message.get_body(("plain",)).get_content()
    assert "<script>alert(1)</script> & co" in text


def test_multiline_config_values_are_refused(site: DigestSite) -> None:
    with pytest.raises(ConfigError, match="'digest.from' must be one line"):
        site.configure(digest={"from": "Клиника <news@clinic.example>\r\nBcc: x@y"})
    with pytest.raises(ConfigError, match="'digest.from' must be one line"):
        load_config(site.config_path)


def test_english_site_dates(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(site={"language": "en", "title": "Clinic news"})
    site.post("one", "Lab opens", "2026-04-01 10:00")

    message, _ = send_one(site, smtp_server, name="Ann")

    text = message.get_body(("plain",)).get_content()
    assert "1 April 2026" in text and "Hello, Ann!" in text
    assert message["Subject"] == "Clinic news: Lab opens"


def test_site_templates_override_the_defaults(site: DigestSite, smtp_server: SmtpServer) -> None:
    templates = site.root / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text(
        "Выпуск {{ digest.number }} для {{ subscriber.email }}:\n"
        "{% for post in posts %}* {{ post.title }} ({{ post.date }})\n{% endfor %}"
        "{{ unsubscribe_url }}\n",
        encoding="utf-8",
    )
    site.configure(digest={"subject": "{{ posts|length }} новых: {{ posts[0].title }}"})
    site.post("one", "Одна", "2026-04-01 10:00")

    message, _ = send_one(site, smtp_server)

    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Выпуск 1 для ann@example.org:\n* Одна (1 апреля 2026)\n")
    assert f"{WEB_URL}/unsubscribe/" in text
    assert message["Subject"] == "1 новых: Одна"


def test_internationalised_address_travels_with_smtputf8(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Одна", "2026-04-01 10:00")
    site.subscribe("пользователь@пример.рф")

    result = site.send()

    assert result.ok
    [item] = smtp_server.received
    assert item.rcpt_tos == ("пользователь@пример.рф",)


def test_outbox_message_matches_the_smtp_one(outbox_site: DigestSite) -> None:
    outbox_site.post("one", INJECTED_TITLE, "2026-04-01 10:00")
    outbox_site.subscribe("ann@example.org", name="Анна")
    outbox_site.send()
    [path] = (outbox_site.root / "outbox").rglob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)

    assert message["Bcc"] is None
    assert message["To"].addresses[0].display_name == "Анна"


def test_tokens_for_another_purpose_do_not_unsubscribe() -> None:
    signer, nonce = TokenSigner(SECRET), "0123456789abcdef01234567"
    ann = Subscriber(7, "ann@example.org", None, "active", "2026-01-01T00:00:00+00:00", nonce)
    assert not signer.check(UNSUBSCRIBE, signer.make(CONFIRM, 7, nonce), ann)
    assert signer.check(UNSUBSCRIBE, signer.make(UNSUBSCRIBE, 7, nonce), ann)
    assert not TokenSigner(SECRET + "x").check(UNSUBSCRIBE, signer.make(UNSUBSCRIBE, 7, nonce), ann)


@given(st.text(max_size=300))
def test_encoded_headers_decode_to_the_one_line_value(value: str) -> None:
    line = encode_header("Subject", value)
    assert line.isascii()
    assert "\r" not in line.replace("\r\n ", "") and "\n" not in line.replace("\r\n ", "")
    parsed = email.message_from_bytes((line + "\r\n\r\n").encode(), policy=email.policy.default)
    assert parsed["Subject"] == one_line(value)


@given(st.text(max_size=80))
def test_mailbox_round_trips_any_display_name(name: str) -> None:
    header = "To: " + mailbox(name, "ann@example.org")
    assert "\r" not in header and "\n" not in header
    parsed = email.message_from_bytes((header + "\r\n\r\n").encode(), policy=email.policy.default)
    [address] = parsed["To"].addresses
    assert address.addr_spec == "ann@example.org"
    assert address.display_name == one_line(name)


def test_a_site_title_in_quotes_nests_them_the_russian_way(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(site={"title": "Филиал ТОО «Центр гематологии»"})
    site.post("one", "Одна", "2026-04-01 10:00")

    message, _ = send_one(site, smtp_server)

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # Outer «ёлочки», inner „лапки“; never «…«…»».
    assert "«Филиал ТОО „Центр гематологии“»" in text
    assert "«Филиал ТОО „Центр гематологии“»" in html
    assert "»»" not in text + html


def test_a_site_on_an_internationalised_domain_sends(outbox_site: DigestSite) -> None:
    outbox_site.configure(site={"url": "https://клиника.рф"}, digest={"from": "Клиника <news@клиника.рф>"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    eml = next((outbox_site.root / "outbox").glob("**/*.eml")).read_bytes()
    assert eml.isascii()
    assert b"@xn--80apagcdp.xn--p1ai>" in eml  # Message-ID, From on the punycode domain
    assert b"<bulletin.xn--80apagcdp.xn--p1ai>" in eml  # List-Id


@pytest.mark.parametrize("title", ["News, Events", "News @ Centre"])
def test_the_default_from_survives_any_site_title(outbox_site: DigestSite, title: str) -> None:
    outbox_site.configure(site={"title": title}, digest={"from": None})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    result = outbox_site.cli("send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output
    eml = next((outbox_site.root / "outbox").glob("**/*.eml")).read_bytes()
    assert f'From: "{title}" <noreply@clinic.example>'.encode() in eml


def test_a_template_that_fails_while_rendering_is_one_clean_line(outbox_site: DigestSite) -> None:
    outbox_site.configure(digest={"subject": "{{ posts|length / 0 }}"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    outbox_site.subscribe("reader@example.org")
    for command in (["check"], ["preview", "--out", str(outbox_site.root / "p")], ["send"]):
        result = outbox_site.cli(*command, "--now", NOW.isoformat())
        assert result.exit_code == 1, (command, result.output)
        assert "ZeroDivisionError" in result.output and "Traceback" not in result.output
    # Nothing was stored by the failed send: the digest is composed again once fixed.
    assert outbox_site.rows("SELECT count(*) FROM digests") == [(0,)]


def test_fragment_query_and_root_links_resolve_against_the_post(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    """#section and ?page=2 point into the post, / into a site served under a path (issue 15 item 20)."""
    site.configure(site={"url": "https://example.org/clinic"})
    site.post(
        "hours",
        "Часы работы",
        "2026-04-01 10:00",
        "См. [раздел](#sat), [страницу 2](?page=2) и ![схема](/img/a.png).",
    )
    message, _ = send_one(site, smtp_server)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    post = "https://example.org/clinic/blog/hours"
    assert f'href="{post}#sat"' in html
    assert f'href="{post}?page=2"' in html
    assert 'src="https://example.org/clinic/img/a.png"' in html
    assert f"({post}#sat)" in text and f"({post}?page=2)" in text
