"""`bulletin embed` and the cross-origin sign-up it makes: allowed origins only, back to the site."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from starlette.testclient import TestClient

from bulletin.config import load_config
from bulletin.errors import ConfigError
from bulletin.store.sqlite import SqliteStore
from bulletin.web.app import create_app
from bulletin.web.embed import embed_snippet, twig_literal

from .digest_site import WEB_URL, DigestSite
from .multilang_site import VACCINATION, multilang_digest_site
from .smtp_server import SmtpServer

SITE = "https://emhana.example"
THANKS = SITE + "/{lang}/thanks"
TWIG_AUTOLOAD = Path("/usr/share/php/Twig/autoload.php")


@pytest.fixture
def embed_site(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> DigestSite:
    site = multilang_digest_site(tmp_path / "site", smtp_server, topics=True)
    site.configure(web={"allowed_origins": [SITE + "/"], "after_subscribe": THANKS})
    return site


@pytest.fixture
def client(embed_site: DigestSite) -> Iterator[TestClient]:
    app = create_app(embed_site.config)
    with TestClient(app, base_url=WEB_URL, client=("203.0.113.9", 50000)) as test_client:
        yield test_client


def form_fields(html: str) -> list[tuple[str, dict[str, str], str]]:
    """Each element of the form: tag, attributes, own text, in document order."""
    form = lxml.html.fromstring(html).xpath("//form")[0]
    return [(el.tag, dict(el.attrib), (el.text or "").strip()) for el in form.iter()]


def subscribers(site: DigestSite) -> list[tuple[str, str]]:
    return site.rows("SELECT email, status FROM subscribers ORDER BY id")


# Config ---------------------------------------------------------------------------------------------


def test_allowed_origins_are_read_as_browsers_write_them(embed_site: DigestSite) -> None:
    embed_site.configure(
        web={"allowed_origins": ["HTTPS://Emhana.Example:443", "http://127.0.0.1:8081", "https://емхана.kz"]}
    )
    assert embed_site.config.web.allowed_origins == (
        "https://emhana.example",
        "http://127.0.0.1:8081",
        "https://xn--80aan2ag0c.kz",
    )


@pytest.mark.parametrize(
    ("web", "message"),
    [
        (
            {"allowed_origins": ["https://emhana.example/blog"]},
            "'web.allowed_origins' lists 'https://emhana.example/blog', which is not an origin",
        ),
        ({"allowed_origins": ["emhana.example"]}, "which is not an origin such as https://clinic.kz"),
        (
            {"after_subscribe": "https://evil.example/thanks"},
            "'web.after_subscribe' points to 'https://evil.example', which is not one of web.allowed_origins",
        ),
        ({"after_subscribe": None}, "'web.after_subscribe' is required with web.allowed_origins"),
        ({"after_subscribe": "https://{lang}.emhana.example/"}, "may hold {lang} in its path only"),
    ],
)
def test_a_redirect_outside_the_allowed_origins_is_a_config_error(
    embed_site: DigestSite, web: dict[str, object], message: str
) -> None:
    embed_site.sections["web"].update(web)
    with pytest.raises(ConfigError) as error:
        embed_site.configure()
    assert message in str(error.value)
    result = embed_site.cli("embed")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


# The command ----------------------------------------------------------------------------------------


def test_embed_prints_a_form_in_the_chosen_language_that_posts_to_serve(embed_site: DigestSite) -> None:
    result = embed_site.cli("embed", "--lang", "kk")

    assert result.exit_code == 0, result.output
    form = lxml.html.fromstring(result.output).xpath("//form")[0]
    assert form.get("action") == WEB_URL + "/subscribe" and form.get("method") == "post"
    assert form.xpath("string(.//label[@for='bulletin-email'])") == "Электрондық пошта мекенжайы"
    assert form.xpath("string(.//button)") == "Жазылу"
    assert [(o.get("value"), o.text, o.get("selected") is not None) for o in form.xpath(".//option")] == [
        ("ru", "Русский", False),
        ("kk", "Қазақша", True),
        ("en", "English", False),
    ]
    assert [
        (box.get("value"), box.xpath("string(..)").strip()) for box in form.xpath(".//input[@name='topic']")
    ] == [
        ("category:вакцинация", "Екпе"),
        ("category:диагностика", "Диагностика"),
    ]
    assert form.xpath(".//input[@name='website']/@tabindex") == ["-1"]  # the honeypot is there
    assert not form.xpath(".//input[@name='csrf']")  # no cookie of ours reaches another site


def test_embed_refuses_a_language_the_site_does_not_have_and_warns_without_origins(
    embed_site: DigestSite,
) -> None:
    result = embed_site.cli("embed", "--lang", "de")
    assert result.exit_code == 1
    assert result.output == "Error: --lang 'de' is not one of the site's languages (ru, kk, en)\n"

    embed_site.sections["web"].update(allowed_origins=[], after_subscribe=None)
    embed_site.configure()
    result = embed_site.cli("embed")
    assert result.exit_code == 0
    assert "Warning: web.allowed_origins is empty" in result.output
    assert 'lang="ru"' in result.output  # the site's default language


def test_twig_literals_survive_quotes_backslashes_and_interpolation() -> None:
    assert twig_literal({"a'b": ["c\\d", "#{x}"]}) == "{'a\\'b': ['c\\\\d', '#{x}']}"


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (.ci/run installs php-cli)")
@pytest.mark.skipif(not TWIG_AUTOLOAD.exists(), reason="Twig is not installed (.ci/run installs php-twig)")
@pytest.mark.parametrize("active", ["ru", "kk", "en", "", "de"])
def test_the_twig_partial_rendered_by_twig_is_the_html_form_of_the_page_language(
    embed_site: DigestSite, tmp_path: Path, active: str
) -> None:
    # A site title with what breaks naive Twig: quotes, a comment's end, a brace pair.
    embed_site.configure(site={"title": "Емхана «Шипагер» 'O'Neil' #} {{ x }}"})
    config = embed_site.config
    partial = tmp_path / "bulletin-subscribe.html.twig"
    partial.write_text(embed_snippet(config, twig=True), encoding="utf-8")
    script = tmp_path / "render.php"
    script.write_text(
        "<?php require '" + str(TWIG_AUTOLOAD) + "';\n"
        "$twig = new \\Twig\\Environment(new \\Twig\\Loader\\FilesystemLoader(dirname($argv[1])),"
        " ['autoescape' => 'html', 'strict_variables' => true]);\n"
        "$active = $argv[2] === '' ? false : $argv[2];\n"
        "echo $twig->render(basename($argv[1]), ['grav' => ['language' => ['getActive' => $active]]]);\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["php", str(script), str(partial), active], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # Grav's page language, or the site's default for none or one the site lacks.
    expected = embed_snippet(config, active if active in ("ru", "kk", "en") else "ru")
    assert form_fields(done.stdout) == form_fields(expected)
    assert done.stdout[done.stdout.index("<style>") :] == expected[expected.index("<style>") :]


# Posting from another site --------------------------------------------------------------------------


def embedded_post(client: TestClient, headers: dict[str, str], **fields: str) -> object:
    data = {"email": "aliya@example.org", "name": "Алия", "language": "kk", **fields}
    return client.post("/subscribe", data=data, headers=headers, follow_redirects=False)


def test_a_form_on_an_allowed_site_signs_up_and_goes_back_to_the_site(
    client: TestClient, embed_site: DigestSite
) -> None:
    data = {"email": "aliya@example.org", "language": "kk", "topic": ["category:вакцинация", "category:рак"]}
    answer = client.post("/subscribe", data=data, headers={"Origin": SITE}, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == SITE + "/kk/thanks"
    assert subscribers(embed_site) == [("aliya@example.org", "pending")]
    # Their language and topics (an unknown one left out) are kept for their digests.
    with SqliteStore(embed_site.store_path) as store:
        subscriber = store.subscriber(email="aliya@example.org")
    assert subscriber is not None
    assert (subscriber.language, subscriber.topics) == ("kk", frozenset({VACCINATION}))


def test_without_an_origin_header_the_referer_names_the_site(
    client: TestClient, embed_site: DigestSite
) -> None:
    answer = embedded_post(client, {"Referer": SITE + "/ru/news?page=2"}, language="ru")

    assert answer.headers["location"] == SITE + "/ru/thanks"  # type: ignore[attr-defined]
    assert subscribers(embed_site) == [("aliya@example.org", "pending")]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://emhana.example.evil.example"},
        {"Origin": "http://emhana.example"},  # another scheme is another origin
        {"Origin": "null"},
        {"Origin": "null", "Referer": SITE + "/ru/"},  # an explicit null is not overruled
        {"Referer": "https://evil.example/?https://emhana.example"},
        {},
    ],
)
def test_any_other_origin_is_refused_and_nothing_is_stored(
    client: TestClient, embed_site: DigestSite, headers: dict[str, str]
) -> None:
    answer = embedded_post(client, headers)

    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert "location" not in answer.headers  # type: ignore[attr-defined]
    assert subscribers(embed_site) == []


def test_the_honeypot_looks_like_success_and_stores_nothing(
    client: TestClient, embed_site: DigestSite
) -> None:
    answer = embedded_post(client, {"Origin": SITE}, website="https://spam.example")

    assert answer.headers["location"] == SITE + "/kk/thanks"  # type: ignore[attr-defined]
    assert subscribers(embed_site) == []


def test_embedded_sign_ups_count_toward_the_rate_limit(client: TestClient, embed_site: DigestSite) -> None:
    answers = [embedded_post(client, {"Origin": SITE}, email=f"p{n}@example.org") for n in range(6)]

    assert [a.status_code for a in answers] == [303] * 5 + [429]  # type: ignore[attr-defined]
    assert "Бірнеше минуттан кейін" in answers[-1].text  # type: ignore[attr-defined]
    assert len(subscribers(embed_site)) == 5


def test_a_bad_address_from_the_site_gets_our_form_back_in_the_chosen_language(
    client: TestClient, embed_site: DigestSite
) -> None:
    answer = embedded_post(client, {"Origin": SITE}, email="not an address")

    assert answer.status_code == 400  # type: ignore[attr-defined]
    page = lxml.html.fromstring(answer.text)  # type: ignore[attr-defined]
    assert page.get("lang") == "kk"
    assert page.xpath("string(//p[@class='error'])") == "Бұл электрондық пошта мекенжайына ұқсамайды."
    assert page.xpath("//option[@selected]/@value") == ["kk"]
    assert page.xpath("//input[@name='csrf']")  # to send it again from here, with our CSRF pair
    assert subscribers(embed_site) == []


def test_config_of_a_site_without_allowed_origins_refuses_every_cross_origin_post(
    embed_site: DigestSite,
) -> None:
    embed_site.sections["web"].update(allowed_origins=[], after_subscribe=None)
    config = embed_site.configure()
    with TestClient(create_app(config), base_url=WEB_URL) as test_client:
        assert embedded_post(test_client, {"Origin": SITE}).status_code == 403  # type: ignore[attr-defined]
    assert subscribers(embed_site) == []
    assert load_config(embed_site.config_path).web.after_subscribe is None
