from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ttc.core.models import Labelled
from ttc.lib.markdown import render
from ttc.members.models import PROVINCES

if TYPE_CHECKING:
    from ttc.accounts.models import User


class Category(models.TextChoices):
    SECURITY = "security", _("Security")
    PRIVACY = "privacy", _("Privacy")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure and networks")
    CLOUD = "cloud", _("Cloud and hosting")
    SOFTWARE = "software", _("Software")
    DATA_AI = "data_ai", _("Data and AI")
    COMMUNICATION = "communication", _("Communication and UX")
    LOGISTICS = "logistics", _("Logistics and hardware")
    OTHER = "other", _("Other")


class Urgency(models.IntegerChoices):
    """Ordered: the triage queue sorts on the number."""

    CRITICAL = 1, _("Critical")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


URGENCY_MEANING = {
    Urgency.CRITICAL: _(
        "Patient care or public health is at risk now; help is needed within a day."
    ),
    Urgency.HIGH: _("Work is seriously hindered; help is needed within a week."),
    Urgency.NORMAL: _("Help is needed within a month."),
    Urgency.LOW: _("It would help, but there is no hurry."),
}

REQUEST_LANGUAGES = [("", _("Dutch or English")), ("nl", _("Dutch")), ("en", _("English"))]
REQUEST_REGIONS = [("", _("Anywhere, remote work is fine")), *PROVINCES]


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for triage")
    NEEDS_INFO = "needs_info", _("Question to the requester")
    OPEN = "open", _("Looking for members")
    MATCHED = "matched", _("Members at work")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged into another request")


#: Statuses in which a request still needs the coordinators.
ACTIVE_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.NEEDS_INFO, RequestStatus.OPEN)
#: Statuses the stale check watches: nobody is working on the request yet.
STALE_WATCHED = ACTIVE_STATUSES

REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.SUBMITTED: frozenset(
        {
            RequestStatus.NEEDS_INFO,
            RequestStatus.OPEN,
            RequestStatus.REJECTED,
            RequestStatus.MERGED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.NEEDS_INFO: frozenset(
        {
            RequestStatus.SUBMITTED,
            RequestStatus.OPEN,
            RequestStatus.REJECTED,
            RequestStatus.MERGED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.OPEN: frozenset(
        {
            RequestStatus.NEEDS_INFO,
            RequestStatus.MATCHED,
            RequestStatus.MERGED,
            RequestStatus.CLOSED,
        }
    ),
    RequestStatus.MATCHED: frozenset({RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.MERGED: frozenset(),
}


class CloseReason(models.TextChoices):
    DELIVERED = "delivered", _("The help was delivered")
    STALE = "stale", _("No answer to whether help was still needed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    NO_MEMBER = "no_member", _("No member could help")


class HelpRequestQuerySet(models.QuerySet["HelpRequest"]):
    def triage_queue(self) -> HelpRequestQuerySet:
        """Waiting for a coordinator: most urgent first, then longest waiting."""
        return self.filter(status__in=(RequestStatus.SUBMITTED, RequestStatus.NEEDS_INFO)).order_by(
            "urgency", "created_at", "pk"
        )

    def open(self) -> HelpRequestQuerySet:
        return self.filter(status=RequestStatus.OPEN)

    def active(self) -> HelpRequestQuerySet:
        return self.filter(status__in=(*ACTIVE_STATUSES, RequestStatus.MATCHED))

    def stale(self, *, now: Any = None) -> HelpRequestQuerySet:
        """Untouched for the stale period and not yet asked whether still needed."""
        cutoff = (now or timezone.now()) - timedelta(days=settings.TTC_STALE_REQUEST_DAYS)
        return self.filter(
            status__in=STALE_WATCHED, last_activity_at__lt=cutoff, stale_asked_at__isnull=True
        )

    def for_organisations(self, org_ids: Any) -> HelpRequestQuerySet:
        return self.filter(
            models.Q(organisation_id__in=org_ids) | models.Q(submitted_via_id__in=org_ids)
        )

    def search(self, query: str) -> HelpRequestQuerySet:
        """Titles only: a description can be confidential even where the title is shown."""
        query = query.strip()
        if not query:
            return self
        return self.filter(title__icontains=query)


class HelpRequest(Labelled):
    """A public party asks the coalition for help.

    `recipient_orgs` always holds the requesting organisation, the umbrella that
    submitted on its behalf and every member that accepted a proposal;
    `recipient_people` the submitter and the people who accepted. The label
    decides which of the two the access policy reads.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what do you need help with?"), max_length=20_000)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    skills = models.ManyToManyField(
        "members.Skill", verbose_name=_("skills needed"), related_name="help_requests"
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    effort_hours = models.PositiveIntegerField(
        _("estimated effort in hours"), validators=[MinValueValidator(1)]
    )
    experts_needed = models.PositiveSmallIntegerField(
        _("number of experts needed"), default=1, validators=[MinValueValidator(1)]
    )
    deadline = models.DateField(_("deadline"))
    region = models.CharField(_("region"), max_length=20, choices=REQUEST_REGIONS, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=REQUEST_LANGUAGES, blank=True)
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("organisation that needs help"),
        on_delete=models.PROTECT,
        related_name="help_requests",
    )
    submitted_via = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("submitted by umbrella organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_requests_submitted",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    close_reason = models.CharField(
        _("reason for closing"), max_length=12, choices=CloseReason.choices, blank=True
    )
    decision_note = models.TextField(_("note to the requester"), max_length=5_000, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(_("requester contacted"), null=True, blank=True)
    first_match_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    stale_asked_at = models.DateTimeField(null=True, blank=True)
    #: One per form: a second submit of the same form finds the first request.
    submission_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    #: Its author and named people take part as people of its named
    #: organisations: the requesting side and the members at work. Leaving the
    #: organisation, or the organisation losing its approval, ends their access,
    #: to TLP:RED too (see `ttc.core.access`).
    ACCESS_THROUGH_ORGANISATIONS = True

    objects = HelpRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        indexes = [models.Index(fields=["status", "urgency", "created_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("helprequest_detail", args=[self.pk])

    def description_html(self) -> str:
        return render(self.description)

    def may_move_to(self, status: str) -> bool:
        return status in REQUEST_TRANSITIONS[self.status]

    @property
    def party_ids(self) -> set[int]:
        """The requesting side: the organisation and the umbrella that submitted."""
        return {pk for pk in (self.organisation_id, self.submitted_via_id) if pk}

    @property
    def urgency_meaning(self) -> str:
        return str(URGENCY_MEANING[Urgency(self.urgency)])


class RequestMessage(models.Model):
    """The conversation between coordinators and the requester about a request."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")
        NOTICE = "notice", _("Notice")

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(_("message"), max_length=5_000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"


class ConflictOfInterest(models.Model):
    """A member's existing commercial relationship with a public party: matching
    never proposes the member for that party's requests."""

    member = models.ForeignKey(
        "members.Organisation", on_delete=models.CASCADE, related_name="conflicts"
    )
    public_party = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("public party"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    description = models.CharField(_("the relationship"), max_length=300)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["public_party__name"]
        constraints = [
            models.UniqueConstraint(fields=["member", "public_party"], name="one_conflict_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.public_party}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for an answer")
    ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def pending(self) -> ProposalQuerySet:
        return self.filter(status=ProposalStatus.PROPOSED)

    def for_responder(self, user: User) -> ProposalQuerySet:
        """Proposals this person may answer: as the proposed expert, or as an
        admin of the proposed company, and only while they belong to it and it
        is approved: someone who left, or a suspended member, answers nothing."""
        if not user.is_authenticated:
            return self.none()
        approved = user.approved_organisation_ids
        return self.filter(
            models.Q(expert=user, organisation_id__in=approved)
            | models.Q(
                expert__isnull=True, organisation_id__in=user.admin_organisation_ids & approved
            )
        )

    def counting_toward_cap(self, *, since: Any) -> ProposalQuerySet:
        """Matches in the fairness window: accepted, or still waiting for an answer."""
        return self.filter(
            status__in=(ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED), proposed_at__gte=since
        )


class Proposal(models.Model):
    """A coordinator proposes a member (a company, or one of its experts) for a request."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="proposals")
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="proposals"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    #: "org:<id>" or "expert:<id>", as the matching engine names candidates.
    candidate_key = models.CharField(max_length=30)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now, db_index=True)
    respond_by = models.DateTimeField()
    #: The score and its parts when proposed: why this member.
    score = models.FloatField()
    breakdown = models.JSONField(default=dict)
    via_batch = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason"), max_length=2_000, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # One open proposal per candidate per request, whatever happens concurrently.
            models.UniqueConstraint(
                fields=["request", "candidate_key"],
                condition=models.Q(status="proposed"),
                name="one_open_proposal_per_candidate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.candidate_name} for {self.request}"

    def get_absolute_url(self) -> str:
        return reverse("proposal_detail", args=[self.pk])

    @property
    def candidate_name(self) -> str:
        if self.expert is not None:
            return f"{self.expert.display_name} ({self.organisation.name})"
        return self.organisation.name


class EngagementStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")


ENGAGEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EngagementStatus.IN_PROGRESS: frozenset({EngagementStatus.DELIVERED, EngagementStatus.CLOSED}),
    EngagementStatus.DELIVERED: frozenset({EngagementStatus.IN_PROGRESS, EngagementStatus.CLOSED}),
    EngagementStatus.CLOSED: frozenset(),
}


class EngagementQuerySet(models.QuerySet["Engagement"]):
    def current(self) -> EngagementQuerySet:
        return self.exclude(status=EngagementStatus.CLOSED)

    def for_user(self, user: Any) -> EngagementQuerySet:
        """Engagements this person takes part in: on the requesting side (when the
        request's label lets them see it) or at the engaged member. Coordinators
        see all."""
        from ttc.core import access

        if not user.is_authenticated:
            return self.none()
        if user.is_coordinator:
            return self
        visible = access.visible_to(HelpRequest.objects.all(), user).values("pk")
        mine = user.approved_organisation_ids
        return self.filter(request__in=visible).filter(
            models.Q(organisation_id__in=mine)
            | models.Q(request__organisation_id__in=mine)
            | models.Q(request__submitted_via_id__in=mine)
        )


class Engagement(models.Model):
    """An accepted proposal: a member at work on a request."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="engagement")
    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="engagements")
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="engagements"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EngagementStatus.choices,
        default=EngagementStatus.IN_PROGRESS,
    )
    started_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.request}"

    def get_absolute_url(self) -> str:
        return reverse("engagement_detail", args=[self.pk])

    def may_move_to(self, status: str) -> bool:
        return status in ENGAGEMENT_TRANSITIONS[self.status]

    @property
    def member_name(self) -> str:
        return self.proposal.candidate_name

    def hours_total(self) -> Decimal:
        return self.hours.aggregate(total=models.Sum("hours"))["total"] or Decimal(0)


class EngagementMessage(models.Model):
    """The thread between the requester and the engaged member."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message on {self.engagement_id}"

    def body_html(self) -> str:
        return render(self.body)


class HoursLog(models.Model):
    """Hours a member donated to an engagement."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="hours")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    worked_on = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal(24))],
    )
    note = models.CharField(_("what was done"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-worked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.worked_on}"


class Feedback(models.Model):
    """The requester's verdict when an engagement closes."""

    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="feedback")
    helped = models.BooleanField(_("did it help?"))
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=5_000, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.engagement_id}"
