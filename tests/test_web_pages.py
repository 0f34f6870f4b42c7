"""What people read on the web pages: whole sentences naming the list and the (masked) address,
in every shipped language, and the digest archive as people read dates."""

from __future__ import annotations

import html
import re

import pytest

from bulletin.subscribers import masked_address
from bulletin.tokens import CONFIRM, UNSUBSCRIBE, TokenSigner

from .digest_site import SECRET, DigestSite, secret, site  # noqa: F401
from .smtp_server import smtp_server  # noqa: F401
from .test_web import ONE_CLICK, client_for, csrf_of

SIGNER = TokenSigner(SECRET)


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
    subscriber_id = pending(site, "иван@почта.рф")
    expected = SENTENCES[language]
    with client_for(site) as client:
        confirm_url = f"/confirm/{SIGNER.make(CONFIRM, subscriber_id)}"
        asked = client.get(confirm_url).text
        assert expected["confirm"] in text_of(asked)
        confirmed = client.post(confirm_url, data={"csrf": csrf_of(asked)}).text
        assert expected["confirmed"] in text_of(confirmed)
        unsubscribe_url = f"/unsubscribe/{SIGNER.make(UNSUBSCRIBE, subscriber_id)}"
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
