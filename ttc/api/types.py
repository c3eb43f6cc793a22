"""Request types for API operations: what the operation's `auth` guarantees
about `request.auth`, spelled out for the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import ApiToken, User


class AuthedRequest(HttpRequest):
    """An operation under the API's default `auth`: a token or a session user."""

    auth: User


class PublicRequest(HttpRequest):
    """An operation under `auth_or_anonymous`: anonymous visitors read TLP:CLEAR."""

    auth: User | AnonymousUser


class TokenRequest(HttpRequest):
    """A request that `TokenAuth` authenticated: it carries the token used."""

    api_token: ApiToken
