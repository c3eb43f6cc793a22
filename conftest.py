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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, mark the test database so that the audit log's TRUNCATE
    guard lets the suite empty it between transactional tests."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            name = connection.settings_dict["NAME"]
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{name}" SET ttc.test_database = on')
            connection.close()  # new connections read the setting


@pytest.fixture
def english(settings, personas):
    """Pages and API answers in English, for tests that assert on the English
    texts whatever translations are added later."""
    from ttc.accounts.models import User

    settings.LANGUAGE_CODE = "en"
    User.objects.update(preferred_language="en")
