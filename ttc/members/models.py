from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MEMBER_COMPANY = "member_company", _("Member company")
    HOSPITAL = "hospital", _("Hospital")
    GGD = "ggd", _("GGD (municipal health service)")
    UMBRELLA = "umbrella", _("Care umbrella organisation")
    CARE = "care", _("Care organisation")
    MUNICIPALITY = "municipality", _("Municipality")
    MINISTRY = "ministry", _("Ministry")
    PUBLIC_OTHER = "public_other", _("Other public body")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def vetted(self) -> OrganisationQuerySet:
        return self.filter(vetted_at__isnull=False)

    def member_companies(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.MEMBER_COMPANY)

    def public_parties(self) -> OrganisationQuerySet:
        return self.exclude(kind=OrganisationKind.MEMBER_COMPANY)

    def visible_to(self, user: Any) -> OrganisationQuerySet:
        """Coordinators and vetted people see every organisation; others their own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_coordinator or user.is_vetted:
            return self
        return self.filter(pk__in=user.organisation_ids)

    def search(self, query: str) -> OrganisationQuerySet:
        query = query.strip()
        if not query:
            return self
        return self.filter(models.Q(name__icontains=query) | models.Q(city__icontains=query))


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    vetted_at = models.DateTimeField(
        _("vetted on"),
        null=True,
        blank=True,
        help_text=_("When coordinators vetted this member or verified this public party."),
    )
    umbrella = models.ForeignKey(
        "self",
        verbose_name=_("umbrella organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_members",
        limit_choices_to={"kind": OrganisationKind.UMBRELLA},
    )
    clients = models.ManyToManyField(
        "self",
        verbose_name=_("declared clients"),
        symmetrical=False,
        blank=True,
        related_name="providers",
        help_text=_("Organisations that may receive TLP:AMBER information shared with us."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_public_party(self) -> bool:
        return self.kind != OrganisationKind.MEMBER_COMPANY

    @property
    def is_vetted(self) -> bool:
        return self.vetted_at is not None


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Skill(models.Model):
    """One entry of the skills taxonomy: an area (no parent) or a sub-skill."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )

    class Meta:
        ordering = ["parent__name", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "parent"], name="unique_skill")]

    def __str__(self) -> str:
        return f"{self.parent.label}: {self.label}" if self.parent_id else self.label

    @property
    def label(self) -> str:
        return self.name_en if get_language() == "en" else self.name


class ExpertSkill(models.Model):
    class Level(models.IntegerChoices):
        WORKING = 1, _("Working knowledge")
        EXPERIENCED = 2, _("Experienced")
        EXPERT = 3, _("Expert")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="experts")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="one_level_per_skill")
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.get_level_display()})"
