"""The demo data: every persona log-in works, and a second run changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ttc.accounts.models import Role, User
from ttc.announcements.models import Announcement
from ttc.core.models import AuditEvent, Notification
from ttc.demo.management.commands.seed_demo import DEMO_PASSWORD, PERSONAS
from ttc.members.models import ExpertSkill, Organisation

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", companies=12, experts=40, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (User, Organisation, ExpertSkill, Announcement, Notification, AuditEvent)
    )


def test_seed_prints_a_working_log_in_per_persona(client):
    output = seed()
    expected_roles = {
        "coordinator": Role.COORDINATOR,
        "member_admin": Role.MEMBER_ADMIN,
        "expert": Role.EXPERT,
        "requester": Role.REQUESTER,
        "umbrella": Role.REQUESTER,
        "outsider": Role.MEMBER_ADMIN,
    }
    for persona, email, _ in PERSONAS:
        assert email in output
        user = User.objects.get(email=email)
        assert user.role == expected_roles[persona]
        assert user.check_password(DEMO_PASSWORD)
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        # Signed in, and (everyone here belongs somewhere) sent on to set up MFA.
        assert response.status_code == 302
        assert client.get("/dashboard/").url == "/accounts/2fa/totp/activate/"
        client.logout()
    assert Organisation.objects.public_parties().count() == 60
    assert Organisation.objects.member_companies().count() == 12
    assert ExpertSkill.objects.values("user").distinct().count() == 40


def test_a_second_run_changes_nothing():
    seed()
    before = counts()
    output = seed()
    assert "nothing changed" in output
    assert counts() == before


def test_too_small_a_coalition_is_refused():
    with pytest.raises(CommandError, match="at least 3"):
        call_command("seed_demo", companies=2, experts=40, stdout=StringIO())
    assert User.objects.count() == 0
