"""`bulletin send` against a real SMTP server: exactly once, retries, bounces, drops, outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bulletin.mail import jobs as publish

from .digest_site import NOW, SECRET, DigestSite
from .raw_smtp import HANG_UP, RawServer, Script
from .smtp_server import SmtpServer

pytestmark = pytest.mark.both_backends

ADDRESSES = [f"reader{n:02d}@example.org" for n in range(1, 9)]


def titles_of(server: SmtpServer, address: str) -> list[str]:
    return [str(message["Subject"]) for message in server.messages_for(address)]


@pytest.fixture(params=[False, True], ids=["one-command-at-a-time", "pipelining"])
def pipelining(request: pytest.FixtureRequest, smtp_server: SmtpServer) -> bool:
    """Run a test against a server that offers PIPELINING and one that does not."""
    smtp_server.faults.pipelining = request.param
    return bool(request.param)


def digest_sizes(site: DigestSite) -> list[int]:
    """The number of posts of each stored digest, in order."""
    rows = site.rows("SELECT count(*) FROM digest_posts GROUP BY digest_id ORDER BY digest_id")
    return [count for (count,) in rows]


def with_posts(site: DigestSite, count: int = 2) -> None:
    for n in range(1, count + 1):
        site.post(f"post-{n}", f"Новость {n}", f"2026-04-0{n} 10:00")


def test_every_subscriber_gets_exactly_one_digest(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES)

    result = site.send()

    assert digest_sizes(site) == [2]
    assert (result.report.sent, result.pending) == (8, 0)
    assert result.ok
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES}
    assert all(item.rcpt_tos == (item.rcpt_tos[0],) for item in smtp_server.received)
    assert {item.mail_from for item in smtp_server.received} == {"news@clinic.example"}
    assert set(site.delivery_statuses().values()) == {"sent"}


def test_second_send_sends_nothing(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES)
    site.send()
    smtp_server.clear()

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    assert cli.output == "No new posts and nothing pending: nothing sent.\n"
    assert smtp_server.received == []
    assert site.rows("SELECT count(*) FROM digests") == [(1,)]


def test_newly_visible_post_goes_out_alone_in_the_next_digest(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    with_posts(site)
    site.post("scheduled", "Запланированная новость", "2026-04-20 09:00")
    site.subscribe("ann@example.org")
    site.send(NOW)
    assert digest_sizes(site) == [2]
    smtp_server.clear()

    cli = site.cli("send", "--now", "2026-04-21T08:00:00")

    assert cli.exit_code == 0, cli.output
    assert "Composed digest 2 with 1 post." in cli.output
    [message] = smtp_server.messages_for("ann@example.org")
    assert message["Subject"] == "Клиника — новости: Запланированная новость"
    text = message.get_body(("plain",)).get_content()
    assert "Запланированная новость" in text
    assert "Новость 1" not in text and "Новость 2" not in text
    assert site.rows("SELECT route, digest_id FROM digest_posts ORDER BY digest_id, route") == [
        ("/blog/post-1", 1),
        ("/blog/post-2", 1),
        ("/blog/scheduled", 2),
    ]


def test_post_added_later_with_a_past_date_is_sent_once(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("recent", "Свежая", "2026-04-10 10:00")
    site.subscribe("ann@example.org")
    site.send()
    # Written after the first digest, dated before it: still new to subscribers.
    site.post("backdated", "Задним числом", "2026-04-05 10:00")
    site.send()
    site.send()

    assert titles_of(smtp_server, "ann@example.org") == [
        "Клиника — новости: Свежая",
        "Клиника — новости: Задним числом",
    ]


def test_posts_older_than_digest_start_stay_out(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(digest={"start": "2026-04-02"})
    site.post("archive", "Архивная", "2025-12-31 10:00")
    site.post("day-before", "Накануне", "2026-04-01 23:59")
    site.post("fresh", "Свежая", "2026-04-03 10:00")
    site.subscribe("ann@example.org")

    site.send()

    assert digest_sizes(site) == [1]
    assert titles_of(smtp_server, "ann@example.org") == ["Клиника — новости: Свежая"]


def test_digest_start_defaults_to_the_store_creation(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.sections["digest"].pop("start")
    site.configure()
    site.post("old", "Старая", "2026-01-01 10:00")
    site.subscribe("ann@example.org")  # creates the store now, long after the post

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    assert cli.output == "No new posts and nothing pending: nothing sent.\n"
    assert smtp_server.received == []


def test_invisible_posts_are_not_sent(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("visible", "Видимая", "2026-04-01 10:00")
    site.post("draft", "Черновик", "2026-04-01 11:00", published=False)
    site.post("hidden", "Скрытая", "2026-04-01 12:00", hide_from_post_list=True)
    site.post("future", "Будущая", "2026-05-01 12:00")
    site.post("expired", "Снятая", "2026-04-01 13:00", unpublish_date="2026-04-05 00:00")
    site.subscribe("ann@example.org")

    site.send()
    assert digest_sizes(site) == [1]
    assert titles_of(smtp_server, "ann@example.org") == ["Клиника — новости: Видимая"]


def test_temporary_failures_are_retried_within_the_run(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES[:3])
    smtp_server.faults.rcpt_tempfail = 1
    smtp_server.faults.data_tempfail = 1

    result = site.send()

    assert result.ok and result.report.sent == 3
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:3]}
    assert set(site.delivery_statuses().values()) == {"sent"}


def test_temporary_failures_left_pending_exit_non_zero_and_next_run_finishes(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.configure(smtp={"connections": 1})
    site.subscribe("ann@example.org", "bob@example.org")
    # Three refusals use up ann's tries for this run; bob is not held up by them.
    smtp_server.faults.rcpt_tempfail = 3

    first = site.cli("send", "--now", NOW.isoformat())

    assert first.exit_code == 1
    assert "Sent 1, failed 0, bounced 0, pending 1;" in first.output
    assert site.delivery_statuses() == {"ann@example.org": "pending", "bob@example.org": "sent"}
    assert site.rows("SELECT attempts, last_error FROM deliveries WHERE status = 'pending'") == [
        (3, "451 4.3.0 try later")
    ]

    second = site.cli("send", "--now", NOW.isoformat())

    assert second.exit_code == 0, second.output
    assert "Sent 1, failed 0, bounced 0, pending 0;" in second.output
    assert smtp_server.per_recipient() == {"ann@example.org": 1, "bob@example.org": 1}


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-command-at-a-time", "pipelining"])
def test_max_attempts_turns_repeated_connection_failures_into_a_failure(
    site: DigestSite, raw_server: Callable[[Script], RawServer], pipelining: bool
) -> None:
    # Connection failures count toward smtp.max_attempts; 4xx replies have their own
    # window, smtp.give_up_after (tests/test_retry_window.py).
    raw = raw_server(Script(rcpt=HANG_UP, pipelining=pipelining))
    with_posts(site)
    site.configure(smtp={"max_attempts": 2, "connections": 1, "port": raw.port})
    site.subscribe("ann@example.org")

    result = site.send()

    assert (result.report.failed, result.pending, result.ok) == (1, 0, False)
    [(status, attempts, error)] = site.rows("SELECT status, attempts, last_error FROM deliveries")
    assert (status, attempts) == ("failed", 2)
    assert error.startswith("gave up after 2 attempts")
    assert site.subscriber_status("ann@example.org") == "active"


def test_attempts_of_earlier_runs_count_toward_max_attempts(
    site: DigestSite, raw_server: Callable[[Script], RawServer]
) -> None:
    raw = raw_server(Script(rcpt=HANG_UP))
    with_posts(site)
    site.configure(smtp={"max_attempts": 4, "connections": 1, "port": raw.port})
    site.subscribe("ann@example.org")

    first = site.send()  # three tries in a run, then it waits for the next run
    assert (first.report.failed, first.pending) == (0, 1)
    second = site.send()  # one more makes four: a run forgetting the first three would try three

    assert (second.report.failed, second.pending) == (1, 0)
    assert raw.mail_commands == 4
    assert site.rows("SELECT status, attempts FROM deliveries") == [("failed", 4)]


def test_no_such_user_bounces_one_subscriber_and_the_rest_are_delivered(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES)
    smtp_server.faults.no_such_user = {"reader03@example.org"}

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 1
    assert "Sent 7, failed 0, bounced 1, pending 0;" in cli.output
    assert smtp_server.per_recipient() == {a: 1 for a in ADDRESSES if a != "reader03@example.org"}
    assert site.subscriber_status("reader03@example.org") == "bounced"
    assert site.delivery_statuses()["reader03@example.org"] == "failed"
    status = site.cli("status")
    assert "  failed reader03@example.org: 550 5.1.1 no such user" in status.output

    # A bounced address is no longer a recipient of later digests.
    site.post("later", "Позже", "2026-04-11 10:00")
    smtp_server.clear()
    site.send()
    assert "reader03@example.org" not in smtp_server.per_recipient()
    assert len(smtp_server.received) == 7


def test_bounced_subscriber_gets_nothing_from_other_pending_digests(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    site.configure(smtp={"connections": 1})
    site.post("first", "Первая", "2026-04-01 10:00")
    site.subscribe("ann@example.org")
    smtp_server.faults.rcpt_tempfail = 3
    site.send()  # digest 1 stays pending for ann
    site.post("second", "Вторая", "2026-04-02 10:00")
    smtp_server.faults.no_such_user = {"ann@example.org"}

    site.send(NOW + dt.timedelta(hours=1))

    # Digest 1 bounced; digest 2 must not be tried for an address known not to exist.
    assert smtp_server.handler.rcpt_commands == 4
    assert site.rows("SELECT digest_id, status FROM deliveries ORDER BY digest_id") == [
        (1, "failed"),
        (2, "cancelled"),
    ]


def test_other_permanent_failure_fails_the_delivery_but_keeps_the_subscriber(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe("ann@example.org", "bob@example.org")
    smtp_server.faults.data_reply = {"ann@example.org": "554 5.7.1 message refused"}

    result = site.send()

    assert (result.report.sent, result.report.failed, result.report.bounced) == (1, 1, 0)
    assert site.delivery_statuses() == {"ann@example.org": "failed", "bob@example.org": "sent"}
    assert site.subscriber_status("ann@example.org") == "active"


def test_connection_dropped_midway_loses_nothing(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES)
    smtp_server.faults.drop_at_data = {3, 6}

    result = site.send()
    if not result.ok:  # whatever was left is finished by the next run
        site.send()

    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES}
    assert set(site.delivery_statuses().values()) == {"sent"}
    assert smtp_server.handler.connections > site.config.smtp.connections  # it reconnected


def test_connection_dropped_after_acceptance_duplicates_at_most_that_message(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES)
    smtp_server.faults.drop_after_accept = {4}

    site.send()
    site.send()

    counts = smtp_server.per_recipient()
    assert set(counts) == set(ADDRESSES)
    assert sum(counts.values()) <= len(ADDRESSES) + 1
    assert set(site.delivery_statuses().values()) == {"sent"}


def test_unreachable_server_leaves_everything_pending(site: DigestSite, smtp_server: SmtpServer) -> None:
    from .smtp_server import free_port

    with_posts(site)
    site.subscribe(*ADDRESSES[:3])
    site.configure(smtp={"port": free_port()})

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 1
    assert "Sent 0, failed 0, bounced 0, pending 3;" in cli.output
    assert "Error: delivery stopped: cannot connect to 127.0.0.1:" in cli.output
    assert set(site.delivery_statuses().values()) == {"pending"}

    site.configure(smtp={"port": smtp_server.port})
    again = site.cli("send", "--now", NOW.isoformat())
    assert again.exit_code == 0, again.output
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:3]}


def test_unsubscribed_subscriber_gets_nothing_from_a_pending_digest(
    site: DigestSite, smtp_server: SmtpServer
) -> None:
    from bulletin.tokens import UNSUBSCRIBE

    with_posts(site)
    site.configure(smtp={"connections": 1})
    site.subscribe("ann@example.org")
    smtp_server.faults.rcpt_tempfail = 3
    site.send()
    assert site.delivery_statuses() == {"ann@example.org": "pending"}
    token = site.token(UNSUBSCRIBE, "ann@example.org")

    assert site.cli("unsubscribe", token).output == "Unsubscribed ann@example.org.\n"
    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    assert smtp_server.received == []
    assert site.delivery_statuses() == {"ann@example.org": "cancelled"}


def test_only_active_subscribers_get_the_digest(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe("ann@example.org", "bob@example.org", "cat@example.org")
    with site_store(site) as store:
        store.set_subscriber_status(store.subscriber(email="bob@example.org").id, "unsubscribed")  # type: ignore[union-attr]
        store.set_subscriber_status(store.subscriber(email="cat@example.org").id, "bounced")  # type: ignore[union-attr]

    site.send()

    assert smtp_server.per_recipient() == {"ann@example.org": 1}


def site_store(site: DigestSite):  # type: ignore[no-untyped-def]
    return site.open_store()


def test_no_new_post_sends_nothing_and_exits_zero(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("future", "Будущая", "2027-01-01 10:00")
    site.subscribe("ann@example.org")

    cli = site.cli("send", "--now", NOW.isoformat())

    assert (cli.exit_code, cli.output) == (0, "No new posts and nothing pending: nothing sent.\n")
    assert smtp_server.received == []


def test_send_output_summary(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES[:2])

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    lines = cli.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0] == "Composed digest 1 with 2 posts."
    assert lines[1].startswith("Sent 2, failed 0, bounced 0, pending 0; ")
    assert lines[1].endswith(" messages/s.")
    # Not a terminal: plain progress lines on stderr, no bar.
    assert cli.stderr == "sending: 1/2\nsending: 2/2\n"


def test_dry_run_changes_nothing(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES[:3])
    state = site.store_path.parent
    before = site.store_path.read_bytes() if not site.store_url else b""
    files_before = sorted(p.name for p in state.iterdir()) if state.exists() else []

    cli = site.cli("send", "--dry-run", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    assert cli.output == (
        "Digest 1 would hold 2 posts:\n"
        "  2026-04-01 10:00 Новость 1 <https://clinic.example/blog/post-1>\n"
        "  2026-04-02 10:00 Новость 2 <https://clinic.example/blog/post-2>\n"
        "to 3 active subscribers:\n"
        f"  {ADDRESSES[0]}\n  {ADDRESSES[1]}\n  {ADDRESSES[2]}\n"
    )
    assert (site.store_path.read_bytes() if not site.store_url else b"") == before
    assert (sorted(p.name for p in state.iterdir()) if state.exists() else []) == files_before
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]
    assert site.rows("SELECT count(*) FROM deliveries") == [(0,)]
    assert smtp_server.received == []


def test_dry_run_without_a_store_creates_none(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site, 1)

    cli = site.cli("send", "--dry-run", "--now", NOW.isoformat())

    assert cli.exit_code == 0
    assert "Digest 1 would hold 1 post:" in cli.output
    assert "to 0 active subscribers." in cli.output
    assert not site.store_path.parent.exists()


def test_missing_secret_is_one_clean_error_line(
    site: DigestSite, smtp_server: SmtpServer, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with_posts(site)
    site.subscribe("ann@example.org")
    monkeypatch.delenv("BULLETIN_SECRET")

    cli = site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 1
    [line] = cli.output.splitlines()
    assert line.startswith("Error: environment variable BULLETIN_SECRET is not set")
    assert smtp_server.received == []
    assert site.rows("SELECT count(*) FROM digests") == [(0,)]


def test_short_secret_is_refused(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe("ann@example.org")

    cli = site.cli("send", "--now", NOW.isoformat(), env={"BULLETIN_SECRET": "too-short"})

    assert cli.exit_code == 1
    assert cli.output == (
        "Error: environment variable BULLETIN_SECRET is too short: the secret must be at least"
        " 16 characters long; make a new one with `bulletin secret`\n"
    )
    assert smtp_server.received == []


def test_custom_secret_env(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.configure(digest={"secret_env": "CLINIC_SECRET"})
    with_posts(site)
    site.subscribe("ann@example.org")

    missing = site.cli("send", "--now", NOW.isoformat())
    assert "Error: environment variable CLINIC_SECRET is not set" in missing.output

    ok = site.cli("send", "--now", NOW.isoformat(), env={"CLINIC_SECRET": SECRET + "-clinic"})
    assert ok.exit_code == 0, ok.output
    assert smtp_server.per_recipient() == {"ann@example.org": 1}


def test_outbox_mode_writes_one_eml_per_subscriber(outbox_site: DigestSite) -> None:
    import email
    import email.policy

    with_posts(outbox_site)
    outbox_site.subscribe(*ADDRESSES[:4])

    cli = outbox_site.cli("send", "--now", NOW.isoformat())

    assert cli.exit_code == 0, cli.output
    files = sorted((outbox_site.root / "outbox").rglob("*.eml"))
    assert len(files) == 4
    recipients = []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        recipients.append(message["To"].addresses[0].addr_spec)
        assert message["Subject"] == "Клиника — новости: Новость 2 (+1)"
    assert sorted(recipients) == ADDRESSES[:4]
    assert outbox_site.cli("send", "--now", NOW.isoformat()).output == (
        "No new posts and nothing pending: nothing sent.\n"
    )
    assert len(list((outbox_site.root / "outbox").rglob("*.eml"))) == 4


def test_progress_callback_counts_up_to_the_total(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES[:5])
    seen: list[tuple[int, int]] = []

    publish.send(site.config, NOW, on_progress=lambda done, total: seen.append((done, total)))

    assert seen == [(n, 5) for n in range(1, 6)]


def test_rate_limit_spaces_the_messages(site: DigestSite, smtp_server: SmtpServer) -> None:
    with_posts(site)
    site.configure(smtp={"rate_per_second": 20, "connections": 2})
    site.subscribe(*ADDRESSES[:6])

    result = site.send()

    assert result.report.sent == 6
    assert result.elapsed >= 5 / 20 * 0.9


def test_status_shows_digests_and_counts(site: DigestSite, smtp_server: SmtpServer) -> None:
    # A server database is there before anything is stored in it; a SQLite file is not.
    nothing_yet = (
        "No digest sent yet.\n" if site.store_url else "No digest sent yet (the store does not exist).\n"
    )
    assert site.cli("status").output.endswith(nothing_yet)
    with_posts(site)
    site.subscribe(*ADDRESSES[:3])
    smtp_server.faults.no_such_user = {"reader02@example.org"}
    site.send()

    cli = site.cli("status")

    assert cli.exit_code == 0
    lines = cli.output.splitlines()
    at = lines.index("Subscribers: 2 active")
    assert lines[at + 1] == (
        "Digest 1 (2026-04-12 05:00 UTC, 2 posts): sent 2, pending 0, failed 1, cancelled 0"
    )
    assert lines[at + 2] == "  failed reader02@example.org: 550 5.1.1 no such user"


def test_preview_writes_html_text_and_eml(site: DigestSite, tmp_path: Path) -> None:
    import email
    import email.policy

    with_posts(site)
    out = tmp_path / "preview"

    cli = site.cli("preview", "--now", NOW.isoformat(), "--out", str(out))

    assert cli.exit_code == 0, cli.output
    assert cli.output.splitlines() == [
        str(out / name) for name in ("digest.html", "digest.txt", "digest.eml")
    ]
    assert "Новость 1" in (out / "digest.txt").read_text(encoding="utf-8")
    html = (out / "digest.html").read_text(encoding="utf-8")
    # What a subscriber who gave no name sees: no greeting with an invented name.
    assert "Здравствуйте" not in html and "Preview" not in html and "preview@example.com" in html
    message = email.message_from_bytes((out / "digest.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Клиника — новости: Новость 2 (+1)"
    assert not site.store_path.exists()  # a preview records nothing


def test_preview_without_new_posts_stands_in_the_newest(site: DigestSite, tmp_path: Path) -> None:
    with_posts(site)
    site.subscribe("ann@example.org")
    site.send()

    cli = site.cli("preview", "--now", NOW.isoformat(), "--out", str(tmp_path / "p"))

    assert cli.exit_code == 0
    assert cli.output.splitlines()[0] == "No new posts; previewing the newest visible posts instead."
    assert site.rows("SELECT count(*) FROM digests") == [(1,)]


def test_421_on_data_reconnects_and_retries(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.subscribe(*ADDRESSES[:4])
    smtp_server.faults.data_replies = ["421 4.3.2 shutting down", "421 4.3.2 shutting down"]

    result = site.send()

    assert result.ok, result
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:4]}


def test_server_hanging_up_after_a_reply_is_reconnected(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.configure(smtp={"connections": 1})
    site.subscribe(*ADDRESSES[:5])
    smtp_server.faults.close_after = {1, 3}

    result = site.send()

    assert result.ok, result
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:5]}


def test_a_silent_server_times_out_and_the_message_is_retried(
    site: DigestSite, smtp_server: SmtpServer, pipelining: bool
) -> None:
    with_posts(site)
    site.configure(smtp={"connections": 1, "timeout": 0.5})
    site.subscribe(*ADDRESSES[:3])
    smtp_server.faults.stall_at_data = {2: 1.5}

    result = site.send()

    assert result.ok, result
    assert result.elapsed < 10
    assert smtp_server.per_recipient() == {address: 1 for address in ADDRESSES[:3]}
    assert set(site.delivery_statuses().values()) == {"sent"}


def test_a_policy_refusal_is_a_failure_not_a_bounce(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("a@example.org", "b@example.org", "c@example.org")
    smtp_server.faults.rcpt_replies = [
        "550 5.7.1 Relaying denied",  # policy: the address is fine
        "550 5.1.1 No such user",  # the address is gone
        "550 Mailbox unavailable",  # bare 550: read as no such user
    ]
    result = site.send()
    assert (result.report.failed, result.report.bounced) == (1, 2)
    assert site.subscriber_status("a@example.org") == "active"
    assert site.subscriber_status("b@example.org") == "bounced"
    assert site.subscriber_status("c@example.org") == "bounced"
