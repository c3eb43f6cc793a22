"""The public member directory: approved members, and nothing else about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render

from ttc.core.http import HtmxHttpRequest
from ttc.core.pagination import paginate
from ttc.members.models import PROVINCES, Organisation, Skill


@dataclass(frozen=True)
class DirectoryFilters:
    query: str = ""
    skill: int | None = None
    region: str = ""

    @classmethod
    def parse(cls, q: str | None, skill: str | int | None, region: str | None) -> DirectoryFilters:
        """Unknown values filter nothing rather than fail: a public page."""
        raw = "" if skill is None else str(skill)
        skill_id = int(raw) if raw.isdigit() and len(raw) <= 9 else None
        region = region if region in dict(PROVINCES) else ""
        return cls(query=(q or "").strip()[:200], skill=skill_id, region=region or "")


def directory_members(filters: DirectoryFilters) -> QuerySet[Organisation]:
    """Approved member companies and independent experts, with the public
    facts only, in a fixed number of queries whatever their number."""
    # Companies only: an independent expert's organisation carries a private
    # person's name, which is not published.
    members = Organisation.objects.member_companies().vetted().search(filters.query)
    if filters.skill is not None:
        through = Organisation.expertise.through.objects.filter(
            Q(skill_id=filters.skill) | Q(skill__parent_id=filters.skill)
        )
        members = members.filter(pk__in=through.values("organisation_id"))
    if filters.region:
        # `regions` is a JSON list of province codes; the quotes make the match exact.
        members = members.filter(regions__icontains=f'"{filters.region}"')
    return (
        members.annotate(expert_count=Count("memberships", distinct=True))
        .only("pk", "name", "kind", "city", "vetted_at")
        .prefetch_related(
            Prefetch("expertise", queryset=Skill.objects.select_related("parent").order_by())
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class DirectoryEntry:
    """What the public may know of a member."""

    name: str
    kind: str
    kind_label: str
    city: str
    areas: list[Skill]
    experts: int
    member_since: date | None


def entry(organisation: Organisation) -> DirectoryEntry:
    areas = {
        (skill.parent if skill.parent_id is not None else skill)
        for skill in organisation.expertise.all()
    }
    return DirectoryEntry(
        name=organisation.name,
        kind=organisation.kind,
        kind_label=str(organisation.get_kind_display()),
        city=organisation.city,
        areas=sorted(areas, key=lambda area: area.label),  # type: ignore[arg-type]
        experts=organisation.expert_count,  # type: ignore[attr-defined]
        member_since=organisation.vetted_at.date() if organisation.vetted_at else None,
    )


def directory(request: HtmxHttpRequest) -> HttpResponse:
    filters = DirectoryFilters.parse(
        request.GET.get("q"), request.GET.get("skill"), request.GET.get("region")
    )
    page = paginate(request, directory_members(filters))
    page.object_list = [entry(organisation) for organisation in page.object_list]
    extra = {"skill": filters.skill or "", "region": filters.region}
    context = {
        "page": page,
        "query": filters.query,
        "filters": filters,
        # The filter's choices; the htmx partial holds only the results.
        "areas": []
        if request.htmx
        else sorted(Skill.objects.filter(parent__isnull=True), key=lambda s: s.label),
        "regions": PROVINCES,
        "extra_query": urlencode({k: v for k, v in extra.items() if v}),
    }
    template = "members/directory/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)
