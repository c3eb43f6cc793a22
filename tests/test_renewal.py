"""An expired membership asks for a new review once it complies again."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.test_compliance import make_compliant
from ttc.accounts.models import User
from ttc.members import vetting
from ttc.members.models import Application, CodeOfConduct, MemberStatus, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path, personas):
    settings.MEDIA_ROOT = tmp_path / "media"
    User.objects.update(preferred_language="en")


@pytest.fixture
def expired(personas) -> Organisation:
    company = personas.member_company
    application = Application.objects.create(
        organisation=company,
        applicant=personas.member_admin,
        code_of_conduct=CodeOfConduct.objects.current(),
    )
    assert application.round == 1
    return company


def expire(organisation: Organisation) -> None:
    Organisation.objects.filter(pk=organisation.pk).update(status=MemberStatus.EXPIRED)


def test_a_compliant_expired_member_is_reviewed_again(personas, client_for, expired):
    make_compliant(expired, personas.member_admin)
    expire(expired)
    page = client_for("member_admin").get(f"/membership/{expired.pk}/").content.decode()
    assert f"/membership/{expired.pk}/renew/" in page

    response = client_for("member_admin").post(f"/membership/{expired.pk}/renew/", follow=True)

    assert "Coordinators review Veilig Netwerk B.V. again." in response.content.decode()
    expired.refresh_from_db()
    assert expired.status == MemberStatus.UNDER_REVIEW
    assert expired.application.round == 2  # earlier approvals lapse
    assert personas.coordinator.notifications.filter(title__contains="new review").exists()


def test_an_expired_member_that_does_not_comply_is_refused(client_for, expired):
    expire(expired)
    response = client_for("member_admin").post(f"/membership/{expired.pk}/renew/", follow=True)
    assert "upload a valid tax statement first" in response.content.decode()
    expired.refresh_from_db()
    assert expired.status == MemberStatus.EXPIRED
    assert expired.application.round == 1


def test_only_admins_ask_for_a_new_review(personas, expired):
    make_compliant(expired, personas.member_admin)
    expire(expired)
    with pytest.raises(PermissionDenied):
        vetting.membership_renew(actor=personas.expert, organisation=expired)
    expired.refresh_from_db()
    assert expired.status == MemberStatus.EXPIRED
