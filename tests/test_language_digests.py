"""Per-language, per-topic digests on a ru/kk/en site (tests/sites/topics), sent to a real SMTP server.

The site's posts (no ``languages.content_fallback``: a post without a translation reaches no
one reading another language):

    folder        ru   kk   en   category
    flu-vaccine   yes  yes  yes  вакцинация / екпе / vaccination
    mri           yes  yes  no   диагностика
    saturday-lab  yes  no   no   новости (no topic)
    nauryz        no   yes  no   жаңалықтар (no topic)
    ultrasound    no   no   yes  diagnostics
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from click.testing import CliRunner

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.i18n import TEXTS, missing_texts, texts
from bulletin.mail import jobs
from bulletin.store import DigestPost, RenderedDigest
from bulletin.store.sqlite import SqliteStore
from bulletin.tokens import PREFERENCES, TokenSigner

from .digest_site import SECRET, SENDER, WEB_URL
from .feed_site import ALMATY
from .smtp_server import SmtpServer
from .test_store_migrations import OLD_RENDERED

SITE = Path(__file__).parent / "sites" / "topics"
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=ALMATY)
VACCINATION = ("category", "вакцинация")
DIAGNOSTICS = ("category", "диагностика")
WARD = ("category", "стационар")  # offered, but no post carries it
TOPICS = {
    "category": [
        {
            "term": "вакцинация",
            "labels": {"kk": "Екпе", "en": "Vaccination"},
            "also": ["екпе", "vaccination"],
        },
        {"term": "диагностика", "labels": {"en": "Diagnostics"}, "also": ["diagnostics"]},
        "стационар",
    ]
}
TITLES = {
    "ru": {
        "flu": "Прививка от гриппа — бесплатно",
        "mri": "Новый аппарат МРТ",
        "lab": "Лаборатория работает по субботам",
    },
    "kk": {"flu": "Тұмауға қарсы тегін екпе", "mri": "Жаңа МРТ аппараты", "nauryz": "Наурыз мерекесіне орай"},
    "en": {"flu": "Free flu vaccination", "ultrasound": "Ultrasound without a referral"},
}
POLIO = {"ru": "Прививка от полиомиелита", "kk": "Полиомиелитке қарсы екпе"}  # posted by a test
EVERY_TITLE = [title for titles in TITLES.values() for title in titles.values()] + list(POLIO.values())
# What each language's texts and dates look like (the unsubscribe link's words, a month).
LOOKS = {
    "ru": ("Отписаться", "Настроить рассылку", "марта 2026"),
    "kk": ("Жазылымнан бас тарту", "Жазылым баптаулары", "наурыз 2026"),
    "en": ("Unsubscribe", "Manage preferences", "March 2026"),
}
# (address, language, topics) -> the posts they get
READERS = {
    "ru-all@example.org": (None, frozenset(), "ru", {"flu", "mri", "lab"}),
    "kk-vaccination@example.org": ("kk", frozenset({VACCINATION}), "kk", {"flu"}),
    "kk-all@example.org": ("kk", frozenset(), "kk", {"flu", "mri", "nauryz"}),
    "en-diagnostics@example.org": ("en", frozenset({DIAGNOSTICS}), "en", {"ultrasound"}),
    "en-both@example.org": ("en", frozenset({VACCINATION, DIAGNOSTICS}), "en", {"flu", "ultrasound"}),
    "ru-ward@example.org": ("ru", frozenset({WARD}), "ru", set()),
}


class TopicSite:
    def __init__(self, root: Path, smtp: SmtpServer) -> None:
        shutil.copytree(SITE, root)
        self.root = root
        self.config_path = root / "config.yaml"
        self.smtp = smtp
        data = {
            "site": {"url": "https://emhana.example"},
            "content": {"dir": "user"},
            "store": {"path": "state/bulletin.db"},
            "digest": {"from": SENDER, "start": "2020-01-01", "topics": TOPICS},
            "smtp": {
                "host": smtp.host,
                "port": smtp.port,
                "security": "none",
                "timeout": 5,
                "retry_backoff": 0,
            },
            "web": {"url": WEB_URL},
        }
        self.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def store(self) -> SqliteStore:
        return SqliteStore(self.root / "state" / "bulletin.db")

    def send(self, now: dt.datetime = NOW) -> jobs.SendResult:
        return jobs.send(load_config(self.config_path), now)

    def mail_for(self, address: str) -> list[EmailMessage]:
        return self.smtp.messages_for(address)

    def system(self, extra: str) -> None:
        path = self.root / "user" / "config" / "system.yaml"
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")

    def post(self, folder: str, language: str, title: str, date: str, category: str) -> None:
        path = self.root / "user" / "pages" / "01.blog" / folder / f"post.{language}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"---\ntitle: '{title}'\ndate: '{date}'\ntaxonomy:\n    category: [{category}]\n---\n\nТекст.\n",
            encoding="utf-8",
        )


@pytest.fixture
def topic_site(tmp_path: Path, smtp_server: SmtpServer, secret: str) -> TopicSite:
    site = TopicSite(tmp_path / "site", smtp_server)
    with site.store() as store:
        for address, (language, topics, _, _) in READERS.items():
            store.add_subscriber(address, None, language=language, topics=topics)
    return site


def body(message: EmailMessage) -> str:
    plain = message.get_body(("plain",))
    assert plain is not None
    return str(plain.get_content())


def titles_in(text: str) -> set[str]:
    return {title for title in EVERY_TITLE if title in text}


def test_each_subscriber_gets_their_languages_posts_with_their_topics(topic_site: TopicSite) -> None:
    result = topic_site.send()

    assert (result.report.sent, result.empty, result.pending) == (5, 1, 0)
    for address, (_, _, language, wanted) in READERS.items():
        messages = topic_site.mail_for(address)
        if not wanted:
            assert messages == [], address  # nothing for them: no mail at all
            continue
        [message] = messages
        text, html = body(message), message.get_body(("html",))
        assert html is not None
        assert titles_in(text) == {TITLES[language][post] for post in wanted}, address
        unsubscribe, manage, month = LOOKS[language]
        assert unsubscribe in text and manage in text and month in text, (address, text)
        assert month in str(html.get_content())
        for other, (words, _, other_month) in LOOKS.items():
            if other != language:
                assert words not in text and other_month not in text, (address, other)
        assert f"{WEB_URL}/{language}/archive/1/" in text
    with topic_site.store() as store:
        counts = store.delivery_counts(1)
        assert (counts.sent, counts.empty, counts.pending) == (5, 1, 0)
        ward = store.subscriber(email="ru-ward@example.org")
        assert ward is not None
        assert [d.subscriber.email for d in store.pending_deliveries(1)] == []
        renderings = store.digest_renderings(1)
    # One rendering per distinct (language, posts): ru, kk and en whole, kk vaccination, en diagnostics.
    assert sorted((r.language, len(r.routes), r.whole) for r in renderings) == [
        ("en", 1, False),
        ("en", 2, True),
        ("kk", 1, False),
        ("kk", 3, True),
        ("ru", 3, True),
    ]


def test_the_preferences_link_carries_a_token_for_that_subscriber(topic_site: TopicSite) -> None:
    topic_site.send()
    [message] = topic_site.mail_for("kk-vaccination@example.org")
    [link] = re.findall(r"https://\S+/preferences\?token=\S+", body(message))
    assert link.startswith(f"{WEB_URL}/preferences?token=")
    [token] = parse_qs(urlsplit(link).query)["token"]
    with topic_site.store() as store:
        subscriber = store.subscriber(email="kk-vaccination@example.org")
        other = store.subscriber(email="kk-all@example.org")
    signer = TokenSigner(SECRET)
    assert signer.check(PREFERENCES, token, subscriber)
    assert not signer.check(PREFERENCES, token, other)
    assert not signer.check("unsubscribe", token, subscriber)  # a preferences token unsubscribes no one


def test_a_post_goes_out_once_and_new_preferences_shape_the_next_digest(topic_site: TopicSite) -> None:
    topic_site.send()
    topic_site.post("polio", "ru", POLIO["ru"], "09:00 05-04-2026", "вакцинация")
    topic_site.post("polio", "kk", POLIO["kk"], "09:00 05-04-2026", "екпе")
    with topic_site.store() as store:
        kk_all = store.subscriber(email="kk-all@example.org")
        assert kk_all is not None
        store.set_subscriber_preferences(kk_all.id, "ru", frozenset({VACCINATION}))
    topic_site.smtp.clear()

    result = topic_site.send(NOW + dt.timedelta(days=5))

    assert result.composed == 2
    got = {address: [titles_in(body(m)) for m in topic_site.mail_for(address)] for address in READERS}
    assert got == {
        "ru-all@example.org": [{"Прививка от полиомиелита"}],
        "kk-vaccination@example.org": [{"Полиомиелитке қарсы екпе"}],
        "kk-all@example.org": [{"Прививка от полиомиелита"}],  # now Russian, vaccination only
        "en-diagnostics@example.org": [],
        "en-both@example.org": [],
        "ru-ward@example.org": [],
    }
    with topic_site.store() as store:
        assert store.delivery_counts(2).empty == 3
        assert store.digest_posts(2)[0].language in {"ru", "kk"}
        assert {p.language for p in store.digest_posts(2)} == {"ru", "kk"}

    topic_site.smtp.clear()
    assert topic_site.send(NOW + dt.timedelta(days=6)).composed is None  # nothing new: nothing again
    assert topic_site.smtp.received == []


def test_without_content_fallback_an_untranslated_post_reaches_no_other_language(
    topic_site: TopicSite,
) -> None:
    topic_site.send()
    assert "Новый аппарат МРТ" not in "".join(body(m) for m in topic_site.mail_for("en-both@example.org"))


def test_content_fallback_brings_the_fallback_languages_text(topic_site: TopicSite) -> None:
    topic_site.system("  content_fallback:\n    en: [ru]\n")
    topic_site.send()
    [message] = topic_site.mail_for("en-diagnostics@example.org")
    text = body(message)
    # The MRI post has no English file: the English site shows the Russian one, at /en/.
    assert titles_in(text) == {"Новый аппарат МРТ", "Ultrasound without a referral"}
    assert "https://emhana.example/en/blog/mri" in text
    assert LOOKS["en"][0] in text  # the texts around it stay English


def test_a_digest_resumed_after_a_failure_keeps_each_subscribers_part(topic_site: TopicSite) -> None:
    topic_site.smtp.faults.data_reply["kk-vaccination@example.org"] = "451 4.3.0 try later"
    first = topic_site.send()
    assert first.pending == 1
    with topic_site.store() as store:  # the choice changes after the digest was made
        kk = store.subscriber(email="kk-vaccination@example.org")
        assert kk is not None
        store.set_subscriber_preferences(kk.id, "en", frozenset())
    topic_site.smtp.faults.data_reply.clear()
    topic_site.smtp.clear()

    second = topic_site.send(NOW + dt.timedelta(minutes=1))

    assert (second.composed, second.report.sent) == (None, 1)
    [message] = topic_site.mail_for("kk-vaccination@example.org")
    assert titles_in(body(message)) == {"Тұмауға қарсы тегін екпе"}  # what digest 1 gave them


def test_status_and_send_count_those_the_digest_held_nothing_for(topic_site: TopicSite) -> None:
    config = str(topic_site.config_path)
    now = NOW.isoformat()
    sent = CliRunner().invoke(main, ["send", "--config", config, "--now", now], catch_exceptions=False)
    assert sent.exit_code == 0, sent.output
    assert "Nothing for 1 subscriber: no post in their language and topics." in sent.output
    status = CliRunner().invoke(main, ["status", "--config", config, "--now", now], catch_exceptions=False)
    assert "sent 5, pending 0, failed 0, cancelled 0, nothing for them 1" in status.output, status.output


def test_preview_shows_what_a_subscriber_with_that_language_and_topic_gets(
    topic_site: TopicSite, tmp_path: Path
) -> None:
    config, out = str(topic_site.config_path), tmp_path / "preview"
    args = ["preview", "--config", config, "--now", NOW.isoformat(), "--out", str(out)]
    result = CliRunner().invoke(
        main, [*args, "--lang", "kk", "--topic", "вакцинация"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    text = (out / "digest.txt").read_text(encoding="utf-8")
    assert titles_in(text) == {TITLES["kk"]["flu"]}
    assert all(words in text for words in LOOKS["kk"])

    CliRunner().invoke(main, [*args, "--topic", "category:диагностика"], catch_exceptions=False)
    assert titles_in((out / "digest.txt").read_text(encoding="utf-8")) == {TITLES["ru"]["mri"]}

    refused = CliRunner().invoke(main, [*args, "--lang", "de"], catch_exceptions=False)
    assert (refused.exit_code, refused.output) == (
        1,
        "Error: unknown language 'de': this site's languages are ru, kk, en\n",
    )


def test_ru_kk_and_en_texts_are_complete_and_check_names_a_languages_missing_ones(
    topic_site: TopicSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert missing_texts("ru") == missing_texts("kk") == missing_texts("en-GB") == []
    monkeypatch.setitem(TEXTS, "tt", {"unsubscribe": "Язылудан баш тарту"})
    assert texts("tt")["unsubscribe"] == "Язылудан баш тарту"
    assert texts("tt")["read_more"] == "Read more"  # the rest falls back to English
    assert "read_more" in missing_texts("tt") and "unsubscribe" not in missing_texts("tt")

    # The site's languages: ru, kk, en, then Tatar (a few texts) and German (none).
    path = topic_site.root / "user" / "config" / "system.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[ru, kk, en]", "[ru, kk, en, tt, de]"))
    args = ["check", "--config", str(topic_site.config_path), "--now", NOW.isoformat()]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    lines = [line for line in result.output.splitlines() if "texts missing" in line or "no texts" in line]
    assert len(lines) == 2, result.output
    first_ten = sorted(set(TEXTS["en"]) - {"unsubscribe"})[:10]
    assert first_ten[:2] == ["and_more", "archive_back"]  # named in order, the rest counted
    assert lines[0].endswith(
        f"texts missing in 'tt', its readers get them in English: {', '.join(first_ten)}"
        f" and {len(TEXTS['en']) - 11} more"
    ), lines
    assert lines[1].endswith(
        "no texts in 'de' ship with bulletin (only en, kk, ru, tt): its readers get English"
    )


def test_a_site_whose_digests_held_one_language_does_not_send_every_older_translation(
    topic_site: TopicSite,
) -> None:
    # Digests made before languages: the default language's posts, under their bare routes.
    with topic_site.store() as store:
        old = DigestPost(
            "/blog/flu-vaccine", TITLES["ru"]["flu"], "https://emhana.example/ru/blog/flu-vaccine", NOW
        )
        assert store.create_digest([old], RenderedDigest.from_json(OLD_RENDERED), "n0", NOW) == 1
        for delivery in list(store.pending_deliveries(1)):
            store.mark_sent(1, delivery.subscriber.id, NOW)
    upgraded = NOW + dt.timedelta(days=1)

    assert topic_site.send(upgraded).composed == 2
    # The Russian posts no digest held go out; the older translations are taken as sent.
    [ru] = topic_site.mail_for("ru-all@example.org")
    assert titles_in(body(ru)) == {TITLES["ru"]["mri"], TITLES["ru"]["lab"]}
    assert topic_site.mail_for("kk-all@example.org") == []

    topic_site.post("polio", "kk", POLIO["kk"], "09:00 05-04-2026", "екпе")  # after the upgrade
    topic_site.send(upgraded + dt.timedelta(days=5))
    [kk] = topic_site.mail_for("kk-all@example.org")
    assert titles_in(body(kk)) == {POLIO["kk"]}
