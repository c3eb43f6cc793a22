"""Help requests in the API: asking for help, triage, fair matching, the
members' answers, the work in engagements and conflicts of interest.

Every write calls the same service as the pages. Every read passes the access
policy, and content under a confidential label is written to the audit log.
A request the person may not see answers 404, whatever they ask of it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, field_validator

from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.schemas import OrganisationRef
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.core import access
from ttc.core.tlp import TLP
from ttc.helprequests import engagements, matching, services
from ttc.helprequests.models import (
    REQUEST_REGIONS,
    Category,
    CloseReason,
    ConflictOfInterest,
    Engagement,
    EngagementStatus,
    HelpRequest,
    HoursLog,
    Proposal,
    ProposalStatus,
    RequestStatus,
    Urgency,
)
from ttc.lib import matching as matching_lib
from ttc.lib.markdown import render
from ttc.members.models import Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

requests_router = Router(tags=["help requests"])
proposals_router = Router(tags=["proposals"])
engagements_router = Router(tags=["engagements"])
conflicts_router = Router(tags=["conflicts of interest"])

#: Database ids are 32-bit on every backend we run.
MAX_ID = 2**31 - 1
#: Short texts: questions, answers, reasons, notes (the models' limit).
MAX_NOTE = 5_000


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text; refuse it here with a message, not a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- schemas ------------------------------------------------------------------------------


class SkillRef(Schema):
    id: int
    name: str
    name_en: str


class RequestQuery(Schema):
    q: str = Field("", max_length=200, description="Part of the title")
    status: RequestStatus | None = None
    category: Category | None = None
    urgency: Urgency | None = None
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class PageOnly(Schema):
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class RequestSummaryOut(Schema):
    id: int
    title: str
    category: Category
    urgency: Urgency
    effort_hours: int
    experts_needed: int
    deadline: date
    region: str
    tlp: TLP
    status: RequestStatus
    status_label: str
    organisation: str = Field(description="The organisation that needs help")
    created_at: datetime
    url: str


class RequestOut(RequestSummaryOut):
    description: str = Field(description="Markdown, as written")
    description_html: str = Field(description="The description rendered and sanitised")
    skills: list[SkillRef]
    language: str
    submitted_via: str | None = Field(description="The umbrella that asked on its behalf")
    close_reason: CloseReason | Literal[""]
    decision_note: str = Field(
        description="The coordinators' note to the requester: why rejected, merged, closed "
        "(empty for anyone but the requester and coordinators)"
    )
    merged_into: int | None = Field(description="Set when merged, if you may see that request")
    first_match_at: datetime | None
    closed_at: datetime | None


class RequestPage(Schema):
    count: int
    page: int
    results: list[RequestSummaryOut]


class RequestIn(Schema):
    """The rules (lengths, effort, deadline, skills) are the service's: breaking
    one answers 400 naming the field; a missing field or a wrong type is 422."""

    organisation_id: Id = Field(
        description="The organisation that needs help: your own public party, or one under "
        "your umbrella"
    )
    title: Text = Field(json_schema_extra={"maxLength": services.MAX_TITLE})
    description: Text = Field(
        description="Markdown", json_schema_extra={"maxLength": services.MAX_DESCRIPTION}
    )
    category: Category
    skill_ids: list[Id] = Field(
        max_length=100,
        description=f"Skill ids from /taxonomy, 1 to {services.MAX_SKILLS}",
    )
    urgency: Urgency = Urgency.NORMAL
    effort_hours: int = Field(
        description=f"Estimated hours, 1 to {services.MAX_EFFORT_HOURS}",
        json_schema_extra={"minimum": 1, "maximum": services.MAX_EFFORT_HOURS},
    )
    experts_needed: int = Field(
        1, json_schema_extra={"minimum": 1, "maximum": services.MAX_EXPERTS}
    )
    deadline: date = Field(description="Today or later")
    region: str = Field("", description="A province code, or empty for anywhere")
    language: Literal["", "nl", "en"] = Field("", description="Empty: Dutch or English")
    tlp: TLP = Field(TLP.AMBER_STRICT, description="Who may read it; AMBER+STRICT by default")
    submission_key: uuid.UUID | None = Field(
        None,
        description="Send the same key again (a retry) and you get the first request back "
        "with 200 instead of a second request",
    )

    @field_validator("region")
    @classmethod
    def known_region(cls, value: str) -> str:
        regions = [code for code, _label in REQUEST_REGIONS if code]
        if value and value not in regions:
            raise ValueError(f"unknown province; one of {', '.join(regions)}")
        return value


class MessageOut(Schema):
    id: int
    kind: str
    author: str | None = Field(description="Empty when the platform wrote it")
    body: str
    body_html: str
    created_at: datetime


class AnswerIn(Schema):
    answer: Text = Field(max_length=MAX_NOTE)


class QuestionIn(Schema):
    question: Text = Field(max_length=MAX_NOTE)


class ReasonIn(Schema):
    reason: Text = Field(max_length=MAX_NOTE)


class NoteIn(Schema):
    note: Text = Field("", max_length=MAX_NOTE)


class MergeIn(Schema):
    into: Id = Field(description="The request this one repeats")
    note: Text = Field("", max_length=MAX_NOTE, description="To the requester")


class ReasonPartOut(Schema):
    label: str
    value: float
    words: str


class CandidateOut(Schema):
    key: str = Field(description="Send it back in POST /requests/{id}/proposals")
    kind: Literal["org", "expert"]
    name: str
    organisation: OrganisationRef
    total: float
    skill: float
    availability: float
    region: float
    language: float
    fairness: float = Field(description="The fairness penalty subtracted from the total")
    recent_matches: int = Field(description="The company's matches in the fairness window")
    free_hours: float
    reasons: list[ReasonPartOut]


class CandidateQuery(Schema):
    limit: int = Field(10, ge=1, le=50)


class ProposeIn(Schema):
    candidate_keys: list[Annotated[str, Field(max_length=30)]] = Field(
        min_length=1, max_length=50, description="Keys from the ranking, such as org:12"
    )

    @field_validator("candidate_keys")
    @classmethod
    def each_once(cls, keys: list[str]) -> list[str]:
        if len(set(keys)) != len(keys):
            raise ValueError("name each candidate once")
        return keys


class RequestTeaserOut(Schema):
    """What a proposed member reads before they accept. The id and url are only
    there when the label already lets them read the whole request."""

    id: int | None
    url: str | None
    title: str
    category: Category
    urgency: Urgency
    effort_hours: int


class ProposalOut(Schema):
    id: int
    status: ProposalStatus
    candidate_key: str
    candidate_name: str
    proposed_at: datetime
    respond_by: datetime
    responded_at: datetime | None
    request: RequestTeaserOut


class ProposalMadeOut(ProposalOut):
    score: float
    breakdown: dict[str, float]


class ProposalQuery(PageOnly):
    status: ProposalStatus | None = Field(None, description="All statuses when left out")


class ProposalPage(Schema):
    count: int
    page: int
    results: list[ProposalOut]


class DeclineIn(Schema):
    reason: Text = Field(max_length=2_000)


class RequestRef(Schema):
    id: int
    title: str
    tlp: TLP


class FeedbackOut(Schema):
    helped: bool
    rating: int
    comment: str
    given_at: datetime


class EngagementSummaryOut(Schema):
    id: int
    status: EngagementStatus
    request: RequestRef
    member: str
    organisation: OrganisationRef
    started_at: datetime
    delivered_at: datetime | None
    closed_at: datetime | None
    hours_total: float


class EngagementMessageOut(Schema):
    id: int
    author: str
    body: str
    body_html: str
    created_at: datetime


class EngagementOut(EngagementSummaryOut):
    messages: list[EngagementMessageOut]
    feedback: FeedbackOut | None


class EngagementPage(Schema):
    count: int
    page: int
    results: list[EngagementSummaryOut]


class EngagementMessageIn(Schema):
    body: Text = Field(json_schema_extra={"maxLength": engagements.MAX_MESSAGE})


class HoursIn(Schema):
    worked_on: date
    hours: Decimal = Field(description="0.25 to 24, at most two decimals")
    note: Text = Field("", json_schema_extra={"maxLength": 300})


class HoursOut(Schema):
    id: int
    person: str
    worked_on: date
    hours: float
    note: str
    created_at: datetime


class HoursListOut(Schema):
    total: float
    entries: list[HoursOut]


class FeedbackIn(Schema):
    helped: bool
    rating: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})
    comment: Text = Field("", json_schema_extra={"maxLength": 5_000})


class ConflictIn(Schema):
    member_id: Id = Field(description="Your member organisation")
    public_party_id: Id
    description: Text = Field(max_length=300, description="The relationship, in a few words")


class ConflictOut(Schema):
    id: int
    member: OrganisationRef
    public_party: OrganisationRef
    description: str
    declared_by: str
    declared_at: datetime


# --- help requests ------------------------------------------------------------------------


def _org_ref(organisation: Organisation) -> dict:
    return {"id": organisation.pk, "name": organisation.name}


def _summary(request: HelpRequest) -> dict:
    return {
        "id": request.pk,
        "title": request.title,
        "category": request.category,
        "urgency": request.urgency,
        "effort_hours": request.effort_hours,
        "experts_needed": request.experts_needed,
        "deadline": request.deadline,
        "region": request.region,
        "tlp": request.tlp,
        "status": request.status,
        "status_label": request.get_status_display(),
        "organisation": request.organisation.name,
        "created_at": request.created_at,
        "url": request.get_absolute_url(),
    }


def _in_conversation(user: AnyUser, request: HelpRequest) -> bool:
    return user.is_authenticated and (user.is_coordinator or services.is_requester(user, request))


def _request_out(user: AnyUser, request: HelpRequest) -> dict:
    """The whole request, for someone the policy lets read it: audited."""
    access.record_views(user, [request], surface="api")
    merged_into = None
    if request.merged_into_id is not None:
        into = HelpRequest.objects.filter(pk=request.merged_into_id).first()
        if into is not None and access.can_view(user, into):
            merged_into = into.pk
    return {
        **_summary(request),
        "description": request.description,
        "description_html": request.description_html(),
        "skills": [
            {"id": skill.pk, "name": skill.name, "name_en": skill.name_en}
            for skill in request.skills.order_by("name")
        ],
        "language": request.language,
        "submitted_via": request.submitted_via.name if request.submitted_via else None,
        "close_reason": request.close_reason,
        # For the two sides of the conversation only, like the conversation itself.
        "decision_note": request.decision_note if _in_conversation(user, request) else "",
        "merged_into": merged_into,
        "first_match_at": request.first_match_at,
        "closed_at": request.closed_at,
    }


def _visible_request(user: AnyUser, request_id: int) -> HelpRequest:
    """The request, or 404 when it does not exist or the policy hides it."""
    request = (
        HelpRequest.objects.select_related("organisation", "submitted_via")
        .filter(pk=request_id)
        .first()
    )
    if request is None or not access.can_view(user, request):
        raise Http404
    return request


def _refreshed(user: AnyUser, request: HelpRequest) -> dict:
    return _request_out(user, _visible_request(user, request.pk))


@requests_router.get(
    "",
    response=RequestPage,
    auth=auth_or_anonymous,
    summary="Help requests I may see, newest first (TLP:CLEAR ones without signing in)",
)
def request_list(request: PublicRequest, query: Query[RequestQuery]) -> dict:
    found = access.visible_to(
        HelpRequest.objects.select_related("organisation"), request.auth
    ).search(query.q)
    if query.status:
        found = found.filter(status=query.status)
    if query.category:
        found = found.filter(category=query.category)
    if query.urgency:
        found = found.filter(urgency=query.urgency)
    start = (query.page - 1) * query.limit
    results = list(found[start : start + query.limit])
    access.record_views(request.auth, results, surface="api list")
    return {
        "count": found.count(),
        "page": query.page,
        "results": [_summary(r) for r in results],
    }


@requests_router.get(
    "/{int:request_id}",
    response=RequestOut,
    auth=auth_or_anonymous,
    summary="One help request",
)
def request_detail(request: PublicRequest, request_id: int) -> dict:
    return _request_out(request.auth, _visible_request(request.auth, request_id))


@requests_router.post(
    "",
    response={200: RequestOut, 201: RequestOut},
    summary="Ask for help (requesters, write scope); 200 when the submission_key was used before",
)
def request_create(request: AuthedRequest, payload: RequestIn) -> Status:
    require_write(request)
    user = request.auth
    organisation = (
        services.organisations_for_requester(user).filter(pk=payload.organisation_id).first()
    )
    if organisation is None:
        if payload.organisation_id not in user.organisation_ids:
            raise Http404
        # Their own organisation, but not one that asks for help: the service says why.
        organisation = Organisation.objects.get(pk=payload.organisation_id)
    replay = (
        payload.submission_key is not None
        and HelpRequest.objects.filter(submission_key=payload.submission_key).exists()
    )
    created = services.helprequest_submit(
        author=user,
        organisation=organisation,
        data=services.RequestData(
            title=payload.title,
            description=payload.description,
            category=payload.category,
            skill_ids=payload.skill_ids,
            urgency=payload.urgency,
            effort_hours=payload.effort_hours,
            experts_needed=payload.experts_needed,
            deadline=payload.deadline,
            region=payload.region,
            language=payload.language,
            tlp=payload.tlp,
        ),
        submission_key=payload.submission_key,
    )
    return Status(200 if replay else 201, _refreshed(user, created))


@requests_router.get(
    "/{int:request_id}/messages",
    response=list[MessageOut],
    summary="The conversation between the coordinators and the requester",
)
def request_messages(request: AuthedRequest, request_id: int) -> list[dict]:
    user = request.auth
    help_request = _visible_request(user, request_id)
    if not (user.is_coordinator or services.is_requester(user, help_request)):
        raise PermissionDenied(_("Only the requester and the coordinators read this conversation."))
    access.record_views(user, [help_request], surface="api messages")
    return [
        {
            "id": message.pk,
            "kind": message.kind,
            "author": message.author.display_name if message.author else None,
            "body": message.body,
            "body_html": render(message.body),
            "created_at": message.created_at,
        }
        for message in help_request.messages.select_related("author")
    ]


@requests_router.post(
    "/{int:request_id}/answer",
    response=RequestOut,
    summary="Answer the coordinators' question (requesters, write scope)",
)
def request_answer(request: AuthedRequest, request_id: int, payload: AnswerIn) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_answer(request=help_request, actor=request.auth, answer=payload.answer)
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/still-needed",
    response=RequestOut,
    summary="Confirm the help is still needed (requesters, write scope)",
)
def request_still_needed(request: AuthedRequest, request_id: int) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_still_needed(request=help_request, actor=request.auth)
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/withdraw",
    response=RequestOut,
    summary="Withdraw the request (requesters, write scope)",
)
def request_withdraw(request: AuthedRequest, request_id: int, payload: NoteIn) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_close(
        request=help_request,
        actor=request.auth,
        reason=CloseReason.WITHDRAWN,
        note=payload.note,
    )
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/accept",
    response=RequestOut,
    summary="Triage: accept the request for matching (coordinators, write scope)",
)
def request_accept(request: AuthedRequest, request_id: int) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_accept(request=help_request, actor=request.auth)
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/ask",
    response=RequestOut,
    summary="Triage: ask the requester a question (coordinators, write scope)",
)
def request_ask(request: AuthedRequest, request_id: int, payload: QuestionIn) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_ask(request=help_request, actor=request.auth, question=payload.question)
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/merge",
    response=RequestOut,
    summary="Triage: merge a duplicate into the request it repeats (coordinators, write scope)",
)
def request_merge(request: AuthedRequest, request_id: int, payload: MergeIn) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    # Looked up through the policy: a missing and a hidden request answer alike.
    visible = access.visible_to(HelpRequest.objects.all(), request.auth)
    into = visible.filter(pk=payload.into).first()
    if into is None:
        raise ValidationError({"into": [_("Merge into a request that is still open.")]})
    services.helprequest_merge(
        request=help_request, into=into, actor=request.auth, note=payload.note
    )
    return _refreshed(request.auth, help_request)


@requests_router.post(
    "/{int:request_id}/reject",
    response=RequestOut,
    summary="Triage: reject the request, with the reason (coordinators, write scope)",
)
def request_reject(request: AuthedRequest, request_id: int, payload: ReasonIn) -> dict:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    services.helprequest_reject(request=help_request, actor=request.auth, reason=payload.reason)
    return _refreshed(request.auth, help_request)


def _candidate_names(
    ranked: list[matching_lib.Ranked],
) -> tuple[dict[int, Organisation], dict[int, str]]:
    from ttc.accounts.models import User

    companies = Organisation.objects.in_bulk({item.candidate.company for item in ranked})
    expert_ids = [
        matching.parse_key(item.candidate.key)[1]
        for item in ranked
        if item.candidate.key.startswith("expert:")
    ]
    experts = {user.pk: user.display_name for user in User.objects.filter(pk__in=expert_ids)}
    return companies, experts


@requests_router.get(
    "/{int:request_id}/candidates",
    response=list[CandidateOut],
    summary="The ranked candidates for a request, with each score's parts (coordinators)",
)
def request_candidates(
    request: AuthedRequest, request_id: int, query: Query[CandidateQuery]
) -> list[dict]:
    help_request = _visible_request(request.auth, request_id)
    if not request.auth.is_coordinator:
        raise PermissionDenied(_("Only coordinators see the candidates."))
    ranked = matching.rank(help_request, limit=query.limit)
    companies, experts = _candidate_names(ranked)
    results = []
    for item in ranked:
        kind, number = matching.parse_key(item.candidate.key)
        company = companies[item.candidate.company]
        results.append(
            {
                "key": item.candidate.key,
                "kind": kind,
                "name": experts.get(number, "") if kind == "expert" else company.name,
                "organisation": _org_ref(company),
                "total": item.score,
                "skill": item.skill,
                "availability": item.availability,
                "region": item.region,
                "language": item.language,
                "fairness": item.fairness,
                "recent_matches": item.recent_matches,
                "free_hours": item.candidate.free_hours,
                "reasons": [
                    {"label": str(part.label), "value": part.value, "words": str(part.words)}
                    for part in matching.explain(item)
                ],
            }
        )
    return results


def _proposal_out(proposal: Proposal, *, readable: bool) -> dict:
    request = proposal.request
    return {
        "id": proposal.pk,
        "status": proposal.status,
        "candidate_key": proposal.candidate_key,
        "candidate_name": proposal.candidate_name,
        "proposed_at": proposal.proposed_at,
        "respond_by": proposal.respond_by,
        "responded_at": proposal.responded_at,
        "request": {
            "id": request.pk if readable else None,
            "url": request.get_absolute_url() if readable else None,
            "title": request.title,
            "category": request.category,
            "urgency": request.urgency,
            "effort_hours": request.effort_hours,
        },
    }


@requests_router.post(
    "/{int:request_id}/proposals",
    response={201: list[ProposalMadeOut]},
    summary="Propose candidates from the ranking (coordinators, write scope)",
)
def request_propose(request: AuthedRequest, request_id: int, payload: ProposeIn) -> Status:
    require_write(request)
    help_request = _visible_request(request.auth, request_id)
    proposals = matching.match_propose(
        request=help_request, candidate_keys=payload.candidate_keys, actor=request.auth
    )
    return Status(
        201,
        [
            {
                **_proposal_out(proposal, readable=True),
                "score": proposal.score,
                "breakdown": {
                    name: float(value)
                    for name, value in proposal.breakdown.items()
                    if isinstance(value, int | float)
                },
            }
            for proposal in proposals
        ],
    )


# --- proposals ----------------------------------------------------------------------------


def _readable_ids(user: AnyUser, requests: list[HelpRequest]) -> set[int]:
    """Which of these requests the label lets this person read, in one query."""
    return set(
        access.visible_to(
            HelpRequest.objects.filter(pk__in=[r.pk for r in requests]),
            user,
        ).values_list("pk", flat=True)
    )


@proposals_router.get(
    "",
    response=ProposalPage,
    summary="Proposals I may answer, with a teaser of each request",
)
def proposal_list(request: AuthedRequest, query: Query[ProposalQuery]) -> dict:
    proposals = Proposal.objects.for_responder(request.auth).select_related(
        "request", "organisation", "expert"
    )
    if query.status:
        proposals = proposals.filter(status=query.status)
    start = (query.page - 1) * query.limit
    results = list(proposals[start : start + query.limit])
    requests = [proposal.request for proposal in results]
    readable = _readable_ids(request.auth, requests)
    # The teaser shows the title of a confidential request: that is a view too.
    access.record_views(request.auth, requests, surface="api proposals")
    return {
        "count": proposals.count(),
        "page": query.page,
        "results": [_proposal_out(p, readable=p.request_id in readable) for p in results],
    }


def _my_proposal(request: AuthedRequest, proposal_id: int) -> Proposal:
    proposal = (
        Proposal.objects.for_responder(request.auth)
        .select_related("request", "organisation", "expert")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal


@proposals_router.post(
    "/{int:proposal_id}/accept",
    response={201: EngagementOut},
    summary="Take the request on: an engagement starts (the proposed member, write scope)",
)
def proposal_accept(request: AuthedRequest, proposal_id: int) -> Status:
    require_write(request)
    proposal = _my_proposal(request, proposal_id)
    engagement = engagements.proposal_accept(proposal=proposal, actor=request.auth)
    return Status(201, _engagement_detail(request, engagement.pk))


@proposals_router.post(
    "/{int:proposal_id}/decline",
    response=ProposalOut,
    summary="Decline, with the reason; the next candidate is asked (write scope)",
)
def proposal_decline(request: AuthedRequest, proposal_id: int, payload: DeclineIn) -> dict:
    require_write(request)
    proposal = _my_proposal(request, proposal_id)
    engagements.proposal_decline(proposal=proposal, actor=request.auth, reason=payload.reason)
    proposal = _my_proposal(request, proposal_id)
    readable = _readable_ids(request.auth, [proposal.request])
    return _proposal_out(proposal, readable=proposal.request_id in readable)


# --- engagements --------------------------------------------------------------------------


def _engagements_for(request: AuthedRequest) -> QuerySet[Engagement]:
    return (
        Engagement.objects.for_user(request.auth)
        .select_related(
            "request", "organisation", "proposal__organisation", "proposal__expert", "feedback"
        )
        .annotate(logged=Sum("hours__hours"))
    )


def _engagement_summary(engagement: Engagement) -> dict:
    # Every engagement read here comes from `_engagements_for`, which sums the hours.
    logged = getattr(engagement, "logged", None) or Decimal(0)
    return {
        "id": engagement.pk,
        "status": engagement.status,
        "request": {
            "id": engagement.request.pk,
            "title": engagement.request.title,
            "tlp": engagement.request.tlp,
        },
        "member": engagement.member_name,
        "organisation": _org_ref(engagement.organisation),
        "started_at": engagement.started_at,
        "delivered_at": engagement.delivered_at,
        "closed_at": engagement.closed_at,
        "hours_total": float(logged),
    }


def _my_engagement(request: AuthedRequest, engagement_id: int) -> Engagement:
    engagement = _engagements_for(request).filter(pk=engagement_id).first()
    if engagement is None:
        raise Http404
    return engagement


def _engagement_detail(request: AuthedRequest, engagement_id: int) -> dict:
    engagement = _my_engagement(request, engagement_id)
    access.record_views(request.auth, [engagement.request], surface="api engagement")
    feedback = getattr(engagement, "feedback", None)
    return {
        **_engagement_summary(engagement),
        "messages": [
            {
                "id": message.pk,
                "author": message.author.display_name,
                "body": message.body,
                "body_html": message.body_html(),
                "created_at": message.created_at,
            }
            for message in engagement.messages.select_related("author")
        ],
        "feedback": {
            "helped": feedback.helped,
            "rating": feedback.rating,
            "comment": feedback.comment,
            "given_at": feedback.given_at,
        }
        if feedback is not None
        else None,
    }


@engagements_router.get(
    "",
    response=EngagementPage,
    summary="Engagements I take part in (coordinators: all), newest first",
)
def engagement_list(request: AuthedRequest, query: Query[PageOnly]) -> dict:
    found = _engagements_for(request)
    start = (query.page - 1) * query.limit
    results = list(found[start : start + query.limit])
    access.record_views(request.auth, [e.request for e in results], surface="api engagements")
    return {
        "count": found.count(),
        "page": query.page,
        "results": [_engagement_summary(e) for e in results],
    }


@engagements_router.get(
    "/{int:engagement_id}",
    response=EngagementOut,
    summary="One engagement: its status, hours and messages",
)
def engagement_detail(request: AuthedRequest, engagement_id: int) -> dict:
    return _engagement_detail(request, engagement_id)


@engagements_router.post(
    "/{int:engagement_id}/messages",
    response={201: EngagementMessageOut},
    summary="Write to the other side of the engagement (write scope)",
)
def engagement_message(
    request: AuthedRequest, engagement_id: int, payload: EngagementMessageIn
) -> Status:
    require_write(request)
    engagement = _my_engagement(request, engagement_id)
    message = engagements.engagement_message(
        engagement=engagement, author=request.auth, body=payload.body
    )
    return Status(
        201,
        {
            "id": message.pk,
            "author": request.auth.display_name,
            "body": message.body,
            "body_html": message.body_html(),
            "created_at": message.created_at,
        },
    )


def _hours_out(entry: HoursLog) -> dict:
    return {
        "id": entry.pk,
        "person": entry.person.display_name,
        "worked_on": entry.worked_on,
        "hours": float(entry.hours),
        "note": entry.note,
        "created_at": entry.created_at,
    }


@engagements_router.get(
    "/{int:engagement_id}/hours",
    response=HoursListOut,
    summary="The hours donated to an engagement",
)
def engagement_hours(request: AuthedRequest, engagement_id: int) -> dict:
    engagement = _my_engagement(request, engagement_id)
    access.record_views(request.auth, [engagement.request], surface="api hours")
    entries = list(engagement.hours.select_related("person"))
    return {
        "total": float(sum((entry.hours for entry in entries), Decimal(0))),
        "entries": [_hours_out(entry) for entry in entries],
    }


@engagements_router.post(
    "/{int:engagement_id}/hours",
    response={201: HoursOut},
    summary="Log donated hours (the engaged member, write scope)",
)
def engagement_log_hours(request: AuthedRequest, engagement_id: int, payload: HoursIn) -> Status:
    require_write(request)
    engagement = _my_engagement(request, engagement_id)
    entry = engagements.hours_log(
        engagement=engagement,
        person=request.auth,
        worked_on=payload.worked_on,
        hours=payload.hours,
        note=payload.note,
    )
    return Status(201, _hours_out(entry))


@engagements_router.post(
    "/{int:engagement_id}/deliver",
    response=EngagementOut,
    summary="Mark the work delivered (the engaged member, write scope)",
)
def engagement_deliver(request: AuthedRequest, engagement_id: int) -> dict:
    require_write(request)
    engagement = _my_engagement(request, engagement_id)
    engagements.engagement_deliver(engagement=engagement, actor=request.auth)
    return _engagement_detail(request, engagement_id)


@engagements_router.post(
    "/{int:engagement_id}/close",
    response=EngagementOut,
    summary="Close the engagement with feedback (the requester, write scope)",
)
def engagement_close(request: AuthedRequest, engagement_id: int, payload: FeedbackIn) -> dict:
    require_write(request)
    engagement = _my_engagement(request, engagement_id)
    engagements.engagement_close(
        engagement=engagement,
        actor=request.auth,
        helped=payload.helped,
        rating=payload.rating,
        comment=payload.comment,
    )
    return _engagement_detail(request, engagement_id)


# --- conflicts of interest ----------------------------------------------------------------


def _conflict_out(conflict: ConflictOfInterest) -> dict:
    return {
        "id": conflict.pk,
        "member": _org_ref(conflict.member),
        "public_party": _org_ref(conflict.public_party),
        "description": conflict.description,
        "declared_by": conflict.declared_by.display_name,
        "declared_at": conflict.declared_at,
    }


def _my_conflicts(request: AuthedRequest) -> QuerySet[ConflictOfInterest]:
    return ConflictOfInterest.objects.filter(
        member_id__in=request.auth.admin_organisation_ids
    ).select_related("member", "public_party", "declared_by")


@conflicts_router.get(
    "",
    response=list[ConflictOut],
    summary="The relationships my member organisations declared (admins)",
)
def conflict_list(request: AuthedRequest) -> list[dict]:
    return [_conflict_out(conflict) for conflict in _my_conflicts(request)]


@conflicts_router.post(
    "",
    response={200: ConflictOut, 201: ConflictOut},
    summary="Declare a relationship with a public party (admins, write scope); "
    "200 when declared before",
)
def conflict_create(request: AuthedRequest, payload: ConflictIn) -> Status:
    require_write(request)
    user = request.auth
    if payload.member_id not in user.organisation_ids:
        raise Http404
    member = Organisation.objects.get(pk=payload.member_id)
    public_party = (
        Organisation.objects.visible_to(user)
        .public_parties()
        .filter(pk=payload.public_party_id)
        .first()
    )
    if public_party is None:
        raise ValidationError({"public_party_id": [_("Choose a public party.")]})
    existed = ConflictOfInterest.objects.filter(member=member, public_party=public_party).exists()
    conflict = engagements.conflict_declare(
        actor=user, member=member, public_party=public_party, description=payload.description
    )
    found = _my_conflicts(request).get(pk=conflict.pk)
    return Status(200 if existed else 201, _conflict_out(found))


@conflicts_router.delete(
    "/{int:conflict_id}",
    response={204: None},
    summary="End a declared relationship (admins, write scope)",
)
def conflict_delete(request: AuthedRequest, conflict_id: int) -> Status:
    require_write(request)
    conflict = _my_conflicts(request).filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404
    engagements.conflict_remove(actor=request.auth, conflict=conflict)
    return Status(204, None)
