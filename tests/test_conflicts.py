"""Nobody judges their own organisation, and a member that is no longer approved
adds nobody."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.testing import make_user, promote_coordinator
from ttc.members import breaches, experts, services, vetting
from ttc.members.models import (
    Application,
    BreachReport,
    CodeOfConduct,
    ExpertInvitation,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")


def applying(personas, applicant: User) -> Organisation:
    company = Organisation.objects.create(
        name="Nieuwkomer B.V.", kind=OrganisationKind.MEMBER_COMPANY, status=MemberStatus.APPLIED
    )
    Membership.objects.create(user=applicant, organisation=company, role="admin")
    Application.objects.create(
        organisation=company, applicant=applicant, code_of_conduct=CodeOfConduct.objects.current()
    )
    return company


def test_a_former_member_cannot_approve_after_leaving(personas):
    insider = promote_coordinator(make_user("insider@ttc.test"))
    company = applying(personas, personas.outsider)
    services.membership_add(actor=insider, organisation=company, person=insider, role="member")
    services.membership_remove(
        actor=insider, membership=Membership.objects.get(user=insider, organisation=company)
    )
    for action in (
        lambda: vetting.application_decide(
            reviewer=insider, organisation=company, decision="approve"
        ),
        lambda: vetting.checklist_mark(
            reviewer=insider,
            organisation=company,
            criterion=CodeOfConduct.objects.current().criteria.first(),
            value="met",
        ),
    ):
        with pytest.raises(PermissionDenied):
            action()
    company.refresh_from_db()
    assert company.status == MemberStatus.APPLIED
    assert not company.application.decisions.exists()
    assert not company.application.marks.exists()


def test_the_applicant_coordinator_cannot_mark_their_own_checklist(personas):
    applicant = promote_coordinator(make_user("aanvrager@ttc.test"))
    company = applying(personas, applicant)
    with pytest.raises(PermissionDenied):
        vetting.checklist_mark(
            reviewer=applicant,
            organisation=company,
            criterion=CodeOfConduct.objects.current().criteria.first(),
            value="met",
        )
    assert not company.application.marks.exists()


def test_a_coordinator_cannot_verify_their_own_public_party(personas):
    coordinator = personas.coordinator
    party = vetting.public_party_register(applicant=coordinator, name="Nep GGD", kind="ggd")
    with pytest.raises(PermissionDenied):
        vetting.public_party_verify(reviewer=coordinator, organisation=party)
    party.refresh_from_db()
    assert party.status == MemberStatus.APPLIED


def test_a_coordinator_in_the_reported_company_is_a_member_like_any_other(personas, client_for):
    insider = promote_coordinator(personas.member_admin)
    report = breaches.breach_report(
        reporter=personas.outsider,
        organisation=personas.member_company,
        description="Verkocht na een match.",
    )
    assert not insider.notifications.filter(url__contains=f"/breaches/{report.pk}/").exists()
    assert personas.coordinator.notifications.filter(
        url__contains=f"/breaches/{report.pk}/"
    ).exists()
    client = client_for("member_admin")
    assert client.get(f"/breaches/{report.pk}/").status_code == 404
    listing = client.get("/breaches/").content.decode()
    assert f"/breaches/{report.pk}/" not in listing
    with pytest.raises(PermissionDenied):
        breaches.breach_decide(actor=insider, report=report, outcome="dismissed", note="Niets.")
    report.refresh_from_db()
    assert report.outcome == BreachReport.Outcome.OPEN

    breaches.breach_decide(
        actor=personas.coordinator, report=report, outcome="warned", note="Een waarschuwing."
    )
    page = client.get(f"/breaches/{report.pk}/").content.decode()
    assert "Een waarschuwing." in page
    assert personas.outsider.email not in page
    assert personas.outsider.display_name not in page


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.ENDED])
def test_an_invitation_from_a_member_no_longer_approved_admits_nobody(personas, status):
    invitation = experts.expert_invite(
        actor=personas.member_admin, organisation=personas.member_company, email="x@ex.test"
    )
    raw = "known-token"
    ExpertInvitation.objects.filter(pk=invitation.pk).update(
        token_hash=experts._hash(raw)  # the e-mailed token is not kept; use a known one
    )
    Organisation.objects.filter(pk=personas.member_company.pk).update(status=status)
    newcomer = make_user("x@ex.test")
    with pytest.raises(ValidationError, match="no longer valid"):
        experts.invitation_accept(user=newcomer, raw=raw)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_expired_invitations_do_not_count_as_open(personas):
    company = personas.member_company
    ExpertInvitation.objects.bulk_create(
        ExpertInvitation(
            organisation=company,
            email=f"oud{i}@ex.test",
            token_hash=f"{i:064d}",
            invited_by=personas.member_admin,
            created_at=timezone.now() - timedelta(days=15),
        )
        for i in range(experts.MAX_OPEN_INVITATIONS)
    )
    experts.expert_invite(actor=personas.member_admin, organisation=company, email="nieuw@ex.test")
    assert ExpertInvitation.objects.filter(email="nieuw@ex.test").exists()


def test_four_eyes_cannot_be_configured_away(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "ttc.settings",
            "TTC_VAR_DIR": str(tmp_path),
            "TTC_APPROVALS_REQUIRED": "1",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
    )
    assert result.returncode != 0
    assert "TTC_APPROVALS_REQUIRED must be at least 2" in result.stderr
