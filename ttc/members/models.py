from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MEMBER_COMPANY = "member_company", _("Member company")
    INDEPENDENT_EXPERT = "independent", _("Independent expert")
    HOSPITAL = "hospital", _("Hospital")
    GGD = "ggd", _("GGD (municipal health service)")
    UMBRELLA = "umbrella", _("Care umbrella organisation")
    CARE = "care", _("Care organisation")
    MUNICIPALITY = "municipality", _("Municipality")
    MINISTRY = "ministry", _("Ministry")
    PUBLIC_OTHER = "public_other", _("Other public body")


#: Members of the coalition: they apply, are vetted and stay compliant.
MEMBER_KINDS = (OrganisationKind.MEMBER_COMPANY, OrganisationKind.INDEPENDENT_EXPERT)
#: Care providers have an AGB code; government bodies an OIN.
CARE_KINDS = (OrganisationKind.HOSPITAL, OrganisationKind.UMBRELLA, OrganisationKind.CARE)
GOVERNMENT_KINDS = (
    OrganisationKind.GGD,
    OrganisationKind.MUNICIPALITY,
    OrganisationKind.MINISTRY,
    OrganisationKind.PUBLIC_OTHER,
)


class MemberStatus(models.TextChoices):
    """Where an organisation stands with the coalition. Only the services in
    `ttc.members.vetting` move it, along `TRANSITIONS`."""

    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    INFO_REQUESTED = "info_requested", _("More information requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ENDED = "ended", _("Membership ended")


TRANSITIONS: dict[str, frozenset[str]] = {
    MemberStatus.APPLIED: frozenset(
        {MemberStatus.UNDER_REVIEW, MemberStatus.REJECTED, MemberStatus.WITHDRAWN}
    ),
    MemberStatus.UNDER_REVIEW: frozenset(
        {
            MemberStatus.INFO_REQUESTED,
            MemberStatus.APPROVED,
            MemberStatus.REJECTED,
            MemberStatus.WITHDRAWN,
        }
    ),
    MemberStatus.INFO_REQUESTED: frozenset(
        {MemberStatus.UNDER_REVIEW, MemberStatus.REJECTED, MemberStatus.WITHDRAWN}
    ),
    MemberStatus.APPROVED: frozenset(
        {MemberStatus.SUSPENDED, MemberStatus.EXPIRED, MemberStatus.WITHDRAWN, MemberStatus.ENDED}
    ),
    MemberStatus.SUSPENDED: frozenset(
        {MemberStatus.APPROVED, MemberStatus.WITHDRAWN, MemberStatus.ENDED}
    ),
    MemberStatus.EXPIRED: frozenset({MemberStatus.UNDER_REVIEW, MemberStatus.WITHDRAWN}),
    MemberStatus.REJECTED: frozenset(),
    MemberStatus.WITHDRAWN: frozenset(),
    MemberStatus.ENDED: frozenset(),
}

PROVINCES = [
    ("groningen", "Groningen"),
    ("friesland", "Fryslân"),
    ("drenthe", "Drenthe"),
    ("overijssel", "Overijssel"),
    ("flevoland", "Flevoland"),
    ("gelderland", "Gelderland"),
    ("utrecht", "Utrecht"),
    ("noord-holland", "Noord-Holland"),
    ("zuid-holland", "Zuid-Holland"),
    ("zeeland", "Zeeland"),
    ("noord-brabant", "Noord-Brabant"),
    ("limburg", "Limburg"),
]
LANGUAGES = [
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("tr", _("Turkish")),
    ("ar", _("Arabic")),
    ("pl", _("Polish")),
]


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def vetted(self) -> OrganisationQuerySet:
        return self.filter(status=MemberStatus.APPROVED)

    def member_companies(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.MEMBER_COMPANY)

    def members(self) -> OrganisationQuerySet:
        return self.filter(kind__in=MEMBER_KINDS)

    def public_parties(self) -> OrganisationQuerySet:
        return self.exclude(kind__in=MEMBER_KINDS)

    def compliant(self) -> OrganisationQuerySet:
        """Approved members with nothing outstanding: the ones matching may propose."""
        return self.vetted().filter(noncompliant_since__isnull=True)

    def visible_to(self, user: Any) -> OrganisationQuerySet:
        """Coordinators see every organisation. Vetted people see the approved ones
        and their own: who applied, was rejected or is suspended is the
        coordinators' business. Others see only their own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_coordinator:
            return self
        own = models.Q(pk__in=user.organisation_ids)
        if user.is_vetted:
            return self.filter(own | models.Q(status=MemberStatus.APPROVED))
        return self.filter(own)

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
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.APPLIED
    )
    vetted_at = models.DateTimeField(
        _("member since"),
        null=True,
        blank=True,
        help_text=_("When coordinators first approved this member or verified this public party."),
    )
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    noncompliant_since = models.DateField(_("not compliant since"), null=True, blank=True)
    compliance_issues = models.JSONField(_("compliance issues"), default=list, blank=True)
    # Identification, validated by the application forms.
    kvk_number = models.CharField(_("KvK number"), max_length=8, blank=True)
    establishment_number = models.CharField(_("establishment number"), max_length=12, blank=True)
    vat_number = models.CharField(_("VAT identification number"), max_length=14, blank=True)
    agb_code = models.CharField(_("AGB code"), max_length=8, blank=True)
    oin = models.CharField(_("OIN"), max_length=20, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=7, blank=True)
    # What a member offers.
    capacity_hours = models.PositiveIntegerField(_("hours per week offered"), null=True, blank=True)
    expertise: models.ManyToManyField[Skill, Any] = models.ManyToManyField(
        "Skill", verbose_name=_("areas of expertise"), blank=True, related_name="organisations"
    )
    regions = models.JSONField(_("regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
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
        return self.kind not in MEMBER_KINDS

    @property
    def is_member(self) -> bool:
        return self.kind in MEMBER_KINDS

    @property
    def is_vetted(self) -> bool:
        return self.status == MemberStatus.APPROVED

    @property
    def is_compliant(self) -> bool:
        return self.is_vetted and self.noncompliant_since is None

    def may_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    def region_labels(self) -> list[str]:
        names = dict(PROVINCES)
        return [names.get(code, code) for code in self.regions]


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
        return f"{self.parent.label}: {self.label}" if self.parent is not None else self.label

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


class ExpertProfile(models.Model):
    """What an expert offers personally, beside their skills."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    hours_per_week = models.PositiveSmallIntegerField(_("hours available per week"))
    languages = models.JSONField(_("languages"), default=list)
    region = models.CharField(_("region"), max_length=20, choices=PROVINCES)
    vog_date = models.DateField(
        _("date of certificate of conduct (VOG)"),
        null=True,
        blank=True,
        help_text=_("Needed for work inside care institutions."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.hours_per_week} h)"


class CodeOfConductQuerySet(models.QuerySet["CodeOfConduct"]):
    def published(self) -> CodeOfConductQuerySet:
        return self.filter(published_at__isnull=False).order_by("-version")

    def current(self) -> CodeOfConduct | None:
        return self.published().first()


class CodeOfConduct(models.Model):
    """One version of the Code of Conduct. Published versions never change."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    summary = models.CharField(_("what changed"), max_length=300)
    body = models.TextField(_("text"), max_length=50_000)
    acceptance_days = models.PositiveSmallIntegerField(_("days members have to accept"), default=30)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CodeOfConductQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("Code of Conduct")

    def __str__(self) -> str:
        return f"Code of Conduct v{self.version}"

    def body_html(self) -> str:
        from ttc.lib.markdown import render

        return render(self.body)


class Criterion(models.Model):
    """One line of a Code of Conduct version's vetting checklist."""

    code_of_conduct = models.ForeignKey(
        CodeOfConduct, on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("criterion"), max_length=300)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.text


class Consent(models.Model):
    """A recorded agreement: who agreed to which text, in which version, when."""

    class Kind(models.TextChoices):
        CODE_OF_CONDUCT = "code_of_conduct", _("Code of Conduct")
        CHATHAM_HOUSE = "chatham_house", _("Chatham House Rule")
        PLEDGE = "pledge", _("Pledge: the collective first, no sales from matches")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consents"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
        help_text=_("Set when an admin agreed on behalf of the organisation."),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField()
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["organisation", "kind", "version"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


def tax_statement_path(instance: TaxStatement, filename: str) -> str:
    # The original file name may carry personal data; the stored one does not.
    return f"tax-statements/{instance.organisation_id}/{uuid.uuid4().hex}.pdf"


class TaxStatement(models.Model):
    """The Belastingdienst's "verklaring betalingsgedrag": no tax arrears."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="tax_statements"
    )
    file = models.FileField(_("statement (PDF)"), upload_to=tax_statement_path)
    issued_on = models.DateField(_("date of the statement"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-uploaded_at"]
        get_latest_by = "issued_on"

    def __str__(self) -> str:
        return f"{self.organisation} {self.issued_on}"

    @property
    def expires_on(self) -> date:
        return add_months(self.issued_on, 12)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Application(models.Model):
    """What an organisation submitted to join, and the review of it."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="application"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    code_of_conduct = models.ForeignKey(CodeOfConduct, on_delete=models.PROTECT, related_name="+")
    privacy_statement = models.TextField(
        _("how you handle privacy and data"), max_length=5_000, blank=True
    )
    privacy_policy_url = models.URLField(_("link to your privacy policy"), blank=True)
    signs_processor_agreement = models.BooleanField(
        _("we sign a processor agreement when we handle personal data"), default=False
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    amended_at = models.DateTimeField(null=True, blank=True)
    #: Approvals count per round: an amendment starts a new one.
    round = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["submitted_at"]

    def __str__(self) -> str:
        return f"Application of {self.organisation}"

    def approvals(self) -> models.QuerySet[ReviewDecision]:
        return self.decisions.filter(round=self.round, decision=ReviewDecision.Decision.APPROVE)


class ChecklistMark(models.Model):
    class Value(models.TextChoices):
        MET = "met", _("Met")
        NOT_MET = "not_met", _("Not met")
        NEEDS_INFORMATION = "needs_info", _("Needs information")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="marks")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(_("assessment"), max_length=12, choices=Value.choices)
    note = models.CharField(_("note"), max_length=1_000, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="one_mark_each")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_value_display()}"


class ReviewDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        REQUEST_INFORMATION = "request_info", _("Ask for more information")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=12, choices=Decision.choices)
    note = models.TextField(_("note to the applicant"), max_length=5_000, blank=True)
    round = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.reviewer})"


class ApplicationMessage(models.Model):
    """The conversation between reviewers and the applicant."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_reviewer = models.BooleanField()
    body = models.TextField(max_length=5_000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class ExpertInvitation(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def is_open(self) -> bool:
        return self.accepted_at is None and timezone.now() - self.created_at < INVITATION_VALIDITY


INVITATION_VALIDITY = timedelta(days=14)


class BreachReport(models.Model):
    """A suspected breach of the Code of Conduct by a member. The reporter is
    known to coordinators only."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        WARNED = "warned", _("Warning given")
        SUSPENDED = "suspended", _("Member suspended")
        ENDED = "ended", _("Membership ended")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="breach_reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("what happened"), max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    decision_note = models.TextField(_("decision, as the member reads it"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    member_response = models.TextField(_("the member's response"), max_length=10_000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report on {self.organisation} ({self.get_outcome_display()})"


class ReminderSent(models.Model):
    """That a reminder went out, so that a daily check run twice sends it once."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=40)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "key"], name="one_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.organisation}"
