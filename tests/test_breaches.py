"""Reports of suspected Code of Conduct breaches (ttc/members/conduct_views.py,
ttc/members/breaches.py): reporting, the coordinators' queue and decision, the
member's view and response, and that the member never learns who reported."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.members import breaches, vetting
from ttc.members.models import BreachReport, Membership, MemberStatus, Organisation

pytestmark = pytest.mark.django_db

Outcome = BreachReport.Outcome
TODAY = timezone.localdate()
DESCRIPTION = "After the match with the hospital they offered a paid licence."


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def report_on(personas, organisation: Organisation | None = None, reporter=None) -> BreachReport:
    return breaches.breach_report(
        reporter=reporter or personas.outsider,
        organisation=organisation or personas.member_company,
        description=DESCRIPTION,
    )


def decide(personas, report: BreachReport, outcome: str = Outcome.WARNED, **fields):
    return breaches.breach_decide(
        actor=personas.coordinator,
        report=report,
        outcome=outcome,
        note=fields.pop("note", "Selling after a match is not allowed. This is a warning."),
        **fields,
    )


def fresh(organisation: Organisation) -> Organisation:
    return Organisation.objects.get(pk=organisation.pk)


# Reporting -------------------------------------------------------------------------


def test_a_member_of_another_company_reports(personas, client_for):
    client = client_for("outsider")
    url = f"/organisations/{personas.member_company.pk}/report/"
    page = client.get(url).content.decode()
    assert "Report a suspected breach by Veilig Netwerk B.V." in page
    mail.outbox.clear()
    response = client.post(url, {"description": DESCRIPTION})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    report = BreachReport.objects.get()
    assert report.organisation == personas.member_company
    assert report.reporter == personas.outsider
    assert report.description == DESCRIPTION and report.outcome == Outcome.OPEN
    assert AuditEvent.objects.filter(action="breach.report", actor=personas.outsider).exists()
    # The coordinators are told, and only they.
    assert {n.recipient for n in Notification.objects.all()} == {personas.coordinator}
    assert [message.to for message in mail.outbox] == [[personas.coordinator.email]]
    assert "is never told who reported it" in client.get("/dashboard/").content.decode()


def test_someone_without_an_organisation_reports(personas):
    person = make_user("burger@example.test", mfa=False, preferred_language="en")
    client = Client()
    client.force_login(person)
    response = client.post(
        f"/organisations/{personas.member_company.pk}/report/", {"description": DESCRIPTION}
    )
    assert response.status_code == 302
    assert BreachReport.objects.get().reporter == person


def test_a_suspended_member_can_be_reported(personas, client_for):
    vetting.membership_suspend(
        actor=personas.coordinator,
        organisation=personas.member_company,
        until=TODAY + timedelta(days=10),
        reason="Earlier breach.",
    )
    response = client_for("requester").post(
        f"/organisations/{personas.member_company.pk}/report/", {"description": DESCRIPTION}
    )
    assert response.status_code == 302
    assert BreachReport.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [
        MemberStatus.APPLIED,
        MemberStatus.UNDER_REVIEW,
        MemberStatus.EXPIRED,
        MemberStatus.ENDED,
        MemberStatus.WITHDRAWN,
        MemberStatus.REJECTED,
    ],
)
def test_only_current_members_are_reported(personas, client_for, status):
    Organisation.objects.filter(pk=personas.member_company.pk).update(status=status)
    client = client_for("outsider")
    url = f"/organisations/{personas.member_company.pk}/report/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"description": DESCRIPTION}).status_code == 404
    assert not BreachReport.objects.exists()


def test_public_parties_and_unknown_organisations_are_not_reported(personas, client_for):
    client = client_for("outsider")
    for pk in (personas.hospital.pk, personas.umbrella_org.pk, 999_999):
        assert client.post(f"/organisations/{pk}/report/", {"description": "x"}).status_code == 404
    assert not BreachReport.objects.exists()


def test_anonymous_is_sent_to_sign_in(personas):
    response = Client().post(
        f"/organisations/{personas.member_company.pk}/report/", {"description": DESCRIPTION}
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not BreachReport.objects.exists()


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Describe what happened."),
        ("   \n ", "Describe what happened."),
        ("x" * 10_001, "at most 10000 characters"),
    ],
)
def test_a_report_needs_a_description(personas, client_for, description, message):
    response = client_for("outsider").post(
        f"/organisations/{personas.member_company.pk}/report/", {"description": description}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BreachReport.objects.exists()
    assert not Notification.objects.exists()


# The coordinators' queue -----------------------------------------------------------


def test_coordinators_see_open_reports_first(personas, client_for):
    handled = report_on(personas)
    BreachReport.objects.filter(pk=handled.pk).update(
        created_at=timezone.now() - timedelta(days=20)
    )
    decide(personas, handled)
    older = report_on(personas, personas.other_company, reporter=personas.requester)
    BreachReport.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    newer = report_on(personas)
    response = client_for("coordinator").get("/breaches/")
    assert response.status_code == 200
    page = response.content.decode()
    positions = [page.index(f"/breaches/{report.pk}/") for report in (older, newer, handled)]
    assert positions == sorted(positions)
    assert "Andere Software B.V." in page and "Veilig Netwerk B.V." in page
    assert "3\xa0days ago" in page
    assert "Open" in page and "Warning given" in page


def test_the_queue_takes_the_same_number_of_queries_for_more_reports(personas, client_for):
    client = client_for("coordinator")
    report_on(personas)
    client.get("/breaches/")  # warm up sessions and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/breaches/").status_code == 200
    for number in range(12):
        report = report_on(personas, personas.other_company if number % 2 else None)
        if number % 3 == 0:
            decide(personas, report)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/breaches/").content.decode()
    assert len(re.findall(r'href="/breaches/\d+/"', page)) == 13
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("name", ["member_admin", "expert", "requester", "outsider", "umbrella"])
def test_only_coordinators_see_the_queue(personas, client_for, name):
    report_on(personas)
    assert client_for(name).get("/breaches/").status_code == 403


# Deciding --------------------------------------------------------------------------


def test_the_coordinator_reads_the_report_and_who_sent_it(personas, client_for):
    report = report_on(personas)
    page = client_for("coordinator").get(f"/breaches/{report.pk}/").content.decode()
    assert DESCRIPTION in page
    assert "Otto Outsider" in page and "dev@anderesoftware.test" in page
    assert "Status: Approved" in page
    assert f'action="/breaches/{report.pk}/decide/"' in page


def test_a_warning(personas, client_for):
    report = report_on(personas)
    mail.outbox.clear()
    client = client_for("coordinator")
    response = client.post(
        f"/breaches/{report.pk}/decide/",
        {"outcome": "warned", "note": "This is a warning: no sales after a match."},
    )
    assert response.status_code == 302 and response["Location"] == f"/breaches/{report.pk}/"
    report.refresh_from_db()
    assert report.outcome == Outcome.WARNED
    assert report.decision_note == "This is a warning: no sales after a match."
    assert report.decided_by == personas.coordinator and report.decided_at is not None
    assert fresh(personas.member_company).status == MemberStatus.APPROVED
    assert AuditEvent.objects.filter(action="breach.warned").exists()
    told = Notification.objects.filter(title__startswith="A decision about a report")
    assert {n.recipient for n in told} == {personas.member_admin}
    assert [message.to for message in mail.outbox] == [[personas.member_admin.email]]
    page = client.get(f"/breaches/{report.pk}/").content.decode()
    assert "The decision is saved." in page
    assert f'action="/breaches/{report.pk}/decide/"' not in page


def test_a_suspension_with_its_end_date(personas, client_for):
    report = report_on(personas)
    until = TODAY + timedelta(days=14)
    response = client_for("coordinator").post(
        f"/breaches/{report.pk}/decide/",
        {"outcome": "suspended", "suspended_until": until.isoformat(), "note": "Suspended."},
    )
    assert response.status_code == 302
    member = fresh(personas.member_company)
    assert member.status == MemberStatus.SUSPENDED and member.suspended_until == until
    report.refresh_from_db()
    assert report.outcome == Outcome.SUSPENDED


def test_ending_the_membership(personas, client_for):
    report = report_on(personas)
    response = client_for("coordinator").post(
        f"/breaches/{report.pk}/decide/", {"outcome": "ended", "note": "Ended after sales."}
    )
    assert response.status_code == 302
    assert fresh(personas.member_company).status == MemberStatus.ENDED


def test_a_dismissal_is_not_told_to_the_member(personas, client_for):
    report = report_on(personas)
    mail.outbox.clear()
    Notification.objects.all().delete()
    response = client_for("coordinator").post(
        f"/breaches/{report.pk}/decide/", {"outcome": "dismissed", "note": "No breach found."}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.outcome == Outcome.DISMISSED
    assert fresh(personas.member_company).status == MemberStatus.APPROVED
    assert not Notification.objects.exists() and mail.outbox == []
    assert client_for("member_admin").get(f"/breaches/{report.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "Some note."}, "Choose what happens."),
        ({"outcome": "forgiven", "note": "x"}, "Select a valid choice."),
        ({"outcome": "warned", "note": "   "}, "Write the decision as the member will read it."),
        ({"outcome": "suspended", "note": "Suspended."}, "A suspension needs an end date."),
        (
            {"outcome": "suspended", "note": "Suspended.", "suspended_until": TODAY.isoformat()},
            "A suspension ends on a date in the future.",
        ),
        (
            {"outcome": "suspended", "note": "Suspended.", "suspended_until": "next week"},
            "Give the end date as a date",
        ),
        ({"outcome": "warned", "note": "x" * 10_001}, "at most 10000 characters"),
    ],
)
def test_bad_decisions_are_explained_and_change_nothing(personas, client_for, data, message):
    report = report_on(personas)
    Notification.objects.all().delete()
    response = client_for("coordinator").post(f"/breaches/{report.pk}/decide/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.outcome == Outcome.OPEN and report.decision_note == ""
    assert fresh(personas.member_company).status == MemberStatus.APPROVED
    assert not Notification.objects.exists()


def test_a_report_is_decided_once(personas, client_for):
    report = report_on(personas)
    decide(personas, report)
    response = client_for("coordinator").post(
        f"/breaches/{report.pk}/decide/", {"outcome": "ended", "note": "Ended."}
    )
    assert response.status_code == 200
    assert "This report was handled already." in response.content.decode()
    report.refresh_from_db()
    assert report.outcome == Outcome.WARNED
    assert fresh(personas.member_company).status == MemberStatus.APPROVED


def test_a_transition_the_member_cannot_make_is_refused(personas, client_for):
    first, second = report_on(personas), report_on(personas)
    decide(personas, first, Outcome.ENDED, note="Ended.")
    response = client_for("coordinator").post(
        f"/breaches/{second.pk}/decide/",
        {
            "outcome": "suspended",
            "note": "Suspended.",
            "suspended_until": (TODAY + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "cannot go from" in response.content.decode()
    second.refresh_from_db()
    assert second.outcome == Outcome.OPEN


@pytest.mark.parametrize("name", ["member_admin", "expert", "outsider", "requester"])
def test_only_coordinators_decide(personas, client_for, name):
    report = report_on(personas)
    response = client_for(name).post(
        f"/breaches/{report.pk}/decide/", {"outcome": "dismissed", "note": "Nothing."}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.outcome == Outcome.OPEN


# The member's side -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["member_admin", "expert", "outsider", "requester", "umbrella"])
def test_an_open_report_is_not_there_for_anyone_but_coordinators(personas, client_for, name):
    # The reporter (outsider) cannot read it back either.
    report = report_on(personas)
    assert client_for(name).get(f"/breaches/{report.pk}/").status_code == 404
    assert Client().get(f"/breaches/{report.pk}/").status_code == 302


@pytest.mark.parametrize("name", ["expert", "outsider", "requester", "umbrella"])
def test_a_decision_is_for_the_members_admins_only(personas, client_for, name):
    report = report_on(personas)
    decide(personas, report)
    assert client_for(name).get(f"/breaches/{report.pk}/").status_code == 404
    response = client_for(name).post(f"/breaches/{report.pk}/respond/", {"response": "No."})
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.member_response == ""


def test_the_admin_reads_the_decision_and_responds(personas, client_for):
    report = report_on(personas)
    decide(personas, report)
    client = client_for("member_admin")
    membership = client.get(f"/membership/{personas.member_company.pk}/").content.decode()
    assert f"/breaches/{report.pk}/" in membership
    assert "Warning given on" in membership
    page = client.get(f"/breaches/{report.pk}/").content.decode()
    assert DESCRIPTION in page
    assert "Selling after a match is not allowed. This is a warning." in page
    assert f'action="/breaches/{report.pk}/respond/"' in page
    assert f'action="/breaches/{report.pk}/decide/"' not in page
    Notification.objects.all().delete()
    mail.outbox.clear()
    response = client.post(
        f"/breaches/{report.pk}/respond/", {"response": "It was an existing contract."}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.member_response == "It was an existing contract."
    assert report.responded_at is not None
    assert AuditEvent.objects.filter(action="breach.respond").exists()
    assert {n.recipient for n in Notification.objects.all()} == {personas.coordinator}
    assert [message.to for message in mail.outbox] == [[personas.coordinator.email]]
    page = client.get(f"/breaches/{report.pk}/").content.decode()
    assert "Your response is sent to the coordinators." in page
    assert "It was an existing contract." in page
    coordinator_page = client_for("coordinator").get(f"/breaches/{report.pk}/").content.decode()
    assert "It was an existing contract." in coordinator_page


@pytest.mark.parametrize(
    ("response_text", "message"),
    [
        ("", "Write your response."),
        ("  ", "Write your response."),
        ("x" * 10_001, "at most 10000 characters"),
    ],
)
def test_a_response_needs_text(personas, client_for, response_text, message):
    report = report_on(personas)
    decide(personas, report)
    response = client_for("member_admin").post(
        f"/breaches/{report.pk}/respond/", {"response": response_text}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.member_response == "" and report.responded_at is None


def test_coordinators_do_not_respond_for_the_member(personas, client_for):
    report = report_on(personas)
    decide(personas, report)
    response = client_for("coordinator").post(
        f"/breaches/{report.pk}/respond/", {"response": "On their behalf."}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.member_response == ""


def test_a_suspended_or_ended_member_still_reads_and_responds(personas, client_for):
    report = report_on(personas)
    decide(personas, report, Outcome.ENDED, note="Ended.")
    client = client_for("member_admin")
    assert client.get(f"/breaches/{report.pk}/").status_code == 200
    assert (
        client.post(f"/breaches/{report.pk}/respond/", {"response": "We object."}).status_code
        == 302
    )


# The reporter's identity never reaches the member -----------------------------------


def test_the_member_never_learns_who_reported(personas, client_for):
    reporter = make_user(
        "klokkenluider@example.test", full_name="Karel Klokkenluider", preferred_language="en"
    )
    third = make_organisation("Derde Partij B.V.", "member_company")
    Membership.objects.create(user=reporter, organisation=third, role="admin")
    secrets = ("Karel", "Klokkenluider", "klokkenluider@example.test", "Derde Partij")
    member_people = (personas.member_admin, personas.expert)

    # Report, warn, respond; then a second report ends in a suspension.
    client = Client()
    client.force_login(reporter)
    url = f"/organisations/{personas.member_company.pk}/report/"
    assert client.post(url, {"description": DESCRIPTION}).status_code == 302
    first = BreachReport.objects.get()
    decide(personas, first)
    breaches.breach_respond(user=personas.member_admin, report=first, response="We disagree.")
    assert client.post(url, {"description": "Again a sales pitch."}).status_code == 302
    second = BreachReport.objects.exclude(pk=first.pk).get()
    decide(
        personas,
        second,
        Outcome.SUSPENDED,
        suspended_until=TODAY + timedelta(days=7),
        note="Suspended for a week.",
    )

    # Every page the member's people can load.
    for person in member_people:
        browser = Client()
        browser.force_login(person)
        admin = person == personas.member_admin
        pages = {
            f"/membership/{personas.member_company.pk}/": 200,
            f"/breaches/{first.pk}/": 200 if admin else 404,
            f"/breaches/{second.pk}/": 200 if admin else 404,
            "/notifications/": 200,
            "/dashboard/": 200,
            f"/organisations/{personas.member_company.pk}/": 200,
            "/api/v1/me/notifications": 200,
        }
        for page, status in pages.items():
            response = browser.get(page)
            assert response.status_code == status, page
            content = response.content.decode()
            for secret in secrets:
                assert secret not in content, (person, page, secret)
    # What they were sent.
    for notification in Notification.objects.filter(recipient__in=member_people):
        for secret in secrets:
            assert secret not in notification.title and secret not in notification.url
    addresses = {person.email for person in member_people}
    sent = [message for message in mail.outbox if addresses & set(message.to)]
    assert sent, "the member's admins were told of the decisions"
    for message in sent:
        for secret in secrets:
            assert secret not in message.subject and secret not in message.body
    # The coordinators do know.
    page = client_for("coordinator").get(f"/breaches/{first.pk}/").content.decode()
    assert "Karel Klokkenluider" in page and "klokkenluider@example.test" in page
