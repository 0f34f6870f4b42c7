"""The digest's branding (issue 15 item 15): logo, postal footer, "view in browser", texts in ru/kk/en."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bulletin.cli import main
from bulletin.errors import ConfigError
from bulletin.i18n import TEXTS, texts
from bulletin.web.app import create_app

from .digest_site import NOW, WEB_URL, DigestSite
from .mtimes import backdate
from .png import png
from .preview import preview
from .smtp_server import SmtpServer

ADDRESS = "ТОО «Клиника», ул. Абая, 10, Алматы\nТел.: +7 727 000-00-00"


def header_images(html: str) -> list[dict[str, str]]:
    header = lxml.html.fromstring(html).find_class("header")[0]
    return [dict(img.attrib) for img in header.iter("img")]


# The logo ------------------------------------------------------------------------------------


def test_a_logo_url_heads_the_digest_with_the_site_title_as_alt(outbox_site: DigestSite) -> None:
    outbox_site.configure(digest={"logo": "https://cdn.clinic.example/logo.png"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    html, _ = preview(outbox_site)
    [logo] = header_images(html)
    assert logo["src"] == "https://cdn.clinic.example/logo.png"
    assert logo["alt"] == "Клиника — новости"  # what shows where images are blocked
    # Not measurable: kept in its box by CSS alone.
    assert "width" not in logo and "max-width:200px" in logo["style"].replace(" ", "")
    assert html.count("Клиника — новости</a>") == 0  # the logo stands for the title


def test_without_a_logo_the_header_shows_the_title(outbox_site: DigestSite) -> None:
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    html, _ = preview(outbox_site)
    assert header_images(html) == [] and "Клиника — новости</a>" in html


def test_a_logo_file_beside_the_config_is_published_by_build_and_scaled(outbox_site: DigestSite) -> None:
    logo = outbox_site.root / "brand" / "logo.png"
    logo.parent.mkdir()
    logo.write_bytes(png(480, 120))
    config = outbox_site.configure(digest={"logo": "brand/logo.png"})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    html, _ = preview(outbox_site)
    [image] = header_images(html)
    assert image["src"] == f"{config.feeds.url}/digest/logo.png"
    # 480 x 120 scaled into the 200 x 60 box, proportions kept.
    assert (image["width"], image["height"]) == ("200", "50")
    for _ in range(2):  # settled: a third build could take everything from the build cache
        backdate(outbox_site.root)
        assert CliRunner().invoke(main, ["build", "--config", str(outbox_site.config_path)]).exit_code == 0
    published = config.feeds.output_dir / "digest" / "logo.png"
    assert published.read_bytes() == logo.read_bytes()
    # A new logo under the same name, written in place: the next build publishes it.
    logo.write_bytes(png(300, 300))
    assert CliRunner().invoke(main, ["build", "--config", str(outbox_site.config_path)]).exit_code == 0
    assert published.read_bytes() == logo.read_bytes()


def test_a_logo_file_that_is_not_there_is_one_config_error(outbox_site: DigestSite) -> None:
    with pytest.raises(ConfigError) as caught:
        outbox_site.configure(digest={"logo": "nope.png"})
    [problem] = caught.value.problems
    assert "'digest.logo' names no file" in problem and "nope.png" in problem


# The postal footer -----------------------------------------------------------------------------


def test_the_footer_is_under_every_digest_in_both_parts_and_in_the_archive(
    site: DigestSite,
    smtp_server: SmtpServer,
) -> None:
    site.configure(digest={"footer": ADDRESS})
    site.subscribe("reader@example.org")
    site.post("one", "Первая новость", "2026-04-01 10:00")
    assert site.send(NOW).composed == 1
    [received] = smtp_server.received
    message = received.message()
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "ТОО «Клиника», ул. Абая, 10, Алматы<br>Тел.: +7 727 000-00-00" in html
    assert text.rstrip().endswith("ТОО «Клиника», ул. Абая, 10, Алматы\nТел.: +7 727 000-00-00")
    with TestClient(create_app(site.config), base_url=WEB_URL) as client:
        archived = client.get("/archive/1/").text
    assert "ТОО «Клиника», ул. Абая, 10, Алматы" in archived  # not personal: the archive keeps it


def check_output(config_path: Path) -> str:
    result = CliRunner().invoke(main, ["check", "--config", str(config_path), "--now", "2026-04-12T10:00"])
    return result.output


def test_check_warns_when_no_postal_footer_is_set(outbox_site: DigestSite) -> None:
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    output = check_output(outbox_site.config_path)
    assert "Warning:" in output and "'digest.footer' is not set" in output and "postal address" in output
    outbox_site.configure(digest={"footer": ADDRESS})
    assert "digest.footer" not in check_output(outbox_site.config_path)


# View in browser --------------------------------------------------------------------------------


def test_view_in_browser_opens_the_digests_archive_copy(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.subscribe("reader@example.org")
    site.post("one", "Первая новость", "2026-04-01 10:00")
    site.send(NOW)
    site.post("two", "Вторая новость", "2026-04-10 10:00")
    site.send(NOW.replace(day=13))
    message = smtp_server.received[-1].message()
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    [link] = [a for a in lxml.html.fromstring(html).iter("a") if a.text == "Открыть в браузере"]
    url = link.get("href")
    assert url == f"{WEB_URL}/archive/2/"
    assert f"Открыть в браузере: {url}" in text
    with TestClient(create_app(site.config), base_url=WEB_URL) as client:
        page = client.get(url.removeprefix(WEB_URL))
    assert page.status_code == 200 and "Вторая новость" in page.text
    assert "Открыть в браузере" not in page.text  # the archive copy does not link to itself
    # `bulletin build` writes the same copy where a plain web server serves that path.
    assert CliRunner().invoke(main, ["build", "--config", str(site.config_path)]).exit_code == 0
    static = site.config.feeds.output_dir / "archive" / "2" / "index.html"
    assert static.read_text(encoding="utf-8") == page.text


# Texts in Russian, Kazakh and English -----------------------------------------------------------


def test_every_language_has_every_text() -> None:
    for language in ("ru", "kk"):
        assert set(TEXTS[language]) == set(TEXTS["en"]), language
        assert all(value.strip() for value in TEXTS[language].values())


def test_kazakh_texts_are_kazakh_not_russian() -> None:
    kk, ru = texts("kk"), texts("kk-KZ")
    assert kk is ru and kk["unsubscribe"] == "Жазылымнан бас тарту"
    # Every text differs from the Russian one, and the Kazakh letters show where words have them.
    assert not [key for key in kk if kk[key] == TEXTS["ru"][key]]
    assert sum(bool(re.search("[әғқңөұүһі]", value)) for value in kk.values()) >= len(kk) * 2 // 3


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", ("Браузерде ашу", "Жазылымнан бас тарту", "Шығарылым 1", "сәуір")),
        ("ru", ("Открыть в браузере", "Отписаться", "Выпуск 1", "апреля")),
        ("en", ("View in browser", "Unsubscribe", "Issue 1", "April")),
    ],
)
def test_the_digest_speaks_the_sites_language(
    outbox_site: DigestSite,
    language: str,
    expected: tuple[str, ...],
) -> None:
    outbox_site.configure(site={"language": language})
    outbox_site.post("one", "Новость", "2026-04-01 10:00")
    html, text = preview(outbox_site)
    for part in (html, text):
        assert all(words in part for words in expected), (language, part[-600:])


def test_init_writes_a_config_with_a_footer_and_the_logo_key(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    assert CliRunner().invoke(main, ["init", str(folder)]).exit_code == 0
    config = (folder / "config.yaml").read_text(encoding="utf-8")
    assert "  # logo: " in config and "\n  footer: |\n" in config
    assert "digest.footer" not in check_output(folder / "config.yaml")


def test_the_sample_site_shows_its_logo_address_and_own_footer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("BULLETIN_SECRET", "sample-site-test-secret-0123456789")
    args = [
        "preview",
        "--config",
        str(repo / "config.yaml"),
        "--now",
        "2026-11-26T12:00",
        "--out",
        str(tmp_path),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "digest.html").read_text(encoding="utf-8")
    [logo] = header_images(html)
    assert (
        logo["src"] == "https://centre.example/digest/logo.png"
        and logo["alt"] == "Центр гематологии — новости"
    )
    # The address comes from digest.footer, once; templates/footer.html.j2 adds the disclaimer.
    assert html.count("ул. Примерная, 1, Усть-Каменогорск") == 1
    assert "не заменяют консультацию врача" in html
