"""The public Code of Conduct, its history, and publishing a new version
(ttc/members/conduct_views.py, compliance.code_publish)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.members import compliance
from ttc.members.models import CodeOfConduct, Criterion, Membership, MemberStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def anonymous() -> Client:
    return Client(headers={"accept-language": "en"})


def publish(personas, version_summary: str = "Clearer rules on sales", **fields):
    return compliance.code_publish(
        actor=personas.coordinator,
        summary=version_summary,
        body=fields.get("body", "# Code\n\n## Sales\n\nNo **sales** from a match."),
        criteria=fields.get("criteria", ["No sales from a match", "Help for free"]),
        acceptance_days=fields.get("acceptance_days", 30),
    )


def form_data(**overrides) -> dict[str, str]:
    data = {
        "summary": "Clearer rules on sales",
        "body": "## Sales\n\nNo **sales** from a match.",
        "criteria": "No sales from a match\n\nHelp for free\n",
        "acceptance_days": "30",
        "publish": "1",
    }
    data.update(overrides)
    return data


# The public page ---------------------------------------------------------------


def test_anonymous_reads_the_current_version_its_criteria_and_history(personas):
    first = CodeOfConduct.objects.get(version=1)
    second = publish(personas, "Clearer rules on sales")
    response = anonymous().get("/code-of-conduct/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Version 2, published on" in page
    # Markdown is rendered, and the page's own h1 stays the only one.
    assert "<strong>sales</strong>" in page
    assert "<h2>Code</h2>" in page and page.count("<h1") == 1
    assert "No sales from a match" in page and "Help for free" in page
    # The history lists every published version, with what changed and a link.
    assert "/code-of-conduct/1/" in page and "/code-of-conduct/2/" in page
    assert first.summary in page and second.summary in page
    assert "Publish a new version" not in page


def test_an_earlier_version_is_public_and_says_it_is_not_current(personas):
    publish(personas)
    response = anonymous().get("/code-of-conduct/1/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Version 1, published on" in page
    assert "an earlier version. Version 2 is in force." in page
    assert "Gevestigd in Nederland" in page  # the criteria of version 1
    assert "No sales from a match" not in page


def test_drafts_are_never_shown(personas):
    draft = CodeOfConduct.objects.create(
        version=2, summary="Secret draft summary", body="Draft text not yet agreed"
    )
    Criterion.objects.create(code_of_conduct=draft, position=1, text="Draft criterion")
    for client in (anonymous(), Client()):
        assert client.get("/code-of-conduct/2/").status_code == 404
    for name in ("anonymous", "member_admin", "coordinator"):
        client = Client(headers={"accept-language": "en"})
        if name != "anonymous":
            client.force_login(personas.get(name))
        page = client.get("/code-of-conduct/").content.decode()
        assert "Version 1, published on" in page
        for secret in ("Secret draft summary", "Draft text", "Draft criterion", "/2/"):
            assert secret not in page
    assert anonymous().get("/code-of-conduct/99/").status_code == 404


def test_the_page_escapes_what_markdown_must_not_carry(personas):
    publish(personas, body="Hello <script>alert(1)</script> [x](javascript:alert(1))")
    page = anonymous().get("/code-of-conduct/").content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript' not in page


# Publishing ----------------------------------------------------------------------


def test_coordinator_starts_from_the_current_text(client_for):
    response = client_for("coordinator").get("/code-of-conduct/new/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Publish version 2 of the Code of Conduct" in page
    assert "Geen verkoop uit een match" in page  # the current body, to edit
    assert "Gevestigd in Nederland en ingeschreven bij de KvK" in page


def test_coordinator_publishes_and_members_are_asked_to_accept(personas, client_for):
    suspended = make_organisation("Geschorst B.V.", "member_company")
    suspended.status = MemberStatus.SUSPENDED
    suspended.save()
    suspended_admin = make_user("admin@geschorst.test", preferred_language="en")
    Membership.objects.create(user=suspended_admin, organisation=suspended, role="admin")
    applicant = make_user("admin@aanvrager.test", preferred_language="en")
    applied = make_organisation("Aanvrager B.V.", "member_company", vetted=False)
    Membership.objects.create(user=applicant, organisation=applied, role="admin")
    mail.outbox.clear()

    coordinator = client_for("coordinator")
    response = coordinator.post("/code-of-conduct/new/", form_data())
    assert response.status_code == 302
    assert response["Location"] == "/code-of-conduct/2/"
    code = CodeOfConduct.objects.current()
    assert code is not None and code.version == 2
    assert code.summary == "Clearer rules on sales"
    assert code.acceptance_days == 30
    assert [c.text for c in code.criteria.all()] == ["No sales from a match", "Help for free"]
    assert AuditEvent.objects.filter(action="code.publish").count() == 1

    told = {n.recipient for n in Notification.objects.filter(title__contains="version 2")}
    # Admins of approved and suspended members; not applicants, experts or public parties.
    assert told == {personas.member_admin, personas.outsider, suspended_admin}
    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {
        personas.member_admin.email,
        personas.outsider.email,
        suspended_admin.email,
    }
    assert all("Accept version 2" in message.subject for message in mail.outbox)

    page = coordinator.get("/code-of-conduct/2/").content.decode()
    assert "Version 2 of the Code of Conduct is published." in page


def test_preview_shows_the_text_and_publishes_nothing(client_for):
    data = form_data(body="## Preview heading\n\nSome *text*.")
    del data["publish"]
    data["preview"] = "1"
    response = client_for("coordinator").post("/code-of-conduct/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2>Preview heading</h2>" in page and "<em>text</em>" in page
    assert "Help for free" in page
    assert CodeOfConduct.objects.count() == 1
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("name", ["member_admin", "expert", "requester", "outsider"])
def test_only_coordinators_publish(client_for, name):
    client = client_for(name)
    assert client.get("/code-of-conduct/new/").status_code == 403
    assert client.post("/code-of-conduct/new/", form_data()).status_code == 403
    assert CodeOfConduct.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(personas):
    response = anonymous().post("/code-of-conduct/new/", form_data())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert CodeOfConduct.objects.count() == 1


def test_the_service_refuses_others_too(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        compliance.code_publish(actor=personas.member_admin, summary="x", body="y", criteria=["z"])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"summary": "   "}, "Say what changed in this version."),
        ({"body": ""}, "Write the text of the Code of Conduct."),
        ({"criteria": "\n  \n"}, "Give at least one criterion, one per line."),
        ({"criteria": "x" * 301}, "Criterion 1 is longer than 300 characters."),
        ({"acceptance_days": "0"}, "Members need at least 1 day to accept."),
        ({"acceptance_days": "366"}, "Give members at most 365 days to accept."),
        ({"acceptance_days": "soon"}, "Enter a whole number."),
        ({"body": "x" * 50_001}, "at most 50000 characters"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_published(client_for, overrides, message):
    data = form_data(**overrides)
    response = client_for("coordinator").post("/code-of-conduct/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    # What was typed comes back.
    if "summary" not in overrides:
        assert "Clearer rules on sales" in page
    assert CodeOfConduct.objects.count() == 1
    assert Notification.objects.count() == 0
    assert not AuditEvent.objects.filter(action="code.publish").exists()


def test_the_service_checks_the_period_too(personas):
    from django.core.exceptions import ValidationError

    for days in (0, 366):
        with pytest.raises(ValidationError):
            publish(personas, acceptance_days=days)
    assert CodeOfConduct.objects.count() == 1


def test_published_at_is_when_it_was_published(personas):
    before = timezone.now()
    code = publish(personas)
    assert code.published_at is not None and code.published_at >= before
    assert code.published_by == personas.coordinator
