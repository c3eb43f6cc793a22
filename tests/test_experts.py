"""Experts: a member's admin invites by e-mail, the invitee signs up or signs in
and joins, sets up a second factor, fills in a profile and consents personally,
and is then eligible for matching. And what a member offers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.template.defaultfilters import date as date_filter
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import PASSWORD, make_organisation, make_user
from ttc.members import experts
from ttc.members.consents import CHATHAM_HOUSE_VERSION
from ttc.members.models import (
    CodeOfConduct,
    Consent,
    ExpertInvitation,
    ExpertProfile,
    ExpertSkill,
    Membership,
    MemberStatus,
    Organisation,
    OrganisationKind,
    Skill,
)

pytestmark = pytest.mark.django_db

NEWCOMER = "nieuwe.expert@example.test"


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def english(message: str) -> str:
    with translation.override("en"):
        return gettext(message)


def shows(response, message: str) -> bool:
    return escape(message) in response.content.decode()


def link_in(message, path_prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]+)", message.body)
    assert match, f"no {path_prefix} link in:\n{message.body}"
    return match.group(1)


def invite(client: Client, organisation: Organisation, email: str):
    return client.post(reverse("expert_invite", args=[organisation.pk]), {"email": email})


def invitation_link(email: str) -> str:
    message = next(m for m in mail.outbox if m.to == [email])
    return link_in(message, "/join/")


def sub_skills() -> list[Skill]:
    return list(Skill.objects.filter(parent__isnull=False).order_by("pk"))


def profile_data(**changes) -> dict:
    first, second = sub_skills()[:2]
    data = {
        "hours_per_week": "8",
        "languages": ["nl", "en"],
        "region": "utrecht",
        "vog_date": "",
        f"skill_{first.pk}": "3",
        f"skill_{second.pk}": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def selected_levels(html: str) -> dict[int, str]:
    """The level each skill's select shows ("" for none)."""
    levels = {}
    for pk, options in re.findall(r'<select name="skill_(\d+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="(\d*)" selected>', options)
        levels[int(pk)] = chosen.group(1) if chosen else ""
    return levels


CONSENT = {"accept_code": "on", "accept_chatham_house": "on"}


# The whole journey ------------------------------------------------------------------------


def test_invited_newcomer_signs_up_joins_sets_up_mfa_fills_profile_and_is_eligible(
    personas, client_for
):
    admin = client_for("member_admin")
    company = personas.member_company
    response = invite(admin, company, "Nieuwe.Expert@Example.test")
    assert response.status_code == 302
    assert response["Location"] == reverse("my_membership", args=[company.pk])
    invitation = ExpertInvitation.objects.get()
    assert invitation.email == NEWCOMER
    assert AuditEvent.objects.filter(action="expert.invite").count() == 1

    # The admin sees the invitation, not accepted yet.
    page = admin.get(reverse("my_membership", args=[company.pk]))
    assert shows(page, NEWCOMER)
    assert shows(page, english("Not accepted yet"))

    # The e-mail's link: a signed-out visitor is asked to sign in, and comes back.
    link = invitation_link(NEWCOMER)
    browser = Client()
    response = browser.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={link}"

    # Sign up with the invited address (the log-in page links to sign-up, keeping `next`).
    response = browser.post(
        reverse("account_signup"),
        {"email": NEWCOMER, "password1": PASSWORD, "password2": PASSWORD, "next": link},
    )
    assert response.status_code == 302
    newcomer = User.objects.get(email=NEWCOMER)
    User.objects.filter(pk=newcomer.pk).update(preferred_language="en")
    confirm = link_in(mail.outbox[-1], "/accounts/confirm-email/")
    response = browser.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == link

    page = browser.get(link)
    assert page.status_code == 200
    assert shows(page, "Veilig Netwerk B.V.")
    assert not Membership.objects.filter(user=newcomer).exists()

    response = browser.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("expert_profile")
    membership = Membership.objects.get(user=newcomer)
    assert (membership.organisation, membership.role) == (company, "member")
    invitation.refresh_from_db()
    assert invitation.accepted_by == newcomer
    assert AuditEvent.objects.filter(action="expert.join", actor=newcomer).count() == 1
    # The admin who invited is told.
    assert Notification.objects.filter(recipient=personas.member_admin).exists()

    # In an organisation now: a second factor first.
    response = browser.get(reverse("expert_profile"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    TOTP.activate(newcomer, generate_totp_secret())

    page = browser.get(reverse("expert_profile"))
    assert page.status_code == 200
    assert shows(page, english("Not yet."))
    assert shows(page, english("You have not filled in your expert profile yet."))
    assert shows(page, english("I accept the Code of Conduct (version %(version)s) personally.")
                 % {"version": CodeOfConduct.objects.current().version})  # fmt: skip

    response = browser.post(reverse("expert_profile"), profile_data())
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=newcomer)
    assert (profile.hours_per_week, profile.region) == (8, "utrecht")
    assert sorted(profile.languages) == ["en", "nl"]
    first, second = sub_skills()[:2]
    assert {(s.skill_id, s.level) for s in ExpertSkill.objects.filter(user=newcomer)} == {
        (first.pk, 3),
        (second.pk, 1),
    }
    assert not experts.expert_is_eligible(newcomer)

    response = browser.post(reverse("expert_consent"), CONSENT)
    assert response.status_code == 302
    kinds = set(
        Consent.objects.filter(user=newcomer, organisation=None).values_list("kind", "version")
    )
    assert kinds == {
        (Consent.Kind.CODE_OF_CONDUCT, CodeOfConduct.objects.current().version),
        (Consent.Kind.CHATHAM_HOUSE, CHATHAM_HOUSE_VERSION),
    }
    page = browser.get(reverse("expert_profile"))
    assert shows(page, english("Yes."))
    assert 'name="accept_code"' not in page.content.decode()
    assert experts.expert_is_eligible(newcomer)

    # The admin sees it accepted.
    page = admin.get(reverse("my_membership", args=[company.pk]))
    with translation.override("en"):
        day = date_filter(timezone.localtime(invitation.accepted_at), "j F Y")
    assert shows(page, english("Accepted on %(date)s") % {"date": day})
    assert not shows(page, english("Not accepted yet"))


def test_an_existing_account_joins_with_its_verified_address(personas, client_for):
    person = make_user("bestaand@example.test", preferred_language="en")
    invite(client_for("member_admin"), personas.member_company, "bestaand@example.test")
    browser = Client()
    browser.force_login(person)
    response = browser.post(invitation_link("bestaand@example.test"))
    assert response.status_code == 302
    assert Membership.objects.filter(user=person, organisation=personas.member_company).exists()
    # Already with a second factor: straight to the profile.
    assert browser.get(response["Location"]).status_code == 200


def test_a_secondary_verified_address_also_counts(personas, client_for):
    person = make_user("hoofd@example.test", preferred_language="en")
    EmailAddress.objects.create(user=person, email="tweede@example.test", verified=True)
    invite(client_for("member_admin"), personas.member_company, "tweede@example.test")
    browser = Client()
    browser.force_login(person)
    assert browser.post(invitation_link("tweede@example.test")).status_code == 302
    assert person.memberships.count() == 1


# Refusals -------------------------------------------------------------------------------


def nothing_joined(invitation: ExpertInvitation, person: User) -> bool:
    invitation.refresh_from_db()
    return (
        invitation.accepted_at is None
        and not Membership.objects.filter(user=person).exists()
        and not AuditEvent.objects.filter(action="expert.join").exists()
    )


def test_another_account_cannot_use_the_invitation(personas, client_for):
    invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    invitation = ExpertInvitation.objects.get()
    other = make_user("iemand.anders@example.test", preferred_language="en")
    browser = Client()
    browser.force_login(other)
    link = invitation_link(NEWCOMER)
    message = english("This invitation is for %(email)s. Sign in with that (verified) address.") % {
        "email": NEWCOMER
    }

    page = browser.get(link)
    assert page.status_code == 403
    assert shows(page, message)
    assert f'action="{link}"' not in page.content.decode()

    response = browser.post(link)
    assert response.status_code == 403
    assert shows(response, message)
    assert nothing_joined(invitation, other)


def test_an_unverified_address_is_not_enough(personas, client_for):
    person = make_user("hoofd@example.test", preferred_language="en")
    EmailAddress.objects.create(user=person, email=NEWCOMER, verified=False)
    invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    browser = Client()
    browser.force_login(person)
    assert browser.post(invitation_link(NEWCOMER)).status_code == 403
    assert nothing_joined(ExpertInvitation.objects.get(), person)


def test_an_invitation_older_than_14_days_has_expired(personas, client_for):
    invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    invitation = ExpertInvitation.objects.get()
    ExpertInvitation.objects.update(created_at=timezone.now() - timedelta(days=14, minutes=1))
    person = make_user(NEWCOMER, preferred_language="en")
    browser = Client()
    browser.force_login(person)
    link = invitation_link(NEWCOMER)
    message = english("This invitation is no longer valid. Ask for a new one.")

    page = browser.get(link)
    assert page.status_code == 410
    assert shows(page, message)
    assert 'action="' + link not in page.content.decode()

    response = browser.post(link)
    assert response.status_code == 410
    assert shows(response, message)
    assert nothing_joined(invitation, person)
    # The admin's panel says so.
    page = client_for("member_admin").get(
        reverse("my_membership", args=[personas.member_company.pk])
    )
    assert shows(page, english("Expired, not accepted"))


def test_an_invitation_works_once(personas, client_for):
    invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    link = invitation_link(NEWCOMER)
    first = make_user(NEWCOMER, preferred_language="en")
    browser = Client()
    browser.force_login(first)
    assert browser.post(link).status_code == 302

    # Whoever else holds the link gets nothing from it.
    second = make_user("doorgestuurd@example.test", preferred_language="en")
    other_browser = Client()
    other_browser.force_login(second)
    response = other_browser.post(link)
    assert response.status_code == 410
    assert shows(response, english("This invitation is no longer valid. Ask for a new one."))
    assert not Membership.objects.filter(user=second).exists()
    assert AuditEvent.objects.filter(action="expert.join").count() == 1

    # The one who joined is told so, not refused.
    page = browser.get(link)
    assert page.status_code == 200
    assert shows(page, english("You already belong to %(name)s.") % {"name": "Veilig Netwerk B.V."})


def test_an_unknown_token_is_not_found(personas, client_for):
    invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    browser = client_for("outsider")
    for method in (browser.get, browser.post):
        response = method(reverse("invitation_accept", args=["not-a-real-token"]))
        assert response.status_code == 404
        assert "Veilig Netwerk" not in response.content.decode()
        assert NEWCOMER not in response.content.decode()
    assert ExpertInvitation.objects.get().accepted_at is None


# Inviting: bad input --------------------------------------------------------------------


def nothing_invited() -> bool:
    return (
        not ExpertInvitation.objects.exists()
        and mail.outbox == []
        and not AuditEvent.objects.filter(action="expert.invite").exists()
    )


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Type the e-mail address of the person you invite."),
        ("geen-adres", "Type a valid e-mail address, like name@example.nl."),
        ("twee@@example.test", "Type a valid e-mail address, like name@example.nl."),
    ],
)
def test_a_malformed_address_is_refused(personas, client_for, email, message):
    response = invite(client_for("member_admin"), personas.member_company, email)
    assert response.status_code == 200
    assert shows(response, english(message))
    assert f'value="{escape(email)}"' in response.content.decode() or not email
    assert nothing_invited()


def test_someone_already_in_the_company_is_not_invited(personas, client_for):
    response = invite(
        client_for("member_admin"), personas.member_company, "Expert@VeiligNetwerk.test"
    )
    assert response.status_code == 200
    assert shows(
        response,
        english("%(email)s already belongs to %(name)s.")
        % {"email": "expert@veilignetwerk.test", "name": "Veilig Netwerk B.V."},
    )
    assert nothing_invited()


def test_too_many_open_invitations_are_refused(personas, client_for):
    ExpertInvitation.objects.bulk_create(
        ExpertInvitation(
            organisation=personas.member_company,
            email=f"open{i}@example.test",
            token_hash=f"{i:064d}",
            invited_by=personas.member_admin,
        )
        for i in range(experts.MAX_OPEN_INVITATIONS)
    )
    response = invite(client_for("member_admin"), personas.member_company, NEWCOMER)
    assert response.status_code == 200
    assert shows(response, english("There are too many open invitations; wait for some answers."))
    assert not ExpertInvitation.objects.filter(email=NEWCOMER).exists()
    assert mail.outbox == []


def test_only_an_approved_company_invites(personas, client_for):
    admin = make_user("aanvrager@nieuw.test", preferred_language="en")
    company = make_organisation("Nieuw B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    Membership.objects.create(user=admin, organisation=company, role="admin")
    browser = Client()
    browser.force_login(admin)
    response = invite(browser, company, NEWCOMER)
    assert response.status_code == 200
    assert shows(response, english("Only an approved member company invites experts."))
    assert nothing_invited()
    page = browser.get(reverse("my_membership", args=[company.pk]))
    assert 'name="email"' not in page.content.decode()


def test_an_independent_expert_does_not_invite(personas, client_for):
    person = make_user("zelfstandig@example.test", preferred_language="en")
    independent = make_organisation("Zelfstandig Advies", OrganisationKind.INDEPENDENT_EXPERT)
    Membership.objects.create(user=person, organisation=independent, role="admin")
    browser = Client()
    browser.force_login(person)
    response = invite(browser, independent, NEWCOMER)
    assert shows(response, english("Only an approved member company invites experts."))
    assert nothing_invited()
    page = browser.get(reverse("my_membership", args=[independent.pk])).content.decode()
    assert reverse("expert_invite", args=[independent.pk]) not in page
    # What it offers, it keeps up to date.
    assert reverse("member_offer", args=[independent.pk]) in page


def test_only_the_admins_invite(personas, client_for):
    company = personas.member_company
    assert invite(client_for("expert"), company, NEWCOMER).status_code == 403
    assert invite(client_for("outsider"), company, NEWCOMER).status_code == 404
    assert invite(client_for("coordinator"), company, NEWCOMER).status_code == 404
    anonymous = invite(Client(), company, NEWCOMER)
    assert anonymous.status_code == 302
    assert nothing_invited()
    # The panel is for the admins only.
    page = client_for("expert").get(reverse("my_membership", args=[company.pk]))
    assert page.status_code == 200
    assert reverse("expert_invite", args=[company.pk]) not in page.content.decode()


def test_the_invite_page_works_on_its_own(personas, client_for):
    page = client_for("member_admin").get(
        reverse("expert_invite", args=[personas.member_company.pk])
    )
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()


# The expert profile: bad input ----------------------------------------------------------


def nothing_saved(user: User) -> bool:
    return (
        not ExpertProfile.objects.filter(user=user).exists()
        and not ExpertSkill.objects.filter(user=user).exists()
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours_per_week": "0"}, "Give at least 1 hour a week."),
        ({"hours_per_week": "81"}, "At most %(limit_value)s hours a week."),
        ({"hours_per_week": "veel"}, "Type a whole number of hours."),
        ({"hours_per_week": None}, "Say how many hours a week you can give."),
        ({"languages": None}, "Choose at least one language."),
        ({"languages": ["xx"]}, "Choose languages from the list."),
        ({"region": "atlantis"}, "Choose a province from the list."),
        ({"region": ""}, "Choose the province you work from."),
        ({"vog_date": "2999-01-01"}, "The date of the VOG cannot be in the future."),
        ({"vog_date": "31-31-2020"}, "Type the date as year-month-day, like 2020-03-31."),
    ],
)
def test_bad_profile_input_is_refused_and_keeps_what_was_typed(
    personas, client_for, changes, message
):
    response = client_for("expert").post(reverse("expert_profile"), profile_data(**changes))
    assert response.status_code == 200
    if "%(limit_value)s" in message:
        message = english(message) % {"limit_value": 80}
    assert shows(response, english(message))
    first, second = sub_skills()[:2]
    # What was typed is still there.
    html = response.content.decode()
    assert selected_levels(html)[first.pk] == "3"
    assert selected_levels(html)[second.pk] == "1"
    if changes.get("hours_per_week"):
        assert f'value="{changes["hours_per_week"]}"' in html
    assert nothing_saved(personas.expert)


def test_a_profile_needs_a_skill(personas, client_for):
    data = {k: v for k, v in profile_data().items() if not k.startswith("skill_")}
    response = client_for("expert").post(reverse("expert_profile"), data)
    assert response.status_code == 200
    assert shows(response, english("Choose a level for at least one skill."))
    assert 'value="8"' in response.content.decode()
    assert nothing_saved(personas.expert)


def test_an_unknown_level_is_refused(personas, client_for):
    first = sub_skills()[0]
    response = client_for("expert").post(
        reverse("expert_profile"), profile_data(**{f"skill_{first.pk}": "7"})
    )
    assert shows(response, english("Choose a level from the list."))
    assert nothing_saved(personas.expert)


def test_saving_again_replaces_the_skills(personas, client_for):
    client = client_for("expert")
    assert client.post(reverse("expert_profile"), profile_data()).status_code == 302
    first, second, third = sub_skills()[:3]
    data = profile_data(**{f"skill_{second.pk}": "", f"skill_{third.pk}": "2"})
    assert client.post(reverse("expert_profile"), data).status_code == 302
    assert {(s.skill_id, s.level) for s in ExpertSkill.objects.filter(user=personas.expert)} == {
        (first.pk, 3),
        (third.pk, 2),
    }
    # The form shows the saved levels.
    levels = selected_levels(client.get(reverse("expert_profile")).content.decode())
    assert (levels[first.pk], levels[second.pk], levels[third.pk]) == ("3", "", "2")


def test_the_profile_groups_skills_by_area(personas, client_for):
    page = client_for("expert").get(reverse("expert_profile")).content.decode()
    for area in Skill.objects.filter(parent__isnull=True):
        assert f"<legend>{escape(area.name_en)}</legend>" in page


def test_consent_needs_both_boxes(personas, client_for):
    client = client_for("expert")
    for data, message in (
        ({"accept_code": "on"}, "Tick the box to accept the Chatham House Rule."),
        ({"accept_chatham_house": "on"}, "Tick the box to accept the Code of Conduct."),
    ):
        response = client.post(reverse("expert_consent"), data)
        assert response.status_code == 200
        assert shows(response, english(message))
    assert not Consent.objects.filter(user=personas.expert, organisation=None).exists()
    assert not AuditEvent.objects.filter(action="expert.consent").exists()


def test_the_profile_is_for_people_of_members(personas, client_for):
    response = client_for("requester").get(reverse("expert_profile"))
    assert response.status_code == 403
    response = client_for("requester").post(reverse("expert_profile"), profile_data())
    assert response.status_code == 403
    assert nothing_saved(personas.requester)
    assert client_for("anonymous").get(reverse("expert_profile")).status_code == 302


def test_a_company_that_is_not_compliant_is_named_as_the_reason(personas, client_for):
    client = client_for("expert")
    client.post(reverse("expert_profile"), profile_data())
    client.post(reverse("expert_consent"), CONSENT)
    assert experts.expert_is_eligible(personas.expert)
    Organisation.objects.filter(pk=personas.member_company.pk).update(
        noncompliant_since=timezone.localdate(), compliance_issues=["tax_statement_expired"]
    )
    page = client.get(reverse("expert_profile"))
    assert shows(page, english("Not yet."))
    assert "Veilig Netwerk B.V." in page.content.decode()
    assert shows(page, english("The tax statement is more than 12 months old: upload a new one."))
    assert not experts.expert_is_eligible(personas.expert)

    Organisation.objects.filter(pk=personas.member_company.pk).update(
        status=MemberStatus.SUSPENDED, noncompliant_since=None, compliance_issues=[]
    )
    page = client.get(reverse("expert_profile"))
    assert shows(
        page,
        english("%(name)s is not an approved member at the moment (its status: %(status)s).")
        % {"name": "Veilig Netwerk B.V.", "status": english("Suspended")},
    )


# What a member offers -------------------------------------------------------------------


def offer_data(**changes) -> dict:
    area = Skill.objects.filter(parent__isnull=True).order_by("pk").first()
    sub = sub_skills()[0]
    data = {
        "capacity_hours": "40",
        "expertise": [str(area.pk), str(sub.pk)],
        "regions": ["utrecht", "zeeland"],
        "languages": ["nl"],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_admin_updates_the_offer(personas, client_for):
    company = personas.member_company
    client = client_for("member_admin")
    page = client.get(reverse("member_offer", args=[company.pk]))
    assert page.status_code == 200
    # The membership page links to it.
    assert (
        reverse("member_offer", args=[company.pk])
        in client.get(reverse("my_membership", args=[company.pk])).content.decode()
    )
    response = client.post(reverse("member_offer", args=[company.pk]), offer_data())
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.capacity_hours == 40
    assert company.regions == ["utrecht", "zeeland"]
    assert company.languages == ["nl"]
    assert company.expertise.count() == 2
    event = AuditEvent.objects.get(action="member.offer")
    assert event.actor == personas.member_admin


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity_hours": "0"}, "Offer at least 1 hour per week."),
        ({"capacity_hours": "401"}, "Offer at most %(limit_value)s hours per week."),
        ({"expertise": None}, "Choose at least one area of expertise."),
        (
            {"expertise": ["999999"]},
            "Choose areas of expertise from the list (%(value)s is not one).",
        ),
        ({"regions": ["atlantis"]}, "Choose provinces from the list (%(value)s is not one)."),
        ({"regions": None}, "Choose at least one province."),
        ({"languages": None}, "Choose at least one language."),
    ],
)
def test_bad_offer_input_changes_nothing(personas, client_for, changes, message):
    company = personas.member_company
    response = client_for("member_admin").post(
        reverse("member_offer", args=[company.pk]), offer_data(**changes)
    )
    assert response.status_code == 200
    values = {"limit_value": 400, "value": "999999" if "expertise" in changes else "atlantis"}
    assert shows(response, english(message) % values if "%(" in message else english(message))
    company.refresh_from_db()
    assert company.capacity_hours is None
    assert company.expertise.count() == 0
    assert not AuditEvent.objects.filter(action="member.offer").exists()


def test_only_admins_change_the_offer(personas, client_for):
    company = personas.member_company
    url = reverse("member_offer", args=[company.pk])
    assert client_for("expert").get(url).status_code == 403
    assert client_for("expert").post(url, offer_data()).status_code == 403
    assert client_for("outsider").post(url, offer_data()).status_code == 404
    hospital = reverse("member_offer", args=[personas.hospital.pk])
    assert client_for("requester").get(hospital).status_code == 404
    company.refresh_from_db()
    assert company.capacity_hours is None
