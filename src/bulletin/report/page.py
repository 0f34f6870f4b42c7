"""The report page: the figures, their charts and tables, in the site's language, written atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from ..config import Config
from ..files import write_file_atomically
from ..i18n import date_locale, texts_language
from ..store import SUBSCRIBER_STATUSES, open_store
from ..templating import template_environment
from . import charts
from .figures import DigestFigures, ReportFigures, gather
from .texts import report_texts

DIGESTS_SHOWN = 20


def write_report(config: Config, out: Path, now: dt.datetime, digests: int = DIGESTS_SHOWN) -> ReportFigures:
    """Read the store, draw the page, write it to ``out`` (whole, or not at all)."""
    with open_store(config, create=False) as store:
        figures = gather(store, config.site.timezone, now, digests)
    write_file_atomically(out, render_report(config, figures).encode("utf-8"))
    return figures


def render_report(config: Config, figures: ReportFigures) -> str:
    language = config.site.language
    texts = report_texts(language)
    locale = date_locale(language)
    timezone = config.site.timezone

    def percent(rate: float) -> str:
        return format_decimal(rate * 100, "0.00", locale=locale) + "\u00a0%"

    days = [point.day for point in figures.statuses] + [week.monday for week in figures.signups]
    day_label = _day_label(days, locale)
    digests = figures.digests
    return (
        template_environment(config)
        .get_template("report.html.j2")
        .render(
            lang=texts_language(language),
            site=config.site,
            texts=texts,
            made=format_date(figures.made_at.astimezone(timezone), "d MMMM y", locale=locale),
            statuses_svg=charts.status_chart(figures.statuses, texts, day_label) if figures.statuses else "",
            latest=_latest(figures, texts),
            sent_svg=charts.sent_chart(digests, texts) if digests else "",
            problems_svg=charts.problems_chart(digests, texts) if digests else "",
            complaints_svg=charts.complaints_chart(digests, texts, percent) if digests else "",
            bounces_svg=charts.bounces_chart(digests, texts, percent) if digests else "",
            digest_rows=[
                _digest_row(digest, timezone, locale, percent, texts) for digest in reversed(digests)
            ],
            signups_svg=charts.signups_chart(figures.signups, texts, day_label) if figures.signups else "",
        )
    )


def _digest_row(
    digest: DigestFigures,
    timezone: dt.tzinfo,
    locale: Locale,
    percent: Callable[[float], str],
    texts: dict[str, str],
) -> dict[str, object]:
    complaint_rate = digest.complaint_rate
    level = ""  # how the complaint rate stands against Gmail's lines
    if complaint_rate is not None and complaint_rate >= charts.GMAIL_COMPLAINT_LIMIT:
        level = "above-limit"
    elif complaint_rate is not None and complaint_rate >= charts.GMAIL_COMPLAINT_RECOMMENDED:
        level = "above-recommended"
    return {
        "number": digest.number,
        "date": format_date(digest.created_at.astimezone(timezone), "dd.MM.yy", locale=locale),
        "sent": digest.sent,
        "failed": digest.failed,
        "bounced": digest.bounced,
        "complaints": digest.complaints,
        "bounce_rate": "—" if digest.bounce_rate is None else percent(digest.bounce_rate),
        "complaint_rate": "—" if complaint_rate is None else percent(complaint_rate),
        "level": level,
        "warning": texts[level.replace("-", "_")] if level else "",
    }


def _day_label(days: Sequence[dt.date], locale: Locale) -> Callable[[dt.date], str]:
    """'12 апр.' while every day is in one year, else '12.04.25': short enough under a chart."""
    one_year = len({day.year for day in days}) <= 1
    pattern = "d MMM" if one_year else "dd.MM.yy"

    def label(day: dt.date) -> str:
        return str(format_date(day, pattern, locale=locale))

    return label


def _latest(figures: ReportFigures, texts: dict[str, str]) -> list[tuple[str, int]]:
    """Today's count of each status, in the order the chart stacks them."""
    if not figures.statuses:
        return []
    counts = figures.statuses[-1].counts
    return [(texts[status], counts[SUBSCRIBER_STATUSES.index(status)]) for status in charts.STACK_ORDER]
