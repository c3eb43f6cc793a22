"""The demo data: every persona log-in works, every membership state exists and
keeps to the rules, and a second run changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from ttc.accounts.models import Role, User
from ttc.announcements.models import Announcement
from ttc.core.models import AuditEvent, Notification
from ttc.demo.management.commands.seed_demo import (
    DEMO_PASSWORD,
    INDEPENDENT_EXPERTS,
    MIN_COMPANIES,
    PERSONAS,
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
