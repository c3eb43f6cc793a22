"""Reports of suspected Code of Conduct breaches. Coordinators know who
reported; the member never does."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.core import audit
from ttc.core.notify import notify_people
from ttc.members.models import MEMBER_KINDS, BreachReport, MemberStatus, Organisation
from ttc.members.vetting import (
    _tell,
    coordinators,
    membership_end,
    membership_suspend,
    organisation_admins,
)

if TYPE_CHECKING:
    from ttc.accounts.models import User

Outcome = BreachReport.Outcome


def oversees(user: User, organisation: Organisation) -> bool:
    """A coordinator handles reports, except about an organisation they belong
    to: there they are a member like any other and never learn the reporter."""
    return user.is_coordinator and organisation.pk not in user.organisation_ids


@transaction.atomic
def breach_report(*, reporter: User, organisation: Organisation, description: str) -> BreachReport:
    if organisation.kind not in MEMBER_KINDS or organisation.status not in (
        MemberStatus.APPROVED,
        MemberStatus.SUSPENDED,
    ):
        raise ValidationError(_("Breaches are reported about members of the coalition."))
    if not description.strip():
        raise ValidationError(_("Describe what happened."))
    report = BreachReport.objects.create(
        organisation=organisation, reporter=reporter, description=description.strip()
    )
    audit.record(
        actor=reporter,
        action="breach.report",
        obj=report,
        summary=f"Suspected breach by {organisation.name}",
    )
    notify_people(
        recipients=[person for person in coordinators() if oversees(person, organisation)],
        title=_("Suspected breach by %(name)s") % {"name": organisation.name},
        url=reverse("breach_detail", args=[report.pk]),
        email_subject=lambda: _("A suspected breach of the Code of Conduct"),
        email_body=lambda: _("Handle the report on the platform:"),
    )
    return report


@transaction.atomic
def breach_decide(
    *,
    actor: User,
    report: BreachReport,
    outcome: str,
    note: str,
    suspended_until: date | None = None,
) -> BreachReport:
    """Dismiss, warn, suspend (until a date) or end the membership. The member
    reads the decision and may respond."""
    report = BreachReport.objects.select_for_update().get(pk=report.pk)
    if not oversees(actor, report.organisation):
        raise PermissionDenied(
            _("Only coordinators handle breach reports, and not about their own organisation.")
        )
    if report.outcome != Outcome.OPEN:
        raise ValidationError(_("This report was handled already."))
    if outcome not in (Outcome.DISMISSED, Outcome.WARNED, Outcome.SUSPENDED, Outcome.ENDED):
        raise ValidationError(_("Choose what happens."))
    if not note.strip():
        raise ValidationError(_("Write the decision as the member will read it."))
    organisation = report.organisation
    if outcome == Outcome.SUSPENDED:
        if suspended_until is None:
            raise ValidationError(_("A suspension needs an end date."))
        membership_suspend(
            actor=actor, organisation=organisation, until=suspended_until, reason=note
        )
    elif outcome == Outcome.ENDED:
        membership_end(actor=actor, organisation=organisation, reason=note)
    report.outcome = outcome
    report.decision_note = note.strip()
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.save(update_fields=["outcome", "decision_note", "decided_by", "decided_at"])
    audit.record(
        actor=actor,
        action=f"breach.{outcome}",
        obj=report,
        summary=f"Breach report on {organisation.name}: {outcome}",
    )
    if outcome != Outcome.DISMISSED:
        _tell(
            organisation_admins(organisation),
            organisation,
            _("A decision about a report on %(name)s") % {"name": organisation.name},
            _("Read the coordinators' decision and respond here:"),
        )
    return report


@transaction.atomic
def breach_respond(*, user: User, report: BreachReport, response: str) -> BreachReport:
    report = BreachReport.objects.select_for_update().get(pk=report.pk)
    if report.organisation_id not in user.admin_organisation_ids:
        raise PermissionDenied(_("Only the member's admins respond."))
    if report.outcome in (Outcome.OPEN, Outcome.DISMISSED):
        raise ValidationError(_("There is no decision to respond to."))
    if not response.strip():
        raise ValidationError(_("Write your response."))
    report.member_response = response.strip()
    report.responded_at = timezone.now()
    report.save(update_fields=["member_response", "responded_at"])
    audit.record(
        actor=user,
        action="breach.respond",
        obj=report,
        summary=f"{report.organisation.name} responded to a decision",
    )
    notify_people(
        recipients=coordinators(),
        title=_("%(name)s responded to your decision") % {"name": report.organisation.name},
        url=reverse("breach_detail", args=[report.pk]),
        email_subject=lambda: _("A member responded to a breach decision"),
        email_body=lambda: _("Read the response on the platform:"),
    )
    return report
