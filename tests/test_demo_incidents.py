"""The demo's incidents: a ransomware wave told through the services, in every
status, with indicators that correlate across hospitals and a member feed that
holds only what may be shared with every member."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from io import StringIO

from allauth.mfa.utils import is_mfa_enabled
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core import access
from ttc.core.audit import verify_chain
from ttc.core.tlp import TLP
from ttc.demo import incidents as demo
from ttc.demo.management.commands.seed_demo import PERSONAS
from ttc.incidents import indicators
from ttc.incidents.models import (
    Category,
    Incident,
    Indicator,
    Note,
    Responder,
    Status,
    Task,
    TimelineEvent,
)
from ttc.incidents.research import may_research
from ttc.members.models import OrganisationKind


def persona(name: str) -> User:
    return User.objects.get(email={key: email for key, email, _ in PERSONAS}[name])


class DemoIncidents(TestCase):
    """One seed for the whole class: it takes seconds."""

    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        media = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        with override_settings(
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
        ):
            out = StringIO()
            call_command("seed_demo", companies=12, experts=40, stdout=out)
        cls.output = out.getvalue()

    def test_incidents_in_every_status_with_their_history(self) -> None:
        rows = Incident.objects.all()
        assert 6 <= rows.count() <= 8
        assert set(rows.values_list("status", flat=True)) == set(Status.values)
        [new] = rows.filter(status=Status.NEW)
        assert new.is_overdue() and new.acknowledge_breach_told_at is not None
        assert all(incident.acknowledged_at for incident in rows.exclude(status=Status.NEW))
        # The wave: phishing first, then ransomware; a DDoS and a data breach.
        first = rows.order_by("created_at").first()
        assert first is not None and first.category == Category.FRAUD
        categories = list(rows.values_list("category", flat=True))
        assert categories.count(Category.MALICIOUS_CODE) >= 3
        assert categories.count(Category.AVAILABILITY) == 1
        assert categories.count(Category.INFORMATION) == 1
        assert len(set(rows.values_list("severity", flat=True))) >= 3
        labels = list(rows.values_list("tlp", flat=True))
        assert labels.count(TLP.AMBER_STRICT) > len(labels) // 2
        assert labels.count(TLP.AMBER) == labels.count(TLP.RED) == labels.count(TLP.GREEN) == 1

        # NIS2: an early warning for most, a notification for some, and the final
        # report (with root cause and mitigations) for the closed ransomware wave start.
        assert rows.filter(early_warning_sent_at__isnull=False).count() > rows.count() // 2
        assert rows.filter(notification_sent_at__isnull=False).count() >= 2
        [final] = rows.filter(final_report_sent_at__isnull=False)
        assert final.status == Status.CLOSED and final.root_cause and final.mitigations
        assert final.stage_next is None

        # Over the last three weeks, each step in order, nothing in the future.
        now = timezone.now()
        for incident in rows:
            steps = [
                incident.detected_at,
                incident.created_at,
                incident.acknowledged_at,
                incident.responder_at,
                incident.closed_at,
            ]
            moments = [moment for moment in steps if moment is not None]
            assert moments == sorted(moments), incident.reference
            assert now - timedelta(days=22) < moments[0] and moments[-1] < now
            assert incident.timeline.filter(automatic=True).exists()
        assert not TimelineEvent.objects.filter(occurred_at__gt=now).exists()

        # Case work: tasks in every state, a note saved three times (once merged).
        assert set(Task.objects.values_list("status", flat=True)) == set(Task.Status.values)
        note = Note.objects.get()
        assert note.version == 3 and note.revisions.count() == 3
        assert "rclone" in note.body and "Tor exit" in note.body
        assert verify_chain().intact

    def test_every_incident_names_its_reporting_side(self) -> None:
        umbrella_reports = 0
        for incident in Incident.objects.all():
            named = set(incident.recipient_orgs.values_list("pk", flat=True))
            assert incident.organisation_id in named
            assert incident.organisation.kind == OrganisationKind.HOSPITAL
            if incident.reported_via is not None:
                umbrella_reports += 1
                assert incident.reported_via.pk in named
                assert incident.reported_via.kind == OrganisationKind.UMBRELLA
            assert incident.recipient_people.filter(pk=incident.created_by_id).exists()
            assert access.can_view(incident.created_by, incident)
        assert umbrella_reports >= 2
        assert Incident.objects.values("organisation").distinct().count() >= 6

    def test_responders_have_a_second_factor(self) -> None:
        places = Responder.objects.select_related("person")
        statuses = set(places.values_list("status", flat=True))
        assert {Responder.Status.ACCEPTED, Responder.Status.INVITED} <= statuses
        assert places.filter(status=Responder.Status.DECLINED).exclude(decline_reason="").exists()
        for place in places:
            assert is_mfa_enabled(place.person), place.person.email
            assert place.organisation.is_member
        # The demo log-ins set up their second factor on first sign-in.
        assert not any(is_mfa_enabled(User.objects.get(email=email)) for _, email, _ in PERSONAS)
        # Every incident that is being worked has its team.
        for incident in Incident.objects.filter(
            status__in=[Status.INVESTIGATING, Status.CONTAINED, Status.RECOVERED]
        ):
            assert incident.team().exists(), incident.reference

    def test_the_wave_correlates_across_hospitals(self) -> None:
        coordinator = persona("coordinator")
        rows = Indicator.objects.all()
        assert set(rows.values_list("source", flat=True)) == {Indicator.Source.PASTE}
        for value in demo.WAVE:
            indicator = rows.filter(value=value).order_by("created_at").first()
            assert indicator is not None, value
            counts = indicators.correlation_counts(indicator.incident, coordinator)
            assert counts[indicator.key] >= 2, value
            others = indicators.correlated_incidents(indicator, coordinator)
            organisations = {indicator.incident.organisation_id} | set(
                others.values_list("organisation", flat=True)
            )
            assert len(organisations) >= 3, value
        # Indicators carry their own labels: wider for the wave's public
        # infrastructure, the incident's own for the rest.
        assert {TLP.CLEAR, TLP.GREEN, TLP.AMBER_STRICT, TLP.RED} <= set(
            rows.values_list("tlp", flat=True)
        )
        assert rows.filter(value=demo.ENCRYPTOR_SHA256, tlp=TLP.AMBER_STRICT).count() >= 3

    def test_the_member_feed_holds_only_what_every_member_may_see(self) -> None:
        for name in ("expert", "member_admin", "outsider"):
            feed = indicators.feed(persona(name))
            labels = set(feed.values_list("tlp", flat=True))
            assert feed.exists() and labels <= {TLP.CLEAR, TLP.GREEN}, name
            assert {TLP.CLEAR, TLP.GREEN} == labels
            assert feed.values("incident").distinct().count() >= 3
            assert not feed.filter(value=demo.ENCRYPTOR_SHA256).exists()

    def test_who_sees_what_and_the_researcher(self) -> None:
        [researcher] = User.objects.filter(user_permissions__codename="view_research")
        assert may_research(researcher) and not researcher.is_coordinator
        assert not may_research(persona("umbrella"))
        assert researcher.email in self.output
        assert "Incidents: " in self.output and "Indicators: " in self.output
        total = Incident.objects.count()
        assert f"{total} of {total}" in self.output  # the coordinator
        # Each log-in sees what its labels allow: the requester its own hospital's
        # incidents, the umbrella what it reported, members the TLP:GREEN one.
        green = Incident.objects.get(tlp=TLP.GREEN)
        for name in ("expert", "member_admin", "outsider"):
            assert list(access.visible_to(Incident.objects.all(), persona(name))) == [green]
        requester = persona("requester")
        seen = access.visible_to(Incident.objects.all(), requester).exclude(pk=green.pk)
        assert seen.exists()
        assert all(incident.organisation_id in requester.organisation_ids for incident in seen)
        umbrella = persona("umbrella")
        reported = access.visible_to(Incident.objects.all(), umbrella).exclude(pk=green.pk)
        assert reported.filter(created_by=umbrella).exists()
        red = Incident.objects.get(tlp=TLP.RED)
        assert not access.rule_allows(researcher, red)
