"""A company joins, in headless Chromium: a newcomer signs up and applies, two
coordinators approve, the company invites an expert and appears in the public
directory."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.utils import timezone

from ttc.core.testing import PASSWORD, make_user, promote_coordinator
from ttc.members.models import ExpertInvitation, MemberStatus, Organisation

# serialized_rollback: the test needs the taxonomy and the Code of Conduct that
# migrations load, which an earlier transactional test may have flushed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEWCOMER = "directie@zorgcloud-nederland.nl"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def code_for(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in_with_totp(page, email: str, secret: str) -> None:
    page.goto("/accounts/login/")
    page.locator("[name=login]").fill(email)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.locator("[name=code]").fill(code_for(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/")


def coordinator_with_secret(email: str) -> tuple[object, str]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    person = promote_coordinator(make_user(email, mfa=False))
    secret = generate_totp_secret()
    TOTP.activate(person, secret)
    assert Authenticator.objects.filter(user=person).exists()
    return person, secret


def test_a_company_applies_is_vetted_invites_an_expert_and_is_listed(browser_context, live_server):
    newcomer = browser_context.new_page()

    # 1. Sign up and confirm the address from the e-mail.
    newcomer.goto("/accounts/signup/")
    newcomer.locator("[name=email]").fill(NEWCOMER)
    newcomer.locator("[name=password1]").fill(PASSWORD)
    newcomer.locator("[name=password2]").fill(PASSWORD)
    newcomer.locator("main form button[type=submit]").first.click()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    newcomer.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    newcomer.locator("main form button[type=submit]").first.click()

    # 2. Apply as a company.
    newcomer.goto("/apply/company/")
    fields = {
        "name": "ZorgCloud Nederland B.V.",
        "kvk_number": "12345678",
        "establishment_number": "000012345678",
        "street": "Catharijnesingel 1",
        "postcode": "3511 AB",
        "city": "Utrecht",
        "website": "https://zorgcloud.example",
        "description": "Hosting en beveiliging voor zorginstellingen.",
        "privacy_statement": "Wij verwerken alleen wat nodig is, in Nederland.",
        "privacy_policy_url": "https://zorgcloud.example/privacy",
        "capacity_hours": "16",
        "tax_statement_date": (timezone.localdate() - timezone.timedelta(days=20)).isoformat(),
    }
    for name, value in fields.items():
        newcomer.locator(f"[name={name}]").fill(value)
    newcomer.locator("[name=tax_statement]").set_input_files(
        {"name": "verklaring.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    newcomer.locator("[name=expertise]").first.check()
    newcomer.locator("[name=regions][value=utrecht]").check()
    newcomer.locator("[name=languages][value=nl]").check()
    for consent in ("accept_code", "accept_chatham_house", "accept_pledge"):
        newcomer.locator(f"[name={consent}]").check()
    newcomer.locator("main form button[type=submit]").last.click()

    # Belonging to an organisation now, the newcomer sets up a second factor
    # first, confirming their password (they signed in by e-mail link, not by it).
    newcomer.wait_for_url("**/accounts/reauthenticate/**")
    newcomer.locator("[name=password]").fill(PASSWORD)
    newcomer.locator("main form button[type=submit]").first.click()
    newcomer.wait_for_url("**/accounts/2fa/totp/activate/")
    secret = newcomer.locator("#authenticator_secret").input_value()
    newcomer.locator("[name=code]").fill(code_for(secret))
    newcomer.locator("main form button[type=submit]").first.click()
    company = Organisation.objects.get(name="ZorgCloud Nederland B.V.")
    assert company.status == MemberStatus.APPLIED

    # 3. Two different coordinators approve.
    for email in ("eerste@techtegencorona.nl", "tweede@techtegencorona.nl"):
        _, coordinator_secret = coordinator_with_secret(email)
        reviewer = browser_context.browser.new_context(base_url=live_server.url).new_page()
        sign_in_with_totp(reviewer, email, coordinator_secret)
        reviewer.goto("/vetting/")
        reviewer.get_by_role("link", name="ZorgCloud Nederland B.V.").click()
        reviewer.locator("form[action$='/decide/'] [name=decision][value=approve]").check()
        reviewer.locator("form[action$='/decide/'] button[type=submit]").click()
        reviewer.wait_for_load_state()
        reviewer.context.close()
    company.refresh_from_db()
    assert company.status == MemberStatus.APPROVED

    # 4. The company invites an expert from its membership page.
    newcomer.goto(f"/membership/{company.pk}/")
    newcomer.locator("form[action$='/invite/'] [name=email]").fill("expert@zorgcloud-nederland.nl")
    newcomer.locator("form[action$='/invite/'] button[type=submit]").click()
    newcomer.wait_for_load_state()
    assert ExpertInvitation.objects.filter(
        organisation=company, email="expert@zorgcloud-nederland.nl"
    ).exists()
    assert any("expert@zorgcloud-nederland.nl" in m.to for m in mail.outbox)

    # 5. Anyone sees the company in the public directory.
    visitor = browser_context.browser.new_context(base_url=live_server.url).new_page()
    visitor.goto("/members/?q=ZorgCloud")
    assert "ZorgCloud Nederland B.V." in visitor.locator("#results").inner_text()
    visitor.context.close()
