"""After a proposal: the member accepts, both sides talk, the member logs hours and
delivers, and the requester closes with feedback."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.tlp import TLP
from ttc.helprequests import engagements, services
from ttc.helprequests.models import (
    CloseReason,
    ConflictOfInterest,
    Engagement,
    EngagementMessage,
    EngagementStatus,
    Feedback,
    HoursLog,
    ProposalStatus,
    RequestStatus,
)
from ttc.helprequests.testing import engage, make_market, open_request, propose, second_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def market(personas):
    return make_market(personas)


@pytest.fixture
def engagement(personas, market) -> Engagement:
    found = engage(personas)
    Notification.objects.all().delete()
    mail.outbox.clear()
    return found


def plain(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def org_key(org) -> str:
    return f"org:{org.pk}"


def titles_of(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("title", flat=True))


def url(engagement: Engagement, action: str = "") -> str:
    return f"/engagements/{engagement.pk}/{action + '/' if action else ''}"


# Accepting ----------------------------------------------------------------------------


def test_accepting_starts_an_engagement(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    Notification.objects.all().delete()
    client = client_for("member_admin")
    assert request.description not in client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert client.get(f"/requests/{request.pk}/").status_code == 404

    response = client.post(f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True)

    engagement = Engagement.objects.get()
    assert response.redirect_chain[-1][0] == f"/engagements/{engagement.pk}/"
    assert "Thank you! You can now read the request" in plain(response)
    assert engagement.status == EngagementStatus.IN_PROGRESS
    assert engagement.organisation == personas.member_company
    assert engagement.expert is None
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.responded_by == personas.member_admin
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED
    assert request.first_match_at is not None
    # AMBER+STRICT: the member company is now a named organisation.
    assert set(request.recipient_orgs.all()) == {personas.hospital, personas.member_company}
    assert personas.member_admin in request.recipient_people.all()
    assert AuditEvent.objects.get(action="proposal.accept").data == {
        "proposal": proposal.pk,
        "engagement": engagement.pk,
    }
    assert titles_of(personas.requester) == [
        f"Veilig Netwerk B.V. will help with “{request.title}”"
    ]
    assert titles_of(personas.coordinator) == [f"Veilig Netwerk B.V. accepted “{request.title}”"]
    # The whole request opens to the company's people.
    for persona in ("member_admin", "expert"):
        page = client_for(persona).get(f"/requests/{request.pk}/")
        assert page.status_code == 200
        assert "<strong>valse</strong>" in page.content.decode()
    proposal_page = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "<strong>valse</strong>" in proposal_page
    assert f'href="/engagements/{engagement.pk}/"' in proposal_page
    # The requester's page shows who is at work.
    page = plain(client_for("requester").get(f"/requests/{request.pk}/"))
    assert "Members who took it on Veilig Netwerk B.V. In progress" in page
    assert "✓ A member is at work" in page


def test_an_expert_accepts_personally(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, f"expert:{personas.expert.pk}")
    assert client_for("member_admin").get(f"/proposals/{proposal.pk}/").status_code == 404
    client_for("expert").post(f"/proposals/{proposal.pk}/", {"decision": "accept"})
    engagement = Engagement.objects.get()
    assert engagement.expert == personas.expert
    assert engagement.organisation == personas.member_company
    request.refresh_from_db()
    assert personas.expert in request.recipient_people.all()
    # The expert and the company's admin act for the engagement; a colleague does not.
    assert engagements.is_engaged_member(personas.expert, engagement)
    assert engagements.is_engaged_member(User.objects.get(pk=personas.member_admin.pk), engagement)
    plain_member = User.objects.create_user("collega@veilignetwerk.test", "x")
    personas.member_company.memberships.create(user=plain_member, role="member")
    assert not engagements.is_engaged_member(plain_member, engagement)


def test_a_closed_request_cannot_be_accepted(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    services.helprequest_close(
        request=request, actor=personas.requester, reason=CloseReason.WITHDRAWN
    )
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "This proposal was already answered or has expired (Withdrawn)." in plain(response)
    assert not Engagement.objects.exists()


def test_a_member_no_longer_compliant_cannot_accept(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    personas.member_company.noncompliant_since = timezone.localdate()
    personas.member_company.save()
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "Your membership must be in order before you take on requests." in plain(response)
    assert not Engagement.objects.exists()
    request.refresh_from_db()
    assert personas.member_company not in request.recipient_orgs.all()


def test_a_request_waiting_for_an_answer_is_not_accepted(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    services.helprequest_ask(request=request, actor=personas.coordinator, question="Welke?")
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "This request is no longer looking for members." in plain(response)
    assert not Engagement.objects.exists()


def test_an_unknown_decision_is_not_found(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    response = client_for("member_admin").post(f"/proposals/{proposal.pk}/", {"decision": "x"})
    assert response.status_code == 404


def test_the_proposals_page_lists_what_waits_for_an_answer(personas, client_for, market):
    request = open_request(personas)
    propose(personas, request, org_key(personas.member_company))
    page = plain(client_for("member_admin").get("/proposals/"))
    assert request.title in page
    assert "Waiting for an answer · answer by" in page
    assert request.title not in plain(client_for("outsider").get("/proposals/"))
    assert "Nobody asked you for help yet." in plain(client_for("expert").get("/proposals/"))


def test_a_member_that_declared_a_conflict_cannot_accept(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    client = client_for("member_admin")
    client.post(
        "/conflicts/",
        {"public_party": personas.hospital.pk, "description": "Wij leveren hun portaal."},
    )
    assert ConflictOfInterest.objects.exists()
    client.post(f"/proposals/{proposal.pk}/", {"decision": "accept"})
    assert not Engagement.objects.exists()


# Messages --------------------------------------------------------------------------------


def test_messages_go_both_ways_and_notify_the_other_side(personas, client_for, engagement):
    member = client_for("member_admin")
    response = member.post(
        url(engagement, "messages"), {"text": "We beginnen **morgen** met de analyse."}, follow=True
    )
    assert "Message sent." in plain(response)
    title = f"New message about “{engagement.request.title}”"
    assert titles_of(personas.requester) == [title]
    assert titles_of(personas.member_admin) == []
    [message] = mail.outbox
    assert message.to == [personas.requester.email]
    assert "morgen" not in message.body  # AMBER+STRICT: a link, not the content
    assert f"/engagements/{engagement.pk}/" in message.body

    requester = client_for("requester")
    page = requester.get(url(engagement)).content.decode()
    assert "<strong>morgen</strong>" in page
    requester.post(url(engagement, "messages"), {"text": "Prima, tot morgen."})

    # The company engagement: its people hear of the answer, the requester does not.
    assert titles_of(personas.member_admin) == [title]
    assert titles_of(personas.expert) == [title]
    assert titles_of(personas.requester) == [title]
    assert titles_of(personas.outsider) == []
    thread = [m.body for m in EngagementMessage.objects.all()]
    assert thread == ["We beginnen **morgen** met de analyse.", "Prima, tot morgen."]
    assert "Mehmet Admin" in plain(requester.get(url(engagement)))
    assert AuditEvent.objects.filter(action="engagement.message").count() == 2


def test_a_message_is_sanitised(personas, client_for, engagement):
    client_for("requester").post(
        url(engagement, "messages"), {"text": '<script>alert(1)</script> <img src=x onerror="x">'}
    )
    page = client_for("member_admin").get(url(engagement)).content.decode()
    assert "<script>alert" not in page
    assert not re.search(r"<[^>]*onerror", page)


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Write a message."), ("x" * 10_001, "Keep a message under 10,000 characters.")],
    ids=["empty", "too long"],
)
def test_a_bad_message_is_refused(personas, client_for, engagement, body, message):
    response = client_for("member_admin").post(
        url(engagement, "messages"), {"text": body}, follow=True
    )
    assert message in plain(response)
    assert not EngagementMessage.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "umbrella", "anonymous"])
def test_strangers_cannot_post_in_an_engagement(personas, client_for, engagement, persona):
    client = client_for(persona)
    data = {"text": "Hallo", "hours": "1", "worked_on": timezone.localdate().isoformat()}
    data |= {"helped": "yes", "rating": "5"}
    for action in ("", "messages", "hours", "deliver", "reopen", "close"):
        response = client.post(url(engagement, action), data)
        if persona == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == 404, action
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.IN_PROGRESS
    assert not EngagementMessage.objects.exists()
    assert not HoursLog.objects.exists()
    assert not Feedback.objects.exists()


def test_coordinators_read_along_but_do_not_take_part(personas, client_for, engagement):
    client = client_for("coordinator")
    page = client.get(url(engagement))
    assert page.status_code == 200
    assert 'action="/engagements/' not in page.content.decode()  # no forms to write in
    assert client.post(url(engagement, "messages"), {"text": "Hoi"}).status_code == 403
    assert not EngagementMessage.objects.exists()
    with pytest.raises(PermissionDenied):
        engagements.engagement_message(
            engagement=engagement, author=personas.coordinator, body="Hoi"
        )


# Hours --------------------------------------------------------------------------------------


def test_the_member_logs_hours(personas, client_for, engagement):
    client = client_for("member_admin")
    today = timezone.localdate().isoformat()
    response = client.post(
        url(engagement, "hours"),
        {"worked_on": today, "hours": "2,5", "note": "Logs van de mailserver bekeken"},
        follow=True,
    )
    assert "Hours logged. Thank you!" in plain(response)
    client_for("expert").post(url(engagement, "hours"), {"worked_on": today, "hours": "0.25"})
    entries = list(HoursLog.objects.order_by("pk").values_list("person", "hours", "note"))
    assert entries == [
        (personas.member_admin.pk, Decimal("2.50"), "Logs van de mailserver bekeken"),
        (personas.expert.pk, Decimal("0.25"), ""),
    ]
    assert engagement.hours_total() == Decimal("2.75")
    page = plain(client_for("requester").get(url(engagement)))
    assert "Hours donated 2.75" in page
    assert "Logs van de mailserver bekeken" in page
    assert AuditEvent.objects.filter(action="engagement.hours").count() == 2


@pytest.mark.parametrize(
    ("hours", "day", "message"),
    [
        ("0", 0, "Enter between 0.25 and 24 hours for one day."),
        ("25", 0, "Enter between 0.25 and 24 hours for one day."),
        ("-1", 0, "Enter between 0.25 and 24 hours for one day."),
        ("abc", 0, "Enter the hours as a number, such as 2.5."),
        ("NaN", 0, "Enter between 0.25 and 24 hours for one day."),
        ("1.255", 0, "Use at most two decimals."),
        ("2", 1, "You cannot log hours for a day in the future."),
        ("2", -30, "That day is before the engagement started."),
        ("", 0, "This field is required."),
    ],
    ids=["zero", "25", "negative", "abc", "nan", "three decimals", "tomorrow", "before", "empty"],
)
def test_bad_hours_are_refused_with_a_message(
    personas, client_for, engagement, hours, day, message
):
    worked_on = (timezone.localdate() + timedelta(days=day)).isoformat()
    response = client_for("member_admin").post(
        url(engagement, "hours"), {"worked_on": worked_on, "hours": hours}, follow=True
    )
    assert message in plain(response)
    assert not HoursLog.objects.exists()
    assert not AuditEvent.objects.filter(action="engagement.hours").exists()


def test_a_missing_or_bad_date_is_refused(personas, client_for, engagement):
    client = client_for("member_admin")
    for worked_on in ("", "gisteren"):
        response = client.post(
            url(engagement, "hours"), {"worked_on": worked_on, "hours": "2"}, follow=True
        )
        assert response.status_code == 200
        assert "Hours logged" not in plain(response)
    assert not HoursLog.objects.exists()


def test_only_the_member_logs_hours(personas, client_for, engagement):
    today = timezone.localdate().isoformat()
    for persona in ("requester", "coordinator"):
        response = client_for(persona).post(
            url(engagement, "hours"), {"worked_on": today, "hours": "2"}
        )
        assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        engagements.hours_log(
            engagement=engagement,
            person=personas.requester,
            worked_on=timezone.localdate(),
            hours="2",
        )
    assert not HoursLog.objects.exists()


# Delivering, reopening and closing ---------------------------------------------------------


def test_the_member_delivers_and_the_requester_reopens(personas, client_for, engagement):
    title = engagement.request.title
    member, requester = client_for("member_admin"), client_for("requester")
    assert requester.post(url(engagement, "deliver")).status_code == 403

    response = member.post(url(engagement, "deliver"), follow=True)

    assert "Marked as delivered." in plain(response)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.DELIVERED
    assert engagement.delivered_at is not None
    assert titles_of(personas.requester) == [f"The work on “{title}” is delivered"]
    response = member.post(url(engagement, "deliver"), follow=True)
    assert "This engagement cannot be marked delivered now." in plain(response)
    assert "✓ Work delivered" in plain(requester.get(f"/requests/{engagement.request_id}/"))
    assert member.post(url(engagement, "reopen")).status_code == 403

    response = requester.post(url(engagement, "reopen"), follow=True)

    assert "The work is reopened." in plain(response)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.IN_PROGRESS
    assert engagement.delivered_at is None
    assert f"The requester reopened “{title}”" in titles_of(personas.member_admin)
    response = requester.post(url(engagement, "reopen"), follow=True)
    assert "Only delivered work can be reopened." in plain(response)
    assert (
        AuditEvent.objects.filter(action__in=["engagement.deliver", "engagement.reopen"]).count()
        == 2
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"helped": "yes"}, "Choose a rating from 1 to 5."),
        ({"rating": "4"}, "Say whether it helped."),
        ({"helped": "yes", "rating": "6"}, "Select a valid choice. 6 is not one of the available"),
        ({"helped": "yes", "rating": "0"}, "Select a valid choice. 0 is not one of the available"),
        ({"helped": "maybe", "rating": "3"}, "Select a valid choice."),
    ],
    ids=["no rating", "no helped", "rating 6", "rating 0", "helped maybe"],
)
def test_closing_needs_complete_feedback(personas, client_for, engagement, data, message):
    response = client_for("requester").post(url(engagement, "close"), data, follow=True)
    assert message in plain(response)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.IN_PROGRESS
    assert not Feedback.objects.exists()


def test_the_service_refuses_a_rating_out_of_range(personas, engagement):
    for rating in (0, 6):
        with pytest.raises(ValidationError):
            engagements.engagement_close(
                engagement=engagement, actor=personas.requester, helped=True, rating=rating
            )
    assert not Feedback.objects.exists()


def test_only_the_requester_closes(personas, client_for, engagement):
    for persona in ("member_admin", "expert", "coordinator"):
        response = client_for(persona).post(
            url(engagement, "close"), {"helped": "yes", "rating": "5"}
        )
        assert response.status_code == 403
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.IN_PROGRESS
    assert not Feedback.objects.exists()


def test_closing_the_last_engagement_closes_the_request(personas, client_for, engagement):
    request = engagement.request
    client_for("member_admin").post(url(engagement, "deliver"))
    Notification.objects.all().delete()
    requester = client_for("requester")

    response = requester.post(
        url(engagement, "close"),
        {"helped": "yes", "rating": "5", "comment": "Snel en deskundig."},
        follow=True,
    )

    assert "Closed. Thank you for your feedback." in plain(response)
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.CLOSED
    assert engagement.closed_at is not None
    feedback = Feedback.objects.get()
    assert (feedback.helped, feedback.rating, feedback.comment) == (True, 5, "Snel en deskundig.")
    assert feedback.given_by == personas.requester
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert request.close_reason == CloseReason.DELIVERED
    assert f"“{request.title}” is closed: thank you" in titles_of(personas.member_admin)
    assert f"Your request “{request.title}” is closed" in titles_of(personas.requester)
    page = plain(requester.get(url(engagement)))
    assert "It helped. Rating: 5 of 5." in page
    assert "Snel en deskundig." in page
    assert AuditEvent.objects.get(action="engagement.close").data == {"helped": True, "rating": 5}

    # Closed is closed.
    member = client_for("member_admin")
    response = member.post(url(engagement, "messages"), {"text": "Nog één ding"}, follow=True)
    assert "This engagement is closed." in plain(response)
    response = member.post(
        url(engagement, "hours"),
        {"worked_on": timezone.localdate().isoformat(), "hours": "1"},
        follow=True,
    )
    assert "This engagement is closed." in plain(response)
    response = requester.post(
        url(engagement, "close"), {"helped": "no", "rating": "1"}, follow=True
    )
    assert "This engagement is already closed." in plain(response)
    assert Feedback.objects.count() == 1
    assert not EngagementMessage.objects.exists()
    assert not HoursLog.objects.exists()


def test_a_request_with_another_member_at_work_stays_open(personas, client_for, market):
    other, other_admin = second_member(market)
    request = open_request(personas, experts_needed=2)
    first = engage(personas, request)
    other_proposal = propose(personas, request, f"org:{other.pk}")
    second = engagements.proposal_accept(proposal=other_proposal, actor=other_admin)
    client_for("requester").post(url(first, "close"), {"helped": "no", "rating": "2"})
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED
    client_for("requester").post(url(second, "close"), {"helped": "yes", "rating": "4"})
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert request.close_reason == CloseReason.DELIVERED


def test_engagements_page_lists_ones_own(personas, client_for, engagement):
    title = engagement.request.title
    for persona in ("member_admin", "expert", "requester", "coordinator"):
        assert title in plain(client_for(persona).get("/engagements/"))
    for persona in ("outsider", "umbrella"):
        page = plain(client_for(persona).get("/engagements/"))
        assert title not in page
        assert "No engagements yet." in page


def test_a_red_engagement_reaches_only_the_named_people(personas, client_for, market):
    engagement = engage(personas, tlp=TLP.RED)
    request = engagement.request
    assert set(request.recipient_people.all()) == {personas.requester, personas.member_admin}
    Notification.objects.all().delete()
    client_for("requester").post(url(engagement, "messages"), {"text": "Geheim"})
    assert titles_of(personas.member_admin) == [f"New message about “{request.title}”"]
    assert titles_of(personas.expert) == []  # a colleague, but not named
    assert client_for("expert").get(url(engagement)).status_code == 404
    assert client_for("expert").post(url(engagement, "hours"), {"hours": "1"}).status_code == 404
