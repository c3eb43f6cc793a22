"""The demo data: every persona log-in works, every membership state and every
help-request state exists and keeps to the rules, and a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.utils import timezone

from ttc.accounts.models import Role, User
from ttc.announcements.models import Announcement
from ttc.core.audit import verify_chain
from ttc.core.models import AuditEvent, Notification
from ttc.core.tlp import TLP
from ttc.demo.helprequests import MIN_REQUESTS
from ttc.demo.management.commands.seed_demo import (
    DEMO_PASSWORD,
    INDEPENDENT_EXPERTS,
    MIN_COMPANIES,
    PERSONAS,
)
from ttc.helprequests.models import (
    CloseReason,
    ConflictOfInterest,
    Engagement,
    EngagementMessage,
    EngagementStatus,
    Feedback,
    HelpRequest,
    HoursLog,
    Proposal,
    ProposalStatus,
    RequestMessage,
    RequestStatus,
)
from ttc.members import experts
from ttc.members.compliance import Issue, issues_of
from ttc.members.models import (
    Application,
    ApplicationMessage,
    BreachReport,
    ChecklistMark,
    CodeOfConduct,
    Consent,
    ExpertInvitation,
    ExpertProfile,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    ReviewDecision,
    TaxStatement,
)

pytestmark = pytest.mark.django_db

COMPANIES, EXPERTS = 12, 40


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Tax statements are files: keep them out of the project's var/."""
    settings.MEDIA_ROOT = tmp_path


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", companies=COMPANIES, experts=EXPERTS, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            User,
            Organisation,
            Membership,
            ExpertSkill,
            ExpertProfile,
            Consent,
            Application,
            ReviewDecision,
            ChecklistMark,
            TaxStatement,
            BreachReport,
            ExpertInvitation,
            Announcement,
            HelpRequest,
            RequestMessage,
            Proposal,
            Engagement,
            EngagementMessage,
            HoursLog,
            Feedback,
            ConflictOfInterest,
            Notification,
            AuditEvent,
        )
    )


def test_seed_prints_a_working_log_in_per_persona(client):
    output = seed()
    expected_roles = {
        "coordinator": Role.COORDINATOR,
        "member_admin": Role.MEMBER_ADMIN,
        "expert": Role.EXPERT,
        "requester": Role.REQUESTER,
        "umbrella": Role.REQUESTER,
        "outsider": Role.MEMBER_ADMIN,
    }
    for persona, email, _ in PERSONAS:
        assert email in output
        user = User.objects.get(email=email)
        assert user.role == expected_roles[persona]
        assert user.check_password(DEMO_PASSWORD)
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        # Signed in, and (everyone here belongs somewhere) sent on to set up MFA.
        assert response.status_code == 302
        assert client.get("/dashboard/").url == "/accounts/2fa/totp/activate/"
        client.logout()
    assert Organisation.objects.public_parties().count() == 62
    assert Organisation.objects.member_companies().count() == COMPANIES
    # The company people given, plus the independent experts.
    assert ExpertSkill.objects.values("user").distinct().count() == EXPERTS + len(
        INDEPENDENT_EXPERTS
    )


def members_in(status: str, kind: str = OrganisationKind.MEMBER_COMPANY):
    return Organisation.objects.filter(kind=kind, status=status)


def test_every_membership_state_exists_and_keeps_to_the_rules():
    seed()
    today = timezone.localdate()
    code = CodeOfConduct.objects.current()

    # Waiting: applied, with an application and a tax statement, not yet reviewed.
    applied = members_in(MemberStatus.APPLIED)
    assert applied.count() >= 2
    for organisation in applied:
        assert not organisation.application.decisions.exists()
        assert organisation.tax_statements.exists()
        assert organisation.vetted_at is None

    # Under review: checklist marks and exactly one approval so far.
    under_review = members_in(MemberStatus.UNDER_REVIEW)
    assert under_review.count() >= 2
    for organisation in under_review:
        application = organisation.application
        assert application.approvals().count() == 1
        assert application.marks.count() >= 4
        assert application.marks.filter(value=ChecklistMark.Value.NEEDS_INFORMATION).exists()

    # A coordinator's question, which the applicant reads.
    for organisation in members_in(MemberStatus.INFO_REQUESTED):
        assert ApplicationMessage.objects.filter(
            application=organisation.application, from_reviewer=True
        ).exists()
    assert members_in(MemberStatus.INFO_REQUESTED).exists()

    # Rejected with a reason; withdrawn by its own admin.
    rejected = members_in(MemberStatus.REJECTED)
    assert rejected.exists()
    for organisation in rejected:
        assert organisation.application.decisions.get(decision="reject").note
    assert members_in(MemberStatus.WITHDRAWN).exists()

    # Suspended after a breach report decided as a suspension.
    [suspended] = members_in(MemberStatus.SUSPENDED)
    assert suspended.suspended_until > today
    report = BreachReport.objects.get(organisation=suspended)
    assert report.outcome == BreachReport.Outcome.SUSPENDED
    assert report.decided_by.is_coordinator and report.decision_note
    assert BreachReport.objects.filter(outcome=BreachReport.Outcome.OPEN).exists()

    # Approved; one of them not compliant because its tax statement expired.
    approved = members_in(MemberStatus.APPROVED)
    assert approved.count() >= 3
    [noncompliant] = approved.filter(noncompliant_since__isnull=False)
    assert noncompliant.compliance_issues == [Issue.TAX_STATEMENT_EXPIRED]
    assert noncompliant.tax_statements.latest().expires_on <= today
    assert noncompliant not in Organisation.objects.compliant()

    for organisation in Organisation.objects.member_companies().filter(
        status__in=(MemberStatus.APPROVED, MemberStatus.SUSPENDED)
    ):
        # Stored compliance is what the daily check would find.
        assert organisation.compliance_issues == issues_of(organisation, today)
        # Four eyes: two different coordinators approved it.
        approvals = organisation.application.approvals()
        assert approvals.values("reviewer").distinct().count() == 2
        assert organisation.vetted_at is not None
        # A real PDF, a Code consent, and an offer.
        statement = organisation.tax_statements.latest()
        with statement.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        assert Consent.objects.filter(
            organisation=organisation, kind=Consent.Kind.CODE_OF_CONDUCT, version=code.version
        ).exists()
        assert organisation.expertise.exists()
        assert organisation.capacity_hours
        assert organisation.regions and organisation.languages

    # Applicants have only their admin: experts join approved companies by invitation.
    for organisation in Organisation.objects.member_companies().exclude(
        status__in=(MemberStatus.APPROVED, MemberStatus.SUSPENDED)
    ):
        assert list(organisation.memberships.values_list("role", flat=True)) == ["admin"]


def test_experts_and_independents_and_public_parties():
    seed()
    # Experts with profiles, varied skills and their personal consents.
    assert ExpertProfile.objects.count() > EXPERTS // 2
    levels = set(ExpertSkill.objects.values_list("level", flat=True))
    assert levels == {level for level, _ in ExpertSkill.Level.choices}
    assert Consent.objects.filter(organisation=None, kind=Consent.Kind.CHATHAM_HOUSE).exists()
    expert = User.objects.get(email=PERSONAS[2][1])
    assert experts.expert_is_eligible(expert)
    assert (
        ExpertInvitation.objects.filter(accepted_by=expert).exists()
        and ExpertInvitation.objects.filter(accepted_at__isnull=True).count() == 2
    )

    independents = Organisation.objects.filter(kind=OrganisationKind.INDEPENDENT_EXPERT)
    assert independents.filter(status=MemberStatus.APPROVED).exists()
    assert independents.filter(status=MemberStatus.APPLIED).exists()
    for independent in independents:
        assert not independent.tax_statements.exists()
        assert independent.memberships.count() == 1

    public = Organisation.objects.public_parties()
    assert public.filter(status=MemberStatus.APPROVED, vetted_at__isnull=False).count() == 60
    waiting = public.filter(status=MemberStatus.APPLIED)
    assert waiting.count() == 2
    assert waiting.filter(kind=OrganisationKind.HOSPITAL).exclude(agb_code="").exists()
    assert waiting.filter(kind=OrganisationKind.MUNICIPALITY).exclude(oin="").exists()
    # Each waiting party has its person; the coordinators were told.
    assert not waiting.annotate(people=Count("memberships")).filter(people=0).exists()
    assert AuditEvent.objects.filter(action="membership.register").count() == 2


def test_a_second_run_changes_nothing():
    seed()
    before = counts()
    output = seed()
    assert "nothing changed" in output
    assert counts() == before


def test_too_small_a_coalition_is_refused():
    with pytest.raises(CommandError, match=f"at least {MIN_COMPANIES} member companies"):
        call_command("seed_demo", companies=MIN_COMPANIES - 1, experts=40, stdout=StringIO())
    with pytest.raises(CommandError, match="as many experts as companies"):
        call_command("seed_demo", companies=20, experts=19, stdout=StringIO())
    assert User.objects.count() == 0


def persona(name: str) -> User:
    return User.objects.get(email={key: email for key, email, _ in PERSONAS}[name])


def test_help_requests_in_every_state_built_through_the_services():
    output = seed()
    requests = HelpRequest.objects.all()
    assert requests.count() == MIN_REQUESTS
    assert f"Help requests: {MIN_REQUESTS} (" in output
    assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
    assert requests.filter(tlp=TLP.AMBER_STRICT).count() > MIN_REQUESTS // 2
    assert requests.filter(tlp=TLP.RED).count() == requests.filter(tlp=TLP.CLEAR).count() == 1
    assert requests.filter(tlp=TLP.AMBER).exists() and requests.filter(tlp=TLP.GREEN).exists()
    assert requests.filter(submitted_via__isnull=False).exists()

    # Every row has its audit event; every request reached the coordinators.
    request_type = ContentType.objects.get_for_model(HelpRequest)
    for request in requests:
        assert AuditEvent.objects.filter(
            action="helprequest.submit", object_id=str(request.pk)
        ).exists()
        assert Notification.objects.filter(
            target_type=request_type, target_id=request.pk, recipient__is_coordinator=True
        ).exists()
    assert AuditEvent.objects.filter(action="match.propose").count() == Proposal.objects.count()
    assert AuditEvent.objects.filter(action="engagement.hours").count() == HoursLog.objects.count()
    assert verify_chain().intact

    # Triage: one question answered (back in the queue), one waiting for an answer.
    asked = RequestMessage.objects.filter(kind=RequestMessage.Kind.QUESTION)
    [waiting] = requests.filter(status=RequestStatus.NEEDS_INFO)
    assert asked.filter(request=waiting).exists()
    assert not waiting.messages.filter(kind=RequestMessage.Kind.ANSWER).exists()
    answered = RequestMessage.objects.filter(kind=RequestMessage.Kind.ANSWER).get().request
    assert answered.status == RequestStatus.SUBMITTED and asked.filter(request=answered).exists()
    [merged] = requests.filter(status=RequestStatus.MERGED)
    assert merged.merged_into.status == RequestStatus.SUBMITTED and merged.decision_note
    assert requests.get(status=RequestStatus.REJECTED).decision_note
    stale = requests.get(close_reason=CloseReason.STALE)
    assert stale.stale_asked_at is not None and asked.filter(request=stale, author=None).exists()

    # A member declined with a reason, and the next candidate was asked.
    declined = Proposal.objects.filter(status=ProposalStatus.DECLINED).exclude(decline_reason="")
    assert declined.exists()
    assert any(
        d.request.proposals.filter(proposed_at__gte=d.proposed_at).exclude(pk=d.pk).exists()
        for d in declined
    )

    # Work: hours, messages, delivery, and feedback when closed.
    engagements = Engagement.objects.all()
    assert set(engagements.values_list("status", flat=True)) == set(EngagementStatus.values)
    for engagement in engagements:
        assert engagement.hours.exists() and engagement.messages.exists()
        if engagement.status == EngagementStatus.CLOSED:
            assert 3 <= engagement.feedback.rating <= 5
    assert requests.filter(status=RequestStatus.CLOSED, close_reason=CloseReason.DELIVERED).exists()

    for request in requests:
        orgs = set(request.recipient_orgs.values_list("pk", flat=True))
        # The requesting side always receives its request, and so does each member at work.
        assert request.party_ids <= orgs
        assert request.recipient_people.filter(pk=request.created_by_id).exists()
        assert set(request.engagements.values_list("organisation", flat=True)) <= orgs
        # Nobody is proposed to a party they declared a relationship with.
        assert not request.proposals.filter(
            organisation__conflicts__public_party__in=request.party_ids
        ).exists()


def test_each_persona_has_something_to_do():
    seed()
    requester = persona("requester")
    statuses = set(
        HelpRequest.objects.filter(created_by=requester).values_list("status", flat=True)
    )
    assert {RequestStatus.SUBMITTED, RequestStatus.MATCHED, RequestStatus.CLOSED} <= statuses

    member_admin = persona("member_admin")
    assert Proposal.objects.pending().for_responder(member_admin).filter(expert=None).exists()
    [company] = member_admin.admin_organisation_ids
    assert Engagement.objects.current().filter(organisation=company, expert=None).exists()
    assert Engagement.objects.current().filter(expert=persona("expert")).exists()

    assert HelpRequest.objects.triage_queue().count() >= 3
    assert HelpRequest.objects.filter(submitted_via__memberships__user=persona("umbrella")).exists()
    assert ConflictOfInterest.objects.filter(public_party__memberships__user=requester).exists()


def test_history_spreads_over_half_a_year_for_the_statistics():
    seed()
    now = timezone.now()
    requests = HelpRequest.objects.all()
    oldest = requests.order_by("created_at").first().created_at
    assert now - timedelta(days=190) < oldest < now - timedelta(days=60)
    for request in requests:
        steps = (request.created_at, request.triaged_at, request.first_match_at, request.closed_at)
        moments = [moment for moment in steps if moment is not None]
        assert moments == sorted(moments) and moments[-1] < now
    for proposal in Proposal.objects.all():
        assert proposal.proposed_at < proposal.respond_by
        assert proposal.responded_at is None or proposal.proposed_at <= proposal.responded_at
    # Nobody was asked so long ago that the answer is overdue.
    assert all(p.respond_by > now for p in Proposal.objects.pending())
    for entry in HoursLog.objects.select_related("engagement"):
        started = timezone.localdate(entry.engagement.started_at)
        assert started - timedelta(days=1) <= entry.worked_on <= timezone.localdate()
    assert not Notification.objects.filter(created_at__gt=now).exists()
    # Matching spread the work: no company reached its cap.
    per_company = Counter(
        Proposal.objects.filter(status=ProposalStatus.ACCEPTED).values_list(
            "organisation", flat=True
        )
    )
    assert max(per_company.values()) < settings.TTC_FAIRNESS_CAP

    # What the public statistics count: requests in many months, matches, hours.
    months = {(r.created_at.year, r.created_at.month) for r in requests}
    assert len(months) >= 4
    assert requests.filter(first_match_at__isnull=False).count() >= MIN_REQUESTS // 2
    assert HoursLog.objects.aggregate(total=Sum("hours"))["total"] > 100
