"""Figures on incidents: the umbrella organisations' dashboard, the research
view, and the TLP:CLEAR summary fit for publication.

Selectors only: nothing here writes. Every figure is counted in the database
(``Count``, ``Max``, ``ExtractIsoYear``/``ExtractWeek``) in a fixed number of
queries, whatever the number of incidents or indicators, and works the same on
SQLite and PostgreSQL.

What is counted. The dashboard and the research view count only what the
viewer may see (`ttc.core.access.visible_to`), for incidents and for
indicators alike. Each figure states its label: the most restrictive label of
the incidents (and indicators) it counts (DESIGN.md §5: an aggregate takes the
most restrictive label of its parts). Weeks are ISO weeks of the day the
incident was reported to the platform: that time is the platform's own, where
the detection time is typed in by the reporter and may come in late.

The published summary (`publication`) follows stricter rules, set out in
docs/incidents.md ("Research and the umbrella dashboard"):

* it counts the incidents the person exporting may see, except TLP:RED ones:
  a TLP:RED incident is only its named people's to tell, even that it exists;
* it shows counts only: per week, by type, severity and kind of organisation.
  No organisation, title, reference or indicator;
* only complete ISO weeks, so that a figure does not move the day after a
  report and tell a watcher that a (confidential) incident was just reported;
* small cells are suppressed: with a handful of hospitals in a region, "one
  hospital had ransomware this week" names the victim. A count of 1 to 4 is
  shown as "< 5", and further cells are withheld where subtraction from the
  week's total would give a small count back (`suppress_row`).

Under those rules the counts are re-labelled TLP:CLEAR: they no longer carry
what any single source shared.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, IntegerField, Max, Min, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractIsoYear, ExtractWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ttc.core import access
from ttc.core.tlp import TLP, most_restrictive
from ttc.incidents.models import (
    OPEN_STATUSES,
    Category,
    Incident,
    IncidentQuerySet,
    Indicator,
    IndicatorKind,
    Severity,
    Status,
)
from ttc.members.models import MEMBER_KINDS, Organisation, OrganisationKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

#: The research view's default period, and the longest it shows.
DEFAULT_WEEKS = 12
MAX_WEEKS = 104
#: The dashboard lists at most this many open incidents; the list page has the rest.
OPEN_LISTED = 50
#: The research view lists at most this many recurring indicators.
RECURRING_LISTED = 50
#: An indicator recurs when it was seen at this many organisations or more.
RECURRING_ORGANISATIONS = 2
#: Published counts below this (and above zero) are suppressed.
SMALL_CELL = 5
#: What a suppressed small count and a cell withheld to protect one look like.
SMALL_MARK = "< 5"
WITHHELD_MARK = "x"

#: From the widest audience to the narrowest, as ranks the database can take
#: the maximum of.
_LABEL_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
#: Every public party kind, in the order of `OrganisationKind`: the care
#: organisations report incidents, but the columns stay the same whoever does.
ORGANISATION_KINDS = tuple(kind for kind in OrganisationKind if kind not in MEMBER_KINDS)


def may_research(user: User | AnonymousUser) -> bool:
    """Coordinators and vetted researchers (the `incidents.view_research`
    permission) see the research view and export the summary."""
    return user.is_authenticated and (
        user.is_coordinator or user.has_perm("incidents.view_research")
    )


def _label_rank(field_name: str = "tlp") -> Case:
    """The label as a number: the maximum over a group is its most restrictive label."""
    return Case(
        *(When(**{field_name: label}, then=Value(rank)) for rank, label in enumerate(_LABEL_ORDER)),
        default=Value(len(_LABEL_ORDER) - 1),  # an unknown label counts as the narrowest
        output_field=IntegerField(),
    )


def _label(rank: int | None) -> TLP:
    return TLP.CLEAR if rank is None else _LABEL_ORDER[min(rank, len(_LABEL_ORDER) - 1)]


def _percent(count: int, highest: int) -> int:
    """A bar's length, 0 to 100; a count above zero always shows."""
    if not highest or not count:
        return 0
    return max(1, round(100 * count / highest))


def _aware_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


# ISO weeks ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def __str__(self) -> str:
        """ISO 8601 week notation, also what HTML's <time datetime> takes."""
        return f"{self.year:04d}-W{self.week:02d}"


@dataclass(frozen=True)
class Period:
    """Whole ISO weeks, oldest first, and the instants they span."""

    weeks: list[IsoWeek]
    start: datetime
    end: datetime

    @property
    def first(self) -> IsoWeek:
        return self.weeks[0]

    @property
    def last(self) -> IsoWeek:
        return self.weeks[-1]


def period(weeks: int, *, today: date | None = None, complete_only: bool = False) -> Period:
    """The last `weeks` ISO weeks: up to and including the current one, or with
    `complete_only` the weeks before it."""
    weeks = max(1, min(weeks, MAX_WEEKS))
    today = today or timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    last_monday = this_monday - timedelta(weeks=1) if complete_only else this_monday
    mondays = [last_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    return Period(
        weeks=[IsoWeek.of(monday) for monday in mondays],
        start=_aware_midnight(mondays[0]),
        end=_aware_midnight(last_monday + timedelta(weeks=1)),
    )


# Tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    key: str
    name: str
    count: int
    label: TLP
    #: Length of the row's bar, 0 to 100.
    percent: int = 0
    #: How many different organisations the count spans, where that is told.
    organisations: int | None = None


@dataclass(frozen=True)
class CountTable:
    """Counts along one dimension (type, severity, status, kind), with their label."""

    rows: list[CountRow]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def label(self) -> TLP:
        return most_restrictive(*(row.label for row in self.rows if row.count))


def _count_table(
    choices: Iterable[tuple[Any, Any]],
    counts: dict[Any, int],
    ranks: dict[Any, int],
    organisations: dict[Any, int] | None = None,
    *,
    skip_empty: bool = False,
) -> CountTable:
    items = [(key, str(name)) for key, name in choices]
    highest = max(counts.values(), default=0)
    return CountTable(
        rows=[
            CountRow(
                key=str(key),
                name=name,
                count=counts.get(key, 0),
                label=_label(ranks.get(key)),
                percent=_percent(counts.get(key, 0), highest),
                organisations=None if organisations is None else organisations.get(key, 0),
            )
            for key, name in items
            if not (skip_empty and not counts.get(key, 0))
        ]
    )


@dataclass(frozen=True)
class WeekTable:
    """Counts per ISO week along one dimension."""

    weeks: list[IsoWeek]
    #: (key, name) of each column.
    columns: list[tuple[str, Any]]
    #: counts[week][column key]
    counts: dict[IsoWeek, dict[str, int]]
    label: TLP

    def cells(self, week: IsoWeek) -> list[int]:
        row = self.counts.get(week, {})
        return [row.get(key, 0) for key, _name in self.columns]

    def week_total(self, week: IsoWeek) -> int:
        return sum(self.cells(week))

    @property
    def total(self) -> int:
        return sum(self.week_total(week) for week in self.weeks)

    @property
    def rows(self) -> list[tuple[IsoWeek, list[int], int, int]]:
        """Per week: the week, a count per column, the total, and its bar's length."""
        highest = max((self.week_total(week) for week in self.weeks), default=0)
        return [
            (week, self.cells(week), total, _percent(total, highest))
            for week in self.weeks
            for total in [self.week_total(week)]
        ]

    @property
    def column_totals(self) -> list[int]:
        return [
            sum(self.counts.get(week, {}).get(key, 0) for week in self.weeks)
            for key, _name in self.columns
        ]


def _choices(values: Iterable[Any]) -> list[tuple[str, Any]]:
    """(key, name) pairs; the names stay lazy, translated when shown."""
    return [(str(value.value), value.label) for value in values]


TYPE_COLUMNS = _choices(Category)
#: Critical first: what matters most reads first.
SEVERITY_COLUMNS = _choices(sorted(Severity, reverse=True))
STATUS_COLUMNS = _choices(Status)
#: The kinds that may have incidents, and one column for any other kind, so
#: that every table of a week adds up to the same total (a column left out
#: would let its count be worked out by subtraction).
OTHER_KIND = "other"
KIND_COLUMNS = [*_choices(ORGANISATION_KINDS), (OTHER_KIND, _lazy("Other"))]


def _week_table(
    incidents: QuerySet[Incident],
    span: Period,
    dimension: str,
    columns: list[tuple[str, Any]],
    *,
    other: str | None = None,
) -> WeekTable:
    """Incidents reported in `span`, per ISO week and value of `dimension`; a
    value without a column counts under `other`. One query."""
    rows = (
        incidents.filter(created_at__gte=span.start, created_at__lt=span.end)
        .annotate(iso_year=ExtractIsoYear("created_at"), iso_week=ExtractWeek("created_at"))
        .order_by()
        .values_list("iso_year", "iso_week", dimension)
        .annotate(count=Count("pk"), rank=Max(_label_rank()))
    )
    wanted = set(span.weeks)
    keys = {key for key, _name in columns}
    counts: dict[IsoWeek, dict[str, int]] = defaultdict(dict)
    labels = []
    for year, week_number, value, count, rank in rows:
        week = IsoWeek(int(year), int(week_number))
        if week not in wanted:
            continue
        key = str(value)
        if key not in keys and other is not None:
            key = other
        counts[week][key] = counts[week].get(key, 0) + count
        labels.append(_label(rank))
    return WeekTable(
        weeks=span.weeks, columns=columns, counts=dict(counts), label=most_restrictive(*labels)
    )


# The umbrella dashboard ----------------------------------------------------------------


def umbrellas_for(user: User) -> QuerySet[Organisation]:
    """The umbrella organisations whose dashboard this person may open: the
    approved umbrellas they belong to; for coordinators, every umbrella."""
    umbrellas = Organisation.objects.filter(kind=OrganisationKind.UMBRELLA).order_by("name", "pk")
    if user.is_coordinator:
        return umbrellas
    return umbrellas.filter(pk__in=user.approved_organisation_ids)


def member_incidents(umbrella: Organisation, user: User) -> IncidentQuerySet:
    """The incidents of the umbrella's care members that this person may see."""
    return access.visible_to(
        Incident.objects.filter(organisation__in=umbrella.care_members.all()), user
    )


@dataclass(frozen=True)
class UmbrellaFigures:
    umbrella: Organisation
    by_type: CountTable
    by_severity: CountTable
    by_status: CountTable
    by_label: CountTable
    open_count: int
    #: The open incidents, most severe first, at most `OPEN_LISTED`.
    open_incidents: list[Incident] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.by_type.total

    @property
    def label(self) -> TLP:
        return self.by_type.label

    @property
    def open_label(self) -> TLP:
        return most_restrictive(*(incident.tlp for incident in self.open_incidents))


def umbrella_figures(umbrella: Organisation, user: User) -> UmbrellaFigures:
    """The members' incidents the person may see, counted by type, severity,
    status and label, and the open ones listed: two queries (and the access
    policy's own look-ups)."""
    incidents = member_incidents(umbrella, user)
    rows = (
        incidents.order_by()
        .values_list("category", "severity", "status", "tlp")
        .annotate(count=Count("pk"))
    )
    dimensions = ("type", "severity", "status")
    counts: dict[str, dict[str, int]] = {name: defaultdict(int) for name in (*dimensions, "label")}
    ranks: dict[str, dict[str, int]] = {name: {} for name in dimensions}
    for category, severity, status, tlp, count in rows:
        rank = _LABEL_ORDER.index(TLP(tlp))
        for name, key in zip(dimensions, (category, str(severity), status), strict=True):
            counts[name][key] += count
            ranks[name][key] = max(ranks[name].get(key, 0), rank)
        counts["label"][tlp] += count
    open_incidents = list(
        incidents.open()
        .select_related("organisation")
        .order_by("-severity", "-created_at", "-pk")[:OPEN_LISTED]
    )
    open_statuses = {str(status) for status in OPEN_STATUSES}
    return UmbrellaFigures(
        umbrella=umbrella,
        by_type=_count_table(TYPE_COLUMNS, counts["type"], ranks["type"]),
        by_severity=_count_table(SEVERITY_COLUMNS, counts["severity"], ranks["severity"]),
        by_status=_count_table(STATUS_COLUMNS, counts["status"], ranks["status"]),
        by_label=_count_table(
            [(label.value, label.label) for label in _LABEL_ORDER],
            counts["label"],
            {label.value: rank for rank, label in enumerate(_LABEL_ORDER)},
        ),
        open_count=sum(
            count for status, count in counts["status"].items() if status in open_statuses
        ),
        open_incidents=open_incidents,
    )


# The research view -------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurringIndicator:
    kind: str
    value: str
    organisations: int
    incidents: int
    sightings: int
    first_seen: datetime
    last_seen: datetime
    #: The most restrictive of the indicator rows and incidents counted.
    label: TLP

    @property
    def kind_name(self) -> str:
        return str(IndicatorKind(self.kind).label)


@dataclass(frozen=True)
class ResearchFigures:
    span: Period
    by_type: WeekTable
    by_severity: WeekTable
    by_kind: CountTable
    recurring: list[RecurringIndicator]

    @property
    def total(self) -> int:
        return self.by_type.total

    @property
    def recurring_label(self) -> TLP:
        return most_restrictive(*(row.label for row in self.recurring))

    @property
    def label(self) -> TLP:
        """The label of the whole page: the most restrictive of its figures."""
        return most_restrictive(
            self.by_type.label, self.by_severity.label, self.by_kind.label, self.recurring_label
        )


def visible_incidents(user: User) -> QuerySet[Incident]:
    return access.visible_to(Incident.objects.all(), user)


def recurring_indicators(
    incidents: QuerySet[Incident], user: User, *, limit: int = RECURRING_LISTED
) -> list[RecurringIndicator]:
    """Indicators seen at two or more organisations, counting only indicator
    rows the viewer may see on incidents in `incidents` (which the viewer may
    see): a value shown is one the viewer may read. One query."""
    rows = (
        access.visible_to(Indicator.objects.all(), user)
        .filter(incident__in=incidents.values("pk"))
        .order_by()
        .values_list("key", "kind", "value")
        .annotate(
            organisations=Count("incident__organisation", distinct=True),
            incident_count=Count("incident", distinct=True),
            sighting_count=Sum("sightings"),
            first=Min("first_seen"),
            last=Max("last_seen"),
            rank=Max(_label_rank()),
            incident_rank=Max(_label_rank("incident__tlp")),
        )
        .filter(organisations__gte=RECURRING_ORGANISATIONS)
        .order_by("-organisations", "-incident_count", "kind", "value")[:limit]
    )
    return [
        RecurringIndicator(
            kind=row[1],
            value=row[2],
            organisations=row[3],
            incidents=row[4],
            sightings=row[5] or 0,
            first_seen=row[6],
            last_seen=row[7],
            label=most_restrictive(_label(row[8]), _label(row[9])),
        )
        for row in rows
    ]


def kinds_affected(incidents: QuerySet[Incident]) -> CountTable:
    """Incidents and affected organisations per kind of organisation, most
    affected first; kinds without incidents are left out. One query."""
    rows = (
        incidents.order_by()
        .values_list("organisation__kind")
        .annotate(
            count=Count("pk"),
            organisations=Count("organisation", distinct=True),
            rank=Max(_label_rank()),
        )
    )
    counts, organisations, ranks = {}, {}, {}
    for kind, count, orgs, rank in rows:
        counts[kind], organisations[kind], ranks[kind] = count, orgs, rank
    order = sorted(
        _choices(OrganisationKind), key=lambda choice: (-counts.get(choice[0], 0), choice[1])
    )
    return _count_table(order, counts, ranks, organisations, skip_empty=True)


def research_figures(
    user: User, *, weeks: int = DEFAULT_WEEKS, today: date | None = None
) -> ResearchFigures:
    """Everything on the research view, over the last `weeks` ISO weeks: four
    grouped queries (and the access policy's own look-ups)."""
    span = period(weeks, today=today)
    incidents = visible_incidents(user)
    in_span = incidents.filter(created_at__gte=span.start, created_at__lt=span.end)
    return ResearchFigures(
        span=span,
        by_type=_week_table(incidents, span, "category", TYPE_COLUMNS),
        by_severity=_week_table(incidents, span, "severity", SEVERITY_COLUMNS),
        by_kind=kinds_affected(in_span),
        recurring=recurring_indicators(in_span, user),
    )


def beyond_rule(user: User, span: Period) -> bool:
    """Whether a coordinator's figures count incidents the TLP rule alone would
    not show them: the audit log says so. One query."""
    if not user.is_coordinator:
        return False
    return (
        Incident.objects.filter(created_at__gte=span.start, created_at__lt=span.end)
        .exclude(access.rule_filter(Incident, user))
        .exists()
    )


# The published summary --------------------------------------------------------------------------


def _pinned(hidden: Sequence[int]) -> bool:
    """Whether someone who knows the row's total, and which hidden cells are
    small (1 to 4) and which are not, can work out a small one exactly.

    Hidden cells sum to the known total minus the cells shown. A small cell
    lies in 1..4, the others hold 5 or more; a small cell is pinned when
    those bounds leave it a single value."""
    small = sum(1 for count in hidden if count < SMALL_CELL)
    if not small:
        return False
    large = len(hidden) - small
    hidden_sum = sum(hidden)
    others_least = (small - 1) + SMALL_CELL * large
    others_most = (SMALL_CELL - 1) * (small - 1) if not large else math.inf
    lowest = max(1, hidden_sum - others_most)
    highest = min(SMALL_CELL - 1, hidden_sum - others_least)
    return highest <= lowest


def suppress_row(cells: Sequence[int]) -> list[str] | None:
    """One week's counts along one dimension as published, given that the
    week's total is known (it is shown, or follows from another table).

    Counts of 1 to 4 become "< 5". Where subtraction from the total would give
    one of them back, the smallest other counts are withheld ("x") until it
    cannot; None when no choice of cells protects them (the week is then
    withheld whole). A week whose total is itself small is withheld whole too:
    how many cells are above zero would bound, and could pin, each count."""
    total = sum(cells)
    if total < SMALL_CELL:
        return None if total else ["0"] * len(cells)
    hidden = {i for i, count in enumerate(cells) if 0 < count < SMALL_CELL}
    while hidden and _pinned([cells[i] for i in hidden]):
        others = [i for i, count in enumerate(cells) if count and i not in hidden]
        if not others:
            return None
        hidden.add(min(others, key=lambda i: (cells[i], i)))
    return [
        (SMALL_MARK if count < SMALL_CELL else WITHHELD_MARK) if i in hidden else str(count)
        for i, count in enumerate(cells)
    ]


def suppress_total(total: int) -> str:
    return SMALL_MARK if 0 < total < SMALL_CELL else str(total)


@dataclass(frozen=True)
class PublishedTable:
    title: str
    columns: list[str]
    #: Per week: the week and its cells as published.
    rows: list[tuple[IsoWeek, list[str]]]


@dataclass(frozen=True)
class Publication:
    """The TLP:CLEAR summary: suppressed counts, nothing else."""

    span: Period
    totals: list[tuple[IsoWeek, str]]
    tables: list[PublishedTable]
    #: Weeks withheld whole (see `suppress_row`).
    withheld: list[IsoWeek]
    #: Incidents counted, for the audit log only: never published.
    counted: int
    label: TLP = TLP.CLEAR


def publishable_incidents(user: User) -> QuerySet[Incident]:
    """What the published summary counts: the incidents the exporter may see,
    except TLP:RED ones, whose very existence is for their named people."""
    return access.visible_to(Incident.objects.exclude(tlp=TLP.RED), user)


def publication(
    user: User, *, weeks: int = DEFAULT_WEEKS, today: date | None = None
) -> Publication:
    """The summary of the last `weeks` complete ISO weeks. Three queries."""
    span = period(weeks, today=today, complete_only=True)
    incidents = publishable_incidents(user)
    dimensions = [
        (_("By type"), _week_table(incidents, span, "category", TYPE_COLUMNS)),
        (_("By severity"), _week_table(incidents, span, "severity", SEVERITY_COLUMNS)),
        (
            _("By kind of organisation"),
            _week_table(incidents, span, "organisation__kind", KIND_COLUMNS, other=OTHER_KIND),
        ),
    ]
    published: dict[IsoWeek, list[list[str]]] = {}
    totals: list[tuple[IsoWeek, str]] = []
    withheld: list[IsoWeek] = []
    for week in span.weeks:
        rows = [suppress_row(table.cells(week)) for _title, table in dimensions]
        if any(row is None for row in rows):
            withheld.append(week)
            totals.append((week, WITHHELD_MARK))
            published[week] = [[WITHHELD_MARK] * len(table.columns) for _t, table in dimensions]
        else:
            totals.append((week, suppress_total(dimensions[0][1].week_total(week))))
            published[week] = [row for row in rows if row is not None]
    return Publication(
        span=span,
        totals=totals,
        tables=[
            PublishedTable(
                title=title,
                columns=[str(name) for _key, name in table.columns],
                rows=[(week, published[week][index]) for week in span.weeks],
            )
            for index, (title, table) in enumerate(dimensions)
        ],
        withheld=withheld,
        counted=dimensions[0][1].total,
    )


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(name) for name in header) + " |",
        "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |",
    ]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def publication_markdown(summary: Publication, *, generated: date | None = None) -> str:
    """The summary as Markdown: the label first, how it was counted, the tables."""
    generated = generated or timezone.localdate()
    lines = [
        "**TLP:CLEAR**",
        "",
        "# " + _("Security incidents at care organisations: summary"),
        "",
        _(
            "Security incidents reported to TechTegenCorona per ISO week of reporting, "
            "from %(first)s to %(last)s (%(count)s complete weeks). Made on %(date)s."
        )
        % {
            "first": summary.span.first,
            "last": summary.span.last,
            "count": len(summary.span.weeks),
            "date": generated.isoformat(),
        },
        "",
        _(
            "TLP:CLEAR: this summary may be published. It holds counts only: no "
            "organisation, no incident and no indicator of compromise is named."
        ),
        "",
        "## " + _("How to read the figures"),
        "",
        "- "
        + _(
            "“%(small)s”: between 1 and 4 incidents. Small counts are not published: "
            "where there are only a few organisations of a kind, a count of 1 can "
            "tell who was hit."
        )
        % {"small": SMALL_MARK},
        "- "
        + _(
            "“%(withheld)s”: withheld, so that a small count cannot be worked out "
            "by subtracting the other figures from the week's total."
        )
        % {"withheld": WITHHELD_MARK},
        "- "
        + _(
            "Incidents labelled TLP:RED are not counted. The tables are not added "
            "up over the weeks, so that no small count can be worked out from totals."
        ),
        "",
        "## " + _("Incidents per week"),
        "",
        *_markdown_table(
            [_("Week"), _("Incidents")], [[str(week), total] for week, total in summary.totals]
        ),
    ]
    for table in summary.tables:
        lines += [
            "",
            "## " + table.title,
            "",
            *_markdown_table(
                [_("Week"), *table.columns], [[str(week), *cells] for week, cells in table.rows]
            ),
        ]
    return "\n".join(lines) + "\n"
