"""Incidents: reporting, response, case work and the NIS2 reports.

Indicators live in `ttc.incidents.indicators`, exchange formats in
`ttc.incidents.exchange`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from allauth.mfa.utils import is_mfa_enabled
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttc.core import access, audit
from ttc.core.notify import notify
from ttc.core.tlp import TLP
from ttc.incidents.models import (
    Category,
    Incident,
    Note,
    NoteRevision,
    PersonalData,
    Responder,
    Severity,
    Stage,
    Status,
    Task,
    TimelineEvent,
)
from ttc.lib import textmerge
from ttc.members.models import (
    CARE_KINDS,
    MEMBER_KINDS,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
)
from ttc.members.vetting import coordinators

if TYPE_CHECKING:
    from ttc.accounts.models import User

MAY_NOT_REPORT = gettext_lazy(
    "Only people of a verified care organisation, or of its umbrella organisation, "
    "report incidents here."
)


def _text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    """A free text, refused (never cut) when too long."""
    value = value.strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("Keep it under %(max)s characters.")
                % {"max": number_format(limit, force_grouping=True)}
            }
        )
    return value


# -- who takes part ---------------------------------------------------------------


def organisations_for_reporter(user: User) -> QuerySet[Organisation]:
    """The care organisations this person may report for: their own verified
    ones, and the care members of a verified umbrella they belong to."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    own = Organisation.objects.filter(
        pk__in=user.approved_organisation_ids, status=MemberStatus.APPROVED, kind__in=CARE_KINDS
    )
    umbrellas = own.filter(kind=OrganisationKind.UMBRELLA).values("pk")
    return (
        Organisation.objects.filter(pk__in=own.values("pk"))
        | Organisation.objects.filter(
            umbrella__in=umbrellas, status=MemberStatus.APPROVED, kind__in=CARE_KINDS
        )
    ).distinct()


def _reporting_umbrella(user: User, organisation: Organisation) -> Organisation | None:
    """The umbrella the person reports through, or None for their own
    organisation; raises when they may do neither."""
    if not organisations_for_reporter(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied(MAY_NOT_REPORT)
    if organisation.pk in user.approved_organisation_ids:
        return None
    return organisation.umbrella


def is_reporter_side(user: User, incident: Incident) -> bool:
    """Of the affected organisation (or the umbrella that reported) and allowed
    by the label to see the incident."""
    return (
        user.is_authenticated
        and bool(incident.party_ids & user.approved_organisation_ids)
        and access.rule_allows(user, incident)
    )


def is_responder(user: User, incident: Incident) -> bool:
    return (
        user.is_authenticated and Responder.objects.on_team(user).filter(incident=incident).exists()
    )


def may_work_on(user: User, incident: Incident) -> bool:
    """Case work (timeline, tasks, notes, indicators) is for the coordinators,
    the response team and the reporting side."""
    return user.is_authenticated and (
        user.is_coordinator or is_responder(user, incident) or is_reporter_side(user, incident)
    )


def _require_case_worker(user: User, incident: Incident) -> None:
    if not may_work_on(user, incident):
        raise PermissionDenied(
            _("Only the response team, the reporting organisation and coordinators work here.")
        )


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise PermissionDenied(_("Only coordinators do this."))


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


# -- telling people -------------------------------------------------------------------


def reporter_people(incident: Incident) -> QuerySet[User]:
    """The reporting side that the label lets see the incident."""
    return (
        access.audience(incident)
        .filter(
            pk__in=Membership.objects.filter(organisation_id__in=incident.party_ids).values(
                "user_id"
            )
        )
        .distinct()
    )


def _tell(incident: Incident, people: Iterable[User], *, title: str, body: str) -> None:
    """Titles and e-mails name the incident by its reference only: what happened
    stays on the platform, behind the access policy."""
    notify(
        recipients=people,
        title=title,
        url=incident.get_absolute_url(),
        tlp=incident.tlp,
        email_subject=lambda: title,
        email_body=lambda: body,
        target=incident,
    )


def _tell_case(incident: Incident, *, title: str, body: str, actor: User | None) -> None:
    """Coordinators, the team and the reporting side, except the one who acted."""
    people = (set(coordinators()) | set(incident.team()) | set(reporter_people(incident))) - (
        {actor} if actor else set()
    )
    _tell(incident, people, title=title, body=body)


def _timeline(incident: Incident, what: str, *, actor: User | None = None) -> None:
    TimelineEvent.objects.create(
        incident=incident,
        occurred_at=timezone.now(),
        source=_("platform"),
        what=what,
        automatic=True,
        created_by=actor,
    )


def _touch(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())


# -- reporting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """What a reporter fills in at 3 a.m. Forms and the API validate first; the
    service checks again, so no path skips a rule."""

    title: str
    description: str
    detected_at: datetime
    category: str
    severity: int
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    affected_systems: str = ""
    personal_data: str = PersonalData.UNKNOWN
    tlp: str = TLP.AMBER_STRICT


def validate_report(data: ReportData, *, now: datetime | None = None) -> None:
    errors: dict[str, str] = {}
    if data.category not in Category.values:
        errors["category"] = _("Choose a type.")
    if data.severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    if data.personal_data not in PersonalData.values:
        errors["personal_data"] = _("Choose whether personal data may be involved.")
    if data.tlp not in TLP.values:
        errors["tlp"] = _("Choose a TLP label.")
    if timezone.is_naive(data.detected_at):
        errors["detected_at"] = _("Give the time with its time zone.")
    elif data.detected_at > (now or timezone.now()) + timedelta(minutes=5):
        errors["detected_at"] = _("The detection time lies in the future.")
    if errors:
        raise ValidationError(errors)
    _text(data.title, field="title", limit=200)
    _text(data.description, field="description", limit=20_000)
    _text(data.contact_name, field="contact_name", limit=200)
    _text(data.contact_phone, field="contact_phone", limit=40)
    _text(data.affected_systems, field="affected_systems", limit=5_000, required=False)


#: Letters and digits that cannot be mistaken for each other on the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _new_reference(year: int) -> str:
    """A reference such as TTC-2026-K7QX4. Random, not counted: a count would
    tell anyone who sees two references how many incidents lie between them."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))
    return f"TTC-{year}-{code}"


def incident_report(
    *,
    author: User,
    organisation: Organisation,
    data: ReportData,
    submission_key: UUID | None = None,
) -> Incident:
    """A care organisation (or its umbrella) reports an incident. The same
    `submission_key` twice returns the first incident: a double click on a
    slow night creates one incident."""
    umbrella = _reporting_umbrella(author, organisation)
    validate_report(data)
    if TLP(data.tlp) == TLP.RED:
        access.check_named_people([author])
    key = submission_key or uuid4()
    for _attempt in range(5):
        existing = Incident.objects.filter(submission_key=key).first()
        if existing is not None:
            if existing.created_by_id != author.pk:
                raise PermissionDenied(_("This form was already used by someone else."))
            return existing
        try:
            return _create_incident(author, organisation, umbrella, data, key)
        except IntegrityError:
            # A reference drawn twice, or the same form sent twice at once:
            # look again.
            continue
    raise ValidationError(_("The incident could not be saved; please send the form again."))


@transaction.atomic
def _create_incident(
    author: User,
    organisation: Organisation,
    umbrella: Organisation | None,
    data: ReportData,
    key: UUID,
) -> Incident:
    now = timezone.now()
    incident = Incident.objects.create(
        reference=_new_reference(now.year),
        title=data.title.strip(),
        description=data.description.strip(),
        detected_at=data.detected_at,
        category=data.category,
        severity=data.severity,
        affected_systems=data.affected_systems.strip(),
        personal_data=data.personal_data,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        contact_email=data.contact_email.strip(),
        organisation=organisation,
        reported_via=umbrella,
        tlp=TLP(data.tlp),
        created_by=author,
        created_at=now,
        updated_at=now,
        submission_key=key,
    )
    incident.recipient_orgs.set([org for org in (organisation, umbrella) if org is not None])
    incident.recipient_people.set([author])
    _timeline(incident, _("Incident reported."), actor=author)
    audit.record(
        actor=author,
        action="incident.report",
        obj=incident,
        summary=f"{incident.get_tlp_display()} incident {incident.reference} for {organisation}",
        data={"severity": incident.severity, "category": incident.category},
    )
    _tell_new(incident)
    return incident


def _tell_new(incident: Incident) -> None:
    _tell(
        incident,
        coordinators(),
        title=_("New incident %(reference)s: severity %(severity)s")
        % {"reference": incident.reference, "severity": incident.get_severity_display()},
        body=_("A new security incident waits to be acknowledged:"),
    )


# -- status ---------------------------------------------------------------------------------


@transaction.atomic
def incident_move(*, incident: Incident, actor: User, status: str, note: str = "") -> Incident:
    """Moves along the allowed transitions only. Coordinators acknowledge; after
    that the team and coordinators move the incident on."""
    incident = _locked(incident)
    if status == Status.ACKNOWLEDGED or incident.status == Status.CLOSED:
        _require_coordinator(actor)
    elif not (actor.is_coordinator or is_responder(actor, incident)):
        raise PermissionDenied(_("Only the response team and coordinators change the status."))
    if status not in Status.values or not incident.may_move_to(status):
        raise ValidationError(
            _("An incident that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": incident.get_status_display(),
                "new": Status(status).label if status in Status.values else status,
            },
            code="transition",
        )
    note = _text(note, field="note", limit=2_000, required=False)
    before = incident.status
    now = timezone.now()
    incident.status = status
    if status == Status.ACKNOWLEDGED:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor
    incident.closed_at = now if status == Status.CLOSED else None
    incident.updated_at = now
    incident.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "closed_at", "updated_at"]
    )
    what = _("Status: %(before)s → %(after)s.") % {
        "before": Status(before).label,
        "after": Status(status).label,
    }
    _timeline(incident, f"{what} {note}".strip(), actor=actor)
    audit.record(
        actor=actor,
        action="incident.status",
        obj=incident,
        summary=f"{incident.reference}: {before} → {status}",
    )
    _tell_case(
        incident,
        title=_("%(reference)s is now %(status)s")
        % {"reference": incident.reference, "status": incident.get_status_display()},
        body=_("The status of the incident changed:"),
        actor=actor,
    )
    return incident


def incident_acknowledge(*, incident: Incident, actor: User) -> Incident:
    return incident_move(incident=incident, actor=actor, status=Status.ACKNOWLEDGED)


# -- response team --------------------------------------------------------------------------


def responder_problem(person: User) -> str | None:
    """Why this person cannot join a response team, or None when they can."""
    if not person.is_active or person.deleted_at is not None:
        return _("This account is not active.")
    member_orgs = Organisation.objects.filter(
        pk__in=person.approved_organisation_ids, kind__in=MEMBER_KINDS
    )
    if not member_orgs.exists():
        return _("Responders are people of a vetted member.")
    if not is_mfa_enabled(person):
        return _(
            "Responders sign in with two-factor authentication; this person has not set it up."
        )
    return None


def _member_organisation(person: User) -> Organisation:
    return Organisation.objects.filter(
        pk__in=person.approved_organisation_ids, kind__in=MEMBER_KINDS
    ).order_by("pk")[0]


@transaction.atomic
def responder_invite(
    *, incident: Incident, actor: User, person: User, score: float | None = None
) -> Responder:
    _require_coordinator(actor)
    incident = _locked(incident)
    if not incident.is_open:
        raise ValidationError(_("The incident is closed."))
    problem = responder_problem(person)
    if problem:
        raise ValidationError(problem, code="not_eligible")
    organisation = _member_organisation(person)
    if organisation.pk in _conflicted_members(incident):
        raise ValidationError(
            _("%(member)s declared a conflict of interest with the affected organisation.")
            % {"member": organisation.name},
            code="conflict_of_interest",
        )
    place, created = Responder.objects.get_or_create(
        incident=incident,
        person=person,
        defaults={
            "organisation": organisation,
            "invited_by": actor,
            "score": score,
        },
    )
    if not created:
        if place.status in (Responder.Status.INVITED, Responder.Status.ACCEPTED):
            raise ValidationError(_("This person is already on the team or invited."))
        place.status = Responder.Status.INVITED
        place.invited_by = actor
        place.invited_at = timezone.now()
        place.answered_at = None
        place.decline_reason = ""
        place.save()
    audit.record(
        actor=actor,
        action="incident.responder.invite",
        obj=incident,
        summary=f"{incident.reference}: {person.email} invited",
    )
    # The invitation says nothing of the incident: the person reads it only
    # after accepting.
    notify(
        recipients=[person],
        title=_("You are asked to respond to incident %(reference)s")
        % {"reference": incident.reference},
        url=place_url(place),
        tlp=TLP.CLEAR,
        email_subject=lambda: (
            _("You are asked to respond to incident %(reference)s")
            % {"reference": incident.reference}
        ),
        email_body=lambda: _("A care organisation needs a responder. Accept or decline here:"),
    )
    return place


def _conflicted_members(incident: Incident) -> set[int]:
    from ttc.helprequests.matching import all_conflicts

    return set().union(*all_conflicts(party_ids=incident.party_ids).values())


def place_url(place: Responder) -> str:
    from django.urls import reverse

    return reverse("incident_invitation", args=[place.pk])


@transaction.atomic
def responder_answer(*, place: Responder, actor: User, accept: bool, reason: str = "") -> Responder:
    """The invited person accepts (with two-factor authentication on) or declines."""
    place = Responder.objects.select_for_update().select_related("incident").get(pk=place.pk)
    if place.person_id != actor.pk:
        raise PermissionDenied(_("This invitation is for someone else."))
    if place.status != Responder.Status.INVITED:
        raise ValidationError(_("This invitation was already answered."))
    incident = _locked(place.incident)
    now = timezone.now()
    place.answered_at = now
    if accept:
        problem = responder_problem(actor)
        if problem:
            raise ValidationError(problem, code="not_eligible")
        if not incident.is_open:
            raise ValidationError(_("The incident is closed."))
        place.status = Responder.Status.ACCEPTED
        if incident.responder_at is None:
            incident.responder_at = now
            incident.save(update_fields=["responder_at"])
        _timeline(
            incident,
            _("%(name)s (%(organisation)s) joined the response team.")
            % {"name": actor.public_name, "organisation": place.organisation.name},
            actor=actor,
        )
    else:
        place.status = Responder.Status.DECLINED
        place.decline_reason = _text(reason, field="reason", limit=500, required=False)
    place.save(update_fields=["status", "answered_at", "decline_reason"])
    audit.record(
        actor=actor,
        action="incident.responder.accept" if accept else "incident.responder.decline",
        obj=incident,
        summary=f"{incident.reference}: {actor.email} {'accepted' if accept else 'declined'}",
    )
    verb = _("accepted") if accept else _("declined")
    _tell(
        incident,
        coordinators(),
        title=_("%(name)s %(verb)s incident %(reference)s")
        % {"name": actor.display_name, "verb": verb, "reference": incident.reference},
        body=_("A responder answered:"),
    )
    return place


@transaction.atomic
def responder_remove(*, place: Responder, actor: User) -> Responder:
    """A coordinator takes someone off the team, or they leave it themselves."""
    if not (actor.is_coordinator or place.person_id == actor.pk):
        raise PermissionDenied(_("Only coordinators change the team."))
    place = Responder.objects.select_for_update().get(pk=place.pk)
    if place.status not in (Responder.Status.INVITED, Responder.Status.ACCEPTED):
        raise ValidationError(_("This person is not on the team."))
    place.status = Responder.Status.LEFT
    place.answered_at = timezone.now()
    place.save(update_fields=["status", "answered_at"])
    _timeline(
        place.incident,
        _("%(name)s left the response team.") % {"name": place.person.public_name},
        actor=actor,
    )
    audit.record(
        actor=actor,
        action="incident.responder.remove",
        obj=place.incident,
        summary=f"{place.incident.reference}: {place.person.email} left",
    )
    return place


# -- deadlines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineReport:
    acknowledge: int
    responder: int


def deadlines_check(*, now: datetime | None = None) -> DeadlineReport:
    """Tell coordinators (and the reporting side) once per breached deadline."""
    now = now or timezone.now()
    told_ack = told_resp = 0
    for incident in Incident.objects.open().filter(
        acknowledged_at__isnull=True, acknowledge_breach_told_at__isnull=True
    ):
        if incident.acknowledge_overdue(now) and _mark_told(incident, "acknowledge", now):
            told_ack += 1
    for incident in Incident.objects.open().filter(
        responder_at__isnull=True, responder_breach_told_at__isnull=True
    ):
        if incident.responder_overdue(now) and _mark_told(incident, "responder", now):
            told_resp += 1
    return DeadlineReport(acknowledge=told_ack, responder=told_resp)


def _mark_told(incident: Incident, which: str, now: datetime) -> bool:
    """Claims the breach with one conditional update, so that two workers
    running the check at once tell people once."""
    field = f"{which}_breach_told_at"
    claimed = Incident.objects.filter(pk=incident.pk, **{f"{field}__isnull": True}).update(
        **{field: now}
    )
    if not claimed:
        return False
    if which == "acknowledge":
        title = _("Deadline missed: %(reference)s is not acknowledged") % {
            "reference": incident.reference
        }
    else:
        title = _("Deadline missed: %(reference)s has no responder") % {
            "reference": incident.reference
        }
    audit.record(
        actor=None,
        action=f"incident.deadline.{which}",
        obj=incident,
        summary=f"{incident.reference}: {which} deadline missed",
    )
    _tell(
        incident,
        set(coordinators()) | set(reporter_people(incident)),
        title=title,
        body=_("A response deadline of this incident has passed:"),
    )
    return True


# -- case work -------------------------------------------------------------------------------


@transaction.atomic
def timeline_add(
    *, incident: Incident, actor: User, occurred_at: datetime, source: str, what: str
) -> TimelineEvent:
    _require_case_worker(actor, incident)
    if timezone.is_naive(occurred_at):
        raise ValidationError({"occurred_at": _("Give the time with its time zone.")})
    event = TimelineEvent.objects.create(
        incident=incident,
        occurred_at=occurred_at,
        source=_text(source, field="source", limit=100, required=False),
        what=_text(what, field="what", limit=5_000),
        created_by=actor,
    )
    _touch(incident)
    audit.record(
        actor=actor, action="incident.timeline", obj=incident, summary=f"{incident.reference}"
    )
    return event


def _owner_check(incident: Incident, owner: User | None) -> None:
    if owner is not None and not may_work_on(owner, incident):
        raise ValidationError({"owner": _("The owner must be someone working on this incident.")})


@transaction.atomic
def task_create(
    *,
    incident: Incident,
    actor: User,
    title: str,
    owner: User | None = None,
    due: datetime | None = None,
) -> Task:
    _require_case_worker(actor, incident)
    _owner_check(incident, owner)
    task = Task.objects.create(
        incident=incident,
        title=_text(title, field="title", limit=200),
        owner=owner,
        due=due,
        created_by=actor,
    )
    _touch(incident)
    audit.record(actor=actor, action="incident.task", obj=incident, summary=incident.reference)
    if owner is not None and owner != actor:
        _tell(
            incident,
            [owner],
            title=_("A task for you on %(reference)s") % {"reference": incident.reference},
            body=_("You are the owner of a task:"),
        )
    return task


@transaction.atomic
def task_update(
    *,
    task: Task,
    actor: User,
    status: str | None = None,
    owner: User | None = None,
    clear_owner: bool = False,
    due: datetime | None = None,
    title: str | None = None,
) -> Task:
    task = Task.objects.select_for_update().select_related("incident").get(pk=task.pk)
    _require_case_worker(actor, task.incident)
    if status is not None:
        if status not in Task.Status.values:
            raise ValidationError({"status": _("Choose a status.")})
        task.status = status
    if owner is not None or clear_owner:
        _owner_check(task.incident, owner)
        task.owner = owner
    if due is not None:
        task.due = due
    if title is not None:
        task.title = _text(title, field="title", limit=200)
    task.updated_at = timezone.now()
    task.save()
    _touch(task.incident)
    return task


class NoteConflict(Exception):
    """Someone saved the note since this person began. `marked` holds both
    versions of what collides between markers, for the person to resolve."""

    def __init__(self, note: Note, *, mine: str, theirs: str, marked: str) -> None:
        super().__init__("note changed since it was opened")
        self.note = note
        self.mine = mine
        self.theirs = theirs
        self.marked = marked


@transaction.atomic
def note_create(*, incident: Incident, actor: User, title: str, body: str) -> Note:
    _require_case_worker(actor, incident)
    note = Note.objects.create(
        incident=incident,
        title=_text(title, field="title", limit=200),
        body=_text(body, field="body", limit=50_000),
        created_by=actor,
        updated_by=actor,
    )
    NoteRevision.objects.create(
        note=note, version=1, title=note.title, body=note.body, author=actor
    )
    _touch(incident)
    audit.record(actor=actor, action="incident.note", obj=incident, summary=incident.reference)
    return note


@dataclass(frozen=True)
class NoteSaved:
    note: Note
    merged: bool  # the other person's change was merged in


@transaction.atomic
def note_save(*, note: Note, actor: User, title: str, body: str, base_version: int) -> NoteSaved:
    """Save an edit begun on `base_version`. When someone saved in between, their
    change and this one are merged; what collides raises `NoteConflict` and
    nothing is saved."""
    note = Note.objects.select_for_update().select_related("incident").get(pk=note.pk)
    _require_case_worker(actor, note.incident)
    title = _text(title, field="title", limit=200)
    body = _text(body, field="body", limit=50_000)
    if textmerge.has_conflict_markers(body):
        raise ValidationError(
            {"body": _("The note still holds conflict markers: keep one version of each part.")}
        )
    merged = False
    if base_version != note.version:
        base = NoteRevision.objects.filter(note=note, version=base_version).first()
        if base is None:
            raise ValidationError(_("This edit began on a version that does not exist."))
        result = textmerge.merge(base.body, body, note.body)
        if not result.clean:
            raise NoteConflict(
                note,
                mine=body,
                theirs=note.body,
                marked=result.marked(
                    _("your version"),
                    _("saved by %(name)s") % {"name": note.updated_by.display_name},
                ),
            )
        body = result.text
        if title == base.title:
            title = note.title
        merged = True
    note.title = title
    note.body = body
    note.version += 1
    note.updated_by = actor
    note.updated_at = timezone.now()
    note.save()
    NoteRevision.objects.create(
        note=note, version=note.version, title=title, body=body, author=actor
    )
    _touch(note.incident)
    audit.record(
        actor=actor,
        action="incident.note.edit",
        obj=note.incident,
        summary=f"{note.incident.reference}: note {note.pk} v{note.version}",
    )
    return NoteSaved(note=note, merged=merged)


# -- NIS2 reports ------------------------------------------------------------------------------


@transaction.atomic
def report_update(
    *,
    incident: Incident,
    actor: User,
    suspected_malicious: bool | None = None,
    cross_border: bool | None = None,
    impact: str | None = None,
    root_cause: str | None = None,
    mitigations: str | None = None,
    severity: int | None = None,
) -> Incident:
    """What the later NIS2 stages add: impact, root cause, mitigations."""
    incident = _locked(incident)
    _require_case_worker(actor, incident)
    if suspected_malicious is not None:
        incident.suspected_malicious = suspected_malicious
    if cross_border is not None:
        incident.cross_border = cross_border
    if impact is not None:
        incident.impact = _text(impact, field="impact", limit=10_000, required=False)
    if root_cause is not None:
        incident.root_cause = _text(root_cause, field="root_cause", limit=10_000, required=False)
    if mitigations is not None:
        incident.mitigations = _text(mitigations, field="mitigations", limit=10_000, required=False)
    if severity is not None:
        if severity not in Severity.values:
            raise ValidationError({"severity": _("Choose a severity.")})
        incident.severity = severity
    incident.updated_at = timezone.now()
    incident.save()
    audit.record(
        actor=actor, action="incident.report.edit", obj=incident, summary=incident.reference
    )
    return incident


def stage_missing(incident: Incident, stage: str) -> list[str]:
    """What a stage's report still lacks."""
    missing = []
    if stage in (Stage.NOTIFICATION, Stage.FINAL) and not incident.impact.strip():
        missing.append(str(_("impact")))
    if stage == Stage.FINAL:
        if not incident.root_cause.strip():
            missing.append(str(_("root cause")))
        if not incident.mitigations.strip():
            missing.append(str(_("mitigations")))
    return missing


@transaction.atomic
def stage_mark_sent(*, incident: Incident, actor: User, stage: str) -> Incident:
    """The reporting side says it sent a stage's report to the authority."""
    incident = _locked(incident)
    if not (actor.is_coordinator or is_reporter_side(actor, incident)):
        raise PermissionDenied(_("Only the reporting organisation and coordinators do this."))
    stage = Stage(stage)
    earlier = list(Stage)[: list(Stage).index(stage)]
    if any(incident.stage_sent_at(previous) is None for previous in earlier):
        raise ValidationError(_("Send the earlier reports first."))
    missing = stage_missing(incident, stage)
    if missing:
        raise ValidationError(_("The report still lacks: %(list)s.") % {"list": ", ".join(missing)})
    field = {
        Stage.EARLY_WARNING: "early_warning_sent_at",
        Stage.NOTIFICATION: "notification_sent_at",
        Stage.FINAL: "final_report_sent_at",
    }[stage]
    if getattr(incident, field) is not None:
        raise ValidationError(_("This report was already sent."))
    setattr(incident, field, timezone.now())
    incident.save(update_fields=[field])
    _timeline(incident, _("%(stage)s sent to the authority.") % {"stage": stage.label}, actor=actor)
    audit.record(
        actor=actor,
        action="incident.stage",
        obj=incident,
        summary=f"{incident.reference}: {stage.value} sent",
    )
    return incident


# -- finding responders ------------------------------------------------------------------------

#: The security skills each kind of incident calls for (names in the taxonomy).
SKILLS_FOR = {
    Category.MALICIOUS_CODE: ("Incident response", "Forensics", "Backup and recovery"),
    Category.FRAUD: ("Incident response", "Threat intelligence", "Identity and access"),
    Category.INTRUSIONS: ("Incident response", "Forensics", "Identity and access"),
    Category.AVAILABILITY: ("Incident response", "Security operations centre"),
    Category.INFORMATION: ("Forensics", "Incident response", "GDPR advice"),
    Category.VULNERABLE: ("Penetration testing", "Incident response"),
    Category.OTHER: ("Incident response",),
}
#: Hours a responder is expected to give in the first week, by severity.
EFFORT_HOURS = {1: 4, 2: 8, 3: 16, 4: 24}


@dataclass(frozen=True)
class Candidate:
    person: User
    organisation: Organisation
    score: float
    skill: float
    free_hours: float
    recent_matches: int
    problem: str | None  # why they cannot be invited now (no second factor …)


def responder_candidates(incident: Incident, *, limit: int = 10) -> list[Candidate]:
    """Vetted members' experts with the security skills this incident needs,
    ranked by the matching engine (skills, free hours, language, and the same
    fairness between companies as help requests). Members with a declared
    conflict of interest with the affected organisation and people already
    asked are left out."""
    from ttc.accounts.models import User
    from ttc.helprequests import matching as helprequest_matching
    from ttc.lib import matching
    from ttc.members.models import Skill

    skills = tuple(
        Skill.objects.filter(
            parent__isnull=False, name_en__in=SKILLS_FOR[Category(incident.category)]
        ).values_list("pk", flat=True)
    )
    if not skills:
        return []
    asked = set(incident.responders.values_list("person_id", flat=True))
    experts = [
        candidate
        for candidate in helprequest_matching.load_candidates()
        if candidate.key.startswith("expert:")
        and int(candidate.key.removeprefix("expert:")) not in asked
    ]
    if not experts:
        return []
    pool = matching.Pool(experts, helprequest_matching.fairness_settings())
    need = matching.Need(
        key=incident.pk,
        skills=skills,
        effort_hours=float(EFFORT_HOURS[incident.severity]),
        excluded_companies=frozenset(_conflicted_members(incident)),
    )
    ranked = pool.rank(need, limit=limit)
    people = User.objects.in_bulk(
        [int(item.candidate.key.removeprefix("expert:")) for item in ranked]
    )
    organisations = Organisation.objects.in_bulk([item.candidate.company for item in ranked])
    return [
        Candidate(
            person=person,
            organisation=organisations[item.candidate.company],
            score=item.score,
            skill=item.skill,
            free_hours=item.candidate.free_hours,
            recent_matches=item.recent_matches,
            problem=responder_problem(person),
        )
        for item in ranked
        if (person := people.get(int(item.candidate.key.removeprefix("expert:")))) is not None
    ]
