"""Help requests from the requester's and the coordinator's side: submitting,
triage, the stale check and the requester's own pages."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.helprequests import matching, services
from ttc.helprequests.models import (
    CloseReason,
    HelpRequest,
    ProposalStatus,
    RequestMessage,
    RequestStatus,
    Urgency,
)
from ttc.helprequests.testing import (
    engage,
    make_market,
    make_request,
    open_request,
    propose,
    request_data,
    skill,
)
from ttc.members.models import Membership, OrganisationKind, Skill

pytestmark = pytest.mark.django_db

NEW = "/requests/new/"
TRIAGE = "/requests/triage/"


@pytest.fixture(autouse=True)
def _english(personas):
    """Everyone reads English, so that the assertions can name the words."""
    User.objects.update(preferred_language="en")
    with translation.override("en"):
        yield


def text(response) -> str:
    return html.unescape(response.content.decode())


def plain(response) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def form_data(personas, **overrides) -> dict:
    data = {
        "organisation": personas.hospital.pk,
        "title": "Phishing-golf bij de spoedeisende hulp",
        "description": "Sinds maandag krijgen medewerkers **valse** inlogmails.",
        "category": "security",
        "skills": [skill().pk],
        "urgency": Urgency.HIGH,
        "effort_hours": 16,
        "experts_needed": 1,
        "deadline": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "region": "groningen",
        "language": "nl",
        "tlp": TLP.AMBER_STRICT,
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def second_hospital(name: str = "Ziekenhuis Zuid", email: str = "ciso@zuid.test"):
    hospital = make_organisation(name, OrganisationKind.HOSPITAL, city="Maastricht")
    person = make_user(email, full_name="Zora Zuid", preferred_language="en")
    Membership.objects.create(user=person, organisation=hospital, role="admin")
    return hospital, person


def coordinator_titles(personas) -> list[str]:
    return list(
        Notification.objects.filter(recipient=personas.coordinator).values_list("title", flat=True)
    )


def titles_of(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("title", flat=True))


def mail_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


# Submitting ------------------------------------------------------------------------


def test_the_requester_submits_through_the_form(personas, client_for):
    client = client_for("requester")
    page = client.get(NEW)
    assert page.status_code == 200
    assert 'name="submission_key"' in page.content.decode()
    mail.outbox.clear()

    response = client.post(NEW, form_data(personas), follow=True)

    request = HelpRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/requests/{request.pk}/"
    assert "Your request is in." in text(response)
    assert request.title == "Phishing-golf bij de spoedeisende hulp"
    assert request.organisation == personas.hospital
    assert request.submitted_via is None
    assert request.created_by == personas.requester
    assert request.status == RequestStatus.SUBMITTED
    assert list(request.skills.all()) == [skill()]
    # Defaults: AMBER+STRICT to the hospital and the submitter only.
    assert request.tlp == TLP.AMBER_STRICT
    assert set(request.recipient_orgs.all()) == {personas.hospital}
    assert set(request.recipient_people.all()) == {personas.requester}
    event = AuditEvent.objects.get(action="helprequest.submit")
    assert event.actor == personas.requester
    assert event.object_id == str(request.pk)
    # The coordinators hear of it, by a title and a link only.
    assert coordinator_titles(personas) == [f"New help request: {request.title}"]
    [message] = mail_to(personas.coordinator.email)
    assert f"/requests/{request.pk}/" in message.body
    assert "valse" not in message.body
    # Nobody else is told of a request waiting for triage.
    assert not Notification.objects.exclude(recipient=personas.coordinator).exists()


def test_the_default_label_on_the_form_is_amber_strict(personas, client_for):
    page = client_for("requester").get(NEW)
    assert page.context["form"]["tlp"].initial == TLP.AMBER_STRICT
    data = form_data(personas)
    data.pop("tlp")
    client_for("requester").post(NEW, data)
    assert not HelpRequest.objects.exists()  # the label is a choice the requester makes


def test_the_umbrella_submits_on_behalf_of_the_hospital(personas, client_for):
    client = client_for("umbrella")
    page = client.get(NEW)
    choices = {org.pk for org in page.context["form"].fields["organisation"].queryset}
    assert choices == {personas.hospital.pk, personas.umbrella_org.pk}

    response = client.post(NEW, form_data(personas), follow=True)

    request = HelpRequest.objects.get()
    assert request.organisation == personas.hospital
    assert request.submitted_via == personas.umbrella_org
    assert set(request.recipient_orgs.all()) == {personas.hospital, personas.umbrella_org}
    assert set(request.recipient_people.all()) == {personas.umbrella}
    event = AuditEvent.objects.get(action="helprequest.submit")
    assert event.data["via"] == personas.umbrella_org.pk
    # The umbrella person reads it; so does the hospital it is for.
    assert response.status_code == 200
    assert "submitted by Zorgkoepel Nederland" in text(response)
    assert client_for("requester").get(f"/requests/{request.pk}/").status_code == 200
    assert coordinator_titles(personas) == [f"New help request: {request.title}"]


@pytest.mark.parametrize("persona", ["outsider", "member_admin", "expert"])
def test_members_do_not_ask_for_help(personas, client_for, persona):
    client = client_for(persona)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data(personas)).status_code == 403
    assert not HelpRequest.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(personas, client_for):
    client = client_for("anonymous")
    for response in (client.get(NEW), client.post(NEW, form_data(personas))):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not HelpRequest.objects.exists()


def test_an_unverified_public_party_cannot_ask(personas, client_for):
    unverified = make_organisation("Nieuw Ziekenhuis", OrganisationKind.HOSPITAL, vetted=False)
    person = make_user("ciso@nieuw.test")
    Membership.objects.create(user=person, organisation=unverified, role="admin")
    client = client_for("anonymous")
    client.force_login(person)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data(personas, organisation=unverified.pk)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.helprequest_submit(author=person, organisation=unverified, data=request_data())
    assert not HelpRequest.objects.exists()


def test_a_requester_cannot_ask_for_another_organisation(personas, client_for):
    other, _person = second_hospital()
    response = client_for("requester").post(NEW, form_data(personas, organisation=other.pk))
    assert "Choose an organisation you may ask help for." in text(response)
    assert not HelpRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        services.helprequest_submit(
            author=personas.requester, organisation=other, data=request_data()
        )
    assert not HelpRequest.objects.exists()


def _many_skills(count: int) -> list[int]:
    return list(Skill.objects.order_by("pk").values_list("pk", flat=True)[:count])


BAD_INPUT = {
    "deadline in the past": (
        {"deadline": (timezone.localdate() - timedelta(days=1)).isoformat()},
        "deadline",
        "The deadline cannot be in the past.",
    ),
    "deadline not a date": ({"deadline": "volgende week"}, "deadline", "Enter a date"),
    "effort zero": ({"effort_hours": "0"}, "effort_hours", "The effort must be at least one hour."),
    "effort negative": (
        {"effort_hours": "-8"},
        "effort_hours",
        "The effort must be at least one hour.",
    ),
    "effort not a number": ({"effort_hours": "veel"}, "effort_hours", "Enter a whole number."),
    "unknown skill": ({"skills": ["999999"]}, "skills", "Select a valid choice."),
    "too many skills": ({"skills": None}, "skills", "Choose at most 10 skills."),
    "title too long": (
        {"title": "x" * 201},
        "title",
        "Ensure this value has at most 200 characters",
    ),
    "description too long": (
        {"description": "x" * 20_001},
        "description",
        "Ensure this value has at most 20000 characters",
    ),
    "no title": ({"title": ""}, "title", "Give the request a title."),
    "no description": ({"description": "  "}, "description", "Describe what you need help with."),
    "no skill": ({"skills": []}, "skills", "Choose at least one skill."),
    "no effort": ({"effort_hours": ""}, "effort_hours", "Estimate the effort in hours."),
    "unknown label": ({"tlp": "purple"}, "tlp", "Select a valid choice."),
    "unknown category": ({"category": "sales"}, "category", "Select a valid choice."),
    "too many experts": (
        {"experts_needed": "51"},
        "experts_needed",
        "Ensure this value is less than or equal to 50.",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_gets_a_clear_message_and_creates_nothing(personas, client_for, case):
    overrides, field, message = BAD_INPUT[case]
    data = form_data(personas, **overrides)
    if case == "too many skills":
        data["skills"] = _many_skills(11)
    response = client_for("requester").post(NEW, data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert message in text(response)
    assert not HelpRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="helprequest.submit").exists()
    assert not Notification.objects.exists()


def test_missing_fields_are_each_named(personas, client_for):
    response = client_for("requester").post(NEW, {"submission_key": str(uuid.uuid4())})
    errors = response.context["form"].errors
    assert errors["title"] == ["Give the request a title."]
    assert errors["description"] == ["Describe what you need help with."]
    assert errors["skills"] == ["Choose at least one skill."]
    assert errors["effort_hours"] == ["Estimate the effort in hours."]
    assert {"organisation", "category", "deadline", "tlp", "urgency"} <= set(errors)
    assert not HelpRequest.objects.exists()


def test_ten_skills_are_fine(personas, client_for):
    client_for("requester").post(NEW, form_data(personas, skills=_many_skills(10)))
    assert HelpRequest.objects.get().skills.count() == 10


SERVICE_BAD_INPUT = {
    "deadline in the past": (
        {"deadline": timezone.localdate() - timedelta(days=1)},
        "deadline",
        "The deadline cannot be in the past.",
    ),
    "effort zero": ({"effort_hours": 0}, "effort_hours", "The effort must be at least one hour."),
    "effort negative": (
        {"effort_hours": -3},
        "effort_hours",
        "The effort must be at least one hour.",
    ),
    "unknown skill": ({"skill_ids": [999_999]}, "skills", "Choose skills from the list."),
    "too many skills": ({"skill_ids": None}, "skills", "Choose at most 10 skills."),
    "no skill": ({"skill_ids": []}, "skills", "Choose at least one skill."),
    "title too long": ({"title": "x" * 201}, "title", "Keep the title under 200 characters."),
    "blank title": ({"title": "   "}, "title", "Give the request a title."),
    "description too long": (
        {"description": "x" * 20_001},
        "description",
        "Keep the description under 20,000 characters.",
    ),
    "no experts": ({"experts_needed": 0}, "experts_needed", "Ask for between 1 and 50 experts."),
}


@pytest.mark.parametrize("case", list(SERVICE_BAD_INPUT), ids=list(SERVICE_BAD_INPUT))
def test_the_service_checks_again(personas, case):
    overrides, field, message = SERVICE_BAD_INPUT[case]
    if case == "too many skills":
        overrides = {"skill_ids": _many_skills(11)}
    with pytest.raises(ValidationError) as raised:
        make_request(personas, **overrides)
    assert raised.value.message_dict[field] == [message]
    assert not HelpRequest.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": "sales"},
        {"urgency": 9},
        {"region": "atlantis"},
        {"language": "fr"},
        {"tlp": "purple"},
    ],
    ids=["category", "urgency", "region", "language", "label"],
)
def test_the_service_refuses_an_unknown_choice(personas, overrides):
    with pytest.raises(ValidationError) as raised:
        make_request(personas, **overrides)
    [field] = overrides
    assert raised.value.message_dict[field] == ["Choose one of the options."]
    assert not HelpRequest.objects.exists()


def test_a_double_submit_creates_one_request(personas, client_for):
    client = client_for("requester")
    data = form_data(personas)
    first = client.post(NEW, data)
    second = client.post(NEW, data)
    request = HelpRequest.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/requests/{request.pk}/"
    assert AuditEvent.objects.filter(action="helprequest.submit").count() == 1
    assert len(coordinator_titles(personas)) == 1


def test_someone_else_cannot_reuse_a_submission_key(personas, client_for):
    data = form_data(personas)
    client_for("requester").post(NEW, data)
    assert client_for("umbrella").post(NEW, data).status_code == 403
    assert HelpRequest.objects.get().created_by == personas.requester


def test_markdown_in_the_description_is_sanitised(personas, client_for):
    description = (
        "**Belangrijk**\n\n<script>alert('xss')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n[klik](javascript:alert(2))'
    )
    client = client_for("requester")
    client.post(NEW, form_data(personas, description=description, title="<b>Titel</b>"))
    request = HelpRequest.objects.get()
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert "<strong>Belangrijk</strong>" in page
    assert "<script>alert" not in page
    assert "<img" not in page
    assert not re.search(r"<[^>]*onerror", page)
    assert not re.search(r"href=\"javascript:", page)
    assert "<b>Titel</b>" not in page
    assert "&lt;b&gt;Titel&lt;/b&gt;" in page


def test_a_red_request_names_only_the_submitter(personas):
    request = make_request(personas, tlp=TLP.RED)
    assert set(request.recipient_people.all()) == {personas.requester}
    assert set(request.recipient_orgs.all()) == {personas.hospital}


def test_red_needs_a_second_factor(personas):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=personas.requester).delete()
    with pytest.raises(ValidationError) as raised:
        make_request(personas, tlp=TLP.RED)
    assert "two-factor" in raised.value.messages[0]
    assert not HelpRequest.objects.exists()


# The requester's own pages ----------------------------------------------------------


def test_the_requester_follows_their_request(personas, client_for):
    request = make_request(personas)
    page = plain(client_for("requester").get(f"/requests/{request.pk}/"))
    assert "Where your request stands" in page
    assert "✓ Submitted" in page
    assert "Accepted by a coordinator (not yet)" in page
    assert "Withdraw the request" in page
    assert "Coordination" not in page  # the coordinators' tools are theirs


def test_the_requester_sees_their_requests_in_the_list(personas, client_for):
    mine = make_request(personas, title="Eigen verzoek")
    page = text(client_for("requester").get("/requests/"))
    assert "Eigen verzoek" in page
    assert "Ask for help" in page
    assert mine.get_absolute_url() in page


def test_the_requester_withdraws(personas, client_for):
    request = make_request(personas)
    Notification.objects.all().delete()
    response = client_for("requester").post(f"/requests/{request.pk}/withdraw/", follow=True)
    assert "The request is withdrawn." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert request.close_reason == CloseReason.WITHDRAWN
    assert coordinator_titles(personas) == [f"The requester closed “{request.title}”"]


def test_only_the_requester_answers_or_withdraws(personas, client_for):
    request = make_request(personas)
    # The coordinator sees the request but does not answer in the requester's name.
    client = client_for("coordinator")
    assert client.post(f"/requests/{request.pk}/answer/", {"text": "Ja"}).status_code == 403
    # Who cannot see it does not learn that it exists.
    for persona in ("outsider", "member_admin", "umbrella"):
        client = client_for(persona)
        assert client.post(f"/requests/{request.pk}/withdraw/").status_code == 404
        assert client.post(f"/requests/{request.pk}/still-needed/").status_code == 404
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not request.messages.exists()


def test_a_matched_request_cannot_be_withdrawn_while_members_work(personas, client_for):
    make_market(personas)
    engagement = engage(personas)
    response = client_for("requester").post(
        f"/requests/{engagement.request_id}/withdraw/", follow=True
    )
    assert "Members are still at work on this request" in text(response)
    engagement.request.refresh_from_db()
    assert engagement.request.status == RequestStatus.MATCHED


# Triage -----------------------------------------------------------------------------


def _queue_rows(page: str) -> list[str]:
    section = page.split('id="queue-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", section, re.S)[1:]


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_the_triage_queue_is_ordered_by_urgency_then_age(personas, client_for):
    now = timezone.now()
    made = {}
    for title, urgency, days in [
        ("Normaal oud", Urgency.NORMAL, 5),
        ("Kritiek nieuw", Urgency.CRITICAL, 1),
        ("Kritiek ouder", Urgency.CRITICAL, 3),
        ("Laag heel oud", Urgency.LOW, 10),
        ("Hoog met vraag", Urgency.HIGH, 2),
    ]:
        request = make_request(personas, title=title, urgency=urgency)
        HelpRequest.objects.filter(pk=request.pk).update(created_at=now - timedelta(days=days))
        made[title] = request
    services.helprequest_ask(
        request=made["Hoog met vraag"], actor=personas.coordinator, question="Welke systemen?"
    )
    accepted = make_request(personas, title="Al geaccepteerd", urgency=Urgency.CRITICAL)
    services.helprequest_accept(request=accepted, actor=personas.coordinator)

    page = text(client_for("coordinator").get(TRIAGE))
    rows = [_cells(row) for row in _queue_rows(page)]

    assert [row[1].split(" ", 1)[1] for row in rows] == [
        "Kritiek ouder",
        "Kritiek nieuw",
        "Hoog met vraag",
        "Normaal oud",
        "Laag heel oud",
    ]
    by_title = {row[1].split(" ", 1)[1]: row for row in rows}
    # How long each has waited, in words: days for old ones, hours for new ones.
    assert by_title["Kritiek ouder"][3] == "3\xa0days"
    assert by_title["Laag heel oud"][3] == "1\xa0week, 3\xa0days"
    assert by_title["Hoog met vraag"][4].startswith("Yes")
    assert by_title["Normaal oud"][4] == "No"
    assert by_title["Hoog met vraag"][5] == "Question to the requester"
    # Accepted requests wait for members in their own list, linked to the ranking.
    assert f"/requests/{accepted.pk}/candidates/" in page


@pytest.mark.parametrize("persona", ["requester", "member_admin", "expert", "umbrella", "outsider"])
def test_only_coordinators_triage(personas, client_for, persona):
    request = make_request(personas)
    client = client_for(persona)
    assert client.get(TRIAGE).status_code == 403
    for action in ("accept", "ask", "merge", "reject", "close"):
        response = client.post(f"/requests/{request.pk}/triage/{action}/", {"text": "x"})
        assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_anonymous_is_sent_to_log_in_for_triage(personas, client_for):
    response = client_for("anonymous").get(TRIAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_coordinator_accepts(personas, client_for):
    request = make_request(personas)
    Notification.objects.all().delete()
    response = client_for("coordinator").post(f"/requests/{request.pk}/triage/accept/")
    assert response["Location"] == f"/requests/{request.pk}/candidates/"
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert request.triaged_at is not None
    assert AuditEvent.objects.filter(action="helprequest.accept").exists()
    assert titles_of(personas.requester) == [f"Your request “{request.title}” was accepted"]


def test_a_coordinator_asks_and_the_requester_answers(personas, client_for):
    request = make_request(personas)
    Notification.objects.all().delete()
    mail.outbox.clear()
    coordinator = client_for("coordinator")

    response = coordinator.post(
        f"/requests/{request.pk}/triage/ask/", {"text": "Welke mailserver?"}, follow=True
    )

    assert "The question is sent to the requester." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_INFO
    assert request.contacted_at is not None
    assert request.messages.get().kind == RequestMessage.Kind.QUESTION
    assert titles_of(personas.requester) == [f"A question about your request “{request.title}”"]
    [message] = mail_to(personas.requester.email)
    assert "Welke mailserver?" not in message.body  # AMBER+STRICT: only a link by e-mail
    requester = client_for("requester")
    page = text(requester.get(f"/requests/{request.pk}/"))
    assert "Welke mailserver?" in page
    assert "A coordinator asked you a question; see below." in page

    response = requester.post(
        f"/requests/{request.pk}/answer/", {"text": "Exchange 2019, on premises."}, follow=True
    )

    assert "Your answer is sent to the coordinators." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert request.contacted_at is not None  # the first contact stays recorded
    assert [m.kind for m in request.messages.all()] == ["question", "answer"]
    assert f"The requester answered about “{request.title}”" in coordinator_titles(personas)
    assert "Exchange 2019" in text(coordinator.get(f"/requests/{request.pk}/"))


def test_a_question_and_an_answer_need_text(personas, client_for):
    request = make_request(personas)
    response = client_for("coordinator").post(
        f"/requests/{request.pk}/triage/ask/", {"text": "  "}, follow=True
    )
    assert "Write the question." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert request.contacted_at is None
    response = client_for("requester").post(
        f"/requests/{request.pk}/answer/", {"text": ""}, follow=True
    )
    assert "Write your answer." in text(response)
    assert not request.messages.exists()


def test_the_services_refuse_oversized_texts(personas):
    request = make_request(personas)
    with pytest.raises(ValidationError) as raised:
        services.helprequest_ask(request=request, actor=personas.coordinator, question="x" * 5_001)
    assert raised.value.message_dict["question"] == ["Keep it under 5,000 characters."]
    with pytest.raises(ValidationError):
        services.helprequest_answer(request=request, actor=personas.requester, answer="x" * 5_001)
    with pytest.raises(ValidationError):
        services.helprequest_reject(request=request, actor=personas.coordinator, reason="x" * 5_001)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not request.messages.exists()


def test_an_oversized_question_or_answer_on_the_page_is_refused_not_cut(personas, client_for):
    request = make_request(personas)
    response = client_for("coordinator").post(
        f"/requests/{request.pk}/triage/ask/", {"text": "x" * 5_001}, follow=True
    )
    assert "Keep it under 5,000 characters." in text(response)
    response = client_for("requester").post(
        f"/requests/{request.pk}/answer/", {"text": "y" * 6_000}, follow=True
    )
    assert "Keep it under 5,000 characters." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not request.messages.exists()


def test_a_coordinator_merges_a_duplicate(personas, client_for):
    target = make_request(personas, title="Phishing bij Noorderlicht", tlp=TLP.RED)
    colleague = make_user("arts@noorderlicht.test", full_name="Anna Arts", preferred_language="en")
    Membership.objects.create(user=colleague, organisation=personas.hospital, role="member")
    duplicate = services.helprequest_submit(
        author=colleague,
        organisation=personas.hospital,
        data=request_data(title="Phishing op de SEH"),
    )
    own = client_for("anonymous")
    own.force_login(colleague)
    assert own.get(f"/requests/{target.pk}/").status_code == 404
    Notification.objects.all().delete()

    response = client_for("coordinator").post(
        f"/requests/{duplicate.pk}/triage/merge/",
        {"into": target.pk, "note": "Dezelfde phishingcampagne."},
        follow=True,
    )

    assert "The request is merged." in text(response)
    duplicate.refresh_from_db()
    assert duplicate.status == RequestStatus.MERGED
    assert duplicate.merged_into == target
    assert duplicate.decision_note == "Dezelfde phishingcampagne."
    assert titles_of(colleague) == [f"Your request “{duplicate.title}” was merged"]
    # The duplicate's submitter, of the same hospital, is named on the RED target.
    page = own.get(f"/requests/{duplicate.pk}/")
    assert f'href="/requests/{target.pk}/"' in page.content.decode()
    assert own.get(f"/requests/{target.pk}/").status_code == 200
    # The notice on the target names the duplicate by number only.
    notice = target.messages.get()
    assert notice.kind == RequestMessage.Kind.NOTICE
    assert notice.body == f"Request #{duplicate.pk} was merged into this one."
    event = AuditEvent.objects.get(action="helprequest.merge")
    assert event.data == {"into": target.pk}


def test_requests_of_different_organisations_are_not_merged(personas, client_for):
    """Merging would share one organisation's request with another: refused."""
    target = make_request(personas, title="Phishing bij Noorderlicht")
    zuid, zuid_person = second_hospital()
    duplicate = services.helprequest_submit(
        author=zuid_person, organisation=zuid, data=request_data(title="Phishing bij Zuid")
    )
    with pytest.raises(ValidationError) as raised:
        services.helprequest_merge(request=duplicate, into=target, actor=personas.coordinator)
    assert "Only requests of the same organisation can be merged." in str(raised.value)
    duplicate.refresh_from_db()
    assert duplicate.status == RequestStatus.SUBMITTED
    assert not target.messages.exists()
    # The page offers only the same organisation's requests to merge into.
    page = text(client_for("coordinator").get(f"/requests/{duplicate.pk}/"))
    assert f'value="{target.pk}"' not in page


def test_a_request_with_members_at_work_is_not_merged(personas):
    make_market(personas)
    engagement = engage(personas)
    target = make_request(personas, title="Origineel")
    with pytest.raises(ValidationError):
        services.helprequest_merge(
            request=engagement.request, into=target, actor=personas.coordinator
        )
    # And a matched request cannot be sent back to "looking for members" either.
    with pytest.raises(ValidationError):
        services.helprequest_accept(request=engagement.request, actor=personas.coordinator)
    assert not target.messages.exists()


def test_merging_withdraws_the_duplicates_pending_proposals(personas, client_for):
    make_market(personas)
    duplicate = open_request(personas, title="Dubbel")
    proposal = propose(personas, duplicate, f"org:{personas.member_company.pk}")
    target = make_request(personas, title="Origineel")
    services.helprequest_merge(request=duplicate, into=target, actor=personas.coordinator)
    # The member cannot take it on any more ...
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "This proposal was already answered or has expired (Withdrawn)." in text(response)
    # ... so the proposal must not wait, count toward the fairness cap or take capacity.
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert personas.member_company.pk not in matching.fairness_settings().recent


def test_merging_is_refused_into_itself_or_a_closed_request(personas, client_for):
    request = make_request(personas)
    rejected = make_request(personas, title="Afgewezen")
    services.helprequest_reject(request=rejected, actor=personas.coordinator, reason="Geen IT")
    coordinator = client_for("coordinator")
    for into in (request.pk, rejected.pk, 999_999):
        response = coordinator.post(
            f"/requests/{request.pk}/triage/merge/", {"into": into}, follow=True
        )
        assert "Choose a request that is still open." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert request.merged_into is None
    with pytest.raises(ValidationError):
        services.helprequest_merge(request=request, into=request, actor=personas.coordinator)
    with pytest.raises(ValidationError):
        services.helprequest_merge(request=request, into=rejected, actor=personas.coordinator)


def test_a_coordinator_rejects_with_a_reason(personas, client_for):
    request = make_request(personas)
    Notification.objects.all().delete()
    coordinator = client_for("coordinator")

    response = coordinator.post(f"/requests/{request.pk}/triage/reject/", {"text": ""}, follow=True)
    assert "Tell the requester why." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not Notification.objects.exists()

    response = coordinator.post(
        f"/requests/{request.pk}/triage/reject/",
        {"text": "Dit vraagt om een leverancier, niet om de coalitie."},
        follow=True,
    )

    assert "The request is rejected and the requester is told why." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.closed_at is not None
    assert titles_of(personas.requester) == [f"Your request “{request.title}” was not accepted"]
    assert mail_to(personas.requester.email)
    page = plain(client_for("requester").get(f"/requests/{request.pk}/"))
    assert "Note from the coordinators: Dit vraagt om een leverancier" in page
    assert AuditEvent.objects.get(action="helprequest.reject").data["reason"].startswith("Dit")


def test_illegal_transitions_are_refused_with_a_message(personas, client_for):
    open_ = make_request(personas, title="Open")
    services.helprequest_accept(request=open_, actor=personas.coordinator)
    rejected = make_request(personas, title="Afgewezen")
    services.helprequest_reject(request=rejected, actor=personas.coordinator, reason="Nee")
    coordinator = client_for("coordinator")

    response = coordinator.post(
        f"/requests/{open_.pk}/triage/reject/", {"text": "Toch niet"}, follow=True
    )
    assert "A request that is “Looking for members” cannot become “Rejected”." in text(response)
    response = coordinator.post(f"/requests/{rejected.pk}/triage/accept/", follow=True)
    assert "A request that is “Rejected” cannot become “Looking for members”." in text(response)
    response = coordinator.post(f"/requests/{open_.pk}/triage/accept/", follow=True)
    assert "cannot become" in text(response)
    response = coordinator.post(
        f"/requests/{rejected.pk}/triage/ask/", {"text": "Nog iets?"}, follow=True
    )
    assert "cannot become" in text(response)

    open_.refresh_from_db()
    rejected.refresh_from_db()
    assert open_.status == RequestStatus.OPEN
    assert rejected.status == RequestStatus.REJECTED
    assert not rejected.messages.exists()
    assert coordinator.post(f"/requests/{open_.pk}/triage/explode/").status_code == 404


def test_a_coordinator_closes_an_open_request_nobody_can_take(personas, client_for):
    request = make_request(personas)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    response = client_for("coordinator").post(
        f"/requests/{request.pk}/triage/close/", {"text": "Niemand beschikbaar."}, follow=True
    )
    assert "The request is closed and the requester is told." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert request.close_reason == CloseReason.NO_MEMBER
    assert f"Your request “{request.title}” is closed" in titles_of(personas.requester)


def test_the_coordinators_dashboard_counts_the_work(personas, client_for):
    make_market(personas)
    make_request(personas, title="Wacht")
    looking = open_request(personas, title="Zoekt")
    propose(personas, looking, f"org:{personas.member_company.pk}")
    open_request(personas, title="Zoekt ook")
    page = plain(client_for("coordinator").get("/dashboard/"))
    assert "1 waiting for triage" in page
    assert "2 accepted, looking for members" in page
    assert "1 proposal waiting for an answer" in page
    requester_page = plain(client_for("requester").get("/dashboard/"))
    assert "Wacht" in requester_page
    assert "waiting for triage" not in requester_page


# The stale check --------------------------------------------------------------------


def _idle(request: HelpRequest, days: int) -> None:
    HelpRequest.objects.filter(pk=request.pk).update(
        last_activity_at=timezone.now() - timedelta(days=days)
    )


def test_an_untouched_request_is_asked_once_whether_still_needed(personas, client_for):
    request = make_request(personas)
    fresh = make_request(personas, title="Vers")
    _idle(request, 15)
    _idle(fresh, 13)
    Notification.objects.all().delete()
    mail.outbox.clear()

    assert services.stale_requests_check() == services.StaleReport(asked=1, closed=0)

    request.refresh_from_db()
    assert request.stale_asked_at is not None
    assert request.status == RequestStatus.SUBMITTED
    assert titles_of(personas.requester) == [f"Is your request “{request.title}” still needed?"]
    assert len(mail_to(personas.requester.email)) == 1
    assert request.messages.get().author is None
    assert AuditEvent.objects.filter(action="helprequest.stale_ask").count() == 1
    page = text(client_for("requester").get(f"/requests/{request.pk}/"))
    assert "Yes, still needed" in page
    assert "The platform" in page
    triage = plain(client_for("coordinator").get(TRIAGE))
    assert "1 requester was asked whether their request is still needed." in triage
    fresh.refresh_from_db()
    assert fresh.stale_asked_at is None

    # Once: the second run the same day changes nothing.
    assert services.stale_requests_check() == services.StaleReport(asked=0, closed=0)
    assert services.stale_requests_check(now=timezone.now() + timedelta(days=1)).asked == 1
    assert len(titles_of(personas.requester)) == 2  # that was `fresh`, now idle 14+ days
    assert AuditEvent.objects.filter(action="helprequest.stale_ask").count() == 2


def test_still_needed_restarts_the_clock(personas, client_for):
    request = make_request(personas)
    _idle(request, 15)
    services.stale_requests_check()
    response = client_for("requester").post(f"/requests/{request.pk}/still-needed/", follow=True)
    assert "Thank you: the request stays open." in text(response)
    request.refresh_from_db()
    assert request.stale_asked_at is None
    assert request.last_activity_at > timezone.now() - timedelta(minutes=1)

    # Fifteen days after the first question: not closed, but asked anew.
    report = services.stale_requests_check(now=timezone.now() + timedelta(days=15))
    assert report == services.StaleReport(asked=1, closed=0)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_an_unanswered_request_is_closed_after_another_period(personas):
    request = make_request(personas)
    _idle(request, 15)
    services.stale_requests_check()
    Notification.objects.all().delete()
    mail.outbox.clear()

    assert services.stale_requests_check(now=timezone.now() + timedelta(days=13)).closed == 0
    report = services.stale_requests_check(now=timezone.now() + timedelta(days=15))

    assert report == services.StaleReport(asked=0, closed=1)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert request.close_reason == CloseReason.STALE
    assert titles_of(personas.requester) == [f"Your request “{request.title}” is closed"]
    assert mail_to(personas.requester.email)
    assert AuditEvent.objects.get(action="helprequest.close").actor is None
    assert services.stale_requests_check(now=timezone.now() + timedelta(days=30)).closed == 0


def test_an_answer_also_counts_as_still_needed(personas, client_for):
    request = make_request(personas)
    _idle(request, 15)
    services.stale_requests_check()
    client_for("requester").post(f"/requests/{request.pk}/answer/", {"text": "Ja, nog nodig."})
    request.refresh_from_db()
    assert request.stale_asked_at is None
    assert services.stale_requests_check(now=timezone.now() + timedelta(days=10)).closed == 0


def test_a_matched_request_with_members_at_work_is_not_closed(personas):
    make_market(personas)
    engagement = engage(personas)
    request = engagement.request
    _idle(request, 40)
    HelpRequest.objects.filter(pk=request.pk).update(
        stale_asked_at=timezone.now() - timedelta(days=20)
    )
    assert services.stale_requests_check() == services.StaleReport(asked=0, closed=0)
    request.refresh_from_db()
    assert request.status == RequestStatus.MATCHED


def test_an_open_request_with_an_engagement_is_not_closed_as_stale(personas):
    make_market(personas)
    engagement = engage(personas, experts_needed=2)
    request = engagement.request
    # Back to looking for the second member while the first works on.
    HelpRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.OPEN,
        last_activity_at=timezone.now() - timedelta(days=40),
        stale_asked_at=timezone.now() - timedelta(days=20),
    )
    assert services.stale_requests_check().closed == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_the_request_checks_command_prints_its_counts(personas):
    request = make_request(personas)
    _idle(request, 15)
    out = StringIO()
    call_command("request_checks", stdout=out)
    lines = out.getvalue().splitlines()
    assert "asked whether still needed: 1" in lines
    assert "closed without an answer: 0" in lines
    assert "proposal reminders sent: 0" in lines
    assert "proposals expired: 0" in lines
    assert lines[-1].endswith("OK")
    out = StringIO()
    call_command("request_checks", stdout=out)
    assert "asked whether still needed: 0" in out.getvalue()


def test_the_list_filters_on_urgency_and_shows_when_each_was_submitted(personas, client_for):
    critical = make_request(personas, title="Kritiek verzoek", urgency=Urgency.CRITICAL)
    make_request(personas, title="Rustig verzoek", urgency=Urgency.LOW)
    client = client_for("coordinator")
    page = plain(client.get("/requests/", {"urgency": Urgency.CRITICAL}))
    assert "Kritiek verzoek" in page
    assert "Rustig verzoek" not in page
    assert f"{critical.created_at:%-d} " in page  # the submitted column
    # Nonsense is ignored, not an error.
    page = plain(client.get("/requests/", {"urgency": "heel erg"}))
    assert "Kritiek verzoek" in page and "Rustig verzoek" in page


def test_a_coordinator_sees_who_submitted_and_how_to_reach_them(personas, client_for):
    request = make_request(personas)
    page = plain(client_for("coordinator").get(f"/requests/{request.pk}/"))
    assert f"Submitted by {personas.requester.display_name}: {personas.requester.email}" in page
    # The requester's colleagues and members never see the coordination part.
    assert personas.requester.email not in plain(
        client_for("requester").get(request.get_absolute_url())
    )
