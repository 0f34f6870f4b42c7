"""`bulletin report`: the page drawn from a real store after a real send and real bounce rules."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from bulletin.bounces.events import DeliveryEvent
from bulletin.bounces.rules import RuleSettings, apply_event
from bulletin.report.figures import status_points, weekly_signups
from bulletin.store import StatusChange
from bulletin.store.sqlite import SqliteStore

from .conftest import StoreBackend
from .digest_site import NOW, DigestSite
from .postgres_server import open_test_store
from .smtp_server import SmtpServer
from .test_store_migrations import OLD_STAMP, make_old_store

ALMATY = ZoneInfo("Asia/Almaty")
PEOPLE = ("aigerim@example.kz", "bolat@example.kz", "dana@example.kz")


def report_of(site: DigestSite, tmp_path: Path, *extra: str) -> lxml.html.HtmlElement:
    out = tmp_path / "report.html"
    result = site.cli("report", "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {out} (1 digest)\n"
    return lxml.html.fromstring(out.read_text(encoding="utf-8"))


def sent_digest_with_a_bounce_and_a_complaint(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("first", "Приём педиатра", "2026-04-01 10:00")
    site.subscribe(*PEOPLE)
    with SqliteStore(site.store_path) as store:
        store.request_subscription("erlan@example.kz", None, NOW)  # a web sign-up, not confirmed
    assert site.send().total == 3
    later = dt.datetime.now(dt.UTC)  # after the rows were made (at the real time)
    with SqliteStore(site.store_path) as store:
        for kind, address in (("hard_bounce", PEOPLE[1]), ("complaint", PEOPLE[2])):
            # As a webhook reports it: the Message-ID ties the event to its digest.
            [message] = smtp_server.messages_for(address)
            event = DeliveryEvent(
                kind, "test", f"{kind}-1", later, recipient=address, message_id=message["Message-ID"]
            )
            apply_event(store, event, RuleSettings(), later)


def test_the_report_in_russian(site: DigestSite, smtp_server: SmtpServer, tmp_path: Path) -> None:
    sent_digest_with_a_bounce_and_a_complaint(site, smtp_server)
    page = report_of(site, tmp_path)
    assert page.get("lang") == "ru"
    assert page.findtext(".//h1") == "Подписчики и выпуски"
    assert [h2.text_content() for h2 in page.iter("h2")] == [
        "Подписчики по статусам",
        "Выпуски: отправлено, ошибки, возвраты, жалобы",
        "Доля возвратов и жалоб",
        "Новые подписки по неделям",
    ]
    # Charts are inline SVG, and nothing on the page runs.
    assert len(page.xpath("//figure/*[local-name()='svg']")) == 6
    assert page.xpath("//script") == [] and page.xpath("//*[local-name()='script']") == []
    latest = [item.text_content() for item in page.xpath("//ul[@class='latest']/li")]
    assert latest == ["активные: 1", "ждут подтверждения: 1", "отписались: 1", "недоставляемые: 1"]
    [row] = page.xpath("//tbody/tr")
    cells = [cell.text_content().replace("\xa0", " ") for cell in row.iter("td")]
    assert cells[0] == "№ 1" and cells[2:] == ["3", "0", "1", "1", "33,33 %", "33,33 % ⚠"]
    assert row.xpath("td[@class='above-limit']/@title") == ["выше предела Gmail 0,3 %"]


def test_the_report_in_kazakh(site: DigestSite, smtp_server: SmtpServer, tmp_path: Path) -> None:
    sent_digest_with_a_bounce_and_a_complaint(site, smtp_server)
    site.configure(site={"language": "kk"})
    page = report_of(site, tmp_path)
    assert page.get("lang") == "kk"
    assert page.findtext(".//h1") == "Жазылушылар мен шығарылымдар"
    assert "белсенді: 1" in [item.text_content() for item in page.xpath("//ul[@class='latest']/li")]
    svg_text = " ".join(page.xpath("//*[local-name()='svg']//text()"))
    assert "шағым үлесі" in svg_text and "Gmail-дің шағымдар шегі, 0,3 %" in svg_text


def test_an_empty_store_gives_a_page_that_says_so(site: DigestSite, tmp_path: Path) -> None:
    site.configure(site={"language": "en"})
    SqliteStore(site.store_path).close()
    out = tmp_path / "report.html"
    assert site.cli("report", "--out", str(out)).exit_code == 0
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert [p.text for p in page.xpath("//section/p")] == ["Nothing to show yet."] * 4


def test_no_store_is_one_line_and_no_file(site: DigestSite, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = site.cli("report", "--out", str(out))
    assert result.exit_code == 1
    assert result.output == f"Error: {site.store_path}: store does not exist yet\n"
    assert not out.exists()


# The status history the charts are drawn from -----------------------------------------------------


@pytest.mark.both_backends
def test_every_status_change_is_recorded_with_its_time(tmp_path: Path, store_backend: StoreBackend) -> None:
    with open_test_store(store_backend.kind, store_backend.url, tmp_path / "s.db") as store:
        store.request_subscription("a@example.kz", None, NOW)
        [a] = list(store.subscribers())
        store.confirm_subscriber(a.id)
        store.set_subscriber_status(a.id, "unsubscribed")
        store.request_subscription("a@example.kz", None, NOW + dt.timedelta(days=1))
        store.add_subscriber("b@example.kz", None)
        store.remove_subscriber("b@example.kz")
        changes = list(store.status_changes())
    assert [(change.subscriber_id, change.status) for change in changes] == [
        (a.id, "pending"),
        (a.id, "active"),
        (a.id, "unsubscribed"),
        (a.id, "pending"),
    ]
    assert changes[0].changed_at == NOW and changes[3].changed_at == NOW + dt.timedelta(days=1)


def test_a_store_from_before_the_history_gets_what_can_be_told(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_old_store(path)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO subscribers (email, status, created_at, updated_at) VALUES"
        " ('left@example.kz', 'unsubscribed', '2024-01-01T00:00:00+00:00', '2024-03-01T00:00:00+00:00')"
    )
    db.commit()
    db.close()
    with SqliteStore(path) as store:
        changes = sorted((c.changed_at.isoformat(), c.status) for c in store.status_changes())
    assert changes == [
        ("2024-01-01T00:00:00+00:00", "active"),
        ("2024-03-01T00:00:00+00:00", "unsubscribed"),
        (dt.datetime.fromisoformat(OLD_STAMP).isoformat(), "active"),
    ]


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=ALMATY)


def test_status_points_count_each_day_in_the_site_zone() -> None:
    changes = [
        StatusChange(1, "pending", at(2)),
        StatusChange(1, "active", at(2, 13)),
        StatusChange(2, "active", at(3, 0)),  # 00:00 Almaty: still 2 March in UTC, 3 March here
        StatusChange(1, "bounced", at(5)),
    ]
    points = status_points(changes, ALMATY, at(6))
    # SUBSCRIBER_STATUSES order: pending, active, unsubscribed, bounced
    assert [(p.day.day, p.counts) for p in points] == [
        (2, (0, 1, 0, 0)),
        (3, (0, 2, 0, 0)),
        (4, (0, 2, 0, 0)),
        (5, (0, 1, 0, 1)),
        (6, (0, 1, 0, 1)),
    ]


def test_a_long_history_is_drawn_week_by_week_up_to_today() -> None:
    start = dt.datetime(2025, 1, 1, 9, tzinfo=ALMATY)  # a Wednesday
    changes = [StatusChange(n, "active", start + dt.timedelta(days=7 * n)) for n in range(20)]
    now = start + dt.timedelta(days=200)
    points = status_points(changes, ALMATY, now)
    assert points[0].day == dt.date(2025, 1, 5)  # the first Sunday
    assert all(b.day - a.day == dt.timedelta(weeks=1) for a, b in zip(points, points[1:-1], strict=False))
    assert points[-1].day == now.date() and points[-1].counts[1] == 20


def test_sign_ups_per_week_count_each_subscriber_once() -> None:
    changes = [
        StatusChange(1, "pending", at(2)),  # Monday 2 March
        StatusChange(1, "active", at(9)),  # not a sign-up
        StatusChange(2, "active", at(8)),  # Sunday: still the first week
        StatusChange(3, "active", at(23)),
    ]
    weeks = weekly_signups(changes, ALMATY, at(25))
    assert [(week.monday.day, week.count) for week in weeks] == [(2, 2), (9, 0), (16, 0), (23, 1)]


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium")
@pytest.mark.parametrize("width", [600, 375])
def test_the_page_fits_a_phone_in_chromium_without_javascript(
    site: DigestSite, smtp_server: SmtpServer, tmp_path: Path, width: int
) -> None:
    from playwright.sync_api import sync_playwright

    sent_digest_with_a_bounce_and_a_complaint(site, smtp_server)
    site.configure(site={"language": "kk"})
    report_of(site, tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": width, "height": 800}, java_script_enabled=False)
        page.goto((tmp_path / "report.html").as_uri())
        page.screenshot(path=str(ARTIFACTS / f"report-kk-{width}.png"), full_page=True)
        browser.close()
        # Measured in a second page with scripts on (the report itself ran none).
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto((tmp_path / "report.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") == width  # no sideways scrolling
        boxes = page.evaluate(
            "[...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width)"
        )
        browser.close()
    assert len(boxes) == 6 and all(width / 2 < box <= width for box in boxes)


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_every_language_has_every_text(language: str) -> None:
    from bulletin.report.texts import REPORT_TEXTS

    assert set(REPORT_TEXTS[language]) == set(REPORT_TEXTS["en"])
