"""Who sees a help request, its proposals and its engagements: the TLP rule of
DESIGN.md §5 on every surface a person uses.

AMBER+STRICT names organisations: the requesting one (and the umbrella only when
it submitted the request), then every member that accepted. RED names people:
the submitter, then whoever accepted.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_user
from ttc.core.tlp import TLP
from ttc.helprequests import engagements, services
from ttc.helprequests.models import Engagement, EngagementMessage, HelpRequest
from ttc.helprequests.testing import (
    engage,
    make_market,
    make_request,
    open_request,
    propose,
    request_data,
    second_member,
)
from ttc.members.models import Membership

pytestmark = pytest.mark.django_db

TITLE = "Ransomware op de röntgenafdeling"
SECRET = "Het wachtwoord van de beheerder is Lente2026"


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(preferred_language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def market(personas):
    return make_market(personas)


def plain(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def org_key(org) -> str:
    return f"org:{org.pk}"


def hospital_colleague(personas) -> User:
    colleague = make_user("arts@noorderlicht.test", full_name="Anna Arts", preferred_language="en")
    Membership.objects.create(user=colleague, organisation=personas.hospital, role="member")
    return colleague


def seen_surfaces(client: Client, request: HelpRequest, engagement: Engagement | None = None):
    """Where the request's title or description reaches this client."""
    urls = {
        "list": "/requests/",
        "search": "/requests/?" + urlencode({"q": "röntgen"}),
        "detail": f"/requests/{request.pk}/",
        "dashboard": "/dashboard/",
        "notifications": "/notifications/",
        "engagements": "/engagements/",
        "proposals": "/proposals/",
    }
    if engagement is not None:
        urls["engagement"] = f"/engagements/{engagement.pk}/"
    seen = set()
    for surface, url in urls.items():
        response = client.get(url, follow=True)
        assert response.status_code in (200, 404), (surface, response.status_code)
        content = html.unescape(response.content.decode())
        if TITLE in content or SECRET in content:
            seen.add(surface)
    return seen


def secret_request(personas, **overrides) -> HelpRequest:
    fields = {"title": TITLE, "description": SECRET}
    fields.update(overrides)
    return make_request(personas, **fields)


# AMBER+STRICT ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "member_admin", "expert", "umbrella", "anonymous"])
def test_amber_strict_reaches_nobody_outside_the_hospital(personas, client_for, market, persona):
    request = secret_request(personas)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    services.helprequest_ask(request=request, actor=personas.coordinator, question="Welke?")
    client = client_for(persona)
    assert seen_surfaces(client, request) == set()
    # Not 403: that such a request exists is itself confidential.
    assert client.get(f"/requests/{request.pk}/").status_code == 404
    if persona != "anonymous":
        assert not Notification.objects.filter(recipient=personas.get(persona)).exists()
        assert personas.get(persona) not in services.requester_people(request)


def test_amber_strict_reaches_the_hospital(personas, client_for, market):
    request = secret_request(personas)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    colleague = hospital_colleague(personas)
    for client in (client_for("requester"), signed_in(colleague)):
        seen = seen_surfaces(client, request)
        assert {"list", "search", "detail", "dashboard"} <= seen
    assert "notifications" in seen_surfaces(client_for("requester"), request)


def test_the_umbrella_is_named_only_when_it_submitted(personas, client_for):
    direct = secret_request(personas)
    via = services.helprequest_submit(
        author=personas.umbrella,
        organisation=personas.hospital,
        data=request_data(title="Via de koepel: phishing"),
    )
    umbrella = client_for("umbrella")
    assert umbrella.get(f"/requests/{direct.pk}/").status_code == 404
    assert umbrella.get(f"/requests/{via.pk}/").status_code == 200
    listed = plain(umbrella.get("/requests/"))
    assert "Via de koepel: phishing" in listed
    assert TITLE not in listed
    # A colleague at the umbrella reads what the umbrella submitted, too.
    colleague = make_user("beleid@zorgkoepel.test")
    Membership.objects.create(user=colleague, organisation=personas.umbrella_org, role="member")
    assert signed_in(colleague).get(f"/requests/{via.pk}/").status_code == 200
    # The hospital reads both.
    requester = client_for("requester")
    assert requester.get(f"/requests/{via.pk}/").status_code == 200
    assert requester.get(f"/requests/{direct.pk}/").status_code == 200


def test_a_matched_request_reaches_nobody_else(personas, client_for, market):
    """After matching, still nothing reaches a stranger, the umbrella, or a member
    company that was never proposed, on any surface."""
    _company, stranger_admin = second_member(market)
    request = secret_request(personas)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    engagement = engage(personas, request)
    engagements.engagement_message(
        engagement=engagement, author=personas.requester, body="Zie bijlage"
    )
    engagements.engagement_message(
        engagement=engagement, author=personas.member_admin, body="Ontvangen"
    )
    engagements.engagement_deliver(engagement=engagement, actor=personas.member_admin)
    clients = {
        "outsider": client_for("outsider"),
        "umbrella": client_for("umbrella"),
        "unmatched member": signed_in(stranger_admin),
        "anonymous": client_for("anonymous"),
    }
    for name, client in clients.items():
        assert seen_surfaces(client, request, engagement) == set(), name
    for person in (personas.outsider, personas.umbrella, stranger_admin):
        assert not Notification.objects.filter(recipient=person).exists()
        assert signed_in(person).get(f"/engagements/{engagement.pk}/").status_code == 404
    # The matched company's people do see it, the expert too (AMBER+STRICT names the company).
    for persona in ("member_admin", "expert"):
        seen = seen_surfaces(client_for(persona), request, engagement)
        assert {"list", "search", "detail", "engagement", "engagements"} <= seen


def test_amber_reaches_no_member_before_matching(personas, client_for, market):
    request = secret_request(personas, tlp=TLP.AMBER)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    # The member company declared the hospital as its client, not the other way round.
    for persona in ("member_admin", "expert", "outsider"):
        assert client_for(persona).get(f"/requests/{request.pk}/").status_code == 404
    assert client_for("requester").get(f"/requests/{request.pk}/").status_code == 200


def test_green_reaches_vetted_people_but_never_anonymous(personas, client_for):
    request = secret_request(personas, tlp=TLP.GREEN)
    for persona in ("member_admin", "expert", "outsider", "umbrella", "requester"):
        assert client_for(persona).get(f"/requests/{request.pk}/").status_code == 200
    anonymous = client_for("anonymous")
    assert anonymous.get(f"/requests/{request.pk}/").status_code == 404
    assert TITLE not in plain(anonymous.get("/requests/"))


# What a candidate reads before accepting ------------------------------------------------------


@pytest.mark.parametrize("label", [TLP.AMBER_STRICT, TLP.RED, TLP.AMBER])
def test_a_candidate_reads_the_outline_but_not_the_description(personas, client_for, market, label):
    request = open_request(personas, title=TITLE, description=SECRET, tlp=label, effort_hours=24)
    proposal = propose(personas, request, org_key(personas.member_company))
    client = client_for("member_admin")

    page = plain(client.get(f"/proposals/{proposal.pk}/"))

    assert TITLE in page
    assert "Category Security" in page
    assert "Urgency High" in page
    assert "Estimated effort 24 hours" in page
    assert SECRET not in page
    assert "you read what it is about once you accept" in page
    assert client.get(f"/requests/{request.pk}/").status_code == 404
    # The notification and the e-mail name no request at all.
    assert list(
        Notification.objects.filter(recipient=personas.member_admin).values_list("title", flat=True)
    ) == ["You are asked to help with a request"]
    # Not a view of the content: nothing is recorded as read.
    assert not AuditEvent.objects.filter(
        action="view", actor=personas.member_admin, object_id=str(request.pk)
    ).exists()

    client.post(f"/proposals/{proposal.pk}/", {"decision": "accept"})

    assert SECRET in plain(client.get(f"/proposals/{proposal.pk}/"))
    assert SECRET in plain(client.get(f"/requests/{request.pk}/"))
    assert AuditEvent.objects.filter(
        action="view", actor=personas.member_admin, object_id=str(request.pk)
    ).exists()


def test_a_candidate_reads_a_green_request_in_full(personas, client_for, market):
    request = open_request(personas, title=TITLE, description=SECRET, tlp=TLP.GREEN)
    proposal = propose(personas, request, org_key(personas.member_company))
    page = plain(client_for("member_admin").get(f"/proposals/{proposal.pk}/"))
    assert SECRET in page
    assert "you read what it is about once you accept" not in page


def test_a_proposal_page_is_for_the_proposed_only(personas, client_for, market):
    request = open_request(personas, title=TITLE)
    proposal = propose(personas, request, org_key(personas.member_company))
    for persona in ("expert", "outsider", "requester", "umbrella"):
        assert client_for(persona).get(f"/proposals/{proposal.pk}/").status_code == 404
    assert client_for("anonymous").get(f"/proposals/{proposal.pk}/").status_code == 302
    assert client_for("coordinator").get(f"/proposals/{proposal.pk}/").status_code == 200
    page = plain(client_for("member_admin").get("/dashboard/"))
    assert f"Asked: {TITLE}" in page


# TLP:RED ---------------------------------------------------------------------------------------


def test_red_reaches_only_the_named_people(personas, client_for, market):
    colleague = hospital_colleague(personas)
    request = secret_request(personas, tlp=TLP.RED)
    services.helprequest_accept(request=request, actor=personas.coordinator)
    assert seen_surfaces(signed_in(colleague), request) == set()
    assert not Notification.objects.filter(recipient=colleague).exists()
    assert {"list", "search", "detail", "dashboard", "notifications"} <= seen_surfaces(
        client_for("requester"), request
    )

    engagement = engage(personas, request)

    assert set(request.recipient_people.all()) == {personas.requester, personas.member_admin}
    assert {"detail", "engagement", "engagements"} <= seen_surfaces(
        client_for("member_admin"), request, engagement
    )
    # The accepting admin's colleague, and the requester's, stay outside.
    for person in (personas.expert, colleague, personas.umbrella, personas.outsider):
        assert seen_surfaces(signed_in(person), request, engagement) == set(), person
    engagements.engagement_message(
        engagement=engagement, author=personas.requester, body="Alleen voor jou"
    )
    assert not Notification.objects.filter(recipient__in=[personas.expert, colleague]).exists()


# Coordinators ----------------------------------------------------------------------------------


def test_coordinators_see_all_and_their_views_beyond_the_rule_are_audited(
    personas, client_for, market
):
    request = secret_request(personas)
    red = secret_request(personas, tlp=TLP.RED, title="Rood verzoek")
    client = client_for("coordinator")
    before = AuditEvent.objects.count()

    assert SECRET in plain(client.get(f"/requests/{request.pk}/"))
    listed = plain(client.get("/requests/"))

    assert TITLE in listed
    assert "Rood verzoek" in listed
    events = list(AuditEvent.objects.order_by("pk")[before:].values_list("action", "object_id"))
    assert ("view.beyond_rule", str(request.pk)) in events
    assert ("view.beyond_rule", str(red.pk)) in events
    assert all(action == "view.beyond_rule" for action, _id in events)
    # The requester's own view is within the rule.
    client_for("requester").get(f"/requests/{request.pk}/")
    latest = AuditEvent.objects.order_by("-pk").first()
    assert (latest.action, latest.actor) == ("view", personas.requester)
    assert latest.data == {"surface": "page"}


def test_a_coordinator_who_is_also_named_views_within_the_rule(personas, client_for):
    request = secret_request(personas)
    Membership.objects.create(user=personas.coordinator, organisation=personas.hospital)
    client_for("coordinator").get(f"/requests/{request.pk}/")
    latest = AuditEvent.objects.order_by("-pk").first()
    assert latest.action == "view"


def test_clear_views_are_not_audited(personas, client_for):
    request = secret_request(personas, tlp=TLP.CLEAR)
    before = AuditEvent.objects.count()
    assert client_for("anonymous").get(f"/requests/{request.pk}/").status_code == 200
    client_for("coordinator").get(f"/requests/{request.pk}/")
    assert AuditEvent.objects.count() == before


# Two members on one request -------------------------------------------------------------------


def test_one_members_thread_is_not_shown_to_another_member(personas, client_for, market):
    other, other_admin = second_member(market)
    request = open_request(personas, title=TITLE, description=SECRET, experts_needed=2)
    mine = engage(personas, request)
    theirs = engagements.proposal_accept(
        proposal=propose(personas, request, org_key(other)), actor=other_admin
    )
    engagements.engagement_message(
        engagement=mine, author=personas.member_admin, body="Intern: firewallregels aangepast"
    )
    engagements.engagement_message(
        engagement=mine, author=personas.requester, body="Dank, het VPN-profiel volgt"
    )
    engagements.hours_log(
        engagement=mine,
        person=personas.member_admin,
        worked_on=mine.started_at.date(),
        hours="3",
        note="Firewall doorgelicht",
    )
    them = signed_in(other_admin)

    # Both companies read the request itself (AMBER+STRICT names both now) ...
    assert SECRET in plain(them.get(f"/requests/{request.pk}/"))
    # ... but not each other's engagement.
    assert them.get(f"/engagements/{mine.pk}/").status_code == 404
    assert them.post(f"/engagements/{mine.pk}/messages/", {"text": "Hoi"}).status_code == 404
    for url in ("/engagements/", f"/requests/{request.pk}/", f"/engagements/{theirs.pk}/"):
        page = plain(them.get(url))
        assert "firewallregels" not in page
        assert "VPN-profiel" not in page
        assert "Firewall doorgelicht" not in page
        assert f"/engagements/{mine.pk}/" not in them.get(url).content.decode()
    assert not Notification.objects.filter(
        recipient=other_admin, url=f"/engagements/{mine.pk}/"
    ).exists()
    mine_client = client_for("member_admin")
    assert mine_client.get(f"/engagements/{theirs.pk}/").status_code == 404
    # The requester sees both.
    requester = client_for("requester")
    assert requester.get(f"/engagements/{mine.pk}/").status_code == 200
    assert requester.get(f"/engagements/{theirs.pk}/").status_code == 200
    assert EngagementMessage.objects.filter(engagement=theirs).count() == 0


# Query counts ------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _add_requests(personas, count: int, start: int) -> None:
    for number in range(start, start + count):
        request = make_request(personas, title=f"Verzoek {number}", urgency=1 + number % 4)
        if number % 3 == 0:
            services.helprequest_accept(request=request, actor=personas.coordinator)
    via = services.helprequest_submit(
        author=personas.umbrella,
        organisation=personas.hospital,
        data=request_data(title=f"Via koepel {start}"),
    )
    assert via.submitted_via_id


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("requester", "/requests/"),
        ("coordinator", "/requests/"),
        ("coordinator", "/requests/triage/"),
        ("requester", "/requests/?q=Verzoek"),
    ],
)
def test_list_pages_do_not_grow_queries_with_the_data(personas, client_for, persona, url):
    client = client_for(persona)
    _add_requests(personas, 3, start=0)
    client.get(url)  # warm caches that every page fills once
    few = _queries(client, url)
    _add_requests(personas, 9, start=3)
    many = _queries(client, url)
    assert HelpRequest.objects.count() == 14
    assert many == few, f"{url}: {few} queries for 5 requests, {many} for 14"


# Access that ends -------------------------------------------------------------------


def test_red_access_ends_when_the_member_is_suspended(personas, client_for, market):
    engagement = engage(personas, tlp=TLP.RED, title=TITLE, description=SECRET)
    request = engagement.request
    assert personas.member_admin in request.recipient_people.all()
    assert SECRET in plain(client_for("member_admin").get(f"/requests/{request.pk}/"))
    type(personas.member_company).objects.filter(pk=personas.member_company.pk).update(
        status="suspended"
    )
    # Still named, but no longer through an approved organisation: nothing.
    for url in (f"/requests/{request.pk}/", f"/engagements/{engagement.pk}/"):
        assert client_for("member_admin").get(url).status_code == 404
    assert client_for("member_admin").get(f"/api/v1/requests/{request.pk}").status_code == 404
    # Nor do they hear of it any more.
    from ttc.core import access

    assert personas.member_admin not in access.audience(request)


def test_red_access_ends_when_a_person_leaves_the_organisation(personas, client_for, market):
    engagement = engage(personas, tlp=TLP.RED, title=TITLE, description=SECRET)
    request = engagement.request
    Membership.objects.filter(user=personas.member_admin).delete()
    assert client_for("member_admin").get(f"/requests/{request.pk}/").status_code == 404
    # The submitter too is named as a person of the hospital.
    Membership.objects.filter(user=personas.requester).delete()
    assert client_for("requester").get(f"/requests/{request.pk}/").status_code == 404


def test_someone_who_left_cannot_accept_a_pending_proposal(personas, client_for, market):
    request = open_request(personas, tlp=TLP.RED, title=TITLE, description=SECRET)
    proposal = propose(personas, request, f"expert:{personas.expert.pk}")
    Membership.objects.filter(user=personas.expert).delete()
    client = client_for("expert")
    assert client.get("/proposals/").status_code == 200
    assert TITLE not in plain(client.get("/proposals/"))
    assert client.get(f"/proposals/{proposal.pk}/").status_code == 404
    response = client.post(f"/proposals/{proposal.pk}/", {"decision": "accept"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        engagements.proposal_accept(proposal=proposal, actor=personas.expert)
    assert not Engagement.objects.exists()
    assert client.get(f"/requests/{request.pk}/").status_code == 404


def test_a_suspended_member_sees_no_proposal_teaser(personas, client_for, market):
    request = open_request(personas, tlp=TLP.AMBER_STRICT, title=TITLE, description=SECRET)
    proposal = propose(personas, request, f"org:{personas.member_company.pk}")
    assert TITLE in plain(client_for("member_admin").get("/proposals/"))
    type(personas.member_company).objects.filter(pk=personas.member_company.pk).update(
        status="suspended"
    )
    assert TITLE not in plain(client_for("member_admin").get("/proposals/"))
    assert client_for("member_admin").get(f"/proposals/{proposal.pk}/").status_code == 404


def test_the_coordinators_note_is_for_the_requester_only(personas, client_for):
    request = make_request(personas, tlp=TLP.GREEN, title=TITLE)
    services.helprequest_reject(
        request=request, actor=personas.coordinator, reason="Intern: niet voorbereid"
    )
    outsider = client_for("outsider")
    assert TITLE in plain(outsider.get(f"/requests/{request.pk}/"))  # GREEN: vetted members
    assert "Intern: niet voorbereid" not in plain(outsider.get(f"/requests/{request.pk}/"))
    assert outsider.get(f"/api/v1/requests/{request.pk}").json()["decision_note"] == ""
    for persona in ("requester", "coordinator"):
        client = client_for(persona)
        assert "Intern: niet voorbereid" in plain(client.get(f"/requests/{request.pk}/"))
        body = client.get(f"/api/v1/requests/{request.pk}").json()
        assert body["decision_note"] == "Intern: niet voorbereid"


def test_a_candidates_proposal_list_is_audited(personas, client_for, market):
    request = open_request(personas, tlp=TLP.AMBER_STRICT, title=TITLE)
    propose(personas, request, f"org:{personas.member_company.pk}")
    before = AuditEvent.objects.filter(actor=personas.member_admin, action="view").count()
    client_for("member_admin").get("/proposals/")
    after = AuditEvent.objects.filter(actor=personas.member_admin, action="view")
    assert after.count() == before + 1
    assert after.order_by("-pk").first().data == {"surface": "proposals"}


# Notifications over a whole lifecycle, for every label ------------------------------------

# Written out by hand from DESIGN.md §5 and the request's recipients: RED names the
# submitter and the person who accepted; AMBER+STRICT and AMBER the hospital and the
# member company (which declares only the hospital as a client); GREEN and CLEAR
# every vetted person. Coordinators oversee.
MAY_SEE = {
    TLP.RED: {"coordinator", "requester", "member_admin"},
    TLP.AMBER_STRICT: {"coordinator", "requester", "member_admin", "expert"},
    TLP.AMBER: {"coordinator", "requester", "member_admin", "expert"},
    TLP.GREEN: {"coordinator", "requester", "member_admin", "expert", "umbrella", "outsider"},
    TLP.CLEAR: {"coordinator", "requester", "member_admin", "expert", "umbrella", "outsider"},
}
PEOPLE = ("coordinator", "member_admin", "expert", "requester", "umbrella", "outsider")


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_a_lifecycles_notifications_reach_only_who_may_see(personas, market, label):
    """From submission to feedback, every notification and e-mail about the request
    goes to someone the label lets see it, and confidential e-mail carries no content."""
    mail.outbox.clear()
    request = secret_request(personas, tlp=label)
    services.helprequest_ask(request=request, actor=personas.coordinator, question="Welke?")
    services.helprequest_answer(request=request, actor=personas.requester, answer="Alle")
    services.helprequest_accept(request=request, actor=personas.coordinator)
    engagement = engage(personas, request)
    engagements.engagement_message(
        engagement=engagement, author=personas.requester, body=f"{SECRET} (bericht)"
    )
    engagements.engagement_message(
        engagement=engagement, author=personas.member_admin, body="Ontvangen"
    )
    engagements.engagement_deliver(engagement=engagement, actor=personas.member_admin)
    engagements.engagement_close(
        engagement=engagement, actor=personas.requester, helped=True, rating=5
    )

    about_it = {request.get_absolute_url(), engagement.get_absolute_url()}
    notified = {
        name
        for name in PEOPLE
        if Notification.objects.filter(recipient=personas.get(name), url__in=about_it).exists()
    }
    assert notified <= MAY_SEE[label], notified - MAY_SEE[label]
    assert {"coordinator", "requester", "member_admin"} <= notified
    allowed = {personas.get(name).email for name in MAY_SEE[label]}
    for message in mail.outbox:
        assert len(message.to) == 1, "one message per person"
        if TITLE in message.subject or TITLE in message.body:
            assert message.to[0] in allowed, message.subject
        # Whatever the label, a request's content never travels by e-mail.
        assert SECRET not in message.body
    mailed = {address for message in mail.outbox for address in message.to}
    assert not mailed & {personas.outsider.email, personas.umbrella.email}
