"""The umbrella dashboard, the research view and the TLP:CLEAR summary: they
count only what the viewer may see, state the label of what they count, and
publish nothing that names a victim."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ttc.core.models import AuditEvent
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.incidents import research, services
from ttc.incidents.models import Category, Incident, Severity, Status
from ttc.incidents.testing import add_indicators, report, report_data
from ttc.members.models import Membership, OrganisationKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

UMBRELLA_URL = reverse("incident_umbrella")
RESEARCH_URL = reverse("incident_research")
SUMMARY_URL = reverse("incident_research_summary")
SHARED = ("domain", "c2.factuur-zorg.nl")


def grant_research(user):
    """The vetted researcher's permission, whether or not a migration made it yet."""
    permission, _created = Permission.objects.get_or_create(
        codename="view_research",
        content_type=ContentType.objects.get_for_model(Incident),
        defaults={"name": "May see the incident research view"},
    )
    user.user_permissions.add(permission)
    return user


@pytest.fixture
def researcher(personas):
    """The member company's expert, vetted as a researcher."""
    return grant_research(personas.expert)


def care_organisation(name, *, umbrella=None, kind=OrganisationKind.HOSPITAL):
    """Another care organisation with a person who reports for it."""
    organisation = make_organisation(name, kind, umbrella=umbrella)
    slug = name.lower().replace(" ", "-")
    person = make_user(f"ciso@{slug}.test", full_name=f"CISO {name}")
    Membership.objects.create(user=person, organisation=organisation, role="admin")
    return organisation, person


def report_for(author, organisation, **overrides):
    return services.incident_report(
        author=author, organisation=organisation, data=report_data(**overrides)
    )


def weeks_ago(weeks):
    """Noon on this weekday, `weeks` weeks back: in that ISO week whatever the
    time of day or a change of summer time."""
    day = timezone.localdate() - timedelta(weeks=weeks)
    return timezone.make_aware(datetime.combine(day, time(12)))


def last_week(*incidents):
    """Reported a week ago: in the last complete ISO week."""
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(created_at=weeks_ago(1))


def cell(table, key):
    return next(row for row in table.rows if row.key == str(key))


# The umbrella dashboard ------------------------------------------------------------


class TestUmbrellaDashboard:
    def test_counts_only_the_incidents_the_umbrella_may_see(self, personas, client_for):
        # The hospital shares one incident with its own people only, one with the coalition.
        report(personas, title="Alleen voor het ziekenhuis")
        report(personas, title="Phishing voor iedereen", tlp=TLP.GREEN, category=Category.FRAUD)
        response = client_for("umbrella").get(UMBRELLA_URL)
        assert response.status_code == 200
        figures = response.context["figures"]
        assert figures.umbrella == personas.umbrella_org
        assert figures.total == 1
        assert cell(figures.by_type, Category.FRAUD).count == 1
        assert cell(figures.by_type, Category.MALICIOUS_CODE).count == 0
        assert cell(figures.by_label, TLP.GREEN).count == 1
        assert cell(figures.by_label, TLP.AMBER_STRICT).count == 0
        assert cell(figures.by_severity, Severity.CRITICAL).count == 1
        assert cell(figures.by_status, Status.NEW).count == 1
        assert figures.open_count == 1
        assert figures.label == TLP.GREEN
        page = response.content.decode()
        assert "Phishing voor iedereen" in page
        assert "Alleen voor het ziekenhuis" not in page

    def test_a_confidential_incident_shared_with_the_umbrella_counts_under_its_label(
        self, personas, client_for
    ):
        # The umbrella reports for its hospital: the incident names both.
        shared = services.incident_report(
            author=personas.umbrella,
            organisation=personas.hospital,
            data=report_data(title="Via de koepel gemeld"),
        )
        report(personas, tlp=TLP.GREEN, severity=Severity.LOW)
        response = client_for("umbrella").get(UMBRELLA_URL)
        figures = response.context["figures"]
        assert figures.total == 2
        assert figures.label == TLP.AMBER_STRICT
        assert cell(figures.by_severity, Severity.CRITICAL).label == TLP.AMBER_STRICT
        assert cell(figures.by_severity, Severity.LOW).label == TLP.GREEN
        assert figures.by_severity.label == TLP.AMBER_STRICT
        assert "TLP:AMBER+STRICT" in response.content.decode()
        # The listed confidential incident is a view in the audit log.
        viewed = AuditEvent.objects.filter(
            action="view", object_id=str(shared.pk), data__surface="umbrella"
        )
        assert viewed.filter(actor=personas.umbrella).count() == 1

    def test_other_umbrellas_members_are_not_counted(self, personas, client_for):
        other_umbrella = make_organisation("Koepel Zuid", OrganisationKind.UMBRELLA)
        elsewhere, person = care_organisation("Ziekenhuis Zuid", umbrella=other_umbrella)
        report_for(person, elsewhere, tlp=TLP.GREEN, title="Bij de andere koepel")
        loose, loner = care_organisation("Ziekenhuis Los")
        report_for(loner, loose, tlp=TLP.GREEN, title="Zonder koepel")
        response = client_for("umbrella").get(UMBRELLA_URL)
        assert response.context["figures"].total == 0
        assert "Bij de andere koepel" not in response.content.decode()
        # An umbrella the person does not belong to is not theirs to open.
        assert (
            client_for("umbrella").get(UMBRELLA_URL, {"umbrella": other_umbrella.pk}).status_code
            == 404
        )

    def test_coordinators_choose_any_umbrella(self, personas, client_for):
        other_umbrella = make_organisation("Koepel Zuid", OrganisationKind.UMBRELLA)
        elsewhere, person = care_organisation("Ziekenhuis Zuid", umbrella=other_umbrella)
        report_for(person, elsewhere, title="Zuid, vertrouwelijk")
        client = client_for("coordinator")
        response = client.get(UMBRELLA_URL, {"umbrella": other_umbrella.pk})
        assert response.status_code == 200
        figures = response.context["figures"]
        assert figures.umbrella == other_umbrella
        assert figures.total == 1
        assert figures.label == TLP.AMBER_STRICT
        page = response.content.decode()
        assert 'name="umbrella"' in page  # the choice of umbrella
        # Seen beyond the TLP rule: the audit log says so.
        assert AuditEvent.objects.filter(
            actor=personas.coordinator, action="view.beyond_rule", data__surface="umbrella"
        ).exists()
        assert client.get(UMBRELLA_URL, {"umbrella": "nonsense"}).status_code == 404

    @pytest.mark.parametrize("name", ["requester", "member_admin", "expert", "outsider"])
    def test_people_of_no_umbrella_are_refused(self, personas, client_for, name):
        assert client_for(name).get(UMBRELLA_URL).status_code == 403

    def test_a_researcher_is_no_umbrella(self, personas, client_for, researcher):
        assert client_for("expert").get(UMBRELLA_URL).status_code == 403

    def test_anonymous_visitors_sign_in_first(self, client_for):
        response = client_for("anonymous").get(UMBRELLA_URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_the_people_of_a_suspended_umbrella_are_refused(self, personas, client_for):
        personas.umbrella_org.status = "suspended"
        personas.umbrella_org.save(update_fields=["status"])
        assert client_for("umbrella").get(UMBRELLA_URL).status_code == 403


# Who may see the research view ------------------------------------------------------------


class TestResearchAccess:
    @pytest.mark.parametrize("url", [RESEARCH_URL, SUMMARY_URL])
    def test_coordinators_and_researchers_only(self, personas, client_for, url):
        assert client_for("coordinator").get(url).status_code == 200
        for name in ("member_admin", "expert", "requester", "umbrella", "outsider"):
            assert client_for(name).get(url).status_code == 403, name
        grant_research(personas.expert)
        assert client_for("expert").get(url).status_code == 200

    @pytest.mark.parametrize("url", [RESEARCH_URL, SUMMARY_URL])
    def test_anonymous_visitors_sign_in_first(self, client_for, url):
        response = client_for("anonymous").get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    def test_may_research(self, personas, researcher):
        assert research.may_research(personas.coordinator)
        assert research.may_research(researcher)
        assert not research.may_research(personas.outsider)
        assert not research.may_research(personas.anonymous)


# The research view ---------------------------------------------------------------------------


class TestResearchFigures:
    def test_incidents_per_week_by_type_and_severity(self, personas, client_for, researcher):
        report(personas, tlp=TLP.GREEN, category=Category.FRAUD, severity=Severity.LOW)
        report(personas, tlp=TLP.GREEN, category=Category.FRAUD, severity=Severity.HIGH)
        earlier = report(personas, tlp=TLP.GREEN, severity=Severity.HIGH)
        last_week(earlier)
        # Not for the researcher's eyes: not counted.
        report(personas, category=Category.FRAUD)
        response = client_for("expert").get(RESEARCH_URL)
        figures = response.context["figures"]
        assert len(figures.span.weeks) == research.DEFAULT_WEEKS
        this_week, previous = figures.span.weeks[-1], figures.span.weeks[-2]
        fraud = [key for key, _name in figures.by_type.columns].index(Category.FRAUD)
        assert figures.by_type.cells(this_week)[fraud] == 2
        assert figures.by_type.week_total(this_week) == 2
        assert figures.by_type.week_total(previous) == 1
        assert figures.total == 3
        severities = dict(
            zip(
                [key for key, _name in figures.by_severity.columns],
                figures.by_severity.cells(this_week),
                strict=True,
            )
        )
        assert severities == {"4": 0, "3": 1, "2": 0, "1": 1}
        assert figures.by_type.label == TLP.GREEN
        page = response.content.decode()
        assert f'<time datetime="{this_week}">' in page

    def test_most_affected_kinds_of_organisation(self, personas, client_for):
        care, person = care_organisation("Zorggroep Oost", kind=OrganisationKind.CARE)
        report(personas, tlp=TLP.GREEN)
        report(personas, tlp=TLP.GREEN)
        report_for(person, care, tlp=TLP.GREEN)
        figures = client_for("coordinator").get(RESEARCH_URL).context["figures"]
        rows = [(row.key, row.count, row.organisations) for row in figures.by_kind.rows]
        assert rows == [("hospital", 2, 1), ("care", 1, 1)]

    def test_the_label_is_the_most_restrictive_counted(self, personas, client_for, researcher):
        report(personas, tlp=TLP.GREEN)
        report(personas, tlp=TLP.AMBER_STRICT)
        coordinator = client_for("coordinator").get(RESEARCH_URL)
        figures = coordinator.context["figures"]
        assert figures.total == 2
        assert figures.by_type.label == TLP.AMBER_STRICT
        assert figures.by_severity.label == TLP.AMBER_STRICT
        assert figures.by_kind.label == TLP.AMBER_STRICT
        assert "TLP:AMBER+STRICT" in coordinator.content.decode()
        # The researcher sees the GREEN one only, and the figures say GREEN.
        figures = client_for("expert").get(RESEARCH_URL).context["figures"]
        assert figures.total == 1
        assert figures.by_type.label == TLP.GREEN
        assert figures.label == TLP.GREEN

    def test_an_empty_period_is_clear(self, personas, client_for):
        figures = client_for("coordinator").get(RESEARCH_URL).context["figures"]
        assert figures.total == 0
        assert figures.label == TLP.CLEAR

    def test_the_number_of_weeks(self, personas, client_for):
        client = client_for("coordinator")
        response = client.get(RESEARCH_URL, {"weeks": "3"})
        assert len(response.context["figures"].span.weeks) == 3
        assert len(client.get(RESEARCH_URL, {"weeks": "104"}).context["figures"].span.weeks) == 104

    @pytest.mark.parametrize(
        ("weeks", "message"),
        [
            ("0", "Show at least 1 week."),
            ("105", "Show at most 104 weeks."),
            ("many", "Give the number of weeks as a whole number."),
        ],
    )
    def test_a_bad_number_of_weeks_says_so_and_shows_the_default(
        self, personas, client_for, weeks, message
    ):
        response = client_for("coordinator").get(RESEARCH_URL, {"weeks": weeks})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert len(response.context["figures"].span.weeks) == research.DEFAULT_WEEKS

    def test_htmx_gets_the_figures_only(self, personas, client_for):
        response = client_for("coordinator").get(
            RESEARCH_URL, {"weeks": "4"}, headers={"HX-Request": "true"}
        )
        page = response.content.decode()
        assert page.lstrip().startswith('<div id="figures"')
        assert "<html" not in page

    def test_confidential_figures_are_audited(self, personas, client_for, researcher):
        report(personas, tlp=TLP.GREEN)
        client_for("expert").get(RESEARCH_URL)
        assert not AuditEvent.objects.filter(action="incident.research.view").exists()
        report(personas)
        client_for("coordinator").get(RESEARCH_URL)
        event = AuditEvent.objects.get(action="incident.research.view")
        assert event.actor == personas.coordinator
        assert event.data["label"] == TLP.AMBER_STRICT
        assert event.data["beyond_rule"] is True


class TestRecurringIndicators:
    def shared_at_two_organisations(self, personas, *, second_tlp=TLP.GREEN, indicator_tlp=None):
        """The hospital and a care organisation both saw the same C2 domain."""
        first = report(personas, tlp=TLP.GREEN, title="Eerste")
        add_indicators(personas, first, [SHARED, ("ipv4", "185.220.101.47")])
        care, person = care_organisation("Zorggroep Oost", kind=OrganisationKind.CARE)
        second = report_for(person, care, tlp=second_tlp, title="Tweede")
        add_indicators(personas, second, [SHARED], tlp=indicator_tlp)
        return first, second

    def test_an_indicator_seen_at_two_organisations_recurs(self, personas, client_for, researcher):
        self.shared_at_two_organisations(personas)
        response = client_for("expert").get(RESEARCH_URL)
        recurring = response.context["figures"].recurring
        assert [(row.kind, row.value, row.organisations, row.incidents) for row in recurring] == [
            ("domain", "c2.factuur-zorg.nl", 2, 2)
        ]
        assert recurring[0].label == TLP.GREEN
        page = response.content.decode()
        assert "c2.factuur-zorg.nl" in page
        # Seen at one organisation only: not recurring.
        assert "185.220.101.47" not in page

    def test_not_recurring_where_one_incident_is_hidden_from_the_viewer(
        self, personas, client_for, researcher
    ):
        self.shared_at_two_organisations(personas, second_tlp=TLP.AMBER_STRICT)
        response = client_for("expert").get(RESEARCH_URL)
        assert response.context["figures"].recurring == []
        assert "c2.factuur-zorg.nl" not in response.content.decode()
        # The coordinator sees both incidents: recurring, under the narrower label.
        recurring = client_for("coordinator").get(RESEARCH_URL).context["figures"].recurring
        assert [(row.value, row.organisations) for row in recurring] == [("c2.factuur-zorg.nl", 2)]
        assert recurring[0].label == TLP.AMBER_STRICT

    def test_not_recurring_where_one_indicator_is_hidden_from_the_viewer(
        self, personas, client_for, researcher
    ):
        # Both incidents are GREEN, but the second keeps its indicator to itself.
        self.shared_at_two_organisations(personas, indicator_tlp=TLP.AMBER_STRICT)
        assert client_for("expert").get(RESEARCH_URL).context["figures"].recurring == []
        recurring = client_for("coordinator").get(RESEARCH_URL).context["figures"].recurring
        assert recurring[0].label == TLP.AMBER_STRICT

    def test_two_incidents_at_one_organisation_do_not_recur(self, personas, client_for):
        for _n in range(2):
            add_indicators(personas, report(personas, tlp=TLP.GREEN), [SHARED])
        assert client_for("coordinator").get(RESEARCH_URL).context["figures"].recurring == []


# The published summary -------------------------------------------------------------------------


class TestSummary:
    def published_week(self, personas):
        """Last week: six ransomware incidents (critical) and one phishing
        incident (low) at the hospital, one of them with an indicator; a
        TLP:RED one; and one this week, not yet complete."""
        ransomware = [
            report(personas, tlp=TLP.GREEN, title=f"Gijzelsoftware {n}") for n in range(5)
        ]
        ransomware.append(report(personas, title="Gijzelsoftware vertrouwelijk"))
        phishing = report(
            personas,
            tlp=TLP.GREEN,
            title="Nepfactuur",
            category=Category.FRAUD,
            severity=Severity.LOW,
        )
        add_indicators(personas, phishing, [SHARED])
        secret = report(personas, tlp=TLP.RED, title="Geheim incident")
        last_week(*ransomware, phishing, secret)
        report(personas, tlp=TLP.GREEN, title="Nog niet klaar")
        return ransomware, phishing

    def test_the_summary_is_clear_suppressed_and_names_nobody(self, personas, client_for):
        self.published_week(personas)
        response = client_for("coordinator").get(SUMMARY_URL, {"weeks": "2"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/markdown; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
        text = response.content.decode()
        assert text.splitlines()[0] == "**TLP:CLEAR**"
        for secret in (
            "Noorderlicht",
            "Zorgkoepel",
            "Gijzelsoftware",
            "Nepfactuur",
            "Geheim",
            "Nog niet klaar",
            "TTC-",
            "factuur-zorg",
            "c2.",
            "Ruud",
        ):
            assert secret not in text, secret
        summary = research.publication(personas.coordinator, weeks=2)
        week = summary.span.last
        assert summary.span.last < research.IsoWeek.of(timezone.localdate())
        # Seven counted: the TLP:RED one and this week's are not.
        assert summary.counted == 7
        assert dict(summary.totals)[week] == "7"
        by_type, by_severity, by_kind = summary.tables
        row = dict(by_type.rows)[week]
        # One phishing incident is "< 5"; the six ransomware incidents are
        # withheld too, or 7 - 6 would give the 1 back.
        assert row[0] == research.WITHHELD_MARK  # malicious code
        assert row[1] == "< 5"  # fraud
        assert set(row[2:]) == {"0"}
        assert dict(by_severity.rows)[week] == ["x", "0", "0", "< 5"]
        kinds = dict(zip(by_kind.columns, dict(by_kind.rows)[week], strict=True))
        assert kinds["Hospital"] == "7"
        assert "| " + str(week) + " | 7 |" in text
        assert "< 5" in text

    def test_the_export_is_audited(self, personas, client_for):
        self.published_week(personas)
        client_for("coordinator").get(SUMMARY_URL)
        event = AuditEvent.objects.get(action="incident.research.export")
        assert event.actor == personas.coordinator
        assert event.data["counted"] == 7
        assert event.data["weeks"] == research.DEFAULT_WEEKS
        assert "TLP:CLEAR" in event.summary

    def test_a_researcher_publishes_what_they_may_see(self, personas, client_for, researcher):
        self.published_week(personas)
        summary = research.publication(researcher, weeks=2)
        # The confidential ransomware incident is not theirs to count.
        assert summary.counted == 6
        client_for("expert").get(SUMMARY_URL)
        assert AuditEvent.objects.filter(
            action="incident.research.export", actor=researcher
        ).exists()

    def test_a_bad_number_of_weeks_exports_nothing(self, personas, client_for):
        response = client_for("coordinator").get(SUMMARY_URL, {"weeks": "500"})
        assert response.status_code == 400
        assert "Show at most 104 weeks." in response.content.decode()
        assert not AuditEvent.objects.filter(action="incident.research.export").exists()

    def test_a_week_that_cannot_be_protected_is_withheld(self, personas):
        # Five ransomware incidents and one phishing: 6 - 5 would give the 1 back
        # whichever cells are hidden.
        incidents = [report(personas, tlp=TLP.GREEN) for _n in range(5)]
        incidents.append(report(personas, tlp=TLP.GREEN, category=Category.FRAUD))
        last_week(*incidents)
        summary = research.publication(personas.coordinator, weeks=1)
        week = summary.span.last
        assert summary.withheld == [week]
        assert dict(summary.totals)[week] == "x"
        for table in summary.tables:
            assert set(dict(table.rows)[week]) == {"x"}
        text = research.publication_markdown(summary)
        assert "| 6 |" not in text and "| 5 |" not in text


# Small-cell suppression ------------------------------------------------------------------------


def possible_values(published: list[str], total: int, index: int) -> set[int]:
    """What someone who knows the total can tell of one suppressed cell, by
    trying every combination of the other cells (worked out independently of
    `research._pinned`)."""

    def options(shown: str) -> range:
        if shown == research.SMALL_MARK:
            return range(1, research.SMALL_CELL)
        if shown == research.WITHHELD_MARK:
            return range(research.SMALL_CELL, total + 1)
        return range(int(shown), int(shown) + 1)

    sums = {0}
    for i, shown in enumerate(published):
        if i != index:
            sums = {s + v for s in sums for v in options(shown) if s + v <= total}
    return {v for v in options(published[index]) if total - v in sums}


class TestSuppression:
    @pytest.mark.parametrize(
        ("cells", "published"),
        [
            ([0, 0, 0], ["0", "0", "0"]),
            ([5, 12], ["5", "12"]),
            # A small week is withheld whole: four cells of "< 5" would pin each at 1.
            ([1, 0], None),
            ([2, 2], None),
            ([1, 1, 1, 1], None),
            ([7, 2], ["x", "< 5"]),
            ([1, 5, 20], ["< 5", "x", "x"]),
            ([10, 3, 3], ["10", "< 5", "< 5"]),
            ([5, 1], None),
            ([1, 1, 1, 1, 1], None),
            ([4, 4], None),
        ],
    )
    def test_rows(self, cells, published):
        assert research.suppress_row(cells) == published

    def test_totals(self):
        assert [research.suppress_total(n) for n in (0, 1, 4, 5, 40)] == [
            "0",
            "< 5",
            "< 5",
            "5",
            "40",
        ]

    @given(st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=5))
    def test_no_small_count_can_be_worked_out(self, cells):
        published = research.suppress_row(cells)
        if published is None:
            return  # the week is withheld whole
        total = sum(cells)
        for count, shown in zip(cells, published, strict=True):
            if count == 0:
                assert shown == "0"
            elif count < research.SMALL_CELL:
                assert shown == research.SMALL_MARK
            else:
                assert shown in (str(count), research.WITHHELD_MARK)
        if total < research.SMALL_CELL:
            return  # the total is "< 5" itself: nothing to subtract from
        for index, shown in enumerate(published):
            if shown == research.SMALL_MARK:
                assert len(possible_values(published, total, index)) >= 2, (cells, published)

    def test_weeks_are_iso_weeks(self):
        # A year boundary: 29 December 2025 is in ISO week 1 of 2026.
        assert research.IsoWeek.of(date(2025, 12, 29)) == research.IsoWeek(2026, 1)
        assert str(research.IsoWeek(2026, 1)) == "2026-W01"
        span = research.period(3, today=date(2026, 1, 7))
        assert [str(week) for week in span.weeks] == ["2025-W52", "2026-W01", "2026-W02"]
        assert span.start.date() == date(2025, 12, 22)
        assert span.end.date() == date(2026, 1, 12)
        complete = research.period(3, today=date(2026, 1, 7), complete_only=True)
        assert [str(week) for week in complete.weeks] == ["2025-W51", "2025-W52", "2026-W01"]
        assert complete.end.date() == date(2026, 1, 5)
        assert len(research.period(500).weeks) == research.MAX_WEEKS


# Query counts -------------------------------------------------------------------------------


def queries_for(client, url, params=None):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(context)


def add_incidents(personas, count):
    """Incidents under mixed labels, at two organisations, some with a shared
    indicator and some reported by the umbrella, spread over three weeks."""
    care, person = care_organisation(f"Zorggroep {count}", umbrella=personas.umbrella_org)
    made = []
    for n in range(count):
        if n % 3 == 0:
            incident = services.incident_report(
                author=personas.umbrella, organisation=personas.hospital, data=report_data()
            )
        elif n % 3 == 1:
            incident = report(personas, tlp=TLP.GREEN, category=Category.FRAUD)
        else:
            incident = report_for(person, care, tlp=TLP.GREEN, severity=Severity.LOW)
        add_indicators(personas, incident, [SHARED, ("ipv4", f"185.220.101.{n + 1}")])
        made.append(incident)
    for weeks_back in (1, 2):
        Incident.objects.filter(pk__in=[i.pk for i in made[weeks_back::3]]).update(
            created_at=weeks_ago(weeks_back)
        )


class TestQueryCounts:
    @pytest.mark.parametrize(
        ("name", "url"),
        [
            ("umbrella", UMBRELLA_URL),
            ("coordinator", UMBRELLA_URL),
            ("coordinator", RESEARCH_URL),
            ("expert", RESEARCH_URL),
            ("coordinator", SUMMARY_URL),
            ("expert", SUMMARY_URL),
        ],
    )
    def test_the_count_does_not_grow_with_the_data(self, personas, client_for, name, url):
        grant_research(personas.expert)
        client = client_for(name)
        add_incidents(personas, 3)
        few = queries_for(client, url)
        add_incidents(personas, 27)
        assert Incident.objects.count() == 30
        assert queries_for(client, url) == few


def test_suppression_helper_covers_every_small_row():
    """Every row of up to three cells below 10 is either protected or withheld:
    the exhaustive twin of the property test."""
    for cells in itertools.product(range(10), repeat=3):
        published = research.suppress_row(list(cells))
        total = sum(cells)
        if published is None or total < research.SMALL_CELL:
            continue
        for index, shown in enumerate(published):
            if shown == research.SMALL_MARK:
                assert len(possible_values(published, total, index)) >= 2, cells
