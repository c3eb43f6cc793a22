"""Experts: invited by their company, or vetted as independents; each accepts
the Code of Conduct and the Chatham House Rule personally."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.core import audit
from ttc.core.notify import notify_people
from ttc.members.consents import CHATHAM_HOUSE_VERSION
from ttc.members.models import (
    INVITATION_VALIDITY,
    MEMBER_KINDS,
    CodeOfConduct,
    Consent,
    ExpertInvitation,
    ExpertProfile,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Skill,
)

if TYPE_CHECKING:
    from ttc.accounts.models import User

MAX_OPEN_INVITATIONS = 50


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def expert_invite(*, actor: User, organisation: Organisation, email: str) -> ExpertInvitation:
    """An admin of an approved member company invites an expert by e-mail. The
    link in the e-mail works once, for that address, for two weeks."""
    if organisation.pk not in actor.admin_organisation_ids:
        raise PermissionDenied(_("Only the company's admins invite experts."))
    if (
        organisation.kind != OrganisationKind.MEMBER_COMPANY
        or organisation.status != MemberStatus.APPROVED
    ):
        raise ValidationError(_("Only an approved member company invites experts."))
    email = email.strip().lower()
    if organisation.memberships.filter(user__email=email).exists():
        raise ValidationError(
            _("%(email)s already belongs to %(name)s."),
            params={"email": email, "name": organisation.name},
        )
    open_invitations = organisation.invitations.filter(
        accepted_at__isnull=True, created_at__gte=timezone.now() - INVITATION_VALIDITY
    )
    if open_invitations.count() >= MAX_OPEN_INVITATIONS:
        raise ValidationError(_("There are too many open invitations; wait for some answers."))
    raw = secrets.token_urlsafe(32)
    invitation = ExpertInvitation.objects.create(
        organisation=organisation, email=email, token_hash=_hash(raw), invited_by=actor
    )
    audit.record(
        actor=actor,
        action="expert.invite",
        obj=organisation,
        summary=f"{organisation.name} invited an expert",
        data={"invitation": invitation.pk},
    )
    link = reverse("invitation_accept", args=[raw])
    # The invitee may have no account yet: the message goes to the address.
    from ttc.core.tasks import deliver_email

    deliver_email.enqueue(
        to=[email],
        subject=_("[TTC] %(name)s invites you to TechTegenCorona") % {"name": organisation.name},
        body=_(
            "%(person)s invites you to join %(name)s on the TechTegenCorona platform as an "
            "expert. Sign up or sign in with this e-mail address, then open this link "
            "(valid for 14 days):"
        )
        % {"person": actor.display_name, "name": organisation.name}
        + "\n\n"
        + _site_url()
        + link,
    )
    return invitation


def _site_url() -> str:
    from django.conf import settings

    return str(settings.SITE_URL)


def invitation_for(raw: str) -> ExpertInvitation | None:
    return (
        ExpertInvitation.objects.select_related("organisation")
        .filter(token_hash=_hash(raw))
        .first()
    )


@transaction.atomic
def invitation_accept(*, user: User, raw: str) -> Membership:
    """The invited person joins the company as an expert."""
    # Locked before the check, so that one link never admits two people.
    invitation = (
        ExpertInvitation.objects.select_for_update(of=("self",))
        .select_related("organisation", "invited_by")
        .filter(token_hash=_hash(raw))
        .first()
    )
    company = invitation.organisation if invitation is not None else None
    # A suspended or ended member adds nobody, whatever it sent before.
    if (
        invitation is None
        or company is None
        or not invitation.is_open()
        or company.kind not in MEMBER_KINDS
        or company.status != MemberStatus.APPROVED
    ):
        raise ValidationError(_("This invitation is no longer valid. Ask for a new one."))
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()
    if not verified:
        raise PermissionDenied(
            _("This invitation is for %(email)s. Sign in with that (verified) address.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": "member"}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        actor=user,
        action="expert.join",
        obj=invitation.organisation,
        summary=f"{user.email} joined {invitation.organisation.name} as an expert",
    )
    invitation_notify_admins(invitation, user)
    return membership


@transaction.atomic
def expert_profile_save(
    *,
    user: User,
    hours_per_week: int,
    languages: Sequence[str],
    region: str,
    skills: Sequence[tuple[Skill, int]],
    vog_date: date | None = None,
) -> ExpertProfile:
    if not skills:
        raise ValidationError(_("Choose at least one skill."))
    if vog_date is not None and vog_date > timezone.localdate():
        raise ValidationError(_("The VOG's date is in the future."))
    profile, _created = ExpertProfile.objects.update_or_create(
        user=user,
        defaults={
            "hours_per_week": hours_per_week,
            "languages": list(languages),
            "region": region,
            "vog_date": vog_date,
        },
    )
    ExpertSkill.objects.filter(user=user).delete()
    ExpertSkill.objects.bulk_create(
        ExpertSkill(user=user, skill=skill, level=level) for skill, level in skills
    )
    audit.record(
        actor=user,
        action="expert.profile",
        obj=user,
        summary=f"Expert profile: {hours_per_week} h/week, {len(skills)} skills",
    )
    return profile


@transaction.atomic
def expert_consent(*, user: User) -> list[Consent]:
    """The expert personally accepts the current Code and the Chatham House Rule."""
    code = CodeOfConduct.objects.current()
    if code is None:
        raise ValidationError(_("There is no Code of Conduct to accept yet."))
    consents = [
        Consent.objects.get_or_create(user=user, organisation=None, kind=kind, version=version)[0]
        for kind, version in (
            (Consent.Kind.CODE_OF_CONDUCT, code.version),
            (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION),
        )
    ]
    audit.record(
        actor=user,
        action="expert.consent",
        obj=user,
        summary=f"Accepted Code of Conduct v{code.version} and the Chatham House Rule",
    )
    return consents


def has_personal_consent(user: User) -> bool:
    code = CodeOfConduct.objects.current()
    if code is None:
        return False
    given = set(Consent.objects.filter(user=user, organisation=None).values_list("kind", "version"))
    return {
        (Consent.Kind.CODE_OF_CONDUCT, code.version),
        (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION),
    } <= given


def expert_is_eligible(user: User) -> bool:
    """Matching may propose an expert only when they and their company comply:
    a profile, their own consent to the current Code, and a compliant member."""
    if not hasattr(user, "expert_profile") or not has_personal_consent(user):
        return False
    return Organisation.objects.members().compliant().filter(memberships__user=user).exists()


def invitation_notify_admins(invitation: ExpertInvitation, user: User) -> None:
    notify_people(
        recipients=[invitation.invited_by],
        title=_("%(email)s joined %(name)s")
        % {"email": user.email, "name": invitation.organisation.name},
        url=reverse("organisation_detail", args=[invitation.organisation_id]),
        email_subject=lambda: (
            _("An expert joined %(name)s") % {"name": invitation.organisation.name}
        ),
        email_body=lambda: _("See your organisation's people:"),
    )
