"""Help requests: submitting, triage and the stale check.

Matching lives in `ttc.helprequests.matching`, the work that follows in
`ttc.helprequests.engagements`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
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
from ttc.helprequests.models import (
    REQUEST_LANGUAGES,
    REQUEST_REGIONS,
    STALE_WATCHED,
    Category,
    CloseReason,
    HelpRequest,
    ProposalStatus,
    RequestMessage,
    RequestStatus,
    Urgency,
)
from ttc.members.models import (
    MEMBER_KINDS,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Skill,
)
from ttc.members.vetting import coordinators

if TYPE_CHECKING:
    from ttc.accounts.models import User

#: Larger texts are refused with a message rather than cut.
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_EFFORT_HOURS = 10_000
MAX_EXPERTS = 50
MAX_SKILLS = 10
MAX_NOTE = 5_000
MAY_NOT_ASK = gettext_lazy(
    "Only people of a verified public party, or of its umbrella organisation, ask for help."
)


def _note_too_long() -> str:
    return _("Keep the note under %(max)s characters.") % {
        "max": number_format(MAX_NOTE, force_grouping=True)
    }


def _text(value: str, *, field: str, required: str, limit: int = MAX_NOTE) -> str:
    """A required free text, refused (never cut) when too long."""
    value = value.strip()
    if not value:
        raise ValidationError({field: required})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("Keep it under %(max)s characters.")
                % {"max": number_format(limit, force_grouping=True)}
            }
        )
    return value


@dataclass(frozen=True)
class RequestData:
    """What a requester submits. Forms and the API validate each field first;
    the service checks again, so no path skips a rule."""

    title: str
    description: str
    category: str
    skill_ids: Sequence[int]
    urgency: int
    effort_hours: int
    experts_needed: int
    deadline: date
    region: str = ""
    language: str = ""
    tlp: str = TLP.AMBER_STRICT


def organisations_for_requester(user: User) -> QuerySet[Organisation]:
    """The organisations this person may ask help for: their own verified public
    parties, and the care members of a verified umbrella they belong to."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    own = Organisation.objects.filter(
        pk__in=user.approved_organisation_ids, status=MemberStatus.APPROVED
    ).exclude(kind__in=MEMBER_KINDS)
    umbrellas = own.filter(kind=OrganisationKind.UMBRELLA).values("pk")
    return (
        Organisation.objects.filter(pk__in=own.values("pk"))
        | Organisation.objects.filter(umbrella__in=umbrellas).exclude(kind__in=MEMBER_KINDS)
    ).distinct()


def _submitting_umbrella(user: User, organisation: Organisation) -> Organisation | None:
    """The umbrella the person acts through, or None when they ask for their own
    organisation. Raises when they may do neither."""
    if organisation.pk in user.approved_organisation_ids and organisation.is_vetted:
        if organisation.kind in MEMBER_KINDS:
            raise PermissionDenied(_("Members offer help; public parties ask for it."))
        return None
    umbrella = organisation.umbrella
    if (
        umbrella is not None
        and umbrella.is_vetted
        and umbrella.pk in user.approved_organisation_ids
        and organisation.kind not in MEMBER_KINDS
    ):
        return umbrella
    raise PermissionDenied(MAY_NOT_ASK)


def validate_request_data(data: RequestData, *, today: date | None = None) -> list[Skill]:
    """Every rule a request must meet; returns the skills it names."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Give the request a title.")
    elif len(data.title) > MAX_TITLE:
        errors["title"] = _("Keep the title under %(max)s characters.") % {"max": MAX_TITLE}
    if not data.description.strip():
        errors["description"] = _("Describe what you need help with.")
    elif len(data.description) > MAX_DESCRIPTION:
        errors["description"] = _("Keep the description under %(max)s characters.") % {
            "max": number_format(MAX_DESCRIPTION, force_grouping=True)
        }
    if data.effort_hours <= 0:
        errors["effort_hours"] = _("The effort must be at least one hour.")
    elif data.effort_hours > MAX_EFFORT_HOURS:
        errors["effort_hours"] = _("The effort can be at most %(max)s hours.") % {
            "max": MAX_EFFORT_HOURS
        }
    if not 1 <= data.experts_needed <= MAX_EXPERTS:
        errors["experts_needed"] = _("Ask for between 1 and %(max)s experts.") % {
            "max": MAX_EXPERTS
        }
    if data.deadline < today:
        errors["deadline"] = _("The deadline cannot be in the past.")
    choices: dict[str, tuple[object, list[Any]]] = {
        "category": (data.category, Category.values),
        "urgency": (data.urgency, Urgency.values),
        "region": (data.region, [code for code, _label in REQUEST_REGIONS]),
        "language": (data.language, [code for code, _label in REQUEST_LANGUAGES]),
        "tlp": (data.tlp, TLP.values),
    }
    for field, (value, allowed) in choices.items():
        if value not in allowed:
            errors[field] = _("Choose one of the options.")
    ids = set(data.skill_ids)
    skills = list(Skill.objects.filter(pk__in=ids))
    if not ids:
        errors["skills"] = _("Choose at least one skill.")
    elif len(skills) != len(ids):
        errors["skills"] = _("Choose skills from the list.")
    elif len(ids) > MAX_SKILLS:
        errors["skills"] = _("Choose at most %(max)s skills.") % {"max": MAX_SKILLS}
    if errors:
        raise ValidationError(errors)
    return skills


@transaction.atomic
def helprequest_submit(
    *,
    author: User,
    organisation: Organisation,
    data: RequestData,
    submission_key: uuid.UUID | None = None,
) -> HelpRequest:
    """A verified public party (or its umbrella on its behalf) asks for help.

    The same `submission_key` twice returns the first request: a double click
    or a resent API call creates one request.
    """
    if submission_key is not None:
        existing = HelpRequest.objects.filter(submission_key=str(submission_key)).first()
        if existing is not None:
            if existing.created_by_id != author.pk:
                raise PermissionDenied(_("This form was already used by someone else."))
            return existing
    umbrella = _submitting_umbrella(author, organisation)
    skills = validate_request_data(data)
    label = TLP(data.tlp)
    if label == TLP.RED:
        access.check_named_people([author])
    try:
        with transaction.atomic():
            request = HelpRequest.objects.create(
                title=data.title.strip(),
                description=data.description.strip(),
                category=data.category,
                urgency=data.urgency,
                effort_hours=data.effort_hours,
                experts_needed=data.experts_needed,
                deadline=data.deadline,
                region=data.region,
                language=data.language,
                tlp=label,
                organisation=organisation,
                submitted_via=umbrella,
                created_by=author,
                submission_key=submission_key or uuid.uuid4(),
            )
    except IntegrityError:
        # The same form submitted twice at once: the other submit won.
        if submission_key is None:
            raise
        winner = HelpRequest.objects.get(submission_key=str(submission_key))
        if winner.created_by_id != author.pk:
            raise PermissionDenied(_("This form was already used by someone else.")) from None
        return winner
    request.skills.set(skills)
    request.recipient_orgs.set([org for org in (organisation, umbrella) if org is not None])
    request.recipient_people.set([author])
    audit.record(
        actor=author,
        action="helprequest.submit",
        obj=request,
        summary=f"{request.get_tlp_display()} request #{request.pk} for {organisation.name}",
        data={"via": umbrella.pk if umbrella else None, "urgency": request.urgency},
    )
    _tell_coordinators(
        request,
        title=_("New help request: %(title)s") % {"title": request.title},
        body=_("A new help request waits for triage:"),
    )
    return request


def requester_people(request: HelpRequest) -> QuerySet[User]:
    """The requesting side that the label lets see the request."""
    return (
        access.audience(request)
        .filter(
            pk__in=Membership.objects.filter(organisation_id__in=request.party_ids).values(
                "user_id"
            )
        )
        .distinct()
    )


def _tell(request: HelpRequest, people: Iterable[User], *, title: str, body: str) -> None:
    notify(
        recipients=people,
        title=title,
        url=request.get_absolute_url(),
        tlp=request.tlp,
        email_subject=lambda: title,
        email_body=lambda: body,
        target=request,
    )


def _tell_coordinators(request: HelpRequest, *, title: str, body: str) -> None:
    _tell(request, coordinators(), title=title, body=body)


def tell_requester(request: HelpRequest, *, title: str, body: str) -> None:
    _tell(request, requester_people(request), title=title, body=body)


def _locked(request: HelpRequest) -> HelpRequest:
    return HelpRequest.objects.select_for_update().get(pk=request.pk)


def _require_coordinator(user: User) -> None:
    if not user.is_coordinator:
        raise PermissionDenied(_("Only coordinators triage help requests."))


def is_requester(user: User, request: HelpRequest) -> bool:
    """On the requesting side and allowed by the label to see the request."""
    return (
        user.is_authenticated
        and bool(request.party_ids & user.approved_organisation_ids)
        and access.rule_allows(user, request)
    )


def _move(request: HelpRequest, status: str, *, now: datetime | None = None) -> None:
    if not request.may_move_to(status):
        raise ValidationError(
            _("A request that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": request.get_status_display(),
                "new": RequestStatus(status).label,
            },
            code="transition",
        )
    request.status = status
    request.last_activity_at = now or timezone.now()


def _message(request: HelpRequest, *, author: User | None, kind: str, body: str) -> None:
    RequestMessage.objects.create(request=request, author=author, kind=kind, body=body)


@transaction.atomic
def helprequest_accept(*, request: HelpRequest, actor: User) -> HelpRequest:
    """Triage: the request is clear and fits the coalition; matching may begin."""
    _require_coordinator(actor)
    request = _locked(request)
    _move(request, RequestStatus.OPEN)
    request.triaged_at = request.triaged_at or timezone.now()
    request.stale_asked_at = None
    request.save(update_fields=["status", "last_activity_at", "triaged_at", "stale_asked_at"])
    audit.record(
        actor=actor, action="helprequest.accept", obj=request, summary=f"Accepted #{request.pk}"
    )
    tell_requester(
        request,
        title=_("Your request “%(title)s” was accepted") % {"title": request.title},
        body=_("We are looking for members to help you. Follow your request here:"),
    )
    return request


@transaction.atomic
def helprequest_ask(*, request: HelpRequest, actor: User, question: str) -> HelpRequest:
    """Triage: ask the requester a question; the request waits for the answer."""
    _require_coordinator(actor)
    question = _text(question, field="question", required=_("Write the question."))
    request = _locked(request)
    if request.status != RequestStatus.NEEDS_INFO:
        _move(request, RequestStatus.NEEDS_INFO)
    now = timezone.now()
    request.last_activity_at = now
    request.contacted_at = request.contacted_at or now
    request.stale_asked_at = None
    request.save(update_fields=["status", "last_activity_at", "contacted_at", "stale_asked_at"])
    _message(request, author=actor, kind=RequestMessage.Kind.QUESTION, body=question)
    audit.record(
        actor=actor, action="helprequest.ask", obj=request, summary=f"Asked about #{request.pk}"
    )
    tell_requester(
        request,
        title=_("A question about your request “%(title)s”") % {"title": request.title},
        body=_("The coordinators have a question about your request. Answer it here:"),
    )
    return request


@transaction.atomic
def helprequest_answer(*, request: HelpRequest, actor: User, answer: str) -> HelpRequest:
    """The requester answers; a request waiting for information returns to triage."""
    if not is_requester(actor, request):
        raise PermissionDenied(_("Only the requester answers."))
    answer = _text(answer, field="answer", required=_("Write your answer."))
    request = _locked(request)
    if request.status not in (*STALE_WATCHED, RequestStatus.MATCHED):
        raise ValidationError(_("This request is no longer open."))
    if request.status == RequestStatus.NEEDS_INFO:
        _move(request, RequestStatus.SUBMITTED)
    request.last_activity_at = timezone.now()
    request.stale_asked_at = None
    request.save(update_fields=["status", "last_activity_at", "stale_asked_at"])
    _message(request, author=actor, kind=RequestMessage.Kind.ANSWER, body=answer)
    audit.record(
        actor=actor, action="helprequest.answer", obj=request, summary=f"Answer on #{request.pk}"
    )
    _tell_coordinators(
        request,
        title=_("The requester answered about “%(title)s”") % {"title": request.title},
        body=_("Read the answer on the platform:"),
    )
    return request


@transaction.atomic
def helprequest_merge(
    *, request: HelpRequest, into: HelpRequest, actor: User, note: str = ""
) -> HelpRequest:
    """Triage: a duplicate of the same organisation joins the request it repeats.

    Merging shares nothing new: both requests belong to the same requesting
    side, and nobody else (not the members at work, not another organisation)
    is added to the other request. On a TLP:RED request the duplicate's
    submitter is named, as a person of that same organisation.
    """
    _require_coordinator(actor)
    if into.pk == request.pk:
        raise ValidationError({"into": _("A request cannot be merged into itself.")})
    if not request.party_ids & into.party_ids:
        raise ValidationError(
            {
                "into": _(
                    "Only requests of the same organisation can be merged. Reject this one "
                    "with a note that points to the other request instead."
                )
            }
        )
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _note_too_long()})
    request = _locked(request)
    into = _locked(into)
    if into.status in (RequestStatus.CLOSED, RequestStatus.REJECTED, RequestStatus.MERGED):
        raise ValidationError({"into": _("Merge into a request that is still open.")})
    if request.engagements.current().exists():
        raise ValidationError(_("Members are at work on this request, so it cannot be merged."))
    _move(request, RequestStatus.MERGED)
    request.merged_into = into
    request.closed_at = timezone.now()
    request.decision_note = note.strip()
    request.save(
        update_fields=["status", "last_activity_at", "merged_into", "closed_at", "decision_note"]
    )
    request.proposals.pending().update(status=ProposalStatus.WITHDRAWN, responded_at=timezone.now())
    submitter = request.created_by
    if into.tlp == TLP.RED and into.party_ids & submitter.approved_organisation_ids:
        access.check_named_people([submitter])
        into.recipient_people.add(submitter)
    _message(
        into,
        author=actor,
        kind=RequestMessage.Kind.NOTICE,
        body=_("Request #%(number)s was merged into this one.") % {"number": request.pk},
    )
    audit.record(
        actor=actor,
        action="helprequest.merge",
        obj=request,
        summary=f"Merged #{request.pk} into #{into.pk}",
        data={"into": into.pk},
    )
    tell_requester(
        request,
        title=_("Your request “%(title)s” was merged") % {"title": request.title},
        body=_("Another request asks for the same help; we continue there. See why:"),
    )
    return request


@transaction.atomic
def helprequest_reject(*, request: HelpRequest, actor: User, reason: str) -> HelpRequest:
    _require_coordinator(actor)
    reason = _text(reason, field="reason", required=_("Tell the requester why."))
    request = _locked(request)
    _move(request, RequestStatus.REJECTED)
    request.decision_note = reason
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "last_activity_at", "decision_note", "closed_at"])
    audit.record(
        actor=actor,
        action="helprequest.reject",
        obj=request,
        summary=f"Rejected #{request.pk}",
        data={"reason": reason},
    )
    tell_requester(
        request,
        title=_("Your request “%(title)s” was not accepted") % {"title": request.title},
        body=_("Read the coordinators' reason on the platform:"),
    )
    return request


@transaction.atomic
def helprequest_close(
    *, request: HelpRequest, actor: User | None, reason: str, note: str = ""
) -> HelpRequest:
    """Close a request: withdrawn by the requester, closed by a coordinator, or
    by the platform (`actor=None`) when work is done or nobody answered."""
    if actor is not None and not (actor.is_coordinator or is_requester(actor, request)):
        raise PermissionDenied(_("Only the requester or a coordinator closes a request."))
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _note_too_long()})
    request = _locked(request)
    if request.engagements.current().exists():
        raise ValidationError(
            _("Members are still at work on this request: their engagements close first.")
        )
    _move(request, RequestStatus.CLOSED)
    now = timezone.now()
    request.close_reason = reason
    request.closed_at = now
    if note.strip():
        request.decision_note = note.strip()
    request.save(
        update_fields=["status", "last_activity_at", "close_reason", "closed_at", "decision_note"]
    )
    request.proposals.pending().update(status=ProposalStatus.WITHDRAWN, responded_at=now)
    audit.record(
        actor=actor,
        action="helprequest.close",
        obj=request,
        summary=f"Closed #{request.pk}: {reason}",
        data={"reason": reason},
    )
    if actor is None or actor.is_coordinator:
        tell_requester(
            request,
            title=_("Your request “%(title)s” is closed") % {"title": request.title},
            body=_("See the outcome on the platform:"),
        )
    else:
        _tell_coordinators(
            request,
            title=_("The requester closed “%(title)s”") % {"title": request.title},
            body=_("See the request on the platform:"),
        )
    return request


@transaction.atomic
def helprequest_still_needed(*, request: HelpRequest, actor: User) -> HelpRequest:
    """The requester confirms the help is still needed: the stale clock restarts."""
    if not is_requester(actor, request):
        raise PermissionDenied(_("Only the requester confirms this."))
    request = _locked(request)
    if request.status not in STALE_WATCHED:
        raise ValidationError(_("This request is no longer open."))
    request.stale_asked_at = None
    request.last_activity_at = timezone.now()
    request.save(update_fields=["stale_asked_at", "last_activity_at"])
    audit.record(
        actor=actor,
        action="helprequest.still_needed",
        obj=request,
        summary=f"Still needed: #{request.pk}",
    )
    return request


@dataclass(frozen=True)
class StaleReport:
    asked: int
    closed: int


def stale_requests_check(*, now: datetime | None = None) -> StaleReport:
    """Ask whether untouched requests are still needed; close those that stayed
    unanswered for another period. Safe to run any number of times a day."""
    now = now or timezone.now()
    period = timedelta(days=settings.TTC_STALE_REQUEST_DAYS)
    asked = 0
    for request in HelpRequest.objects.stale(now=now):
        with transaction.atomic():
            locked = _locked(request)
            if locked.stale_asked_at is not None or locked.last_activity_at >= now - period:
                continue
            locked.stale_asked_at = now
            locked.save(update_fields=["stale_asked_at"])
            _message(
                locked,
                author=None,
                kind=RequestMessage.Kind.QUESTION,
                body=_(
                    "Is this help still needed? Without an answer within %(days)s days we close it."
                )
                % {"days": settings.TTC_STALE_REQUEST_DAYS},
            )
            audit.record(
                actor=None,
                action="helprequest.stale_ask",
                obj=locked,
                summary=f"Asked whether #{locked.pk} is still needed",
            )
            tell_requester(
                locked,
                title=_("Is your request “%(title)s” still needed?") % {"title": locked.title},
                body=_(
                    "Nothing happened on your request for a while. "
                    "Tell us whether it is still needed:"
                ),
            )
            asked += 1
    closed = 0
    unanswered = HelpRequest.objects.filter(
        status__in=STALE_WATCHED, stale_asked_at__lt=now - period
    )
    for request in unanswered:
        if request.engagements.current().exists():
            continue
        helprequest_close(request=request, actor=None, reason=CloseReason.STALE)
        closed += 1
    return StaleReport(asked=asked, closed=closed)
