from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from ttc.members.models import Organisation


class Role(models.TextChoices):
    """The platform role a person acts in; navigation and dashboard follow it."""

    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER_ADMIN = "member_admin", _("Member company admin")
    EXPERT = "expert", _("Expert")
    REQUESTER = "requester", _("Requester (public party)")
    VISITOR = "visitor", _("Visitor")


# The kinds of organisation whose people are experts (see members.OrganisationKind).
_MEMBER_KINDS = {"member_company", "independent"}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True, is_coordinator=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    is_coordinator = models.BooleanField(
        _("coordinator"), default=False, help_text=_("Member of the TTC core team.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.deleted_at:
            return str(_("Deleted account"))
        return self.full_name or self.email

    @property
    def public_name(self) -> str:
        """The name shown to others where content may be public: never the
        e-mail address, which stays private."""
        if self.deleted_at:
            return str(_("Deleted account"))
        return self.full_name or str(_("A member"))

    @property
    def credit(self) -> str:
        """The name to credit a contribution with; empty (shown as anonymous)
        when the person gave no name."""
        return "" if self.deleted_at else self.full_name

    @cached_property
    def _memberships(self) -> list[tuple[int, str, str, bool]]:
        """(organisation id, role, organisation kind, vetted) for each membership:
        one query answers every question about the person's organisations."""
        if self.pk is None:
            return []
        return [
            (org_id, role, kind, status == "approved")
            for org_id, role, kind, status in self.memberships.values_list(
                "organisation_id", "role", "organisation__kind", "organisation__status"
            )
        ]

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(org_id for org_id, *_ in self._memberships)

    @property
    def approved_organisation_ids(self) -> frozenset[int]:
        """Organisations that may receive confidential content (see core.access)."""
        return frozenset(org_id for org_id, *_, approved in self._memberships if approved)

    @property
    def admin_organisation_ids(self) -> frozenset[int]:
        return frozenset(org_id for org_id, role, *_ in self._memberships if role == "admin")

    @property
    def is_vetted(self) -> bool:
        """Vetted members and verified public parties may see TLP:GREEN."""
        return self.is_coordinator or any(vetted for *_, vetted in self._memberships)

    @property
    def role(self) -> Role:
        if self.is_coordinator:
            return Role.COORDINATOR
        member_roles = {role for _, role, kind, _ in self._memberships if kind in _MEMBER_KINDS}
        if "admin" in member_roles:
            return Role.MEMBER_ADMIN
        if member_roles:
            return Role.EXPERT
        if self._memberships:
            return Role.REQUESTER
        return Role.VISITOR

    def requires_mfa(self) -> bool:
        """Coordinators, and anyone in an organisation (organisations may be sent
        TLP:AMBER, people TLP:RED), must use a second factor."""
        return self.is_coordinator or bool(self.organisation_ids)

    def organisations(self) -> models.QuerySet[Organisation]:
        from ttc.members.models import Organisation

        return Organisation.objects.filter(pk__in=self.organisation_ids)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> str:
        return settings.TTC_API_TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows_write(self) -> bool:
        return self.scope == self.Scope.WRITE
