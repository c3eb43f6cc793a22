from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Query, Router

from ttc.api.schemas import OrganisationOut, OrganisationPage, PageQuery
from ttc.api.types import AuthedRequest
from ttc.members.models import Organisation

router = Router(tags=["organisations"])


def _out(organisation: Organisation) -> dict:
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "kind": organisation.kind,
        "city": organisation.city,
        "website": organisation.website,
        "description": organisation.description,
        "vetted": organisation.is_vetted,
        "umbrella_id": organisation.umbrella_id,
        "client_ids": [client.pk for client in organisation.clients.all()],
    }


@router.get("", response=OrganisationPage, summary="Organisations I may see")
def organisation_list(request: AuthedRequest, query: Query[PageQuery]) -> dict:
    organisations = (
        Organisation.objects.visible_to(request.auth).search(query.q).prefetch_related("clients")
    )
    start = (query.page - 1) * query.limit
    return {
        "count": organisations.count(),
        "page": query.page,
        "results": [_out(o) for o in organisations[start : start + query.limit]],
    }


@router.get("/{int:organisation_id}", response=OrganisationOut, summary="One organisation")
def organisation_detail(request: AuthedRequest, organisation_id: int) -> dict:
    return _out(
        get_object_or_404(Organisation.objects.visible_to(request.auth), pk=organisation_id)
    )
