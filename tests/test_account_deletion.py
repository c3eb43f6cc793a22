"""Account deletion never leaves an organisation with people but without an admin."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from ttc.accounts import services
from ttc.accounts.models import ApiToken, User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import PASSWORD, make_organisation, make_user
from ttc.members.models import Membership, OrganisationKind

pytestmark = pytest.mark.django_db

ONLY_ADMIN = "Make someone else admin of %(organisation)s first."
CONFIRMED = {"password": PASSWORD, "confirm": "on"}


def message_for(organisation: str, language: str = "nl") -> str:
    with translation.override(language):
        return gettext(ONLY_ADMIN) % {"organisation": organisation}


def state(user: User) -> dict:
    """Everything a deletion would change, for this person and the platform."""
    user = User.objects.get(pk=user.pk)
    return {
        "user": (
            user.email,
            user.full_name,
            user.is_active,
            user.is_coordinator,
            user.deleted_at,
            user.password,
        ),
        "memberships": sorted(Membership.objects.values_list("user_id", "organisation_id", "role")),
        "emails": EmailAddress.objects.filter(user=user).count(),
        "authenticators": Authenticator.objects.filter(user=user).count(),
        "tokens": ApiToken.objects.filter(user=user).count(),
        "notifications": Notification.objects.filter(recipient=user).count(),
        "audit_events": AuditEvent.objects.count(),
    }


def signed_in(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_the_only_admin_of_an_organisation_with_people_cannot_delete(personas):
    admin = personas.member_admin  # Veilig Netwerk B.V. also has the expert, a member
    services.api_token_create(user=admin, name="script", scope="read")
    before = state(admin)

    with pytest.raises(ValidationError) as error, translation.override("en"):
        services.account_delete(user=admin)

    assert error.value.messages == [message_for("Veilig Netwerk B.V.", "en")]
    assert error.value.error_list[0].code == "only_admin"
    assert state(admin) == before
    assert not AuditEvent.objects.filter(action="account.delete").exists()


def test_the_delete_page_says_so_and_changes_nothing(personas):
    admin = personas.member_admin
    client = Client()
    client.force_login(admin)
    before = state(admin)

    response = client.post(reverse("account_delete"), CONFIRMED)

    assert response.status_code == 200
    assert escape(message_for("Veilig Netwerk B.V.")) in response.content.decode()
    assert state(admin) == before
    # Still signed in, and the account still works.
    assert signed_in(client) == str(admin.pk)
    assert client.get(reverse("account")).status_code == 200


def test_the_message_names_every_organisation_that_would_lose_its_admin(personas):
    admin = personas.member_admin
    second = make_organisation("Tweede Bedrijf B.V.", OrganisationKind.MEMBER_COMPANY)
    Membership.objects.create(user=admin, organisation=second, role=Membership.Role.ADMIN)
    Membership.objects.create(
        user=make_user("collega@tweede.test"), organisation=second, role=Membership.Role.MEMBER
    )
    before = state(admin)

    with pytest.raises(ValidationError) as error, translation.override("en"):
        services.account_delete(user=admin)

    assert error.value.messages == [
        message_for("Tweede Bedrijf B.V.", "en"),
        message_for("Veilig Netwerk B.V.", "en"),
    ]
    assert state(admin) == before


def test_deleting_is_fine_once_someone_else_is_admin(personas):
    admin, expert = personas.member_admin, personas.expert
    Membership.objects.filter(user=expert).update(role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(admin)

    response = client.post(reverse("account_delete"), CONFIRMED)

    assert response.status_code == 302
    assert User.objects.get(pk=admin.pk).deleted_at is not None
    assert list(
        Membership.objects.filter(organisation=personas.member_company).values_list(
            "user_id", "role"
        )
    ) == [(expert.pk, Membership.Role.ADMIN)]


def test_a_plain_member_may_leave_an_organisation_with_one_admin(personas):
    services.account_delete(user=personas.expert)
    assert User.objects.get(pk=personas.expert.pk).deleted_at is not None
    assert (
        Membership.objects.filter(organisation=personas.member_company, role=Membership.Role.ADMIN)
        .get()
        .user
        == personas.member_admin
    )


def test_the_only_person_of_an_organisation_may_delete_and_leave_it_without_admin(personas):
    requester = personas.requester  # the only person of Ziekenhuis Noorderlicht
    assert list(Membership.objects.filter(organisation=personas.hospital)) == [
        Membership.objects.get(user=requester)
    ]
    client = Client()
    client.force_login(requester)

    response = client.post(reverse("account_delete"), CONFIRMED)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in(client) is None
    user = User.objects.get(pk=requester.pk)
    assert user.deleted_at is not None
    assert not user.is_active
    assert not Membership.objects.filter(organisation=personas.hospital).exists()
    # The organisation itself stays, now without an admin.
    personas.hospital.refresh_from_db()
    assert AuditEvent.objects.filter(action="account.delete", actor=user).count() == 1
