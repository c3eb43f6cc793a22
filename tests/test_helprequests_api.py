"""The help-request API: asking for help, triage, matching, proposals,
engagements and conflicts of interest, through HTTP and the access policy."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from ttc.accounts import services as account_services
from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.tlp import TLP
from ttc.helprequests import services
from ttc.helprequests.models import (
    ConflictOfInterest,
    Engagement,
    EngagementStatus,
    HelpRequest,
    HoursLog,
    Proposal,
    ProposalStatus,
    RequestStatus,
)
from ttc.helprequests.testing import (
    engage,
    make_market,
    make_request,
    open_request,
    propose,
    second_member,
)
from ttc.members.models import Skill

pytestmark = pytest.mark.django_db

SECRET = "Sinds maandag krijgen medewerkers **valse** inlogmails."
OUTSIDERS = ["outsider", "member_admin", "expert", "umbrella", "anonymous"]


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")


@pytest.fixture
def market(personas) -> Skill:
    return make_market(personas)


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user: User, scope: str = "write") -> str:
    return account_services.api_token_create(user=user, name="script", scope=scope)[1]


def post(client: Client, url: str, payload: dict | None = None, **extra):
    return client.post(url, json.dumps(payload or {}), content_type="application/json", **extra)


def problem(response, status: int):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body["detail"]


def submission(personas, **overrides) -> dict:
    fields = {
        "organisation_id": personas.hospital.pk,
        "title": "Phishing-golf bij de spoedeisende hulp",
        "description": SECRET,
        "category": "security",
        "skill_ids": [Skill.objects.filter(parent__isnull=False).order_by("pk").first().pk],
        "urgency": 2,
        "effort_hours": 16,
        "experts_needed": 1,
        "deadline": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "region": "groningen",
        "language": "nl",
        "tlp": "amber+strict",
    }
    fields.update(overrides)
    return fields


# --- asking for help ------------------------------------------------------------------------


def test_a_requester_asks_for_help_with_a_write_token(personas):
    response = post(
        Client(),
        "/api/v1/requests",
        submission(personas),
        **bearer(token_for(personas.requester)),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    request = HelpRequest.objects.get()
    assert body["id"] == request.pk
    assert body["title"] == "Phishing-golf bij de spoedeisende hulp"
    assert body["description"] == SECRET
    assert "<strong>valse</strong>" in body["description_html"]
    assert body["status"] == "submitted"
    assert body["tlp"] == "amber+strict"
    assert body["organisation"] == "Ziekenhuis Noorderlicht"
    assert body["submitted_via"] is None
    assert body["urgency"] == 2
    assert len(body["skills"]) == 1
    assert body["first_match_at"] is None
    assert body["url"] == f"/requests/{request.pk}/"
    assert request.created_by == personas.requester
    assert AuditEvent.objects.filter(action="helprequest.submit").count() == 1


def test_an_umbrella_asks_on_behalf_of_its_hospital(personas, client_for):
    response = post(client_for("umbrella"), "/api/v1/requests", submission(personas))
    assert response.status_code == 201, response.content
    assert response.json()["submitted_via"] == "Zorgkoepel Nederland"
    assert HelpRequest.objects.get().submitted_via == personas.umbrella_org


def test_the_same_submission_key_makes_one_request(personas, client_for):
    client = client_for("requester")
    payload = submission(personas, submission_key=str(uuid.uuid4()))
    first = post(client, "/api/v1/requests", payload)
    again = post(client, "/api/v1/requests", payload)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert HelpRequest.objects.count() == 1
    # Someone else cannot claim the key.
    problem(post(client_for("umbrella"), "/api/v1/requests", payload), 403)
    assert HelpRequest.objects.count() == 1


def nothing_submitted() -> bool:
    return (
        not HelpRequest.objects.exists()
        and not AuditEvent.objects.filter(action="helprequest.submit").exists()
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"deadline": "2020-01-01"}, "deadline", "The deadline cannot be in the past."),
        ({"effort_hours": 0}, "effort_hours", "The effort must be at least one hour."),
        ({"effort_hours": 10_001}, "effort_hours", "The effort can be at most 10000 hours."),
        ({"experts_needed": 0}, "experts_needed", "Ask for between 1 and 50 experts."),
        ({"skill_ids": [987654]}, "skills", "Choose skills from the list."),
        ({"skill_ids": []}, "skills", "Choose at least one skill."),
        ({"title": "x" * 201}, "title", "Keep the title under 200 characters."),
        ({"title": "   "}, "title", "Give the request a title."),
        ({"description": "x" * 20_001}, "description", "Keep the description under 20,000"),
    ],
)
def test_a_broken_rule_is_400_naming_the_field(personas, client_for, overrides, field, message):
    response = post(client_for("requester"), "/api/v1/requests", submission(personas, **overrides))
    detail = problem(response, 400)
    assert list(detail) == [field]
    assert detail[field][0].startswith(message)
    assert nothing_submitted()


def test_too_many_skills_is_400(personas, client_for):
    skills = list(Skill.objects.values_list("pk", flat=True)[:11])
    response = post(
        client_for("requester"), "/api/v1/requests", submission(personas, skill_ids=skills)
    )
    assert problem(response, 400) == {"skills": ["Choose at most 10 skills."]}
    assert nothing_submitted()


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": None},
        {"effort_hours": "veel"},
        {"skill_ids": ["security"]},
        {"skill_ids": [0]},
        {"deadline": "morgen"},
        {"category": "magic"},
        {"urgency": 9},
        {"region": "atlantis"},
        {"language": "de"},
        {"tlp": "purple"},
        {"title": "nul\x00byte"},
        {"submission_key": "not-a-uuid"},
    ],
)
def test_a_wrong_type_or_value_is_422(personas, client_for, overrides):
    payload = submission(personas, **overrides)
    if overrides == {"title": None}:
        del payload["title"]
    problem(post(client_for("requester"), "/api/v1/requests", payload), 422)
    assert nothing_submitted()


@pytest.mark.parametrize(
    ("persona", "organisation", "status"),
    [
        ("outsider", "hospital", 404),  # not theirs: as if it were not there
        ("requester", "umbrella_org", 404),
        ("member_admin", "member_company", 403),  # theirs, but members offer help
        ("coordinator", "hospital", 404),
    ],
)
def test_only_a_public_party_asks_for_help(personas, client_for, persona, organisation, status):
    payload = submission(personas, organisation_id=getattr(personas, organisation).pk)
    problem(post(client_for(persona), "/api/v1/requests", payload), status)
    assert nothing_submitted()


def test_a_read_only_token_cannot_write(personas, market):
    request = open_request(personas)
    read_only = bearer(token_for(personas.requester, "read"))
    client = Client()
    detail = problem(post(client, "/api/v1/requests", submission(personas), **read_only), 403)
    # A token call has no session: it reads the platform's default language.
    with translation.override("nl"):
        assert detail == gettext("This token is read-only.")
    problem(post(client, f"/api/v1/requests/{request.pk}/withdraw", **read_only), 403)
    coordinator = bearer(token_for(personas.coordinator, "read"))
    key = f"org:{personas.member_company.pk}"
    url = f"/api/v1/requests/{request.pk}/proposals"
    problem(post(client, url, {"candidate_keys": [key]}, **coordinator), 403)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN
    assert HelpRequest.objects.count() == 1
    assert not Proposal.objects.exists()
    # Reading is fine.
    assert client.get(f"/api/v1/requests/{request.pk}", **read_only).status_code == 200


def test_no_sign_in_no_writing(personas):
    problem(post(Client(), "/api/v1/requests", submission(personas)), 401)
    assert nothing_submitted()


def test_the_browser_session_needs_the_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.requester)
    assert client.get("/dashboard/").status_code == 200
    problem(post(client, "/api/v1/requests", submission(personas)), 403)
    assert nothing_submitted()
    token = client.cookies["csrftoken"].value
    response = post(client, "/api/v1/requests", submission(personas), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


# --- who sees a request -----------------------------------------------------------------


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_an_amber_strict_request_stays_hidden(personas, client_for, market, persona):
    request = open_request(personas)
    client = client_for(persona)
    base = f"/api/v1/requests/{request.pk}"
    listing = client.get("/api/v1/requests").json()
    assert listing == {"count": 0, "page": 1, "results": []}
    assert client.get("/api/v1/requests", {"q": "Phishing"}).json()["count"] == 0
    problem(client.get(base), 404)
    signed_out = 401 if persona == "anonymous" else 404
    problem(client.get(f"{base}/messages"), signed_out)
    problem(client.get(f"{base}/candidates"), signed_out)
    for action in ("answer", "still-needed", "withdraw", "accept", "reject"):
        response = post(client, f"{base}/{action}", {"answer": "x", "reason": "x"})
        problem(response, signed_out)
    problem(client.get("/api/v1/requests/987654"), 404)
    assert SECRET not in client.get(f"{base}").content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_the_requester_sees_it_everywhere(personas, client_for):
    request = make_request(personas)
    client = client_for("requester")
    listing = client.get("/api/v1/requests").json()
    assert [r["id"] for r in listing["results"]] == [request.pk]
    assert "description" not in listing["results"][0]
    assert client.get("/api/v1/requests", {"q": "phishing"}).json()["count"] == 1
    assert client.get("/api/v1/requests", {"q": "ransomware"}).json()["count"] == 0
    # The title is searched, never the confidential description.
    assert client.get("/api/v1/requests", {"q": "inlogmails"}).json()["count"] == 0
    detail = client.get(f"/api/v1/requests/{request.pk}").json()
    assert detail["description"] == SECRET
    assert client.get(f"/api/v1/requests/{request.pk}/messages").json() == []


def test_reading_confidential_requests_is_audited(personas, client_for):
    request = make_request(personas)
    client_for("requester").get(f"/api/v1/requests/{request.pk}")
    client_for("requester").get("/api/v1/requests")
    views = AuditEvent.objects.filter(action="view", actor=personas.requester)
    assert {event.data["surface"] for event in views} == {"api", "api list"}
    # The coordinators oversee it: beyond the rule, and the log says so.
    client_for("coordinator").get(f"/api/v1/requests/{request.pk}")
    beyond = AuditEvent.objects.get(action="view.beyond_rule", actor=personas.coordinator)
    assert beyond.data == {"surface": "api"}


def test_a_clear_request_is_public(personas, client_for):
    request = make_request(personas, tlp=TLP.CLEAR)
    client = client_for("anonymous")
    assert [r["id"] for r in client.get("/api/v1/requests").json()["results"]] == [request.pk]
    assert client.get(f"/api/v1/requests/{request.pk}").json()["description"] == SECRET
    # The conversation with the coordinators is not public.
    problem(client_for("outsider").get(f"/api/v1/requests/{request.pk}/messages"), 403)
    assert not AuditEvent.objects.filter(action__startswith="view").exists()


def test_the_list_filters_and_pages(personas, client_for):
    make_request(personas, title="Eerste", category="privacy", urgency=1)
    second = make_request(personas, title="Tweede")
    third = open_request(personas, title="Derde")
    client = client_for("requester")

    def ids(**params) -> list[int]:
        return [r["id"] for r in client.get("/api/v1/requests", params).json()["results"]]

    assert ids(status="open") == [third.pk]
    assert len(ids(category="privacy")) == 1
    assert len(ids(urgency=1)) == 1
    assert ids(q="tweede") == [second.pk]
    page = client.get("/api/v1/requests", {"limit": 2, "page": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 1
    problem(client.get("/api/v1/requests", {"status": "lost"}), 422)
    problem(client.get("/api/v1/requests", {"limit": 101}), 422)


def test_the_list_answers_in_a_fixed_number_of_queries(personas, client_for):
    client = client_for("requester")
    make_request(personas)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/requests")
    for index in range(4):
        make_request(personas, title=f"Verzoek {index}")
    with CaptureQueriesContext(connection) as five:
        assert client.get("/api/v1/requests").json()["count"] == 5
    assert len(five) == len(one)


def test_proposals_and_engagements_answer_in_a_fixed_number_of_queries(
    personas, client_for, market
):
    admin = client_for("member_admin")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(url).status_code == 200
        return len(captured)

    engage(personas)
    one = (queries("/api/v1/proposals"), queries("/api/v1/engagements"))
    engage(personas, title="Tweede")
    engage(personas, title="Derde")
    assert admin.get("/api/v1/engagements").json()["count"] == 3
    assert (queries("/api/v1/proposals"), queries("/api/v1/engagements")) == one


# --- triage -------------------------------------------------------------------------------


def test_the_coordinators_ask_and_the_requester_answers(personas, client_for):
    request = make_request(personas)
    base = f"/api/v1/requests/{request.pk}"
    coordinator = client_for("coordinator")
    asked = post(coordinator, f"{base}/ask", {"question": "Welke mailserver?"})
    assert asked.status_code == 200, asked.content
    assert asked.json()["status"] == "needs_info"
    requester = client_for("requester")
    messages = requester.get(f"{base}/messages").json()
    assert [(m["kind"], m["body"], m["author"]) for m in messages] == [
        ("question", "Welke mailserver?", "Carla Coördinator")
    ]
    answered = post(requester, f"{base}/answer", {"answer": "Exchange 2019."})
    assert answered.json()["status"] == "submitted"
    assert [m["kind"] for m in coordinator.get(f"{base}/messages").json()] == [
        "question",
        "answer",
    ]
    problem(post(requester, f"{base}/answer", {"answer": "  "}), 400)
    problem(post(coordinator, f"{base}/ask", {"question": "x" * 5_001}), 422)
    assert request.messages.count() == 2


def test_the_coordinators_accept_reject_and_merge(personas, client_for):
    accepted, rejected, duplicate = (make_request(personas, title=t) for t in "ABC")
    coordinator = client_for("coordinator")
    response = post(coordinator, f"/api/v1/requests/{accepted.pk}/accept")
    assert response.json()["status"] == "open"
    response = post(
        coordinator, f"/api/v1/requests/{rejected.pk}/reject", {"reason": "Buiten scope"}
    )
    assert (response.json()["status"], response.json()["decision_note"]) == (
        "rejected",
        "Buiten scope",
    )
    url = f"/api/v1/requests/{duplicate.pk}/merge"
    assert problem(post(coordinator, url, {"into": 987654}), 400) == {
        "into": ["Merge into a request that is still open."]
    }
    assert problem(post(coordinator, url, {"into": rejected.pk}), 400) == {
        "into": ["Merge into a request that is still open."]
    }
    response = post(coordinator, url, {"into": accepted.pk, "note": "Zelfde vraag"})
    assert response.json()["status"] == "merged"
    assert response.json()["merged_into"] == accepted.pk
    # A request that is rejected cannot be accepted.
    problem(post(coordinator, f"/api/v1/requests/{rejected.pk}/accept"), 400)
    problem(post(coordinator, f"/api/v1/requests/{rejected.pk}/reject", {"reason": ""}), 400)


def test_only_coordinators_triage(personas, client_for):
    request = make_request(personas)
    requester = client_for("requester")
    base = f"/api/v1/requests/{request.pk}"
    problem(post(requester, f"{base}/accept"), 403)
    problem(post(requester, f"{base}/ask", {"question": "?"}), 403)
    problem(post(requester, f"{base}/reject", {"reason": "nee"}), 403)
    problem(post(requester, f"{base}/merge", {"into": request.pk}), 403)
    problem(requester.get(f"{base}/candidates"), 403)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_the_requester_withdraws_and_confirms_still_needed(personas, client_for):
    request = make_request(personas)
    HelpRequest.objects.filter(pk=request.pk).update(stale_asked_at=timezone.now())
    requester = client_for("requester")
    response = post(requester, f"/api/v1/requests/{request.pk}/still-needed")
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.stale_asked_at is None
    problem(post(client_for("coordinator"), f"/api/v1/requests/{request.pk}/still-needed"), 403)
    response = post(requester, f"/api/v1/requests/{request.pk}/withdraw", {"note": "Opgelost"})
    body = response.json()
    assert (body["status"], body["close_reason"], body["decision_note"]) == (
        "closed",
        "withdrawn",
        "Opgelost",
    )
    assert body["closed_at"]
    problem(post(requester, f"/api/v1/requests/{request.pk}/withdraw"), 400)


# --- matching -----------------------------------------------------------------------------


def test_the_coordinators_see_the_ranking_and_propose(personas, client_for, market):
    request = open_request(personas)
    coordinator = client_for("coordinator")
    ranking = coordinator.get(f"/api/v1/requests/{request.pk}/candidates").json()
    by_key = {c["key"]: c for c in ranking}
    company_key = f"org:{personas.member_company.pk}"
    assert set(by_key) == {company_key, f"expert:{personas.expert.pk}"}
    company = by_key[company_key]
    assert company["kind"] == "org"
    assert company["name"] == "Veilig Netwerk B.V."
    assert company["organisation"] == {"id": personas.member_company.pk, "name": company["name"]}
    assert by_key[f"expert:{personas.expert.pk}"]["name"] == "Eva Expert"
    for field in ("skill", "availability", "region", "language", "fairness", "total"):
        assert isinstance(company[field], float)
    assert company["recent_matches"] == 0
    assert company["reasons"][0]["label"] == "Skill fit"
    assert ranking[0]["total"] >= ranking[1]["total"]
    assert len(coordinator.get(f"/api/v1/requests/{request.pk}/candidates?limit=1").json()) == 1

    url = f"/api/v1/requests/{request.pk}/proposals"
    response = post(coordinator, url, {"candidate_keys": [company_key]})
    assert response.status_code == 201, response.content
    (made,) = response.json()
    assert made["candidate_key"] == company_key
    assert made["status"] == "proposed"
    assert made["request"]["id"] == request.pk
    assert made["breakdown"]["skill"] == company["skill"]
    assert Proposal.objects.get().organisation == personas.member_company
    # Asked once: gone from the ranking, and not proposed twice.
    keys = [c["key"] for c in coordinator.get(f"/api/v1/requests/{request.pk}/candidates").json()]
    assert company_key not in keys
    problem(post(coordinator, url, {"candidate_keys": [company_key]}), 400)
    problem(post(coordinator, url, {"candidate_keys": ["nobody:1"]}), 400)
    problem(post(coordinator, url, {"candidate_keys": []}), 422)
    problem(post(coordinator, url, {"candidate_keys": ["org:1", "org:1"]}), 422)
    assert Proposal.objects.count() == 1


def test_proposing_needs_an_accepted_request(personas, client_for, market):
    request = make_request(personas)
    url = f"/api/v1/requests/{request.pk}/proposals"
    key = f"org:{personas.member_company.pk}"
    detail = problem(post(client_for("coordinator"), url, {"candidate_keys": [key]}), 400)
    assert detail == ["Accept the request in triage before proposing members."]
    assert not Proposal.objects.exists()


def test_a_proposed_member_reads_a_teaser_until_they_accept(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, f"org:{personas.member_company.pk}")
    admin = client_for("member_admin")
    response = admin.get("/api/v1/proposals")
    assert SECRET not in response.content.decode()
    assert "inlogmails" not in response.content.decode()
    (item,) = response.json()["results"]
    assert item["id"] == proposal.pk
    assert item["status"] == "proposed"
    assert item["respond_by"]
    assert item["request"] == {
        "id": None,
        "url": None,
        "title": "Phishing-golf bij de spoedeisende hulp",
        "category": "security",
        "urgency": 2,
        "effort_hours": 16,
    }
    problem(admin.get(f"/api/v1/requests/{request.pk}"), 404)
    # Others see nothing of it.
    assert client_for("outsider").get("/api/v1/proposals").json()["count"] == 0
    problem(post(client_for("outsider"), f"/api/v1/proposals/{proposal.pk}/accept"), 404)
    problem(post(client_for("requester"), f"/api/v1/proposals/{proposal.pk}/accept"), 404)

    accepted = post(admin, f"/api/v1/proposals/{proposal.pk}/accept")
    assert accepted.status_code == 201, accepted.content
    engagement = Engagement.objects.get()
    assert accepted.json()["id"] == engagement.pk
    assert accepted.json()["status"] == "in_progress"
    detail = admin.get(f"/api/v1/requests/{request.pk}").json()
    assert detail["description"] == SECRET
    assert detail["status"] == "matched"
    assert detail["first_match_at"]
    (item,) = admin.get("/api/v1/proposals").json()["results"]
    assert item["request"]["id"] == request.pk
    assert item["status"] == "accepted"
    assert admin.get("/api/v1/proposals", {"status": "proposed"}).json()["count"] == 0
    # Answered once only.
    problem(post(admin, f"/api/v1/proposals/{proposal.pk}/accept"), 400)
    assert Engagement.objects.count() == 1


def test_a_decline_keeps_the_reason_and_asks_the_next(personas, client_for, market):
    other, other_admin = second_member(market)
    request = open_request(personas)
    proposal = propose(personas, request, f"expert:{personas.expert.pk}")
    expert = client_for("expert")
    url = f"/api/v1/proposals/{proposal.pk}/decline"
    problem(post(expert, url, {"reason": " "}), 400)
    response = post(expert, url, {"reason": "Geen tijd deze maand"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    proposal.refresh_from_db()
    assert proposal.decline_reason == "Geen tijd deze maand"
    assert proposal.status == ProposalStatus.DECLINED
    # Another company is asked next (the expert's company was asked already),
    # and its admin sees that proposal.
    nxt = Proposal.objects.get(status=ProposalStatus.PROPOSED)
    assert nxt.candidate_key == f"org:{other.pk}"
    admin = Client()
    admin.force_login(other_admin)
    ids = [p["id"] for p in admin.get("/api/v1/proposals").json()["results"]]
    assert ids == [nxt.pk]


# --- engagements --------------------------------------------------------------------------


def test_the_two_sides_work_in_an_engagement(personas, client_for, market):
    engagement = engage(personas)
    base = f"/api/v1/engagements/{engagement.pk}"
    member, requester = client_for("member_admin"), client_for("requester")
    for client in (member, requester, client_for("coordinator")):
        assert [e["id"] for e in client.get("/api/v1/engagements").json()["results"]] == [
            engagement.pk
        ]
    for persona in ("outsider", "umbrella"):
        assert client_for(persona).get("/api/v1/engagements").json()["count"] == 0
        problem(client_for(persona).get(base), 404)
        problem(post(client_for(persona), f"{base}/messages", {"body": "Hallo"}), 404)

    written = post(member, f"{base}/messages", {"body": "We beginnen **morgen**."})
    assert written.status_code == 201, written.content
    assert written.json()["author"] == "Mehmet Admin"
    problem(post(member, f"{base}/messages", {"body": " "}), 400)
    detail = requester.get(base).json()
    assert detail["member"] == "Veilig Netwerk B.V."
    assert detail["request"]["id"] == engagement.request_id
    assert [m["body_html"] for m in detail["messages"]] == [
        "<p>We beginnen <strong>morgen</strong>.</p>\n"
    ]
    assert AuditEvent.objects.filter(
        action="view", actor=personas.requester, data__surface="api engagement"
    ).exists()

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    logged = post(member, f"{base}/hours", {"worked_on": today, "hours": 2.5, "note": "Analyse"})
    assert logged.status_code == 201, logged.content
    assert logged.json()["hours"] == 2.5
    post(member, f"{base}/hours", {"worked_on": yesterday, "hours": "1.25"})
    hours = requester.get(f"{base}/hours").json()
    assert hours["total"] == 3.75
    assert [e["hours"] for e in hours["entries"]] == [2.5, 1.25]
    assert requester.get(base).json()["hours_total"] == 3.75
    problem(post(requester, f"{base}/hours", {"worked_on": today, "hours": 1}), 403)

    delivered = post(member, f"{base}/deliver")
    assert delivered.json()["status"] == "delivered"
    problem(post(member, f"{base}/close", {"helped": True, "rating": 5}), 403)
    closed = post(requester, f"{base}/close", {"helped": True, "rating": 5, "comment": "Top"})
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["status"] == "closed"
    assert body["feedback"]["rating"] == 5
    assert body["feedback"]["helped"] is True
    engagement.request.refresh_from_db()
    assert engagement.request.status == RequestStatus.CLOSED
    assert engagement.request.close_reason == "delivered"
    problem(post(member, f"{base}/messages", {"body": "Nog iets"}), 400)


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"hours": 0}, 400, "hours"),
        ({"hours": 25}, 400, "hours"),
        ({"hours": "1.255"}, 400, "hours"),
        ({"worked_on": "2999-01-01"}, 400, "worked_on"),
        ({"note": "x" * 301}, 400, "note"),
        ({"hours": "veel"}, 422, None),
        ({"worked_on": "gisteren"}, 422, None),
    ],
)
def test_bad_hours_change_nothing(personas, client_for, market, payload, status, field):
    engagement = engage(personas)
    entry = {"worked_on": timezone.localdate().isoformat(), "hours": 2, **payload}
    response = post(client_for("member_admin"), f"/api/v1/engagements/{engagement.pk}/hours", entry)
    detail = problem(response, status)
    if field:
        assert list(detail) == [field]
    assert not HoursLog.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"helped": True, "rating": 0}, 400),
        ({"helped": True, "rating": 6}, 400),
        ({"helped": True, "rating": 3, "comment": "x" * 5_001}, 400),
        ({"helped": True}, 422),
        ({"helped": "misschien", "rating": 3}, 422),
    ],
)
def test_bad_feedback_changes_nothing(personas, client_for, market, payload, status):
    engagement = engage(personas)
    problem(
        post(client_for("requester"), f"/api/v1/engagements/{engagement.pk}/close", payload),
        status,
    )
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.IN_PROGRESS


# --- conflicts of interest ----------------------------------------------------------------


def test_a_member_admin_declares_and_ends_a_conflict(personas, client_for):
    admin = client_for("member_admin")
    payload = {
        "member_id": personas.member_company.pk,
        "public_party_id": personas.hospital.pk,
        "description": "Wij leveren hun patiëntportaal",
    }
    created = post(admin, "/api/v1/conflicts", payload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["member"]["name"] == "Veilig Netwerk B.V."
    assert body["public_party"]["name"] == "Ziekenhuis Noorderlicht"
    assert body["declared_by"] == "Mehmet Admin"
    again = post(admin, "/api/v1/conflicts", payload)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert [c["id"] for c in admin.get("/api/v1/conflicts").json()] == [body["id"]]
    for persona in ("outsider", "expert", "requester", "coordinator"):
        assert client_for(persona).get("/api/v1/conflicts").json() == []
        problem(client_for(persona).delete(f"/api/v1/conflicts/{body['id']}"), 404)
    assert client_for("anonymous").get("/api/v1/conflicts").status_code == 401
    deleted = admin.delete(f"/api/v1/conflicts/{body['id']}")
    assert deleted.status_code == 204
    assert not ConflictOfInterest.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="conflict.").count() == 2


@pytest.mark.parametrize(
    ("persona", "overrides", "status"),
    [
        ("outsider", {}, 404),  # not their member
        ("expert", {}, 403),  # their member, but not its admin
        ("requester", {"member_id": "hospital"}, 403),  # a public party declares nothing
        ("member_admin", {"public_party_id": "other_company"}, 400),
        ("member_admin", {"public_party_id": 987654}, 400),
        ("member_admin", {"description": " "}, 400),
        ("member_admin", {"description": "x" * 301}, 422),
    ],
)
def test_bad_conflicts_change_nothing(personas, client_for, persona, overrides, status):
    payload = {
        "member_id": personas.member_company.pk,
        "public_party_id": personas.hospital.pk,
        "description": "Leverancier",
    }
    for field, value in overrides.items():
        named = isinstance(value, str) and field.endswith("_id")
        payload[field] = getattr(personas, value).pk if named else value
    problem(post(client_for(persona), "/api/v1/conflicts", payload), status)
    assert not ConflictOfInterest.objects.exists()


def test_a_declared_conflict_keeps_the_member_out_of_the_ranking(personas, client_for, market):
    request = open_request(personas)
    post(
        client_for("member_admin"),
        "/api/v1/conflicts",
        {
            "member_id": personas.member_company.pk,
            "public_party_id": personas.hospital.pk,
            "description": "Leverancier",
        },
    )
    assert client_for("coordinator").get(f"/api/v1/requests/{request.pk}/candidates").json() == []


# --- OpenAPI ------------------------------------------------------------------------------


def test_openapi_lists_every_help_request_path(personas):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/requests": {"get", "post"},
        "/api/v1/requests/{request_id}": {"get"},
        "/api/v1/requests/{request_id}/messages": {"get"},
        "/api/v1/requests/{request_id}/answer": {"post"},
        "/api/v1/requests/{request_id}/still-needed": {"post"},
        "/api/v1/requests/{request_id}/withdraw": {"post"},
        "/api/v1/requests/{request_id}/accept": {"post"},
        "/api/v1/requests/{request_id}/ask": {"post"},
        "/api/v1/requests/{request_id}/merge": {"post"},
        "/api/v1/requests/{request_id}/reject": {"post"},
        "/api/v1/requests/{request_id}/candidates": {"get"},
        "/api/v1/requests/{request_id}/proposals": {"post"},
        "/api/v1/proposals": {"get"},
        "/api/v1/proposals/{proposal_id}/accept": {"post"},
        "/api/v1/proposals/{proposal_id}/decline": {"post"},
        "/api/v1/engagements": {"get"},
        "/api/v1/engagements/{engagement_id}": {"get"},
        "/api/v1/engagements/{engagement_id}/messages": {"post"},
        "/api/v1/engagements/{engagement_id}/hours": {"get", "post"},
        "/api/v1/engagements/{engagement_id}/deliver": {"post"},
        "/api/v1/engagements/{engagement_id}/close": {"post"},
        "/api/v1/conflicts": {"get", "post"},
        "/api/v1/conflicts/{conflict_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            assert paths[path][method]["summary"], (path, method)
    components = schema["components"]["schemas"]
    for name in ("RequestIn", "RequestOut", "CandidateOut", "ProposalOut", "EngagementOut"):
        assert name in components
    assert "description" not in components["RequestTeaserOut"]["properties"]
    assert components["RequestIn"]["properties"]["title"]["maxLength"] == services.MAX_TITLE
