"""Staying compliant: the daily check (compliance.daily_checks, the task and the
membership_checks command) and the compliance panel on the membership page with
its actions (accept the Code, upload and download the tax statement)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import dateformat, timezone, translation

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.members import compliance, vetting
from ttc.members.compliance import Issue, daily_checks
from ttc.members.models import (
    CodeOfConduct,
    Consent,
    Membership,
    MemberStatus,
    Organisation,
    ReminderSent,
    TaxStatement,
    add_months,
)
from ttc.members.tasks import membership_daily_checks

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def long_date(day: date) -> str:
    """A date as the English pages show it."""
    with translation.override("en"):
        return dateformat.format(day, "j F Y")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def pdf(name: str = "verklaring.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_compliant(organisation: Organisation, admin: User, issued_on: date | None = None):
    """The member accepted the current Code and has a recent tax statement."""
    code = CodeOfConduct.objects.current()
    assert code is not None
    Consent.objects.create(
        user=admin,
        organisation=organisation,
        kind=Consent.Kind.CODE_OF_CONDUCT,
        version=code.version,
    )
    statement = compliance.tax_statement_upload(
        user=admin,
        organisation=organisation,
        file=pdf(),
        issued_on=issued_on or TODAY - timedelta(days=10),
    )
    organisation.refresh_from_db()
    assert organisation.is_compliant
    return statement


@pytest.fixture
def company(personas):
    """Veilig Netwerk B.V., compliant today; its admin and expert."""
    statement = make_compliant(personas.member_company, personas.member_admin)
    make_compliant(personas.other_company, personas.outsider)
    personas.member_company.refresh_from_db()
    return statement


def fresh(organisation: Organisation) -> Organisation:
    return Organisation.objects.get(pk=organisation.pk)


def snapshot() -> dict[str, object]:
    """Everything a daily check could change or send."""
    return {
        "notifications": list(
            Notification.objects.order_by("pk").values_list("pk", "recipient_id", "title")
        ),
        "mail": [(message.to, message.subject, message.body) for message in mail.outbox],
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "summary")),
        "organisations": list(
            Organisation.objects.order_by("pk").values_list(
                "pk",
                "status",
                "noncompliant_since",
                "compliance_issues",
                "suspended_until",
                "vetted_at",
            )
        ),
        "reminders": list(ReminderSent.objects.order_by("pk").values_list("pk", "kind", "key")),
        "consents": Consent.objects.count(),
    }


def run_twice(today: date) -> compliance.DailyReport:
    """Run the check, then again the same day: the second run changes nothing."""
    report = daily_checks(today=today)
    after_first = snapshot()
    again = daily_checks(today=today)
    assert snapshot() == after_first
    assert again.reminders == 0 and again.reinstated == [] and again.expired == []
    return report


# A new version of the Code of Conduct ----------------------------------------


def test_a_new_code_makes_members_noncompliant_only_after_the_acceptance_period(personas, company):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    compliance.code_accept(user=personas.outsider, organisation=personas.other_company)
    deadline = TODAY + timedelta(days=30)

    run_twice(deadline)
    assert fresh(personas.member_company).is_compliant

    run_twice(deadline + timedelta(days=1))
    member = fresh(personas.member_company)
    assert not member.is_compliant
    assert member.compliance_issues == [Issue.CODE_NOT_ACCEPTED]
    assert member.noncompliant_since == deadline + timedelta(days=1)
    assert (
        member in Organisation.objects.vetted() and member not in Organisation.objects.compliant()
    )
    # The member that accepted in time stays compliant.
    assert fresh(personas.other_company).is_compliant

    # Accepting, on the membership page, restores compliance at once.
    client = Client()
    client.force_login(personas.member_admin)
    pk = personas.member_company.pk
    page = client.get(f"/membership/{pk}/").content.decode()
    assert "The current version of the Code of Conduct was not accepted" in page
    assert "Accept version 2" in page
    response = client.post(f"/membership/{pk}/accept-code/", {"version": "2"})
    assert response.status_code == 302 and response["Location"] == f"/membership/{pk}/"
    member = fresh(personas.member_company)
    assert member.is_compliant and member.compliance_issues == []
    assert Consent.objects.filter(
        organisation=member,
        kind=Consent.Kind.CODE_OF_CONDUCT,
        version=2,
        user=personas.member_admin,
    ).exists()
    page = client.get(f"/membership/{pk}/").content.decode()
    assert "accepted version 2 of the Code of Conduct" in page
    assert "You accepted version 2, the current version." in page
    assert "Accept version 2" not in page
    # Later checks keep it compliant.
    run_twice(deadline + timedelta(days=2))
    assert fresh(personas.member_company).is_compliant


def test_the_acceptance_period_is_the_one_published(personas, company):
    compliance.code_publish(
        actor=personas.coordinator,
        summary="v2",
        body="Text",
        criteria=["One"],
        acceptance_days=10,
    )
    daily_checks(today=TODAY + timedelta(days=10))
    assert fresh(personas.member_company).is_compliant
    daily_checks(today=TODAY + timedelta(days=11))
    assert fresh(personas.member_company).compliance_issues == [Issue.CODE_NOT_ACCEPTED]


def test_the_panel_shows_the_deadline_before_it_passes(personas, company, client_for):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    deadline = TODAY + timedelta(days=30)
    page = client_for("member_admin").get(f"/membership/{personas.member_company.pk}/")
    text = page.content.decode()
    assert "Compliant." in text
    assert "Version 2 is not accepted yet." in text
    assert f"Accept it before {long_date(deadline)}." in text
    assert "(Version 1 was accepted.)" in text
    assert f'action="/membership/{personas.member_company.pk}/accept-code/"' in text


@pytest.mark.parametrize("name", ["expert", "coordinator"])
def test_only_the_members_admins_accept(personas, company, client_for, name):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    pk = personas.member_company.pk
    response = client_for(name).post(f"/membership/{pk}/accept-code/", {"version": "2"})
    assert response.status_code == 403
    assert not Consent.objects.filter(version=2).exists()


@pytest.mark.parametrize("name", ["outsider", "requester"])
def test_others_cannot_accept_for_a_member(personas, company, client_for, name):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    pk = personas.member_company.pk
    response = client_for(name).post(f"/membership/{pk}/accept-code/", {"version": "2"})
    assert response.status_code == 404
    assert not Consent.objects.filter(version=2, organisation_id=pk).exists()


def test_accepting_needs_a_post_and_the_version_shown(personas, company, client_for):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    client = client_for("member_admin")
    pk = personas.member_company.pk
    assert client.get(f"/membership/{pk}/accept-code/").status_code == 405
    # The page showed version 1, but version 2 came out meanwhile.
    response = client.post(f"/membership/{pk}/accept-code/", {"version": "1"}, follow=True)
    assert "A newer version of the Code of Conduct was published" in response.content.decode()
    assert not Consent.objects.filter(version=2).exists()


def test_plain_members_read_a_summary(personas, company, client_for):
    compliance.code_publish(actor=personas.coordinator, summary="v2", body="Text", criteria=["One"])
    pk = personas.member_company.pk
    text = client_for("expert").get(f"/membership/{pk}/").content.decode()
    assert "Staying compliant" in text and "Compliant." in text
    assert "Version 2 is not accepted yet." in text
    assert "An admin of your organisation accepts it." in text
    assert "accept-code" not in text
    assert "/tax-statement/" not in text  # no download, no upload
    assert "counts until" in text


# The tax statement ---------------------------------------------------------------


def test_a_tax_statement_expires_12_months_after_its_date(personas, company):
    expires = add_months(company.issued_on, 12)
    assert company.expires_on == expires

    run_twice(expires - timedelta(days=1))
    assert fresh(personas.member_company).is_compliant

    run_twice(expires)
    member = fresh(personas.member_company)
    assert member.compliance_issues == [Issue.TAX_STATEMENT_EXPIRED]
    assert member.noncompliant_since == expires


def test_a_company_without_a_statement_is_not_compliant(personas):
    daily_checks(today=TODAY)
    member = fresh(personas.member_company)
    assert member.compliance_issues == [Issue.TAX_STATEMENT_MISSING]
    assert member.noncompliant_since == TODAY


def test_independent_experts_need_no_tax_statement(personas):
    independent = make_organisation("Ingrid Independent", "independent")
    person = make_user("ingrid@zzp.test", preferred_language="en")
    Membership.objects.create(user=person, organisation=independent, role="admin")
    Consent.objects.create(
        user=person, organisation=independent, kind=Consent.Kind.CODE_OF_CONDUCT, version=1
    )
    daily_checks(today=TODAY)
    assert fresh(independent).is_compliant
    client = Client()
    client.force_login(person)
    text = client.get(f"/membership/{independent.pk}/").content.decode()
    assert "Tax statement" not in text
    assert client.get(f"/membership/{independent.pk}/tax-statement/").status_code == 404


def test_reminders_go_out_30_and_7_days_before_expiry_once_each(personas, company):
    # Both companies' statements are of the same day: each gets its own reminders.
    expires = company.expires_on
    mail.outbox.clear()
    Notification.objects.all().delete()

    def reminders() -> list[str]:
        return list(
            Notification.objects.filter(recipient=personas.member_admin)
            .order_by("pk")
            .values_list("title", flat=True)
        )

    def mails() -> list:
        return [message for message in mail.outbox if personas.member_admin.email in message.to]

    assert run_twice(expires - timedelta(days=31)).reminders == 0
    assert reminders() == []

    assert run_twice(expires - timedelta(days=30)).reminders == 2
    title = f"The tax statement of Veilig Netwerk B.V. expires on {expires.isoformat()}"
    assert reminders() == [title]
    assert [message.to for message in mails()] == [[personas.member_admin.email]]
    assert mails()[0].subject == f"[TTC] {title}"
    assert f"/membership/{personas.member_company.pk}/" in mails()[0].body

    for days in (29, 20, 8):
        assert run_twice(expires - timedelta(days=days)).reminders == 0
    assert run_twice(expires - timedelta(days=7)).reminders == 2
    assert reminders() == [title, title]
    for days in (6, 1):
        assert run_twice(expires - timedelta(days=days)).reminders == 0
    assert len(mails()) == 2
    assert len(mail.outbox) == 4
    # Only admins: the expert is not bothered.
    assert not Notification.objects.filter(recipient=personas.expert).exists()
    assert Notification.objects.filter(recipient=personas.outsider).count() == 2


def test_the_panel_warns_before_the_statement_expires(personas, company, client_for):
    client = client_for("member_admin")
    url = f"/membership/{personas.member_company.pk}/"
    assert "It expires soon" not in client.get(url).content.decode()
    TaxStatement.objects.filter(pk=company.pk).update(issued_on=TODAY - timedelta(days=350))
    assert "It expires soon: upload a new one." in client.get(url).content.decode()
    TaxStatement.objects.filter(pk=company.pk).update(issued_on=TODAY - timedelta(days=400))
    assert "It has expired." in client.get(url).content.decode()


def test_a_late_check_sends_only_the_most_urgent_reminder(personas, company):
    Notification.objects.all().delete()
    assert daily_checks(today=company.expires_on - timedelta(days=5)).reminders == 2
    assert Notification.objects.filter(recipient=personas.member_admin).count() == 1
    assert daily_checks(today=company.expires_on - timedelta(days=4)).reminders == 0


def test_a_new_statement_resets_the_reminders(personas, company):
    daily_checks(today=company.expires_on - timedelta(days=30))
    newer = compliance.tax_statement_upload(
        user=personas.member_admin,
        organisation=personas.member_company,
        file=pdf(),
        issued_on=TODAY,
    )
    Notification.objects.all().delete()
    # The old statement's 7-day reminder is not sent: the newer one counts, with
    # reminders of its own.
    daily_checks(today=company.expires_on - timedelta(days=7))
    titles = list(
        Notification.objects.filter(recipient=personas.member_admin).values_list("title", flat=True)
    )
    assert titles == [
        f"The tax statement of Veilig Netwerk B.V. expires on {newer.expires_on.isoformat()}"
    ]


# Suspension and expiry -----------------------------------------------------------


def test_a_suspension_ends_on_its_date(personas, company):
    until = TODAY + timedelta(days=5)
    vetting.membership_suspend(
        actor=personas.coordinator,
        organisation=personas.member_company,
        until=until,
        reason="Used a match for sales.",
    )
    Notification.objects.all().delete()

    report = run_twice(until - timedelta(days=1))
    assert report.reinstated == []
    assert fresh(personas.member_company).status == MemberStatus.SUSPENDED

    report = run_twice(until)
    assert report.reinstated == [personas.member_company.pk]
    member = fresh(personas.member_company)
    assert member.status == MemberStatus.APPROVED and member.suspended_until is None
    assert member.is_compliant
    assert Notification.objects.filter(
        recipient=personas.member_admin,
        title="The suspension of Veilig Netwerk B.V. has ended",
    ).exists()
    assert AuditEvent.objects.filter(
        action="membership.approved", object_id=str(member.pk), actor=None
    ).exists()


def test_after_90_days_not_compliant_the_membership_expires(personas, company, settings):
    assert settings.TTC_NONCOMPLIANT_EXPIRY_DAYS == 90
    expires = company.expires_on
    run_twice(expires)
    assert fresh(personas.member_company).noncompliant_since == expires

    report = run_twice(expires + timedelta(days=89))
    assert report.expired == []
    assert fresh(personas.member_company).status == MemberStatus.APPROVED

    report = run_twice(expires + timedelta(days=90))
    assert personas.member_company.pk in report.expired
    assert fresh(personas.member_company).status == MemberStatus.EXPIRED
    assert Notification.objects.filter(
        recipient=personas.member_admin,
        title="The membership of Veilig Netwerk B.V. has expired",
    ).exists()
    event = AuditEvent.objects.get(
        action="membership.expired", object_id=str(company.organisation_id)
    )
    assert "tax_statement_expired" in event.data["reason"]


def test_compliance_in_time_stops_the_expiry(personas, company):
    expires = company.expires_on
    daily_checks(today=expires)
    # Back in order before the 90 days: the count starts again next time.
    TaxStatement.objects.create(
        organisation=personas.member_company,
        file="x.pdf",
        issued_on=expires,
        uploaded_by=personas.member_admin,
    )
    daily_checks(today=expires + timedelta(days=60))
    assert fresh(personas.member_company).is_compliant
    daily_checks(today=expires + timedelta(days=95))
    assert fresh(personas.member_company).status == MemberStatus.APPROVED


def test_everything_at_once_then_again_changes_nothing(personas, company):
    """One day on which a suspension ends, a membership expires, a reminder goes
    out and a member becomes non-compliant: the second run changes nothing."""
    day = TODAY + timedelta(days=100)
    # Expires: not compliant for 90 days by then.
    lapsed = make_organisation("Vergeten B.V.", "member_company")
    lapsed_admin = make_user("admin@vergeten.test", preferred_language="en")
    Membership.objects.create(user=lapsed_admin, organisation=lapsed, role="admin")
    daily_checks(today=day - timedelta(days=90))
    # Reinstated that day.
    vetting.membership_suspend(
        actor=personas.coordinator,
        organisation=personas.other_company,
        until=day,
        reason="Warning ignored.",
    )
    # Reminded that day: its statement expires in 30 days.
    reminded = make_organisation("Bijna B.V.", "member_company")
    reminded_admin = make_user("admin@bijna.test", preferred_language="en")
    Membership.objects.create(user=reminded_admin, organisation=reminded, role="admin")
    make_compliant(reminded, reminded_admin)
    TaxStatement.objects.filter(organisation=reminded).update(
        issued_on=add_months(day + timedelta(days=30), -12)
    )
    # Not compliant from that day: a Code it did not accept in time.
    compliance.code_publish(
        actor=personas.coordinator,
        summary="v2",
        body="Text",
        criteria=["One"],
        acceptance_days=99,
    )
    for organisation, admin in (
        (personas.other_company, personas.outsider),
        (reminded, reminded_admin),
    ):
        Consent.objects.create(
            user=admin, organisation=organisation, kind=Consent.Kind.CODE_OF_CONDUCT, version=2
        )
    mail.outbox.clear()

    report = run_twice(day)
    assert report.expired == [lapsed.pk]
    assert report.reinstated == [personas.other_company.pk]
    assert report.reminders == 1
    assert fresh(personas.member_company).compliance_issues == [Issue.CODE_NOT_ACCEPTED]
    assert fresh(personas.other_company).is_compliant
    assert fresh(reminded).is_compliant
    assert len(mail.outbox) == 3  # expired, reinstated, reminded (same run only)


# The task and the command --------------------------------------------------------


def test_the_daily_task_runs_the_check(personas, company):
    result = membership_daily_checks.enqueue()
    assert result.return_value == {
        "checked": 2,
        "reminders": 0,
        "reinstated": [],
        "expired": [],
    }


def test_the_command_prints_the_report(personas, company):
    out = io.StringIO()
    call_command("membership_checks", "--date", company.expires_on.isoformat(), stdout=out)
    text = out.getvalue()
    assert "members checked: 2" in text
    assert "not compliant: Andere Software B.V., Veilig Netwerk B.V." in text
    assert "memberships expired: none" in text
    assert fresh(personas.member_company).compliance_issues == [Issue.TAX_STATEMENT_EXPIRED]


def test_the_command_refuses_a_bad_date(personas):
    with pytest.raises(CommandError, match="--date takes a date like"):
        call_command("membership_checks", "--date", "1-4-2020", stdout=io.StringIO())
    assert not AuditEvent.objects.filter(action="compliance.changed").exists()


# The panel's tax statement: show, upload, download -------------------------------


def test_the_admin_sees_the_statement_and_can_download_it(personas, company, client_for):
    pk = personas.member_company.pk
    client = client_for("member_admin")
    text = client.get(f"/membership/{pk}/").content.decode()
    issued, expires = company.issued_on, company.expires_on
    assert f"of {long_date(issued)} counts until {long_date(expires)}." in text
    url = f"/membership/{pk}/tax-statement/{company.pk}/"
    assert url in text
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="tax.download", actor=personas.member_admin).exists()


def test_coordinators_download_too(personas, company, client_for):
    pk = personas.member_company.pk
    client = client_for("coordinator")
    text = client.get(f"/membership/{pk}/").content.decode()
    assert f"/membership/{pk}/tax-statement/{company.pk}/" in text
    assert client.get(f"/membership/{pk}/tax-statement/{company.pk}/").status_code == 200
    # Coordinators cannot accept or upload on a member's behalf.
    assert "accept-code" not in text and 'enctype="multipart/form-data"' not in text


@pytest.mark.parametrize("name", ["expert", "outsider", "requester", "umbrella"])
def test_nobody_else_downloads_a_statement(personas, company, client_for, name):
    url = f"/membership/{personas.member_company.pk}/tax-statement/{company.pk}/"
    assert client_for(name).get(url).status_code == 404


def test_anonymous_downloads_nothing(personas, company):
    url = f"/membership/{personas.member_company.pk}/tax-statement/{company.pk}/"
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_statement_is_only_found_under_its_own_organisation(personas, company, client_for):
    theirs = TaxStatement.objects.get(organisation=personas.other_company)
    url = f"/membership/{personas.member_company.pk}/tax-statement/{theirs.pk}/"
    assert client_for("member_admin").get(url).status_code == 404


def test_upload_makes_a_noncompliant_member_compliant_at_once(personas, client_for, settings):
    Consent.objects.create(
        user=personas.member_admin,
        organisation=personas.member_company,
        kind=Consent.Kind.CODE_OF_CONDUCT,
        version=1,
    )
    daily_checks(today=TODAY)
    assert fresh(personas.member_company).compliance_issues == [Issue.TAX_STATEMENT_MISSING]
    pk = personas.member_company.pk
    client = client_for("member_admin")
    text = client.get(f"/membership/{pk}/").content.decode()
    assert "Not compliant" in text
    assert "There is no tax statement (“verklaring betalingsgedrag”) on file." in text
    assert f'action="/membership/{pk}/tax-statement/"' in text

    issued = TODAY - timedelta(days=3)
    response = client.post(
        f"/membership/{pk}/tax-statement/", {"file": pdf(), "issued_on": issued.isoformat()}
    )
    assert response.status_code == 302 and response["Location"] == f"/membership/{pk}/"
    member = fresh(personas.member_company)
    assert member.is_compliant and member.compliance_issues == []
    statement = TaxStatement.objects.get(organisation=member)
    assert statement.issued_on == issued and statement.uploaded_by == personas.member_admin
    assert len(stored_files(settings)) == 1
    # The stored name says nothing about the original file.
    assert "verklaring" not in statement.file.name
    assert AuditEvent.objects.filter(action="tax.upload").count() == 1
    text = client.get(f"/membership/{pk}/").content.decode()
    assert "The tax statement is saved." in text and "Compliant." in text


def test_the_upload_page_works_on_its_own(personas, client_for):
    pk = personas.member_company.pk
    response = client_for("member_admin").get(f"/membership/{pk}/tax-statement/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'enctype="multipart/form-data"' in text
    assert 'for="tax-statement-file"' in text and 'for="tax-statement-issued_on"' in text


def _too_large() -> SimpleUploadedFile:
    return pdf(content=PDF + b"0" * (5 * 1024 * 1024))


@pytest.mark.parametrize(
    ("upload", "issued_on", "message"),
    [
        (lambda: pdf(content=b"Just some text, named .pdf"), TODAY, "The file is not a PDF."),
        (_too_large, TODAY, "The file is larger than 5 MB."),
        (pdf, TODAY - timedelta(days=200), "This statement is older than 6 months."),
        (pdf, TODAY + timedelta(days=1), "The statement&#x27;s date is in the future."),
        (None, TODAY, "Choose the PDF file of the statement."),
        (pdf, None, "Give the date of the statement."),
    ],
)
def test_bad_uploads_are_explained_and_nothing_is_stored(
    personas, client_for, settings, upload, issued_on, message
):
    pk = personas.member_company.pk
    data: dict[str, object] = {}
    if upload is not None:
        data["file"] = upload()
    if issued_on is not None:
        data["issued_on"] = issued_on.isoformat()
    response = client_for("member_admin").post(f"/membership/{pk}/tax-statement/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert "Choose the file again: it is not kept after an error." in text
    if issued_on is not None:
        assert f'value="{issued_on.isoformat()}"' in text  # the date typed comes back
    assert not TaxStatement.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEvent.objects.filter(action="tax.upload").exists()


def test_a_bad_date_is_refused_by_the_service_too(personas):
    with pytest.raises(ValidationError):
        compliance.tax_statement_upload(
            user=personas.member_admin,
            organisation=personas.member_company,
            file=pdf(),
            issued_on=TODAY - timedelta(days=200),
        )
    assert not TaxStatement.objects.exists()


@pytest.mark.parametrize(
    ("name", "status"),
    [("expert", 403), ("coordinator", 403), ("outsider", 404), ("requester", 404)],
)
def test_only_the_members_admins_upload(personas, client_for, settings, name, status):
    pk = personas.member_company.pk
    response = client_for(name).post(
        f"/membership/{pk}/tax-statement/", {"file": pdf(), "issued_on": TODAY.isoformat()}
    )
    assert response.status_code == status
    assert not TaxStatement.objects.exists()
    assert stored_files(settings) == []
