"""Personal API tokens: made on the account page, shown once, stored hashed,
accepted as `Authorization: Bearer …`, scoped, revocable; API errors are JSON."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from ttc.accounts import services
from ttc.accounts.models import ApiToken
from ttc.announcements.models import Announcement
from ttc.core.models import AuditEvent
from ttc.core.testing import make_user

pytestmark = pytest.mark.django_db

TOKEN_PATTERN = re.compile(r"ttc_[A-Za-z0-9_\-]{30,}")


def in_dutch(message: str) -> str:
    with translation.override("nl"):
        return gettext(message)


def shows(response, message: str) -> bool:
    return escape(message) in response.content.decode()


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def is_json_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str | list | dict)
    assert body["detail"]
    return body


def make_token(user, scope: str = "read", name: str = "script") -> tuple[ApiToken, str]:
    return services.api_token_create(user=user, name=name, scope=scope)


ANNOUNCEMENT = {"title": "Via de API", "body": "Gepubliceerd door een script.", "tlp": "clear"}


def post_announcement(raw: str, payload: object = ANNOUNCEMENT):
    return Client().post(
        "/api/v1/announcements",
        data=json.dumps(payload),
        content_type="application/json",
        **bearer(raw),
    )


# Creating and showing --------------------------------------------------------------------


def test_new_token_is_shown_once_and_stored_hashed(personas, client_for):
    client = client_for("expert")
    response = client.post(reverse("token_create"), {"name": "SIEM export", "scope": "read"})
    assert response.status_code == 200
    page = response.content.decode()
    keys = TOKEN_PATTERN.findall(page)
    assert len(set(keys)) == 1, keys
    raw = keys[0]
    assert "SIEM export" in page

    token = ApiToken.objects.get(user=personas.expert)
    assert token.name == "SIEM export"
    assert token.scope == "read"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert raw not in stored
    assert AuditEvent.objects.filter(action="token.create", object_id=str(token.pk)).count() == 1
    assert raw not in "".join(AuditEvent.objects.values_list("summary", flat=True))

    reload = client.get(reverse("account"))
    assert reload.status_code == 200
    assert raw not in reload.content.decode()
    assert TOKEN_PATTERN.search(reload.content.decode()) is None
    assert token.prefix in reload.content.decode()


# Authenticating ---------------------------------------------------------------------------


def test_token_authenticates_and_records_its_use(personas):
    token, raw = make_token(personas.expert)
    assert token.last_used_at is None
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    assert response.json()["email"] == personas.expert.email
    assert response.json()["role"] == "expert"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_wrong_token_is_refused_with_json(personas):
    _token, raw = make_token(personas.expert)
    for wrong in (raw + "x", raw[:-1], "ttc_" + "a" * 43, "nonsense"):
        is_json_problem(Client().get("/api/v1/me", **bearer(wrong)), 401)
    is_json_problem(Client().get("/api/v1/me"), 401)


def test_revoked_token_is_refused(personas, client_for):
    token, raw = make_token(personas.expert)
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    response = client_for("expert").post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1
    is_json_problem(Client().get("/api/v1/me", **bearer(raw)), 401)


def test_another_person_cannot_revoke_my_token(personas, client_for):
    token, raw = make_token(personas.expert)
    for name in ("member_admin", "coordinator"):
        response = client_for(name).post(reverse("token_revoke", args=[token.pk]))
        assert response.status_code == 404, name
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEvent.objects.filter(action="token.revoke").exists()
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200


def test_revoke_needs_post(personas, client_for):
    token, _raw = make_token(personas.expert)
    assert client_for("expert").get(reverse("token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


# Scopes ----------------------------------------------------------------------------------


def test_read_token_cannot_write_even_for_a_coordinator(personas):
    _token, raw = make_token(personas.coordinator, scope="read")
    body = is_json_problem(post_announcement(raw), 403)
    assert body["detail"] == in_dutch("This token is read-only.")
    assert not Announcement.objects.exists()


def test_write_token_of_a_coordinator_publishes(personas):
    _token, raw = make_token(personas.coordinator, scope="write")
    response = post_announcement(raw)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "Via de API"
    announcement = Announcement.objects.get()
    assert announcement.pk == data["id"]
    assert announcement.created_by == personas.coordinator
    assert Client().get(f"/api/v1/announcements/{announcement.pk}").json()["title"] == "Via de API"


def test_write_token_of_a_non_coordinator_is_refused(personas):
    _token, raw = make_token(personas.member_admin, scope="write")
    body = is_json_problem(post_announcement(raw), 403)
    assert body["detail"] == in_dutch("Only coordinators publish announcements.")
    assert not Announcement.objects.exists()


# Bad input on the account page ------------------------------------------------------------


def _max_length_message(limit: int, actual: int) -> str:
    with translation.override("nl"):
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": actual}


def _invalid_choice_message(value: str) -> str:
    with translation.override("nl"):
        return str(forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": value})


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "scope": "read"}, lambda: in_dutch("This field is required.")),
        ({"name": "   ", "scope": "read"}, lambda: in_dutch("This field is required.")),
        ({"name": "x" * 81, "scope": "read"}, lambda: _max_length_message(80, 81)),
        ({"name": "script", "scope": "admin"}, lambda: _invalid_choice_message("admin")),
        ({"name": "script"}, lambda: in_dutch("This field is required.")),
    ],
    ids=["empty", "blank", "81-characters", "unknown-scope", "no-scope"],
)
def test_bad_token_input_creates_nothing(personas, client_for, form, message):
    response = client_for("expert").post(reverse("token_create"), form)
    assert response.status_code == 200
    assert shows(response, message())
    assert TOKEN_PATTERN.search(response.content.decode()) is None
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token.create").exists()


def test_an_80_character_name_is_fine(personas, client_for):
    response = client_for("expert").post(
        reverse("token_create"), {"name": "x" * 80, "scope": "write"}
    )
    assert response.status_code == 200
    assert TOKEN_PATTERN.search(response.content.decode())
    assert ApiToken.objects.get().scope == "write"


def test_at_most_twenty_active_tokens(personas, client_for):
    tokens = [make_token(personas.expert, name=f"token {n}")[0] for n in range(20)]
    client = client_for("expert")
    response = client.post(reverse("token_create"), {"name": "one too many", "scope": "read"})
    assert response.status_code == 200
    with translation.override("nl"):
        expected = gettext("You have %(max)d active tokens; revoke one first.") % {"max": 20}
    assert shows(response, expected)
    assert TOKEN_PATTERN.search(response.content.decode()) is None
    assert ApiToken.objects.filter(user=personas.expert).count() == 20
    assert not ApiToken.objects.filter(name="one too many").exists()

    # Revoked tokens do not count; another person's tokens do not either.
    client.post(reverse("token_revoke", args=[tokens[0].pk]))
    response = client.post(reverse("token_create"), {"name": "replacement", "scope": "read"})
    assert TOKEN_PATTERN.search(response.content.decode())
    assert ApiToken.objects.filter(name="replacement").exists()
    other, _raw = make_token(personas.member_admin)
    assert other.user == personas.member_admin


def test_anonymous_cannot_create_tokens(db):
    response = Client().post(reverse("token_create"), {"name": "script", "scope": "read"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not ApiToken.objects.exists()


# API errors are JSON ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/me/nope", "/api/v1/announcements/999999"]
)
def test_unknown_api_path_is_a_json_404(personas, path):
    _token, raw = make_token(personas.expert)
    is_json_problem(Client().get(path, **bearer(raw)), 404)


def test_unknown_api_path_is_a_json_404_for_anonymous_visitors(db):
    is_json_problem(Client().get("/api/v1/does-not-exist"), 404)


@pytest.mark.parametrize("body", ["{not json", "", "[1, 2", '{"title": "x", "body": '])
def test_malformed_json_is_refused(personas, body):
    _token, raw = make_token(personas.coordinator, scope="write")
    response = Client().post(
        "/api/v1/announcements", data=body, content_type="application/json", **bearer(raw)
    )
    assert 400 <= response.status_code < 500
    is_json_problem(response, response.status_code)
    assert not Announcement.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "", "body": "x"},
        {"title": "x"},
        {"title": "x", "body": "y", "tlp": "purple"},
        {"title": "x" * 201, "body": "y"},
        ["not", "an", "object"],
    ],
    ids=["empty-title", "no-body", "unknown-label", "long-title", "not-an-object"],
)
def test_invalid_announcement_is_refused(personas, payload):
    _token, raw = make_token(personas.coordinator, scope="write")
    response = post_announcement(raw, payload)
    assert 400 <= response.status_code < 500
    is_json_problem(response, response.status_code)
    assert not Announcement.objects.exists()


def test_oversized_body_is_refused(personas):
    _token, raw = make_token(personas.coordinator, scope="write")
    payload = {"title": "Groot", "body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    response = post_announcement(raw, payload)
    body = is_json_problem(response, 413)
    assert body["detail"] == in_dutch("The request is too large.")
    assert not Announcement.objects.exists()


def test_openapi_lists_the_paths():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/me", "/api/v1/organisations", "/api/v1/announcements"):
        assert path in schema["paths"], path
    assert "post" in schema["paths"]["/api/v1/announcements"]


def test_token_of_a_deactivated_person_is_refused(db):
    user = make_user("solo@example.test", mfa=False)
    _token, raw = make_token(user)
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    is_json_problem(Client().get("/api/v1/me", **bearer(raw)), 401)
