"""A coordinator's first sign-in, in headless Chromium: forced through MFA set-up,
then publishing a TLP:AMBER announcement that only the named organisation sees."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from ttc.announcements.models import Announcement
from ttc.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_coordinator_is_forced_through_mfa_and_publishes(page, personas):
    coordinator = make_user(
        "nieuw@techtegencorona.nl", mfa=False, is_coordinator=True, full_name="Nina Nieuw"
    )

    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(coordinator.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Aanmelden").click()

    # Not the dashboard: the platform insists on a second factor first.
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert "tweestapsverificatie" in page.content().lower()
    page.goto("/dashboard/")
    page.wait_for_url("**/accounts/2fa/totp/activate/")

    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Activeer").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/**")

    page.goto("/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welkom, Nina Nieuw"

    page.goto("/announcements/new/")
    page.get_by_label("Titel").fill("Verdachte inlogpogingen op VPN")
    page.get_by_label("Tekst").fill("Zie de **indicatoren** in de bijlage.")
    page.get_by_role("radio", name="TLP:AMBER+STRICT").check()
    page.get_by_role("listbox", name="Genoemde organisaties").select_option(
        label=f"{personas.hospital.name} (Ziekenhuis, {personas.hospital.city})"
    )
    page.get_by_role("button", name="Publiceren").click()

    page.wait_for_url("**/announcements/*/")
    assert page.locator("strong", has_text="indicatoren").is_visible()
    announcement = Announcement.objects.get(title="Verdachte inlogpogingen op VPN")
    assert announcement.tlp == "amber+strict"
    assert list(announcement.recipient_orgs.all()) == [personas.hospital]
    assert personas.requester.notifications.filter(title=announcement.title).exists()
    assert not personas.member_admin.notifications.filter(title=announcement.title).exists()
