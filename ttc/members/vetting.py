"""Joining the coalition: applications, the coordinators' review with four eyes,
and every later change of a member's status.

Every function here is a service: keyword-only, atomic, locking the organisation
it changes, writing its audit event and telling the people concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttc.core import audit
from ttc.core.notify import notify_people
from ttc.members.consents import FIXED_VERSIONS
from ttc.members.models import (
    CARE_KINDS,
    GOVERNMENT_KINDS,
    MEMBER_KINDS,
    Application,
    ApplicationMessage,
    ChecklistMark,
    CodeOfConduct,
    Consent,
    Criterion,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    ReviewDecision,
    Skill,
    TaxStatement,
)
from ttc.members.validators import clean_tax_statement_date

if TYPE_CHECKING:
    from ttc.accounts.models import User

#: A public party moves along these; members along `models.TRANSITIONS`.
PUBLIC_PARTY_TRANSITIONS: dict[str, frozenset[str]] = {
    MemberStatus.APPLIED: frozenset({MemberStatus.APPROVED, MemberStatus.REJECTED}),
    MemberStatus.APPROVED: frozenset({MemberStatus.SUSPENDED}),
    MemberStatus.SUSPENDED: frozenset({MemberStatus.APPROVED}),
    MemberStatus.REJECTED: frozenset(),
}


def coordinators() -> Iterable[User]:
    from ttc.accounts.models import User

    return User.objects.filter(is_coordinator=True, is_active=True)


def organisation_admins(organisation: Organisation) -> Iterable[User]:
    from ttc.accounts.models import User

    return User.objects.filter(
        is_active=True,
        memberships__organisation=organisation,
        memberships__role=Membership.Role.ADMIN,
    )


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise PermissionDenied(_("Only coordinators review applications."))


def _require_independent_reviewer(reviewer: User, organisation: Organisation) -> None:
    """Nobody reviews an organisation they applied for, belong to, or belonged to."""
    from ttc.core.models import AuditEvent

    own = organisation.memberships.filter(user=reviewer).exists() or (
        Application.objects.filter(organisation=organisation, applicant=reviewer).exists()
    )
    history = AuditEvent.objects.filter(
        object_type="members.organisation", object_id=str(organisation.pk)
    )
    was_member = history.filter(action__startswith="membership.", data__user=reviewer.pk).exists()
    if own or was_member or history.filter(action="expert.join", actor=reviewer).exists():
        raise PermissionDenied(_("You cannot review an organisation you are or were part of."))


def _locked(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _move(
    organisation: Organisation, to: str, *, actor: User | None, reason: str = ""
) -> Organisation:
    """Change the status along an allowed transition, or refuse clearly."""
    organisation = _locked(organisation)
    allowed = (
        organisation.may_move_to(to)
        if organisation.is_member
        else to in PUBLIC_PARTY_TRANSITIONS.get(organisation.status, frozenset())
    )
    if not allowed:
        raise ValidationError(
            _("%(name)s cannot go from “%(from)s” to “%(to)s”."),
            params={
                "name": organisation.name,
                "from": organisation.get_status_display(),
                "to": MemberStatus(to).label,
            },
            code="forbidden_transition",
        )
    before = organisation.status
    organisation.status = to
    fields = ["status"]
    if to == MemberStatus.APPROVED and organisation.vetted_at is None:
        organisation.vetted_at = timezone.now()
        fields.append("vetted_at")
    if to != MemberStatus.SUSPENDED and organisation.suspended_until is not None:
        organisation.suspended_until = None
        fields.append("suspended_until")
    organisation.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=f"membership.{to}",
        obj=organisation,
        summary=f"{organisation.name}: {before} → {to}",
        data={"from": before, "to": to, "reason": reason[:500]},
    )
    return organisation


def _tell(people: Iterable[User], organisation: Organisation, title: str, body: str) -> None:
    notify_people(
        recipients=people,
        title=title,
        url=reverse("my_membership", args=[organisation.pk]),
        email_subject=lambda: title,
        email_body=lambda: body,
    )


def _tell_reviewers(organisation: Organisation, title: str) -> None:
    notify_people(
        recipients=coordinators(),
        title=title,
        url=reverse("review_detail", args=[organisation.pk]),
        email_subject=lambda: title,
        email_body=lambda: _("Review it on the platform:"),
    )


@dataclass(frozen=True)
class ApplicationData:
    """What an applicant submits. Forms and the API validate each field first."""

    name: str
    kind: str
    city: str
    street: str = ""
    postcode: str = ""
    website: str = ""
    description: str = ""
    kvk_number: str = ""
    establishment_number: str = ""
    vat_number: str = ""
    privacy_statement: str = ""
    privacy_policy_url: str = ""
    signs_processor_agreement: bool = False
    capacity_hours: int | None = None
    expertise: Sequence[Skill] = ()
    regions: Sequence[str] = ()
    languages: Sequence[str] = ()
    tax_statement: UploadedFile | None = None
    tax_statement_date: date | None = None
    #: Independent experts only: the date of their certificate of conduct, and
    #: the level they claim in their skills (refined later in their profile).
    vog_date: date | None = None
    skill_level: int = ExpertSkill.Level.EXPERIENCED


def _record_consents(*, user: User, organisation: Organisation | None, code: CodeOfConduct) -> None:
    Consent.objects.bulk_create(
        [
            Consent(
                user=user,
                organisation=organisation,
                kind=Consent.Kind.CODE_OF_CONDUCT,
                version=code.version,
            ),
            *(
                Consent(user=user, organisation=organisation, kind=kind, version=version)
                for kind, version in FIXED_VERSIONS.items()
            ),
        ]
    )


DUPLICATE_APPLICATION = gettext_lazy(
    "This establishment (same KvK and establishment number) has already applied or is "
    "a member. Ask the person who applied to add you to the organisation."
)


def pending_company(kvk_number: str, establishment_number: str) -> Organisation | None:
    """The company already applied or a member with this KvK and establishment
    number, unless that application was rejected or withdrawn."""
    return (
        Organisation.objects.member_companies()
        .filter(kvk_number=kvk_number, establishment_number=establishment_number)
        .exclude(status__in=(MemberStatus.REJECTED, MemberStatus.WITHDRAWN))
        .first()
    )


def _refuse_duplicate(data: ApplicationData) -> None:
    if connection.vendor == "postgresql":
        # Two clicks on "apply" arrive together: the second waits here until the
        # first commits, then sees its organisation. (SQLite writers queue already.)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"application:{data.kvk_number}:{data.establishment_number}"],
            )
    if pending_company(data.kvk_number, data.establishment_number) is not None:
        raise ValidationError(DUPLICATE_APPLICATION, code="duplicate")


@transaction.atomic
def application_submit(*, applicant: User, data: ApplicationData) -> Organisation:
    """A company or an independent expert applies. The applicant becomes the
    organisation's admin and accepts the Code of Conduct, the Chatham House Rule
    and the pledge, each recorded with its version and time. An independent
    expert also gets their expert profile (with the VOG date) and accepts the
    Code and the Chatham House Rule personally."""
    if data.kind not in MEMBER_KINDS:
        raise ValidationError(_("Only companies and independent experts apply to be members."))
    code = CodeOfConduct.objects.current()
    if code is None:
        raise ValidationError(_("There is no Code of Conduct to accept yet."))
    if data.kind == OrganisationKind.MEMBER_COMPANY:
        if data.tax_statement is None or data.tax_statement_date is None:
            raise ValidationError(_("A company applies with its tax statement."))
        clean_tax_statement_date(data.tax_statement_date)
        _refuse_duplicate(data)
    organisation = Organisation.objects.create(
        name=data.name.strip(),
        kind=data.kind,
        city=data.city.strip(),
        street=data.street.strip(),
        postcode=data.postcode,
        website=data.website,
        description=data.description.strip(),
        kvk_number=data.kvk_number,
        establishment_number=data.establishment_number,
        vat_number=data.vat_number,
        capacity_hours=data.capacity_hours,
        regions=list(data.regions),
        languages=list(data.languages),
        status=MemberStatus.APPLIED,
    )
    organisation.expertise.set(data.expertise)
    Membership.objects.create(user=applicant, organisation=organisation, role="admin")
    Application.objects.create(
        organisation=organisation,
        applicant=applicant,
        code_of_conduct=code,
        privacy_statement=data.privacy_statement.strip(),
        privacy_policy_url=data.privacy_policy_url,
        signs_processor_agreement=data.signs_processor_agreement,
    )
    _record_consents(user=applicant, organisation=organisation, code=code)
    if data.kind == OrganisationKind.INDEPENDENT_EXPERT:
        from ttc.members.experts import expert_consent, expert_profile_save

        expert_profile_save(
            user=applicant,
            hours_per_week=data.capacity_hours or 0,
            languages=data.languages,
            region=data.regions[0] if data.regions else "",
            skills=[(skill, data.skill_level) for skill in data.expertise],
            vog_date=data.vog_date,
        )
        expert_consent(user=applicant)
    if data.tax_statement is not None and data.tax_statement_date is not None:
        # Last of the writes: the file reaches storage only when the rest is in.
        TaxStatement.objects.create(
            organisation=organisation,
            file=data.tax_statement,
            issued_on=data.tax_statement_date,
            uploaded_by=applicant,
        )
    audit.record(
        actor=applicant,
        action="membership.apply",
        obj=organisation,
        summary=f"{organisation.name} applied ({organisation.get_kind_display()})",
    )
    _tell(
        [applicant],
        organisation,
        _("We received the application of %(name)s") % {"name": organisation.name},
        _("Two coordinators review every application. Follow its progress here:"),
    )
    _tell_reviewers(organisation, _("New application: %(name)s") % {"name": organisation.name})
    return organisation


@transaction.atomic
def public_party_register(
    *,
    applicant: User,
    name: str,
    kind: str,
    city: str = "",
    website: str = "",
    agb_code: str = "",
    oin: str = "",
) -> Organisation:
    """A hospital, GGD, municipality or ministry registers; a coordinator verifies
    it before it may ask for help."""
    if kind in MEMBER_KINDS:
        raise ValidationError(_("Companies and experts apply as members instead."))
    if agb_code and kind not in CARE_KINDS:
        raise ValidationError(_("Only care providers have an AGB code."))
    if oin and kind not in GOVERNMENT_KINDS:
        raise ValidationError(_("Only government bodies have an OIN."))
    organisation = Organisation.objects.create(
        name=name.strip(),
        kind=kind,
        city=city.strip(),
        website=website,
        agb_code=agb_code,
        oin=oin,
        status=MemberStatus.APPLIED,
    )
    Membership.objects.create(user=applicant, organisation=organisation, role="admin")
    audit.record(
        actor=applicant,
        action="membership.register",
        obj=organisation,
        summary=f"{organisation.name} registered ({organisation.get_kind_display()})",
    )
    _tell_reviewers(
        organisation, _("New public party to verify: %(name)s") % {"name": organisation.name}
    )
    return organisation


@transaction.atomic
def public_party_verify(*, reviewer: User, organisation: Organisation) -> Organisation:
    _require_coordinator(reviewer)
    _require_independent_reviewer(reviewer, organisation)
    if organisation.is_member:
        raise ValidationError(_("Members are approved by two coordinators, not verified."))
    organisation = _move(organisation, MemberStatus.APPROVED, actor=reviewer)
    _tell(
        organisation_admins(organisation),
        organisation,
        _("%(name)s is verified") % {"name": organisation.name},
        _("You can now ask the coalition for help."),
    )
    return organisation


@transaction.atomic
def public_party_reject(*, reviewer: User, organisation: Organisation, reason: str) -> Organisation:
    """A coordinator turns a registration down, with a reason the party reads."""
    _require_coordinator(reviewer)
    _require_independent_reviewer(reviewer, organisation)
    if organisation.is_member:
        raise ValidationError(_("Reject a member's application through its review instead."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Write the reason for the public party."))
    organisation = _move(organisation, MemberStatus.REJECTED, actor=reviewer, reason=reason)
    _tell(
        organisation_admins(organisation),
        organisation,
        _("The registration of %(name)s is rejected") % {"name": organisation.name},
        _("Read the coordinators' reason here:"),
    )
    return organisation


def rejection_reason(organisation: Organisation) -> str:
    """Why coordinators rejected the organisation, as its people may read it."""
    if organisation.status != MemberStatus.REJECTED:
        return ""
    if organisation.is_member:
        decision = (
            ReviewDecision.objects.filter(
                application__organisation=organisation,
                decision=ReviewDecision.Decision.REJECT,
            )
            .order_by("-created_at")
            .first()
        )
        return decision.note if decision is not None else ""
    # A public party has no application: the reason lives in the audit event.
    from ttc.core.models import AuditEvent

    event = (
        AuditEvent.objects.filter(
            action=f"membership.{MemberStatus.REJECTED}",
            object_type=organisation._meta.label_lower,
            object_id=str(organisation.pk),
        )
        .order_by("-id")
        .first()
    )
    return str(event.data.get("reason", "")) if event is not None else ""


def _application(organisation: Organisation) -> Application:
    try:
        return Application.objects.select_related("organisation").get(organisation=organisation)
    except Application.DoesNotExist:
        raise ValidationError(_("This organisation has no application.")) from None


def _start_review(organisation: Organisation, reviewer: User) -> Organisation:
    if organisation.status == MemberStatus.APPLIED:
        organisation = _move(organisation, MemberStatus.UNDER_REVIEW, actor=reviewer)
        _tell(
            organisation_admins(organisation),
            organisation,
            _("The review of %(name)s has started") % {"name": organisation.name},
            _("Coordinators are now checking the application. Follow its progress here:"),
        )
    return organisation


@transaction.atomic
def checklist_mark(
    *, reviewer: User, organisation: Organisation, criterion: Criterion, value: str, note: str = ""
) -> ChecklistMark:
    """Mark one Code of Conduct criterion met, not met, or needing information."""
    _require_coordinator(reviewer)
    _require_independent_reviewer(reviewer, organisation)
    application = _application(organisation)
    if criterion.code_of_conduct_id != application.code_of_conduct_id:
        raise ValidationError(_("That criterion is not in the Code this application accepted."))
    if organisation.status not in (MemberStatus.APPLIED, MemberStatus.UNDER_REVIEW):
        raise ValidationError(_("Only an application under review is assessed."))
    _start_review(organisation, reviewer)
    mark, _created = ChecklistMark.objects.update_or_create(
        application=application,
        criterion=criterion,
        defaults={
            "value": value,
            "note": note.strip(),
            "marked_by": reviewer,
            "marked_at": timezone.now(),
        },
    )
    audit.record(
        actor=reviewer,
        action="review.mark",
        obj=organisation,
        summary=f"{criterion.text[:120]}: {value}",
        data={"criterion": criterion.pk, "value": value},
    )
    return mark


@transaction.atomic
def application_decide(
    *, reviewer: User, organisation: Organisation, decision: str, note: str = ""
) -> Organisation:
    """Approve, reject (with a reason the applicant reads) or ask a question.

    Four eyes: the application is approved once `TTC_APPROVALS_REQUIRED`
    different coordinators approved it in the current round. Nobody reviews an
    application they are part of.
    """
    _require_coordinator(reviewer)
    organisation = _locked(organisation)
    application = _application(organisation)
    _require_independent_reviewer(reviewer, organisation)
    if organisation.status not in (MemberStatus.APPLIED, MemberStatus.UNDER_REVIEW):
        raise ValidationError(
            _("This application is not waiting for a decision (it is “%(status)s”).")
            % {"status": organisation.get_status_display()}
        )
    note = note.strip()
    needs_note = (ReviewDecision.Decision.REJECT, ReviewDecision.Decision.REQUEST_INFORMATION)
    if decision in needs_note and not note:
        raise ValidationError(_("Write the reason or the question for the applicant."))
    if (
        decision == ReviewDecision.Decision.APPROVE
        and application.approvals().filter(reviewer=reviewer).exists()
    ):
        raise ValidationError(_("You approved this already; another coordinator must approve."))
    organisation = _start_review(organisation, reviewer)
    ReviewDecision.objects.create(
        application=application,
        reviewer=reviewer,
        decision=decision,
        note=note,
        round=application.round,
    )
    admins = list(organisation_admins(organisation))
    if decision == ReviewDecision.Decision.REQUEST_INFORMATION:
        ApplicationMessage.objects.create(
            application=application, author=reviewer, from_reviewer=True, body=note
        )
        organisation = _move(organisation, MemberStatus.INFO_REQUESTED, actor=reviewer)
        _tell(
            admins,
            organisation,
            _("A question about the application of %(name)s") % {"name": organisation.name},
            _("The coordinators need more information. Read their question and reply:"),
        )
    elif decision == ReviewDecision.Decision.REJECT:
        organisation = _move(organisation, MemberStatus.REJECTED, actor=reviewer, reason=note)
        _tell(
            admins,
            organisation,
            _("The application of %(name)s is rejected") % {"name": organisation.name},
            _("Read the coordinators' reason here:"),
        )
    else:
        audit.record(
            actor=reviewer,
            action="review.approve",
            obj=organisation,
            summary=f"{organisation.name}: approval {application.approvals().count()}"
            f" of {settings.TTC_APPROVALS_REQUIRED}",
        )
        approvers = application.approvals().values("reviewer").distinct().count()
        if approvers >= settings.TTC_APPROVALS_REQUIRED:
            organisation = _move(organisation, MemberStatus.APPROVED, actor=reviewer)
            _tell(
                admins,
                organisation,
                _("Welcome to TechTegenCorona, %(name)s") % {"name": organisation.name},
                _("Your membership is approved. Invite your experts here:"),
            )
        else:
            _tell_reviewers(
                organisation,
                _("%(name)s needs another approval") % {"name": organisation.name},
            )
    return organisation


@transaction.atomic
def application_amend(
    *, applicant: User, organisation: Organisation, reply: str, changes: dict[str, Any]
) -> Organisation:
    """The applicant answers the coordinators' question and may correct the
    application; the review starts a new round (earlier approvals lapse)."""
    organisation = _locked(organisation)
    if applicant.pk not in organisation.memberships.filter(role="admin").values_list(
        "user_id", flat=True
    ):
        raise PermissionDenied(_("Only the organisation's admins amend its application."))
    if organisation.status != MemberStatus.INFO_REQUESTED:
        raise ValidationError(_("There is no question to answer."))
    if not reply.strip():
        raise ValidationError(_("Write your answer to the coordinators' question."))
    application = _application(organisation)
    allowed = {"privacy_statement", "privacy_policy_url", "signs_processor_agreement"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("These cannot be amended: %(fields)s") % {"fields": unknown})
    for field, value in changes.items():
        setattr(application, field, value)
    application.round += 1
    application.amended_at = timezone.now()
    application.save(update_fields=[*changes, "round", "amended_at"])
    ApplicationMessage.objects.create(
        application=application, author=applicant, from_reviewer=False, body=reply.strip()
    )
    organisation = _move(organisation, MemberStatus.UNDER_REVIEW, actor=applicant)
    _tell_reviewers(
        organisation, _("%(name)s answered your question") % {"name": organisation.name}
    )
    return organisation


@transaction.atomic
def membership_withdraw(*, actor: User, organisation: Organisation) -> Organisation:
    """An admin withdraws the application or ends the membership themselves."""
    if actor.pk not in organisation.memberships.filter(role="admin").values_list(
        "user_id", flat=True
    ):
        raise PermissionDenied(_("Only the organisation's admins withdraw it."))
    organisation = _move(organisation, MemberStatus.WITHDRAWN, actor=actor)
    _tell_reviewers(organisation, _("%(name)s withdrew") % {"name": organisation.name})
    return organisation


@transaction.atomic
def membership_suspend(
    *, actor: User, organisation: Organisation, until: date, reason: str
) -> Organisation:
    _require_coordinator(actor)
    if until <= timezone.localdate():
        raise ValidationError(_("A suspension ends on a date in the future."))
    if not reason.strip():
        raise ValidationError(_("Write the reason for the suspension."))
    organisation = _move(organisation, MemberStatus.SUSPENDED, actor=actor, reason=reason)
    organisation.suspended_until = until
    organisation.save(update_fields=["suspended_until"])
    _tell(
        organisation_admins(organisation),
        organisation,
        _("%(name)s is suspended until %(date)s")
        % {"name": organisation.name, "date": until.isoformat()},
        _("Read the reason and respond here:"),
    )
    return organisation


@transaction.atomic
def membership_reinstate(*, actor: User | None, organisation: Organisation) -> Organisation:
    """Back to approved: by a coordinator, or by the daily check when a
    suspension ends (actor None)."""
    if actor is not None:
        _require_coordinator(actor)
    organisation = _move(organisation, MemberStatus.APPROVED, actor=actor)
    _tell(
        organisation_admins(organisation),
        organisation,
        _("The suspension of %(name)s has ended") % {"name": organisation.name},
        _("Your membership is active again:"),
    )
    return organisation


@transaction.atomic
def membership_end(*, actor: User, organisation: Organisation, reason: str) -> Organisation:
    _require_coordinator(actor)
    if not reason.strip():
        raise ValidationError(_("Write the reason for ending the membership."))
    organisation = _move(organisation, MemberStatus.ENDED, actor=actor, reason=reason)
    _tell(
        organisation_admins(organisation),
        organisation,
        _("The membership of %(name)s has ended") % {"name": organisation.name},
        _("Read the coordinators' reason here:"),
    )
    return organisation


@transaction.atomic
def membership_expire(*, organisation: Organisation, reason: str) -> Organisation:
    """The daily check lets a membership expire after a long non-compliance."""
    organisation = _move(organisation, MemberStatus.EXPIRED, actor=None, reason=reason)
    _tell(
        organisation_admins(organisation),
        organisation,
        _("The membership of %(name)s has expired") % {"name": organisation.name},
        _("Bring your details up to date and ask for a new review here:"),
    )
    return organisation


@transaction.atomic
def membership_renew(*, actor: User, organisation: Organisation) -> Organisation:
    """An expired member that complies again asks for a new review; earlier
    approvals lapse, so two coordinators approve it anew."""
    from ttc.members.compliance import issues_of

    if actor.pk not in organisation.memberships.filter(role="admin").values_list(
        "user_id", flat=True
    ):
        raise PermissionDenied(_("Only the organisation's admins ask for a new review."))
    if issues_of(organisation, timezone.localdate()):
        raise ValidationError(
            _("Accept the current Code of Conduct and upload a valid tax statement first.")
        )
    organisation = _move(organisation, MemberStatus.UNDER_REVIEW, actor=actor)
    application = _application(organisation)
    application.round += 1
    application.amended_at = timezone.now()
    application.save(update_fields=["round", "amended_at"])
    _tell_reviewers(organisation, _("%(name)s asks for a new review") % {"name": organisation.name})
    return organisation
