"""Who sees what of an incident, for every persona and label: the incident, its
case work (timeline, tasks, notes, reports), its indicators, correlations,
exports, the member feed and notifications.

The scenario: the hospital's requester reports an incident under the label;
the member company's admin is on the response team; the expert (same company,
not on the team), the umbrella, an unrelated member and a visitor are not.
Expectations are written out by hand from DESIGN.md §5 and the incident rules
(the team, the reporting organisation and coordinators; nobody else), not
computed by the policy under test.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from ttc.core import access
from ttc.core.models import Notification
from ttc.core.testing import PERSONA_NAMES, make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.incidents import indicators, services
from ttc.incidents.models import Incident, Indicator, Status
from ttc.incidents.testing import report, report_data, respond
from ttc.members.models import Membership, OrganisationKind

pytestmark = pytest.mark.django_db

LABELS = list(TLP)
EVERYONE = set(PERSONA_NAMES)
CASE = {"coordinator", "requester", "member_admin"}
SIGNED_IN_VETTED = EVERYONE - {"anonymous"}

#: Who sees the incident under each label: the case always; the label adds the rest.
SEES_INCIDENT = {
    TLP.RED: CASE,
    TLP.AMBER_STRICT: CASE,
    TLP.AMBER: CASE,
    TLP.GREEN: SIGNED_IN_VETTED,
    TLP.CLEAR: EVERYONE,
}
#: Who sees an indicator of the incident under the indicator's own label: the
#: incident's named organisation (the hospital) or person (the requester), the
#: team of its incident and coordinators; GREEN and CLEAR as usual.
SEES_INDICATOR = SEES_INCIDENT

SECRET_BODY = "Versleutelde PACS-servers en een losgeldbrief"
NOTE_TEXT = "Geheime notitie over de back-ups"
TASK_TEXT = "Geheime taak: tapes ophalen"
EVENT_TEXT = "Geheime gebeurtenis: eerste beacon"
ROOT_CAUSE = "Geheime oorzaak: een oude VPN-account"
#: The reporter's phone number, from ttc.incidents.testing.report_data.
CONTACT_PHONE = "+31 50 123 4567"


def comment_for(label: str) -> str:
    return f"Marker comment {label}"


def value_for(label: str) -> str:
    return f"marker-{label.replace('+', '-')}.zorgdreiging.nl"


@pytest.fixture
def case(personas):
    """One incident per label, each worked by the member company's admin, with
    case work and one indicator per label."""

    def make(label: str) -> Incident:
        incident = report(personas, tlp=label, description=SECRET_BODY)
        respond(personas, incident, person=personas.member_admin)
        services.timeline_add(
            incident=incident,
            actor=personas.member_admin,
            occurred_at=incident.detected_at,
            source="EDR",
            what=EVENT_TEXT,
        )
        services.task_create(incident=incident, actor=personas.member_admin, title=TASK_TEXT)
        services.note_create(
            incident=incident, actor=personas.member_admin, title="Back-ups", body=NOTE_TEXT
        )
        services.report_update(incident=incident, actor=personas.requester, root_cause=ROOT_CAUSE)
        indicators.indicators_save(
            incident=incident,
            actor=personas.member_admin,
            items=[
                indicators.Item("domain", value_for(each), each, comment=comment_for(each))
                for each in LABELS
            ],
        )
        return incident

    return make


def _page(client, url: str) -> str:
    response = client.get(url, follow=True)
    assert response.status_code in (200, 302, 400, 401, 403, 404), (url, response.status_code)
    return response.content.decode() if response.status_code == 200 else ""


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.label)
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_incident_and_its_case_work(personas, client_for, case, label, persona):
    incident = case(label)
    client = client_for(persona)
    sees = persona in SEES_INCIDENT[label]
    works = persona in CASE
    detail = _page(client, incident.get_absolute_url())
    assert (SECRET_BODY in detail) == sees
    listing = _page(client, reverse("incident_list"))
    assert (incident.reference in listing) == sees
    api = _page(client, f"/api/v1/incidents/{incident.reference}")
    assert (SECRET_BODY in api) == sees
    # Case work, the NIS2 reports and the contact: only the case, also where the
    # label lets others read the incident.
    for text in (NOTE_TEXT, TASK_TEXT, EVENT_TEXT, CONTACT_PHONE):
        assert (text in detail) == works, text
    for text in (ROOT_CAUSE, CONTACT_PHONE):
        assert (text in api) == works, text
    for path in ("notes", "tasks", "timeline"):
        content = _page(client, f"/api/v1/incidents/{incident.reference}/{path}")
        assert (NOTE_TEXT in content or TASK_TEXT in content or EVENT_TEXT in content) == works, (
            path
        )
    stage = _page(client, reverse("incident_stage_report", args=[incident.reference, "final"]))
    assert (SECRET_BODY in stage) == works
    assert (ROOT_CAUSE in stage) == works


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.label)
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_indicators_on_every_surface(personas, client_for, case, label, persona):
    """The incident carries one indicator per label; `label` is the incident's."""
    incident = case(label)
    client = client_for(persona)
    sees_incident = persona in SEES_INCIDENT[label]
    detail = _page(client, incident.get_absolute_url())
    # Exports are for people signed in.
    exported = _page(client, reverse("incident_export", args=[incident.reference, "csv"]))
    exportable = sees_incident and persona != "anonymous"
    api = _page(client, f"/api/v1/incidents/{incident.reference}/indicators")
    for indicator_label in LABELS:
        value = value_for(indicator_label)
        sees = persona in SEES_INDICATOR[indicator_label]
        # On the incident's own surfaces: only when the incident shows at all.
        assert (value in detail) == (sees and sees_incident), ("detail", indicator_label)
        assert (value in exported) == (sees and exportable), ("csv", indicator_label)
        assert (value in api) == (sees and sees_incident), ("api", indicator_label)
        indicator = Indicator.objects.get(incident=incident, value=value)
        page = _page(client, indicator.get_absolute_url())
        assert (value in page) == sees, ("indicator page", indicator_label)
        if sees and not sees_incident:
            # The indicator is shared more widely than its incident: the
            # incident stays unknown.
            assert incident.reference not in page and SECRET_BODY not in page
        lookup = _page(client, reverse("indicator_list") + f"?q={value}")
        # The page repeats the query: what it found shows by its comment.
        found = comment_for(indicator_label) in lookup
        assert found == sees, ("lookup", indicator_label)
        if not sees_incident:
            assert incident.reference not in lookup


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.label)
def test_exports_hold_only_what_the_exporter_may_see(personas, client_for, case, label):
    incident = case(label)
    for persona in PERSONA_NAMES:
        client = client_for(persona)
        for fmt in ("stix", "misp", "csv"):
            response = client.get(reverse("incident_export", args=[incident.reference, fmt]))
            if persona not in SEES_INCIDENT[label] or persona == "anonymous":
                assert response.status_code in (302, 404), (persona, fmt)
                continue
            assert response.status_code == 200, (persona, fmt)
            content = response.content.decode()
            for indicator_label in LABELS:
                expected = persona in SEES_INDICATOR[indicator_label]
                assert (value_for(indicator_label) in content) == expected, (
                    persona,
                    fmt,
                    indicator_label,
                )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_feed_never_carries_amber_or_red(personas, client_for, case, persona):
    for label in LABELS:
        case(label)
    client = client_for(persona)
    for url in (reverse("incident_feed_download", args=["csv"]), "/api/v1/feed/csv"):
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code in (302, 401, 403)
            continue
        assert response.status_code == 200, url
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        labels = {row["tlp"] for row in rows}
        assert labels <= {"clear", "green"}, (persona, labels)
        values = {row["value"] for row in rows}
        assert value_for(TLP.GREEN) in values and value_for(TLP.CLEAR) in values
        for hidden in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
            assert value_for(hidden) not in values


@pytest.mark.parametrize("other_label", LABELS, ids=lambda label: label.label)
def test_correlation_counts_only_incidents_the_viewer_may_see(personas, other_label):
    """The hospital's incident and one at another hospital share an address; the
    other incident (and its indicator) carry `other_label`."""
    elsewhere = make_organisation("Ziekenhuis Elders", OrganisationKind.HOSPITAL)
    reporter = make_user("ciso@elders.test")
    Membership.objects.create(user=reporter, organisation=elsewhere, role="admin")
    own = report(personas)
    respond(personas, own, person=personas.member_admin)
    other = services.incident_report(
        author=reporter,
        organisation=elsewhere,
        data=report_data(tlp=other_label),
    )
    for incident, actor, label in (
        (own, personas.requester, own.tlp),
        (other, reporter, other_label),
    ):
        indicators.indicators_save(
            incident=incident,
            actor=actor,
            items=[indicators.Item("ipv4", "185.220.101.47", label)],
        )
    key = Indicator.objects.filter(incident=own).get().key
    open_to_all = other_label in (TLP.GREEN, TLP.CLEAR)
    for persona, expected in (
        ("coordinator", 1),
        ("requester", int(open_to_all)),
        ("member_admin", int(open_to_all)),
    ):
        counts = indicators.correlation_counts(own, personas.get(persona))
        assert counts.get(key, 0) == expected, persona
        correlated = indicators.correlated_incidents(
            Indicator.objects.get(incident=own), personas.get(persona)
        )
        assert (other in correlated) == bool(expected), persona


@pytest.mark.parametrize("label", LABELS, ids=lambda label: label.label)
def test_a_lifecycle_notifies_only_who_may_see(personas, label):
    incident = report(personas, tlp=label, description=SECRET_BODY)
    place = services.responder_invite(
        incident=incident, actor=personas.coordinator, person=personas.member_admin
    )
    services.responder_answer(place=place, actor=personas.member_admin, accept=True)
    services.incident_acknowledge(incident=incident, actor=personas.coordinator)
    services.task_create(
        incident=incident, actor=personas.member_admin, title=TASK_TEXT, owner=personas.requester
    )
    for status in (Status.INVESTIGATING, Status.CONTAINED):
        services.incident_move(incident=incident, actor=personas.member_admin, status=status)
    services.deadlines_check(now=incident.created_at + timedelta(days=30))
    notifications = Notification.objects.select_related("recipient")
    assert notifications.exists()
    for notification in notifications:
        assert SECRET_BODY not in notification.title and incident.title not in notification.title
        if notification.target_id is None:
            # The invitation: a reference and nothing else, for the invited person.
            assert notification.recipient == personas.member_admin
            continue
        assert notification.recipient.is_coordinator or access.rule_allows(
            notification.recipient, Incident.objects.get(pk=notification.target_id)
        ), notification.recipient.email
    reached = {n.recipient.email for n in notifications}
    for outsider in (personas.expert, personas.outsider, personas.umbrella):
        assert outsider.email not in reached
    for message in mail.outbox:
        assert SECRET_BODY not in message.body and incident.title not in message.subject


def test_saving_never_tells_of_an_indicator_one_may_not_see(personas, client_for):
    """A responder's RED indicator names nobody at the hospital: a hospital
    colleague who saves the same value learns nothing of it."""
    incident = report(personas)
    respond(personas, incident)
    indicators.indicators_save(
        incident=incident,
        actor=personas.expert,
        items=[indicators.Item("ipv4", "185.220.101.47", TLP.RED)],
    )
    Indicator.objects.filter(incident=incident).update(tlp=TLP.RED)
    Indicator.objects.get().recipient_people.set([personas.expert])
    saved = indicators.indicators_save(
        incident=incident,
        actor=personas.requester,
        items=[indicators.Item("ipv4", "185.220.101.47", TLP.AMBER_STRICT)],
    )
    assert saved == indicators.Saved(created=1, seen_again=0)
    preview = client_for("requester").post(
        f"/api/v1/incidents/{incident.reference}/indicators/extract",
        {"text": "185.220.101.47"},
        content_type="application/json",
    )
    assert preview.status_code == 200
    (found,) = preview.json()["found"]
    assert found["value"] == "185.220.101.47" and found["on_incident"] is False
