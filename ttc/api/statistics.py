"""Public figures about help requests: the same aggregates as /statistics/."""

from __future__ import annotations

from ninja import Router, Schema

from ttc.api.auth import auth_or_anonymous
from ttc.helprequests.stats import public_statistics

router = Router(tags=["statistics"])


class SectorOut(Schema):
    kind: str
    label: str
    per_month: list[int]
    total: int


class RequestsBySectorOut(Schema):
    months: list[str]
    sectors: list[SectorOut]
    total: int


class TimeToFirstMatchOut(Schema):
    matched_requests: int
    median_hours: float | None
    groups: dict[str, int]


class HoursDonatedOut(Schema):
    total: float
    months: list[str]
    per_month: list[float]


class BinOut(Schema):
    matches_from: int
    matches_to: int
    members: int


class MatchDistributionOut(Schema):
    members: int
    members_matched: int
    matches: int
    gini: float
    top_fraction: float
    top_members: int
    top_share: float
    histogram: list[BinOut]


class StatisticsOut(Schema):
    requests_by_sector: RequestsBySectorOut
    time_to_first_match: TimeToFirstMatchOut
    hours_donated: HoursDonatedOut
    match_distribution: MatchDistributionOut


@router.get(
    "",
    response=StatisticsOut,
    auth=auth_or_anonymous,
    summary="Public statistics: requests per sector and month, time to first match, "
    "hours donated and the spread of matches over members (no member named)",
)
def statistics(request: object) -> dict:
    return public_statistics().as_dict()
