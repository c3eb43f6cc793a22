"""Request types for views: what middleware and decorators guarantee, spelled out
for the type checker (the django-stubs and django-htmx documented pattern)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from ttc.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request: `HtmxMiddleware` sets `request.htmx` on every one."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view behind `login_required` (or `coordinator_required`):
    `request.user` is a signed-in `User`, never `AnonymousUser`."""

    user: User
