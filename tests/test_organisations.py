"""Organisations and their people, through the pages a person uses (ttc/members/)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ttc.accounts.models import User
from ttc.core.models import AuditEvent
from ttc.core.testing import make_organisation, make_user
from ttc.members.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def snapshot(organisation: Organisation) -> dict:
    organisation = Organisation.objects.get(pk=organisation.pk)
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "city": organisation.city,
        "website": organisation.website,
        "description": organisation.description,
        "vetted_at": organisation.vetted_at,
        "status": organisation.status,
        "umbrella_id": organisation.umbrella_id,
        "clients": sorted(organisation.clients.values_list("pk", flat=True)),
    }


def memberships(organisation: Organisation) -> set[tuple[str, str]]:
    return set(organisation.memberships.values_list("user__email", "role"))


def unvetted_person() -> tuple[User, Organisation]:
    organisation = make_organisation(
        "Nieuwe Zorg Stichting", OrganisationKind.CARE, vetted=False, city="Zwolle"
    )
    person = make_user("nieuw@nieuwezorg.test", full_name="Nina Nieuw", preferred_language="en")
    Membership.objects.create(user=person, organisation=organisation, role="admin")
    return person, organisation


# --- the list ------------------------------------------------------------------------


def test_vetted_person_sees_every_approved_organisation(personas, client_for):
    pending = make_organisation("Wachtend B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    response = client_for("expert").get("/organisations/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in (
        "Veilig Netwerk B.V.",
        "Ziekenhuis Noorderlicht",
        "Zorgkoepel Nederland",
        "Andere Software B.V.",
    ):
        assert name in page
    assert "4 organisations" in page
    # Who applied, was rejected or is suspended is the coordinators' business.
    assert pending.name not in page
    assert client_for("expert").get(f"/organisations/{pending.pk}/").status_code == 404
    assert pending.name in client_for("coordinator").get("/organisations/").content.decode()


def test_person_in_unvetted_organisation_sees_only_their_own(personas):
    person, organisation = unvetted_person()
    client = Client()
    client.force_login(person)
    page = client.get("/organisations/").content.decode()
    assert "Nieuwe Zorg Stichting" in page
    assert "1 organisation" in page
    for name in ("Veilig Netwerk B.V.", "Ziekenhuis Noorderlicht", "Andere Software B.V."):
        assert name not in page
    assert client.get(f"/organisations/{organisation.pk}/").status_code == 200
    assert client.get(f"/organisations/{personas.hospital.pk}/").status_code == 404


def test_anonymous_is_sent_to_log_in(personas, client_for):
    for url in ("/organisations/", f"/organisations/{personas.hospital.pk}/"):
        response = client_for("anonymous").get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_search_by_name_and_by_city(personas, client_for):
    client = client_for("expert")
    by_name = client.get("/organisations/", {"q": "noorder"}).content.decode()
    assert "Ziekenhuis Noorderlicht" in by_name
    assert "Veilig Netwerk B.V." not in by_name
    assert "1 organisation" in by_name

    by_city = client.get("/organisations/", {"q": "utrecht"}).content.decode()
    assert "Veilig Netwerk B.V." in by_city
    assert "Ziekenhuis Noorderlicht" not in by_city

    nothing = client.get("/organisations/", {"q": "bestaat-niet"}).content.decode()
    assert "No organisations match." in nothing


def test_filter_by_kind(personas, client_for):
    client = client_for("expert")
    page = client.get("/organisations/", {"kind": "member_company"}).content.decode()
    assert "Veilig Netwerk B.V." in page
    assert "Andere Software B.V." in page
    assert "Ziekenhuis Noorderlicht" not in page
    assert "Zorgkoepel Nederland" not in page

    # An unknown kind is ignored, not an error.
    page = client.get("/organisations/", {"kind": "pirates"}).content.decode()
    assert "4 organisations" in page


def test_htmx_request_returns_only_the_results(personas, client_for):
    response = client_for("expert").get(
        "/organisations/", {"q": "koepel"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.content.decode().strip()
    assert 'id="results"' not in fragment, "the live region stays on the page; htmx fills it"
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert "Zorgkoepel Nederland" in fragment
    assert "Veilig Netwerk B.V." not in fragment

    full = client_for("expert").get("/organisations/", {"q": "koepel"}).content.decode()
    assert "<html" in full
    assert 'id="results"' in full


def test_list_query_count_does_not_grow_with_the_organisations(personas, client_for):
    client = client_for("coordinator")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/organisations/")
        assert response.status_code == 200
        return len(queries)

    make_organisation("Extra organisatie 01", OrganisationKind.CARE)
    assert Organisation.objects.count() == 5
    few = count_queries()

    # 55 more, each with a person and declared clients: nothing per row may cost a query.
    for number in range(2, 57):
        organisation = make_organisation(
            f"Extra organisatie {number:02}", OrganisationKind.MUNICIPALITY, city="Assen"
        )
        person = make_user(f"p{number}@extra.test", mfa=False)
        Membership.objects.create(user=person, organisation=organisation, role="admin")
        organisation.clients.add(personas.hospital)
    assert Organisation.objects.count() == 60
    many = count_queries()
    assert many == few


# --- the detail page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_people"),
    [
        ("requester", True),  # the hospital's own admin
        ("coordinator", True),
        ("outsider", False),
        ("expert", False),
        ("umbrella", False),
    ],
)
def test_detail_shows_people_only_to_own_people_and_coordinators(
    personas, client_for, persona, sees_people
):
    response = client_for(persona).get(f"/organisations/{personas.hospital.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ziekenhuis Noorderlicht" in page
    assert "Groningen" in page
    assert ("ciso@noorderlicht.test" in page) == sees_people
    assert ("Ruud Requester" in page) == sees_people


def test_plain_member_sees_colleagues_but_no_management(personas, client_for):
    page = client_for("expert").get(f"/organisations/{personas.member_company.pk}/")
    content = page.content.decode()
    assert "admin@veilignetwerk.test" in content
    assert "expert@veilignetwerk.test" in content
    assert "Edit organisation" not in content
    assert "Add a person" not in content


def test_detail_of_unknown_organisation_is_404(personas, client_for):
    assert client_for("coordinator").get("/organisations/999999/").status_code == 404


# --- editing -------------------------------------------------------------------------


def test_admin_edits_profile_and_declared_clients(personas, client_for):
    company = personas.member_company
    response = client_for("member_admin").post(
        f"/organisations/{company.pk}/edit/",
        {
            "name": "Veilig Netwerk Nederland B.V.",
            "city": "Amersfoort",
            "website": "https://veilignetwerk.example",
            "description": "Netwerkbeveiliging voor de zorg.",
            "clients": [personas.hospital.pk, personas.umbrella_org.pk],
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/organisations/{company.pk}/", 302)]
    page = response.content.decode()
    assert "The organisation is saved." in page
    assert "Veilig Netwerk Nederland B.V." not in page
    assert "Amersfoort" in page
    assert "https://veilignetwerk.example" in page
    after = snapshot(company)
    # Admins do not rename: coordinators name organisations in recipient lists.
    assert after["name"] == "Veilig Netwerk B.V."
    assert after["city"] == "Amersfoort"
    assert after["website"] == "https://veilignetwerk.example"
    assert after["description"] == "Netwerkbeveiliging voor de zorg."
    assert after["clients"] == sorted([personas.hospital.pk, personas.umbrella_org.pk])
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.actor == personas.member_admin
    assert event.object_id == str(company.pk)
    assert set(event.data["changed"]) == {"city", "website", "description", "clients"}


def test_coordinator_renames_an_organisation(personas, client_for):
    company = personas.member_company
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/edit/",
        {
            "name": "  Veilig Netwerk Nederland B.V. ",
            "kind": company.kind,
            "city": "Amersfoort",
            "website": "https://veilignetwerk.example",
            "description": "Netwerkbeveiliging voor de zorg.",
            "clients": [personas.hospital.pk],
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/organisations/{company.pk}/", 302)]
    page = response.content.decode()
    assert "The organisation is saved." in page
    assert "Veilig Netwerk Nederland B.V." in page
    assert "Amersfoort" in page
    after = snapshot(company)
    assert after["name"] == "Veilig Netwerk Nederland B.V."
    assert after["kind"] == OrganisationKind.MEMBER_COMPANY
    assert after["city"] == "Amersfoort"
    assert after["website"] == "https://veilignetwerk.example"
    assert after["description"] == "Netwerkbeveiliging voor de zorg."
    assert after["clients"] == [personas.hospital.pk]
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.actor == personas.coordinator
    assert event.object_id == str(company.pk)
    assert set(event.data["changed"]) == {"name", "city", "website", "description"}


def test_admin_form_has_no_name_kind_umbrella_or_vetting(personas, client_for):
    page = client_for("requester").get(f"/organisations/{personas.hospital.pk}/edit/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="city"' in content
    assert 'name="clients"' in content
    for field in ("name", "kind", "umbrella", "vetted"):
        assert f'name="{field}"' not in content
    # The coordinator's form for the same organisation has them, except the vetting.
    page = client_for("coordinator").get(f"/organisations/{personas.hospital.pk}/edit/")
    assert page.status_code == 200
    content = page.content.decode()
    for field in ("name", "kind", "city", "umbrella", "clients"):
        assert f'name="{field}"' in content
    assert 'name="vetted"' not in content


def test_forged_name_kind_umbrella_and_vetting_are_ignored_for_admins(personas, client_for):
    hospital = personas.hospital
    before = snapshot(hospital)
    response = client_for("requester").post(
        f"/organisations/{hospital.pk}/edit/",
        {
            "name": "Veilig Netwerk B.V.",
            "city": "Groningen",
            "website": "",
            "description": "",
            "kind": "member_company",
            "umbrella": "",
            "vetted": "",
        },
    )
    assert response.status_code == 302
    after = snapshot(hospital)
    assert after["name"] == "Ziekenhuis Noorderlicht"
    assert after["kind"] == OrganisationKind.HOSPITAL
    assert after["umbrella_id"] == personas.umbrella_org.pk
    assert after["vetted_at"] == before["vetted_at"] is not None
    assert after == before


def test_plain_member_may_not_edit(personas, client_for):
    company = personas.member_company
    before = snapshot(company)
    client = client_for("expert")
    assert client.get(f"/organisations/{company.pk}/edit/").status_code == 403
    response = client.post(f"/organisations/{company.pk}/edit/", {"name": "Overgenomen"})
    assert response.status_code == 403
    assert snapshot(company) == before
    assert not AuditEvent.objects.filter(action="organisation.update").exists()


def test_outsider_may_not_edit_another_organisation(personas, client_for):
    before = snapshot(personas.hospital)
    response = client_for("outsider").post(
        f"/organisations/{personas.hospital.pk}/edit/", {"name": "Gekaapt"}
    )
    assert response.status_code == 403
    assert snapshot(personas.hospital) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"website": "niet een adres"}, "Enter a valid URL."),
        ({"website": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"city": "c" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
        ({"clients": ["999999"]}, "Select a valid choice."),
        ({"clients": ["not-a-number"]}, "is not a valid value."),
    ],
)
def test_bad_edit_input_is_refused_and_changes_nothing(personas, client_for, change, message):
    company = personas.member_company
    before = snapshot(company)
    data = {
        "name": "Nieuwe naam",
        "city": "Nieuwe stad",
        "website": "https://nieuw.example",
        "description": "Nieuw",
        "clients": [personas.hospital.pk],
    } | change
    response = client_for("member_admin").post(f"/organisations/{company.pk}/edit/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(company) == before
    assert not AuditEvent.objects.filter(action="organisation.update").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters (it has 201)."),
        ({"kind": "pirates"}, "Select a valid choice. pirates is not one of"),
        ({"kind": ""}, "This field is required."),
        ({"website": "niet een adres"}, "Enter a valid URL."),
        ({"clients": ["999999"]}, "Select a valid choice."),
    ],
)
def test_bad_coordinator_edit_input_is_refused_and_changes_nothing(
    personas, client_for, change, message
):
    company = personas.member_company
    before = snapshot(company)
    data = {
        "name": "Nieuwe naam",
        "kind": OrganisationKind.CARE,
        "city": "Nieuwe stad",
        "website": "https://nieuw.example",
        "description": "Nieuw",
        "clients": [personas.hospital.pk],
    } | change
    response = client_for("coordinator").post(f"/organisations/{company.pk}/edit/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(company) == before
    assert not AuditEvent.objects.filter(action="organisation.update").exists()


def test_declaring_an_unvetted_organisation_as_client_is_refused(personas, client_for):
    """A declared client widens TLP:AMBER: only approved organisations qualify."""
    _, unvetted = unvetted_person()
    company = personas.member_company
    before = snapshot(company)
    for persona in ("member_admin", "coordinator"):
        client = client_for(persona)
        form = client.get(f"/organisations/{company.pk}/edit/").content.decode()
        assert "Ziekenhuis Noorderlicht" in form
        assert "Nieuwe Zorg Stichting" not in form
        data = {"city": "Utrecht", "clients": [personas.hospital.pk, unvetted.pk]}
        if persona == "coordinator":
            data |= {"name": company.name, "kind": company.kind}
        response = client.post(f"/organisations/{company.pk}/edit/", data)
        assert response.status_code == 200
        assert (
            f"Select a valid choice. {unvetted.pk} is not one of the available choices."
            in response.content.decode()
        )
        assert snapshot(company) == before
    assert not AuditEvent.objects.filter(action="organisation.update").exists()


def test_declaring_itself_as_client_is_refused(personas, client_for):
    company = personas.member_company
    before = snapshot(company)
    for persona in ("member_admin", "coordinator"):
        data = {"name": company.name, "city": "Utrecht", "clients": [company.pk]}
        if persona == "coordinator":
            data |= {"kind": company.kind}
        response = client_for(persona).post(f"/organisations/{company.pk}/edit/", data)
        assert response.status_code == 200
        assert (
            f"Select a valid choice. {company.pk} is not one of the available choices."
            in response.content.decode()
        )
        assert snapshot(company) == before
    # The service refuses it too, whatever form calls it.
    from django.core.exceptions import ValidationError

    from ttc.members.services import organisation_update

    with pytest.raises(ValidationError, match="cannot be its own client"):
        organisation_update(actor=personas.member_admin, organisation=company, clients=[company])
    assert snapshot(company) == before


def test_admin_calling_the_service_with_coordinator_fields_is_refused(personas):
    from django.core.exceptions import PermissionDenied

    from ttc.members.services import organisation_update

    before = snapshot(personas.hospital)
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=personas.requester,
            organisation=personas.hospital,
            clients=[],
            kind=OrganisationKind.MEMBER_COMPANY,
        )
    assert snapshot(personas.hospital) == before


def test_coordinator_changes_kind_and_umbrella_but_not_the_status(personas, client_for):
    company = personas.other_company
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/edit/",
        {
            "name": company.name,
            "kind": "care",
            "umbrella": personas.umbrella_org.pk,
            "status": "suspended",
            "vetted": "",
        },
    )
    assert response.status_code == 302
    after = snapshot(company)
    assert after["kind"] == "care"
    assert after["umbrella_id"] == personas.umbrella_org.pk
    # The status moves only through the vetting workflow, never through this form.
    assert after["status"] == "approved"
    assert after["vetted_at"] is not None


# --- creating ------------------------------------------------------------------------


def test_coordinator_creates_a_vetted_organisation(personas, client_for):
    response = client_for("coordinator").post(
        "/organisations/new/",
        {
            "name": "GGD Drenthe",
            "kind": "ggd",
            "city": "Assen",
            "website": "https://ggd-drenthe.example",
            "description": "",
            "umbrella": "",
            "clients": [],
            "verified": "on",
        },
        follow=True,
    )
    organisation = Organisation.objects.get(name="GGD Drenthe")
    assert response.redirect_chain == [(f"/organisations/{organisation.pk}/", 302)]
    page = response.content.decode()
    assert "The organisation is added." in page
    assert "member since" in page
    assert organisation.kind == "ggd"
    assert organisation.city == "Assen"
    assert organisation.is_vetted
    event = AuditEvent.objects.get(action="organisation.create")
    assert event.actor == personas.coordinator
    assert event.object_id == str(organisation.pk)


def test_coordinator_creates_an_unvetted_organisation(personas, client_for):
    response = client_for("coordinator").post(
        "/organisations/new/", {"name": "Gemeente Emmen", "kind": "municipality"}, follow=True
    )
    assert "Applied" in response.content.decode()
    assert Organisation.objects.get(name="Gemeente Emmen").vetted_at is None


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "outsider"])
def test_only_coordinators_create_organisations(personas, client_for, persona):
    client = client_for(persona)
    assert client.get("/organisations/new/").status_code == 403
    response = client.post("/organisations/new/", {"name": "Sluiproute", "kind": "care"})
    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Sluiproute").exists()
    assert "Add an organisation" not in client.get("/organisations/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "care"}, "This field is required."),
        ({"name": "x" * 201, "kind": "care"}, "at most 200 characters (it has 201)"),
        ({"name": "Ok", "kind": "care", "website": "geen url"}, "Enter a valid URL."),
        ({"name": "Ok", "kind": "pirates"}, "Select a valid choice. pirates is not one of"),
        ({"name": "Ok", "kind": ""}, "This field is required."),
    ],
)
def test_bad_new_organisation_is_refused(personas, client_for, data, message):
    count = Organisation.objects.count()
    response = client_for("coordinator").post("/organisations/new/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organisation.objects.count() == count
    assert not AuditEvent.objects.filter(action="organisation.create").exists()


def test_an_umbrella_must_be_an_umbrella_organisation(personas, client_for):
    count = Organisation.objects.count()
    response = client_for("coordinator").post(
        "/organisations/new/",
        {"name": "Ok", "kind": "care", "umbrella": personas.hospital.pk},
    )
    assert "Select a valid choice." in response.content.decode()
    assert Organisation.objects.count() == count


# --- memberships ---------------------------------------------------------------------


def test_coordinator_adds_a_person_by_email(personas, client_for):
    company = personas.member_company
    newcomer = make_user("nieuw@veilignetwerk.test", full_name="Noor Nieuw")
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/people/",
        {"email": "  Nieuw@VeiligNetwerk.test ", "role": "member"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/organisations/{company.pk}/", 302)]
    page = response.content.decode()
    assert "The person is added." in page
    assert "nieuw@veilignetwerk.test" in page
    assert Membership.objects.get(user=newcomer, organisation=company).role == "member"
    event = AuditEvent.objects.get(action="membership.add")
    assert event.actor == personas.coordinator
    assert event.object_type == "members.organisation"
    assert event.object_id == str(company.pk)
    assert event.data == {"user": newcomer.pk, "role": "member"}


def test_an_admin_cannot_add_people_directly(personas, client_for):
    """Admins invite; nobody is put into an organisation without consent."""
    company = personas.member_company
    make_user("nieuw@veilignetwerk.test")
    before = memberships(company)
    response = client_for("member_admin").post(
        f"/organisations/{company.pk}/people/",
        {"email": "nieuw@veilignetwerk.test", "role": "member"},
    )
    assert response.status_code == 403
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_an_admin_calling_the_add_service_is_refused(personas):
    from django.core.exceptions import PermissionDenied

    from ttc.members.services import membership_add

    company = personas.member_company
    newcomer = make_user("nieuw@veilignetwerk.test")
    before = memberships(company)
    with pytest.raises(PermissionDenied):
        membership_add(
            actor=personas.member_admin, organisation=company, person=newcomer, role="member"
        )
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_the_add_form_is_shown_to_coordinators_only(personas, client_for):
    url = f"/organisations/{personas.member_company.pk}/"
    admin_page = client_for("member_admin").get(url).content.decode()
    assert "Edit organisation" in admin_page
    assert "admin@veilignetwerk.test" in admin_page
    assert "Add a person" not in admin_page
    assert f'action="{url}people/"' not in admin_page
    coordinator_page = client_for("coordinator").get(url).content.decode()
    assert "Add a person" in coordinator_page
    assert f'action="{url}people/"' in coordinator_page


def test_adding_an_unknown_email_is_refused(personas, client_for):
    company = personas.member_company
    before = memberships(company)
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/people/",
        {"email": "onbekend@nergens.test", "role": "member"},
        follow=True,
    )
    assert (
        "No one on the platform has this address. Ask them to sign up first."
        in response.content.decode()
    )
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "geen-adres", "role": "member"}, "Enter a valid email address."),
        ({"email": "", "role": "member"}, "This field is required."),
        ({"email": "dev@anderesoftware.test", "role": "owner"}, "Select a valid choice."),
    ],
)
def test_adding_with_bad_input_is_refused(personas, client_for, data, message):
    company = personas.member_company
    before = memberships(company)
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/people/", data, follow=True
    )
    assert message in response.content.decode()
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_adding_someone_who_already_belongs_is_refused(personas, client_for):
    company = personas.member_company
    before = memberships(company)
    response = client_for("coordinator").post(
        f"/organisations/{company.pk}/people/",
        {"email": "expert@veilignetwerk.test", "role": "admin"},
        follow=True,
    )
    assert (
        "expert@veilignetwerk.test already belongs to Veilig Netwerk B.V."
        in response.content.decode()
    )
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_plain_member_and_outsider_may_not_add_people(personas, client_for):
    company = personas.member_company
    before = memberships(company)
    for persona in ("expert", "outsider"):
        response = client_for(persona).post(
            f"/organisations/{company.pk}/people/",
            {"email": "info@zorgkoepel.test", "role": "admin"},
        )
        assert response.status_code == 403
    assert memberships(company) == before


def test_admin_changes_a_role(personas, client_for):
    company = personas.member_company
    membership = Membership.objects.get(user=personas.expert, organisation=company)
    response = client_for("member_admin").post(
        f"/organisations/{company.pk}/people/{membership.pk}/role/", {"role": "admin"}, follow=True
    )
    assert "The role is changed." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"
    event = AuditEvent.objects.get(action="membership.role")
    assert event.actor == personas.member_admin
    assert event.data == {"user": personas.expert.pk, "role": "admin"}

    # Now that there are two admins, the first may step down.
    own = Membership.objects.get(user=personas.member_admin, organisation=company)
    client_for("member_admin").post(
        f"/organisations/{company.pk}/people/{own.pk}/role/", {"role": "member"}
    )
    own.refresh_from_db()
    assert own.role == "member"
    assert AuditEvent.objects.filter(action="membership.role").count() == 2


def test_setting_the_same_role_writes_no_event(personas, client_for):
    company = personas.member_company
    membership = Membership.objects.get(user=personas.expert, organisation=company)
    client_for("member_admin").post(
        f"/organisations/{company.pk}/people/{membership.pk}/role/", {"role": "member"}
    )
    assert not AuditEvent.objects.exists()


def test_an_unknown_role_is_refused(personas, client_for):
    company = personas.member_company
    membership = Membership.objects.get(user=personas.expert, organisation=company)
    response = client_for("member_admin").post(
        f"/organisations/{company.pk}/people/{membership.pk}/role/", {"role": "god"}, follow=True
    )
    assert "Choose a valid role." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "member"
    assert not AuditEvent.objects.exists()


def test_admin_removes_a_person(personas, client_for):
    company = personas.member_company
    membership = Membership.objects.get(user=personas.expert, organisation=company)
    response = client_for("member_admin").post(
        f"/organisations/{company.pk}/people/{membership.pk}/remove/", follow=True
    )
    page = response.content.decode()
    assert "The person is removed from the organisation." in page
    assert "expert@veilignetwerk.test" not in page
    assert memberships(company) == {("admin@veilignetwerk.test", "admin")}
    event = AuditEvent.objects.get(action="membership.remove")
    assert event.actor == personas.member_admin
    assert event.object_id == str(company.pk)
    assert event.data == {"user": personas.expert.pk}
    assert "expert@veilignetwerk.test" in event.summary


def test_the_last_admin_cannot_be_removed_or_demoted(personas, client_for):
    company = personas.member_company
    before = memberships(company)
    last_admin = Membership.objects.get(user=personas.member_admin, organisation=company)
    for client in (client_for("member_admin"), client_for("coordinator")):
        removed = client.post(
            f"/organisations/{company.pk}/people/{last_admin.pk}/remove/", follow=True
        )
        assert "An organisation keeps at least one admin." in removed.content.decode()
        demoted = client.post(
            f"/organisations/{company.pk}/people/{last_admin.pk}/role/",
            {"role": "member"},
            follow=True,
        )
        assert "An organisation keeps at least one admin." in demoted.content.decode()
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_membership_of_another_organisation_is_not_reachable(personas, client_for):
    """An admin cannot reach a membership of another organisation through their own."""
    hospital_membership = Membership.objects.get(user=personas.requester)
    company = personas.member_company
    client = client_for("member_admin")
    response = client.post(f"/organisations/{company.pk}/people/{hospital_membership.pk}/remove/")
    assert response.status_code == 404
    response = client.post(
        f"/organisations/{company.pk}/people/{hospital_membership.pk}/role/", {"role": "member"}
    )
    assert response.status_code == 404
    hospital_membership.refresh_from_db()
    assert hospital_membership.role == "admin"


def test_plain_member_may_not_change_roles_or_remove(personas, client_for):
    company = personas.member_company
    before = memberships(company)
    admin = Membership.objects.get(user=personas.member_admin, organisation=company)
    client = client_for("expert")
    assert client.post(f"/organisations/{company.pk}/people/{admin.pk}/remove/").status_code == 403
    response = client.post(
        f"/organisations/{company.pk}/people/{admin.pk}/role/", {"role": "member"}
    )
    assert response.status_code == 403
    assert memberships(company) == before


def test_membership_changes_need_post(personas, client_for):
    company = personas.member_company
    membership = Membership.objects.get(user=personas.expert, organisation=company)
    before = memberships(company)
    assert client_for("coordinator").get(f"/organisations/{company.pk}/people/").status_code == 405
    client = client_for("member_admin")
    # Adding is the coordinators' alone, whatever the method.
    assert client.get(f"/organisations/{company.pk}/people/").status_code == 403
    assert (
        client.get(f"/organisations/{company.pk}/people/{membership.pk}/remove/").status_code == 405
    )
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_saving_without_changes_records_no_changes(personas, client_for):
    company = personas.member_company
    client_for("member_admin").post(
        f"/organisations/{company.pk}/edit/",
        {"name": company.name, "city": company.city, "clients": [personas.hospital.pk]},
    )
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.data == {"changed": []}
    assert event.summary.endswith("no changes")


def test_unvetted_admin_edit_form_lists_no_other_organisations(personas):
    person, organisation = unvetted_person()
    client = Client()
    client.force_login(person)
    page = client.get(f"/organisations/{organisation.pk}/edit/").content.decode()
    assert 'name="clients"' in page
    for name in ("Veilig Netwerk B.V.", "Ziekenhuis Noorderlicht", "Andere Software B.V."):
        assert name not in page
    # Nor can they declare an organisation they cannot see as a client.
    before = snapshot(organisation)
    response = client.post(
        f"/organisations/{organisation.pk}/edit/",
        {"name": organisation.name, "clients": [personas.hospital.pk]},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert snapshot(organisation) == before


def test_unvetted_admin_keeps_clients_a_coordinator_declared(personas):
    person, organisation = unvetted_person()
    organisation.clients.add(personas.hospital)
    client = Client()
    client.force_login(person)
    response = client.post(
        f"/organisations/{organisation.pk}/edit/",
        {"name": organisation.name, "city": "Kampen", "clients": [personas.hospital.pk]},
    )
    assert response.status_code == 302
    after = snapshot(organisation)
    assert after["city"] == "Kampen"
    assert after["clients"] == [personas.hospital.pk]


def test_an_inactive_or_deleted_account_cannot_be_added(personas, client_for):
    from django.utils import timezone

    company = personas.member_company
    make_user("weg@elders.test", is_active=False)
    make_user("verwijderd@elders.test", deleted_at=timezone.now())
    before = memberships(company)
    for email in ("weg@elders.test", "verwijderd@elders.test"):
        response = client_for("coordinator").post(
            f"/organisations/{company.pk}/people/", {"email": email, "role": "member"}, follow=True
        )
        assert "No one on the platform has this address." in response.content.decode()
    assert memberships(company) == before
    assert not AuditEvent.objects.exists()


def test_related_organisations_are_named_only_to_who_may_see_them(personas, client_for):
    """A person of an unvetted organisation sees only their own organisation: its page
    and the API do not name the clients or the umbrella a coordinator set for it."""
    person, organisation = unvetted_person()
    organisation.clients.add(personas.hospital)
    organisation.umbrella = personas.umbrella_org
    organisation.save(update_fields=["umbrella"])
    client = Client()
    client.force_login(person)

    page = client.get(f"/organisations/{organisation.pk}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Nieuwe Zorg Stichting" in content
    assert "Ziekenhuis Noorderlicht" not in content
    assert "Zorgkoepel Nederland" not in content
    assert f"/organisations/{personas.umbrella_org.pk}/" not in content

    api = client.get(f"/api/v1/organisations/{organisation.pk}")
    assert api.status_code == 200
    assert api.json()["client_ids"] == []
    assert api.json()["umbrella_id"] is None
    assert "Ziekenhuis Noorderlicht" not in api.content.decode()

    # Who may see them, sees them named.
    content = client_for("coordinator").get(f"/organisations/{organisation.pk}/").content.decode()
    assert "Ziekenhuis Noorderlicht" in content
    assert "Zorgkoepel Nederland" in content
    api = client_for("coordinator").get(f"/api/v1/organisations/{organisation.pk}").json()
    assert api["client_ids"] == [personas.hospital.pk]
    assert api["umbrella_id"] == personas.umbrella_org.pk
