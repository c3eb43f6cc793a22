"""Finding members for a request: who is eligible, how they rank and why,
proposals and what follows when nobody answers, and surge mode."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.helprequests import engagements, matching, services
from ttc.helprequests.models import (
    ConflictOfInterest,
    HelpRequest,
    Proposal,
    ProposalStatus,
    RequestStatus,
)
from ttc.helprequests.testing import (
    make_market,
    make_request,
    open_request,
    propose,
    request_data,
    second_member,
)
from ttc.lib.workdays import add_working_days, is_working_day
from ttc.members.models import Consent, Membership, MemberStatus, Skill

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def market(personas) -> Skill:
    return make_market(personas)


def plain(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def org_key(org) -> str:
    return f"org:{org.pk}"


def expert_key(user) -> str:
    return f"expert:{user.pk}"


def keys(request: HelpRequest) -> list[str]:
    return [item.candidate.key for item in matching.rank(request)]


def coordinator_titles(personas) -> list[str]:
    return list(
        Notification.objects.filter(recipient=personas.coordinator).values_list("title", flat=True)
    )


# Who is eligible ----------------------------------------------------------------------


def test_the_member_company_and_its_expert_are_candidates(personas, market):
    request = open_request(personas)
    ranked = matching.rank(request)
    assert [item.candidate.key for item in ranked] == [
        expert_key(personas.expert),  # personal top level beats the company's declared area
        org_key(personas.member_company),
    ]
    expert, company = ranked
    assert expert.skill == 1.0
    assert company.skill == matching.COMPANY_SKILL_STRENGTH
    assert expert.candidate.company == company.candidate.company == personas.member_company.pk
    assert company.candidate.free_hours == 40
    assert expert.candidate.free_hours == 16


def test_without_the_market_nobody_is_a_candidate(personas):
    request = open_request(personas)
    assert matching.rank(request) == []


def _noncompliant(personas):
    personas.member_company.noncompliant_since = timezone.localdate()
    personas.member_company.save()


def _suspended(personas):
    personas.member_company.status = MemberStatus.SUSPENDED
    personas.member_company.suspended_until = timezone.localdate() + timedelta(days=30)
    personas.member_company.save()


def _no_capacity(personas):
    personas.member_company.capacity_hours = 0
    personas.member_company.save()


def _capacity_unknown(personas):
    personas.member_company.capacity_hours = None
    personas.member_company.save()


def _conflict(personas):
    ConflictOfInterest.objects.create(
        member=personas.member_company,
        public_party=personas.hospital,
        description="Levert het patiëntportaal",
        declared_by=personas.member_admin,
    )


@pytest.mark.parametrize(
    ("change", "expert_stays"),
    [
        (_noncompliant, False),
        (_suspended, False),
        (_no_capacity, True),  # the expert offers their own hours
        (_capacity_unknown, True),
        (_conflict, False),  # the whole company stays away from the party
    ],
    ids=["not compliant", "suspended", "no capacity", "capacity unknown", "conflict"],
)
def test_an_ineligible_company_is_not_ranked(personas, market, change, expert_stays):
    request = open_request(personas)
    other, _admin = second_member(market)
    change(personas)
    ranked = keys(request)
    assert org_key(personas.member_company) not in ranked
    assert (expert_key(personas.expert) in ranked) is expert_stays
    assert org_key(other) in ranked


def test_a_company_busy_for_the_whole_week_is_not_ranked(personas, market):
    personas.member_company.capacity_hours = 8
    personas.member_company.save()
    first = open_request(personas, title="Eerste")
    propose(personas, first, org_key(personas.member_company))
    second = open_request(personas, title="Tweede")
    assert org_key(personas.member_company) not in keys(second)


def test_an_expert_without_personal_consent_is_not_ranked(personas, market):
    Consent.objects.filter(user=personas.expert, organisation=None).delete()
    request = open_request(personas)
    assert keys(request) == [org_key(personas.member_company)]


def test_an_expert_of_a_company_that_left_is_not_ranked(personas, market):
    Membership.objects.filter(user=personas.expert).delete()
    request = open_request(personas)
    assert keys(request) == [org_key(personas.member_company)]


def test_a_candidate_without_the_skill_is_not_ranked(personas, market):
    other_skill = Skill.objects.exclude(pk=market.pk).filter(parent__isnull=False).first()
    request = open_request(personas, skill_ids=[other_skill.pk])
    assert keys(request) == []


# Conflicts of interest ------------------------------------------------------------------


def test_a_member_admin_declares_a_conflict_on_the_conflicts_page(personas, client_for, market):
    request = open_request(personas)
    client = client_for("member_admin")
    page = client.get("/conflicts/")
    assert page.status_code == 200
    assert "No relationships declared." in plain(page)

    response = client.post(
        "/conflicts/",
        {"public_party": personas.hospital.pk, "description": "Wij leveren hun patiëntportaal."},
        follow=True,
    )

    assert "Declared. You will not be proposed for their requests." in plain(response)
    conflict = ConflictOfInterest.objects.get()
    assert conflict.member == personas.member_company
    assert conflict.public_party == personas.hospital
    assert conflict.declared_by == personas.member_admin
    assert "Ziekenhuis Noorderlicht : Wij leveren hun patiëntportaal." in plain(response)
    assert AuditEvent.objects.filter(action="conflict.declare").count() == 1
    assert keys(request) == []
    coordinator_page = plain(client_for("coordinator").get(f"/requests/{request.pk}/candidates/"))
    assert "No eligible member fits this request now." in coordinator_page

    client.post(f"/conflicts/{conflict.pk}/remove/")
    assert not ConflictOfInterest.objects.exists()
    assert AuditEvent.objects.filter(action="conflict.remove").count() == 1
    assert org_key(personas.member_company) in keys(request)


def test_a_conflict_with_the_umbrella_counts_when_the_umbrella_submitted(personas, market):
    ConflictOfInterest.objects.create(
        member=personas.member_company,
        public_party=personas.umbrella_org,
        description="Beheert hun netwerk",
        declared_by=personas.member_admin,
    )
    direct = open_request(personas)
    assert org_key(personas.member_company) in keys(direct)
    via = services.helprequest_submit(
        author=personas.umbrella,
        organisation=personas.hospital,
        data=request_data(title="Via de koepel"),
    )
    services.helprequest_accept(request=via, actor=personas.coordinator)
    assert keys(via) == []


def test_the_conflicts_page_refuses_bad_input_and_strangers(personas, client_for):
    client = client_for("member_admin")
    response = client.post("/conflicts/", {"public_party": personas.other_company.pk})
    assert "Choose a public party." in plain(response)
    assert "Describe the relationship in a few words." in plain(response)
    assert not ConflictOfInterest.objects.exists()
    for persona in ("requester", "expert", "umbrella"):
        assert client_for(persona).get("/conflicts/").status_code == 403
    assert client_for("anonymous").get("/conflicts/").status_code == 302
    conflict = ConflictOfInterest.objects.create(
        member=personas.member_company,
        public_party=personas.hospital,
        description="Levert het portaal",
        declared_by=personas.member_admin,
    )
    # Another member's admin neither sees nor removes it.
    outsider = client_for("outsider")
    assert "Levert het portaal" not in plain(outsider.get("/conflicts/"))
    assert outsider.post(f"/conflicts/{conflict.pk}/remove/").status_code == 404
    assert ConflictOfInterest.objects.exists()
    with pytest.raises(PermissionDenied):
        engagements.conflict_declare(
            actor=personas.expert,
            member=personas.member_company,
            public_party=personas.hospital,
            description="x",
        )


# The ranking page ---------------------------------------------------------------------


def test_the_candidates_page_explains_each_score_in_plain_words(personas, client_for, market):
    request = open_request(personas)
    page = plain(client_for("coordinator").get(f"/requests/{request.pk}/candidates/"))
    assert "1. Eva Expert – score 1.00" in page
    assert "2. Veilig Netwerk B.V. – score 0.86" in page
    for words in (
        "Skill fit 0.55 Offers 100% of the skills asked for, weighted by level.",
        "Skill fit 0.41 Offers 75% of the skills asked for, weighted by level.",
        "Availability 0.20 Has 16 hours a week free (100% of the effort).",
        "Availability 0.20 Has 40 hours a week free (100% of the effort).",
        "Region 0.10 Works in the region asked for.",
        "Language 0.15 Speaks the language asked for.",
        "Fairness adjustment 0.00 Had 0 of at most 10 matches in the last 90 days.",
    ):
        assert words in page
    assert "Choose at most 1 candidate" in page


def test_the_explanation_names_missing_region_and_language(personas, client_for, market):
    request = open_request(personas, region="limburg", language="en")
    page = plain(client_for("coordinator").get(f"/requests/{request.pk}/candidates/"))
    assert "Region 0.00 Works in other regions." in page
    assert "Language 0.00 Does not list the language asked for." in page  # the expert: nl only


@pytest.mark.parametrize("persona", ["requester", "member_admin", "expert", "outsider"])
def test_only_coordinators_see_the_ranking(personas, client_for, market, persona):
    request = open_request(personas)
    client = client_for(persona)
    assert client.get(f"/requests/{request.pk}/candidates/").status_code == 403
    response = client.post(
        f"/requests/{request.pk}/candidates/", {"candidate": org_key(personas.member_company)}
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()
    with pytest.raises(PermissionDenied):
        matching.match_propose(
            request=request,
            candidate_keys=[org_key(personas.member_company)],
            actor=personas.get(persona),
        )


# Proposing ------------------------------------------------------------------------------


def test_a_coordinator_proposes_from_the_page(personas, client_for, market):
    request = open_request(personas)
    Notification.objects.all().delete()
    mail.outbox.clear()

    response = client_for("coordinator").post(
        f"/requests/{request.pk}/candidates/",
        {"candidate": org_key(personas.member_company)},
        follow=True,
    )

    assert response.redirect_chain[0][0] == f"/requests/{request.pk}/"
    assert "1 proposed. They have 3 working days to answer." in plain(response)
    proposal = Proposal.objects.get()
    assert proposal.request == request
    assert proposal.organisation == personas.member_company
    assert proposal.expert is None
    assert proposal.candidate_key == org_key(personas.member_company)
    assert proposal.proposed_by == personas.coordinator
    assert proposal.status == ProposalStatus.PROPOSED
    assert not proposal.via_batch
    assert proposal.breakdown["skill"] == 0.75
    assert proposal.breakdown["availability"] == 1.0
    assert proposal.breakdown["region"] == 1.0
    assert proposal.breakdown["language"] == 1.0
    assert proposal.breakdown["fairness"] == 0.0
    assert proposal.breakdown["score"] == round(proposal.score, 4) == 0.8625
    event = AuditEvent.objects.get(action="match.propose")
    assert event.actor == personas.coordinator
    assert event.object_id == str(request.pk)
    assert event.data["candidate"] == org_key(personas.member_company)
    assert event.data["proposal"] == proposal.pk
    for part in ("score", "skill", "availability", "region", "language", "fairness"):
        assert event.data[part] == proposal.breakdown[part]
    # The company's admins are asked; the e-mail names no request.
    assert list(Notification.objects.values_list("recipient__email", "title")) == [
        (personas.member_admin.email, "You are asked to help with a request")
    ]
    [message] = mail.outbox
    assert message.to == [personas.member_admin.email]
    assert request.title not in message.body + message.subject
    assert f"/proposals/{proposal.pk}/" in message.body
    # The coordinator's view of the request lists the proposal.
    page = plain(client_for("coordinator").get(f"/requests/{request.pk}/"))
    assert "Veilig Netwerk B.V. 0.86 Carla Coördinator Waiting for an answer" in page


def test_an_expert_is_asked_personally(personas, market):
    request = open_request(personas)
    proposal = propose(personas, request, expert_key(personas.expert))
    assert proposal.expert == personas.expert
    assert proposal.organisation == personas.member_company
    assert list(
        Notification.objects.filter(title__startswith="You are asked").values_list(
            "recipient", flat=True
        )
    ) == [personas.expert.pk]


def test_proposing_more_than_the_open_places_is_refused(personas, client_for, market):
    request = open_request(personas)
    response = client_for("coordinator").post(
        f"/requests/{request.pk}/candidates/",
        {"candidate": [org_key(personas.member_company), expert_key(personas.expert)]},
        follow=True,
    )
    assert "This request needs one more person; choose one." in plain(response)
    assert not Proposal.objects.exists()
    assert not AuditEvent.objects.filter(action="match.propose").exists()


def test_proposing_nobody_or_an_unknown_candidate_is_refused(personas, client_for, market):
    request = open_request(personas)
    client = client_for("coordinator")
    response = client.post(f"/requests/{request.pk}/candidates/", {}, follow=True)
    assert "Choose at least one candidate." in plain(response)
    for key in ("org:999999", "expert:abc", "bogus"):
        response = client.post(
            f"/requests/{request.pk}/candidates/", {"candidate": key}, follow=True
        )
        assert response.status_code == 200
        assert "candidate" in plain(response).lower()
    # The outsider's company lacks the skill: not on the ranking, not proposable.
    response = client.post(
        f"/requests/{request.pk}/candidates/",
        {"candidate": org_key(personas.other_company)},
        follow=True,
    )
    assert "Some chosen candidates can no longer be proposed" in plain(response)
    assert not Proposal.objects.exists()


def test_a_request_is_accepted_before_members_are_proposed(personas, client_for, market):
    request = make_request(personas)
    client = client_for("coordinator")
    page = plain(client.get(f"/requests/{request.pk}/candidates/"))
    assert "Accept the request in triage before proposing members." in page
    response = client.post(
        f"/requests/{request.pk}/candidates/",
        {"candidate": org_key(personas.member_company)},
        follow=True,
    )
    assert "Accept the request in triage before proposing members." in plain(response)
    assert not Proposal.objects.exists()


def test_a_member_already_asked_is_not_ranked_again(personas, client_for, market):
    request = open_request(personas, experts_needed=2)
    propose(personas, request, org_key(personas.member_company))
    # Neither the company nor its experts: the company has been asked.
    assert keys(request) == []
    client = client_for("coordinator")
    page = plain(client.get(f"/requests/{request.pk}/candidates/"))
    assert "Veilig Netwerk B.V. – score" not in page
    assert "Choose at most 1 candidate" in page
    response = client.post(
        f"/requests/{request.pk}/candidates/",
        {"candidate": org_key(personas.member_company)},
        follow=True,
    )
    assert "Some chosen candidates can no longer be proposed" in plain(response)
    assert Proposal.objects.count() == 1
    # Not after declining either.
    engagements.proposal_decline(
        proposal=Proposal.objects.get(), actor=personas.member_admin, reason="Vol"
    )
    assert org_key(personas.member_company) not in keys(request)


def test_the_fairness_adjustment_counts_recent_matches(personas, client_for, market):
    first = open_request(personas, title="Eerste")
    propose(personas, first, org_key(personas.member_company))
    second = open_request(personas, title="Tweede")
    company = next(item for item in matching.rank(second) if item.candidate.key.startswith("org:"))
    assert company.recent_matches == 1
    assert company.fairness == pytest.approx(0.03)
    page = plain(client_for("coordinator").get(f"/requests/{second.pk}/candidates/"))
    assert "Fairness adjustment -0.03 Had 1 of at most 10 matches in the last 90 days." in page


def test_the_fairness_cap_from_settings_excludes_a_company(personas, settings, market):
    settings.TTC_FAIRNESS_CAP = 1
    other, _admin = second_member(market)
    first = open_request(personas, title="Eerste")
    propose(personas, first, org_key(personas.member_company))
    second = open_request(personas, title="Tweede")
    # The company used its whole allowance: neither it nor its expert is proposed.
    assert keys(second) == [org_key(other)]
    with pytest.raises(ValidationError):
        propose(personas, second, expert_key(personas.expert))
    # A match outside the window no longer counts.
    Proposal.objects.update(proposed_at=timezone.now() - timedelta(days=91))
    assert expert_key(personas.expert) in keys(second)


def test_one_proposal_round_cannot_pass_the_fairness_cap(personas, settings, market):
    settings.TTC_FAIRNESS_CAP = 1
    request = open_request(personas, experts_needed=2)
    both = [org_key(personas.member_company), expert_key(personas.expert)]
    with pytest.raises(ValidationError):
        matching.match_propose(request=request, candidate_keys=both, actor=personas.coordinator)
    assert Proposal.objects.filter(organisation=personas.member_company).count() <= 1


# Working days ----------------------------------------------------------------------------


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)


def _utc(*args) -> datetime:
    """A Dutch wall-clock time as `timezone.now()` returns it: in UTC."""
    return _local(*args).astimezone(UTC)


@pytest.mark.parametrize(
    ("proposed", "due"),
    [
        (_local(2026, 6, 12, 10, 0), _local(2026, 6, 17, 10, 0)),  # Friday → Wednesday
        (_local(2026, 12, 24, 10, 0), _local(2026, 12, 30, 10, 0)),  # Christmas in between
        (_local(2026, 4, 24, 10, 0), _local(2026, 4, 30, 10, 0)),  # King's Day on Monday
        (_local(2026, 4, 2, 10, 0), _local(2026, 4, 9, 10, 0)),  # Good Friday, Easter Monday
    ],
    ids=["weekend", "christmas", "kings day", "easter"],
)
def test_a_proposal_is_due_three_dutch_working_days_later(personas, market, proposed, due):
    request = open_request(personas)
    # timezone.now() gives UTC, as it does in production.
    with mock.patch("django.utils.timezone.now", return_value=proposed.astimezone(UTC)):
        proposal = propose(personas, request, org_key(personas.member_company))
    assert proposal.proposed_at == proposed
    assert timezone.localtime(proposal.respond_by, AMSTERDAM) == due


def test_add_working_days_skips_weekends_and_dutch_holidays():
    assert add_working_days(_local(2026, 12, 24, 9), 1) == _local(2026, 12, 28, 9)
    assert add_working_days(_local(2027, 3, 25, 9), 1) == _local(2027, 3, 30, 9)  # Easter
    assert add_working_days(_local(2027, 4, 26, 9), 1) == _local(2027, 4, 28, 9)  # King's Day
    assert add_working_days(_local(2026, 12, 31, 9), 1) == _local(2027, 1, 4, 9)  # New Year
    # Started on a weekend, the count begins at the next working day.
    assert add_working_days(_local(2026, 6, 13, 9), 1) == _local(2026, 6, 15, 9)
    assert add_working_days(_local(2026, 6, 13, 9), 0) == _local(2026, 6, 13, 9)
    assert not is_working_day(_local(2026, 4, 27).date())
    assert is_working_day(_local(2026, 4, 28).date())
    with pytest.raises(ValueError):
        add_working_days(_local(2026, 6, 12), -1)


def test_the_answer_time_keeps_the_local_time_across_summer_time(personas, market):
    request = open_request(personas)
    with mock.patch("django.utils.timezone.now", return_value=_utc(2026, 3, 27, 10, 0)):
        proposal = propose(personas, request, org_key(personas.member_company))
    assert timezone.localtime(proposal.respond_by, AMSTERDAM) == _local(2026, 4, 1, 10, 0)


def test_the_answer_time_counts_dutch_days_just_after_midnight(personas, market):
    request = open_request(personas)
    # 00:30 on Christmas Day in the Netherlands is still 24 December in UTC.
    with mock.patch("django.utils.timezone.now", return_value=_utc(2026, 12, 25, 0, 30)):
        proposal = propose(personas, request, org_key(personas.member_company))
    assert timezone.localtime(proposal.respond_by, AMSTERDAM) == _local(2026, 12, 30, 0, 30)


# Declining and silence ------------------------------------------------------------------


def test_declining_needs_a_reason(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "decline", "text": "  "}, follow=True
    )
    assert "Say briefly why, so the coordinators can learn from it." in plain(response)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED
    assert Proposal.objects.count() == 1


def test_an_oversized_decline_reason_is_refused_not_cut(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    with pytest.raises(ValidationError):
        engagements.proposal_decline(
            proposal=proposal, actor=personas.member_admin, reason="x" * 2_001
        )
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "decline", "text": "x" * 2_001}, follow=True
    )
    assert "Keep it under 2,000 characters." in plain(response)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_a_decline_asks_the_next_candidate(personas, client_for, market):
    other, other_admin = second_member(market)
    request = open_request(personas)
    first = propose(personas, request, expert_key(personas.expert))
    Notification.objects.all().delete()

    response = client_for("expert").post(
        f"/proposals/{first.pk}/",
        {"decision": "decline", "text": "Ik zit deze maand vol."},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/proposals/"
    assert "Declined. The coordinators ask someone else." in plain(response)
    first.refresh_from_db()
    assert first.status == ProposalStatus.DECLINED
    assert first.decline_reason == "Ik zit deze maand vol."
    assert first.responded_by == personas.expert
    event = AuditEvent.objects.get(action="proposal.decline")
    assert event.data["reason"] == "Ik zit deze maand vol."
    # The next in the ranking is asked by the platform itself: another company,
    # since a member asked once is not asked again for the same request.
    second = Proposal.objects.get(status=ProposalStatus.PROPOSED)
    assert second.candidate_key == org_key(other)
    assert second.proposed_by is None
    assert coordinator_titles(personas) == [f"Next candidate asked for “{request.title}”"]
    assert Notification.objects.filter(
        recipient=other_admin, title="You are asked to help with a request"
    ).exists()
    # The coordinators read the reason on the request.
    page = plain(client_for("coordinator").get(f"/requests/{request.pk}/"))
    assert "Declined: Ik zit deze maand vol." in page
    assert "The platform, next in the ranking" in page

    Notification.objects.all().delete()

    engagements.proposal_decline(proposal=second, actor=other_admin, reason="Niet onze kennis")

    assert not Proposal.objects.filter(status=ProposalStatus.PROPOSED).exists()
    assert coordinator_titles(personas) == [f"No more candidates for “{request.title}”"]
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_only_the_proposed_member_answers(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    # A company proposal is answered by its admins, not by any employee.
    for persona in ("expert", "outsider", "requester"):
        response = client_for(persona).post(
            f"/proposals/{proposal.pk}/", {"decision": "decline", "text": "Nee"}
        )
        assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        engagements.proposal_decline(proposal=proposal, actor=personas.expert, reason="Nee")
    response = client_for("coordinator").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "Only the proposed member answers this proposal." in plain(response)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


def test_an_answered_proposal_cannot_be_answered_again(personas, client_for, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    engagements.proposal_decline(proposal=proposal, actor=personas.member_admin, reason="Vol")
    response = client_for("member_admin").post(
        f"/proposals/{proposal.pk}/", {"decision": "accept"}, follow=True
    )
    assert "This proposal was already answered or has expired (Declined)." in plain(response)
    assert not proposal.request.engagements.exists()


def test_an_unanswered_proposal_expires_and_the_next_is_asked(personas, market):
    other, _admin = second_member(market)
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    Notification.objects.all().delete()

    report = engagements.proposals_follow_up(now=proposal.respond_by - timedelta(minutes=1))
    assert report.expired == 0
    report = engagements.proposals_follow_up(now=proposal.respond_by + timedelta(minutes=1))

    assert report.expired == 1
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.EXPIRED
    assert AuditEvent.objects.filter(action="proposal.expire").count() == 1
    following = Proposal.objects.get(status=ProposalStatus.PROPOSED)
    assert following.candidate_key == org_key(other)
    assert coordinator_titles(personas) == [f"Next candidate asked for “{request.title}”"]
    # Safe to run again: what expired stays expired, once.
    assert following.respond_by > proposal.respond_by
    Proposal.objects.filter(pk=following.pk).update(respond_by=timezone.now() + timedelta(days=9))
    again = engagements.proposals_follow_up(now=proposal.respond_by + timedelta(minutes=1))
    assert again.expired == 0
    assert Proposal.objects.count() == 2
    assert AuditEvent.objects.filter(action="proposal.expire").count() == 1


def test_a_reminder_is_sent_once_when_less_than_a_working_day_is_left(personas, market):
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    mail.outbox.clear()

    early = engagements.proposals_follow_up(now=proposal.proposed_at + timedelta(hours=1))
    assert early.reminded == 0
    day_before = add_working_days(proposal.proposed_at, 2) - timedelta(hours=1)
    assert engagements.proposals_follow_up(now=day_before).reminded == 0

    late = proposal.respond_by - timedelta(hours=2)
    assert engagements.proposals_follow_up(now=late).reminded == 1
    proposal.refresh_from_db()
    assert proposal.reminded_at == late
    assert proposal.status == ProposalStatus.PROPOSED
    [message] = mail.outbox
    assert message.to == [personas.member_admin.email]
    assert "Reminder" in message.subject
    assert Notification.objects.filter(
        recipient=personas.member_admin, title="Reminder: please answer whether you can help"
    ).exists()

    assert engagements.proposals_follow_up(now=late + timedelta(minutes=30)).reminded == 0
    assert len(mail.outbox) == 1


def test_the_follow_up_task_and_command_run_the_same_checks(personas, market):
    from ttc.helprequests.tasks import proposals_follow_up_task, stale_requests_daily

    request = open_request(personas)
    propose(personas, request, org_key(personas.member_company))
    Proposal.objects.update(respond_by=timezone.now() - timedelta(minutes=1))
    result = proposals_follow_up_task.enqueue()
    assert result.return_value == {"reminded": 0, "expired": 1, "withdrawn": 0}
    assert stale_requests_daily.enqueue().return_value == {"asked": 0, "closed": 0}


# Surge mode --------------------------------------------------------------------------------


def _tokens(page: str) -> list[str]:
    return re.findall(r'name="pair" value="([^"]+)"', page)


@pytest.fixture
def surge_market(personas, market):
    other, _admin = second_member(market)
    requests = [
        open_request(personas, title="Surge een", experts_needed=2),
        open_request(personas, title="Surge twee"),
        open_request(personas, title="Surge drie"),
    ]
    lonely_skill = Skill.objects.exclude(pk=market.pk).filter(parent__isnull=False).first()
    unfilled = open_request(personas, title="Niemand kan dit", skill_ids=[lonely_skill.pk])
    return requests, unfilled, other


def test_surge_mode_previews_pairs(personas, client_for, surge_market):
    requests, unfilled, other = surge_market
    response = client_for("coordinator").get("/requests/surge/")
    page = response.content.decode()
    tokens = _tokens(page)
    plan = matching.batch_plan()
    assert tokens == [pair.token for pair in plan.pairs]
    assert len(tokens) == 4  # two places for the first request, one for each other
    assert {token.split("|")[0] for token in tokens} == {str(r.pk) for r in requests}
    words = plain(response)
    assert "4 requests need people; the preview proposes 4 members" in words
    assert "No member available" in words
    assert f"#{unfilled.pk} Niemand kan dit" in words
    assert "Propose Eva Expert for" in words
    assert not Proposal.objects.exists()  # a preview changes nothing
    # The best total within capacities and one company per request: the expert's
    # 16 free hours make two places of 8 hours; the two-place request gets one
    # of Veilig Netwerk's and the weaker fit from Utrecht.
    assert plan.total == pytest.approx(2 * 1.0 + 0.8625 + 0.7625)
    candidates = [token.split("|")[1] for token in tokens]
    assert candidates.count(expert_key(personas.expert)) == 2
    assert candidates.count(org_key(personas.member_company)) == 1
    assert candidates.count(org_key(other)) == 1
    two_places = [t.split("|")[1] for t in tokens if t.startswith(f"{requests[0].pk}|")]
    assert org_key(other) in two_places
    for request in requests:
        mine = [token for token in tokens if token.startswith(f"{request.pk}|")]
        assert len(mine) == len(set(mine)) == request.experts_needed


def test_surge_mode_confirms_exactly_the_ticked_pairs(personas, client_for, surge_market):
    client = client_for("coordinator")
    tokens = _tokens(client.get("/requests/surge/").content.decode())
    chosen = [tokens[0], tokens[-1]]

    response = client.post("/requests/surge/", {"pair": chosen}, follow=True)

    assert response.redirect_chain[-1][0] == "/requests/triage/"
    assert "2 proposals sent." in plain(response)
    made = {f"{p.request_id}|{p.candidate_key}" for p in Proposal.objects.all()}
    assert made == set(chosen)
    assert all(p.via_batch for p in Proposal.objects.all())
    assert all(p.proposed_by == personas.coordinator for p in Proposal.objects.all())
    assert AuditEvent.objects.filter(action="match.propose").count() == 2
    batch = AuditEvent.objects.get(action="match.batch_confirm")
    assert sorted(batch.data["proposals"]) == sorted(Proposal.objects.values_list("pk", flat=True))
    page = plain(client.get(f"/requests/{Proposal.objects.first().request_id}/"))
    assert "(surge mode)" in page


def test_surge_mode_refuses_a_tampered_or_stale_choice(personas, client_for, surge_market):
    requests, _unfilled, _other = surge_market
    client = client_for("coordinator")
    tokens = _tokens(client.get("/requests/surge/").content.decode())

    for bad in (["999999|org:1"], [tokens[0], f"{requests[1].pk}|org:{personas.other_company.pk}"]):
        response = client.post("/requests/surge/", {"pair": bad}, follow=True)
        assert "The situation changed since the preview" in plain(response)
    response = client.post("/requests/surge/", {}, follow=True)
    assert "Choose at least one proposal to confirm." in plain(response)
    assert not Proposal.objects.exists()

    # Meanwhile a coordinator proposes by hand: the preview is stale.
    manual = requests[1]
    propose(personas, manual, org_key(personas.member_company))
    stale = [token for token in tokens if token.startswith(f"{manual.pk}|")] + [tokens[0]]
    response = client.post("/requests/surge/", {"pair": stale}, follow=True)
    assert "The situation changed since the preview: 1 pair is" in plain(response)
    assert Proposal.objects.count() == 1
    assert not Proposal.objects.filter(via_batch=True).exists()
    assert not AuditEvent.objects.filter(action="match.batch_confirm").exists()


def test_surge_mode_respects_conflicts_and_the_cap(personas, settings, surge_market):
    _requests, _unfilled, other = surge_market
    settings.TTC_FAIRNESS_CAP = 1
    _conflict(personas)
    plan = matching.batch_plan()
    assert {pair.candidate_key for pair in plan.pairs} == {org_key(other)}
    assert len(plan.pairs) == 1  # the cap: one match per company in the window


@pytest.mark.parametrize("persona", ["requester", "member_admin", "outsider"])
def test_only_coordinators_use_surge_mode(personas, client_for, surge_market, persona):
    client = client_for(persona)
    assert client.get("/requests/surge/").status_code == 403
    assert client.post("/requests/surge/", {"pair": ["1|org:1"]}).status_code == 403
    with pytest.raises(PermissionDenied):
        matching.batch_confirm(tokens=["1|org:1"], actor=personas.get(persona))


def test_proposals_to_a_suspended_member_are_withdrawn_and_the_next_is_asked(personas, market):
    other, _admin = second_member(market)
    request = open_request(personas)
    proposal = propose(personas, request, org_key(personas.member_company))
    assert engagements.proposals_follow_up().withdrawn == 0
    type(personas.member_company).objects.filter(pk=personas.member_company.pk).update(
        status="suspended"
    )

    report = engagements.proposals_follow_up()

    assert report.withdrawn == 1
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="proposal.withdraw").count() == 1
    following = Proposal.objects.get(status=ProposalStatus.PROPOSED)
    assert following.candidate_key == org_key(other)
    assert engagements.proposals_follow_up().withdrawn == 0  # once


def test_a_proposal_to_an_expert_who_left_is_withdrawn(personas, market):
    request = open_request(personas)
    proposal = propose(personas, request, expert_key(personas.expert))
    Membership.objects.filter(user=personas.expert).delete()

    assert engagements.proposals_follow_up().withdrawn == 1
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN


def test_surge_mode_says_when_only_the_fairness_cap_holds_a_request(
    personas, client_for, market, settings
):
    settings.TTC_FAIRNESS_CAP = 1
    first = open_request(personas, title="Eerste")
    propose(personas, first, org_key(personas.member_company))  # the company is at its cap
    waiting = open_request(personas, title="Tweede")
    lonely_skill = Skill.objects.exclude(pk=market.pk).filter(parent__isnull=False).first()
    nobody = open_request(personas, title="Niemand kan dit", skill_ids=[lonely_skill.pk])

    plan = matching.batch_plan()

    assert plan.pairs == []
    assert {r.pk for r in plan.unfilled} == {waiting.pk, nobody.pk}
    assert [r.pk for r in plan.held_by_cap] == [waiting.pk]
    words = plain(client_for("coordinator").get("/requests/surge/"))
    assert (
        "1 request stays without a member only because the companies that fit it "
        "reached the fairness cap (1 per company in 90 days)"
    ) in words
