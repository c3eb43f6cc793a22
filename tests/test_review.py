"""The coordinators' review, through the pages they use (ttc/members/review_*):
the queue, the checklist, four eyes, questions and amendments, rejection,
public party verification, and the status machine's forbidden moves."""

from __future__ import annotations

import html
import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user, promote_coordinator
from ttc.members import vetting
from ttc.members.models import (
    TRANSITIONS,
    ChecklistMark,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    ReviewDecision,
    Skill,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english_and_private_media(personas, settings, tmp_path):
    User.objects.update(preferred_language="en")
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def second_coordinator(personas) -> User:
    return promote_coordinator(
        make_user("cees@ttc.test", full_name="Cees Coördinator", preferred_language="en")
    )


@pytest.fixture
def applicant(personas) -> User:
    return make_user("anna@nieuwbedrijf.test", full_name="Anna Aanvrager", preferred_language="en")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


_numbers = itertools.count(1)


def company_post(name: str = "Nieuw Bedrijf B.V.") -> dict[str, Any]:
    number = next(_numbers)
    return {
        "name": name,
        "kvk_number": f"{number:08d}",
        "establishment_number": f"{number:012d}",
        "street": "Oudegracht 1",
        "postcode": "3511 AB",
        "city": "Utrecht",
        "website": "https://nieuwbedrijf.test",
        "description": "We build secure hospital networks.",
        "vat_number": "",
        "tax_statement": SimpleUploadedFile("v.pdf", PDF, content_type="application/pdf"),
        "tax_statement_date": (timezone.localdate() - timedelta(days=10)).isoformat(),
        "privacy_statement": "Personal data stays in the EU.",
        "privacy_policy_url": "https://nieuwbedrijf.test/privacy",
        "expertise": [str(Skill.objects.get(name_en="Forensics").pk)],
        "capacity_hours": "16",
        "regions": ["utrecht"],
        "languages": ["nl"],
        "accept_code": "on",
        "accept_chatham_house": "on",
        "accept_pledge": "on",
    }


def apply_company(applicant: User, name: str = "Nieuw Bedrijf B.V.") -> Organisation:
    response = signed_in(applicant).post("/apply/company/", company_post(name))
    assert response.status_code == 302, page_text(response)
    return Organisation.objects.get(name=name)


def submit_directly(applicant: User, name: str) -> Organisation:
    """A quick application through the service, for volume."""
    number = next(_numbers)
    return vetting.application_submit(
        applicant=applicant,
        data=vetting.ApplicationData(
            name=name,
            kind=OrganisationKind.MEMBER_COMPANY,
            city="Utrecht",
            kvk_number=f"{number:08d}",
            establishment_number=f"{number:012d}",
            tax_statement=SimpleUploadedFile("v.pdf", PDF),
            tax_statement_date=timezone.localdate(),
            expertise=[Skill.objects.get(name_en="Forensics")],
            regions=["utrecht"],
            languages=["nl"],
            capacity_hours=8,
        ),
    )


def decide(client: Client, organisation: Organisation, decision: str, note: str = "") -> Any:
    return client.post(
        f"/vetting/{organisation.pk}/decide/", {"decision": decision, "note": note}, follow=True
    )


def status_of(organisation: Organisation) -> str:
    return Organisation.objects.get(pk=organisation.pk).status


def told(person: User, title_part: str) -> bool:
    """The person got both an in-app notification and an e-mail about it."""
    in_app = Notification.objects.filter(recipient=person, title__contains=title_part).exists()
    by_mail = any(
        person.email in message.to and title_part in message.subject for message in mail.outbox
    )
    return in_app and by_mail


# --- the whole way, through the pages ------------------------------------------------


def test_apply_and_be_approved_by_two_coordinators(personas, applicant, second_coordinator):
    organisation = apply_company(applicant)
    assert told(applicant, "We received the application of Nieuw Bedrijf B.V.")
    carla, cees = signed_in(personas.coordinator), signed_in(second_coordinator)

    queue = page_text(carla.get("/vetting/"))
    assert "Nieuw Bedrijf B.V." in queue
    assert "0 of 2" in queue

    review = page_text(carla.get(f"/vetting/{organisation.pk}/"))
    assert "Anna Aanvrager (anna@nieuwbedrijf.test)" in review
    assert organisation.kvk_number in review
    assert "Personal data stays in the EU." in review
    assert "Signs a processor agreement when handling personal data: no." in review
    assert "Forensics" in review
    assert ">Dutch<" in review
    assert "Pledge: the collective first, no sales from matches" in review
    assert f'href="/vetting/{organisation.pk}/tax-statement/"' in review
    criteria = list(organisation.application.code_of_conduct.criteria.all())
    assert criteria
    for criterion in criteria:
        assert criterion.text in review

    # The checklist: one mark per criterion.
    first = criteria[0]
    response = carla.post(
        f"/vetting/{organisation.pk}/criteria/{first.pk}/",
        {f"criterion-{first.pk}-value": "met", f"criterion-{first.pk}-note": "KvK checked"},
        follow=True,
    )
    assert "The assessment is saved." in page_text(response)
    mark = ChecklistMark.objects.get(application=organisation.application, criterion=first)
    assert (mark.value, mark.note, mark.marked_by) == ("met", "KvK checked", personas.coordinator)
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW
    assert told(applicant, "The review of Nieuw Bedrijf B.V. has started")

    response = decide(carla, organisation, "approve")
    page = page_text(response)
    assert "Your approval is recorded; another coordinator must approve too." in page
    assert "Approvals this round: 1 of 2" in page
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW
    assert told(second_coordinator, "Nieuw Bedrijf B.V. needs another approval")
    queue = page_text(cees.get("/vetting/"))
    assert "1 of 2" in queue
    assert "Not yet" in queue
    assert "You approved" in page_text(carla.get("/vetting/"))

    response = decide(cees, organisation, "approve")
    assert "Nieuw Bedrijf B.V. is approved and is now a member." in page_text(response)
    organisation = Organisation.objects.get(pk=organisation.pk)
    assert organisation.status == MemberStatus.APPROVED
    assert organisation.vetted_at is not None
    assert told(applicant, "Welcome to TechTegenCorona, Nieuw Bedrijf B.V.")
    assert "Nieuw Bedrijf B.V." not in page_text(carla.get("/vetting/"))

    membership_page = page_text(signed_in(applicant).get(f"/membership/{organisation.pk}/"))
    assert "Status: Approved" in membership_page
    assert "you are a member of TechTegenCorona" in membership_page
    # Every step is in the audit log.
    actions = set(
        AuditEvent.objects.filter(
            object_type="members.organisation", object_id=str(organisation.pk)
        ).values_list("action", flat=True)
    )
    assert {
        "membership.apply",
        "membership.under_review",
        "review.mark",
        "review.approve",
        "membership.approved",
    } <= actions


# --- four eyes -----------------------------------------------------------------------


def test_one_approval_is_not_enough_and_no_one_approves_twice(personas, applicant):
    organisation = apply_company(applicant)
    carla = signed_in(personas.coordinator)
    decide(carla, organisation, "approve")
    decisions = ReviewDecision.objects.count()

    response = decide(carla, organisation, "approve")
    assert response.status_code == 200
    assert "You approved this already; another coordinator must approve." in page_text(response)
    assert ReviewDecision.objects.count() == decisions
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW


def test_three_approvals_when_the_setting_says_three(
    personas, applicant, second_coordinator, settings
):
    settings.TTC_APPROVALS_REQUIRED = 3
    organisation = apply_company(applicant)
    third = promote_coordinator(make_user("dirk@ttc.test", preferred_language="en"))
    decide(signed_in(personas.coordinator), organisation, "approve")
    page = page_text(decide(signed_in(second_coordinator), organisation, "approve"))
    assert "Approvals this round: 2 of 3" in page
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW
    assert "2 of 3" in page_text(signed_in(third).get("/vetting/"))
    decide(signed_in(third), organisation, "approve")
    assert status_of(organisation) == MemberStatus.APPROVED


def test_a_coordinator_never_reviews_their_own_application(personas, applicant):
    organisation = apply_company(applicant)
    insider = promote_coordinator(make_user("insider@ttc.test", preferred_language="en"))
    Membership.objects.create(user=insider, organisation=organisation, role="member")
    client = signed_in(insider)
    assert "You belong to this organisation, so you cannot review it." in page_text(
        client.get(f"/vetting/{organisation.pk}/")
    )
    response = decide(client, organisation, "approve")
    assert response.status_code == 200
    assert "You cannot review an organisation you are or were part of." in page_text(response)
    assert not ReviewDecision.objects.exists()
    assert status_of(organisation) == MemberStatus.APPLIED


@pytest.mark.parametrize("decision", ["reject", "request_info"])
def test_rejecting_or_asking_needs_a_note(personas, applicant, decision):
    organisation = apply_company(applicant)
    response = decide(signed_in(personas.coordinator), organisation, decision, "")
    assert "Write the reason or the question for the applicant." in page_text(response)
    assert status_of(organisation) == MemberStatus.APPLIED
    assert not ReviewDecision.objects.exists()


def test_no_decision_without_a_choice(personas, applicant):
    organisation = apply_company(applicant)
    response = decide(signed_in(personas.coordinator), organisation, "", "")
    assert "Choose approve, reject or ask for more information." in page_text(response)
    assert status_of(organisation) == MemberStatus.APPLIED


# --- questions, amendments, rejection ---------------------------------------------------


def test_a_question_the_answer_and_a_new_round(personas, applicant, second_coordinator):
    organisation = apply_company(applicant)
    carla, cees = signed_in(personas.coordinator), signed_in(second_coordinator)
    decide(carla, organisation, "approve")
    response = decide(cees, organisation, "request_info", "Do you sign processor agreements?")
    assert "Your question is sent to Nieuw Bedrijf B.V." in page_text(response)
    assert status_of(organisation) == MemberStatus.INFO_REQUESTED
    assert told(applicant, "A question about the application of Nieuw Bedrijf B.V.")

    anna = signed_in(applicant)
    url = f"/membership/{organisation.pk}/"
    page = page_text(anna.get(url))
    assert "Status: More information requested" in page
    assert "Do you sign processor agreements?" in page
    assert "TTC coordinator" in page
    # Reviewers stay anonymous to the applicant.
    assert "Cees" not in page
    assert "Carla" not in page
    assert "Answer the coordinators" in page

    # The queue keeps showing it while the applicant answers; no decisions meanwhile.
    assert "More information requested" in page_text(carla.get("/vetting/"))
    response = decide(carla, organisation, "approve")
    assert "This application is not waiting for a decision" in page_text(response)

    # An answer is required.
    response = anna.post(f"{url}amend/", {"reply": "", "privacy_statement": "Still EU."})
    assert response.status_code == 200
    assert "Write your answer to the coordinators' question." in page_text(response)
    assert status_of(organisation) == MemberStatus.INFO_REQUESTED

    response = anna.post(
        f"{url}amend/",
        {
            "reply": "Yes, always.",
            "privacy_statement": "Personal data stays in the EU; we sign a DPA.",
            "privacy_policy_url": "https://nieuwbedrijf.test/privacy",
            "signs_processor_agreement": "on",
        },
        follow=True,
    )
    page = page_text(response)
    assert "Your answer is sent. The coordinators review again." in page
    assert "Yes, always." in page
    application = Organisation.objects.get(pk=organisation.pk).application
    assert application.round == 2
    assert application.signs_processor_agreement is True
    assert application.privacy_statement == "Personal data stays in the EU; we sign a DPA."
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW
    assert told(personas.coordinator, "Nieuw Bedrijf B.V. answered your question")

    # Earlier approvals no longer count: Carla's round-1 approval is gone.
    assert "0 of 2" in page_text(carla.get("/vetting/"))
    review = page_text(carla.get(f"/vetting/{organisation.pk}/"))
    assert "Approvals this round: 0 of 2" in review
    assert "Cees Coördinator (coordinator)" in review  # coordinators see who asked
    assert "Anna Aanvrager (applicant)" in review
    decide(carla, organisation, "approve")
    assert status_of(organisation) == MemberStatus.UNDER_REVIEW
    decide(cees, organisation, "approve")
    assert status_of(organisation) == MemberStatus.APPROVED


def test_rejection_with_a_reason_the_applicant_reads(personas, applicant):
    organisation = apply_company(applicant)
    response = decide(
        signed_in(personas.coordinator), organisation, "reject", "You sell to hospitals."
    )
    assert "Nieuw Bedrijf B.V. is rejected; the applicant reads your reason." in page_text(response)
    assert status_of(organisation) == MemberStatus.REJECTED
    assert told(applicant, "The application of Nieuw Bedrijf B.V. is rejected")
    page = page_text(signed_in(applicant).get(f"/membership/{organisation.pk}/"))
    assert "Status: Rejected" in page
    assert "The coordinators' reason" in page
    assert "You sell to hospitals." in page
    assert "Withdraw" not in page
    # Nothing more can be decided.
    response = decide(signed_in(personas.coordinator), organisation, "approve")
    assert "This application is not waiting for a decision (it is “Rejected”)." in page_text(
        response
    )


# --- the status machine: every move not allowed is refused ------------------------------

FORBIDDEN = [
    (before, after)
    for before in MemberStatus.values
    for after in MemberStatus.values
    if after not in TRANSITIONS[before]
]


@pytest.mark.parametrize(("before", "after"), FORBIDDEN)
def test_forbidden_transitions_are_refused_and_change_nothing(personas, before, after):
    organisation = make_organisation("Status B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    Organisation.objects.filter(pk=organisation.pk).update(status=before)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        vetting._move(organisation, after, actor=personas.coordinator)
    assert refused.value.code == "forbidden_transition"
    assert refused.value.messages == [
        f"Status B.V. cannot go from “{MemberStatus(before).label}” to "
        f"“{MemberStatus(after).label}”."
    ]
    assert status_of(organisation) == before
    assert AuditEvent.objects.count() == events


def test_the_forbidden_list_is_complete():
    allowed = sum(len(targets) for targets in TRANSITIONS.values())
    assert len(FORBIDDEN) == len(MemberStatus.values) ** 2 - allowed
    assert (MemberStatus.APPLIED, MemberStatus.APPROVED) in FORBIDDEN
    assert (MemberStatus.REJECTED, MemberStatus.UNDER_REVIEW) in FORBIDDEN


@pytest.mark.parametrize(
    "status",
    [MemberStatus.APPROVED, MemberStatus.SUSPENDED, MemberStatus.WITHDRAWN, MemberStatus.ENDED],
)
def test_decisions_on_an_application_no_longer_waiting_are_refused(personas, applicant, status):
    organisation = apply_company(applicant)
    Organisation.objects.filter(pk=organisation.pk).update(status=status)
    response = decide(signed_in(personas.coordinator), organisation, "approve")
    assert "This application is not waiting for a decision" in page_text(response)
    assert status_of(organisation) == status
    assert not ReviewDecision.objects.exists()


# --- the checklist, with and without htmx ------------------------------------------------


def test_checklist_row_updates_through_htmx(personas, applicant):
    organisation = apply_company(applicant)
    criterion = organisation.application.code_of_conduct.criteria.first()
    assert criterion is not None
    response = signed_in(personas.coordinator).post(
        f"/vetting/{organisation.pk}/criteria/{criterion.pk}/",
        {f"criterion-{criterion.pk}-value": "needs_info", f"criterion-{criterion.pk}-note": "?"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = page_text(response)
    assert "<html" not in fragment
    assert f'id="criterion-{criterion.pk}"' in fragment
    assert "Needs information" in fragment
    assert "Saved." in fragment
    assert ChecklistMark.objects.get(criterion=criterion).value == "needs_info"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_mark_gets_a_message_and_stores_nothing(personas, applicant, htmx):
    organisation = apply_company(applicant)
    criterion = organisation.application.code_of_conduct.criteria.first()
    assert criterion is not None
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = signed_in(personas.coordinator).post(
        f"/vetting/{organisation.pk}/criteria/{criterion.pk}/",
        {f"criterion-{criterion.pk}-value": "perfect"},
        follow=not htmx,
        **headers,
    )
    assert "Select a valid choice. perfect is not one of the available choices." in page_text(
        response
    )
    assert not ChecklistMark.objects.exists()
    assert status_of(organisation) == MemberStatus.APPLIED


def test_no_marks_once_decided(personas, applicant):
    organisation = apply_company(applicant)
    Organisation.objects.filter(pk=organisation.pk).update(status=MemberStatus.REJECTED)
    criterion = organisation.application.code_of_conduct.criteria.first()
    assert criterion is not None
    response = signed_in(personas.coordinator).post(
        f"/vetting/{organisation.pk}/criteria/{criterion.pk}/",
        {f"criterion-{criterion.pk}-value": "met"},
        follow=True,
    )
    assert "Only an application under review is assessed." in page_text(response)
    assert not ChecklistMark.objects.exists()


# --- public parties ----------------------------------------------------------------------


@pytest.fixture
def registered(applicant) -> Organisation:
    response = signed_in(applicant).post(
        "/apply/public/",
        {"name": "GGD Oost", "kind": OrganisationKind.GGD, "city": "Enschede", "oin": ""},
    )
    assert response.status_code == 302
    return Organisation.objects.get(name="GGD Oost")


def test_a_coordinator_verifies_a_public_party(personas, applicant, registered):
    carla = signed_in(personas.coordinator)
    queue = page_text(carla.get("/vetting/"))
    assert "Public parties to verify" in queue
    assert "GGD Oost" in queue
    review = page_text(carla.get(f"/vetting/{registered.pk}/"))
    assert "Verify this public party" in review
    response = carla.post(f"/vetting/{registered.pk}/verify/", follow=True)
    assert "GGD Oost is verified and may ask for help." in page_text(response)
    assert status_of(registered) == MemberStatus.APPROVED
    assert told(applicant, "GGD Oost is verified")
    assert "GGD Oost" not in page_text(carla.get("/vetting/"))
    # Twice is refused clearly.
    response = carla.post(f"/vetting/{registered.pk}/verify/", follow=True)
    assert "GGD Oost cannot go from “Approved” to “Approved”." in page_text(response)


def test_a_coordinator_rejects_a_public_party_with_a_reason(personas, applicant, registered):
    carla = signed_in(personas.coordinator)
    response = carla.post(f"/vetting/{registered.pk}/reject/", {"reason": ""})
    assert "Write the reason for the public party." in page_text(response)
    assert status_of(registered) == MemberStatus.APPLIED

    response = carla.post(
        f"/vetting/{registered.pk}/reject/", {"reason": "Not a public body."}, follow=True
    )
    assert "GGD Oost is rejected." in page_text(response)
    assert status_of(registered) == MemberStatus.REJECTED
    assert told(applicant, "The registration of GGD Oost is rejected")
    page = page_text(signed_in(applicant).get(f"/membership/{registered.pk}/"))
    assert "Not a public body." in page


def test_members_are_not_verified_and_public_parties_not_decided(personas, applicant, registered):
    organisation = apply_company(applicant)
    carla = signed_in(personas.coordinator)
    response = carla.post(f"/vetting/{organisation.pk}/verify/", follow=True)
    assert "Members are approved by two coordinators, not verified." in page_text(response)
    assert status_of(organisation) == MemberStatus.APPLIED
    assert (
        carla.post(f"/vetting/{registered.pk}/decide/", {"decision": "approve"}).status_code == 404
    )


# --- who may see what ---------------------------------------------------------------------


def review_urls(organisation: Organisation) -> list[str]:
    return [
        "/vetting/",
        f"/vetting/{organisation.pk}/",
        f"/vetting/{organisation.pk}/tax-statement/",
    ]


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "umbrella", "outsider"])
def test_review_pages_are_for_coordinators_only(personas, applicant, client_for, persona):
    organisation = apply_company(applicant)
    client = client_for(persona)
    for url in review_urls(organisation):
        assert client.get(url).status_code == 403, url
    criterion = organisation.application.code_of_conduct.criteria.first()
    assert criterion is not None
    posts = [
        (f"/vetting/{organisation.pk}/decide/", {"decision": "approve"}),
        (f"/vetting/{organisation.pk}/criteria/{criterion.pk}/", {"value": "met"}),
        (f"/vetting/{organisation.pk}/verify/", {}),
        (f"/vetting/{organisation.pk}/reject/", {"reason": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert status_of(organisation) == MemberStatus.APPLIED
    assert not ReviewDecision.objects.exists()


def test_the_applicant_cannot_review_or_download_either(applicant):
    organisation = apply_company(applicant)
    client = signed_in(applicant)
    for url in review_urls(organisation):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(applicant):
    organisation = apply_company(applicant)
    for url in review_urls(organisation):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_tax_statement_is_an_attachment_for_coordinators(personas, applicant, settings):
    organisation = apply_company(applicant)
    response = signed_in(personas.coordinator).get(f"/vetting/{organisation.pk}/tax-statement/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="review.tax_statement").exists()
    # Not served from MEDIA_URL: there is no public route to the file.
    statement = organisation.tax_statements.get()
    assert Client().get(f"/media/{statement.file.name}").status_code == 404


def test_no_tax_statement_is_a_404(personas):
    company = personas.member_company
    response = signed_in(personas.coordinator).get(f"/vetting/{company.pk}/tax-statement/")
    assert response.status_code == 404


def test_review_page_of_a_member_without_application_is_a_404(personas):
    response = signed_in(personas.coordinator).get(f"/vetting/{personas.member_company.pk}/")
    assert response.status_code == 404


# --- the queue -------------------------------------------------------------------------------


def test_queue_is_ordered_oldest_first_with_days_waiting(personas, applicant):
    older = submit_directly(applicant, "Oud B.V.")
    newer = submit_directly(applicant, "Nieuw B.V.")
    older.application.__class__.objects.filter(pk=older.application.pk).update(
        submitted_at=timezone.now() - timedelta(days=12)
    )
    decided = submit_directly(applicant, "Klaar B.V.")
    Organisation.objects.filter(pk=decided.pk).update(status=MemberStatus.APPROVED)
    page = page_text(signed_in(personas.coordinator).get("/vetting/"))
    assert page.index("Oud B.V.") < page.index("Nieuw B.V.")
    assert "Klaar B.V." not in page
    row = page[page.index("Oud B.V.") :].split("</tr>")[0]
    assert ">12<" in row
    row = page[page.index("Nieuw B.V.") :].split("</tr>")[0]
    assert ">0<" in row
    assert newer.pk


def test_queue_queries_do_not_grow_with_the_applications(personas, applicant, second_coordinator):
    client = signed_in(personas.coordinator)

    def add(count: int) -> None:
        for _ in range(count):
            number = next(_numbers)
            organisation = submit_directly(applicant, f"Bedrijf {number}")
            vetting.application_decide(
                reviewer=second_coordinator, organisation=organisation, decision="approve"
            )
            party = make_organisation(f"Gemeente {number}", OrganisationKind.MUNICIPALITY)
            Organisation.objects.filter(pk=party.pk).update(status=MemberStatus.APPLIED)

    def queries() -> int:
        client.get("/vetting/")  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/vetting/")
        assert response.status_code == 200
        return len(captured)

    add(3)
    few = queries()
    add(27)
    many = queries()
    assert many == few
    page = page_text(client.get("/vetting/"))
    assert "30 applications waiting" in page
    assert "30 public parties waiting" in page
    assert "1 of 2" in page
