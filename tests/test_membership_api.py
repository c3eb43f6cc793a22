"""The membership API: the public directory and taxonomy, my membership status,
and a member admin's update of what the member offers."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from ttc.accounts import services as account_services
from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import make_organisation, make_user
from ttc.members.models import (
    Application,
    CodeOfConduct,
    Consent,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    ReviewDecision,
    Skill,
    TaxStatement,
)

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {"name", "kind", "kind_label", "city", "areas", "experts", "member_since"}


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def token_for(user: User, scope: str = "write") -> str:
    return account_services.api_token_create(user=user, name="script", scope=scope)[1]


def problem(response, status: int):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body["detail"]


def area(name_en: str) -> Skill:
    return Skill.objects.get(parent__isnull=True, name_en=name_en)


def sub_skill(name_en: str) -> Skill:
    return Skill.objects.get(parent__isnull=False, name_en=name_en)


# GET /directory ---------------------------------------------------------------------------


@pytest.fixture
def directory_members(personas):
    company = personas.member_company
    company.kvk_number = "12345678"
    company.vat_number = "NL123456789B01"
    company.street = "Geheimstraat 12"
    company.postcode = "9999 ZZ"
    company.description = "Onze geheime omschrijving"
    company.capacity_hours = 137
    company.regions = ["utrecht"]
    company.save()
    company.expertise.set([sub_skill("Forensics"), area("Privacy")])
    Organisation.objects.filter(pk=personas.other_company.pk).update(regions=["zeeland"])
    personas.other_company.expertise.set([sub_skill("Kubernetes")])
    independent = make_organisation(
        "Jansen Advies", OrganisationKind.INDEPENDENT_EXPERT, city="Delft"
    )
    make_organisation("Wachtend B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    return independent


def test_the_directory_is_public_and_holds_only_public_facts(personas, directory_members):
    response = Client().get("/api/v1/directory", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["name"] for r in body["results"]] == [
        "Andere Software B.V.",
        "Veilig Netwerk B.V.",
    ]
    for result in body["results"]:
        assert set(result) == PUBLIC_FIELDS
    veilig = body["results"][1]
    assert veilig["city"] == "Utrecht"
    assert veilig["experts"] == 2
    assert [a["name_en"] for a in veilig["areas"]] == ["Privacy", "Security"]
    assert veilig["member_since"] == timezone.localdate().isoformat()
    assert body["results"][1]["kind"] == "member_company"
    text = response.content.decode()
    for secret in (
        "12345678",
        "NL123456789B01",
        "Geheimstraat",
        "9999 ZZ",
        "geheime",
        "137",
        "veilignetwerk.test",
        "Mehmet",
        "Ziekenhuis",
        "Wachtend",
        "Jansen Advies",
    ):
        assert secret not in text, secret


def test_the_directory_filters_like_the_page(personas, directory_members):
    client = Client()
    security = area("Security")

    def names(**params) -> list[str]:
        response = client.get("/api/v1/directory", params)
        assert response.status_code == 200
        return [r["name"] for r in response.json()["results"]]

    assert names(q="veilig") == ["Veilig Netwerk B.V."]
    assert names(skill=security.pk) == ["Veilig Netwerk B.V."]
    assert names(skill=area("Cloud and hosting").pk) == ["Andere Software B.V."]
    assert names(region="zeeland") == ["Andere Software B.V."]
    assert names(region="utrecht", skill=security.pk) == ["Veilig Netwerk B.V."]
    assert names(limit=1, page=2) == ["Veilig Netwerk B.V."]
    assert names(page=9) == []


@pytest.mark.parametrize(
    "params",
    [
        {"region": "atlantis"},
        {"skill": "abc"},
        {"skill": 0},
        {"skill": 2**40},
        {"limit": 0},
        {"limit": 101},
        {"page": 0},
        {"q": "x" * 201},
    ],
)
def test_bad_directory_parameters_are_422(personas, params):
    problem(Client().get("/api/v1/directory", params), 422)


def test_a_bad_token_is_refused_even_on_public_reads(personas):
    problem(Client().get("/api/v1/directory", **bearer("ttc_not-a-token")), 401)
    problem(Client().get("/api/v1/taxonomy", **bearer("ttc_not-a-token")), 401)


def test_the_directory_answers_in_a_fixed_number_of_queries(
    personas, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert Client().get("/api/v1/directory", {"limit": 100}).status_code == 200
        return len(context.captured_queries)

    few = queries()
    for index in range(40):
        organisation = make_organisation(f"Lid {index:02d}", OrganisationKind.MEMBER_COMPANY)
        organisation.expertise.set([sub_skill("Forensics"), area("Privacy")])
        Membership.objects.create(
            user=make_user(f"p{index}@lid.test", mfa=False), organisation=organisation
        )
    assert queries() == few


# GET /taxonomy ----------------------------------------------------------------------------


def test_the_taxonomy_is_public(personas):
    response = Client().get("/api/v1/taxonomy")
    assert response.status_code == 200
    areas = response.json()
    assert len(areas) == Skill.objects.filter(parent__isnull=True).count()
    security = next(a for a in areas if a["name_en"] == "Security")
    assert security["id"] == area("Security").pk
    assert {s["name_en"] for s in security["skills"]} == set(
        Skill.objects.filter(parent=area("Security")).values_list("name_en", flat=True)
    )
    assert set(security["skills"][0]) == {"id", "name", "name_en"}
    assert (
        sum(len(a["skills"]) for a in areas) == Skill.objects.filter(parent__isnull=False).count()
    )


# GET /membership --------------------------------------------------------------------------


def test_membership_needs_a_sign_in(personas):
    problem(Client().get("/api/v1/membership"), 401)


def test_my_membership_status(personas, client_for):
    company = personas.member_company
    code = CodeOfConduct.objects.current()
    Consent.objects.create(
        user=personas.member_admin,
        organisation=company,
        kind=Consent.Kind.CODE_OF_CONDUCT,
        version=code.version,
    )
    issued = timezone.localdate() - timedelta(days=20)
    TaxStatement.objects.create(
        organisation=company,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="s.pdf"),
        issued_on=issued,
        uploaded_by=personas.member_admin,
    )
    response = client_for("member_admin").get("/api/v1/membership")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": company.pk,
            "name": "Veilig Netwerk B.V.",
            "kind": "member_company",
            "role": "admin",
            "status": "approved",
            "status_label": "Approved",
            "compliant": True,
            "compliance_issues": [],
            "noncompliant_since": None,
            "suspended_until": None,
            "code_version_accepted": code.version,
            "tax_statement_expires": issued.replace(year=issued.year + 1).isoformat(),
            "approvals": None,
            "approvals_required": 2,
        }
    ]
    # An expert of the company sees it too; a requester has no member organisation.
    expert = client_for("expert").get("/api/v1/membership").json()
    assert [(o["name"], o["role"]) for o in expert] == [("Veilig Netwerk B.V.", "member")]
    assert client_for("requester").get("/api/v1/membership").json() == []


def test_membership_status_of_a_non_compliant_member(personas, client_for):
    Organisation.objects.filter(pk=personas.member_company.pk).update(
        noncompliant_since=date(2026, 1, 2), compliance_issues=["tax_statement_expired"]
    )
    [status] = client_for("member_admin").get("/api/v1/membership").json()
    assert status["compliant"] is False
    assert status["noncompliant_since"] == "2026-01-02"
    assert status["compliance_issues"] == [
        {
            "code": "tax_statement_expired",
            "text": "The tax statement is more than 12 months old: upload a new one.",
        }
    ]


def test_approvals_so_far_while_under_review(personas, client_for):
    applicant = make_user("aanvrager@nieuw.test", preferred_language="en")
    organisation = make_organisation("Nieuw B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    Organisation.objects.filter(pk=organisation.pk).update(status=MemberStatus.UNDER_REVIEW)
    Membership.objects.create(user=applicant, organisation=organisation, role="admin")
    application = Application.objects.create(
        organisation=organisation,
        applicant=applicant,
        code_of_conduct=CodeOfConduct.objects.current(),
    )
    ReviewDecision.objects.create(
        application=application,
        reviewer=personas.coordinator,
        decision=ReviewDecision.Decision.APPROVE,
        round=1,
    )
    # An approval from an earlier round no longer counts.
    ReviewDecision.objects.create(
        application=application,
        reviewer=personas.coordinator,
        decision=ReviewDecision.Decision.APPROVE,
        round=0,
    )
    client = Client()
    client.force_login(applicant)
    [status] = client.get("/api/v1/membership").json()
    assert (status["status"], status["approvals"], status["approvals_required"]) == (
        "under_review",
        1,
        2,
    )
    assert status["tax_statement_expires"] is None
    assert status["code_version_accepted"] is None


# PUT /membership/{id}/offer ---------------------------------------------------------------


def offer(**changes) -> dict:
    payload = {
        "capacity_hours": 40,
        "expertise": [area("Security").pk, sub_skill("Kubernetes").pk],
        "regions": ["utrecht", "zeeland"],
        "languages": ["nl", "en"],
    }
    payload.update(changes)
    return payload


def put(url: str, payload: object, client: Client | None = None, **extra):
    return (client or Client()).put(
        url, json.dumps(payload), content_type="application/json", **extra
    )


def offer_url(organisation: Organisation) -> str:
    return f"/api/v1/membership/{organisation.pk}/offer"


def offer_unchanged(organisation: Organisation) -> bool:
    organisation.refresh_from_db()
    return (
        organisation.capacity_hours is None
        and organisation.regions == []
        and not organisation.expertise.exists()
        and not AuditEvent.objects.filter(action="member.offer").exists()
    )


def test_an_admin_updates_the_offer_with_a_write_token(personas):
    company = personas.member_company
    response = put(offer_url(company), offer(), **bearer(token_for(personas.member_admin)))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "id": company.pk,
        "capacity_hours": 40,
        "expertise": sorted([area("Security").pk, sub_skill("Kubernetes").pk]),
        "regions": ["utrecht", "zeeland"],
        "languages": ["en", "nl"],
    }
    company.refresh_from_db()
    assert company.capacity_hours == 40
    assert set(company.expertise.values_list("name_en", flat=True)) == {"Security", "Kubernetes"}
    event = AuditEvent.objects.get(action="member.offer")
    assert event.actor == personas.member_admin
    # The directory shows the new area at once.
    directory = Client().get("/api/v1/directory", {"q": "Veilig"}).json()
    assert [a["name_en"] for a in directory["results"][0]["areas"]] == [
        "Cloud and hosting",
        "Security",
    ]


def test_an_admin_updates_the_offer_in_the_browser_with_csrf(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.member_admin)
    assert client.get("/dashboard/").status_code == 200
    url = offer_url(personas.member_company)
    problem(put(url, offer(), client), 403)
    assert offer_unchanged(personas.member_company)
    token = client.cookies["csrftoken"].value
    response = put(url, offer(), client, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_a_read_only_token_cannot_update(personas):
    detail = problem(
        put(
            offer_url(personas.member_company),
            offer(),
            **bearer(token_for(personas.member_admin, "read")),
        ),
        403,
    )
    # A token call has no session: it reads the platform's default language.
    with translation.override("nl"):
        assert detail == gettext("This token is read-only.")
    assert offer_unchanged(personas.member_company)


@pytest.mark.parametrize(
    ("persona", "organisation", "status"),
    [
        ("expert", "member_company", 403),
        ("outsider", "member_company", 404),
        ("coordinator", "member_company", 404),
        ("requester", "hospital", 404),
    ],
)
def test_only_the_admins_update_the_offer(personas, persona, organisation, status):
    target = getattr(personas, organisation)
    response = put(offer_url(target), offer(), **bearer(token_for(personas.get(persona))))
    problem(response, status)
    assert offer_unchanged(target)


def test_no_sign_in_no_update(personas):
    problem(put(offer_url(personas.member_company), offer()), 401)
    assert offer_unchanged(personas.member_company)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"capacity_hours": 0}, 422),
        ({"capacity_hours": 401}, 422),
        ({"capacity_hours": "veel"}, 422),
        ({"expertise": []}, 422),
        ({"expertise": ["security"]}, 422),
        ({"languages": []}, 422),
        ({"regions": []}, 422),
        ({"expertise": [987654]}, 400),
        ({"regions": ["atlantis"]}, 400),
        ({"languages": ["xx"]}, 400),
    ],
)
def test_bad_offer_input_changes_nothing(personas, payload, status):
    response = put(
        offer_url(personas.member_company),
        offer(**payload),
        **bearer(token_for(personas.member_admin)),
    )
    problem(response, status)
    assert offer_unchanged(personas.member_company)


def test_an_unknown_skill_is_named(personas):
    response = put(
        offer_url(personas.member_company),
        offer(expertise=[area("Security").pk, 987654]),
        **bearer(token_for(personas.member_admin)),
    )
    with translation.override("nl"):
        message = gettext("These are not skills of the taxonomy: %(ids)s.") % {"ids": "987654"}
    assert problem(response, 400) == {"expertise": [message]}
    assert offer_unchanged(personas.member_company)


def test_a_missing_field_or_no_json_is_422(personas):
    headers = bearer(token_for(personas.member_admin))
    url = offer_url(personas.member_company)
    payload = offer()
    del payload["languages"]
    problem(put(url, payload, **headers), 422)
    response = Client().put(url, "not json", content_type="application/json", **headers)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert offer_unchanged(personas.member_company)


def test_an_ended_membership_offers_nothing(personas):
    Organisation.objects.filter(pk=personas.member_company.pk).update(status=MemberStatus.ENDED)
    response = put(
        offer_url(personas.member_company), offer(), **bearer(token_for(personas.member_admin))
    )
    problem(response, 400)
    assert offer_unchanged(personas.member_company)


# OpenAPI ----------------------------------------------------------------------------------


def test_openapi_lists_the_membership_paths(personas):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/directory"]
    assert "get" in paths["/api/v1/taxonomy"]
    assert "get" in paths["/api/v1/membership"]
    assert "put" in paths["/api/v1/membership/{org_id}/offer"]
    assert "OfferIn" in schema["components"]["schemas"]
