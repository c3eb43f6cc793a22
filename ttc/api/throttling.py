"""Rate limits for the API: per address for anonymous callers, per person for
everyone signed in (by session or token). django-ninja's own classes key on
`request.auth`, which is an `AnonymousUser` for our public endpoints."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


def _person(request: HttpRequest) -> object | None:
    caller = getattr(request, "auth", None)
    return caller if getattr(caller, "is_authenticated", False) else None


class AnonymousThrottle(SimpleRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if _person(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PersonThrottle(SimpleRateThrottle):
    scope = "person"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        person = _person(request)
        if person is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": person.pk}  # type: ignore[attr-defined]
