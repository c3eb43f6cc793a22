"""The API under /api/v1/ with the browser session (ttc/api/)."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from ttc.accounts.models import User
from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.members.models import Membership, OrganisationKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def csrf_client(personas, name: str) -> tuple[Client, str]:
    """A signed-in browser that enforces CSRF, and the token its pages hand out."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.get(name))
    assert client.get("/dashboard/").status_code == 200
    return client, client.cookies["csrftoken"].value


def post_json(client: Client, url: str, payload: dict, token: str | None = None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, json.dumps(payload), content_type="application/json", headers=headers)


def nothing_created() -> bool:
    return (
        not Announcement.objects.exists()
        and not Notification.objects.exists()
        and not AuditEvent.objects.exists()
        and mail.outbox == []
    )


# --- /me -----------------------------------------------------------------------------


def test_me_returns_who_i_am(personas, client_for):
    response = client_for("member_admin").get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "admin@veilignetwerk.test"
    assert body["full_name"] == "Mehmet Admin"
    assert body["role"] == "member_admin"
    assert body["is_coordinator"] is False
    assert body["memberships"] == [
        {
            "organisation": {"id": personas.member_company.pk, "name": "Veilig Netwerk B.V."},
            "role": "admin",
        }
    ]


@pytest.mark.parametrize(
    ("persona", "role", "organisations"),
    [
        ("coordinator", "coordinator", []),
        ("expert", "expert", ["Veilig Netwerk B.V."]),
        ("requester", "requester", ["Ziekenhuis Noorderlicht"]),
        ("umbrella", "requester", ["Zorgkoepel Nederland"]),
    ],
)
def test_me_role_per_persona(personas, client_for, persona, role, organisations):
    body = client_for(persona).get("/api/v1/me").json()
    assert body["role"] == role
    assert [m["organisation"]["name"] for m in body["memberships"]] == organisations


def test_anonymous_me_is_401_json(personas, client_for):
    response = client_for("anonymous").get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


# --- organisations -------------------------------------------------------------------


def make_many_organisations(number: int) -> None:
    for index in range(number):
        make_organisation(f"API organisatie {index:03}", OrganisationKind.CARE)


def test_organisations_paginate(personas, client_for):
    make_many_organisations(26)  # 30 with the personas' four
    client = client_for("expert")
    first = client.get("/api/v1/organisations", {"limit": 10}).json()
    assert first["count"] == 30
    assert first["page"] == 1
    assert len(first["results"]) == 10
    last = client.get("/api/v1/organisations", {"limit": 10, "page": 3}).json()
    assert last["page"] == 3
    assert len(last["results"]) == 10
    names = [o["name"] for o in first["results"]] + [o["name"] for o in last["results"]]
    assert len(set(names)) == 20
    beyond = client.get("/api/v1/organisations", {"limit": 10, "page": 4}).json()
    assert beyond["results"] == []
    default = client.get("/api/v1/organisations").json()
    assert len(default["results"]) == 25


def test_organisation_fields_and_search(personas, client_for):
    body = client_for("expert").get("/api/v1/organisations", {"q": "noorder"}).json()
    assert body["count"] == 1
    hospital = body["results"][0]
    assert hospital == {
        "id": personas.hospital.pk,
        "name": "Ziekenhuis Noorderlicht",
        "kind": "hospital",
        "city": "Groningen",
        "website": "",
        "description": "",
        "vetted": True,
        "umbrella_id": personas.umbrella_org.pk,
        "client_ids": [],
    }
    company = client_for("expert").get(f"/api/v1/organisations/{personas.member_company.pk}")
    assert company.json()["client_ids"] == [personas.hospital.pk]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": -1},
        {"page": 0},
        {"page": "abc"},
        {"limit": "veel"},
        {"q": "x" * 201},
    ],
)
def test_bad_paging_is_422_json(personas, client_for, query):
    response = client_for("expert").get("/api/v1/organisations", query)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail
    assert any(next(iter(query)) in error["loc"] for error in detail)


def test_unvetted_person_sees_only_their_own_organisation(personas):
    organisation = make_organisation("Nieuwe Zorg", OrganisationKind.CARE, vetted=False)
    person = make_user("nieuw@nieuwezorg.test", preferred_language="en")
    Membership.objects.create(user=person, organisation=organisation, role="admin")
    client = Client()
    client.force_login(person)
    body = client.get("/api/v1/organisations").json()
    assert body["count"] == 1
    assert [o["name"] for o in body["results"]] == ["Nieuwe Zorg"]
    assert client.get(f"/api/v1/organisations/{organisation.pk}").status_code == 200
    response = client.get(f"/api/v1/organisations/{personas.hospital.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_organisation_is_404_json(personas, client_for):
    response = client_for("coordinator").get("/api/v1/organisations/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_anonymous_organisations_is_401(personas, client_for):
    response = client_for("anonymous").get("/api/v1/organisations")
    assert response.status_code == 401
    assert "detail" in response.json()


# --- announcements -------------------------------------------------------------------


def test_posting_with_the_session_requires_the_csrf_token(personas):
    client, token = csrf_client(personas, "coordinator")
    mail.outbox.clear()
    payload = {"title": "Via de API", "body": "Inhoud", "tlp": "green"}
    refused = post_json(client, "/api/v1/announcements", payload)
    assert refused.status_code == 403
    assert refused.json()["detail"]
    assert nothing_created()
    wrong = post_json(client, "/api/v1/announcements", payload, token="x" * 32)
    assert wrong.status_code == 403
    assert nothing_created()

    created = post_json(client, "/api/v1/announcements", payload, token)
    assert created.status_code == 201
    body = created.json()
    announcement = Announcement.objects.get()
    assert body["id"] == announcement.pk
    assert body["title"] == "Via de API"
    assert body["tlp"] == "green"
    assert body["author"] == "Carla Coördinator"
    assert body["url"] == f"/announcements/{announcement.pk}/"
    assert Notification.objects.filter(url=body["url"]).count() == 5
    assert not Notification.objects.filter(recipient=personas.coordinator).exists()
    assert len(mail.outbox) == 5


def test_red_announcement_through_the_api(personas):
    client, token = csrf_client(personas, "coordinator")
    response = post_json(
        client,
        "/api/v1/announcements",
        {"title": "Rood", "body": "Geheim", "tlp": "red", "people": ["expert@veilignetwerk.test"]},
        token,
    )
    assert response.status_code == 201
    assert list(Notification.objects.values_list("recipient__email", flat=True)) == [
        "expert@veilignetwerk.test"
    ]


def test_amber_announcement_through_the_api(personas):
    client, token = csrf_client(personas, "coordinator")
    response = post_json(
        client,
        "/api/v1/announcements",
        {
            "title": "Amber",
            "body": "Voor het ziekenhuis",
            "tlp": "amber+strict",
            "organisation_ids": [personas.hospital.pk],
        },
        token,
    )
    assert response.status_code == 201
    assert list(Announcement.objects.get().recipient_orgs.all()) == [personas.hospital]


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "outsider"])
def test_only_coordinators_post_announcements(personas, persona):
    client, token = csrf_client(personas, persona)
    mail.outbox.clear()
    response = post_json(
        client, "/api/v1/announcements", {"title": "t", "body": "b", "tlp": "clear"}, token
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only coordinators publish announcements."
    assert nothing_created()


def test_anonymous_post_is_401(personas, client_for):
    response = post_json(
        client_for("anonymous"), "/api/v1/announcements", {"title": "t", "body": "b"}
    )
    assert response.status_code == 401
    assert not Announcement.objects.exists()


BAD_PAYLOADS = [
    pytest.param({"tlp": "red"}, 400, "TLP:RED needs at least one named person.", id="red-alone"),
    pytest.param({"tlp": "amber"}, 400, "needs at least one named organisation", id="amber-alone"),
    pytest.param(
        {"tlp": "green", "people": ["expert@veilignetwerk.test"]},
        400,
        "Only TLP:RED is sent to named people",
        id="green-people",
    ),
    pytest.param(
        {"tlp": "red", "people": ["onbekend@nergens.test"]},
        400,
        "No one on the platform has this address: onbekend@nergens.test",
        id="unknown-person",
    ),
    pytest.param(
        {"tlp": "amber", "organisation_ids": [999999]},
        400,
        "999999 is not one of the available choices",
        id="unknown-organisation",
    ),
    pytest.param({"title": "t" * 201}, 422, "at most 200 characters", id="long-title"),
    pytest.param({"title": ""}, 422, "at least 1 character", id="empty-title"),
    pytest.param({"body": "b" * 20_001}, 422, "at most 20000 characters", id="long-body"),
    pytest.param({"tlp": "purple"}, 422, "'clear', 'green', 'amber'", id="unknown-tlp"),
    pytest.param({"organisation_ids": ["een"]}, 422, "valid integer", id="bad-org-id"),
    pytest.param({"people": "expert@veilignetwerk.test"}, 422, "valid list", id="people-string"),
]


@pytest.mark.parametrize(("change", "status", "message"), BAD_PAYLOADS)
def test_bad_announcement_payloads_are_refused(personas, change, status, message):
    client, token = csrf_client(personas, "coordinator")
    mail.outbox.clear()
    payload = {"title": "Goede titel", "body": "Goede inhoud", "tlp": "green"} | change
    response = post_json(client, "/api/v1/announcements", payload, token)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert message in json.dumps(detail, ensure_ascii=False)
    assert nothing_created()


def test_malformed_json_is_refused(personas):
    client, token = csrf_client(personas, "coordinator")
    mail.outbox.clear()
    response = client.post(
        "/api/v1/announcements",
        "{not json",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}
    assert nothing_created()


def publish(personas, tlp: str, title: str, **recipients) -> Announcement:
    return announcement_publish(
        author=personas.coordinator,
        title=title,
        body=f"{title} inhoud",
        tlp=tlp,
        people=recipients.get("people", []),
        organisations=recipients.get("organisations", []),
    )


def test_anonymous_sees_only_clear_announcements(personas, client_for):
    publish(personas, TLP.CLEAR, "Openbaar bericht")
    publish(personas, TLP.GREEN, "Groen bericht")
    publish(personas, TLP.AMBER, "Amber bericht", organisations=[personas.member_company])
    publish(personas, TLP.RED, "Rood bericht", people=[personas.expert])
    response = client_for("anonymous").get("/api/v1/announcements")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(a["title"], a["tlp"]) for a in body["results"]] == [("Openbaar bericht", "clear")]
    expert = client_for("expert").get("/api/v1/announcements").json()
    assert expert["count"] == 4


def test_announcement_paging_is_validated_too(personas, client_for):
    for query in ({"limit": 0}, {"limit": 101}, {"page": "abc"}):
        response = client_for("anonymous").get("/api/v1/announcements", query)
        assert response.status_code == 422
        assert response.json()["detail"]


@pytest.mark.django_db
def test_anonymous_callers_are_throttled_per_address(client, settings):
    """Every call may audit confidential reads: an address that polls too fast
    is told to wait, with a JSON error and Retry-After."""
    limit = int(settings.TTC_API_RATE_ANONYMOUS.split("/")[0])
    for _ in range(limit):
        assert client.get("/api/v1/statistics").status_code == 200
    response = client.get("/api/v1/statistics")
    assert response.status_code == 429
    assert response.json() == {"detail": "Te veel verzoeken. Wacht even en probeer het opnieuw."}
    assert int(response["Retry-After"]) >= 1
    # Another address is not affected.
    assert client.get("/api/v1/statistics", REMOTE_ADDR="192.0.2.7").status_code == 200


@pytest.mark.django_db
def test_a_forwarded_address_is_not_trusted_without_a_proxy(client, settings):
    limit = int(settings.TTC_API_RATE_ANONYMOUS.split("/")[0])
    for index in range(limit):
        client.get("/api/v1/statistics", HTTP_X_FORWARDED_FOR=f"198.51.100.{index}")
    response = client.get("/api/v1/statistics", HTTP_X_FORWARDED_FOR="198.51.100.250")
    assert response.status_code == 429


@pytest.mark.django_db
def test_signed_in_callers_are_throttled_per_person_not_per_address(personas):
    from django.test import RequestFactory

    from ttc.api.throttling import AnonymousThrottle, PersonThrottle

    person_limit, anonymous_limit = PersonThrottle("2/m"), AnonymousThrottle("2/m")

    def call(user, address="203.0.113.1"):
        request = RequestFactory().get("/api/v1/me", REMOTE_ADDR=address)
        request.auth = user
        return person_limit.allow_request(request) and anonymous_limit.allow_request(request)

    assert call(personas.expert) and call(personas.expert, "203.0.113.2")
    assert not call(personas.expert, "203.0.113.3")  # the same person, wherever from
    assert call(personas.requester)  # another person has their own allowance
    from django.contrib.auth.models import AnonymousUser

    assert call(AnonymousUser()) and call(AnonymousUser())
    assert not call(AnonymousUser())
    assert call(AnonymousUser(), "203.0.113.9")  # another address
