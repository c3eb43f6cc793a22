from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.core import audit
from ttc.members.models import (
    LANGUAGES,
    MEMBER_KINDS,
    PROVINCES,
    Membership,
    MemberStatus,
    Organisation,
    Skill,
)

if TYPE_CHECKING:
    from ttc.accounts.models import User

#: Fields only coordinators may change.
COORDINATOR_FIELDS = {"name", "kind", "umbrella"}


def can_manage(user: User, organisation: Organisation) -> bool:
    return user.is_authenticated and (
        user.is_coordinator or organisation.pk in user.admin_organisation_ids
    )


def _require_manager(user: User, organisation: Organisation) -> None:
    if not can_manage(user, organisation):
        raise PermissionDenied(_("Only this organisation's admins and coordinators may do this."))


@transaction.atomic
def organisation_create(
    *, actor: User, name: str, kind: str, city: str = "", verified: bool = False, **fields: Any
) -> Organisation:
    """A coordinator adds an organisation. A public party may be verified at once;
    members join only through an application and two approvals."""
    if not actor.is_coordinator:
        raise PermissionDenied(_("Only coordinators add organisations."))
    if verified and kind in MEMBER_KINDS:
        raise ValidationError(_("Members join through an application and two approvals."))
    clients = fields.pop("clients", [])
    organisation = Organisation.objects.create(
        name=name.strip(),
        kind=kind,
        city=city.strip(),
        status=MemberStatus.APPROVED if verified else MemberStatus.APPLIED,
        vetted_at=timezone.now() if verified else None,
        **fields,
    )
    organisation.clients.set(clients)
    audit.record(
        actor=actor, action="organisation.create", obj=organisation, summary=organisation.name
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User, organisation: Organisation, clients: Sequence[Organisation], **fields: Any
) -> Organisation:
    """Change an organisation. Admins edit their own profile and declared clients;
    the kind and umbrella are the coordinators'. Status changes go through
    `ttc.members.vetting`."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    _require_manager(actor, organisation)
    if not actor.is_coordinator and COORDINATOR_FIELDS & fields.keys():
        raise PermissionDenied(_("Only coordinators change the name, kind or umbrella."))
    if organisation in clients:
        raise ValidationError(_("An organisation cannot be its own client."))
    if any(client.status != MemberStatus.APPROVED for client in clients):
        # Declaring a client widens TLP:AMBER: only approved organisations qualify.
        raise ValidationError(_("Only approved organisations can be declared as clients."))
    changed = sorted(name for name, value in fields.items() if getattr(organisation, name) != value)
    for name, value in fields.items():
        setattr(organisation, name, value)
    if fields:
        organisation.save(update_fields=list(fields))
    before = set(organisation.clients.values_list("pk", flat=True))
    organisation.clients.set(clients)
    if before != {client.pk for client in clients}:
        changed.append("clients")
    audit.record(
        actor=actor,
        action="organisation.update",
        obj=organisation,
        summary=f"{organisation.name}: {', '.join(changed) or 'no changes'}",
        data={"changed": changed},
    )
    return organisation


@transaction.atomic
def membership_add(
    *, actor: User, organisation: Organisation, person: User, role: str
) -> Membership:
    """A coordinator puts an existing account into an organisation. Admins
    invite people instead, who then accept: nobody is added without consent."""
    if not actor.is_coordinator:
        raise PermissionDenied(_("Only coordinators add people directly; admins invite them."))
    membership, created = Membership.objects.get_or_create(
        user=person, organisation=organisation, defaults={"role": role}
    )
    if not created:
        raise ValidationError(
            _("%(person)s already belongs to %(organisation)s."),
            params={"person": person.email, "organisation": organisation.name},
        )
    audit.record(
        actor=actor,
        action="membership.add",
        obj=organisation,
        summary=f"{person.email} joined {organisation.name} as {role}",
        data={"user": person.pk, "role": role},
    )
    return membership


def _ensure_an_admin_remains(membership: Membership) -> None:
    # Lock the organisation: two admins demoting each other at once must not
    # both succeed and leave it without one.
    Organisation.objects.select_for_update().filter(pk=membership.organisation_id).first()
    others = Membership.objects.filter(
        organisation_id=membership.organisation_id, role=Membership.Role.ADMIN
    ).exclude(pk=membership.pk)
    if membership.role == Membership.Role.ADMIN and not others.exists():
        raise ValidationError(_("An organisation keeps at least one admin."))


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _require_manager(actor, membership.organisation)
    if role != membership.role:
        if role != Membership.Role.ADMIN:
            _ensure_an_admin_remains(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            actor=actor,
            action="membership.role",
            obj=membership.organisation,
            summary=f"{membership.user.email} is now {role} of {membership.organisation.name}",
            data={"user": membership.user_id, "role": role},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _require_manager(actor, membership.organisation)
    _ensure_an_admin_remains(membership)
    membership.delete()
    audit.record(
        actor=actor,
        action="membership.remove",
        obj=membership.organisation,
        summary=f"{membership.user.email} left {membership.organisation.name}",
        data={"user": membership.user_id},
    )


#: Members in these states have nothing left to offer.
_CLOSED_STATES = (MemberStatus.REJECTED, MemberStatus.WITHDRAWN, MemberStatus.ENDED)
MAX_CAPACITY_HOURS = 400


@transaction.atomic
def member_offer_update(
    *,
    actor: User,
    organisation: Organisation,
    capacity_hours: int,
    expertise: Sequence[Skill],
    regions: Sequence[str],
    languages: Sequence[str],
) -> Organisation:
    """A member's admin says what the member offers: hours per week, areas of
    expertise, regions and languages. Matching reads these."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.pk not in actor.admin_organisation_ids:
        raise PermissionDenied(_("Only the organisation's admins change what it offers."))
    if organisation.kind not in MEMBER_KINDS:
        raise ValidationError(_("Only members offer help."))
    if organisation.status in _CLOSED_STATES:
        raise ValidationError(
            _("%(name)s is no longer a member (“%(status)s”).")
            % {"name": organisation.name, "status": organisation.get_status_display()}
        )
    errors: dict[str, str] = {}
    if not 1 <= capacity_hours <= MAX_CAPACITY_HOURS:
        errors["capacity_hours"] = _("Offer between 1 and %(max)s hours per week.") % {
            "max": MAX_CAPACITY_HOURS
        }
    if not expertise:
        errors["expertise"] = _("Choose at least one area of expertise.")
    if not regions or not set(regions) <= {code for code, _label in PROVINCES}:
        errors["regions"] = _("Choose one or more provinces from the list.")
    if not languages or not set(languages) <= {code for code, _label in LANGUAGES}:
        errors["languages"] = _("Choose one or more languages from the list.")
    if errors:
        raise ValidationError(errors)
    values = {
        "capacity_hours": capacity_hours,
        "regions": sorted(set(regions)),
        "languages": sorted(set(languages)),
    }
    changed = sorted(name for name, value in values.items() if getattr(organisation, name) != value)
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation.save(update_fields=list(values))
    before = set(organisation.expertise.values_list("pk", flat=True))
    organisation.expertise.set(expertise)
    if before != {skill.pk for skill in expertise}:
        changed.append("expertise")
    audit.record(
        actor=actor,
        action="member.offer",
        obj=organisation,
        summary=f"{organisation.name}: {', '.join(changed) or 'no changes'}",
        data={"changed": changed, "capacity_hours": capacity_hours},
    )
    return organisation
