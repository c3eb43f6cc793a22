from __future__ import annotations

import pytest
from django.test import Client

from ttc.core.testing import Personas, make_personas


@pytest.fixture(autouse=True)
def _fast_and_inline(settings):
    """Tasks run inline, passwords hash fast, the cache starts empty."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


@pytest.fixture
def client_for(personas):
    """A browser signed in as the named persona (anonymous stays signed out)."""

    def make(name: str) -> Client:
        client = Client()
        if name != "anonymous":
            client.force_login(personas.get(name))
        return client

    return make
