"""The public statistics page with its charts, and the coordinators' report per
member with its CSV export.

Charts are drawn on the server by pygal and served one SVG per URL, embedded
with <img>: an image runs no script and loads nothing, and only that response
gets a Content-Security-Policy that allows the inline style pygal writes.
Every chart has its figures in a table next to it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element

import pygal
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe
from pygal.style import Style

from ttc.core import audit
from ttc.core.decorators import coordinator_required
from ttc.core.http import AuthenticatedHttpRequest
from ttc.helprequests import stats

#: The site's policy, with inline style allowed for the chart alone: pygal
#: writes its CSS in a <style> element and one style attribute. The SVG holds no
#: script (see `_without_scripts`), so nothing else is relaxed.
CHART_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}

CHART_WIDTH = 800
CHART_HEIGHT = 420

CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    guide_stroke_color="#c9d3d6",
    major_guide_stroke_color="#767676",
    opacity="1",
    opacity_hover="1",
    transition="0ms",
    font_family='system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=18,
    value_font_size=13,
    tooltip_font_size=14,
    no_data_font_size=24,
    # The TTC teal first, then the Okabe-Ito colours, told apart with colour
    # blindness too; the table beside each chart gives the exact figures.
    colors=("#00566b", "#e69f00", "#56b4e9", "#cc79a7", "#d55e00", "#595959", "#009e73"),
)


def _without_scripts(root: Element) -> Element:
    """pygal always writes its configuration as an inline <script>; an image never
    runs it, and the chart does not need it."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(chart_type: Any, *, title: str, **config: Any) -> Any:
    options = {
        "style": CHART_STYLE,
        # No external JavaScript: pygal's default fetches its tooltip script.
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": True,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "title": title,
        "no_data_text": _("No data yet"),
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "truncate_label": -1,
    }
    chart = chart_type(**{**options, **config})
    chart.add_xml_filter(_without_scripts)
    return chart


def _axis(highest: float) -> list[int]:
    """Whole-number labels for a count axis, about eight steps from 0. Set only
    on a chart with data: pygal cannot place labels on an empty one."""
    step = max(1, math.ceil(highest / 8))
    return list(range(0, max(step, math.ceil(highest)) + step, step))


def _month_labels(months: Iterable[date]) -> list[str]:
    return [date_format(month, "M Y") for month in months]


def requests_chart() -> Any:
    figure = stats.requests_by_sector()
    chart = _chart(
        pygal.StackedBar,
        title=_("Help requests per month, by sector"),
        x_label_rotation=45,
        y_title=_("Requests"),
        legend_at_bottom_columns=2,
        height=CHART_HEIGHT + 80,
    )
    chart.x_labels = _month_labels(figure.months)
    if any(figure.month_totals):
        for series in figure.sectors:
            chart.add(series.label, series.per_month)
        chart.y_labels = _axis(max(figure.month_totals))
    return chart


SPEED_LABELS = {
    "day": gettext_lazy("Within a day"),
    "three_days": gettext_lazy("1 to 3 days"),
    "week": gettext_lazy("3 to 7 days"),
    "two_weeks": gettext_lazy("1 to 2 weeks"),
    "later": gettext_lazy("More than 2 weeks"),
}


def speed_chart() -> Any:
    figure = stats.time_to_first_match()
    chart = _chart(
        pygal.Bar,
        title=_("Time from request to first match"),
        show_legend=False,
        y_title=_("Requests"),
    )
    chart.x_labels = [str(SPEED_LABELS[key]) for key, _count in figure.groups]
    if figure.matched:
        counts = [count for _key, count in figure.groups]
        chart.add(_("Requests"), counts)
        chart.y_labels = _axis(max(counts))
    return chart


def hours_chart() -> Any:
    figure = stats.hours_donated()
    chart = _chart(
        pygal.Bar,
        title=_("Hours donated per month"),
        show_legend=False,
        x_label_rotation=45,
        y_title=_("Hours"),
    )
    chart.x_labels = _month_labels(figure.months)
    if any(figure.per_month):
        hours = [float(month) for month in figure.per_month]
        chart.add(_("Hours"), hours)
        chart.y_labels = _axis(max(hours))
    return chart


def distribution_chart() -> Any:
    figure = stats.match_distribution()
    chart = _chart(
        pygal.Bar,
        title=_("Members by number of matches"),
        show_legend=False,
        x_title=_("Matches"),
        y_title=_("Members"),
    )
    chart.x_labels = [b.label for b in figure.histogram]
    if figure.members:
        members = [b.members for b in figure.histogram]
        chart.add(_("Members"), members)
        chart.y_labels = _axis(max(members))
    return chart


CHARTS: dict[str, Callable[[], Any]] = {
    "requests": requests_chart,
    "speed": speed_chart,
    "hours": hours_chart,
    "distribution": distribution_chart,
}


@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    """Public: aggregate figures only, no request and no member named."""
    figures = stats.public_statistics()
    speed_groups = [(str(SPEED_LABELS[key]), count) for key, count in figures.speed.groups]
    return render(
        request,
        "helprequests/statistics.html",
        {
            "figures": figures,
            "speed_groups": speed_groups,
            "top_percent": round(stats.TOP_FRACTION * 100),
        },
    )


@require_safe
@csp_override(CHART_CSP)
def statistics_chart(request: HttpRequest, name: str) -> HttpResponse:
    build = CHARTS.get(name)
    if build is None:
        raise Http404
    svg = build().render(is_unicode=True)
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


REPORT_COLUMNS = (
    ("name", gettext_lazy("Member")),
    ("matches_window", gettext_lazy("Matches in the last %(days)s days")),
    ("matches_total", gettext_lazy("Matches all time")),
    ("waiting", gettext_lazy("Proposals waiting")),
    ("declined", gettext_lazy("Proposals declined")),
    ("expired", gettext_lazy("Proposals expired")),
    ("hours", gettext_lazy("Hours donated")),
    ("engagements_closed", gettext_lazy("Engagements closed")),
    ("mean_rating", gettext_lazy("Mean rating")),
)


@never_cache
@coordinator_required
def statistics_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same figures per member, with names: for coordinators."""
    sort = stats.parse_sort(request.GET.get("sort"))
    rows = stats.member_report(sort=sort)
    columns = []
    for key, label in REPORT_COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append(
            {
                "key": key,
                "label": label % {"days": settings.TTC_FAIRNESS_WINDOW_DAYS}
                if key == "matches_window"
                else label,
                # A second click on the sorted column reverses it; numbers start high.
                "next": (key if descending else f"-{key}")
                if current
                else (key if key == "name" else f"-{key}"),
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return render(
        request,
        "helprequests/statistics_report.html",
        {
            "rows": rows,
            "columns": columns,
            "sort": sort,
            "window_days": settings.TTC_FAIRNESS_WINDOW_DAYS,
            "total_matches": sum(row.matches_total for row in rows),
        },
    )


#: Characters that make a spreadsheet read a cell as a formula: = + - @, and
#: after OWASP's advice also tab and carriage return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet could take for a formula is prefixed with ' ."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@never_cache
@coordinator_required
@require_safe
def statistics_report_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The report as CSV, UTF-8 with a byte-order mark so that Excel reads it right."""
    rows = stats.member_report(sort=stats.parse_sort(request.GET.get("sort")))
    filename = f"ttc-member-report-{timezone.localdate().isoformat()}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Member"),
            _("Kind"),
            _("Status"),
            _("Matches in the last %(days)s days") % {"days": settings.TTC_FAIRNESS_WINDOW_DAYS},
            _("Matches all time"),
            _("Proposals waiting"),
            _("Proposals declined"),
            _("Proposals expired"),
            _("Hours donated"),
            _("Engagements closed"),
            _("Ratings"),
            _("Mean rating"),
            _("Share of all matches (%)"),
        ]
    )
    for row in rows:
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in (
                row.name,
                row.kind_label,
                row.status_label,
                row.matches_window,
                row.matches_total,
                row.waiting,
                row.declined,
                row.expired,
                f"{row.hours:.2f}",
                row.engagements_closed,
                row.ratings,
                "" if row.mean_rating is None else f"{row.mean_rating:.2f}",
                f"{row.share_percent:.1f}",
            )
        )
    audit.record(
        actor=request.user,
        action="report.export",
        summary=f"Exported the member report as CSV ({len(rows)} members)",
        data={"report": "members", "rows": len(rows)},
    )
    return response
