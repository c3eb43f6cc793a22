from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponse]

# Where a person who still has to set up a second factor may go.
_MFA_SETUP_PATHS = ("/accounts/", "/static/", "/lang/")


class PreferredLanguageMiddleware:
    """A signed-in person reads the platform in their own language."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


class RequireMfaMiddleware:
    """Coordinators and everyone who can be sent TLP:AMBER or TLP:RED must set up a
    second factor before they see anything else. Enforced, not suggested."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_MFA_SETUP_PATHS)
            and user.requires_mfa()
            and not is_mfa_enabled(user)
        ):
            message = _("Set up two-factor authentication first: your role requires it.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            messages.warning(request, message)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
