"""Each subscriber's language and topics: kept by the store, set by the CLI and CSV, checked by the site."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from bulletin.cli import main
from bulletin.config import load_config
from bulletin.errors import ConfigError
from bulletin.preferences import Choices
from bulletin.store import NewSubscriber
from bulletin.store.migrations import Migrations
from bulletin.store.sqlite import SqliteStore
from bulletin.store.sqlite_migrations import MIGRATIONS, migrate

from .conftest import StoreBackend
from .postgres_server import open_test_store, store_rows

pytestmark = pytest.mark.both_backends

MULTILANG = Path(__file__).parent / "sites" / "multilang"
NOW = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.UTC)
VACCINATION = ("category", "вакцинация")
DIAGNOSTICS = ("category", "диагностика")
TOPICS = {
    "category": [
        "вакцинация",
        {"term": "диагностика", "labels": {"ru": "Диагностика", "kk": "Диагностика", "en": "Diagnostics"}},
    ],
    "tag": [{"term": "екпе", "also": ["vaccine"]}],
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The ru/kk/en clinic site with digest.topics; returns its config.yaml."""
    root = tmp_path / "site"
    shutil.copytree(MULTILANG, root)
    config = root / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["digest"] = {"topics": TOPICS}
    data["store"] = {"path": "state/bulletin.db"}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config


def run(config: Path, *args: str) -> Result:
    words = list(args)
    words[2:2] = ["--config", str(config)]
    return CliRunner().invoke(main, words, catch_exceptions=False)


def test_the_store_keeps_each_subscribers_language_and_topics(
    tmp_path: Path, store_backend: StoreBackend
) -> None:
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "s.db") as store:
        assert store.add_subscriber("асель@пример.kz", "Әсел", language="kk", topics=frozenset({VACCINATION}))
        assert store.add_subscriber("ivan@example.org", None)
        [asel, ivan] = store.subscribers()
        assert (asel.language, asel.topics) == ("kk", frozenset({VACCINATION}))
        assert (ivan.language, ivan.topics) == (None, frozenset())

        store.set_subscriber_preferences(asel.id, "en", frozenset({DIAGNOSTICS, ("tag", "екпе")}))
        store.set_subscriber_preferences(ivan.id, "kk", frozenset({VACCINATION}))
        asel_now = store.subscriber(id=asel.id)
        assert asel_now is not None
        assert (asel_now.language, asel_now.topics) == ("en", frozenset({DIAGNOSTICS, ("tag", "екпе")}))
        assert store.subscriber(email="ivan@example.org") == ivan.__class__(
            ivan.id,
            ivan.email,
            None,
            "active",
            ivan.created_at,
            ivan.token_nonce,
            "kk",
            frozenset({VACCINATION}),
        )
        store.set_subscriber_preferences(asel.id, None, frozenset())
        assert store.subscriber(id=asel.id).topics == frozenset()  # type: ignore[union-attr]

        assert store.remove_subscriber("ivan@example.org")
        assert store_rows(store, "SELECT count(*) FROM subscriber_topics") == [(0,)]  # none left behind


def test_an_import_batch_takes_languages_and_topics(tmp_path: Path, store_backend: StoreBackend) -> None:
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "s.db") as store:
        added = store.add_subscribers(
            [
                ("plain@example.org", "Plain"),
                NewSubscriber("kk@example.org", None, "kk", frozenset({VACCINATION, DIAGNOSTICS})),
                NewSubscriber("kk@example.org", None, "en", frozenset()),  # twice: the first stays
            ]
        )
        assert added == [True, True, False]
        kk = store.subscriber(email="kk@example.org")
        assert kk is not None and (kk.language, kk.topics) == ("kk", frozenset({VACCINATION, DIAGNOSTICS}))


def test_a_sign_up_sets_a_pending_addresss_choices_never_an_active_ones(
    tmp_path: Path, store_backend: StoreBackend
) -> None:
    hour = dt.timedelta(hours=1)
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "s.db") as store:
        store.add_subscriber("active@example.org", None, language="ru", topics=frozenset({DIAGNOSTICS}))
        store.sign_up("active@example.org", None, NOW, hour, language="kk", topics=frozenset({VACCINATION}))
        store.sign_up("new@example.org", None, NOW, hour, language="kk", topics=frozenset({VACCINATION}))
        fresh = store.request_subscription("other@example.org", None, NOW, language="en")
        active, new = store.subscriber(email="active@example.org"), store.subscriber(email="new@example.org")
        assert active is not None and (active.language, active.topics) == ("ru", frozenset({DIAGNOSTICS}))
        assert new is not None and (new.status, new.language, new.topics) == (
            "pending",
            "kk",
            frozenset({VACCINATION}),
        )
        assert (fresh.status, fresh.language) == ("pending", "en")
        # Signing up again while pending: the latest choices count.
        store.sign_up("new@example.org", None, NOW, hour, language="en", topics=frozenset())
        again = store.subscriber(email="new@example.org")
        assert again is not None and (again.language, again.topics) == ("en", frozenset())


def test_a_store_from_before_languages_upgrades_with_everyone_on_the_default(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    before: Migrations[sqlite3.Connection] = Migrations()
    for migration in MIGRATIONS:
        if migration.name < "0007":
            before.register(migration.name)(migration.apply)
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, NOW, before)
    stamp = NOW.isoformat()
    db.execute("INSERT INTO meta VALUES ('created_at', ?)", (stamp,))
    for email in ("анна@пример.рф", "bob@example.org"):
        db.execute(
            "INSERT INTO subscribers (email, status, created_at, updated_at) VALUES (?, 'active', ?, ?)",
            (email, stamp, stamp),
        )
    db.execute("INSERT INTO digests (created_at, nonce, rendered) VALUES (?, 'n', '{}')", (stamp,))
    db.execute("INSERT INTO deliveries (digest_id, subscriber_id, status, attempts) VALUES (1, 1, 'sent', 1)")
    db.execute(
        "INSERT INTO deliveries (digest_id, subscriber_id, status, troubles) VALUES (1, 2, 'pending', 2)"
    )
    db.close()

    with SqliteStore(path) as store:
        people = list(store.subscribers())
        assert [(s.language, s.topics) for s in people] == [(None, frozenset())] * 2
        counts = store.delivery_counts(1)
        assert (counts.sent, counts.pending, counts.empty) == (1, 1, 0)
        [waiting] = store.pending_deliveries(1)
        assert (waiting.subscriber.email, waiting.troubles, waiting.rendering) == ("bob@example.org", 2, None)
        assert store.check() == []


def test_subscribers_add_takes_a_language_and_topics(site: Path) -> None:
    result = run(
        site, "subscribers", "add", "асель@пример.kz", "--lang", "kk", "--topic", "category:вакцинация"
    )
    assert result.exit_code == 0, result.output
    result = run(
        site, "subscribers", "add", "two@example.org", "--topic", "диагностика", "--topic", "tag:екпе"
    )
    assert result.exit_code == 0, result.output
    with SqliteStore(site.parent / "state" / "bulletin.db") as store:
        asel, two = store.subscribers()
    assert (asel.language, asel.topics) == ("kk", frozenset({VACCINATION}))
    assert (two.language, two.topics) == (None, frozenset({DIAGNOSTICS, ("tag", "екпе")}))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--lang", "fr", "Error: unknown language 'fr': this site's languages are ru, kk, en\n"),
        (
            "--topic",
            "category:онкология",
            "Error: unknown topic 'category:онкология': digest.topics lists category:вакцинация,"
            " category:диагностика, tag:екпе\n",
        ),
    ],
)
def test_subscribers_add_refuses_what_the_site_does_not_offer(
    site: Path, option: str, value: str, message: str
) -> None:
    result = run(site, "subscribers", "add", "x@example.org", option, value)
    assert (result.exit_code, result.output) == (1, message)
    assert not (site.parent / "state" / "bulletin.db").exists() or not list(
        SqliteStore(site.parent / "state" / "bulletin.db").subscribers()
    )


def test_csv_export_and_import_round_trip_languages_and_topics(site: Path, tmp_path: Path) -> None:
    run(
        site,
        "subscribers",
        "add",
        "a@example.org",
        "--lang",
        "kk",
        "--topic",
        "вакцинация",
        "--topic",
        "tag:екпе",
    )
    run(site, "subscribers", "add", "b@example.org", "--name", "Борис")
    exported = run(site, "subscribers", "export").output
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["email", "name", "status", "created_at", "lang", "topics"]
    assert [row[4:] for row in rows[1:]] == [["kk", "category:вакцинация;tag:екпе"], ["", ""]]

    path = tmp_path / "list.csv"
    path.write_text(
        exported + "c@example.org,,active,,EN,category:диагностика\r\n"
        "d@example.org,,active,,fr,\r\ne@example.org,,active,,,category:онкология\r\n",
        encoding="utf-8",
    )
    other = tmp_path / "other"
    shutil.copytree(site.parent, other, ignore=shutil.ignore_patterns("state"))
    result = run(other / "config.yaml", "subscribers", "import", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:5: invalid: unknown language 'fr': this site's languages are ru, kk, en",
        f"{path}:6: invalid: unknown topic 'category:онкология': digest.topics lists category:вакцинация,"
        " category:диагностика, tag:екпе",
        "Added 3, already present 0, invalid 2.",
    ]
    again = list(csv.reader(io.StringIO(run(other / "config.yaml", "subscribers", "export").output)))
    # Everything but the date of creation (an import's rows are new) comes back as it was.
    assert [row[:3] + row[4:] for row in again[1:3]] == [row[:3] + row[4:] for row in rows[1:]]
    with SqliteStore(other / "state" / "bulletin.db") as store:
        c = store.subscriber(email="c@example.org")
    assert c is not None and (c.language, c.topics) == ("en", frozenset({DIAGNOSTICS}))


def test_choices_on_a_site_without_languages_are_its_one_language(tmp_path: Path) -> None:
    choices = Choices(("ru",))
    assert choices.language("") is None and choices.language("RU") == "ru"
    with pytest.raises(Exception, match="unknown language 'kk': this site's languages are ru"):
        choices.language("kk")


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ({"genre": ["a"]}, "'digest.topics.genre': the taxonomy must be tag or category"),
        ({"category": "вакцинация"}, "'digest.topics.category' must be a list of terms"),
        ({"category": [{"labels": {"ru": "x"}}]}, "'digest.topics.category[0]' needs a term"),
        ({"category": [{"term": "a;b"}]}, "'digest.topics.category[0]' needs a term"),
        (
            {"category": [{"term": "a", "label": "x"}]},
            "'digest.topics.category[0]' has an unknown key 'label' (a term takes term, labels and also)",
        ),
        (
            {"category": [{"term": "a", "labels": ["x"]}]},
            "'digest.topics.category[0]' 'labels' must map a language to its label",
        ),
        ({"category": ["a", "a"]}, "'digest.topics.category[1]': 'a' is listed twice"),
        ([1], "'digest.topics' must map a taxonomy to its terms"),
    ],
)
def test_digest_topics_errors_name_the_key(site: Path, topics: object, message: str) -> None:
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["digest"]["topics"] = topics
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(site)
    assert [line for line in caught.value.problems if message in line] != [], caught.value.problems


def test_digest_topics_are_read_with_labels_and_other_terms(site: Path) -> None:
    [vaccination, diagnostics, vaccine] = load_config(site).digest.topics
    assert (vaccination.key, vaccination.label("kk")) == (VACCINATION, "вакцинация")
    assert (diagnostics.label("en"), diagnostics.label("fr")) == ("Diagnostics", "диагностика")
    assert vaccine.matches(("Vaccine",)) and vaccine.matches(("ЕКПЕ",)) and not vaccine.matches(("екпелер",))
