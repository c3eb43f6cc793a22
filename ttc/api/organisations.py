from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Query, Router

from ttc.api.schemas import OrganisationOut, OrganisationPage, PageQuery
from ttc.api.types import AuthedRequest
from ttc.members.models import Organisation

router = Router(tags=["organisations"])


def _visible_ids(request: AuthedRequest) -> set[int]:
    """Related organisations (umbrella, clients) are named only where visible."""
    return set(Organisation.objects.visible_to(request.auth).values_list("pk", flat=True))


def _out(organisation: Organisation, visible_ids: set[int]) -> dict:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "kind": organisation.kind,
        "city": organisation.city,
        "website": organisation.website,
        "description": organisation.description,
        "vetted": organisation.is_vetted,
        "umbrella_id": organisation.umbrella_id
        if organisation.umbrella_id in visible_ids
        else None,
        "client_ids": [
            client.pk for client in organisation.clients.all() if client.pk in visible_ids
        ],
    }


@router.get("", response=OrganisationPage, summary="Organisations I may see")
def organisation_list(request: AuthedRequest, query: Query[PageQuery]) -> dict:
    organisations = (
        Organisation.objects.visible_to(request.auth).search(query.q).prefetch_related("clients")
    )
    start = (query.page - 1) * query.limit
    visible_ids = _visible_ids(request)
    return {
        "count": organisations.count(),
        "page": query.page,
        "results": [_out(o, visible_ids) for o in organisations[start : start + query.limit]],
    }


@router.get("/{int:organisation_id}", response=OrganisationOut, summary="One organisation")
def organisation_detail(request: AuthedRequest, organisation_id: int) -> dict:
    organisation = get_object_or_404(
        Organisation.objects.visible_to(request.auth), pk=organisation_id
    )
    return _out(organisation, _visible_ids(request))
