"""Membership in the API: the public directory and taxonomy, my organisations'
membership status, and what a member offers."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Q
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from ttc.api.auth import auth_or_anonymous, require_write
from ttc.api.types import AuthedRequest, PublicRequest
from ttc.members import services
from ttc.members.directory_views import DirectoryFilters, directory_members, entry
from ttc.members.expert_forms import taxonomy
from ttc.members.models import (
    PROVINCES,
    Consent,
    MemberStatus,
    Organisation,
    ReviewDecision,
    Skill,
    add_months,
)
from ttc.members.templatetags.compliance_tags import issue_text

router = Router(tags=["membership"])

#: While an application is in these states, the approvals so far are shown.
_IN_REVIEW = (MemberStatus.APPLIED, MemberStatus.UNDER_REVIEW, MemberStatus.INFO_REQUESTED)


class SkillOut(Schema):
    id: int
    name: str
    name_en: str


class AreaOut(SkillOut):
    skills: list[SkillOut]


class DirectoryQuery(Schema):
    q: str = Field("", max_length=200, description="Part of the name or city")
    skill: int | None = Field(None, ge=1, le=2**31 - 1, description="An area's id (see /taxonomy)")
    region: str = Field("", description="A province code, e.g. noord-holland")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)

    @field_validator("region")
    @classmethod
    def known_province(cls, value: str) -> str:
        if value and value not in dict(PROVINCES):
            raise ValueError(f"unknown province; one of {', '.join(dict(PROVINCES))}")
        return value


class DirectoryEntryOut(Schema):
    name: str
    kind: str
    kind_label: str
    city: str
    areas: list[SkillOut]
    experts: int
    member_since: date | None


class DirectoryPage(Schema):
    count: int
    page: int
    results: list[DirectoryEntryOut]


class IssueOut(Schema):
    code: str
    text: str


class MembershipStatusOut(Schema):
    id: int
    name: str
    kind: str
    role: str
    status: str
    status_label: str
    compliant: bool
    compliance_issues: list[IssueOut]
    noncompliant_since: date | None
    suspended_until: date | None
    code_version_accepted: int | None
    tax_statement_expires: date | None
    approvals: int | None = Field(description="Approvals so far, while under review")
    approvals_required: int


class OfferIn(Schema):
    capacity_hours: int = Field(..., ge=1, le=services.MAX_CAPACITY_HOURS)
    expertise: list[int] = Field(..., min_length=1, max_length=200, description="Skill ids")
    regions: list[str] = Field(..., min_length=1, max_length=20, description="Province codes")
    languages: list[str] = Field(..., min_length=1, max_length=20, description="Language codes")


class OfferOut(Schema):
    id: int
    capacity_hours: int | None
    expertise: list[int]
    regions: list[str]
    languages: list[str]


def _skill(skill: Skill) -> dict:
    return {"id": skill.pk, "name": skill.name, "name_en": skill.name_en}


@router.get(
    "/directory",
    response=DirectoryPage,
    auth=auth_or_anonymous,
    summary="The public member directory",
)
def directory(request: PublicRequest, query: Query[DirectoryQuery]) -> dict:
    members = directory_members(DirectoryFilters.parse(query.q, query.skill, query.region))
    start = (query.page - 1) * query.limit
    results = [entry(member) for member in members[start : start + query.limit]]
    return {
        "count": members.count(),
        "page": query.page,
        "results": [
            {
                "name": e.name,
                "kind": e.kind,
                "kind_label": e.kind_label,
                "city": e.city,
                "areas": [_skill(area) for area in e.areas],
                "experts": e.experts,
                "member_since": e.member_since,
            }
            for e in results
        ],
    }


@router.get(
    "/taxonomy",
    response=list[AreaOut],
    auth=auth_or_anonymous,
    summary="The skills taxonomy: areas and their sub-skills",
)
def skill_taxonomy(request: PublicRequest) -> list[dict]:
    return [
        {**_skill(area), "skills": [_skill(skill) for skill in children]}
        for area, children in taxonomy()
    ]


@router.get(
    "/membership",
    response=list[MembershipStatusOut],
    summary="The membership status of each of my member organisations",
)
def my_membership(request: AuthedRequest) -> list[dict]:
    user = request.auth
    approvals = Q(
        application__decisions__decision=ReviewDecision.Decision.APPROVE,
        application__decisions__round=F("application__round"),
    )
    organisations = (
        Organisation.objects.members()
        .filter(memberships__user=user)
        .annotate(
            my_role=Max("memberships__role", filter=Q(memberships__user=user)),
            code_version=Max(
                "consents__version", filter=Q(consents__kind=Consent.Kind.CODE_OF_CONDUCT)
            ),
            latest_statement=Max("tax_statements__issued_on"),
            approval_count=Count("application__decisions", filter=approvals, distinct=True),
        )
        .order_by("name")
    )
    return [
        {
            "id": o.pk,
            "name": o.name,
            "kind": o.kind,
            "role": o.my_role,
            "status": o.status,
            "status_label": o.get_status_display(),
            "compliant": o.is_compliant,
            "compliance_issues": [
                {"code": code, "text": issue_text(code)} for code in o.compliance_issues
            ],
            "noncompliant_since": o.noncompliant_since,
            "suspended_until": o.suspended_until,
            "code_version_accepted": o.code_version,
            "tax_statement_expires": add_months(o.latest_statement, 12)
            if o.latest_statement
            else None,
            "approvals": o.approval_count if o.status in _IN_REVIEW else None,
            "approvals_required": settings.TTC_APPROVALS_REQUIRED,
        }
        for o in organisations
    ]


@router.put(
    "/membership/{int:org_id}/offer",
    response=OfferOut,
    summary="Update what my member organisation offers (admins, write scope)",
)
def offer_update(request: AuthedRequest, org_id: int, payload: OfferIn) -> dict:
    require_write(request)
    if org_id not in request.auth.organisation_ids:
        raise Http404
    organisation = Organisation.objects.members().filter(pk=org_id).first()
    if organisation is None:
        raise Http404
    wanted = set(payload.expertise)
    skills = list(Skill.objects.filter(pk__in=wanted))
    unknown = sorted(wanted - {skill.pk for skill in skills})
    if unknown:
        raise ValidationError(
            {
                "expertise": [
                    _("These are not skills of the taxonomy: %(ids)s.")
                    % {"ids": ", ".join(map(str, unknown))}
                ]
            }
        )
    organisation = services.member_offer_update(
        actor=request.auth,
        organisation=organisation,
        capacity_hours=payload.capacity_hours,
        expertise=skills,
        regions=payload.regions,
        languages=payload.languages,
    )
    return {
        "id": organisation.pk,
        "capacity_hours": organisation.capacity_hours,
        "expertise": sorted(skill.pk for skill in skills),
        "regions": organisation.regions,
        "languages": organisation.languages,
    }
