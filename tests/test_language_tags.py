"""site.language as a BCP 47 tag: dates and texts in one language, and check says when they would not be."""

from __future__ import annotations

import pytest

from bulletin.i18n import date_locale, language_mismatch, texts, texts_language
from bulletin.mail.digest import render_digest
from bulletin.site.reading import load_site_posts

from .digest_site import NOW, DigestSite

FOOTER = {"footer": "Алматы, ул. Абая 1; +7 727 000 00 00"}  # check warns without a postal address


@pytest.mark.parametrize(
    ("tag", "dates", "texts_in"),
    [
        ("ru", "ru", "ru"),
        ("ru-RU", "ru", "ru"),
        ("ru_RU", "ru", "ru"),
        ("RU-ru", "ru", "ru"),
        ("en-GB", "en", "en"),
        ("kk-KZ", "kk", "kk"),
        ("kk", "kk", "kk"),
        ("uk-UA", "uk", "ru"),
        ("xx-YY", "en", "en"),
    ],
)
def test_tags_map_to_a_date_locale_and_a_text_set(tag: str, dates: str, texts_in: str) -> None:
    assert date_locale(tag).language == dates
    assert texts_language(tag) == texts_in


def digest_in(site: DigestSite, language: str) -> str:
    site.configure(site={"language": language})
    site.post("one", "Новость", "2026-11-03 10:00")
    config = site.config
    rendered = render_digest(config, load_site_posts(config), 1, NOW)
    return rendered.anonymous.text


def test_ru_RU_gives_russian_dates_and_texts(outbox_site: DigestSite) -> None:
    text = digest_in(outbox_site, "ru-RU")
    assert "3 ноября 2026" in text and "November" not in text
    assert texts("ru")["unsubscribe"] in text


def test_en_GB_gives_english_dates_and_texts(outbox_site: DigestSite) -> None:
    text = digest_in(outbox_site, "en-GB")
    assert "3 November 2026" in text and texts("en")["unsubscribe"] in text


@pytest.mark.parametrize("tag", ["ru", "ru-RU", "en", "en-US", "ru_RU", "kk", "kk-KZ"])
def test_check_is_quiet_when_dates_and_texts_agree(outbox_site: DigestSite, tag: str) -> None:
    outbox_site.configure(site={"language": tag}, digest=FOOTER)
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    result = outbox_site.cli("check", "--now", NOW.isoformat())
    assert (result.exit_code, result.output) == (0, "Read 1 post: 0 errors, 0 warnings.\n")


@pytest.mark.parametrize(
    ("tag", "warning"),
    [
        (
            "uk",
            "'site.language' 'uk': dates would be written in Ukrainian but the texts of mails and pages"
            " in Russian (texts ship in en, kk, ru); use one of those",
        ),
        (
            "de-DE",
            "'site.language' 'de-DE': dates would be written in German but the texts of mails and pages"
            " in English (texts ship in en, kk, ru); use one of those",
        ),
        ("zz", "'site.language' 'zz' is not a language CLDR knows: dates and texts would be in English"),
    ],
)
def test_check_warns_when_dates_and_texts_would_differ(
    outbox_site: DigestSite, tag: str, warning: str
) -> None:
    outbox_site.configure(site={"language": tag}, digest=FOOTER)
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    result = outbox_site.cli("check", "--now", NOW.isoformat())
    assert result.exit_code == 0
    assert result.output == (
        f"Warning: {outbox_site.config_path}: {warning}\nRead 1 post: 0 errors, 1 warning.\n"
    )
    assert language_mismatch(tag) == warning
