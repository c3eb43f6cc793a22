"""Accounts: sign-up, sign-in, password reset, MFA enforcement, the account page,
language, data export and account deletion, through the URLs a person uses."""

from __future__ import annotations

import json
import re
import time
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from ttc.accounts import services
from ttc.accounts.models import ApiToken, User
from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import PASSWORD, make_user, promote_coordinator
from ttc.core.tlp import TLP
from ttc.members.models import Membership

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 42"


def in_language(message: str, language: str = "nl") -> str:
    """A message as a person reading `language` sees it (Dutch is the default)."""
    with translation.override(language):
        return gettext(message)


def shows(response, message: str) -> bool:
    return escape(message) in response.content.decode()


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def events(action: str, **filters) -> int:
    return AuditEvent.objects.filter(action=action, **filters).count()


def login(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in an e-mail that starts with `path_prefix`."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


def current_totp_code(user: User) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.wrap().instance.data["secret"])
    counter = int(time.time()) // 30
    return format_hotp_value(hotp_value(secret, counter))


# Sign-up and e-mail verification ----------------------------------------------------------


def test_signup_sends_verification_and_signs_in_only_after_confirming():
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {"email": "Nieuw@Example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="nieuw@example.test")
    assert signed_in_user_id(client) is None
    assert not EmailAddress.objects.get(user=user).verified
    assert events("account.signup", actor=user, object_id=str(user.pk)) == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nieuw@example.test"]
    confirm_path = link_in(message, "/accounts/confirm-email/")

    # Not verified yet: the password alone does not sign in.
    other_browser = Client()
    response = login(other_browser, "nieuw@example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(other_browser) is None
    assert other_browser.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))

    # Following the link (and confirming) verifies and signs in.
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_user_id(client) == str(user.pk)
    assert client.get(reverse("dashboard")).status_code == 200


def test_signup_with_mismatched_passwords_creates_nobody():
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {"email": "nieuw@example.test", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert shows(response, in_language("You must type the same password each time."))
    assert not User.objects.filter(email="nieuw@example.test").exists()
    assert events("account.signup") == 0
    assert mail.outbox == []


def test_signup_with_a_taken_email_creates_nobody(personas):
    before = User.objects.count()
    response = Client().post(
        reverse("account_signup"),
        {"email": personas.expert.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    # allauth prevents enumeration: it answers as if signed up and e-mails the owner.
    assert response.status_code == 302
    assert User.objects.count() == before
    assert events("account.signup") == 0


# Sign-in and rate limiting ------------------------------------------------------------------


def test_person_without_organisation_signs_in_with_email_and_password(db):
    user = make_user("solo@example.test", mfa=False, full_name="Sam Solo")
    client = Client()
    response = login(client, "SOLO@example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert signed_in_user_id(client) == str(user.pk)
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert "Sam Solo" in dashboard.content.decode()


def test_wrong_password_is_refused_with_a_message(db):
    make_user("solo@example.test", mfa=False)
    client = Client()
    response = login(client, "solo@example.test", "not the password")
    assert response.status_code == 200
    assert shows(
        response, in_language("The email address and/or password you specified are not correct.")
    )
    assert signed_in_user_id(client) is None


def test_failed_logins_are_rate_limited(db):
    make_user("solo@example.test", mfa=False)
    client = Client()
    for _ in range(5):
        response = login(client, "solo@example.test", "wrong password")
        assert response.status_code == 200
        assert signed_in_user_id(client) is None
    response = login(client, "solo@example.test", PASSWORD)
    assert response.status_code == 200
    assert shows(response, in_language("Too many failed login attempts. Try again later."))
    assert signed_in_user_id(client) is None
    assert client.get(reverse("dashboard")).status_code == 302


def test_rate_limit_holds_per_account_from_another_address(db):
    make_user("solo@example.test", mfa=False)
    for _ in range(5):
        login(Client(REMOTE_ADDR="10.0.0.1"), "solo@example.test", "wrong password")
    client = Client(REMOTE_ADDR="10.0.0.2")
    response = login(client, "solo@example.test", PASSWORD)
    assert shows(response, in_language("Too many failed login attempts. Try again later."))
    assert signed_in_user_id(client) is None


# Password reset -----------------------------------------------------------------------------


def test_password_reset_sends_a_working_reset_link(db):
    user = make_user("solo@example.test", mfa=False)
    client = Client()
    response = client.post(reverse("account_reset_password"), {"email": "solo@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["solo@example.test"]
    reset_path = link_in(mail.outbox[0], "/accounts/password/reset/key/")

    response = client.get(reset_path)
    assert response.status_code == 302  # allauth moves the key into the session
    set_password_url = response["Location"]
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert login(Client(), "solo@example.test", NEW_PASSWORD)["Location"] == reverse("dashboard")


def test_password_reset_for_an_unknown_address_sends_no_reset_link(db):
    response = Client().post(reverse("account_reset_password"), {"email": "niemand@example.test"})
    assert response.status_code == 302
    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)


# MFA enforcement ----------------------------------------------------------------------------


@pytest.fixture
def without_second_factor(personas):
    """People whose role needs a second factor but who have not set one up."""
    coordinator = make_user("nieuwe.coordinator@ttc.test", mfa=False, is_coordinator=True)
    employee = make_user("nieuw@veilignetwerk.test", mfa=False)
    Membership.objects.create(user=employee, organisation=personas.member_company, role="member")
    return {"coordinator": coordinator, "employee": employee}


@pytest.mark.parametrize("who", ["coordinator", "employee"])
@pytest.mark.parametrize("path", ["/dashboard/", "/announcements/", "/account/"])
def test_role_without_second_factor_is_sent_to_totp_setup(without_second_factor, who, path):
    client = Client()
    client.force_login(without_second_factor[who])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth first asks for the password again (a forced log-in is not "recent"),
    # then shows the set-up page; the reason is shown on the way.
    setup = client.get(response["Location"], follow=True)
    assert setup.status_code == 200
    assert setup.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert shows(
        setup, in_language("Set up two-factor authentication first: your role requires it.")
    )
    response = client.post(setup.redirect_chain[-1][0], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.parametrize("who", ["coordinator", "employee"])
def test_api_refuses_role_without_second_factor(without_second_factor, who):
    user = without_second_factor[who]
    expected = in_language("Set up two-factor authentication first: your role requires it.")

    session = Client()
    session.force_login(user)
    response = session.get("/api/v1/me")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == expected

    _token, raw = services.api_token_create(user=user, name="script", scope="read")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == expected


def test_person_without_organisation_needs_no_second_factor(db):
    user = make_user("solo@example.test", mfa=False)
    client = Client()
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/announcements/").status_code == 200
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == "solo@example.test"


def test_persona_with_totp_reaches_the_dashboard(client_for):
    for name in ("coordinator", "member_admin", "expert", "requester"):
        assert client_for(name).get("/dashboard/").status_code == 200, name


def test_full_totp_login(personas):
    client = Client()
    response = login(client, personas.expert.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    assert client.get("/dashboard/").status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert shows(response, in_language("Incorrect code."))
    assert signed_in_user_id(client) is None

    response = client.post(
        reverse("mfa_authenticate"), {"code": current_totp_code(personas.expert)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert signed_in_user_id(client) == str(personas.expert.pk)
    assert client.get("/dashboard/").status_code == 200


# Account page: profile and language ---------------------------------------------------------


def test_profile_update_persists_and_is_audited(personas, client_for):
    client = client_for("expert")
    response = client.post(
        reverse("account"), {"full_name": "  Eva de Expert  ", "preferred_language": "en"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    expert = User.objects.get(pk=personas.expert.pk)
    assert expert.full_name == "Eva de Expert"
    assert expert.preferred_language == "en"
    assert events("account.profile_update", actor=expert, object_id=str(expert.pk)) == 1
    page = client.get(reverse("account"))
    assert 'value="Eva de Expert"' in page.content.decode()


def test_profile_update_with_unknown_language_changes_nothing(personas, client_for):
    client = client_for("expert")
    response = client.post(
        reverse("account"), {"full_name": "Iemand Anders", "preferred_language": "xx"}
    )
    assert response.status_code == 200
    with translation.override("nl"):
        from django import forms

        expected = forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": "xx"}
    assert shows(response, str(expected))
    expert = User.objects.get(pk=personas.expert.pk)
    assert expert.full_name == "Eva Expert"
    assert expert.preferred_language == "nl"
    assert events("account.profile_update") == 0


def test_profile_full_name_too_long_changes_nothing(personas, client_for):
    response = client_for("expert").post(
        reverse("account"), {"full_name": "x" * 151, "preferred_language": "nl"}
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert User.objects.get(pk=personas.expert.pk).full_name == "Eva Expert"
    assert events("account.profile_update") == 0


def test_interface_follows_preferred_language(personas, client_for):
    client = client_for("expert")
    assert '<html lang="nl"' in client.get("/dashboard/").content.decode()
    client.post(reverse("account"), {"full_name": "Eva Expert", "preferred_language": "en"})
    dashboard = client.get("/dashboard/").content.decode()
    assert '<html lang="en"' in dashboard
    assert "Notifications" in dashboard


def test_dutch_is_the_default_for_anonymous_visitors(db):
    home = Client().get("/")
    assert home.status_code == 200
    assert '<html lang="nl"' in home.content.decode()


def test_language_switch_for_anonymous_sets_the_cookie(db):
    client = Client()
    response = client.post("/lang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in client.get("/").content.decode()
    assert events("account.language") == 0


def test_language_switch_saves_the_preference(personas, client_for):
    client = client_for("expert")
    response = client.post("/lang/", {"language": "en", "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=personas.expert.pk).preferred_language == "en"
    assert events("account.language", actor=personas.expert) == 1
    assert '<html lang="en"' in client.get("/dashboard/").content.decode()


def test_language_switch_refuses_unknown_language(personas, client_for):
    client = client_for("expert")
    response = client.post("/lang/", {"language": "xx", "next": "/account/"})
    assert response.status_code == 400
    assert in_language("Unknown language.") in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert User.objects.get(pk=personas.expert.pk).preferred_language == "nl"
    assert events("account.language") == 0


def test_language_switch_refuses_get(db):
    assert Client().get("/lang/?language=en").status_code == 405


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example/", "http://evil.example/x", "javascript:alert(1)"],
)
def test_language_switch_never_redirects_off_site(db, target):
    response = Client().post("/lang/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


# Data export --------------------------------------------------------------------------------


def test_data_export_holds_my_data_and_no_secrets(personas, client_for):
    expert = personas.expert
    token, raw = services.api_token_create(user=expert, name="SIEM export", scope="read")
    announcement_publish(
        author=personas.coordinator, title="Nieuwe werkwijze", body="Lees dit.", tlp=TLP.GREEN
    )
    assert Notification.objects.filter(recipient=expert).count() == 1

    response = client_for("expert").post(reverse("account_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".json" in response["Content-Disposition"]
    text = response.content.decode()
    data = json.loads(text)

    assert data["profile"]["email"] == expert.email
    assert data["profile"]["full_name"] == "Eva Expert"
    assert {"organisation": "Veilig Netwerk B.V.", "role": "member"} in data["memberships"]
    assert [t["name"] for t in data["api_tokens"]] == ["SIEM export"]
    assert data["api_tokens"][0]["prefix"] == token.prefix
    assert raw not in text
    assert token.key_hash not in text
    assert [n["title"] for n in data["notifications"]] == ["Nieuwe werkwijze"]
    assert data["two_factor_methods"] == ["totp"]
    assert events("account.export", actor=expert, object_id=str(expert.pk)) == 1


def test_data_export_is_only_for_the_signed_in_person(db):
    response = Client().post(reverse("account_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert events("account.export") == 0


def test_data_export_is_a_post_so_no_other_site_can_trigger_it(personas, client_for):
    client = client_for("expert")
    # A link or an image on another site makes a GET: it exports nothing.
    response = client.get(reverse("account_export"))
    assert response.status_code == 405
    assert events("account.export") == 0
    # A form on another site posts without this site's CSRF token: refused.
    cross_site = Client(enforce_csrf_checks=True)
    cross_site.force_login(personas.expert)
    assert cross_site.post(reverse("account_export")).status_code == 403
    assert events("account.export") == 0


def test_account_page_offers_the_export_as_a_form_with_a_csrf_token(personas, client_for):
    page = client_for("expert").get(reverse("account")).content.decode()
    url = re.escape(reverse("account_export"))
    form = re.search(rf'<form method="post" action="{url}"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the export is a POST form"
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert escape(in_language("Download my data")) in form.group(1)
    assert f'href="{reverse("account_export")}"' not in page


# Account deletion ---------------------------------------------------------------------------


@pytest.fixture
def author(personas):
    """An expert who also coordinates: in an organisation, with a token, a
    notification and an announcement of their own."""
    author = promote_coordinator(personas.expert)
    announcement_publish(author=author, title="Mijn aankondiging", body="Van mij.", tlp=TLP.CLEAR)
    announcement_publish(
        author=personas.coordinator, title="Voor iedereen", body="Hallo.", tlp=TLP.GREEN
    )
    services.api_token_create(user=author, name="script", scope="read")
    assert Notification.objects.filter(recipient=author).exists()
    return author


def snapshot(user: User) -> dict:
    user = User.objects.get(pk=user.pk)
    return {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "deleted_at": user.deleted_at,
        "password": user.password,
        "tokens": ApiToken.objects.filter(user=user).count(),
        "memberships": Membership.objects.filter(user=user).count(),
        "notifications": Notification.objects.filter(recipient=user).count(),
        "emails": EmailAddress.objects.filter(user=user).count(),
        "authenticators": Authenticator.objects.filter(user=user).count(),
    }


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"password": "not my password", "confirm": "on"}, "The password is not correct."),
        ({"password": PASSWORD}, "This field is required."),
    ],
)
def test_account_deletion_refused_changes_nothing(author, form, message):
    client = Client()
    client.force_login(author)
    before = snapshot(author)
    response = client.post(reverse("account_delete"), form)
    assert response.status_code == 200
    assert shows(response, in_language(message))
    assert snapshot(author) == before
    assert events("account.delete") == 0
    assert signed_in_user_id(client) == str(author.pk)
    assert client.get("/dashboard/").status_code == 200


def test_account_deletion_removes_personal_data_and_keeps_contributions(author):
    email, pk = author.email, author.pk
    client = Client()
    client.force_login(author)
    response = client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")

    # Signed out, and cannot come back.
    assert signed_in_user_id(client) is None
    assert client.get("/dashboard/")["Location"].startswith(reverse("account_login"))
    again = Client()
    response = login(again, email)
    assert response.status_code == 200
    assert signed_in_user_id(again) is None

    # The row stays for the audit log, anonymised.
    user = User.objects.get(pk=pk)
    assert user.email != email
    assert email not in user.email
    assert user.full_name == ""
    assert not user.is_active
    assert not user.is_coordinator
    assert not user.has_usable_password()
    assert user.deleted_at is not None
    for language in ("nl", "en"):
        with translation.override(language):
            assert user.display_name == gettext("Deleted account")
            assert str(user) == gettext("Deleted account")
    assert user.display_name in ("Deleted account", "Verwijderd account")
    assert not User.objects.filter(email=email).exists()

    assert snapshot(user) | {"email": None, "password": None, "deleted_at": None} == {
        "email": None,
        "full_name": "",
        "is_active": False,
        "deleted_at": None,
        "password": None,
        "tokens": 0,
        "memberships": 0,
        "notifications": 0,
        "emails": 0,
        "authenticators": 0,
    }

    # What they wrote stays, under "Deleted account".
    announcement = Announcement.objects.get(title="Mijn aankondiging")
    assert announcement.created_by_id == pk
    page = Client().get(announcement.get_absolute_url())
    assert page.status_code == 200
    with translation.override("nl"):
        assert escape(gettext("Deleted account")) in page.content.decode()
    assert email not in page.content.decode()

    assert events("account.delete", actor=user, object_id=str(pk)) == 1
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("OK")


def test_anonymous_cannot_reach_account_pages(db):
    client = Client()
    for name in ("account", "account_delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})
    assert response["Location"].startswith(reverse("account_login"))


def test_changing_an_existing_second_factor_asks_for_the_password_again(personas):
    """Only the first set-up right after sign-in skips re-authentication."""
    from allauth.mfa.models import Authenticator
    from django.utils import timezone

    Authenticator.objects.filter(user=personas.expert).update(
        created_at=timezone.now() - timezone.timedelta(days=30)
    )
    client = Client()
    login(client, personas.expert.email)
    client.post(reverse("mfa_authenticate"), {"code": current_totp_code(personas.expert)})
    assert signed_in_user_id(client) == str(personas.expert.pk)

    response = client.get(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
