from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ttc.accounts.models import ApiToken, User, hash_token
from ttc.core import audit
from ttc.core.models import AuditEvent, Notification

MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def profile_update(*, user: User, full_name: str, preferred_language: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.full_name = full_name.strip()
    user.preferred_language = preferred_language
    user.save(update_fields=["full_name", "preferred_language"])
    audit.record(actor=user, action="account.profile_update", obj=user, summary="Profile updated")
    return user


@transaction.atomic
def language_set(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(preferred_language=language)
    audit.record(
        actor=user, action="account.language", obj=user, summary=f"Language set to {language}"
    )


@transaction.atomic
def api_token_create(*, user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """Make a personal API token. The raw key is returned once and stored hashed."""
    if user.api_tokens.active().count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("You have %(max)d active tokens; revoke one first."),
            params={"max": MAX_ACTIVE_TOKENS},
        )
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name.strip(), scope=scope, prefix=raw[:10], key_hash=hash_token(raw)
    )
    audit.record(
        actor=user, action="token.create", obj=token, summary=f"API token {token} ({scope})"
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != user.pk:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=user, action="token.revoke", obj=token, summary=f"API token {token}")


def account_export(*, user: User) -> dict[str, Any]:
    """Everything the platform holds about this person, as plain data."""
    from ttc.announcements.models import Announcement

    audit.record(actor=user, action="account.export", obj=user, summary="Exported own data")
    return {
        "profile": {
            "email": user.email,
            "full_name": user.full_name,
            "preferred_language": user.preferred_language,
            "role": user.role.value,
            "date_joined": user.date_joined.isoformat(),
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user)
        ],
        "memberships": [
            {"organisation": m.organisation.name, "role": m.role}
            for m in user.memberships.select_related("organisation")
        ],
        "two_factor_methods": sorted(
            Authenticator.objects.filter(user=user).values_list("type", flat=True)
        ),
        "api_tokens": [
            {
                "name": token.name,
                "prefix": token.prefix,
                "scope": token.scope,
                "created_at": token.created_at.isoformat(),
                "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
                "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
            }
            for token in user.api_tokens.all()
        ],
        "notifications": [
            {"title": n.title, "url": n.url, "created_at": n.created_at.isoformat()}
            for n in Notification.objects.for_user(user)
        ],
        "announcements_written": [
            {"title": a.title, "tlp": a.tlp, "created_at": a.created_at.isoformat()}
            for a in Announcement.objects.filter(created_by=user)
        ],
        "audit_events": [
            {"time": e.created_at.isoformat(), "action": e.action, "summary": e.summary}
            for e in AuditEvent.objects.filter(actor=user).order_by("id")
        ],
    }


def _ensure_no_organisation_loses_its_admin(user: User) -> None:
    """Refuse when `user` is the only admin of an organisation with other people.

    An organisation where they are the only person may lose its admin: nobody is
    left behind who needs one. The organisations are locked (in a fixed order) so
    that two admins deleting themselves at once cannot both pass this check.
    """
    from ttc.members.models import Membership, Organisation

    organisations = list(
        Organisation.objects.select_for_update(of=("self",))
        .filter(memberships__user=user, memberships__role=Membership.Role.ADMIN)
        .order_by("pk")
    )
    stranded = []
    for organisation in organisations:
        others = Membership.objects.filter(organisation=organisation).exclude(user=user)
        if others.exists() and not others.filter(role=Membership.Role.ADMIN).exists():
            stranded.append(organisation)
    if stranded:
        raise ValidationError(
            [
                ValidationError(
                    _("Make someone else admin of %(organisation)s first."),
                    code="only_admin",
                    params={"organisation": organisation.name},
                )
                for organisation in sorted(stranded, key=lambda o: o.name)
            ]
        )


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete a person: personal data goes, contributions stay under
    "Deleted account", and the audit log keeps that it happened.

    Refused (ValidationError, nothing changed) while they are the only admin of
    an organisation that has other people."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _ensure_no_organisation_loses_its_admin(user)
    audit.record(actor=user, action="account.delete", obj=user, summary="Account deleted")
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.api_tokens.all().delete()
    user.memberships.all().delete()
    Notification.objects.filter(recipient=user).delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.full_name = ""
    user.is_active = False
    user.is_coordinator = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = timezone.now()
    # A new password hash also ends every open session of this account.
    user.set_unusable_password()
    user.save()
