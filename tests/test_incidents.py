"""Reporting and working incidents: the services and their pages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.incidents import services
from ttc.incidents.models import Incident, Note, Responder, Stage, Status, Task
from ttc.incidents.testing import report, report_data, respond
from ttc.members.models import Membership, OrganisationKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def form_data(personas, **overrides):
    data = {
        "organisation": personas.hospital.pk,
        "title": "Ransomware op de SEH",
        "description": "Alle werkplekken tonen een losgeldbrief.",
        "detected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "category": "malicious-code",
        "severity": "4",
        "personal_data": "unknown",
        "contact_name": "Ruud",
        "contact_phone": "+31 50 123 4567",
        "contact_email": "",
        "affected_systems": "",
        "tlp": TLP.AMBER_STRICT,
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


class TestReporting:
    def test_a_hospital_reports_through_the_form(self, personas, client_for):
        client = client_for("requester")
        data = form_data(personas)
        response = client.post(reverse("incident_new"), data, follow=True)
        incident = Incident.objects.get()
        assert response.redirect_chain[-1][0] == incident.get_absolute_url()
        assert re.fullmatch(rf"TTC-{timezone.now().year}-[A-Z2-9]{{5}}", incident.reference)
        assert incident.tlp == TLP.AMBER_STRICT
        assert incident.status == Status.NEW
        assert list(incident.recipient_orgs.all()) == [personas.hospital]
        assert "is reported" in response.content.decode()
        # A second submit of the same form is the same incident.
        client.post(reverse("incident_new"), data)
        assert Incident.objects.count() == 1

    def test_coordinators_are_told_without_content(self, personas):
        incident = report(personas)
        note = Notification.objects.get(recipient=personas.coordinator)
        assert incident.reference in note.title
        assert incident.title not in note.title
        (message,) = [m for m in mail.outbox if personas.coordinator.email in m.to]
        assert "PACS" not in message.body and incident.title not in message.subject

    def test_the_form_keeps_what_was_typed_when_refused(self, personas, client_for):
        client = client_for("requester")
        future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        data = form_data(personas, detected_at=future, description="x" * 100)
        response = client.post(reverse("incident_new"), data)
        assert response.status_code == 200
        assert "lies in the future" in response.content.decode()
        assert "x" * 100 in response.content.decode()
        assert not Incident.objects.exists()

    @pytest.mark.parametrize("persona", ["expert", "outsider", "member_admin"])
    def test_only_care_organisations_report(self, personas, client_for, persona):
        assert client_for(persona).get(reverse("incident_new")).status_code == 403
        with pytest.raises(PermissionDenied):
            services.incident_report(
                author=personas.get(persona), organisation=personas.hospital, data=report_data()
            )

    def test_the_umbrella_reports_for_its_member(self, personas):
        incident = services.incident_report(
            author=personas.umbrella, organisation=personas.hospital, data=report_data()
        )
        assert incident.reported_via == personas.umbrella_org
        assert set(incident.recipient_orgs.all()) == {personas.hospital, personas.umbrella_org}

    def test_red_needs_a_second_factor(self, personas):
        personas.requester.authenticator_set.all().delete()
        with pytest.raises(ValidationError):
            report(personas, tlp=TLP.RED)

    def test_references_say_nothing_of_other_incidents(self, personas, monkeypatch):
        # Random, not counted; a reference drawn twice is drawn again.
        drawn = iter(["TTC-2026-AAAAA", "TTC-2026-AAAAA", "TTC-2026-BBBBB"])
        monkeypatch.setattr(services, "_new_reference", lambda year: next(drawn))
        first, second = report(personas), report(personas)
        assert (first.reference, second.reference) == ("TTC-2026-AAAAA", "TTC-2026-BBBBB")


class TestStatus:
    def test_a_coordinator_acknowledges(self, personas, client_for):
        incident = report(personas)
        client = client_for("coordinator")
        response = client.post(
            reverse("incident_status", args=[incident.reference]), {"status": "acknowledged"}
        )
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.status == Status.ACKNOWLEDGED
        assert incident.acknowledged_by == personas.coordinator
        assert incident.timeline.filter(what__contains="Acknowledged").exists()

    def test_only_allowed_transitions(self, personas):
        incident = report(personas)
        with pytest.raises(ValidationError):
            services.incident_move(
                incident=incident, actor=personas.coordinator, status=Status.CONTAINED
            )
        with pytest.raises(PermissionDenied):
            services.incident_move(
                incident=incident, actor=personas.requester, status=Status.ACKNOWLEDGED
            )
        services.incident_acknowledge(incident=incident, actor=personas.coordinator)
        respond(personas, incident)
        for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RECOVERED, Status.CLOSED):
            incident = services.incident_move(
                incident=incident, actor=personas.expert, status=status
            )
        assert incident.closed_at is not None
        # Reopening is for coordinators.
        with pytest.raises(PermissionDenied):
            services.incident_move(
                incident=incident, actor=personas.expert, status=Status.INVESTIGATING
            )

    def test_a_refused_move_says_why(self, personas, client_for):
        incident = report(personas)
        response = client_for("coordinator").post(
            reverse("incident_status", args=[incident.reference]),
            {"status": "closed"},
            follow=True,
        )
        assert "cannot become" in response.content.decode()


class TestTeam:
    def test_an_invited_expert_sees_only_the_kind_until_accepting(self, personas, client_for):
        incident = report(personas)
        place = services.responder_invite(
            incident=incident, actor=personas.coordinator, person=personas.expert
        )
        client = client_for("expert")
        assert client.get(incident.get_absolute_url()).status_code == 404
        page = client.get(reverse("incident_invitation", args=[place.pk])).content.decode()
        assert incident.reference in page and "Hospital" in page
        assert incident.title not in page and "PACS" not in page
        response = client.post(
            reverse("incident_invitation", args=[place.pk]), {"answer": "accept"}, follow=True
        )
        assert incident.title in response.content.decode()
        incident.refresh_from_db()
        assert incident.responder_at is not None

    def test_the_invitation_is_for_that_person_only(self, personas, client_for):
        incident = report(personas)
        place = services.responder_invite(
            incident=incident, actor=personas.coordinator, person=personas.expert
        )
        url = reverse("incident_invitation", args=[place.pk])
        assert client_for("member_admin").get(url).status_code == 404
        with pytest.raises(PermissionDenied):
            services.responder_answer(place=place, actor=personas.member_admin, accept=True)

    def test_a_responder_needs_a_second_factor(self, personas):
        incident = report(personas)
        personas.expert.authenticator_set.all().delete()
        with pytest.raises(ValidationError, match="two-factor"):
            services.responder_invite(
                incident=incident, actor=personas.coordinator, person=personas.expert
            )

    def test_the_second_factor_is_checked_again_on_accepting(self, personas):
        incident = report(personas)
        place = services.responder_invite(
            incident=incident, actor=personas.coordinator, person=personas.expert
        )
        personas.expert.authenticator_set.all().delete()
        with pytest.raises(ValidationError, match="two-factor"):
            services.responder_answer(place=place, actor=personas.expert, accept=True)

    def test_only_members_respond(self, personas):
        incident = report(personas)
        with pytest.raises(ValidationError, match="vetted member"):
            services.responder_invite(
                incident=incident, actor=personas.coordinator, person=personas.umbrella
            )

    def test_declining_keeps_the_incident_closed_to_them(self, personas, client_for):
        incident = report(personas)
        place = services.responder_invite(
            incident=incident, actor=personas.coordinator, person=personas.expert
        )
        services.responder_answer(
            place=place, actor=personas.expert, accept=False, reason="Op vakantie"
        )
        assert client_for("expert").get(incident.get_absolute_url()).status_code == 404

    def test_leaving_the_team_ends_access(self, personas, client_for):
        incident = report(personas)
        place = respond(personas, incident)
        client = client_for("expert")
        assert client.get(incident.get_absolute_url()).status_code == 200
        client.post(reverse("incident_responder_remove", args=[incident.reference, place.pk]))
        assert client.get(incident.get_absolute_url()).status_code == 404

    def test_the_team_page_ranks_security_experts(self, personas, client_for):
        from ttc.helprequests.testing import make_market

        make_market(personas)  # the expert has Incident response, free hours and consent
        incident = report(personas)
        page = client_for("coordinator").get(reverse("incident_team", args=[incident.reference]))
        assert page.status_code == 200
        candidates = services.responder_candidates(incident)
        assert [c.person for c in candidates] == [personas.expert]
        assert candidates[0].problem is None
        client_for("coordinator").post(
            reverse("incident_team", args=[incident.reference]), {"person": personas.expert.pk}
        )
        assert Responder.objects.get(incident=incident).person == personas.expert
        # Asked once: not a candidate again.
        assert services.responder_candidates(incident) == []

    def test_only_coordinators_assemble_teams(self, personas, client_for):
        incident = report(personas)
        url = reverse("incident_team", args=[incident.reference])
        assert client_for("requester").get(url).status_code == 403


class TestDeadlines:
    def test_a_missed_deadline_is_told_once(self, personas):
        incident = report(personas)  # critical: 15 minutes to acknowledge, 60 for a responder
        Notification.objects.all().delete()
        assert services.deadlines_check(now=incident.created_at + timedelta(minutes=10)) == (
            services.DeadlineReport(0, 0)
        )
        later = incident.created_at + timedelta(minutes=16)
        assert services.deadlines_check(now=later) == services.DeadlineReport(1, 0)
        assert services.deadlines_check(now=later) == services.DeadlineReport(0, 0)
        told = set(Notification.objects.values_list("recipient__email", flat=True))
        assert told == {personas.coordinator.email, personas.requester.email}
        assert services.deadlines_check(
            now=incident.created_at + timedelta(minutes=61)
        ) == services.DeadlineReport(0, 1)
        assert AuditEvent.objects.filter(action="incident.deadline.acknowledge").count() == 1

    def test_deadlines_follow_severity(self, personas, settings):
        low = report(personas, severity=1)
        assert low.acknowledge_due - low.created_at == timedelta(hours=24)
        critical = report(personas, severity=4)
        assert critical.responder_due - critical.created_at == timedelta(hours=1)

    def test_the_page_shows_the_clocks(self, personas, client_for):
        incident = report(personas)
        page = client_for("coordinator").get(incident.get_absolute_url()).content.decode()
        assert "Response deadlines" in page and "left" in page
        Incident.objects.filter(pk=incident.pk).update(
            created_at=timezone.now() - timedelta(minutes=30)
        )
        page = client_for("coordinator").get(reverse("incident_list")).content.decode()
        assert "Overdue" in page

    def test_clocks_refresh_as_a_partial(self, personas, client_for):
        incident = report(personas)
        response = client_for("requester").get(
            incident.get_absolute_url() + "?part=clocks", HTTP_HX_REQUEST="true"
        )
        content = response.content.decode()
        assert "Response deadlines" in content and "<html" not in content


class TestCaseWork:
    def test_timeline_tasks_and_notes_through_the_pages(self, personas, client_for):
        incident = report(personas)
        respond(personas, incident)
        client = client_for("expert")
        client.post(
            reverse("incident_timeline_add", args=[incident.reference]),
            {"occurred_at": "2026-11-29T03:05", "source": "EDR", "what": "Eerste versleuteling"},
        )
        client.post(
            reverse("incident_task_create", args=[incident.reference]),
            {"title": "Back-ups controleren", "owner": personas.requester.pk},
        )
        client.post(
            reverse("incident_note_new", args=[incident.reference]),
            {"title": "Bevindingen", "body": "Eerste regel."},
        )
        page = client.get(incident.get_absolute_url()).content.decode()
        assert "Eerste versleuteling" in page and "Back-ups controleren" in page
        assert "Bevindingen" in page
        task = Task.objects.get()
        client.post(reverse("incident_task_update", args=[task.pk]), {"status": "done"})
        task.refresh_from_db()
        assert task.status == Task.Status.DONE
        # The owner was told.
        assert Notification.objects.filter(recipient=personas.requester, title__contains="task")

    def test_a_task_owner_must_work_on_the_incident(self, personas):
        incident = report(personas)
        with pytest.raises(ValidationError):
            services.task_create(
                incident=incident, actor=personas.coordinator, title="x", owner=personas.outsider
            )

    @pytest.mark.parametrize("persona", ["outsider", "expert", "anonymous"])
    def test_strangers_do_no_case_work(self, personas, client_for, persona):
        incident = report(personas, tlp=TLP.GREEN)
        client = client_for(persona)
        response = client.post(
            reverse("incident_note_new", args=[incident.reference]), {"title": "t", "body": "b"}
        )
        assert response.status_code in (302, 403, 404)
        assert not Note.objects.exists()

    def test_a_refused_timeline_entry_comes_back_whole(self, personas, client_for):
        incident = report(personas)
        response = client_for("requester").post(
            reverse("incident_timeline_add", args=[incident.reference]),
            {"occurred_at": "not a time", "what": "Wat ik zag om drie uur"},
        )
        assert response.status_code == 400
        assert "Wat ik zag om drie uur" in response.content.decode()


class TestNotes:
    def test_edits_to_different_parts_are_merged(self, personas):
        incident = report(personas)
        note = services.note_create(
            incident=incident,
            actor=personas.coordinator,
            title="Bevindingen",
            body="Eerste alinea.\n\nTweede alinea.\n",
        )
        services.note_save(
            note=note,
            actor=personas.requester,
            title="Bevindingen",
            body="Eerste alinea, aangevuld.\n\nTweede alinea.\n",
            base_version=1,
        )
        saved = services.note_save(
            note=note,
            actor=personas.coordinator,
            title="Bevindingen",
            body="Eerste alinea.\n\nTweede alinea, ook aangevuld.\n",
            base_version=1,
        )
        assert saved.merged
        assert saved.note.body == "Eerste alinea, aangevuld.\n\nTweede alinea, ook aangevuld."
        assert saved.note.version == 3

    def test_a_conflict_shows_both_versions_and_loses_nothing(self, personas, client_for):
        incident = report(personas)
        note = services.note_create(
            incident=incident,
            actor=personas.coordinator,
            title="Plan",
            body="Herstel vanaf tape.\n",
        )
        url = reverse("incident_note_edit", args=[note.pk])
        first, second = client_for("requester"), client_for("coordinator")
        first.get(url)
        second.get(url)
        first.post(url, {"title": "Plan", "body": "Herstel vanaf de cloud.\n", "base_version": 1})
        response = second.post(
            url, {"title": "Plan", "body": "Herstel vanaf de NAS.\n", "base_version": 1}
        )
        assert response.status_code == 409
        content = response.content.decode()
        assert "Herstel vanaf de cloud." in content and "Herstel vanaf de NAS." in content
        assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt;" in content
        note.refresh_from_db()
        assert note.body == "Herstel vanaf de cloud."
        # Saving the markers is refused; a resolved text is saved on top.
        marked = response.context["form"].initial["body"]
        refused = second.post(url, {"title": "Plan", "body": marked, "base_version": 2})
        assert "conflict markers" in refused.content.decode()
        second.post(
            url, {"title": "Plan", "body": "Herstel vanaf de cloud of de NAS.\n", "base_version": 2}
        )
        note.refresh_from_db()
        assert note.body == "Herstel vanaf de cloud of de NAS." and note.version == 3
        assert note.revisions.count() == 3


class TestNis2:
    def test_stages_are_due_from_detection(self, personas):
        detected = timezone.now() - timedelta(hours=2)
        incident = report(personas, detected_at=detected)
        assert incident.stage_next == Stage.EARLY_WARNING
        assert incident.stage_due(Stage.EARLY_WARNING) == detected + timedelta(hours=24)
        assert incident.stage_due(Stage.NOTIFICATION) == detected + timedelta(hours=72)
        assert incident.stage_due(Stage.FINAL) == detected + timedelta(hours=72, days=30)

    def test_stages_are_sent_in_order_with_what_they_need(self, personas, client_for):
        incident = report(personas)
        with pytest.raises(ValidationError, match="earlier"):
            services.stage_mark_sent(
                incident=incident, actor=personas.requester, stage=Stage.NOTIFICATION
            )
        services.stage_mark_sent(
            incident=incident, actor=personas.requester, stage=Stage.EARLY_WARNING
        )
        with pytest.raises(ValidationError, match="impact"):
            services.stage_mark_sent(
                incident=incident, actor=personas.requester, stage=Stage.NOTIFICATION
            )
        client = client_for("requester")
        client.post(
            reverse("incident_report_edit", args=[incident.reference]),
            {
                "severity": "4",
                "impact": "Radiologie twee dagen dicht.",
                "root_cause": "",
                "mitigations": "",
            },
        )
        client.post(reverse("incident_stage_sent", args=[incident.reference, "notification"]))
        incident.refresh_from_db()
        assert incident.notification_sent_at is not None
        assert incident.stage_next == Stage.FINAL
        assert incident.stage_due(Stage.FINAL) == incident.notification_sent_at + timedelta(days=30)

    def test_each_report_prints_and_downloads_as_markdown(self, personas, client_for):
        incident = report(personas)
        services.report_update(
            incident=incident,
            actor=personas.requester,
            impact="Radiologie dicht.",
            root_cause="Phishing.",
            mitigations="MFA overal.",
        )
        client = client_for("requester")
        page = client.get(reverse("incident_stage_report", args=[incident.reference, "final"]))
        assert "Phishing." in page.content.decode()
        markdown = client.get(
            reverse("incident_stage_report", args=[incident.reference, "final"]) + "?format=md"
        )
        assert markdown["Content-Type"].startswith("text/markdown")
        text = markdown.content.decode()
        assert text.startswith(f"# Final report: {incident.reference}")
        assert "TLP:AMBER+STRICT" in text and "MFA overal." in text
        early = client.get(
            reverse("incident_stage_report", args=[incident.reference, "early_warning"])
            + "?format=md"
        ).content.decode()
        assert "Phishing." not in early
        assert (
            client.get(
                reverse("incident_stage_report", args=[incident.reference, "bogus"])
            ).status_code
            == 404
        )


class TestAccess:
    def test_another_care_organisation_sees_nothing(self, personas, client_for):
        other = make_organisation("Ziekenhuis Elders", OrganisationKind.HOSPITAL)
        person = make_user("ciso@elders.test")
        Membership.objects.create(user=person, organisation=other, role="admin")
        incident = report(personas)
        client = client_for("coordinator")
        client.force_login(person)
        assert client.get(incident.get_absolute_url()).status_code == 404
        assert incident.reference not in client.get(reverse("incident_list")).content.decode()

    def test_leaving_the_hospital_ends_the_reporters_access(self, personas, client_for):
        incident = report(personas)
        client = client_for("requester")
        assert client.get(incident.get_absolute_url()).status_code == 200
        Membership.objects.filter(user=personas.requester).delete()
        assert client.get(incident.get_absolute_url()).status_code == 404

    def test_status_changes_tell_the_case_and_nobody_else(self, personas):
        incident = report(personas)
        respond(personas, incident)
        Notification.objects.all().delete()
        services.incident_acknowledge(incident=incident, actor=personas.coordinator)
        told = set(Notification.objects.values_list("recipient__email", flat=True))
        assert told == {personas.expert.email, personas.requester.email}


def test_the_deadline_task_runs_the_check(personas):
    from ttc.incidents.tasks import incident_deadlines

    incident = report(personas)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    assert incident_deadlines.enqueue().return_value == {"acknowledge": 1, "responder": 0}


def test_a_responder_whose_member_is_suspended_loses_access(personas, client_for):
    from ttc.members.models import MemberStatus

    incident = report(personas)
    respond(personas, incident)
    client = client_for("expert")
    assert client.get(incident.get_absolute_url()).status_code == 200
    personas.member_company.status = MemberStatus.SUSPENDED
    personas.member_company.save(update_fields=["status"])
    assert client.get(incident.get_absolute_url()).status_code == 404
    assert personas.expert not in incident.team()


def test_a_member_with_a_conflict_of_interest_is_not_invited(personas):
    from ttc.helprequests.models import ConflictOfInterest

    ConflictOfInterest.objects.create(
        member=personas.member_company,
        public_party=personas.hospital,
        description="Levert het EPD",
        declared_by=personas.member_admin,
    )
    incident = report(personas)
    with pytest.raises(ValidationError, match="conflict of interest"):
        services.responder_invite(
            incident=incident, actor=personas.coordinator, person=personas.expert
        )


@pytest.mark.parametrize("data", [{}, {"person": "abc"}, {"person": "99999"}, {"score": "x"}])
def test_a_damaged_invitation_form_says_so_and_changes_nothing(personas, client_for, data):
    incident = report(personas)
    response = client_for("coordinator").post(
        reverse("incident_team", args=[incident.reference]), data, follow=True
    )
    assert response.status_code == 200
    assert "Choose a person from the list." in response.content.decode()
    assert not Responder.objects.exists()
