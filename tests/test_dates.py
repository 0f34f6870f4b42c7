"""Grav (strtotime) date reading: orders, offsets, timestamps, errors."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulletin.site.dates import DateFormatError, parse_date

ALMATY = ZoneInfo("Asia/Almaty")
UTC = dt.UTC


def offset_hours(moment: dt.datetime) -> float:
    offset = moment.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-04-2022 10:00", (2022, 4, 12, 10, 0)),  # dashes: day-month-year
        ("12.04.2022 10:00", (2022, 4, 12, 10, 0)),  # dots: day.month.year
        ("04/12/2022 10:00", (2022, 4, 12, 10, 0)),  # slashes: month/day/year
        ("2022-04-12 10:00", (2022, 4, 12, 10, 0)),
        ("2022-04-12T10:00:30", (2022, 4, 12, 10, 0)),
        ("1-2-2023", (2023, 2, 1, 0, 0)),
        ("2/1/2023", (2023, 2, 1, 0, 0)),
        ("12-04-2022 10:00 pm", (2022, 4, 12, 22, 0)),
        ("12 April 2022 10:00", (2022, 4, 12, 10, 0)),
    ],
)
def test_strtotime_field_orders(text: str, expected: tuple[int, ...]) -> None:
    moment = parse_date(text, ALMATY)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == expected
    assert moment.tzinfo is ALMATY


def test_almaty_historical_offsets() -> None:
    # Asia/Almaty moved from UTC+6 to UTC+5 on 1 March 2024.
    assert offset_hours(parse_date("12-04-2022 10:00", ALMATY)) == 6
    assert offset_hours(parse_date("29-02-2024 10:00", ALMATY)) == 6
    assert offset_hours(parse_date("02-03-2024 10:00", ALMATY)) == 5
    assert offset_hours(parse_date("2026-04-20 09:00", ALMATY)) == 5


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2022-04-12T10:00:00+03:00", 3),
        ("2022-04-12T10:00:00-0430", -4.5),
        ("2022-04-12T10:00:00Z", 0),
        ("12-04-2022 10:00 +02:00", 2),
    ],
)
def test_explicit_offset_wins_over_site_timezone(text: str, hours: float) -> None:
    moment = parse_date(text, ALMATY)
    assert (moment.hour, offset_hours(moment)) == (10, hours)


def test_iso_with_offset_is_the_same_instant() -> None:
    assert parse_date("2022-04-12T10:00:00+03:00", ALMATY) == dt.datetime(2022, 4, 12, 7, 0, tzinfo=UTC)


# A bare run of digits as text is refused by PHP ("Unexpected character"); a YAML number is an instant.
@pytest.mark.parametrize("value", [1649736900, "@1649736900"])
def test_unix_timestamp_is_utc_instant_shown_in_site_time(value: object) -> None:
    moment = parse_date(value, ALMATY)
    assert moment == dt.datetime(2022, 4, 12, 4, 15, tzinfo=UTC)
    # Shown with the site's offset, like every other post date.
    assert (moment.hour, offset_hours(moment)) == (10, 6)


def test_yaml_date_objects() -> None:
    assert parse_date(dt.date(2023, 5, 1), ALMATY) == dt.datetime(2023, 5, 1, tzinfo=ALMATY)
    naive = dt.datetime(2023, 5, 2, 8, 30)
    assert parse_date(naive, ALMATY) == naive.replace(tzinfo=ALMATY)
    aware = dt.datetime(2023, 5, 2, 8, 30, tzinfo=UTC)
    assert parse_date(aware, ALMATY) is aware


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "soon",
        "13/13/2022",
        "2022-04-12 25:00",
        "12-04-2022 13:00 pm",
        "1649736900",  # PHP: digits without '@' are no date
        True,
        None,
        [2022, 4, 12],
        {"y": 2022},
    ],
)
def test_unparseable_dates_raise(value: object) -> None:
    with pytest.raises(DateFormatError):
        parse_date(value, ALMATY)


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)))
def test_day_month_year_round_trip(moment: dt.datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    text = f"{moment.day:02d}-{moment.month:02d}-{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}"
    parsed = parse_date(text, ALMATY)
    assert parsed.replace(tzinfo=None) == moment
    assert parsed.tzinfo is ALMATY


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)))
def test_month_day_year_round_trip(moment: dt.datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    text = f"{moment.month}/{moment.day}/{moment.year:04d} {moment.hour}:{moment.minute:02d}"
    assert parse_date(text, ALMATY).replace(tzinfo=None) == moment


@given(st.integers(min_value=0, max_value=4_102_444_800))
def test_timestamp_round_trip(seconds: int) -> None:
    if seconds < 100_000_000:  # fewer than nine digits reads as something else
        seconds += 100_000_000
    assert parse_date(seconds, ALMATY).timestamp() == seconds
    assert parse_date(f"@{seconds}", ALMATY).timestamp() == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # PHP proves these two once-refused values dates: timelib rolls an invalid day over
        # (a warning, not an error) and reads eight digits as YYYYMMDD.
        ("31-02-2022", (2022, 3, 3, 0, 0)),
        ("20220412", (2022, 4, 12, 0, 0)),
        # Grav's own skeletons write the time first.
        ("14:55 08/11/2017", (2017, 8, 11, 14, 55)),
        ("20:18 23-06-2015", (2015, 6, 23, 20, 18)),
        ("24:00 12-04-2022", (2022, 4, 13, 0, 0)),
    ],
)
def test_php_readings(text: str, expected: tuple[int, ...]) -> None:
    moment = parse_date(text, ALMATY)
    assert (moment.year, moment.month, moment.day, moment.hour, moment.minute) == expected


@pytest.mark.parametrize("text", ["today", "+1 day", "next monday", "10:00", "April 12"])
def test_relative_dates_need_an_explicit_now(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_date(text, ALMATY)
    now = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 15 Nov 04:13 in Almaty
    assert parse_date(text, ALMATY, now=now).year == 2023


def test_dateformat_fields_it_lacks_are_zero_not_the_clock() -> None:
    moment = parse_date("12-04-2022", ALMATY, dateformat="d-m-Y")
    assert (moment.hour, moment.minute, moment.second) == (0, 0, 0)
    assert parse_date("10:00 12-04-2022", ALMATY, dateformat="H:i d-m-Y").hour == 10
    # Not in the format: Grav falls back to strtotime.
    assert parse_date("2022-04-12 10:00", ALMATY, dateformat="H:i d-m-Y").day == 12


def test_written_out_dates_read_as_strtotime_reads_them() -> None:
    assert parse_date("April 2022", ALMATY) == dt.datetime(2022, 4, 1, tzinfo=ALMATY)
    with pytest.raises(DateFormatError):
        parse_date("12-04-2022 10:00 MSK", ALMATY)  # an unknown zone is not silently local time


# "12 am" is the first hour of the day (a mutant reading it as noon once survived) ---------

TWELVE_O_CLOCK = [
    # (text, Grav date format or None, (hour, minute)): PHP 8's readings.
    ("12-04-2022 12:30 am", None, (0, 30)),
    ("12-04-2022 12:05am", None, (0, 5)),
    ("12-04-2022 12 am", None, (0, 0)),
    ("04/12/2022 12:00 a.m.", None, (0, 0)),
    ("12:15 am 12-04-2022", None, (0, 15)),
    ("12-04-2022 12:30 pm", None, (12, 30)),
    ("12-04-2022 12:30 am", "d-m-Y h:i a", (0, 30)),
    ("12-04-2022 12:30 AM", "d-m-Y g:i A", (0, 30)),
    ("12-04-2022 12:30 PM", "d-m-Y g:i A", (12, 30)),
]


@pytest.mark.parametrize(("text", "dateformat", "expected"), TWELVE_O_CLOCK)
def test_twelve_am_is_just_after_midnight(
    text: str, dateformat: str | None, expected: tuple[int, int]
) -> None:
    moment = parse_date(text, ALMATY, dateformat=dateformat)
    assert (moment.year, moment.month, moment.day) == (2022, 4, 12)
    assert (moment.hour, moment.minute) == expected


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed (.ci/run installs php-cli)")
def test_twelve_o_clock_as_php_reads_it() -> None:
    """The same cases through Grav's own reading, PHP's (tests/oracle/dates.php)."""
    cases = [[text, "Asia/Almaty", dateformat] for text, dateformat, _ in TWELVE_O_CLOCK]
    done = subprocess.run(
        ["php", str(Path(__file__).parent / "oracle" / "dates.php")],
        input=json.dumps({"now": 1_700_000_000, "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
    )
    php = json.loads(done.stdout)["timestamps"]
    ours = [
        int(parse_date(text, ALMATY, dateformat=dateformat).timestamp())
        for text, dateformat, _ in TWELVE_O_CLOCK
    ]
    assert ours == php
