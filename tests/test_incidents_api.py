"""The incidents API: reporting, the response team, case work, the NIS2 reports,
indicators, exports and the member feed, through HTTP and the access policy."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stix2validator import ValidationOptions, validate_string

from ttc.accounts import services as account_services
from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.incidents import indicators, services
from ttc.incidents.models import (
    Incident,
    Indicator,
    Note,
    NoteRevision,
    Responder,
    Status,
    Task,
    TimelineEvent,
)
from ttc.incidents.testing import VENDOR_REPORT, add_indicators, report, respond
from ttc.members.models import Membership, OrganisationKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

API = "/api/v1"
C2_ADDRESS = "185.220.101.47"
REFANGED = {
    "invoice@factuur-zorg.nl",
    "https://factuur-zorg.nl/download/Factuur_2026.zip",
    "Factuur_2026.exe",
    "0c5a4f3e1d2b6a7c8e9f00112233445566778899aabbccddeeff001122334455",
    C2_ADDRESS,
    "update-check.example-c2.com",
    "44d88612fea8a8f36de82e1278abb02f",
}


# --- helpers ------------------------------------------------------------------------------


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user: User, scope: str = "write") -> str:
    return account_services.api_token_create(user=user, name="script", scope=scope)[1]


def call(client: Client, method: str, url: str, payload: object = None, **extra):
    if method == "get":
        return client.get(url, **extra)
    if method == "delete":
        return client.delete(url, **extra)
    body = payload if isinstance(payload, bytes) else json.dumps(payload or {})
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def post(client: Client, url: str, payload: object = None, **extra):
    return call(client, "post", url, payload, **extra)


def ok(response, status: int = 200):
    assert response.status_code == status, response.content[:1000]
    return response.json()


def problem(response, status: int):
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail
    return detail


def report_payload(personas, **overrides) -> dict:
    fields = {
        "organisation_id": personas.hospital.pk,
        "title": "Ransomware op de afdeling radiologie",
        "description": "Om 03:10 zijn de PACS-servers **versleuteld**.",
        "detected_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "category": "malicious-code",
        "severity": 4,
        "contact_name": "Ruud Requester",
        "contact_phone": "+31 50 123 4567",
        "contact_email": "ciso@noorderlicht.test",
        "affected_systems": "PACS, twee fileservers",
        "personal_data": "unknown",
        "tlp": "amber+strict",
    }
    fields.update(overrides)
    return fields


def incident_url(incident: Incident, rest: str = "") -> str:
    return f"{API}/incidents/{incident.reference}{rest}"


def stix_errors(content: str) -> list[str]:
    results = validate_string(content, ValidationOptions(version="2.1"))
    return [str(error) for error in results.errors]


def csv_values(content: bytes) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    return {row["value"] for row in rows}


def touched() -> dict[str, int]:
    """Everything case work writes, counted: a refused call changes none of it."""
    return {
        "timeline": TimelineEvent.objects.count(),
        "tasks": Task.objects.count(),
        "notes": NoteRevision.objects.count(),
        "indicators": Indicator.objects.count(),
        "places": Responder.objects.count(),
        "statuses": Incident.objects.exclude(status=Status.NEW).count(),
        "sent": Incident.objects.exclude(early_warning_sent_at=None).count(),
    }


# --- reporting ----------------------------------------------------------------------------


def test_a_hospital_reports_with_a_write_token(personas):
    key = str(uuid.uuid4())
    raw = token_for(personas.requester)
    first = post(
        Client(), f"{API}/incidents", report_payload(personas, submission_key=key), **bearer(raw)
    )
    body = ok(first, 201)
    incident = Incident.objects.get()
    assert body["reference"] == incident.reference
    assert body["status"] == "new"
    assert body["tlp"] == "amber+strict"
    assert body["organisation"] == {"id": personas.hospital.pk, "name": "Ziekenhuis Noorderlicht"}
    assert "<strong>versleuteld</strong>" in body["description_html"]
    assert body["contact"]["phone"] == "+31 50 123 4567"
    assert body["may_work_on"] is True
    assert body["team"] == []
    # The clocks start at once: severity 4 is acknowledged within 15 minutes.
    due = datetime.fromisoformat(body["acknowledge_due"])
    assert due - datetime.fromisoformat(body["reported_at"]) == timedelta(minutes=15)
    assert body["acknowledge_overdue"] is False and body["overdue"] is False
    assert body["report"]["stage_next"] == "early_warning"
    # JSON carries milliseconds.
    stage_due = datetime.fromisoformat(body["report"]["stage_next_due"])
    assert abs(stage_due - incident.stage_due("early_warning")) < timedelta(milliseconds=1)
    assert body["next_statuses"] == ["acknowledged"]
    assert incident.created_by == personas.requester
    assert AuditEvent.objects.filter(action="incident.report").count() == 1

    # The same form twice (a retry after a timeout) is one incident, answered 200.
    again = post(
        Client(), f"{API}/incidents", report_payload(personas, submission_key=key), **bearer(raw)
    )
    assert ok(again, 200)["reference"] == incident.reference
    assert Incident.objects.count() == 1
    # Nobody else can claim the key.
    umbrella = Client()
    umbrella.force_login(personas.umbrella)
    problem(post(umbrella, f"{API}/incidents", report_payload(personas, submission_key=key)), 403)
    assert Incident.objects.count() == 1


def test_an_umbrella_reports_for_its_hospital(personas, client_for):
    body = ok(post(client_for("umbrella"), f"{API}/incidents", report_payload(personas)), 201)
    assert body["reported_via"] == {"id": personas.umbrella_org.pk, "name": "Zorgkoepel Nederland"}


@pytest.mark.parametrize("persona", ["expert", "outsider", "member_admin", "coordinator"])
def test_only_care_organisations_report(personas, client_for, persona):
    response = post(client_for(persona), f"{API}/incidents", report_payload(personas))
    assert "care organisation" in problem(response, 403)
    assert not Incident.objects.exists()


def test_a_refused_report_names_the_field_and_saves_nothing(personas, client_for):
    client = client_for("requester")
    future = (timezone.now() + timedelta(days=1)).isoformat()
    detail = problem(
        post(client, f"{API}/incidents", report_payload(personas, detected_at=future)), 400
    )
    assert "future" in detail["detected_at"][0]
    naive = (datetime.now() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    detail = problem(
        post(client, f"{API}/incidents", report_payload(personas, detected_at=naive)), 400
    )
    assert "time zone" in detail["detected_at"][0]
    detail = problem(post(client, f"{API}/incidents", report_payload(personas, title=" ")), 400)
    assert "title" in detail
    detail = problem(
        post(client, f"{API}/incidents", report_payload(personas, contact_email="geen adres")), 400
    )
    assert "contact_email" in detail
    problem(post(client, f"{API}/incidents", report_payload(personas, severity=9)), 422)
    problem(post(client, f"{API}/incidents", report_payload(personas, submission_key="x")), 422)
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.report").exists()


def test_a_read_only_token_reports_nothing(personas):
    raw = token_for(personas.requester, scope="read")
    problem(post(Client(), f"{API}/incidents", report_payload(personas), **bearer(raw)), 403)
    assert not Incident.objects.exists()


# --- reading ------------------------------------------------------------------------------


def test_the_list_shows_what_the_label_allows_with_filters(personas, client_for):
    secret = report(personas, title="Versleutelde PACS-servers")
    shared = report(
        personas, title="Phishing bij de SEH", tlp=TLP.GREEN, severity=2, category="fraud"
    )
    public = report(
        personas, title="DDoS op de website", tlp=TLP.CLEAR, severity=1, category="availability"
    )

    def titles(client, query=""):
        body = ok(client.get(f"{API}/incidents{query}"))
        return [row["title"] for row in body["results"]]

    # The most severe first.
    assert titles(client_for("requester")) == [secret.title, shared.title, public.title]
    assert titles(client_for("outsider")) == [shared.title, public.title]
    assert titles(client_for("anonymous")) == [public.title]
    requester = client_for("requester")
    assert titles(requester, "?severity=2") == [shared.title]
    assert titles(requester, "?category=availability") == [public.title]
    assert titles(requester, "?q=pacs") == [secret.title]
    assert titles(requester, f"?q={shared.reference}") == [shared.title]
    assert titles(requester, "?status=open&limit=1&page=2") == [shared.title]
    assert ok(requester.get(f"{API}/incidents?limit=1"))["count"] == 3
    services.incident_move(incident=public, actor=personas.coordinator, status="acknowledged")
    services.incident_move(incident=public, actor=personas.coordinator, status="closed")
    assert titles(requester, "?status=closed") == [public.title]
    assert titles(requester, "?status=open") == [secret.title, shared.title]
    problem(requester.get(f"{API}/incidents?status=lost"), 422)


def test_lists_answer_in_a_fixed_number_of_queries(personas, client_for):
    def queries(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    first = report(personas)
    respond(personas, first)
    add_indicators(personas, first, [("domain", "one-c2.nl")], tlp=TLP.GREEN)
    services.task_create(incident=first, actor=personas.coordinator, title="Een")
    services.note_create(incident=first, actor=personas.coordinator, title="Een", body="Een.")
    urls = [
        f"{API}/incidents",
        f"{API}/indicators?q=c2",
        incident_url(first, "/indicators"),
        incident_url(first, "/tasks"),
        incident_url(first, "/notes"),
        incident_url(first, "/timeline"),
    ]
    client = client_for("requester")
    before = {url: queries(client, url) for url in urls}
    for number in range(4):
        other = report(personas, title=f"Incident {number}")
        add_indicators(personas, other, [("domain", f"c2-{number}.nl")], tlp=TLP.GREEN)
        add_indicators(personas, first, [("domain", f"more-{number}-c2.nl")], tlp=TLP.GREEN)
        services.task_create(
            incident=first,
            actor=personas.coordinator,
            title=f"Taak {number}",
            owner=personas.expert,
        )
        services.note_create(
            incident=first, actor=personas.requester, title=f"Notitie {number}", body="Tekst."
        )
    assert {url: queries(client, url) for url in urls} == before


def test_a_confidential_read_is_audited(personas, client_for):
    incident = report(personas)
    ok(client_for("requester").get(incident_url(incident)))
    ok(client_for("requester").get(f"{API}/incidents"))
    surfaces = set(
        AuditEvent.objects.filter(action="view", object_id=str(incident.pk)).values_list(
            "data__surface", flat=True
        )
    )
    assert {"api", "api list"} <= surfaces


def test_a_reader_who_does_not_work_the_case_sees_no_contact_and_no_case_work(personas, client_for):
    incident = report(personas, tlp=TLP.GREEN)
    client = client_for("outsider")
    body = ok(client.get(incident_url(incident)))
    assert body["title"] == incident.title
    assert body["contact"] is None
    assert body["may_work_on"] is False
    for rest in ("/timeline", "/tasks", "/notes"):
        problem(client.get(incident_url(incident, rest)), 403)
    before = touched()
    problem(post(client, incident_url(incident, "/notes"), {"title": "x", "body": "y"}), 403)
    problem(
        post(
            client,
            incident_url(incident, "/indicators"),
            {"indicators": [{"kind": "ipv4", "value": C2_ADDRESS}]},
        ),
        403,
    )
    problem(post(client, incident_url(incident, "/status"), {"status": "acknowledged"}), 403)
    assert touched() == before


# --- hidden from whoever may not read it ---------------------------------------------------


def every_endpoint(personas, incident: Incident) -> list[tuple[str, str, object]]:
    """Every path about one incident, with a payload that would otherwise be accepted."""
    place = services.responder_invite(
        incident=incident, actor=personas.coordinator, person=personas.member_admin
    )
    task = services.task_create(incident=incident, actor=personas.coordinator, title="Back-ups")
    note = services.note_create(
        incident=incident, actor=personas.coordinator, title="Bevindingen", body="Eerste."
    )
    add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
    indicator = Indicator.objects.get(incident=incident)
    now = timezone.now().isoformat()
    return [
        ("get", incident_url(incident), None),
        ("post", incident_url(incident, "/status"), {"status": "acknowledged"}),
        ("get", incident_url(incident, "/team/candidates"), None),
        ("post", incident_url(incident, "/team"), {"person_id": personas.expert.pk}),
        ("delete", incident_url(incident, f"/team/{place.pk}"), None),
        ("get", incident_url(incident, "/timeline"), None),
        ("post", incident_url(incident, "/timeline"), {"occurred_at": now, "what": "Gezien"}),
        ("get", incident_url(incident, "/tasks"), None),
        ("post", incident_url(incident, "/tasks"), {"title": "Logs veiligstellen"}),
        ("patch", f"{API}/incident-tasks/{task.pk}", {"status": "done"}),
        ("get", incident_url(incident, "/notes"), None),
        ("post", incident_url(incident, "/notes"), {"title": "Nieuw", "body": "Tekst"}),
        ("get", f"{API}/incident-notes/{note.pk}", None),
        ("put", f"{API}/incident-notes/{note.pk}", {"title": "T", "body": "B", "base_version": 1}),
        ("patch", incident_url(incident, "/report"), {"impact": "Groot"}),
        ("post", incident_url(incident, "/report/early_warning/sent"), None),
        ("get", incident_url(incident, "/indicators"), None),
        (
            "post",
            incident_url(incident, "/indicators"),
            {"indicators": [{"kind": "domain", "value": "evil-c2.nl"}]},
        ),
        ("post", incident_url(incident, "/indicators/extract"), {"text": VENDOR_REPORT}),
        ("post", incident_url(incident, "/indicators/import"), b'{"type": "bundle"}'),
        ("get", incident_url(incident, "/export/stix"), None),
        ("get", incident_url(incident, "/export/misp"), None),
        ("get", incident_url(incident, "/export/csv"), None),
        ("get", f"{API}/indicators/{indicator.uuid}", None),
    ]


@pytest.mark.parametrize("persona", ["outsider", "expert", "member_admin", "umbrella"])
def test_every_incident_endpoint_answers_404_to_whoever_may_not_read_it(
    personas, client_for, persona
):
    """The expert is not on the team (the member admin only invited): like the
    outsider they learn nothing, not even that the incident exists."""
    incident = report(personas)
    endpoints = every_endpoint(personas, incident)
    raw = token_for(personas.get(persona))
    before = touched()
    audit_before = AuditEvent.objects.count()
    client = client_for(persona)
    for method, url, payload in endpoints:
        response = call(client, method, url, payload)
        assert response.status_code == 404, (method, url, response.content[:300])
        assert incident.title not in response.content.decode()
    # A token answers the same.
    for method, url, payload in endpoints:
        assert call(Client(), method, url, payload, **bearer(raw)).status_code == 404, url
    assert touched() == before
    assert AuditEvent.objects.count() == audit_before
    listed = ok(client.get(f"{API}/incidents"))
    assert listed["count"] == 0
    found = ok(client.get(f"{API}/indicators?q={C2_ADDRESS}"))
    assert found["count"] == 0


def test_anonymous_visitors_are_asked_to_sign_in_or_get_404(personas, client_for):
    incident = report(personas)
    client = client_for("anonymous")
    for method, url, payload in every_endpoint(personas, incident):
        response = call(client, method, url, payload)
        assert response.status_code in (401, 404), (method, url, response.status_code)
        assert incident.title not in response.content.decode()


def test_a_missing_incident_is_404_too(personas, client_for):
    client = client_for("coordinator")
    problem(client.get(f"{API}/incidents/TTC-1999-0001"), 404)
    problem(client.get(f"{API}/indicators/{uuid.uuid4()}"), 404)
    problem(call(client, "patch", f"{API}/incident-tasks/999999", {"status": "done"}), 404)


# --- the response team --------------------------------------------------------------------


def test_a_responder_sees_the_incident_after_accepting(personas, client_for):
    incident = report(personas)
    coordinator = client_for("coordinator")
    place = ok(
        post(coordinator, incident_url(incident, "/team"), {"person_id": personas.expert.pk}), 201
    )
    assert place["person"] == {"id": personas.expert.pk, "name": "Eva Expert"}
    assert place["status"] == "invited"
    assert place["email"] == personas.expert.email

    expert = client_for("expert")
    problem(expert.get(incident_url(incident)), 404)
    (invitation,) = ok(expert.get(f"{API}/incident-invitations"))
    assert invitation["reference"] == incident.reference
    assert invitation["severity"] == 4
    assert invitation["organisation_kind"] == "Hospital"
    assert invitation["url"] is None
    assert incident.title not in json.dumps(invitation)
    # Another person cannot answer it.
    problem(
        post(
            client_for("outsider"),
            f"{API}/incident-invitations/{place['id']}/answer",
            {"accept": True},
        ),
        404,
    )

    answered = ok(
        post(expert, f"{API}/incident-invitations/{place['id']}/answer", {"accept": True})
    )
    assert answered["status"] == "accepted"
    assert answered["url"] == incident.get_absolute_url()
    body = ok(expert.get(incident_url(incident)))
    assert body["title"] == incident.title
    assert body["may_work_on"] is True
    assert body["responder_at"] is not None
    assert ok(expert.get(f"{API}/incident-invitations")) == []
    assert len(ok(expert.get(f"{API}/incident-invitations?status=accepted"))) == 1
    # The team by name only; e-mail addresses for coordinators alone.
    team = body["team"]
    assert [member["person"]["name"] for member in team] == ["Eva Expert"]
    assert team[0]["email"] is None
    assert "@" not in json.dumps(ok(client_for("requester").get(incident_url(incident)))["team"])
    assert ok(coordinator.get(incident_url(incident)))["team"][0]["email"] == personas.expert.email
    # Answered once.
    problem(
        post(expert, f"{API}/incident-invitations/{place['id']}/answer", {"accept": False}), 400
    )


def test_a_declined_invitation_keeps_the_incident_closed(personas, client_for):
    incident = report(personas)
    place = services.responder_invite(
        incident=incident, actor=personas.coordinator, person=personas.expert
    )
    expert = client_for("expert")
    answered = ok(
        post(
            expert,
            f"{API}/incident-invitations/{place.pk}/answer",
            {"accept": False, "reason": "Op vakantie"},
        )
    )
    assert answered["status"] == "declined"
    problem(expert.get(incident_url(incident)), 404)
    team = ok(client_for("coordinator").get(incident_url(incident)))["team"]
    assert team[0]["decline_reason"] == "Op vakantie"
    assert ok(client_for("requester").get(incident_url(incident)))["team"] == []


def test_coordinators_rank_and_invite_candidates(personas, client_for):
    from ttc.helprequests.testing import make_market

    make_market(personas)
    incident = report(personas)
    coordinator = client_for("coordinator")
    (candidate,) = ok(coordinator.get(incident_url(incident, "/team/candidates")))
    assert candidate["person"]["id"] == personas.expert.pk
    assert candidate["organisation"]["name"] == "Veilig Netwerk B.V."
    assert candidate["problem"] is None
    assert candidate["score"] > 0
    problem(client_for("requester").get(incident_url(incident, "/team/candidates")), 403)
    problem(
        post(
            client_for("requester"),
            incident_url(incident, "/team"),
            {"person_id": personas.expert.pk},
        ),
        403,
    )
    detail = problem(
        post(coordinator, incident_url(incident, "/team"), {"person_id": personas.requester.pk}),
        400,
    )
    assert "vetted member" in str(detail)
    problem(post(coordinator, incident_url(incident, "/team"), {"person_id": 999_999}), 400)
    ok(
        post(
            coordinator,
            incident_url(incident, "/team"),
            {"person_id": personas.expert.pk, "score": candidate["score"]},
        ),
        201,
    )
    assert ok(coordinator.get(incident_url(incident, "/team/candidates"))) == []
    assert Responder.objects.get().score == pytest.approx(candidate["score"])


def test_a_responder_leaves_the_team(personas, client_for):
    incident = report(personas)
    place = respond(personas, incident)
    expert = client_for("expert")
    problem(
        call(client_for("requester"), "delete", incident_url(incident, f"/team/{place.pk}")), 403
    )
    assert call(expert, "delete", incident_url(incident, f"/team/{place.pk}")).status_code == 204
    problem(expert.get(incident_url(incident)), 404)


# --- status -------------------------------------------------------------------------------


def test_status_moves_along_the_allowed_transitions_only(personas, client_for):
    incident = report(personas)
    respond(personas, incident)
    coordinator, expert, requester = (
        client_for(name) for name in ("coordinator", "expert", "requester")
    )
    url = incident_url(incident, "/status")
    # Coordinators acknowledge.
    problem(post(expert, url, {"status": "acknowledged"}), 403)
    body = ok(post(coordinator, url, {"status": "acknowledged", "note": "Bellen om 04:00"}))
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] is not None
    assert set(body["next_statuses"]) == {"investigating", "closed"}
    # The reporting side reads along but does not move it.
    problem(post(requester, url, {"status": "investigating"}), 403)
    assert ok(post(expert, url, {"status": "investigating"}))["status"] == "investigating"
    detail = problem(post(expert, url, {"status": "closed"}), 400)
    assert "cannot become" in detail[0]
    problem(post(expert, url, {"status": "lost"}), 422)
    assert ok(post(expert, url, {"status": "contained"}))["status"] == "contained"
    assert ok(post(expert, url, {"status": "recovered"}))["status"] == "recovered"
    assert ok(post(expert, url, {"status": "closed"}))["status"] == "closed"
    # Only coordinators reopen.
    problem(post(expert, url, {"status": "investigating"}), 403)
    assert ok(post(coordinator, url, {"status": "investigating"}))["closed_at"] is None
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.timeline.filter(what__contains="Bellen om 04:00").exists()


# --- case work ----------------------------------------------------------------------------


def test_timeline_and_tasks(personas, client_for):
    incident = report(personas)
    respond(personas, incident)
    requester, expert = client_for("requester"), client_for("expert")
    when = (timezone.now() - timedelta(hours=2)).isoformat()
    event = ok(
        post(
            requester,
            incident_url(incident, "/timeline"),
            {"occurred_at": when, "source": "SIEM", "what": "Eerste alarm"},
        ),
        201,
    )
    assert event["author"] == "Ruud Requester"
    assert event["automatic"] is False
    events = ok(expert.get(incident_url(incident, "/timeline")))
    assert "Eerste alarm" in [row["what"] for row in events]
    assert any(row["automatic"] for row in events)  # "Incident reported."
    naive = datetime.now().replace(tzinfo=None).isoformat()
    problem(
        post(requester, incident_url(incident, "/timeline"), {"occurred_at": naive, "what": "x"}),
        400,
    )

    task = ok(
        post(
            requester,
            incident_url(incident, "/tasks"),
            {"title": "Back-ups controleren", "owner_id": personas.expert.pk},
        ),
        201,
    )
    assert task["owner"] == {"id": personas.expert.pk, "name": "Eva Expert"}
    assert task["status"] == "open"
    detail = problem(
        post(
            requester,
            incident_url(incident, "/tasks"),
            {"title": "x", "owner_id": personas.outsider.pk},
        ),
        400,
    )
    assert "owner" in detail
    url = f"{API}/incident-tasks/{task['id']}"
    changed = ok(call(expert, "patch", url, {"status": "done"}))
    assert changed["status"] == "done"
    assert changed["owner"]["id"] == personas.expert.pk  # not sent: unchanged
    cleared = ok(call(expert, "patch", url, {"owner_id": None, "title": "Back-ups terugzetten"}))
    assert cleared["owner"] is None
    assert cleared["title"] == "Back-ups terugzetten"
    assert cleared["status"] == "done"
    problem(call(expert, "patch", url, {"status": "someday"}), 422)
    problem(call(client_for("outsider"), "patch", url, {"status": "open"}), 404)
    assert [row["title"] for row in ok(requester.get(incident_url(incident, "/tasks")))] == [
        "Back-ups terugzetten"
    ]


def test_note_edits_merge_cleanly_or_answer_409_with_both_versions(personas, client_for):
    incident = report(personas)
    respond(personas, incident)
    requester, expert = client_for("requester"), client_for("expert")
    base = "Eerste alinea.\n\nTweede alinea.\n\nDerde alinea."
    note = ok(
        post(requester, incident_url(incident, "/notes"), {"title": "Bevindingen", "body": base}),
        201,
    )
    assert note["version"] == 1
    url = f"{API}/incident-notes/{note['id']}"

    first = ok(
        call(
            expert,
            "put",
            url,
            {
                "title": "Bevindingen",
                "body": base.replace("Eerste", "Eerste, aangevuld"),
                "base_version": 1,
            },
        )
    )
    assert first["merged"] is False and first["version"] == 2
    assert first["updated_by"] == "Eva Expert"

    # Begun on version 1 too, another paragraph: both changes are kept.
    second = ok(
        call(
            requester,
            "put",
            url,
            {
                "title": "Bevindingen",
                "body": base.replace("Derde", "Derde, herzien"),
                "base_version": 1,
            },
        )
    )
    assert second["merged"] is True and second["version"] == 3
    assert "Eerste, aangevuld" in second["body"] and "Derde, herzien" in second["body"]

    # Begun on version 1, the same words as the first edit: nothing saved, both versions back.
    mine = base.replace("Eerste", "Allereerste")
    response = call(
        requester, "put", url, {"title": "Bevindingen", "body": mine, "base_version": 1}
    )
    assert response.status_code == 409, response.content
    conflict = response.json()
    assert conflict["detail"]
    assert conflict["mine"] == mine
    assert conflict["theirs"] == second["body"]
    assert "Allereerste" in conflict["marked"] and "Eerste, aangevuld" in conflict["marked"]
    assert "<<<<<<<" in conflict["marked"] and ">>>>>>>" in conflict["marked"]
    assert conflict["note"]["version"] == 3
    assert Note.objects.get().version == 3
    # Sending the markers back is refused; the resolved text saves.
    problem(
        call(
            requester,
            "put",
            url,
            {"title": "Bevindingen", "body": conflict["marked"], "base_version": 3},
        ),
        400,
    )
    resolved = second["body"].replace("Eerste, aangevuld", "Allereerste, aangevuld")
    saved = ok(
        call(requester, "put", url, {"title": "Bevindingen", "body": resolved, "base_version": 3})
    )
    assert saved["version"] == 4 and saved["merged"] is False
    assert ok(expert.get(url))["body"] == resolved
    assert [row["version"] for row in ok(expert.get(incident_url(incident, "/notes")))] == [4]


# --- NIS2 ---------------------------------------------------------------------------------


def test_nis2_reports_are_filled_in_and_sent_in_order(personas, client_for):
    incident = report(personas)
    requester = client_for("requester")
    url = incident_url(incident, "/report")
    sent = ok(post(requester, url + "/early_warning/sent"))
    assert sent["stages"][0]["sent_at"] is not None
    assert sent["stage_next"] == "notification"
    assert sent["stages"][1]["missing"] == ["impact"]
    detail = problem(post(requester, url + "/notification/sent"), 400)
    assert "impact" in detail[0]
    problem(post(requester, url + "/final/sent"), 400)
    problem(post(requester, url + "/someday/sent"), 422)
    body = ok(
        call(
            requester,
            "patch",
            url,
            {"impact": "Geen beelden voor 6 uur.", "suspected_malicious": True},
        )
    )
    assert body["impact"] == "Geen beelden voor 6 uur."
    assert body["suspected_malicious"] is True
    assert body["cross_border"] is False  # not sent: unchanged
    assert ok(post(requester, url + "/notification/sent"))["stage_next"] == "final"
    problem(post(requester, url + "/early_warning/sent"), 400)  # sent before
    detail = problem(call(requester, "patch", url, {"impact": "x" * 10_001}), 400)
    assert "impact" in detail
    assert ok(requester.get(incident_url(incident)))["report"]["stage_next"] == "final"


# --- indicators ---------------------------------------------------------------------------


def test_indicators_are_saved_whole_or_refused_line_by_line(personas, client_for):
    incident = report(personas)
    client = client_for("requester")
    url = incident_url(incident, "/indicators")
    bad = {
        "indicators": [
            {"kind": "ipv4", "value": C2_ADDRESS},
            {"kind": "ipv4", "value": "10.0.0.12"},
            {"kind": "colour", "value": "rood"},
            {"kind": "domain", "value": "evil-c2.nl", "tlp": "purple"},
        ]
    }
    detail = problem(post(client, url, bad), 400)
    assert len(detail) == 3
    assert detail[0].startswith("Line 2: 10.0.0.12")
    assert detail[1].startswith("Line 3:") and detail[2].startswith("Line 4:")
    assert not Indicator.objects.exists()
    problem(post(client, url, {"indicators": []}), 422)

    good = {
        "indicators": [
            {"kind": "ipv4", "value": "185.220.101[.]47", "comment": "C2"},
            {"kind": "domain", "value": "update-check(dot)example-c2[.]com", "tlp": "green"},
        ]
    }
    assert ok(post(client, url, good), 201) == {"created": 2, "seen_again": 0}
    assert ok(post(client, url, good), 201) == {"created": 0, "seen_again": 2}
    rows = {row["value"]: row for row in ok(client.get(url))["results"]}
    assert set(rows) == {C2_ADDRESS, "update-check.example-c2.com"}
    assert rows[C2_ADDRESS]["tlp"] == "amber+strict"  # the incident's label when left out
    assert rows["update-check.example-c2.com"]["tlp"] == "green"
    assert rows[C2_ADDRESS]["sightings"] == 2
    assert rows[C2_ADDRESS]["incident"] == incident.reference
    assert rows[C2_ADDRESS]["correlations"] == 0
    assert ok(client.get(url + "?kind=domain"))["count"] == 1
    assert ok(client.get(url + "?q=185.220.101[.]47"))["count"] == 1


def test_correlations_count_only_incidents_the_reader_may_see(personas, client_for):
    first = report(personas)
    second = report(personas, title="Tweede besmetting")
    respond(personas, first)
    add_indicators(personas, first, [("ipv4", C2_ADDRESS)])
    add_indicators(personas, second, [("ipv4", C2_ADDRESS)])

    def correlations(name):
        (row,) = ok(client_for(name).get(incident_url(first, "/indicators")))["results"]
        return row["correlations"], row["uuid"]

    assert correlations("requester")[0] == 1
    count, indicator_uuid = correlations("expert")
    assert count == 0  # the expert is on the first incident's team only
    detail = ok(client_for("requester").get(f"{API}/indicators/{indicator_uuid}"))
    assert [row["reference"] for row in detail["correlated"]] == [second.reference]
    assert ok(client_for("expert").get(f"{API}/indicators/{indicator_uuid}"))["correlated"] == []


def test_extraction_previews_and_saves_nothing(personas, client_for, monkeypatch):
    incident = report(personas)
    add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])
    client = client_for("requester")
    url = incident_url(incident, "/indicators/extract")
    body = ok(post(client, url, {"text": VENDOR_REPORT}))
    found = {row["value"]: row for row in body["found"]}
    assert set(found) == REFANGED
    assert found[C2_ADDRESS]["raw"] == "185.220.101[.]47"
    assert found[C2_ADDRESS]["on_incident"] is True
    assert found["Factuur_2026.exe"]["on_incident"] is False
    rejected = {row["raw"]: row for row in body["rejected"]}
    assert {"10.0.0.12", "192.168.1.5"} <= set(rejected)
    assert rejected["10.0.0.12"]["reason"]
    assert Indicator.objects.count() == 1
    # A read-only token may preview.
    raw = token_for(personas.requester, scope="read")
    ok(post(Client(), url, {"text": VENDOR_REPORT}, **bearer(raw)))
    monkeypatch.setattr("ttc.api.incidents.MAX_EXTRACT_CHARS", 1_000)
    assert "too long" in problem(post(client, url, {"text": "a" * 1_001}), 413)


def test_exports_pass_the_policy_and_stix_validates(personas, client_for):
    incident = report(personas)
    add_indicators(personas, incident, [("ipv4", C2_ADDRESS), ("domain", "factuur-zorg.nl")])
    add_indicators(personas, incident, [("md5", "44d88612fea8a8f36de82e1278abb02f")], tlp=TLP.GREEN)
    client = client_for("requester")
    stix = client.get(incident_url(incident, "/export/stix"))
    assert stix.status_code == 200
    assert stix["Content-Type"].startswith("application/stix+json")
    assert f'filename="{incident.reference}.json"' in stix["Content-Disposition"]
    assert stix_errors(stix.content.decode()) == []
    patterns = [
        obj["pattern"] for obj in json.loads(stix.content)["objects"] if obj["type"] == "indicator"
    ]
    assert len(patterns) == 3
    misp = client.get(incident_url(incident, "/export/misp"))
    assert misp["Content-Type"] == "application/json"
    assert C2_ADDRESS in misp.content.decode()
    exported = client.get(incident_url(incident, "/export/csv"))
    assert exported["Content-Type"].startswith("text/csv")
    assert csv_values(exported.content) == {
        C2_ADDRESS,
        "factuur-zorg.nl",
        "44d88612fea8a8f36de82e1278abb02f",
    }
    problem(client.get(incident_url(incident, "/export/pdf")), 422)
    assert AuditEvent.objects.filter(action="incident.export").count() == 3


def test_a_stix_bundle_imports_whole_or_not_at_all(personas, client_for, settings):
    source = report(personas)
    add_indicators(personas, source, [("ipv4", C2_ADDRESS), ("domain", "factuur-zorg.nl")])
    target = report(personas, title="Zelfde aanvaller")
    client = client_for("requester")
    bundle = client.get(incident_url(source, "/export/stix")).content
    url = incident_url(target, "/indicators/import")
    assert ok(post(client, url, bundle), 201) == {"created": 2, "seen_again": 0}
    assert ok(post(client, url, bundle), 201) == {"created": 0, "seen_again": 2}
    assert set(Indicator.objects.filter(incident=target).values_list("source", flat=True)) == {
        "import"
    }
    before = Indicator.objects.count()
    assert problem(post(client, url, b"not json at all"), 400)
    hostile = json.loads(bundle)
    for obj in hostile["objects"]:
        if obj["type"] == "indicator":
            obj["pattern"] = "[ipv4-addr:value LIKE '185.%']"
            break
    assert problem(post(client, url, json.dumps(hostile).encode()), 400)
    settings.TTC_STIX_IMPORT_MAX_BYTES = 10_000
    assert "too large" in problem(post(client, url, b" " * 10_001), 413)
    assert Indicator.objects.count() == before
    raw = token_for(personas.requester, scope="read")
    problem(post(Client(), url, bundle, **bearer(raw)), 403)


def test_lookup_names_the_incident_only_to_its_readers(personas, client_for):
    incident = report(personas)
    add_indicators(personas, incident, [("domain", "factuur-zorg.nl")], tlp=TLP.GREEN)
    add_indicators(personas, incident, [("domain", "public-c2.nl")], tlp=TLP.CLEAR)
    add_indicators(personas, incident, [("ipv4", C2_ADDRESS)])  # AMBER+STRICT, like the incident
    query = f"{API}/indicators?q=factuur-zorg[.]nl"
    (row,) = ok(client_for("requester").get(query))["results"]
    assert row["incident"] == incident.reference
    (row,) = ok(client_for("outsider").get(query))["results"]
    assert row["incident"] is None
    assert ok(client_for("anonymous").get(query))["count"] == 0
    assert ok(client_for("anonymous").get(f"{API}/indicators?q=public-c2"))["count"] == 1
    assert ok(client_for("outsider").get(f"{API}/indicators?q={C2_ADDRESS}"))["count"] == 0
    detail = ok(client_for("outsider").get(f"{API}/indicators/{row['uuid']}"))
    assert detail["incident"] is None and detail["value"] == "factuur-zorg.nl"
    hidden = Indicator.objects.get(value=C2_ADDRESS)
    problem(client_for("outsider").get(f"{API}/indicators/{hidden.uuid}"), 404)
    assert ok(client_for("requester").get(f"{API}/indicators/{hidden.uuid}"))["incident"] == (
        incident.reference
    )


# --- the feed -----------------------------------------------------------------------------


@pytest.fixture
def labelled(personas):
    """One indicator under each label, on the hospital's incident."""
    incident = report(personas)
    values = {
        TLP.CLEAR: "clear-feed.nl",
        TLP.GREEN: "green-feed.nl",
        TLP.AMBER: "amber-feed.nl",
        TLP.AMBER_STRICT: "strict-feed.nl",
        TLP.RED: "red-feed.nl",
    }
    for label, value in values.items():
        add_indicators(personas, incident, [("domain", value)], tlp=label)
    return incident, values


@pytest.mark.parametrize("persona", ["expert", "requester", "coordinator"])
def test_the_feed_carries_green_and_clear_only(personas, labelled, persona):
    _incident, values = labelled
    raw = token_for(personas.get(persona), scope="read")
    response = Client().get(f"{API}/feed/csv", **bearer(raw))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert csv_values(response.content) == {values[TLP.CLEAR], values[TLP.GREEN]}
    stix = Client().get(f"{API}/feed/stix", **bearer(raw))
    assert stix["Content-Type"].startswith("application/stix+json")
    content = stix.content.decode()
    assert stix_errors(content) == []
    for label in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
        assert values[label] not in content
    assert values[TLP.GREEN] in content and values[TLP.CLEAR] in content
    assert response["X-Feed-More"] == "false"


def test_the_feed_pulls_incrementally(personas, labelled):
    incident, values = labelled
    raw = token_for(personas.expert, scope="read")
    first = Client().get(f"{API}/feed/csv", **bearer(raw))
    since = first["X-Next-Since"]
    assert since.endswith("Z")
    assert (
        datetime.fromisoformat(since) == Indicator.objects.get(value=values[TLP.GREEN]).updated_at
    )
    after = first["X-Next-After"]
    cursor = {"since": since, "after": after}
    nothing = Client().get(f"{API}/feed/csv", cursor, **bearer(raw))
    assert csv_values(nothing.content) == set()
    assert (nothing["X-Next-Since"], nothing["X-Next-After"]) == (since, after)
    # `since` alone starts at that moment again: the last row comes twice.
    again = Client().get(f"{API}/feed/csv", {"since": since}, **bearer(raw))
    assert csv_values(again.content) == {values[TLP.GREEN]}
    add_indicators(personas, incident, [("domain", "later-feed.nl")], tlp=TLP.GREEN)
    later = Client().get(f"{API}/feed/csv", cursor, **bearer(raw))
    assert csv_values(later.content) == {"later-feed.nl"}
    # An offset whose "+" was not encoded arrives as a space, and still reads.
    moment = datetime.fromisoformat(since).astimezone(UTC).isoformat()
    unencoded = Client().get(f"{API}/feed/csv?since={moment}&after={after}", **bearer(raw))
    assert csv_values(unencoded.content) == {"later-feed.nl"}
    # A date alone, or a moment without a time zone, is read as UTC.
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert (
        csv_values(Client().get(f"{API}/feed/csv", {"since": tomorrow}, **bearer(raw)).content)
        == set()
    )


def test_the_feed_pages_without_losing_indicators_saved_together(personas, monkeypatch):
    """Indicators saved in one go share their moment; a page that ends inside
    such a group must not make the next call skip the rest of it."""
    monkeypatch.setattr(indicators, "FEED_PAGE", 3)
    incident = report(personas)
    # The second batch alone is larger than a page.
    batches = [["a-feed.nl", "b-feed.nl"], [f"{n}-feed.nl" for n in "cdefgh"], ["i-feed.nl"]]
    for batch in batches:
        add_indicators(personas, incident, [("domain", value) for value in batch], tlp=TLP.GREEN)
    raw = token_for(personas.expert, scope="read")
    seen: list[str] = []
    params: dict[str, str] = {}
    for _call in range(10):
        response = Client().get(f"{API}/feed/csv", params, **bearer(raw))
        rows = csv_values(response.content)
        assert len(rows) <= 3
        seen.extend(rows)
        params = {"since": response["X-Next-Since"], "after": response["X-Next-After"]}
        if response["X-Feed-More"] == "false":
            break
    # Every indicator once: none skipped, none twice.
    assert sorted(seen) == sorted(value for batch in batches for value in batch)


def test_the_feed_refuses_bad_input_and_the_unvetted(personas, labelled, client_for):
    raw = token_for(personas.expert, scope="read")
    for bad in ("gisteren", "2026-13-45", "2026-03-01T25:00:00Z"):
        detail = problem(Client().get(f"{API}/feed/stix", {"since": bad}, **bearer(raw)), 400)
        assert "since" in detail
    problem(Client().get(f"{API}/feed/csv"), 401)
    loner = make_user("loner@example.test", full_name="Lone Ranger")
    problem(Client().get(f"{API}/feed/csv", **bearer(token_for(loner, scope="read"))), 403)
    pending = make_organisation("Nog Niet B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    applicant = make_user("new@nognniet.test", full_name="Nina Nieuw", preferred_language="en")
    Membership.objects.create(user=applicant, organisation=pending, role="admin")
    client = Client()
    client.force_login(applicant)
    assert "vetted" in problem(client.get(f"{API}/feed/stix"), 403)
    # The browser session works as well as a token.
    assert client_for("expert").get(f"{API}/feed/stix").status_code == 200


# --- OpenAPI ------------------------------------------------------------------------------

DOCUMENTED = {
    "/api/v1/incidents": {"get", "post"},
    "/api/v1/incidents/{reference}": {"get"},
    "/api/v1/incidents/{reference}/status": {"post"},
    "/api/v1/incidents/{reference}/team/candidates": {"get"},
    "/api/v1/incidents/{reference}/team": {"post"},
    "/api/v1/incidents/{reference}/team/{place_id}": {"delete"},
    "/api/v1/incident-invitations": {"get"},
    "/api/v1/incident-invitations/{place_id}/answer": {"post"},
    "/api/v1/incidents/{reference}/timeline": {"get", "post"},
    "/api/v1/incidents/{reference}/tasks": {"get", "post"},
    "/api/v1/incident-tasks/{task_id}": {"patch"},
    "/api/v1/incidents/{reference}/notes": {"get", "post"},
    "/api/v1/incident-notes/{note_id}": {"get", "put"},
    "/api/v1/incidents/{reference}/report": {"patch"},
    "/api/v1/incidents/{reference}/report/{stage}/sent": {"post"},
    "/api/v1/incidents/{reference}/indicators": {"get", "post"},
    "/api/v1/incidents/{reference}/indicators/extract": {"post"},
    "/api/v1/incidents/{reference}/indicators/import": {"post"},
    "/api/v1/incidents/{reference}/export/{fmt}": {"get"},
    "/api/v1/indicators": {"get"},
    "/api/v1/indicators/{indicator_id}": {"get"},
    "/api/v1/feed/stix": {"get"},
    "/api/v1/feed/csv": {"get"},
}
#: Raw files: their 200 is described by content type, not by a JSON schema.
FILES = {"/api/v1/incidents/{reference}/export/{fmt}", "/api/v1/feed/stix", "/api/v1/feed/csv"}


def test_openapi_describes_every_incident_path(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, methods in DOCUMENTED.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert success, (path, method)
            for code in success:
                if code == "204":
                    continue
                content = responses[code]["content"]
                assert content, (path, method, code)
                if path not in FILES:
                    assert content["application/json"]["schema"], (path, method, code)
            errors = [code for code in responses if code[0] in "45"]
            assert {"401", "422", "429"} <= set(errors), (path, method)
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"], (path, code)
    export = paths["/api/v1/incidents/{reference}/export/{fmt}"]["get"]["responses"]["200"]
    assert {"text/csv", "application/json"} <= set(export["content"])
    assert any(kind.startswith("application/stix+json") for kind in export["content"])
    feed = paths["/api/v1/feed/csv"]["get"]["responses"]["200"]
    assert "X-Next-Since" in feed["headers"]
    assert "text/csv" in feed["content"]
    assert "409" in paths["/api/v1/incident-notes/{note_id}"]["put"]["responses"]
    assert "413" in paths["/api/v1/incidents/{reference}/indicators/import"]["post"]["responses"]
    assert "requestBody" in paths["/api/v1/incidents/{reference}/indicators/import"]["post"]
    # Whatever is about one incident, invitation, task, note or indicator may be hidden.
    for path in DOCUMENTED:
        if "{" in path:
            for method, operation in paths[path].items():
                assert "404" in operation["responses"], (path, method)
    components = schema["components"]["schemas"]
    assert "email" not in components["PersonRef"]["properties"]
    assert components["ReportIn"]["properties"]["title"]["maxLength"] == 200


def test_a_since_beyond_the_calendar_is_refused(personas, labelled, client_for):
    raw = token_for(personas.expert, scope="read")
    detail = problem(
        Client().get(f"{API}/feed/csv", {"since": "9999-12-31T23:59:59-01:00"}, **bearer(raw)),
        400,
    )
    assert "since" in detail
    page = client_for("expert").get(
        reverse("incident_feed_download", args=["csv"]) + "?since=9999-12-31T23:59:59-01:00"
    )
    assert page.status_code == 400
