"""Who must keep two-factor authentication, and what its changes leave behind."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import DeactivateTOTPForm
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from ttc.core.models import AuditEvent
from ttc.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def totp_of(user) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)


@pytest.mark.parametrize("name", ["coordinator", "member_admin", "requester"])
def test_people_who_need_mfa_cannot_switch_it_off(personas, name):
    authenticator = totp_of(personas.get(name))
    form = DeactivateTOTPForm({}, authenticator=authenticator)
    assert not form.is_valid()
    assert form.non_field_errors()
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_a_person_without_organisation_may_switch_it_off(db):
    person = make_user("los@example.test")
    form = DeactivateTOTPForm({}, authenticator=totp_of(person))
    assert form.is_valid()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_activating_totp_is_mailed_and_audited(client):
    person = make_user("nieuw@example.test", mfa=False, is_coordinator=True)
    response = client.post(
        "/accounts/login/", {"login": person.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    secret = response.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    mail.outbox.clear()

    response = client.post("/accounts/2fa/totp/activate/", {"code": code})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert [message.to for message in mail.outbox] == [[person.email]]
    assert AuditEvent.objects.filter(actor=person, action="security.totp_activated").exists()
    assert client.get("/dashboard/").status_code == 200


def test_tlp_red_is_refused_for_people_without_a_second_factor(personas, client_for):
    from ttc.announcements.models import Announcement

    visitor = make_user("bezoeker@example.test", mfa=False)
    data = {"title": "Geheim", "body": "Alleen voor jou", "tlp": "red", "people": visitor.email}
    page = client_for("coordinator").post("/announcements/new/", data)
    assert page.status_code == 200
    assert "two-factor" in page.content.decode() or "tweestaps" in page.content.decode()
    api = client_for("coordinator").post(
        "/api/v1/announcements",
        {"title": "Geheim", "body": "x", "tlp": "red", "people": [visitor.email]},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert visitor.email in api.content.decode()
    assert not Announcement.objects.exists()
