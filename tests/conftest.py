"""Browser tests: Debian's Chromium driven by Playwright against the live server."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture
def browser_context(live_server):
    """A fresh browser (Dutch locale) whose pages open paths on the live server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # in the test body are ordinary synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(locale="nl-NL", base_url=live_server.url)
        context.set_default_timeout(10_000)
        yield context
        browser.close()
        # The ORM calls made while Playwright ran used their own connection.
        connections.close_all()


def current_code(user) -> str:
    """The code the person's authenticator app shows now."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def signed_in(browser_context, live_server):
    """A page in a person's own browser, signed in with password and TOTP code.

    The log-in pages are Dutch (the browser's locale); once signed in, the
    person's preferred language takes over."""
    from ttc.core.testing import PASSWORD

    def open_for(user):
        context = browser_context.browser.new_context(locale="nl-NL", base_url=live_server.url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Aanmelden").click()
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("Code").fill(current_code(user))
        page.locator("main").get_by_role("button", name="Aanmelden").click()
        page.wait_for_url("**/dashboard/")
        return page

    return open_for
