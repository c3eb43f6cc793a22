"""Applying to join, through the pages an applicant uses (ttc/members/apply_*):
companies, independent experts and public parties; the applicant's own
membership page, where they follow the review and may withdraw."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import Notification
from ttc.core.testing import make_user, promote_coordinator
from ttc.members import vetting
from ttc.members.consents import CHATHAM_HOUSE_TEXT, CHATHAM_HOUSE_VERSION, PLEDGE_TEXT
from ttc.members.models import (
    Application,
    CodeOfConduct,
    Consent,
    ExpertProfile,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Skill,
    TaxStatement,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english_and_private_media(personas, settings, tmp_path):
    """Assert on the English texts; uploaded files go to a throw-away folder."""
    User.objects.update(preferred_language="en")
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def applicant() -> User:
    return make_user("anna@nieuwbedrijf.test", full_name="Anna Aanvrager", preferred_language="en")


@pytest.fixture
def applicant_client(applicant) -> Client:
    client = Client()
    client.force_login(applicant)
    return client


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def skill(name_en: str) -> Skill:
    return Skill.objects.get(name_en=name_en)


def pdf(content: bytes = PDF, name: str = "verklaring.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def company_post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Nieuw Bedrijf B.V.",
        "kvk_number": "12345678",
        "establishment_number": "000012345678",
        "street": "Oudegracht 1",
        "postcode": "3511 AB",
        "city": "Utrecht",
        "website": "https://nieuwbedrijf.test",
        "description": "We build secure hospital networks.",
        "vat_number": "NL000099998B57",
        "tax_statement": pdf(),
        "tax_statement_date": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "privacy_statement": "We keep personal data in the EU and delete it after the job.",
        "privacy_policy_url": "https://nieuwbedrijf.test/privacy",
        "signs_processor_agreement": "on",
        "expertise": [str(skill("Security").pk), str(skill("Incident response").pk)],
        "capacity_hours": "40",
        "regions": ["utrecht", "noord-holland"],
        "languages": ["nl", "en"],
        "accept_code": "on",
        "accept_chatham_house": "on",
        "accept_pledge": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def independent_post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ilse Independent",
        "city": "Zwolle",
        "website": "",
        "description": "Twenty years of network engineering in care.",
        "vog_date": (timezone.localdate() - timedelta(days=100)).isoformat(),
        "expertise": [str(skill("Network management").pk), str(skill("Privacy").pk)],
        "skill_level": "3",
        "capacity_hours": "8",
        "regions": ["overijssel", "drenthe"],
        "languages": ["nl"],
        "privacy_statement": "I work only on the client's own systems.",
        "privacy_policy_url": "",
        "accept_code": "on",
        "accept_chatham_house": "on",
        "accept_pledge": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored() -> dict[str, int]:
    """How many rows an application can create: none may appear on failure."""
    return {
        "organisations": Organisation.objects.count(),
        "memberships": Membership.objects.count(),
        "applications": Application.objects.count(),
        "tax_statements": TaxStatement.objects.count(),
        "consents": Consent.objects.count(),
        "expert_profiles": ExpertProfile.objects.count(),
        "expert_skills": ExpertSkill.objects.count(),
    }


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- the way in -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/apply/", "/apply/company/", "/apply/independent/", "/apply/public/"]
)
def test_signed_out_visitors_log_in_first_and_come_back(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_way_in_explains_the_three_routes(applicant_client):
    page = page_text(applicant_client.get("/apply/"))
    assert "Join TechTegenCorona" in page
    for link in ('href="/apply/company/"', 'href="/apply/independent/"', 'href="/apply/public/"'):
        assert link in page


def test_company_form_shows_the_texts_to_agree_to(applicant_client):
    code = CodeOfConduct.objects.current()
    assert code is not None
    page = page_text(applicant_client.get("/apply/company/"))
    assert f"The current Code of Conduct is version {code.version}." in page
    assert 'href="/code-of-conduct/"' in page
    assert str(CHATHAM_HOUSE_TEXT) in page
    assert str(PLEDGE_TEXT) in page
    # Three separate consents, each its own checkbox.
    for name in ("accept_code", "accept_chatham_house", "accept_pledge"):
        assert f'name="{name}"' in page
    # The taxonomy, grouped by area: the area itself and its sub-skills.
    assert "<legend>Security</legend>" in page
    assert "Security in general" in page
    assert "Incident response" in page


# --- a company applies ------------------------------------------------------------


def test_company_applies(applicant, applicant_client, personas, settings):
    response = applicant_client.post("/apply/company/", company_post())
    organisation = Organisation.objects.get(name="Nieuw Bedrijf B.V.")
    assert response.status_code == 302
    assert response["Location"] == f"/membership/{organisation.pk}/"

    assert organisation.kind == OrganisationKind.MEMBER_COMPANY
    assert organisation.status == MemberStatus.APPLIED
    assert (organisation.kvk_number, organisation.establishment_number) == (
        "12345678",
        "000012345678",
    )
    assert (organisation.street, organisation.postcode, organisation.city) == (
        "Oudegracht 1",
        "3511 AB",
        "Utrecht",
    )
    assert organisation.vat_number == "NL000099998B57"
    assert organisation.capacity_hours == 40
    assert organisation.regions == ["utrecht", "noord-holland"]
    assert organisation.languages == ["nl", "en"]
    assert set(organisation.expertise.values_list("name_en", flat=True)) == {
        "Security",
        "Incident response",
    }
    assert organisation.memberships.get().user == applicant
    assert organisation.memberships.get().role == "admin"

    application = organisation.application
    assert application.applicant == applicant
    assert application.signs_processor_agreement is True
    assert application.privacy_policy_url == "https://nieuwbedrijf.test/privacy"

    statement = organisation.tax_statements.get()
    assert statement.issued_on == timezone.localdate() - timedelta(days=30)
    with statement.file.open("rb") as handle:
        assert handle.read() == PDF
    # Stored privately under MEDIA_ROOT with a name that reveals nothing.
    assert "verklaring" not in statement.file.name

    code = CodeOfConduct.objects.current()
    assert code is not None
    consents = set(organisation.consents.values_list("kind", "version", "user"))
    assert consents == {
        (Consent.Kind.CODE_OF_CONDUCT, code.version, applicant.pk),
        (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION, applicant.pk),
        (Consent.Kind.PLEDGE, 1, applicant.pk),
    }

    # The applicant is told in the app and by e-mail; coordinators too.
    notification = Notification.objects.get(recipient=applicant)
    assert "We received the application of Nieuw Bedrijf B.V." in notification.title
    assert notification.url == f"/membership/{organisation.pk}/"
    assert any(
        applicant.email in message.to and "We received" in message.subject
        for message in mail.outbox
    )
    assert Notification.objects.filter(
        recipient=personas.coordinator, title__contains="New application"
    ).exists()

    page = page_text(applicant_client.get(response["Location"]))
    assert "Thank you. We received your application" in page
    assert "Status: Applied" in page
    assert "applied 0 days ago" in page
    assert f"Code of Conduct version {code.version} accepted" in page


def test_btw_number_may_be_left_empty(applicant_client):
    response = applicant_client.post("/apply/company/", company_post(vat_number=""))
    assert response.status_code == 302
    assert Organisation.objects.get(name="Nieuw Bedrijf B.V.").vat_number == ""


BAD_COMPANY_INPUT = [
    ({"kvk_number": "1234567"}, "A KvK number has 8 digits."),
    ({"kvk_number": "123456789"}, "A KvK number has 8 digits."),
    ({"kvk_number": "1234567a"}, "A KvK number has 8 digits."),
    (
        {"establishment_number": "12345678901"},
        "An establishment number (vestigingsnummer) has 12 digits.",
    ),
    ({"postcode": "SW1A 1AA"}, "“SW1A 1AA” is not a Dutch postcode (like 3511 AB)."),
    ({"postcode": "1012"}, "“1012” is not a Dutch postcode (like 3511 AB)."),
    (
        {"vat_number": "NL123456789B02"},
        "“NL123456789B02” is not a valid Dutch VAT identification number",
    ),
    ({"vat_number": "DE123456789"}, "is not a valid Dutch VAT identification number"),
    ({"tax_statement": pdf(b"MZ\x90\x00 not a pdf at all")}, "The file is not a PDF."),
    (
        {"tax_statement": pdf(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))},
        "The file is larger than 5 MB.",
    ),
    ({"tax_statement": None}, "Choose the PDF of your tax statement."),
    (
        {"tax_statement_date": (timezone.localdate() - timedelta(days=200)).isoformat()},
        "This statement is older than 6 months.",
    ),
    (
        {"tax_statement_date": (timezone.localdate() + timedelta(days=1)).isoformat()},
        "The statement's date is in the future.",
    ),
    ({"accept_code": None}, "Accept the Code of Conduct to apply."),
    ({"accept_chatham_house": None}, "Accept the Chatham House Rule to apply."),
    ({"accept_pledge": None}, "Make the pledge to apply."),
    ({"expertise": None}, "Choose at least one area of expertise."),
    ({"regions": None}, "Choose at least one province."),
    ({"regions": ["atlantis"]}, "Choose provinces from the list (atlantis is not one)."),
    ({"languages": None}, "Choose at least one language."),
    ({"capacity_hours": "0"}, "Offer at least 1 hour per week."),
    ({"capacity_hours": "401"}, "Offer at most 400 hours per week."),
    ({"name": ""}, "Give your organisation's name."),
    ({"street": ""}, "Give the establishment's street and number."),
    ({"privacy_statement": ""}, "Describe how you handle privacy and data."),
    ({"privacy_policy_url": "not a link"}, "Enter a valid URL."),
]


@pytest.mark.parametrize(
    ("changes", "message"),
    BAD_COMPANY_INPUT,
    ids=[f"{next(iter(changes))}-{i}" for i, (changes, _m) in enumerate(BAD_COMPANY_INPUT)],
)
def test_bad_company_input_gets_a_message_and_stores_nothing(
    applicant_client, settings, changes, message
):
    before = stored()
    response = applicant_client.post("/apply/company/", company_post(**changes))
    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert "Your application is not sent yet." in page
    assert stored() == before
    assert stored_files(settings) == []


def test_a_failed_submission_keeps_what_was_typed_and_asks_for_the_pdf_again(applicant_client):
    response = applicant_client.post(
        "/apply/company/", company_post(postcode="XX", tax_statement=pdf())
    )
    page = page_text(response)
    assert 'value="Nieuw Bedrijf B.V."' in page
    assert 'value="12345678"' in page
    assert 'value="XX"' in page
    assert "We keep personal data in the EU" in page
    assert f'value="{skill("Incident response").pk}" ' in page
    assert 'value="noord-holland"' in page
    # The checked boxes stay checked.
    security = skill("Security").pk
    assert f'name="expertise" value="{security}" id="id_expertise_' in page
    checked = page.split(f'value="{security}"')[1].split(">")[0]
    assert "checked" in checked
    # A browser cannot fill in a file again: the form says so next to the file.
    assert "Choose the PDF again before you submit." in page


def test_the_service_is_atomic_a_late_failure_leaves_nothing(
    applicant_client, monkeypatch, settings
):
    """A failure after the organisation was created leaves no organisation,
    membership, application, tax statement or consent behind."""

    def fail(**kwargs: Any) -> None:
        raise ValidationError("The consents could not be recorded.")

    monkeypatch.setattr(vetting, "_record_consents", fail)
    before = stored()
    response = applicant_client.post("/apply/company/", company_post())
    assert response.status_code == 200
    page = page_text(response)
    assert "The consents could not be recorded." in page
    assert "Choose the PDF again before you submit." in page
    assert stored() == before
    assert stored_files(settings) == []


def test_a_double_submit_is_refused(applicant_client, personas):
    assert applicant_client.post("/apply/company/", company_post()).status_code == 302
    before = stored()
    other = Client()
    other.force_login(personas.outsider)
    for client in (applicant_client, other):
        response = client.post(
            "/apply/company/",
            company_post(name="Nieuw Bedrijf (nog een keer)", kvk_number="1234 5678"),
        )
        assert response.status_code == 200
        assert "This establishment (same KvK and establishment number) has already applied" in (
            page_text(response)
        )
    assert stored() == before


def test_the_service_refuses_a_double_submit_too(applicant):
    data = vetting.ApplicationData(
        name="Dubbel B.V.",
        kind=OrganisationKind.MEMBER_COMPANY,
        city="Utrecht",
        kvk_number="87654321",
        establishment_number="000087654321",
        tax_statement=pdf(),
        tax_statement_date=timezone.localdate(),
        expertise=[skill("Security")],
        regions=["utrecht"],
        languages=["nl"],
        capacity_hours=4,
    )
    vetting.application_submit(applicant=applicant, data=data)
    before = stored()
    with pytest.raises(ValidationError, match="has already applied"):
        vetting.application_submit(applicant=applicant, data=data)
    assert stored() == before


@pytest.mark.parametrize("status", [MemberStatus.REJECTED, MemberStatus.WITHDRAWN])
def test_after_a_rejection_or_withdrawal_the_company_may_apply_again(applicant_client, status):
    assert applicant_client.post("/apply/company/", company_post()).status_code == 302
    Organisation.objects.filter(name="Nieuw Bedrijf B.V.").update(status=status)
    response = applicant_client.post("/apply/company/", company_post())
    assert response.status_code == 302
    assert Organisation.objects.filter(kvk_number="12345678").count() == 2


# --- an independent expert applies ------------------------------------------------------


def test_independent_expert_applies(applicant, applicant_client):
    form_page = page_text(applicant_client.get("/apply/independent/"))
    assert 'value="Anna Aanvrager"' in form_page  # their own name, to start with
    assert 'name="kvk_number"' not in form_page
    assert 'name="tax_statement"' not in form_page

    response = applicant_client.post("/apply/independent/", independent_post())
    organisation = Organisation.objects.get(name="Ilse Independent")
    assert response.status_code == 302
    assert response["Location"] == f"/membership/{organisation.pk}/"
    assert organisation.kind == OrganisationKind.INDEPENDENT_EXPERT
    assert organisation.status == MemberStatus.APPLIED
    assert organisation.kvk_number == ""
    assert not organisation.tax_statements.exists()
    assert organisation.capacity_hours == 8
    assert organisation.memberships.get().user == applicant

    profile = ExpertProfile.objects.get(user=applicant)
    assert profile.vog_date == timezone.localdate() - timedelta(days=100)
    assert profile.hours_per_week == 8
    assert profile.region == "overijssel"
    assert profile.languages == ["nl"]
    assert set(applicant.skills.values_list("skill__name_en", "level")) == {
        ("Network management", 3),
        ("Privacy", 3),
    }
    code = CodeOfConduct.objects.current()
    assert code is not None
    assert organisation.consents.count() == 3
    personal = set(
        Consent.objects.filter(user=applicant, organisation=None).values_list("kind", "version")
    )
    assert personal == {
        (Consent.Kind.CODE_OF_CONDUCT, code.version),
        (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION),
    }


def test_independent_expert_without_vog(applicant, applicant_client):
    response = applicant_client.post("/apply/independent/", independent_post(vog_date=""))
    assert response.status_code == 302
    assert ExpertProfile.objects.get(user=applicant).vog_date is None


BAD_INDEPENDENT_INPUT = [
    (
        {"vog_date": (timezone.localdate() + timedelta(days=3)).isoformat()},
        "The VOG's date is in the future.",
    ),
    ({"vog_date": "someday"}, "Give a valid date."),
    ({"expertise": None}, "Choose at least one area of expertise."),
    ({"regions": None}, "Choose at least one province."),
    ({"languages": None}, "Choose at least one language."),
    ({"capacity_hours": "0"}, "Offer at least 1 hour per week."),
    ({"accept_pledge": None}, "Make the pledge to apply."),
    ({"accept_code": None}, "Accept the Code of Conduct to apply."),
    ({"name": ""}, "Give your full name."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INDEPENDENT_INPUT)
def test_bad_independent_input_gets_a_message_and_stores_nothing(
    applicant_client, changes, message
):
    before = stored()
    response = applicant_client.post("/apply/independent/", independent_post(**changes))
    assert response.status_code == 200
    assert message in page_text(response)
    assert stored() == before


# --- a public party registers -------------------------------------------------------------


def public_post(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Ziekenhuis Zuiderzon",
        "kind": OrganisationKind.HOSPITAL,
        "city": "Maastricht",
        "website": "https://zuiderzon.test",
        "agb_code": "06012345",
        "oin": "",
    }
    data.update(changes)
    return data


def test_public_party_registers(applicant, applicant_client, personas):
    response = applicant_client.post("/apply/public/", public_post())
    organisation = Organisation.objects.get(name="Ziekenhuis Zuiderzon")
    assert response.status_code == 302
    assert response["Location"] == f"/membership/{organisation.pk}/"
    assert organisation.kind == OrganisationKind.HOSPITAL
    assert organisation.status == MemberStatus.APPLIED
    assert organisation.agb_code == "06012345"
    assert organisation.memberships.get().user == applicant
    assert Notification.objects.filter(
        recipient=personas.coordinator, title__contains="New public party to verify"
    ).exists()
    page = page_text(applicant_client.get(response["Location"]))
    assert "A coordinator verifies your organisation." in page


def test_municipality_registers_with_its_oin(applicant_client):
    response = applicant_client.post(
        "/apply/public/",
        public_post(
            name="Gemeente Dorp",
            kind=OrganisationKind.MUNICIPALITY,
            agb_code="",
            oin="00000001001234567000",
        ),
    )
    assert response.status_code == 302
    assert Organisation.objects.get(name="Gemeente Dorp").oin == "00000001001234567000"


BAD_PUBLIC_INPUT = [
    (
        {"kind": OrganisationKind.MUNICIPALITY, "agb_code": "06012345"},
        "Only care providers (hospitals, care organisations and their umbrella organisations) "
        "have an AGB code.",
    ),
    (
        {"kind": OrganisationKind.HOSPITAL, "agb_code": "", "oin": "00000001001234567000"},
        "Only government bodies (GGDs, municipalities, ministries and other public bodies) "
        "have an OIN.",
    ),
    (
        {"kind": OrganisationKind.MINISTRY, "agb_code": "", "oin": "0000000100123456700"},
        "An OIN has 20 digits.",
    ),
    ({"agb_code": "0601234"}, "An AGB code has 8 digits."),
    ({"kind": OrganisationKind.MEMBER_COMPANY}, "Select a valid choice."),
    ({"kind": ""}, "Choose the kind of organisation."),
    ({"name": ""}, "Give your organisation's name."),
]


@pytest.mark.parametrize(("changes", "message"), BAD_PUBLIC_INPUT)
def test_bad_public_party_input_gets_a_message_and_stores_nothing(
    applicant_client, changes, message
):
    before = stored()
    response = applicant_client.post("/apply/public/", public_post(**changes))
    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert 'value="Maastricht"' in page
    assert stored() == before


# --- the membership page ------------------------------------------------------------


@pytest.fixture
def applied(applicant, applicant_client) -> Organisation:
    applicant_client.post("/apply/company/", company_post())
    return Organisation.objects.get(name="Nieuw Bedrijf B.V.")


def test_membership_page_is_for_the_organisations_own_people(
    applied, applicant_client, client_for, personas
):
    url = f"/membership/{applied.pk}/"
    assert applicant_client.get(url).status_code == 200
    assert client_for("coordinator").get(url).status_code == 200
    for name in ("member_admin", "expert", "requester", "outsider"):
        assert client_for(name).get(url).status_code == 404, name
    response = client_for("anonymous").get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # And the applicant cannot see another organisation's page.
    assert applicant_client.get(f"/membership/{personas.member_company.pk}/").status_code == 404
    assert applicant_client.get("/membership/999999/").status_code == 404


def test_an_expert_of_the_organisation_sees_the_page_but_cannot_withdraw(applied, applicant_client):
    colleague = make_user("collega@nieuwbedrijf.test", preferred_language="en")
    Membership.objects.create(user=colleague, organisation=applied, role="member")
    client = Client()
    client.force_login(colleague)
    page = page_text(client.get(f"/membership/{applied.pk}/"))
    assert "Status: Applied" in page
    assert "Withdraw your application" not in page
    response = client.post(f"/membership/{applied.pk}/withdraw/", {"confirm": "on"})
    assert response.status_code == 403
    assert Organisation.objects.get(pk=applied.pk).status == MemberStatus.APPLIED


def test_applicant_withdraws(applied, applicant_client, personas):
    url = f"/membership/{applied.pk}/"
    assert "Withdraw your application" in page_text(applicant_client.get(url))

    response = applicant_client.post(f"{url}withdraw/", {})
    assert response.status_code == 200
    assert "Tick the box to confirm that you withdraw." in page_text(response)
    assert Organisation.objects.get(pk=applied.pk).status == MemberStatus.APPLIED

    response = applicant_client.post(f"{url}withdraw/", {"confirm": "on"}, follow=True)
    page = page_text(response)
    assert "Nieuw Bedrijf B.V. is withdrawn." in page
    assert "Status: Withdrawn" in page
    assert "Withdraw your application" not in page
    assert Organisation.objects.get(pk=applied.pk).status == MemberStatus.WITHDRAWN
    assert Notification.objects.filter(
        recipient=personas.coordinator, title__contains="withdrew"
    ).exists()

    # Withdrawn is final: a second withdrawal is refused with the reason.
    response = applicant_client.post(f"{url}withdraw/", {"confirm": "on"}, follow=True)
    assert "Nieuw Bedrijf B.V. cannot go from “Withdrawn” to “Withdrawn”." in page_text(response)
    response = applicant_client.post(f"{url}withdraw/", {}, follow=True)
    assert "Nieuw Bedrijf B.V. cannot be withdrawn." in page_text(response)


def test_no_amend_form_without_a_question(applied, applicant_client):
    url = f"/membership/{applied.pk}/"
    assert "Answer the coordinators" not in page_text(applicant_client.get(url))
    response = applicant_client.post(f"{url}amend/", {"reply": "Hello"}, follow=True)
    assert "There is no question to answer." in page_text(response)
    assert not applied.application.messages.exists()


def test_a_coordinator_viewing_the_page_gets_no_applicant_actions(applied, client_for):
    coordinator = client_for("coordinator")
    page = page_text(coordinator.get(f"/membership/{applied.pk}/"))
    assert "Status: Applied" in page
    assert "Withdraw your application" not in page
    response = coordinator.post(f"/membership/{applied.pk}/withdraw/", {"confirm": "on"})
    assert response.status_code == 403


def test_a_coordinator_may_apply_like_anyone(personas):
    """Coordinators are people too; they simply cannot review their own application."""
    person = promote_coordinator(make_user("helper@ttc.test", preferred_language="en"))
    client = Client()
    client.force_login(person)
    response = client.post("/apply/company/", company_post())
    assert response.status_code == 302
