"""Staying compliant: the versioned Code of Conduct, the yearly tax statement,
and the daily check that keeps both honest. The check is idempotent: running
it twice on the same day changes nothing and sends nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.core import audit
from ttc.members.models import (
    CodeOfConduct,
    Consent,
    Criterion,
    MemberStatus,
    Organisation,
    ReminderSent,
    TaxStatement,
)
from ttc.members.validators import clean_tax_statement_date
from ttc.members.vetting import (
    _tell,
    membership_expire,
    membership_reinstate,
    organisation_admins,
)

if TYPE_CHECKING:
    from ttc.accounts.models import User

logger = logging.getLogger(__name__)

#: Reminders go out this many days before a tax statement expires.
TAX_REMINDER_DAYS = (30, 7)
#: How long coordinators may give members to accept a new Code of Conduct.
MIN_ACCEPTANCE_DAYS, MAX_ACCEPTANCE_DAYS = 1, 365


class Issue:
    """Why a member is not compliant (stored as these codes)."""

    CODE_NOT_ACCEPTED = "code_not_accepted"
    TAX_STATEMENT_MISSING = "tax_statement_missing"
    TAX_STATEMENT_EXPIRED = "tax_statement_expired"


def issues_of(organisation: Organisation, today: date) -> list[str]:
    """What a member must still do. Independent experts have no tax statement."""
    found = []
    code = CodeOfConduct.objects.current()
    if code is not None and code.published_at is not None:
        deadline = timezone.localdate(code.published_at) + timedelta(days=code.acceptance_days)
        accepted = Consent.objects.filter(
            organisation=organisation, kind=Consent.Kind.CODE_OF_CONDUCT, version=code.version
        ).exists()
        if not accepted and today > deadline:
            found.append(Issue.CODE_NOT_ACCEPTED)
    if organisation.kind == "member_company":
        statement = organisation.tax_statements.order_by("-issued_on").first()
        if statement is None:
            found.append(Issue.TAX_STATEMENT_MISSING)
        elif statement.expires_on <= today:
            found.append(Issue.TAX_STATEMENT_EXPIRED)
    return found


@transaction.atomic
def compliance_refresh(*, organisation: Organisation, today: date | None = None) -> Organisation:
    """Store what the member must still do, and since when it has not complied."""
    today = today or timezone.localdate()
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    found = issues_of(organisation, today)
    since = (organisation.noncompliant_since or today) if found else None
    if found == organisation.compliance_issues and since == organisation.noncompliant_since:
        return organisation
    organisation.compliance_issues = found
    organisation.noncompliant_since = since
    organisation.save(update_fields=["compliance_issues", "noncompliant_since"])
    audit.record(
        actor=None,
        action="compliance.changed",
        obj=organisation,
        summary=f"{organisation.name}: {', '.join(found) or 'compliant'}",
        data={"issues": found},
    )
    return organisation


def _require_admin(user: User, organisation: Organisation) -> None:
    if organisation.pk not in user.admin_organisation_ids:
        raise PermissionDenied(_("Only the organisation's admins do this."))


@transaction.atomic
def code_publish(
    *,
    actor: User,
    summary: str,
    body: str,
    criteria: Sequence[str],
    acceptance_days: int = 30,
) -> CodeOfConduct:
    """Publish a new version. Every member's admins must accept it in time."""
    if not actor.is_coordinator:
        raise PermissionDenied(_("Only coordinators publish the Code of Conduct."))
    if not summary.strip():
        raise ValidationError(_("Say what changed in this version."))
    if not body.strip():
        raise ValidationError(_("Write the text of the Code of Conduct."))
    if not MIN_ACCEPTANCE_DAYS <= acceptance_days <= MAX_ACCEPTANCE_DAYS:
        raise ValidationError(
            _("Give members between %(min)d and %(max)d days to accept."),
            params={"min": MIN_ACCEPTANCE_DAYS, "max": MAX_ACCEPTANCE_DAYS},
        )
    criteria = [text.strip() for text in criteria if text.strip()]
    if not criteria:
        raise ValidationError(_("A Code of Conduct needs at least one criterion to vet against."))
    latest = CodeOfConduct.objects.order_by("-version").first()
    code = CodeOfConduct.objects.create(
        version=(latest.version + 1) if latest else 1,
        summary=summary.strip(),
        body=body.strip(),
        acceptance_days=acceptance_days,
        published_at=timezone.now(),
        published_by=actor,
    )
    Criterion.objects.bulk_create(
        Criterion(code_of_conduct=code, position=i, text=text)
        for i, text in enumerate(criteria, start=1)
    )
    audit.record(
        actor=actor,
        action="code.publish",
        obj=code,
        summary=f"Code of Conduct v{code.version}: {code.summary}",
    )
    deadline = timezone.localdate() + timedelta(days=acceptance_days)
    for organisation in Organisation.objects.members().filter(
        status__in=(MemberStatus.APPROVED, MemberStatus.SUSPENDED)
    ):
        _tell(
            organisation_admins(organisation),
            organisation,
            _("Accept version %(version)s of the Code of Conduct") % {"version": code.version},
            _("Accept it before %(date)s, or %(name)s is left out of matching:")
            % {"date": deadline.isoformat(), "name": organisation.name},
        )
    return code


@transaction.atomic
def code_accept(*, user: User, organisation: Organisation) -> Consent:
    """An admin accepts the current Code on behalf of the organisation."""
    _require_admin(user, organisation)
    code = CodeOfConduct.objects.current()
    if code is None:
        raise ValidationError(_("There is no Code of Conduct to accept yet."))
    consent, created = Consent.objects.get_or_create(
        user=user,
        organisation=organisation,
        kind=Consent.Kind.CODE_OF_CONDUCT,
        version=code.version,
    )
    if created:
        audit.record(
            actor=user,
            action="code.accept",
            obj=organisation,
            summary=f"{organisation.name} accepted Code of Conduct v{code.version}",
        )
    compliance_refresh(organisation=organisation)
    return consent


@transaction.atomic
def tax_statement_upload(
    *, user: User, organisation: Organisation, file: UploadedFile, issued_on: date
) -> TaxStatement:
    """A new "verklaring betalingsgedrag" (the form has checked it is a PDF)."""
    _require_admin(user, organisation)
    clean_tax_statement_date(issued_on)
    statement = TaxStatement.objects.create(
        organisation=organisation, file=file, issued_on=issued_on, uploaded_by=user
    )
    audit.record(
        actor=user,
        action="tax.upload",
        obj=organisation,
        summary=f"{organisation.name}: tax statement of {issued_on.isoformat()}",
    )
    compliance_refresh(organisation=organisation)
    return statement


def _remind_once(organisation: Organisation, kind: str, key: str, title: str, body: str) -> bool:
    """Send a reminder unless it went out before; True when it was sent now."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(organisation=organisation, kind=kind, key=key)
    except IntegrityError:
        return False
    _tell(organisation_admins(organisation), organisation, title, body)
    return True


@dataclass
class DailyReport:
    checked: int = 0
    reminders: int = 0
    reinstated: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)


def daily_checks(*, today: date | None = None) -> DailyReport:
    """Refresh every member's compliance, remind before a tax statement expires,
    end suspensions whose date passed and let long non-compliance expire."""
    today = today or timezone.localdate()
    report = DailyReport()
    for organisation in Organisation.objects.members().filter(
        status=MemberStatus.SUSPENDED, suspended_until__lte=today
    ):
        membership_reinstate(actor=None, organisation=organisation)
        report.reinstated.append(organisation.pk)
    expiry = timedelta(days=settings.TTC_NONCOMPLIANT_EXPIRY_DAYS)
    for organisation in Organisation.objects.members().filter(status=MemberStatus.APPROVED):
        organisation = compliance_refresh(organisation=organisation, today=today)
        report.checked += 1
        report.reminders += _tax_reminders(organisation, today)
        since = organisation.noncompliant_since
        if since is not None and today - since >= expiry:
            membership_expire(
                organisation=organisation,
                reason=f"not compliant since {since.isoformat()}: "
                + ", ".join(organisation.compliance_issues),
            )
            report.expired.append(organisation.pk)
    logger.info("Daily membership checks: %s", report)
    return report


def _tax_reminders(organisation: Organisation, today: date) -> int:
    statement = organisation.tax_statements.order_by("-issued_on").first()
    if statement is None:
        return 0
    days_left = (statement.expires_on - today).days
    windows = [days for days in TAX_REMINDER_DAYS if 0 < days_left <= days]
    if not windows:
        return 0
    # Only the most urgent reminder: a check that did not run for a while
    # sends one message, not every one it missed.
    days = min(windows)
    return int(
        _remind_once(
            organisation,
            f"tax_expiry_{days}",
            str(statement.pk),
            _("The tax statement of %(name)s expires on %(date)s")
            % {"name": organisation.name, "date": statement.expires_on.isoformat()},
            _("Upload a new “verklaring betalingsgedrag” before then:"),
        )
    )
