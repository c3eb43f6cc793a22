"""Incidents in the API: reporting, the response team, case work (timeline,
tasks, notes), the NIS2 reports, indicators of compromise, exports and the
member feed.

Every write calls the same service as the pages. Every read passes the access
policy, and content under a confidential label is written to the audit log.
An incident the caller may not view answers 404 on every path under it, so
that its existence does not leak; one they may view but not work on answers
403 where case work begins (timeline, tasks, notes, indicator writes).

People appear by name (`User.public_name`), never by e-mail address, except to
coordinators, who assemble the team and need to reach people.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Case, Q, QuerySet, When
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.helprequests import MAX_ID, Id, Text
from ttc.api.knowledge import ErrorOut
from ttc.api.schemas import OrganisationRef
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.core import access
from ttc.core.tlp import TLP
from ttc.incidents import indicators, services
from ttc.incidents.models import (
    TRANSITIONS,
    Category,
    Incident,
    Indicator,
    IndicatorKind,
    Note,
    PersonalData,
    Responder,
    Severity,
    Stage,
    Task,
    TimelineEvent,
    indicator_key,
)
from ttc.incidents.models import Status as IncidentStatus
from ttc.lib import indicators as ioc
from ttc.members.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

router = Router(tags=["incidents"])

INDICATOR_TAGS = ["indicators"]
FEED_TAGS = ["indicator feed"]

#: The most indicators one save takes.
MAX_PER_SAVE = indicators.MAX_PER_SAVE
#: The most text the extraction preview reads in one call.
MAX_EXTRACT_CHARS = 2_000_000
#: A value longer than any indicator kind allows is refused by the service with
#: the line's number; this only keeps a hostile body from being carried around.
MAX_INDICATOR_VALUE = 10_000

STIX_TYPE = "application/stix+json;version=2.1"


def _errors(*codes: int) -> dict[int, Any]:
    return dict.fromkeys(codes, ErrorOut)


#: Lists open to visitors: a bad token is still refused (401); too many calls (429).
PUBLIC_LIST = _errors(401, 422, 429)
#: One thing open to visitors, hidden (404) from whoever may not read it.
PUBLIC_READ = _errors(401, 404, 422, 429)
#: Reads that need a sign-in, about one incident.
READ = _errors(401, 403, 404, 422, 429)
#: Writes: a rule broken (400), not allowed or a read-only token (403).
WRITE = _errors(400, 401, 403, 404, 422, 429)


# --- schemas ------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str = Field(description="The person's name; never an e-mail address")


class IncidentQuery(Schema):
    q: str = Field("", max_length=200, description="Part of the title or the reference")
    status: IncidentStatus | Literal["open"] | None = Field(
        None, description="One status, or `open` for every status but closed"
    )
    severity: Severity | None = None
    category: Category | None = None
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class IncidentSummaryOut(Schema):
    reference: str = Field(description="Such as TTC-2026-0042: the incident's id in every path")
    title: str
    category: Category
    category_label: str
    severity: Severity = Field(description="1 low … 4 critical (patient care affected)")
    severity_label: str
    status: IncidentStatus
    status_label: str
    tlp: TLP
    organisation: OrganisationRef = Field(description="The affected care organisation")
    detected_at: datetime
    reported_at: datetime
    updated_at: datetime
    overdue: bool = Field(description="A response deadline passed without being met")
    url: str


class IncidentPage(Schema):
    count: int
    page: int
    results: list[IncidentSummaryOut]


class ContactOut(Schema):
    name: str
    phone: str
    email: str


class TeamMemberOut(Schema):
    id: int = Field(description="The place on the team (remove it with DELETE …/team/{id})")
    person: PersonRef
    organisation: OrganisationRef = Field(description="The member the person responds for")
    status: Responder.Status
    invited_at: datetime
    answered_at: datetime | None
    email: str | None = Field(description="For coordinators only; null for everyone else")
    decline_reason: str = Field(description="For coordinators only")


class StageOut(Schema):
    stage: Stage
    label: str
    due: datetime
    sent_at: datetime | None
    overdue: bool
    missing: list[str] = Field(description="What the report still lacks before it may be sent")


class ReportOut(Schema):
    """The NIS2 staged reports: what they say, and when each is due."""

    suspected_malicious: bool
    cross_border: bool
    impact: str
    root_cause: str
    mitigations: str
    stage_next: Stage | None = Field(description="The first report not sent yet")
    stage_next_due: datetime | None
    stages: list[StageOut]


class IncidentOut(IncidentSummaryOut):
    description: str = Field(description="Markdown, as written")
    description_html: str = Field(description="The description rendered and sanitised")
    affected_systems: str
    personal_data: PersonalData
    reported_via: OrganisationRef | None = Field(
        description="The umbrella organisation that reported on the hospital's behalf"
    )
    contact: ContactOut | None = Field(
        description="Whom to call: for the people working the case only, null for other readers"
    )
    acknowledge_due: datetime
    acknowledged_at: datetime | None
    acknowledge_overdue: bool
    responder_due: datetime
    responder_at: datetime | None = Field(description="When the first responder accepted")
    responder_overdue: bool
    closed_at: datetime | None
    next_statuses: list[IncidentStatus] = Field(
        description="Where the status may go from here (who may move it: see the docs)"
    )
    report: ReportOut | None = Field(
        None, description="The NIS2 reports: for the people working on the case only"
    )
    team: list[TeamMemberOut] = Field(
        description="Invited and accepted responders (coordinators: every place, with e-mail)"
    )
    may_work_on: bool = Field(
        description="Whether you work this case: timeline, tasks, notes, indicators"
    )


class ReportIn(Schema):
    """The rules (lengths, a detection time with its time zone and not in the
    future) are the service's: breaking one answers 400 naming the field; a
    missing field or a wrong type is 422."""

    organisation_id: Id = Field(
        description="The affected care organisation: your own, or one under your umbrella"
    )
    title: Text = Field(json_schema_extra={"maxLength": 200})
    description: Text = Field(description="Markdown", json_schema_extra={"maxLength": 20_000})
    detected_at: datetime = Field(description="With its time zone, e.g. 2026-03-01T03:10:00+01:00")
    category: Category
    severity: Severity
    contact_name: Text = Field(json_schema_extra={"maxLength": 200})
    contact_phone: Text = Field(
        description="A number we can call now", json_schema_extra={"maxLength": 40}
    )
    contact_email: Text = Field("", json_schema_extra={"maxLength": 254})
    affected_systems: Text = Field("", json_schema_extra={"maxLength": 5_000})
    personal_data: PersonalData = PersonalData.UNKNOWN
    tlp: TLP = Field(TLP.AMBER_STRICT, description="Who may read it; AMBER+STRICT by default")
    submission_key: uuid.UUID | None = Field(
        None,
        description="Send the same key again (a retry) and you get the first incident back "
        "with 200 instead of a second incident",
    )


class MoveIn(Schema):
    status: IncidentStatus
    note: Text = Field("", description="For the timeline", json_schema_extra={"maxLength": 2_000})


class CandidateOut(Schema):
    person: PersonRef
    email: str
    organisation: OrganisationRef
    score: float = Field(description="The matching engine's total, fairness included")
    skill: float
    free_hours: float
    recent_matches: int = Field(description="The company's matches in the fairness window")
    problem: str | None = Field(description="Why they cannot be invited now, if so")


class CandidateQuery(Schema):
    limit: int = Field(10, ge=1, le=50)


class InviteIn(Schema):
    person_id: Id
    score: float | None = Field(None, description="The candidate's score, kept with the place")


class InvitationQuery(Schema):
    status: Responder.Status | None = Field(
        Responder.Status.INVITED, description="Left out: the invitations still to answer"
    )


class InvitationOut(Schema):
    """What an invited responder reads before they accept: the kind of incident,
    never its content."""

    id: int
    status: Responder.Status
    reference: str
    category: Category
    category_label: str
    severity: Severity
    severity_label: str
    severity_meaning: str
    organisation_kind: str = Field(description="Such as Hospital; the organisation is not named")
    city: str
    invited_by: str
    invited_at: datetime
    answered_at: datetime | None
    url: str | None = Field(description="The incident, once you may read it")


class AnswerIn(Schema):
    accept: bool
    reason: Text = Field(
        "", description="Why you decline (optional)", json_schema_extra={"maxLength": 500}
    )


class TimelineEventOut(Schema):
    id: int
    occurred_at: datetime
    source: str
    what: str
    automatic: bool = Field(description="Written by the platform (status changes, the team)")
    author: str | None
    created_at: datetime


class TimelineIn(Schema):
    occurred_at: datetime = Field(description="With its time zone")
    source: Text = Field("", description="Such as the SIEM", json_schema_extra={"maxLength": 100})
    what: Text = Field(json_schema_extra={"maxLength": 5_000})


class TaskOut(Schema):
    id: int
    title: str
    status: Task.Status
    status_label: str
    owner: PersonRef | None
    due: datetime | None
    overdue: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class TaskIn(Schema):
    title: Text = Field(json_schema_extra={"maxLength": 200})
    owner_id: Id | None = Field(
        None, description="Someone working on the incident: the team, its reporters, coordinators"
    )
    due: datetime | None = None


class TaskPatchIn(Schema):
    """Only the fields sent change; `owner_id: null` takes the owner off. A due
    date, once set, can be moved but not taken off."""

    title: Text | None = Field(None, json_schema_extra={"maxLength": 200})
    status: Task.Status | None = None
    owner_id: Id | None = None
    due: datetime | None = None


class NoteOut(Schema):
    id: int
    title: str
    body: str = Field(description="Markdown, as written")
    body_html: str
    version: int = Field(description="Send it back as base_version when you save an edit")
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime


class NoteIn(Schema):
    title: Text = Field(json_schema_extra={"maxLength": 200})
    body: Text = Field(description="Markdown", json_schema_extra={"maxLength": 50_000})


class NoteUpdateIn(NoteIn):
    base_version: int = Field(
        ge=1,
        le=MAX_ID,
        description="The version you began editing. When someone saved since, both changes "
        "are merged; where they collide nothing is saved and the answer is 409.",
    )


class NoteSavedOut(NoteOut):
    merged: bool = Field(description="Someone saved in between; their change was merged in")


class NoteConflictOut(Schema):
    detail: str
    mine: str = Field(description="The text you sent")
    theirs: str = Field(description="The text saved meanwhile")
    marked: str = Field(
        description="Both versions of each colliding part between markers: resolve it and "
        "save again with note.version as base_version"
    )
    note: NoteOut = Field(description="The note as saved now")


class ReportPatchIn(Schema):
    """Only the fields sent change."""

    impact: Text | None = Field(None, json_schema_extra={"maxLength": 10_000})
    root_cause: Text | None = Field(None, json_schema_extra={"maxLength": 10_000})
    mitigations: Text | None = Field(None, json_schema_extra={"maxLength": 10_000})
    suspected_malicious: bool | None = None
    cross_border: bool | None = None
    severity: Severity | None = None


class IndicatorOut(Schema):
    uuid: str
    kind: IndicatorKind
    value: str
    tlp: TLP
    first_seen: datetime
    last_seen: datetime
    sightings: int
    comment: str
    source: Indicator.Source
    updated_at: datetime
    incident: str | None = Field(
        description="The incident's reference, when you may read the incident"
    )
    url: str


class IncidentIndicatorOut(IndicatorOut):
    correlations: int = Field(
        description="Other incidents you may read where you may also see this indicator"
    )


class IncidentIndicatorQuery(Schema):
    q: str = Field("", max_length=2_048, description="Part of the value")
    kind: IndicatorKind | None = None
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(100, ge=1, le=1_000)


class IndicatorQuery(Schema):
    q: str = Field(
        "",
        max_length=2_048,
        description="A value, defanged or not (`evil[.]com`), or part of one",
    )
    kind: IndicatorKind | None = None
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class IndicatorPage(Schema):
    count: int
    page: int
    results: list[IndicatorOut]


class IncidentIndicatorPage(Schema):
    count: int
    page: int
    results: list[IncidentIndicatorOut]


class IncidentRefOut(Schema):
    reference: str
    title: str
    tlp: TLP
    status: IncidentStatus
    url: str


class IndicatorDetailOut(IndicatorOut):
    correlated: list[IncidentRefOut] = Field(
        description="Other incidents you may read where this indicator was seen too"
    )


class IndicatorItemIn(Schema):
    kind: str = Field(json_schema_extra={"enum": [*IndicatorKind.values]})
    value: str = Field(max_length=MAX_INDICATOR_VALUE, description="Defanged or not")
    tlp: str | None = Field(
        None,
        description="The indicator's own label; the incident's when left out",
        json_schema_extra={"enum": [*TLP.values, None]},
    )
    comment: str = Field("", json_schema_extra={"maxLength": 500})


class IndicatorsIn(Schema):
    indicators: list[IndicatorItemIn] = Field(
        min_length=1,
        description=f"Saved whole or not at all; at most {MAX_PER_SAVE:,} at once. "
        "A bad line answers 400 with one message per bad line.",
    )


class SavedOut(Schema):
    created: int = Field(description="New on this incident")
    seen_again: int = Field(description="Already on it: one more sighting")


class ExtractIn(Schema):
    text: str = Field(
        description="A phishing e-mail, a log excerpt, a vendor report",
        json_schema_extra={"maxLength": MAX_EXTRACT_CHARS},
    )


class FoundOut(Schema):
    kind: IndicatorKind
    value: str = Field(description="Normalised: send it back to POST …/indicators")
    raw: str = Field(description="As it stood in the text, at its first occurrence")
    count: int
    on_incident: bool = Field(description="Already saved on this incident")


class RejectedOut(Schema):
    kind: IndicatorKind | None = Field(description="What it looked like")
    raw: str
    reason: str


class ExtractOut(Schema):
    found: list[FoundOut]
    rejected: list[RejectedOut] = Field(
        description="What looked like an indicator but cannot be used, with the reason"
    )


class FeedQuery(Schema):
    since: str | None = Field(
        None,
        max_length=64,
        description="ISO 8601, a date or a moment (UTC without a time zone): only indicators "
        "changed since it. Pass the previous answer's X-Next-Since.",
    )
    after: int | None = Field(
        None,
        ge=0,
        description="With `since`: the previous answer's X-Next-After, the last row read, so "
        "that rows changed at the same moment are neither skipped nor sent again.",
    )


# --- helpers ------------------------------------------------------------------------------


def _org_ref(organisation: Organisation) -> dict:
    return {"id": organisation.pk, "name": organisation.name}


def _person_ref(person: User) -> dict:
    return {"id": person.pk, "name": person.public_name}


def _is_coordinator(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_coordinator


def _works_on(user: AnyUser, incident: Incident) -> bool:
    return user.is_authenticated and services.may_work_on(user, incident)


def _visible_incident(user: AnyUser, reference: str) -> Incident:
    """The incident, or 404 when it does not exist or the policy hides it."""
    incident = (
        Incident.objects.select_related("organisation", "reported_via")
        .filter(reference=reference)
        .first()
    )
    if incident is None or not access.can_view(user, incident):
        raise Http404
    return incident


def _worked_incident(user: User, reference: str) -> Incident:
    incident = _visible_incident(user, reference)
    if not services.may_work_on(user, incident):
        raise PermissionDenied(
            _("Only the response team, the reporting organisation and coordinators work here.")
        )
    return incident


def _summary(incident: Incident, now: datetime) -> dict:
    return {
        "reference": incident.reference,
        "title": incident.title,
        "category": incident.category,
        "category_label": incident.get_category_display(),
        "severity": incident.severity,
        "severity_label": incident.get_severity_display(),
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "tlp": incident.tlp,
        "organisation": _org_ref(incident.organisation),
        "detected_at": incident.detected_at,
        "reported_at": incident.created_at,
        "updated_at": incident.updated_at,
        "overdue": incident.is_overdue(now),
        "url": incident.get_absolute_url(),
    }


def _report_out(incident: Incident, now: datetime) -> dict:
    following = incident.stage_next
    return {
        "suspected_malicious": incident.suspected_malicious,
        "cross_border": incident.cross_border,
        "impact": incident.impact,
        "root_cause": incident.root_cause,
        "mitigations": incident.mitigations,
        "stage_next": following,
        "stage_next_due": incident.stage_due(following) if following else None,
        "stages": [
            {
                "stage": stage,
                "label": str(stage.label),
                "due": incident.stage_due(stage),
                "sent_at": incident.stage_sent_at(stage),
                "overdue": incident.stage_sent_at(stage) is None
                and now > incident.stage_due(stage),
                "missing": services.stage_missing(incident, stage),
            }
            for stage in Stage
        ],
    }


def _team_out(user: AnyUser, incident: Incident) -> list[dict]:
    coordinator = _is_coordinator(user)
    places = incident.responders.select_related("person", "organisation")
    if not coordinator:
        places = places.filter(status__in=[Responder.Status.INVITED, Responder.Status.ACCEPTED])
    return [
        {
            "id": place.pk,
            "person": _person_ref(place.person),
            "organisation": _org_ref(place.organisation),
            "status": place.status,
            "invited_at": place.invited_at,
            "answered_at": place.answered_at,
            "email": place.person.email if coordinator else None,
            "decline_reason": place.decline_reason if coordinator else "",
        }
        for place in places
    ]


def _incident_out(user: AnyUser, incident: Incident, *, surface: str = "api") -> dict:
    """The whole incident, for someone the policy lets read it: audited."""
    access.record_views(user, [incident], surface=surface)
    now = timezone.now()
    works = _works_on(user, incident)
    return {
        **_summary(incident, now),
        "description": incident.description,
        "description_html": incident.description_html(),
        "affected_systems": incident.affected_systems,
        "personal_data": incident.personal_data,
        "reported_via": _org_ref(incident.reported_via) if incident.reported_via else None,
        "contact": {
            "name": incident.contact_name,
            "phone": incident.contact_phone,
            "email": incident.contact_email,
        }
        if works
        else None,
        "acknowledge_due": incident.acknowledge_due,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledge_overdue": incident.acknowledge_overdue(now),
        "responder_due": incident.responder_due,
        "responder_at": incident.responder_at,
        "responder_overdue": incident.responder_overdue(now),
        "closed_at": incident.closed_at,
        "next_statuses": list(TRANSITIONS[incident.status]),
        # The NIS2 reports are case work: for the case only, whatever the label.
        "report": _report_out(incident, now) if works else None,
        "team": _team_out(user, incident),
        "may_work_on": works,
    }


def _refreshed(user: AnyUser, reference: str) -> dict:
    return _incident_out(user, _visible_incident(user, reference))


def _person(person_id: int, field: str) -> User:
    """An active person by id; an unknown one is refused on the field."""
    from ttc.accounts.models import User

    person = User.objects.filter(pk=person_id, is_active=True, deleted_at__isnull=True).first()
    if person is None:
        raise ValidationError({field: [_("There is no active person with this id.")]})
    return person


# --- incidents ----------------------------------------------------------------------------


@router.get(
    "/incidents",
    response={200: IncidentPage, **PUBLIC_LIST},
    auth=auth_or_anonymous,
    summary="Incidents I may read: open ones first, the most severe and oldest at the top",
    description="TLP:CLEAR incidents without signing in. Filters combine; `q` searches the "
    "title and the reference.",
)
def incident_list(request: PublicRequest, query: Query[IncidentQuery]) -> dict:
    found = access.visible_to(Incident.objects.select_related("organisation"), request.auth)
    if query.q.strip():
        text = query.q.strip()
        found = found.filter(Q(title__icontains=text) | Q(reference__icontains=text))
    if query.status == "open":
        found = found.open()
    elif query.status is not None:
        found = found.filter(status=query.status)
    if query.severity is not None:
        found = found.filter(severity=query.severity)
    if query.category is not None:
        found = found.filter(category=query.category)
    closed_last = Case(When(status=IncidentStatus.CLOSED, then=1), default=0)
    found = found.order_by(closed_last, "-severity", "created_at", "pk")
    start = (query.page - 1) * query.limit
    results = list(found[start : start + query.limit])
    access.record_views(request.auth, results, surface="api list")
    now = timezone.now()
    return {
        "count": found.count(),
        "page": query.page,
        "results": [_summary(incident, now) for incident in results],
    }


@router.post(
    "/incidents",
    response={200: IncidentOut, 201: IncidentOut, **_errors(400, 401, 403, 422, 429)},
    summary="Report an incident (people of a verified care organisation or its umbrella, "
    "write scope); 200 when the submission_key was used before",
    description="Coordinators are told at once and the response clocks start: see "
    "`acknowledge_due` and `responder_due` in the answer. TLP:RED needs your two-factor "
    "authentication. An organisation you may not report for answers 403.",
)
def incident_create(request: AuthedRequest, payload: ReportIn) -> Status:
    require_write(request)
    user = request.auth
    organisation = (
        services.organisations_for_reporter(user).filter(pk=payload.organisation_id).first()
    )
    if organisation is None:
        raise PermissionDenied(services.MAY_NOT_REPORT)
    contact_email = payload.contact_email.strip()
    if contact_email:
        try:
            if len(contact_email) > 254:
                raise ValidationError("too long")
            validate_email(contact_email)
        except ValidationError:
            raise ValidationError({"contact_email": [_("Enter a valid e-mail address.")]}) from None
    key = payload.submission_key
    replay = key is not None and Incident.objects.filter(submission_key=key).exists()
    incident = services.incident_report(
        author=user,
        organisation=organisation,
        data=services.ReportData(
            title=payload.title,
            description=payload.description,
            detected_at=payload.detected_at,
            category=payload.category,
            severity=payload.severity,
            contact_name=payload.contact_name,
            contact_phone=payload.contact_phone,
            contact_email=contact_email,
            affected_systems=payload.affected_systems,
            personal_data=payload.personal_data,
            tlp=payload.tlp,
        ),
        submission_key=key,
    )
    return Status(200 if replay else 201, _refreshed(user, incident.reference))


@router.get(
    "/incidents/{reference}",
    response={200: IncidentOut, **PUBLIC_READ},
    auth=auth_or_anonymous,
    summary="One incident: its description, response clocks, NIS2 reports and team",
    description="The contact details are for the people working the case only.",
)
def incident_detail(request: PublicRequest, reference: str) -> dict:
    return _incident_out(request.auth, _visible_incident(request.auth, reference))


@router.post(
    "/incidents/{reference}/status",
    response={200: IncidentOut, **WRITE},
    summary="Move the incident on (write scope)",
    description="Coordinators acknowledge a new incident and reopen a closed one; after "
    "that the response team and coordinators move it along `next_statuses`. Any other "
    "move answers 400.",
)
def incident_move(request: AuthedRequest, reference: str, payload: MoveIn) -> dict:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    services.incident_move(
        incident=incident, actor=request.auth, status=payload.status, note=payload.note
    )
    return _refreshed(request.auth, reference)


# --- the response team --------------------------------------------------------------------


@router.get(
    "/incidents/{reference}/team/candidates",
    response={200: list[CandidateOut], **READ},
    summary="The ranked responder candidates (coordinators)",
    description="Vetted members' experts with the skills this kind of incident needs, ranked "
    "by the matching engine with the same fairness between companies as help requests. "
    "People already asked and members with a conflict of interest are left out.",
)
def team_candidates(
    request: AuthedRequest, reference: str, query: Query[CandidateQuery]
) -> list[dict]:
    incident = _visible_incident(request.auth, reference)
    if not request.auth.is_coordinator:
        raise PermissionDenied(_("Only coordinators see the candidates."))
    return [
        {
            "person": _person_ref(candidate.person),
            "email": candidate.person.email,
            "organisation": _org_ref(candidate.organisation),
            "score": candidate.score,
            "skill": candidate.skill,
            "free_hours": candidate.free_hours,
            "recent_matches": candidate.recent_matches,
            "problem": candidate.problem,
        }
        for candidate in services.responder_candidates(incident, limit=query.limit)
    ]


@router.post(
    "/incidents/{reference}/team",
    response={201: TeamMemberOut, **WRITE},
    summary="Ask a person onto the response team (coordinators, write scope)",
    description="The person is told, without any of the incident's content, and answers "
    "with POST /incident-invitations/{id}/answer.",
)
def team_invite(request: AuthedRequest, reference: str, payload: InviteIn) -> Status:
    require_write(request)
    user = request.auth
    incident = _visible_incident(user, reference)
    if not user.is_coordinator:
        raise PermissionDenied(_("Only coordinators do this."))
    place = services.responder_invite(
        incident=incident,
        actor=user,
        person=_person(payload.person_id, "person_id"),
        score=payload.score,
    )
    team = {member["id"]: member for member in _team_out(user, incident)}
    return Status(201, team[place.pk])


@router.delete(
    "/incidents/{reference}/team/{int:place_id}",
    response={204: None, **WRITE},
    summary="Take someone off the team (coordinators), or leave it yourself (write scope)",
)
def team_remove(request: AuthedRequest, reference: str, place_id: int) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    place = Responder.objects.filter(pk=place_id, incident=incident).first()
    if place is None:
        raise Http404
    services.responder_remove(place=place, actor=request.auth)
    return Status(204, None)


def _invitation_out(place: Responder, readable: bool) -> dict:
    incident = place.incident
    return {
        "id": place.pk,
        "status": place.status,
        "reference": incident.reference,
        "category": incident.category,
        "category_label": incident.get_category_display(),
        "severity": incident.severity,
        "severity_label": incident.get_severity_display(),
        "severity_meaning": incident.severity_meaning,
        "organisation_kind": incident.organisation.get_kind_display(),
        "city": incident.organisation.city,
        "invited_by": place.invited_by.public_name,
        "invited_at": place.invited_at,
        "answered_at": place.answered_at,
        "url": incident.get_absolute_url() if readable else None,
    }


def _my_places(user: User) -> QuerySet[Responder]:
    return Responder.objects.filter(person=user).select_related(
        "incident", "incident__organisation", "invited_by"
    )


@router.get(
    "/incident-invitations",
    response={200: list[InvitationOut], **_errors(401, 422, 429)},
    summary="My places on response teams; by default the invitations still to answer",
)
def invitation_list(request: AuthedRequest, query: Query[InvitationQuery]) -> list[dict]:
    places = _my_places(request.auth).order_by("-invited_at", "-pk")
    if query.status is not None:
        places = places.filter(status=query.status)
    rows = list(places[:200])
    readable = set(
        access.visible_to(
            Incident.objects.filter(pk__in=[place.incident_id for place in rows]), request.auth
        ).values_list("pk", flat=True)
    )
    return [_invitation_out(place, place.incident_id in readable) for place in rows]


@router.post(
    "/incident-invitations/{int:place_id}/answer",
    response={200: InvitationOut, **WRITE},
    summary="Accept or decline a place on a response team (the invited person, write scope)",
    description="Accepting needs two-factor authentication on your account; from then on "
    "you read and work the incident whatever its label.",
)
def invitation_answer(request: AuthedRequest, place_id: int, payload: AnswerIn) -> dict:
    require_write(request)
    user = request.auth
    place = _my_places(user).filter(pk=place_id).first()
    if place is None:
        raise Http404
    services.responder_answer(place=place, actor=user, accept=payload.accept, reason=payload.reason)
    place = _my_places(user).get(pk=place_id)
    return _invitation_out(place, access.can_view(user, place.incident))


# --- timeline, tasks, notes ---------------------------------------------------------------


def _event_out(event: TimelineEvent) -> dict:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "source": event.source,
        "what": event.what,
        "automatic": event.automatic,
        "author": event.created_by.public_name if event.created_by else None,
        "created_at": event.created_at,
    }


@router.get(
    "/incidents/{reference}/timeline",
    response={200: list[TimelineEventOut], **READ},
    summary="What happened, in order (the people working the case)",
)
def timeline_list(request: AuthedRequest, reference: str) -> list[dict]:
    incident = _worked_incident(request.auth, reference)
    access.record_views(request.auth, [incident], surface="api timeline")
    return [_event_out(event) for event in incident.timeline.select_related("created_by")]


@router.post(
    "/incidents/{reference}/timeline",
    response={201: TimelineEventOut, **WRITE},
    summary="Add to the timeline (the people working the case, write scope)",
)
def timeline_add(request: AuthedRequest, reference: str, payload: TimelineIn) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    event = services.timeline_add(
        incident=incident,
        actor=request.auth,
        occurred_at=payload.occurred_at,
        source=payload.source,
        what=payload.what,
    )
    return Status(201, _event_out(event))


def _task_out(task: Task, now: datetime) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "status": task.status,
        "status_label": task.get_status_display(),
        "owner": _person_ref(task.owner) if task.owner else None,
        "due": task.due,
        "overdue": task.is_overdue(now),
        "created_by": task.created_by.public_name,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def _task(task_id: int) -> Task:
    return Task.objects.select_related("owner", "created_by", "incident").get(pk=task_id)


@router.get(
    "/incidents/{reference}/tasks",
    response={200: list[TaskOut], **READ},
    summary="The tasks: to do first, then by due date (the people working the case)",
)
def task_list(request: AuthedRequest, reference: str) -> list[dict]:
    incident = _worked_incident(request.auth, reference)
    access.record_views(request.auth, [incident], surface="api tasks")
    now = timezone.now()
    return [_task_out(task, now) for task in incident.tasks.select_related("owner", "created_by")]


@router.post(
    "/incidents/{reference}/tasks",
    response={201: TaskOut, **WRITE},
    summary="Add a task (the people working the case, write scope)",
)
def task_create(request: AuthedRequest, reference: str, payload: TaskIn) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    owner = _person(payload.owner_id, "owner_id") if payload.owner_id is not None else None
    task = services.task_create(
        incident=incident, actor=request.auth, title=payload.title, owner=owner, due=payload.due
    )
    return Status(201, _task_out(_task(task.pk), timezone.now()))


@router.patch(
    "/incident-tasks/{int:task_id}",
    response={200: TaskOut, **WRITE},
    summary="Change a task: its status, owner, due date or title (write scope)",
    description="Only the fields sent change; `owner_id: null` takes the owner off.",
)
def task_update(request: AuthedRequest, task_id: int, payload: TaskPatchIn) -> dict:
    require_write(request)
    task = Task.objects.select_related("incident").filter(pk=task_id).first()
    if task is None or not access.can_view(request.auth, task.incident):
        raise Http404
    sent = payload.model_fields_set
    owner = None
    if "owner_id" in sent and payload.owner_id is not None:
        owner = _person(payload.owner_id, "owner_id")
    services.task_update(
        task=task,
        actor=request.auth,
        status=payload.status if "status" in sent else None,
        owner=owner,
        clear_owner="owner_id" in sent and payload.owner_id is None,
        due=payload.due if "due" in sent else None,
        title=payload.title if "title" in sent else None,
    )
    return _task_out(_task(task_id), timezone.now())


def _note_out(note: Note) -> dict:
    return {
        "id": note.pk,
        "title": note.title,
        "body": note.body,
        "body_html": note.body_html(),
        "version": note.version,
        "created_by": note.created_by.public_name,
        "created_at": note.created_at,
        "updated_by": note.updated_by.public_name,
        "updated_at": note.updated_at,
    }


def _notes() -> QuerySet[Note]:
    return Note.objects.select_related("created_by", "updated_by", "incident")


def _visible_note(user: User, note_id: int) -> Note:
    note = _notes().filter(pk=note_id).first()
    if note is None or not access.can_view(user, note.incident):
        raise Http404
    return note


def _worked_note(user: User, note_id: int) -> Note:
    note = _visible_note(user, note_id)
    _worked_incident(user, note.incident.reference)
    return note


@router.get(
    "/incidents/{reference}/notes",
    response={200: list[NoteOut], **READ},
    summary="The shared case notes, last changed first (the people working the case)",
)
def note_list(request: AuthedRequest, reference: str) -> list[dict]:
    incident = _worked_incident(request.auth, reference)
    access.record_views(request.auth, [incident], surface="api notes")
    return [_note_out(note) for note in _notes().filter(incident=incident)]


@router.post(
    "/incidents/{reference}/notes",
    response={201: NoteOut, **WRITE},
    summary="Write a case note (the people working the case, write scope)",
)
def note_create(request: AuthedRequest, reference: str, payload: NoteIn) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    note = services.note_create(
        incident=incident, actor=request.auth, title=payload.title, body=payload.body
    )
    return Status(201, _note_out(_notes().get(pk=note.pk)))


@router.get(
    "/incident-notes/{int:note_id}",
    response={200: NoteOut, **READ},
    summary="One case note, with the version to edit from (the people working the case)",
)
def note_detail(request: AuthedRequest, note_id: int) -> dict:
    note = _worked_note(request.auth, note_id)
    access.record_views(request.auth, [note.incident], surface="api note")
    return _note_out(note)


@router.put(
    "/incident-notes/{int:note_id}",
    response={200: NoteSavedOut, 409: NoteConflictOut, **WRITE},
    summary="Save an edit of a case note, begun on base_version (write scope)",
    description="When someone saved since `base_version`, the two edits are merged and the "
    "answer says `merged: true`. Where they change the same lines nothing is saved: 409 with "
    "your text, theirs, and both between conflict markers to resolve and send again with "
    "`note.version` as `base_version`.",
)
def note_update(request: AuthedRequest, note_id: int, payload: NoteUpdateIn) -> Status:
    require_write(request)
    note = _visible_note(request.auth, note_id)
    try:
        saved = services.note_save(
            note=note,
            actor=request.auth,
            title=payload.title,
            body=payload.body,
            base_version=payload.base_version,
        )
    except services.NoteConflict as conflict:
        return Status(
            409,
            {
                "detail": _(
                    "Someone saved this note since you began and your changes collide. "
                    "Resolve the marked text and save it with note.version as base_version."
                ),
                "mine": conflict.mine,
                "theirs": conflict.theirs,
                "marked": conflict.marked,
                "note": _note_out(_notes().get(pk=note_id)),
            },
        )
    return Status(200, {**_note_out(_notes().get(pk=saved.note.pk)), "merged": saved.merged})


# --- NIS2 reports -------------------------------------------------------------------------


@router.patch(
    "/incidents/{reference}/report",
    response={200: ReportOut, **WRITE},
    summary="Fill in what the later NIS2 reports need (the people working the case, write scope)",
    description="Only the fields sent change.",
)
def report_update(request: AuthedRequest, reference: str, payload: ReportPatchIn) -> dict:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    changes = payload.model_dump(exclude_unset=True)
    services.report_update(incident=incident, actor=request.auth, **changes)
    return _report_out(_visible_incident(request.auth, reference), timezone.now())


@router.post(
    "/incidents/{reference}/report/{stage}/sent",
    response={200: ReportOut, **WRITE},
    summary="Mark a NIS2 report as sent to the authority (the reporting organisation and "
    "coordinators, write scope)",
    description="In order: early_warning, notification, final. A report that still lacks "
    "something (see `missing`) answers 400.",
)
def stage_sent(request: AuthedRequest, reference: str, stage: Path[Stage]) -> dict:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    services.stage_mark_sent(incident=incident, actor=request.auth, stage=stage)
    return _report_out(_visible_incident(request.auth, reference), timezone.now())


# --- indicators ---------------------------------------------------------------------------


def _indicator_out(indicator: Indicator, readable_incidents: set[int]) -> dict:
    return {
        "uuid": str(indicator.uuid),
        "kind": indicator.kind,
        "value": indicator.value,
        "tlp": indicator.tlp,
        "first_seen": indicator.first_seen,
        "last_seen": indicator.last_seen,
        "sightings": indicator.sightings,
        "comment": indicator.comment,
        "source": indicator.source,
        "updated_at": indicator.updated_at,
        "incident": indicator.incident.reference
        if indicator.incident_id in readable_incidents
        else None,
        "url": indicator.get_absolute_url(),
    }


def _readable_incident_ids(user: AnyUser, rows: list[Indicator]) -> set[int]:
    """Which of these indicators' incidents the caller may read, in one query."""
    ids = {row.incident_id for row in rows}
    if not ids:
        return set()
    return set(
        access.visible_to(Incident.objects.filter(pk__in=ids), user).values_list("pk", flat=True)
    )


@router.get(
    "/incidents/{reference}/indicators",
    response={200: IncidentIndicatorPage, **PUBLIC_READ},
    auth=auth_or_anonymous,
    summary="The incident's indicators I may see, with how many other incidents share each",
    tags=INDICATOR_TAGS,
    description="Each indicator has its own label, which may differ from the incident's. "
    "`correlations` counts only incidents you may read.",
)
def incident_indicators(
    request: PublicRequest, reference: str, query: Query[IncidentIndicatorQuery]
) -> dict:
    user = request.auth
    incident = _visible_incident(user, reference)
    # The readers take anonymous visitors too: the policy answers for them.
    rows = indicators.visible_indicators(incident, user).select_related(  # type: ignore[arg-type]
        "incident"
    )
    if query.q.strip():
        rows = rows.filter(indicators.matching(query.q.strip()))
    if query.kind is not None:
        rows = rows.filter(kind=query.kind)
    start = (query.page - 1) * query.limit
    page = list(rows[start : start + query.limit])
    access.record_views(user, [incident], surface="api indicators")
    access.record_views(user, page, surface="api indicators")
    counts = (
        indicators.correlation_counts(incident, user)  # type: ignore[arg-type]
        if page
        else {}
    )
    return {
        "count": rows.count(),
        "page": query.page,
        "results": [
            {**_indicator_out(row, {incident.pk}), "correlations": counts.get(row.key, 0)}
            for row in page
        ],
    }


@router.post(
    "/incidents/{reference}/indicators",
    response={201: SavedOut, **WRITE},
    summary="Save reviewed indicators on the incident (the people working the case, write scope)",
    tags=INDICATOR_TAGS,
    description="All or nothing: a bad line answers 400 with a message per bad line, such as "
    "`Line 2: 10.0.0.1 — private address …`, and nothing is saved. An indicator already on "
    "the incident counts as seen again.",
)
def indicators_save(request: AuthedRequest, reference: str, payload: IndicatorsIn) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    saved = indicators.indicators_save(
        incident=incident,
        actor=request.auth,
        items=[
            indicators.Item(
                kind=item.kind,
                value=item.value,
                tlp=item.tlp if item.tlp is not None else incident.tlp,
                comment=item.comment,
            )
            for item in payload.indicators
        ],
    )
    return Status(201, {"created": saved.created, "seen_again": saved.seen_again})


@router.post(
    "/incidents/{reference}/indicators/extract",
    response={200: ExtractOut, 413: ErrorOut, **WRITE},
    summary="Find the indicators in a text, to review before saving: saves nothing "
    "(the people working the case)",
    tags=INDICATOR_TAGS,
    description=f"Defanged notation (`hxxp`, `[.]`) is undone. Up to {MAX_EXTRACT_CHARS:,} "
    "characters (longer: 413). What looked like an indicator but cannot be used comes back in "
    "`rejected` with the reason, such as a private address. A read-only token may preview.",
)
def indicators_extract(request: AuthedRequest, reference: str, payload: ExtractIn) -> Status:
    incident = _worked_incident(request.auth, reference)
    if len(payload.text) > MAX_EXTRACT_CHARS:
        raise HttpError(
            413,
            _("The text is too long: send at most %(max)s characters at once.")
            % {"max": f"{MAX_EXTRACT_CHARS:,}"},
        )
    extraction = ioc.extract(payload.text, limit=indicators.MAX_PER_SAVE)
    # Only what the caller may see: a RED indicator of someone else stays unknown.
    known = set(
        indicators.visible_indicators(incident, request.auth)
        .filter(key__in=[indicator_key(found.kind, found.value) for found in extraction.found])
        .values_list("key", flat=True)
    )
    return Status(
        200,
        {
            "found": [
                {
                    "kind": found.kind,
                    "value": found.value,
                    "raw": found.raw,
                    "count": found.count,
                    "on_incident": indicator_key(found.kind, found.value) in known,
                }
                for found in extraction.found
            ],
            "rejected": [
                {"kind": rejected.kind, "raw": rejected.raw, "reason": rejected.reason}
                for rejected in extraction.rejected
            ],
        },
    )


@router.post(
    "/incidents/{reference}/indicators/import",
    response={201: SavedOut, 413: ErrorOut, **WRITE},
    summary="Import the indicators of a STIX 2.1 bundle (the people working the case, write scope)",
    tags=INDICATOR_TAGS,
    description="Send the bundle itself as the request body. All or nothing: a malformed "
    "or hostile bundle, or one with an indicator that cannot be taken over faithfully, "
    "answers 400 with the reason and nothing is imported. An indicator without a TLP "
    "marking takes the incident's label.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "description": "A STIX 2.1 bundle"}
                },
                STIX_TYPE: {"schema": {"type": "object", "description": "A STIX 2.1 bundle"}},
            },
        }
    },
)
def indicators_import(request: AuthedRequest, reference: str) -> Status:
    require_write(request)
    incident = _visible_incident(request.auth, reference)
    limit = settings.TTC_STIX_IMPORT_MAX_BYTES
    # Read the stream up to the import's own limit, which is larger than Django's
    # limit for bodies read whole.
    data = request.read(limit + 1)
    if len(data) > limit:
        raise HttpError(
            413,
            _("The bundle is too large: send at most %(max)s bytes.") % {"max": f"{limit:,}"},
        )
    saved = indicators.stix_import(incident=incident, actor=request.auth, data=data)
    return Status(201, {"created": saved.created, "seen_again": saved.seen_again})


def _download(export: indicators.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


EXPORT_CONTENT = {
    STIX_TYPE: {"schema": {"type": "object", "description": "fmt=stix: a STIX 2.1 bundle"}},
    "application/json": {"schema": {"type": "object", "description": "fmt=misp: a MISP event"}},
    "text/csv": {
        "schema": {
            "type": "string",
            "description": "fmt=csv: type,value,tlp,first_seen,last_seen,sightings,incident,"
            "comment",
        }
    },
}


@router.get(
    "/incidents/{reference}/export/{fmt}",
    response={200: None, **READ},
    summary="The incident and the indicators I may see, as STIX 2.1, MISP or CSV",
    tags=INDICATOR_TAGS,
    description="A download (Content-Disposition: attachment). Every indicator carries its "
    "own TLP marking. Audited.",
    openapi_extra={"responses": {200: {"description": "The file", "content": EXPORT_CONTENT}}},
)
def incident_export(
    request: AuthedRequest, reference: str, fmt: Path[Literal["stix", "misp", "csv"]]
) -> HttpResponse:
    incident = _visible_incident(request.auth, reference)
    return _download(indicators.incident_export(incident=incident, user=request.auth, fmt=fmt))


@router.get(
    "/indicators",
    response={200: IndicatorPage, **PUBLIC_LIST},
    auth=auth_or_anonymous,
    summary="Look up indicators I may see, across incidents",
    tags=INDICATOR_TAGS,
    description="`incident` names the incident only when you may read it. TLP:CLEAR "
    "indicators without signing in.",
)
def indicator_lookup(request: PublicRequest, query: Query[IndicatorQuery]) -> dict:
    user = request.auth
    rows = access.visible_to(Indicator.objects.select_related("incident"), user)
    if query.q.strip():
        rows = rows.filter(indicators.matching(query.q.strip()))
    if query.kind is not None:
        rows = rows.filter(kind=query.kind)
    start = (query.page - 1) * query.limit
    page = list(rows[start : start + query.limit])
    access.record_views(user, page, surface="api indicator lookup")
    readable = _readable_incident_ids(user, page)
    return {
        "count": rows.count(),
        "page": query.page,
        "results": [_indicator_out(row, readable) for row in page],
    }


@router.get(
    "/indicators/{uuid:indicator_id}",
    response={200: IndicatorDetailOut, **PUBLIC_READ},
    auth=auth_or_anonymous,
    summary="One indicator, with the other incidents I may read where it was seen",
    tags=INDICATOR_TAGS,
)
def indicator_detail(request: PublicRequest, indicator_id: uuid.UUID) -> dict:
    user = request.auth
    indicator = Indicator.objects.select_related("incident").filter(uuid=indicator_id).first()
    if indicator is None or not access.can_view(user, indicator):
        raise Http404
    access.record_views(user, [indicator], surface="api")
    readable = _readable_incident_ids(user, [indicator])
    correlated = list(
        indicators.correlated_incidents(indicator, user).order_by(  # type: ignore[arg-type]
            "-created_at"
        )
    )
    access.record_views(user, correlated, surface="api correlation")
    if readable:
        access.record_views(user, [indicator.incident], surface="api correlation")
    return {
        **_indicator_out(indicator, readable),
        "correlated": [
            {
                "reference": incident.reference,
                "title": incident.title,
                "tlp": incident.tlp,
                "status": incident.status,
                "url": incident.get_absolute_url(),
            }
            for incident in correlated
        ],
    }


# --- the member feed ----------------------------------------------------------------------


def _since(value: str | None) -> datetime | None:
    return indicators.parse_since(value)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _feed(
    request: AuthedRequest, fmt: Literal["stix", "csv"], since_text: str | None, after: int | None
) -> Any:
    export = indicators.feed_export(
        user=request.auth, fmt=fmt, since=_since(since_text), after=after
    )
    response = _download(export)
    if export.next_since is not None:
        response["X-Next-Since"] = _stamp(export.next_since)
    if export.next_after is not None:
        response["X-Next-After"] = str(export.next_after)
    response["X-Feed-More"] = "true" if export.more else "false"
    return response


FEED_HEADERS = {
    "X-Next-Since": {
        "description": "Send it as `since` in the next call; absent when the feed is empty "
        "and no since was given",
        "schema": {"type": "string", "format": "date-time"},
    },
    "X-Next-After": {
        "description": "Send it as `after` in the next call, together with `since`",
        "schema": {"type": "integer"},
    },
    "X-Feed-More": {
        "description": f"`true` when this page is full ({indicators.FEED_PAGE:,} "
        "indicators): call again at once with X-Next-Since",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
}
FEED_DESCRIPTION = (
    "TLP:CLEAR and TLP:GREEN indicators from every incident, oldest change first, at most "
    f"{indicators.FEED_PAGE:,} per call: never TLP:AMBER or TLP:RED, whoever asks. For vetted "
    "members and verified public parties (others: 403), by session or API token. Pull "
    "incrementally: pass the previous answer's `X-Next-Since` and `X-Next-After` headers as "
    "`since` and `after`, and call "
    "again while `X-Feed-More` is `true`. An indicator may come twice at a page boundary or "
    "when it changed again: de-duplicate on its id (STIX) or kind and value (CSV)."
)


@router.get(
    "/feed/stix",
    response={200: None, **_errors(400, 401, 403, 422, 429)},
    summary="The member feed as a STIX 2.1 bundle",
    tags=FEED_TAGS,
    description=FEED_DESCRIPTION,
    openapi_extra={
        "responses": {
            200: {
                "description": "A STIX 2.1 bundle",
                "headers": FEED_HEADERS,
                "content": {STIX_TYPE: {"schema": {"type": "object"}}},
            }
        }
    },
)
def feed_stix(request: AuthedRequest, query: Query[FeedQuery]) -> Any:
    return _feed(request, "stix", query.since, query.after)


@router.get(
    "/feed/csv",
    response={200: None, **_errors(400, 401, 403, 422, 429)},
    summary="The member feed as CSV",
    tags=FEED_TAGS,
    description=FEED_DESCRIPTION,
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV: type,value,tlp,first_seen,last_seen,sightings,incident,"
                "comment (the incident column is empty)",
                "headers": FEED_HEADERS,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def feed_csv(request: AuthedRequest, query: Query[FeedQuery]) -> Any:
    return _feed(request, "csv", query.since, query.after)
