"""Security incidents at care organisations, the response to them, and the
indicators of compromise they share.

An incident is labelled content like any other: the label and its named
recipients decide who reads it (`ttc.core.access`). On top of the label, the
people who accepted a place on its response team see it whatever its label
(`team_access`): the reporter's organisation shares the case with them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ttc.core.models import Labelled
from ttc.lib.markdown import render

if TYPE_CHECKING:
    from ttc.accounts.models import User


class Category(models.TextChoices):
    """The classes of the ENISA Reference Security Incident Taxonomy that care
    organisations meet, in the words a night-shift officer would use."""

    MALICIOUS_CODE = "malicious-code", _("Malicious code (ransomware, virus, trojan)")
    FRAUD = "fraud", _("Phishing or fraud")
    INTRUSIONS = "intrusions", _("Intrusion (a compromised account or system)")
    AVAILABILITY = "availability", _("Availability (DDoS, sabotage, outage by attack)")
    INFORMATION = (
        "information-content-security",
        _("Information security (data breach, data changed without authorisation)"),
    )
    VULNERABLE = "vulnerable", _("Vulnerable system (not yet exploited)")
    OTHER = "other", _("Other")


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MODERATE = 2, _("Moderate")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


SEVERITY_MEANING = {
    Severity.LOW: _("Contained to one device or account; no effect on work."),
    Severity.MODERATE: _("Several systems or people affected; work goes on with workarounds."),
    Severity.HIGH: _(
        "Important systems are down or data has left the organisation; patient care "
        "is not (yet) affected."
    ),
    Severity.CRITICAL: _(
        "Patient care is affected: care is postponed, patients are moved or "
        "clinical systems cannot be used."
    ),
}


class PersonalData(models.TextChoices):
    UNKNOWN = "unknown", _("Not known yet")
    YES = "yes", _("Yes, personal data may be involved")
    NO = "no", _("No")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    CONTAINED = "contained", _("Contained")
    RECOVERED = "recovered", _("Recovered")
    CLOSED = "closed", _("Closed")


#: Where an incident may go from each status. An attacker who returns sends a
#: contained or recovered incident back to investigation; a closed incident
#: reopens the same way.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.ACKNOWLEDGED,),
    Status.ACKNOWLEDGED: (Status.INVESTIGATING, Status.CLOSED),
    Status.INVESTIGATING: (Status.CONTAINED,),
    Status.CONTAINED: (Status.RECOVERED, Status.INVESTIGATING),
    Status.RECOVERED: (Status.CLOSED, Status.INVESTIGATING),
    Status.CLOSED: (Status.INVESTIGATING,),
}

OPEN_STATUSES = (
    Status.NEW,
    Status.ACKNOWLEDGED,
    Status.INVESTIGATING,
    Status.CONTAINED,
    Status.RECOVERED,
)


class Stage(models.TextChoices):
    """The NIS2 staged reports (article 23): what the authority wants, and when."""

    EARLY_WARNING = "early_warning", _("Early warning")
    NOTIFICATION = "notification", _("Incident notification")
    FINAL = "final", _("Final report")


@dataclass(frozen=True)
class Clock:
    """One response deadline: met, running or overdue."""

    label: str
    due: datetime
    met_at: datetime | None
    overdue: bool


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Incident(Labelled):
    """A security incident at a care organisation."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    title = models.CharField(_("in a few words"), max_length=200)
    description = models.TextField(_("what happened?"), max_length=20_000)
    detected_at = models.DateTimeField(_("detected at"))
    category = models.CharField(_("type"), max_length=32, choices=Category.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    affected_systems = models.TextField(_("affected systems"), max_length=5_000, blank=True)
    personal_data = models.CharField(
        _("may personal data be involved?"),
        max_length=8,
        choices=PersonalData.choices,
        default=PersonalData.UNKNOWN,
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_phone = models.CharField(_("phone number"), max_length=40)
    contact_email = models.EmailField(_("e-mail address"), blank=True)
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("affected organisation"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    reported_via = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("reported by umbrella organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents_reported",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: When the first responder accepted: the responder deadline is met then.
    responder_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Deadline breaches are told once each.
    acknowledge_breach_told_at = models.DateTimeField(null=True, blank=True)
    responder_breach_told_at = models.DateTimeField(null=True, blank=True)
    # NIS2 reports: what each stage adds, and when the organisation sent it.
    suspected_malicious = models.BooleanField(
        _("suspected unlawful or malicious act"), default=False
    )
    cross_border = models.BooleanField(_("may have a cross-border impact"), default=False)
    impact = models.TextField(_("impact"), max_length=10_000, blank=True)
    root_cause = models.TextField(_("root cause"), max_length=10_000, blank=True)
    mitigations = models.TextField(
        _("mitigations applied and ongoing"), max_length=10_000, blank=True
    )
    early_warning_sent_at = models.DateTimeField(null=True, blank=True)
    notification_sent_at = models.DateTimeField(null=True, blank=True)
    final_report_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    #: One per form: a second submit of the same form finds the first incident.
    submission_key = models.UUIDField(default=uuid4, unique=True, editable=False)

    #: The reporter and the named people take part as people of the affected
    #: organisation (or its umbrella): leaving it ends their access.
    ACCESS_THROUGH_ORGANISATIONS = True

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "severity", "created_at"])]
        permissions = [("view_research", _("May see the incident research view"))]

    def __str__(self) -> str:
        # The reference only: audit summaries and a person's data export repeat
        # it after their access to the title may have ended.
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("incident_detail", args=[self.reference])

    @classmethod
    def team_access(cls, user: User) -> Q:
        """The response team sees its incidents whatever their label."""
        return Q(pk__in=Responder.objects.on_team(user).values("incident_id"))

    def team(self) -> models.QuerySet[User]:
        """The people on the response team now."""
        from ttc.accounts.models import User
        from ttc.members.models import Membership, MemberStatus

        places = self.responders.filter(
            Exists(
                Membership.objects.filter(
                    user=OuterRef("person"), organisation=OuterRef("organisation")
                )
            ),
            status=Responder.Status.ACCEPTED,
            organisation__status=MemberStatus.APPROVED,
        )
        return User.objects.filter(
            is_active=True, deleted_at__isnull=True, pk__in=places.values("person_id")
        )

    def description_html(self) -> str:
        return render(self.description)

    def may_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def severity_meaning(self) -> str:
        return str(SEVERITY_MEANING[Severity(self.severity)])

    @property
    def party_ids(self) -> set[int]:
        return {pk for pk in (self.organisation_id, self.reported_via_id) if pk}

    # -- response deadlines ----------------------------------------------------

    def _deadline(self, which: str) -> datetime:
        minutes = settings.TTC_INCIDENT_DEADLINES[self.severity][which]
        return self.created_at + timedelta(minutes=minutes)

    @property
    def acknowledge_due(self) -> datetime:
        return self._deadline("acknowledge")

    @property
    def responder_due(self) -> datetime:
        return self._deadline("responder")

    def acknowledge_overdue(self, now: datetime | None = None) -> bool:
        return self.acknowledged_at is None and (now or timezone.now()) > self.acknowledge_due

    def responder_overdue(self, now: datetime | None = None) -> bool:
        return (
            self.is_open
            and self.responder_at is None
            and (now or timezone.now()) > self.responder_due
        )

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.acknowledge_overdue(now) or self.responder_overdue(now)

    @property
    def clock_acknowledge(self) -> Clock:
        return Clock(
            str(_("Acknowledged")),
            self.acknowledge_due,
            self.acknowledged_at,
            self.acknowledge_overdue(),
        )

    @property
    def clock_responder(self) -> Clock:
        return Clock(
            str(_("Responder on the case")),
            self.responder_due,
            self.responder_at,
            self.responder_overdue(),
        )

    # -- NIS2 stages -------------------------------------------------------------

    def stage_due(self, stage: str) -> datetime:
        """Early warning 24 hours and notification 72 hours after detection; the
        final report a month after the notification (or its deadline)."""
        if stage == Stage.EARLY_WARNING:
            return self.detected_at + timedelta(hours=24)
        if stage == Stage.NOTIFICATION:
            return self.detected_at + timedelta(hours=72)
        notified = self.notification_sent_at or self.stage_due(Stage.NOTIFICATION)
        return notified + timedelta(days=30)

    def stage_sent_at(self, stage: str) -> datetime | None:
        return {
            Stage.EARLY_WARNING: self.early_warning_sent_at,
            Stage.NOTIFICATION: self.notification_sent_at,
            Stage.FINAL: self.final_report_sent_at,
        }[Stage(stage)]

    @property
    def stage_next(self) -> Stage | None:
        """The first report not sent yet."""
        for stage in Stage:
            if self.stage_sent_at(stage) is None:
                return stage
        return None


class ResponderQuerySet(models.QuerySet["Responder"]):
    def on_team(self, user: User) -> ResponderQuerySet:
        """The person's accepted places, while they are in the approved member
        they joined for: leaving it, or its suspension, ends the access."""
        return self.filter(
            person=user,
            status=Responder.Status.ACCEPTED,
            organisation_id__in=user.approved_organisation_ids,
        )


class Responder(models.Model):
    """A member's expert asked onto an incident's response team."""

    class Status(models.TextChoices):
        INVITED = "invited", pgettext_lazy("responder", "Invited")
        ACCEPTED = "accepted", pgettext_lazy("responder", "Accepted")
        DECLINED = "declined", pgettext_lazy("responder", "Declined")
        LEFT = "left", pgettext_lazy("responder", "Left the team")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responders")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles"
    )
    organisation = models.ForeignKey(
        "members.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)

    objects = ResponderQuerySet.as_manager()

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="one_place_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.incident.reference}"


class TimelineEvent(models.Model):
    """Something that happened: told by a person, or written by the platform."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    occurred_at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    what = models.TextField(_("what happened"), max_length=5_000)
    automatic = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return self.what[:80]


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DOING = "doing", _("In progress")
        DONE = "done", _("Done")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due = models.DateTimeField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "due", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, now: datetime | None = None) -> bool:
        return (
            self.status != self.Status.DONE
            and self.due is not None
            and (now or timezone.now()) > self.due
        )


class Note(models.Model):
    """Shared case notes. Every save is a revision, so that two people editing at
    once can be merged against the text both started from."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("note"), max_length=50_000)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def body_html(self) -> str:
        return render(self.body)


class NoteRevision(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["note", "version"], name="one_revision_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class IndicatorKind(models.TextChoices):
    IPV4 = "ipv4", _("IPv4 address")
    IPV6 = "ipv6", _("IPv6 address")
    DOMAIN = "domain", _("Domain")
    URL = "url", _("URL")
    EMAIL = "email", _("E-mail address")
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    FILENAME = "filename", _("File name")


def indicator_key(kind: str, value: str) -> str:
    """One fixed-length key per (kind, normalised value): correlation looks up
    keys, so a 2,000-character URL costs the index no more than an address."""
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    pass


class Indicator(Labelled):
    """An indicator of compromise seen in an incident, under its own label: the
    source may share an indicator more widely than the incident itself."""

    class Source(models.TextChoices):
        PASTE = "paste", _("Extracted from text")
        MANUAL = "manual", _("Typed in")
        IMPORT = "import", _("STIX import")

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField(_("type"), max_length=10, choices=IndicatorKind.choices)
    value = models.CharField(_("value"), max_length=2048)
    key = models.CharField(max_length=64, db_index=True, editable=False)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    sightings = models.PositiveIntegerField(_("sightings"), default=1)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    ACCESS_THROUGH_ORGANISATIONS = True

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "value", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="one_indicator_per_incident")
        ]
        indexes = [models.Index(fields=["tlp", "updated_at"])]

    def __str__(self) -> str:
        # Not the value: see Incident.__str__.
        return f"{self.kind} indicator {self.uuid}"

    def get_absolute_url(self) -> str:
        return reverse("indicator_detail", args=[self.uuid])

    def save(self, *args: object, **kwargs: object) -> None:
        self.key = indicator_key(self.kind, self.value)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def team_access(cls, user: User) -> Q:
        """The response team reads every indicator of its incidents."""
        return Q(incident_id__in=Responder.objects.on_team(user).values("incident_id"))

    def team(self) -> models.QuerySet[User]:
        return self.incident.team()
