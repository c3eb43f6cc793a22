"""The incident a page is about, as the access policy lets the person see it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from ttc.core import access
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.incidents import services
from ttc.incidents.models import Incident


def incident_for(request: HtmxHttpRequest, reference: str) -> Incident:
    incident = get_object_or_404(
        Incident.objects.select_related("organisation", "reported_via", "created_by"),
        reference=reference,
    )
    if not access.can_view(request.user, incident):
        # Not 403: whether a confidential incident exists is itself confidential.
        raise Http404
    return incident


def worked_incident(request: AuthenticatedHttpRequest, reference: str) -> Incident:
    """An incident for case work: the team, the reporting side and coordinators."""
    incident = incident_for(request, reference)
    if not services.may_work_on(request.user, incident):
        raise PermissionDenied(
            _("Only the response team, the reporting organisation and coordinators work here.")
        )
    access.record_views(request.user, [incident], surface="case")
    return incident
