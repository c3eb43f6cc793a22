from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from ttc.accounts.models import ApiToken, hash_token
from ttc.api.types import TokenRequest

# Writing last_used_at on every call would turn each read into a write.
_LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """Personal API tokens: `Authorization: Bearer ttc_…`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if found is None:
            return None
        user = found.user
        if user.requires_mfa() and not is_mfa_enabled(user):
            raise HttpError(
                403, _("Set up two-factor authentication first: your role requires it.")
            )
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = user
        cast(TokenRequest, request).api_token = found
        return user


class ActiveSessionAuth(SessionAuth):
    """The browser session, with Django's CSRF check on writes."""


def require_write(request: HttpRequest) -> None:
    token = getattr(request, "api_token", None)
    if token is not None and not token.allows_write():
        raise HttpError(403, _("This token is read-only."))


def anonymous_visitor(request: HttpRequest) -> Any:
    """Public reads (TLP:CLEAR) need no sign-in, but a bad token is still refused."""
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    return AnonymousUser()


auth = [TokenAuth(), ActiveSessionAuth()]
auth_or_anonymous = [*auth, anonymous_visitor]
