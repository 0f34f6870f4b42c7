"""The messages a person reads: dates, encodings, typos, schedules, plurals, -v, pipes, cron logs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import bulletin
from bulletin.cli import main
from bulletin.config.schedule import ScheduleError, parse_schedule
from bulletin.encoding import likely_encoding
from bulletin.plurals import count_of
from bulletin.site.reading import load_site_posts

from .digest_site import NOW, DigestSite
from .smtp_server import SmtpServer

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d "
FORMATS = (
    "dates are read as Grav reads them: 26-11-2026 09:00 or 26.11.2026 (day first),"
    " 11/26/2026 (with slashes the month first), 2026-11-26 09:00, 26 November 2026"
)


# Dates -----------------------------------------------------------------------------------------


def test_a_bad_date_says_which_forms_are_read(outbox_site: DigestSite) -> None:
    path = outbox_site.post("one", "Новость", "31/31/2026")
    result = outbox_site.cli("check", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert f"Error: {path}: bad date: '31/31/2026' ({FORMATS})" in result.output.splitlines()


def test_an_ambiguous_slash_date_is_a_warning_that_says_how_it_is_read(outbox_site: DigestSite) -> None:
    outbox_site.configure(digest={"footer": "Алматы, ул. Абая 1"})  # else check warns of no address
    path = outbox_site.post("one", "Новость", "05/11/2026")
    outbox_site.post("two", "Вторая", "05/05/2026")  # both readings agree: no warning
    outbox_site.post("three", "Третья", "11/26/2026")  # 26 cannot be a month: no warning
    result = outbox_site.cli("check", "--now", "2026-12-01T10:00")
    assert result.exit_code == 0
    assert result.output == (
        f"Warning: {path}: date '05/11/2026' is read as 11 May 2026 (with slashes the month comes first,"
        " as in PHP); for 5 November 2026 write 05.11.2026 (dots: day first), or 2026-05-11 to keep"
        " 11 May 2026\n"
        "Read 3 posts: 0 errors, 1 warning.\n"
    )


# Encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "named"),
    [
        ("Новости клиники: приём врачей", "cp1251", "Windows-1251"),
        ("Новости клиники: приём врачей", "koi8_r", "KOI8-R"),
        ("Café crème", "cp1252", "Windows-1252"),
        ("plain ascii", "ascii", None),
    ],
)
def test_the_likely_encoding_is_named(text: str, encoding: str, named: str | None) -> None:
    assert likely_encoding(text.encode(encoding)) == named


def test_a_windows_1251_post_suggests_re_saving_as_utf8(outbox_site: DigestSite) -> None:
    path = outbox_site.post("one", "Новость", "2026-04-01 10:00")
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251"))
    result = outbox_site.cli("check", "--now", NOW.isoformat())
    assert result.exit_code == 1
    assert (
        f"Error: {path}:2: not UTF-8 (byte 12): it looks like Windows-1251; re-save it as UTF-8"
        in result.output.splitlines()
    )


def test_a_windows_1251_config_suggests_re_saving_as_utf8(outbox_site: DigestSite) -> None:
    text = outbox_site.config_path.read_text(encoding="utf-8")
    outbox_site.config_path.write_bytes(text.encode("cp1251"))
    result = outbox_site.cli("check")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert re.fullmatch(
        rf"Error: {re.escape(str(outbox_site.config_path))}: not UTF-8 \(byte \d+\): it looks like"
        r" Windows-1251; re-save it as UTF-8",
        first,
    ), first


def test_a_windows_1251_csv_suggests_re_saving_as_utf8(outbox_site: DigestSite, tmp_path: Path) -> None:
    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes("email,name\nann@example.org,Анна Петрова\n".encode("cp1251"))
    result = outbox_site.cli("subscribers", "import", str(csv_path))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {csv_path}: not UTF-8 (byte 27): it looks like Windows-1251; re-save it as UTF-8\n"
    )


# Config ----------------------------------------------------------------------------------------


def test_an_unknown_key_says_what_was_probably_meant(outbox_site: DigestSite) -> None:
    data = yaml.safe_load(outbox_site.config_path.read_text(encoding="utf-8"))
    data["secret_file"] = ".env"
    data["digest"]["shedule"] = "daily 09:00"
    outbox_site.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = outbox_site.cli("check")
    config = outbox_site.config_path
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {config}: unknown key 'digest.shedule' (did you mean 'digest.schedule'?)\n"
        f"Error: {config}: unknown key 'secret_file' (did you mean 'secrets_file'?)\n"
        f"No post read: 2 errors in the configuration ({config}).\n"
    )
    assert "Read 0 posts" not in result.output


@pytest.mark.parametrize("text", ["weekly monday 09:00", "weekly 09:00", "every week"])
def test_a_bad_schedule_lists_the_days(text: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text)
    assert str(info.value) == (
        f"unknown schedule {text!r}: use every-post, daily HH:MM, weekly DAY HH:MM"
        " (DAY one of MON TUE WED THU FRI SAT SUN) or monthly N HH:MM (N from 1 to 31),"
        " e.g. 'weekly MON 09:00'"
    )


def test_an_unknown_day_lists_the_days() -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule("weekly FUN 10:00")
    assert (
        str(info.value) == "unknown day 'FUN' in 'weekly FUN 10:00': use one of MON TUE WED THU FRI SAT SUN"
    )


# Plurals and wording -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "english", "russian"),
    [
        (0, "0 posts", "0 постов"),
        (1, "1 post", "1 пост"),
        (2, "2 posts", "2 поста"),
        (4, "4 posts", "4 поста"),
        (5, "5 posts", "5 постов"),
        (11, "11 posts", "11 постов"),
        (21, "21 posts", "21 пост"),
        (22, "22 posts", "22 поста"),
        (112, "112 posts", "112 постов"),
    ],
)
def test_plurals_follow_cldr(count: int, english: str, russian: str) -> None:
    assert count_of(count, "post") == english
    assert count_of(count, "post", "ru") == russian


def test_one_of_everything_is_singular_in_the_output(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("ann@example.org")
    now = ("--now", NOW.isoformat())
    build = site.cli("build", *now)
    assert build.output.startswith("Built feeds with 1 post (1 visible of 1) in ")
    dry = site.cli("send", "--dry-run", *now)
    assert dry.output.splitlines()[0] == "Digest 1 would hold 1 post:"
    assert "to 1 active subscriber:" in dry.output.splitlines()
    send = site.cli("send", *now)
    assert send.output.splitlines()[0] == "Composed digest 1 with 1 post."
    status = site.cli("status", *now)
    assert re.search(r"^Digest 1 \(.* UTC, 1 post\): sent 1", status.output, re.M), status.output


def test_a_schedule_not_yet_due_is_said_in_english(site: DigestSite) -> None:
    site.configure(digest={"schedule": "weekly MON 09:00"})
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("ann@example.org")
    site.send(NOW)  # set up: the first slot is handled
    result = site.cli("send", "--dry-run", "--now", "2026-04-12T12:00")
    assert result.output.splitlines()[0] == (
        "Schedule weekly: no digest is due yet; the next slot is 2026-04-13 09:00 +05."
    )
    due = site.cli("send", "--dry-run", "--now", "2026-04-13T09:30")
    assert due.output.splitlines()[0] == (
        "Schedule weekly: a digest is due now; the slot after it is 2026-04-20 09:00 +05."
    )
    assert "due not yet" not in result.output


# -v, closed pipes, timestamps, order --------------------------------------------------------------


def test_verbose_after_the_command_works_like_before_it(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("ann@example.org")
    before = CliRunner().invoke(
        main, ["-v", "build", "--config", str(site.config_path), "--now", NOW.isoformat()]
    )
    after = CliRunner().invoke(
        main, ["build", "--config", str(site.config_path), "--now", NOW.isoformat(), "-v"]
    )
    quiet = CliRunner().invoke(main, ["build", "--config", str(site.config_path), "--now", NOW.isoformat()])
    assert "DEBUG bulletin.feeds.build: " in before.output
    assert "DEBUG bulletin.feeds.build: " in after.output
    assert "DEBUG" not in quiet.output
    send = site.cli("send", "--verbose", "--now", NOW.isoformat())
    assert "DEBUG bulletin.mail.smtp_session: connecting to 127.0.0.1" in send.output
    listed = site.cli("subscribers", "list", "-v")
    assert listed.exit_code == 0 and "ann@example.org\tactive" in listed.output


def bulletin_process(args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``sh -c 'bulletin ARGS'`` with the bulletin under test, as a shell user would run it."""
    command = f"{sys.executable} -c 'from bulletin.cli import main; main()' {args}"
    env = {**os.environ, "PYTHONPATH": str(Path(bulletin.__file__).parent.parent)}
    return subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_a_closed_pipe_ends_quietly(outbox_site: DigestSite) -> None:
    outbox_site.subscribe(*(f"reader{n:05d}@example.org" for n in range(20000)))
    config = outbox_site.config_path
    for args in (
        f"subscribers list --config {config} | head -1",
        f"subscribers export --config {config} | head -2",
    ):
        run = bulletin_process(args, outbox_site.root)
        assert run.stderr == "", args
        assert run.stdout.splitlines()[0].startswith(("reader00000@example.org", "email,"))


def test_timestamps_lead_every_line_of_a_cron_run(site: DigestSite, smtp_server: SmtpServer) -> None:
    site.post("one", "Новость", "2026-04-01 10:00")
    site.subscribe("ann@example.org", "bob@example.org")
    result = CliRunner().invoke(
        main, ["--timestamps", "send", "--config", str(site.config_path), "--now", NOW.isoformat(), "-v"]
    )
    lines = result.output.splitlines()
    assert len(lines) >= 5 and all(re.match(STAMP, line) for line in lines), lines
    text = [re.sub(STAMP, "", line) for line in lines]
    # Composing comes first, then the progress lines, then the summary: the order things happened.
    composed = text.index("Composed digest 1 with 1 post.")
    progress = text.index("sending: 1/2")
    summary = next(i for i, line in enumerate(text) if line.startswith("Sent 2, failed 0"))
    assert composed < progress < summary
    assert any(line.startswith("DEBUG bulletin.") for line in text)  # log lines carry the time too


def test_a_slash_date_a_dateformat_reads_day_first_is_no_warning(outbox_site: DigestSite) -> None:
    outbox_site.configure(digest={"footer": "Алматы, ул. Абая 1"})
    outbox_site.post("one", "Новость", "05/11/2026", dateformat="d/m/Y")  # the page's own format
    result = outbox_site.cli("check", "--now", "2026-12-01T10:00")
    assert (result.exit_code, result.output) == (0, "Read 1 post: 0 errors, 0 warnings.\n")
    assert [post.date.date().isoformat() for post in load_site_posts(outbox_site.config)] == ["2026-11-05"]
