"""Figures on the coalition's work: the public statistics and the coordinators'
report per member.

Selectors only: nothing here writes. Every figure is aggregated in the
database (``TruncMonth``, ``Count``, ``Sum``, correlated subqueries) in a fixed
number of queries, whatever the number of requests, proposals or hours, and
works the same on SQLite and PostgreSQL. Each figure is a small dataclass for
the pages and has ``as_dict()``, plain JSON-ready numbers, for the API.

What the public figures may show. They count every request whatever its TLP
label, because a count reveals nothing of what was asked: no title, no
description, no requester and no member is read or returned here, only
counts, sums and the sector (the kind of the requesting organisation). Counts
per sector per month are published as they are, also when a cell holds a
single request: "one ministry asked for help in May" says that a request
exists, not what it is about or who sent it, and the coordinators accept that
as an aggregate. The distribution of matches over members is anonymous: it
says how many members had N matches, never which. The report per member, with
names, is for coordinators only (`member_report`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower, TruncMonth
from django.utils import timezone

from ttc.helprequests.models import (
    Engagement,
    EngagementStatus,
    Feedback,
    HelpRequest,
    HoursLog,
    Proposal,
    ProposalStatus,
    RequestStatus,
)
from ttc.lib.matching import gini, top_share
from ttc.members.models import MEMBER_KINDS, MemberStatus, Organisation, OrganisationKind

#: The per-month figures cover this many calendar months, the current one included.
MONTHS_SHOWN = 24
#: The sectors: every kind of public party, in the order of `OrganisationKind`.
SECTORS = tuple(kind for kind in OrganisationKind if kind not in MEMBER_KINDS)
#: The share of the most-matched members that `top_share` reports on.
TOP_FRACTION = 0.10
#: The histogram of matches per member has at most this many bars.
MAX_BINS = 20


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_starts(*, today: date | None = None, months: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the last `months` calendar months, oldest first."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _step in range(months):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def _aware_start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# Requests per sector and month ---------------------------------------------


def counted_requests() -> QuerySet[HelpRequest]:
    """The requests the coalition handled: every request received, whatever its
    label or outcome, except duplicates merged into another request."""
    return HelpRequest.objects.exclude(status=RequestStatus.MERGED)


@dataclass(frozen=True)
class SectorSeries:
    kind: str
    label: str
    per_month: list[int]
    #: All time, not only the months shown.
    total: int


@dataclass(frozen=True)
class RequestsBySector:
    months: list[date]
    sectors: list[SectorSeries]
    total: int

    @property
    def month_totals(self) -> list[int]:
        return [sum(column) for column in zip(*(s.per_month for s in self.sectors), strict=True)]

    @property
    def rows(self) -> list[tuple[date, list[int], int]]:
        """One row per month for the data table: the month, a count per sector, the total."""
        columns = [s.per_month for s in self.sectors]
        return [
            (month, [column[i] for column in columns], total)
            for i, (month, total) in enumerate(zip(self.months, self.month_totals, strict=True))
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "months": [_month_key(month) for month in self.months],
            "sectors": [
                {
                    "kind": series.kind,
                    "label": series.label,
                    "per_month": series.per_month,
                    "total": series.total,
                }
                for series in self.sectors
            ],
            "total": self.total,
        }


def requests_by_sector(
    *, today: date | None = None, months: int = MONTHS_SHOWN
) -> RequestsBySector:
    """Requests handled per sector (the requesting organisation's kind) per
    month of submission, and per sector all time. Two queries.

    Counted up to the end of yesterday: a count that moves minutes after a
    submission would tell anyone watching that a (perhaps confidential)
    request was just made in a small sector."""
    today = today or timezone.localdate()
    starts = month_starts(today=today, months=months)
    counted = counted_requests().filter(created_at__lt=_aware_start(today))
    index = {_month_key(month): i for i, month in enumerate(starts)}
    per_month = {kind: [0] * len(starts) for kind in SECTORS}
    rows = (
        counted.filter(created_at__gte=_aware_start(starts[0]))
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values_list("month", "organisation__kind")
        .annotate(requests=Count("pk"))
    )
    for month, kind, count in rows:
        position = index.get(_month_key(_as_date(month)))
        if position is not None and kind in per_month:
            per_month[kind][position] += count
    totals = dict(
        counted.order_by()
        .values_list("organisation__kind")
        .annotate(requests=Count("pk"))
        .values_list("organisation__kind", "requests")
    )
    return RequestsBySector(
        months=starts,
        sectors=[
            SectorSeries(
                kind=kind,
                label=str(OrganisationKind(kind).label),
                per_month=per_month[kind],
                total=totals.get(kind, 0),
            )
            for kind in SECTORS
        ],
        total=sum(totals.values()),
    )


# Time to first match ---------------------------------------------------------


#: (key, upper bound) of the time-to-first-match groups; the last is open-ended.
MATCH_SPEED_BOUNDS: tuple[tuple[str, timedelta | None], ...] = (
    ("day", timedelta(days=1)),
    ("three_days", timedelta(days=3)),
    ("week", timedelta(days=7)),
    ("two_weeks", timedelta(days=14)),
    ("later", None),
)


@dataclass(frozen=True)
class MatchSpeed:
    """How long requests waited for their first member to accept."""

    matched: int
    median: timedelta | None
    #: Requests per group of `MATCH_SPEED_BOUNDS`, in that order.
    groups: list[tuple[str, int]]

    @property
    def median_hours(self) -> float | None:
        return None if self.median is None else self.median.total_seconds() / 3600

    @property
    def median_days(self) -> float | None:
        hours = self.median_hours
        return None if hours is None else hours / 24

    def as_dict(self) -> dict[str, Any]:
        hours = self.median_hours
        return {
            "matched_requests": self.matched,
            "median_hours": None if hours is None else round(hours, 2),
            "groups": dict(self.groups),
        }


def time_to_first_match() -> MatchSpeed:
    """The median time from submission to the first accepted proposal, over every
    request that found a member, and how many fell in each time group. The
    median is read as the middle row(s) in the database's own order, so no
    list of durations is loaded: two queries."""
    matched = counted_requests().filter(first_match_at__isnull=False)
    aggregates: dict[str, Any] = {"matched": Count("pk")}
    lower: timedelta | None = None
    for key, upper in MATCH_SPEED_BOUNDS:
        within = Q()
        if lower is not None:
            within &= Q(first_match_at__gt=F("created_at") + lower)
        if upper is not None:
            within &= Q(first_match_at__lte=F("created_at") + upper)
        aggregates[key] = Count("pk", filter=within)
        lower = upper
    counts = matched.aggregate(**aggregates)
    total = counts["matched"]
    median = None
    if total:
        middle = (total - 1) // 2
        pairs = list(
            matched.order_by(F("first_match_at") - F("created_at"), "pk").values_list(
                "created_at", "first_match_at"
            )[middle : total // 2 + 1]
        )
        waits = [first - created for created, first in pairs if first is not None]
        median = sum(waits, timedelta()) / len(waits)
    return MatchSpeed(
        matched=total,
        median=median,
        groups=[(key, counts[key]) for key, _upper in MATCH_SPEED_BOUNDS],
    )


# Hours donated -----------------------------------------------------------------


@dataclass(frozen=True)
class HoursDonated:
    #: All time.
    total: Decimal
    months: list[date]
    per_month: list[Decimal]

    @property
    def rows(self) -> list[tuple[date, Decimal]]:
        return list(zip(self.months, self.per_month, strict=True))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": float(self.total),
            "months": [_month_key(month) for month in self.months],
            "per_month": [float(hours) for hours in self.per_month],
        }


def hours_donated(*, today: date | None = None, months: int = MONTHS_SHOWN) -> HoursDonated:
    """Hours members logged, all time and per month of the day worked. Two queries."""
    starts = month_starts(today=today, months=months)
    index = {_month_key(month): i for i, month in enumerate(starts)}
    per_month = [Decimal(0)] * len(starts)
    rows = (
        HoursLog.objects.filter(worked_on__gte=starts[0])
        .annotate(month=TruncMonth("worked_on"))
        .order_by()
        .values_list("month")
        .annotate(hours=Sum("hours"))
        .values_list("month", "hours")
    )
    for month, hours in rows:
        position = index.get(_month_key(_as_date(month)))
        if position is not None:
            per_month[position] += hours or Decimal(0)
    total = HoursLog.objects.aggregate(total=Sum("hours"))["total"] or Decimal(0)
    return HoursDonated(total=total, months=starts, per_month=per_month)


# The distribution of matches over members --------------------------------------


def accepted_proposals() -> QuerySet[Proposal]:
    """Matches: proposals a member accepted, each of which started an engagement."""
    return Proposal.objects.filter(status=ProposalStatus.ACCEPTED)


def _count_per_member(rows: QuerySet[Any], *, member: str = "organisation") -> Coalesce:
    """A correlated count of `rows` for the member of the outer query; 0 when none."""
    counted = (
        rows.filter(**{member: OuterRef("pk")})
        .order_by()
        .values(member)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def member_population() -> QuerySet[Organisation]:
    """The members a fair distribution is measured over: every approved member
    (company or independent expert, as in matching), with or without matches,
    and any former member that had a match."""
    return Organisation.objects.members().filter(
        Q(status=MemberStatus.APPROVED) | Q(pk__in=accepted_proposals().values("organisation_id"))
    )


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    members: int

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class MatchDistribution:
    """How evenly matches are spread over members, without naming any."""

    members: int
    members_matched: int
    matches: int
    gini: float
    top_share: float
    #: How many members make up the top 10 %.
    top_members: int
    histogram: list[Bin]

    @property
    def top_share_percent(self) -> float:
        return self.top_share * 100

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "members_matched": self.members_matched,
            "matches": self.matches,
            "gini": round(self.gini, 4),
            "top_fraction": TOP_FRACTION,
            "top_members": self.top_members,
            "top_share": round(self.top_share, 4),
            "histogram": [
                {"matches_from": b.low, "matches_to": b.high, "members": b.members}
                for b in self.histogram
            ],
        }


def _bins(members_with: dict[int, int]) -> list[Bin]:
    """Every match count from 0 up to the highest, as at most `MAX_BINS` equal bins."""
    highest = max(members_with, default=0)
    width = max(1, math.ceil((highest + 1) / MAX_BINS))
    bins = []
    for low in range(0, highest + 1, width):
        high = min(low + width - 1, highest)
        count = sum(n for matches, n in members_with.items() if low <= matches <= high)
        bins.append(Bin(low=low, high=high, members=count))
    return bins


def distribution_from_counts(members_with: dict[int, int]) -> MatchDistribution:
    """The figures from {number of matches: number of members with that many}."""
    values = [matches for matches, members in members_with.items() for _i in range(members)]
    size = len(values)
    return MatchDistribution(
        members=size,
        members_matched=sum(n for matches, n in members_with.items() if matches > 0),
        matches=sum(values),
        gini=gini(values),
        top_share=top_share(values, TOP_FRACTION),
        top_members=max(1, math.ceil(TOP_FRACTION * size - 1e-9)) if size else 0,
        histogram=_bins(members_with),
    )


def match_distribution() -> MatchDistribution:
    """Matches per member, all time, reduced in the database to "this many
    members had N matches": one query, returning one row per distinct N."""
    rows = (
        member_population()
        .annotate(matches=_count_per_member(accepted_proposals()))
        .order_by()
        .values("matches")
        .annotate(members=Count("pk"))
        .values_list("matches", "members")
    )
    return distribution_from_counts({int(matches): members for matches, members in rows})


# Everything public ---------------------------------------------------------------


@dataclass(frozen=True)
class PublicStatistics:
    requests: RequestsBySector
    speed: MatchSpeed
    hours: HoursDonated
    distribution: MatchDistribution

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_by_sector": self.requests.as_dict(),
            "time_to_first_match": self.speed.as_dict(),
            "hours_donated": self.hours.as_dict(),
            "match_distribution": self.distribution.as_dict(),
        }


def public_statistics(*, today: date | None = None) -> PublicStatistics:
    """Every public figure, in a fixed number of queries."""
    return PublicStatistics(
        requests=requests_by_sector(today=today),
        speed=time_to_first_match(),
        hours=hours_donated(today=today),
        distribution=match_distribution(),
    )


# The coordinators' report per member -----------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    pk: int
    name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    #: Accepted proposals made in the fairness window.
    matches_window: int
    matches_total: int
    #: Proposals still waiting for the member's answer.
    waiting: int
    declined: int
    expired: int
    hours: Decimal
    engagements_closed: int
    ratings: int
    mean_rating: float | None
    #: This member's part of all matches, 0 to 1.
    share: float

    @property
    def share_percent(self) -> float:
        return self.share * 100

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "matches_window": self.matches_window,
            "matches_total": self.matches_total,
            "waiting": self.waiting,
            "declined": self.declined,
            "expired": self.expired,
            "hours": float(self.hours),
            "engagements_closed": self.engagements_closed,
            "ratings": self.ratings,
            "mean_rating": None if self.mean_rating is None else round(self.mean_rating, 2),
            "share": round(self.share, 4),
        }


#: The columns the report sorts on, by their name in the query string.
REPORT_SORTS = (
    "name",
    "matches_window",
    "matches_total",
    "waiting",
    "declined",
    "expired",
    "hours",
    "engagements_closed",
    "mean_rating",
)
DEFAULT_REPORT_SORT = "-matches_total"


def parse_sort(raw: str | None) -> str:
    """A known sort key, optionally with a leading "-"; anything else is the default."""
    raw = (raw or "").strip()
    if raw.lstrip("-") in REPORT_SORTS and raw.count("-") <= 1 and not raw.endswith("-"):
        return raw
    return DEFAULT_REPORT_SORT


def member_report(
    *, sort: str = DEFAULT_REPORT_SORT, now: datetime | None = None
) -> list[MemberRow]:
    """Per member: matches in the fairness window and all time, proposals waiting,
    declined and expired, hours donated, engagements closed and the requesters'
    mean rating. Every member that is approved or was ever proposed; one query."""
    sort = parse_sort(sort)
    since = (now or timezone.now()) - timedelta(days=settings.TTC_FAIRNESS_WINDOW_DAYS)
    proposals = Proposal.objects.all()
    hours = (
        HoursLog.objects.filter(engagement__organisation=OuterRef("pk"))
        .order_by()
        .values("engagement__organisation")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    mean_ratings = (
        Feedback.objects.filter(engagement__organisation=OuterRef("pk"))
        .order_by()
        .values("engagement__organisation")
        .annotate(mean=Avg("rating"))
        .values("mean")
    )
    members = (
        Organisation.objects.members()
        .filter(Q(status=MemberStatus.APPROVED) | Q(pk__in=proposals.values("organisation_id")))
        .annotate(
            matches_window=_count_per_member(accepted_proposals().filter(proposed_at__gte=since)),
            matches_total=_count_per_member(accepted_proposals()),
            waiting=_count_per_member(proposals.filter(status=ProposalStatus.PROPOSED)),
            declined=_count_per_member(proposals.filter(status=ProposalStatus.DECLINED)),
            expired=_count_per_member(proposals.filter(status=ProposalStatus.EXPIRED)),
            hours=Coalesce(
                Subquery(hours, output_field=DecimalField(max_digits=14, decimal_places=2)),
                Value(Decimal(0)),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            engagements_closed=_count_per_member(
                Engagement.objects.filter(status=EngagementStatus.CLOSED)
            ),
            ratings=_count_per_member(Feedback.objects.all(), member="engagement__organisation"),
            mean_rating=Subquery(mean_ratings, output_field=FloatField()),
        )
    )
    key = sort.lstrip("-")
    if key == "name":
        order = Lower("name").desc() if sort.startswith("-") else Lower("name").asc()
    elif sort.startswith("-"):
        order = F(key).desc(nulls_last=True)
    else:
        order = F(key).asc(nulls_last=True)
    members = members.order_by(order, Lower("name"), "pk")
    rows = list(
        members.values_list(
            "pk",
            "name",
            "kind",
            "status",
            "matches_window",
            "matches_total",
            "waiting",
            "declined",
            "expired",
            "hours",
            "engagements_closed",
            "ratings",
            "mean_rating",
        )
    )
    all_matches = sum(row[5] for row in rows)
    return [
        MemberRow(
            pk=pk,
            name=name,
            kind=kind,
            kind_label=str(OrganisationKind(kind).label),
            status=status,
            status_label=str(MemberStatus(status).label),
            matches_window=matches_window,
            matches_total=matches_total,
            waiting=waiting,
            declined=declined,
            expired=expired,
            hours=Decimal(hours or 0),
            engagements_closed=engagements_closed,
            ratings=rating_count,
            mean_rating=None if mean_rating is None else float(mean_rating),
            share=matches_total / all_matches if all_matches else 0.0,
        )
        for (
            pk,
            name,
            kind,
            status,
            matches_window,
            matches_total,
            waiting,
            declined,
            expired,
            hours,
            engagements_closed,
            rating_count,
            mean_rating,
        ) in rows
    ]
