"""What the compliance panel on the membership page shows, for whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.members.breaches import oversees
from ttc.members.compliance import TAX_REMINDER_DAYS, Issue
from ttc.members.conduct_forms import TaxStatementForm
from ttc.members.models import (
    BreachReport,
    CodeOfConduct,
    Consent,
    MemberStatus,
    Organisation,
    OrganisationKind,
    TaxStatement,
)

register = template.Library()

#: Each stored issue code, as a member reads it.
ISSUE_TEXTS = {
    Issue.CODE_NOT_ACCEPTED: _(
        "The current version of the Code of Conduct was not accepted within the time given."
    ),
    Issue.TAX_STATEMENT_MISSING: _(
        "There is no tax statement (“verklaring betalingsgedrag”) on file."
    ),
    Issue.TAX_STATEMENT_EXPIRED: _(
        "The tax statement is more than 12 months old: upload a new one."
    ),
}
#: Members in these states keep the Code and their tax statement up to date.
PANEL_STATES = (MemberStatus.APPROVED, MemberStatus.SUSPENDED, MemberStatus.EXPIRED)
#: The outcomes a member is told about (a dismissed report stays with the coordinators).
MEMBER_OUTCOMES = (
    BreachReport.Outcome.WARNED,
    BreachReport.Outcome.SUSPENDED,
    BreachReport.Outcome.ENDED,
)


def issue_text(code: str) -> str:
    return str(ISSUE_TEXTS.get(code, code))


@dataclass
class CompliancePanel:
    organisation: Organisation
    #: The organisation's admins and coordinators see everything; others a summary.
    full: bool
    is_admin: bool
    compliant: bool
    problems: list[str]
    since: date | None
    code: CodeOfConduct | None
    accepted_version: int | None
    code_deadline: date | None
    needs_tax_statement: bool
    statement: TaxStatement | None
    statement_expires: date | None
    statement_expired: bool
    statement_expiring_soon: bool
    upload_form: TaxStatementForm | None
    reports: list[BreachReport] = field(default_factory=list)

    @property
    def accepted_current(self) -> bool:
        return self.code is not None and self.accepted_version == self.code.version

    @property
    def is_approved(self) -> bool:
        return self.organisation.status == MemberStatus.APPROVED


def panel_for(
    organisation: Organisation, user: Any, today: date | None = None
) -> CompliancePanel | None:
    """The panel's content, or None where it has nothing to show this person."""
    if not organisation.is_member or organisation.status not in PANEL_STATES:
        return None
    if not user.is_authenticated:
        return None
    is_admin = organisation.pk in user.admin_organisation_ids
    full = is_admin or user.is_coordinator
    if not full and organisation.pk not in user.organisation_ids:
        return None
    today = today or timezone.localdate()
    code = CodeOfConduct.objects.current()
    accepted_version = (
        Consent.objects.filter(organisation=organisation, kind=Consent.Kind.CODE_OF_CONDUCT)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    deadline = None
    if code is not None and code.published_at is not None:
        deadline = timezone.localdate(code.published_at) + timedelta(days=code.acceptance_days)
    needs_tax = organisation.kind == OrganisationKind.MEMBER_COMPANY
    statement = organisation.tax_statements.order_by("-issued_on", "-uploaded_at").first()
    expires = statement.expires_on if statement is not None else None
    reports: list[BreachReport] = []
    if oversees(user, organisation):
        reports = list(organisation.breach_reports.order_by("-created_at"))
    elif is_admin:
        reports = list(
            organisation.breach_reports.filter(outcome__in=MEMBER_OUTCOMES).order_by("-decided_at")
        )
    return CompliancePanel(
        organisation=organisation,
        full=full,
        is_admin=is_admin,
        compliant=organisation.is_compliant,
        problems=[issue_text(issue) for issue in organisation.compliance_issues],
        since=organisation.noncompliant_since,
        code=code,
        accepted_version=accepted_version,
        code_deadline=deadline,
        needs_tax_statement=needs_tax,
        statement=statement,
        statement_expires=expires,
        statement_expired=expires is not None and expires <= today,
        statement_expiring_soon=expires is not None
        and 0 < (expires - today).days <= max(TAX_REMINDER_DAYS),
        upload_form=TaxStatementForm() if is_admin and needs_tax else None,
        reports=reports,
    )


@register.simple_tag
def compliance_panel(organisation: Organisation, user: Any) -> CompliancePanel | None:
    return panel_for(organisation, user)
