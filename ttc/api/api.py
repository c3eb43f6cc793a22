"""The platform API under /api/v1/: the same services and access policy as the pages."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaValidationError

from ttc.api.announcements import router as announcements_router
from ttc.api.auth import auth
from ttc.api.documents import proposals_router as document_proposals_router
from ttc.api.documents import router as documents_router
from ttc.api.helprequests import (
    conflicts_router,
    engagements_router,
    proposals_router,
    requests_router,
)
from ttc.api.incidents import router as incidents_router
from ttc.api.knowledge import router as knowledge_router
from ttc.api.me import router as me_router
from ttc.api.membership import router as membership_router
from ttc.api.organisations import router as organisations_router
from ttc.api.search import router as search_router
from ttc.api.statistics import router as statistics_router
from ttc.api.throttling import AnonymousThrottle, PersonThrottle

api = NinjaAPI(
    title="TechTegenCorona API",
    version="1",
    urls_namespace="api",
    auth=auth,
    throttle=[
        AnonymousThrottle(settings.TTC_API_RATE_ANONYMOUS),
        PersonThrottle(settings.TTC_API_RATE_PERSON),
    ],
    description=(
        "Authenticate with your browser session or with a personal API token from your "
        "account page: `Authorization: Bearer ttc_…`. Every response passes the TLP "
        "access policy."
    ),
)
api.add_router("/me", me_router)
api.add_router("/organisations", organisations_router)
api.add_router("/announcements", announcements_router)
api.add_router("/statistics", statistics_router)
api.add_router("", membership_router)
api.add_router("/requests", requests_router)
api.add_router("/proposals", proposals_router)
api.add_router("/engagements", engagements_router)
api.add_router("/conflicts", conflicts_router)
api.add_router("/articles", knowledge_router)
api.add_router("/search", search_router)
api.add_router("/documents", documents_router)
api.add_router("/document-proposals", document_proposals_router)
api.add_router("", incidents_router)


def _problem(request: HttpRequest, detail: object, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


def not_found_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any other path under /api/: a JSON 404 like every other API error, not an HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _problem(request, _("Sign in or send a valid API token."), 401)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _problem(request, str(exc) or _("You may not do this."), 403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _problem(request, _("Not found."), 404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return _problem(request, detail, 400)


@api.exception_handler(SchemaValidationError)
def malformed(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    return _problem(request, exc.errors, 422)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _problem(request, _("The request is too large."), 413)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = _problem(request, _("Too many requests. Wait a moment and try again."), 429)
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _problem(request, str(exc), exc.status_code)
