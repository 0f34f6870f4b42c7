"""The report's charts as SVG, drawn by pygal and stripped of its script so they need no JavaScript.

pygal puts an inline script in every chart (its tooltips' configuration); without it the
chart is the same picture, so it is removed and the page runs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from pygal.style import Style

from ..store import SUBSCRIBER_STATUSES
from .figures import DigestFigures, StatusPoint, WeekSignups

GMAIL_COMPLAINT_LIMIT = 0.003  # Gmail's bulk-sender rules: never reach 0.3 % ...
GMAIL_COMPLAINT_RECOMMENDED = 0.001  # ... and keep under 0.1 %
STATUS_COLOURS = {"active": "#2e7d32", "pending": "#f9a825", "unsubscribed": "#78909c", "bounced": "#c62828"}
COUNT_COLOURS = ("#1565c0", "#78909c", "#ef6c00", "#c62828")  # sent, failed, bounced, complaints
COMPLAINT_COLOURS = ("#c62828", "#333333", "#ef8f00")  # complaints, the 0.3 % line, the 0.1 % line
DASHED = {"width": 3, "dasharray": "10, 6"}
# Stacked from the bottom: the subscribers mail goes to first, then those it may go to.
STACK_ORDER = ("active", "pending", "unsubscribed", "bounced")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# Drawn about as wide as the page on a desktop and scaled to it: the fonts are large so they
# stay readable when a phone scales the chart down to 60 %.
WIDTH, HEIGHT = 520, 380


def status_chart(
    points: Sequence[StatusPoint], texts: dict[str, str], day_label: Callable[[Any], str]
) -> str:
    chart = pygal.StackedLine(
        fill=True,
        show_dots=len(points) == 1,
        style=_style(tuple(STATUS_COLOURS[status] for status in STACK_ORDER)),
        **_common(),
    )
    chart.x_labels = [day_label(point.day) for point in points]
    for status in STACK_ORDER:
        index = SUBSCRIBER_STATUSES.index(status)
        chart.add(texts[status], [point.counts[index] for point in points])
    return _svg(chart)


def sent_chart(digests: Sequence[DigestFigures], texts: dict[str, str]) -> str:
    chart = pygal.Bar(style=_style(COUNT_COLOURS[:1]), **_common())
    chart.x_labels = [f"№ {digest.number}" for digest in digests]
    chart.add(texts["sent"], [digest.sent for digest in digests])
    chart.y_labels = whole_labels(max(digest.sent for digest in digests))
    return _svg(chart)


def problems_chart(digests: Sequence[DigestFigures], texts: dict[str, str]) -> str:
    """Failed, bounced and complained-about messages, on a scale of their own: beside
    3,000 messages sent, three complaints would be no bar at all."""
    chart = pygal.Bar(style=_style(COUNT_COLOURS[1:]), **_common())
    chart.x_labels = [f"№ {digest.number}" for digest in digests]
    chart.add(texts["failed"], [digest.failed for digest in digests])
    chart.add(texts["bounces"], [digest.bounced for digest in digests])
    chart.add(texts["complaints"], [digest.complaints for digest in digests])
    chart.y_labels = whole_labels(max(max(d.failed, d.bounced, d.complaints) for d in digests))
    return _svg(chart)


def complaints_chart(
    digests: Sequence[DigestFigures], texts: dict[str, str], percent: Callable[[float], str]
) -> str:
    """Each digest's complaint rate against Gmail's two lines, drawn across the whole chart."""
    rates = [(digest.number, _percent(digest.complaint_rate)) for digest in digests]
    chart = _rate_chart(
        digests, [rate for _, rate in rates] + [GMAIL_COMPLAINT_LIMIT * 100], percent, COMPLAINT_COLOURS
    )
    chart.add(texts["complaint_rate"], rates)
    left, right = digests[0].number - 0.5, digests[-1].number + 0.5
    for threshold, name in (
        (GMAIL_COMPLAINT_LIMIT, "gmail_limit"),
        (GMAIL_COMPLAINT_RECOMMENDED, "gmail_recommended"),
    ):
        line = [(left, threshold * 100), (right, threshold * 100)]
        chart.add(texts[name], line, show_dots=False, stroke_style=DASHED)
    return _svg(chart)


def bounces_chart(
    digests: Sequence[DigestFigures], texts: dict[str, str], percent: Callable[[float], str]
) -> str:
    """Each digest's bounce rate (Gmail names no line for bounces)."""
    rates = [(digest.number, _percent(digest.bounce_rate)) for digest in digests]
    chart = _rate_chart(digests, [rate for _, rate in rates], percent, ("#ef6c00",))
    chart.add(texts["bounce_rate"], rates)
    return _svg(chart)


def _rate_chart(
    digests: Sequence[DigestFigures],
    values: Sequence[float | None],
    percent: Callable[[float], str],
    colours: tuple[str, ...],
) -> pygal.XY:
    """An XY chart (x: the digest's number), so a line across it can be drawn even for one digest."""
    # A tenth above the largest, so a point (or Gmail's line) is never drawn on the frame.
    labels = percent_labels(1.1 * max((value for value in values if value is not None), default=0.0))
    chart = pygal.XY(
        style=_style(colours),
        value_formatter=lambda value: percent(value / 100),
        x_value_formatter=lambda number: f"№ {number:.0f}",
        range=(0, labels[-1]),
        xrange=(digests[0].number - 0.5, digests[-1].number + 0.5),
        **_common(),
    )
    chart.x_labels = [digest.number for digest in digests]
    chart.y_labels = labels
    return chart


def percent_labels(largest: float, most: int = 6) -> list[float]:
    """Axis labels in percent from 0 past ``largest``, on a step that gives at most ``most``."""
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50):
        count = int(largest / step + 0.999999) + 1
        if count <= most:
            return [round(step * n, 2) for n in range(max(count, 2))]
    return [0, 25, 50, 75, 100]


def signups_chart(
    weeks: Sequence[WeekSignups], texts: dict[str, str], day_label: Callable[[Any], str]
) -> str:
    chart = pygal.Bar(style=_style(("#1565c0",)), show_legend=False, **_common())
    chart.x_labels = [day_label(week.monday) for week in weeks]
    chart.add(texts["signups"], [week.count for week in weeks])
    chart.y_labels = whole_labels(max(week.count for week in weeks))
    return _svg(chart)


def whole_labels(largest: int, most: int = 6) -> list[int]:
    """Whole-number axis labels from 0 past ``largest``, at most ``most`` of them, on a
    1-2-5 step: a count of messages has no 0.8."""
    step = 1
    while (largest + step - 1) // step + 1 > most:
        step = _next_step(step)
    top = -(-max(largest, 1) // step) * step
    return list(range(0, top + 1, step))


def _next_step(step: int) -> int:
    digits = int(10 ** (len(str(step)) - 1))
    lead = step // digits
    factor: int = {1: 2, 2: 5}.get(lead, 10)
    return factor * digits


def _percent(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _common() -> dict[str, Any]:
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "js": [],  # no script from a CDN
        "disable_xml_declaration": True,  # inline in the page
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,
        "truncate_legend": -1,
        "truncate_label": -1,
        "x_labels_major_count": 5,
        "show_minor_x_labels": False,
        "min_scale": 2,
        "max_scale": 6,
        "margin": 12,
        "dots_size": 5,
        "margin_right": 36,  # room for the last x label, centred on the last point
    }


def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#111",
        foreground_subtle="#999",
        colors=colours,
        opacity=".75",
        opacity_hover=".9",
        font_family="system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
        label_font_size=18,
        major_label_font_size=18,
        legend_font_size=20,
        value_font_size=18,
        tooltip_font_size=18,
    )


def _svg(chart: pygal.graph.graph.Graph) -> str:
    rendered: str = chart.render(is_unicode=True)
    return _SCRIPT.sub("", rendered)
