"""A hospital is helped, in headless Chromium: its requester asks for help, a
coordinator triages and proposes a member company, the company's admin accepts,
logs hours and delivers, and the requester closes with feedback. Each person
signs in through the real form, in a browser of their own; an admin of another
member company never sees the request."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ttc.accounts.models import User
from ttc.helprequests.models import Engagement, HelpRequest, RequestStatus
from ttc.helprequests.testing import make_market

# serialized_rollback: the test needs the skill taxonomy and the Code of Conduct
# that migrations load, which an earlier transactional test may have flushed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Ransomware-melding op de röntgenafdeling"
DESCRIPTION = "Het PACS-systeem toont sinds vanochtend een losgeldbericht op twee werkstations."
WORK_DONE = "Werkstations geïsoleerd, back-up teruggezet"
COMMENT = "Snel en duidelijk geholpen, dank!"


def menu_link(page, name: str):
    return page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name)


def progress_steps(page) -> list[str]:
    stands = page.get_by_role("region", name="Where your request stands")
    return [text.strip() for text in stands.get_by_role("listitem").all_inner_texts()]


def test_a_hospital_asks_is_helped_and_closes_with_feedback(signed_in, live_server, personas):
    make_market(personas)  # the member company offers the skill and has free hours
    User.objects.update(preferred_language="en")
    company = personas.member_company.name
    deadline = timezone.localdate() + timedelta(days=10)

    requester = signed_in(personas.requester)
    outsider = signed_in(personas.outsider)

    # 1. The hospital's requester asks for help.
    requester.goto("/requests/new/")
    assert requester.get_by_role("heading", level=1).inner_text() == "Ask for help"
    assert requester.get_by_label("Organisation that needs help").input_value() == str(
        personas.hospital.pk
    )
    requester.get_by_label("Title").fill(TITLE)
    requester.get_by_label("What do you need help with?").fill(DESCRIPTION)
    requester.get_by_label("Category").select_option(label="Security")
    requester.get_by_role("group", name="Skills needed").get_by_role(
        "checkbox", name="Incident response"
    ).check()
    requester.get_by_role("group", name="Urgency").get_by_role("radio", name="High:").check()
    requester.get_by_label("Estimated effort in hours").fill("16")
    requester.get_by_label("Number of experts needed").fill("1")
    requester.get_by_label("Deadline").fill(deadline.isoformat())
    requester.get_by_label("Region").select_option(label="Groningen")
    requester.get_by_label("Language").select_option(label="Dutch")
    labels = requester.get_by_role("group", name="Who may read it")
    assert labels.get_by_role("radio", name="TLP:AMBER+STRICT").is_checked()
    requester.get_by_role("button", name="Send request").click()

    requester.wait_for_url("**/requests/*/")
    help_request = HelpRequest.objects.get(title=TITLE)
    request_url = f"/requests/{help_request.pk}/"
    assert requester.url.endswith(request_url)
    assert requester.get_by_role("status").inner_text().startswith("Your request is in.")
    assert requester.get_by_role("heading", level=1).inner_text() == TITLE
    assert "Waiting for triage" in requester.locator("article").inner_text()
    steps = progress_steps(requester)
    assert steps[0].startswith("✓ Submitted")
    assert steps[1].startswith("Accepted by a coordinator") and "(not yet)" in steps[1]
    assert steps[-1].startswith("Closed") and "(not yet)" in steps[-1]
    assert requester.get_by_text(DESCRIPTION).is_visible()
    assert help_request.tlp == "amber+strict"
    assert list(help_request.skills.values_list("name_en", flat=True)) == ["Incident response"]
    assert (help_request.urgency, help_request.effort_hours) == (2, 16)
    assert (help_request.region, help_request.language) == ("groningen", "nl")
    assert help_request.deadline == deadline
    assert outsider.goto(request_url).status == 404

    # 2. A coordinator accepts it in triage and proposes the member company.
    coordinator = signed_in(personas.coordinator)
    assert coordinator.get_by_role("link", name="1 waiting for triage").is_visible()
    menu_link(coordinator, "Triage").click()
    coordinator.wait_for_url("**/requests/triage/")
    queue = coordinator.get_by_role("region", name="Waiting for triage")
    row = queue.get_by_role("row").filter(has=coordinator.get_by_role("link", name=TITLE))
    assert "High" in row.inner_text()
    assert personas.hospital.name in row.inner_text()
    row.get_by_role("link", name=TITLE).click()
    coordinator.wait_for_url(f"**{request_url}")
    coordinator.get_by_role("button", name="Accept and find members").click()

    coordinator.wait_for_url(f"**{request_url}candidates/")
    assert coordinator.get_by_role("heading", level=1).inner_text() == "Find members"
    choice = coordinator.get_by_role("checkbox", name=company)
    candidate = coordinator.locator(".ttc-card").filter(has=choice)
    why = candidate.get_by_role("table", name="Why Veilig Netwerk B.V. got this score")
    for part in ("Skill fit", "Availability", "Region", "Language", "Fairness adjustment"):
        assert why.get_by_role("rowheader", name=part).is_visible()
    assert "Offers 75% of the skills asked for" in why.inner_text()
    # The company is chosen from the keyboard.
    choice.focus()
    coordinator.keyboard.press("Space")
    assert choice.is_checked()
    coordinator.get_by_role("button", name="Propose the chosen candidates").click()

    coordinator.wait_for_url(f"**{request_url}")
    assert coordinator.get_by_role("status").inner_text().startswith("1 proposed.")
    proposal_row = coordinator.get_by_role("row").filter(has_text=company)
    assert "Waiting for an answer" in proposal_row.inner_text()
    assert outsider.goto(request_url).status == 404

    # 3. The member company's admin sees only the outline, accepts, works and delivers.
    member = signed_in(personas.member_admin)
    assert member.get_by_role("link", name=f"Asked: {TITLE}").is_visible()
    menu_link(member, "Requests for you").click()
    member.wait_for_url("**/proposals/")
    assert member.get_by_role("heading", level=1).inner_text() == "Requests for you"
    member.get_by_role("link", name=TITLE).click()

    member.wait_for_url("**/proposals/*/")
    assert member.get_by_role("heading", level=1).inner_text() == TITLE
    outline = member.locator("dl.ttc-facts").inner_text()
    for fact in ("Security", "High", "16 hours", company):
        assert fact in outline
    assert member.get_by_text("you read what it is about once you accept").is_visible()
    assert member.get_by_text(DESCRIPTION).count() == 0
    assert "PACS" not in member.content()
    member.get_by_role("button", name="Accept: we will help").click()

    member.wait_for_url("**/engagements/*/")
    engagement_url = member.url.removeprefix(live_server.url)
    assert member.get_by_role("status").inner_text().startswith("Thank you!")
    assert member.get_by_role("heading", level=1).inner_text() == f"Engagement with {company}"
    member.get_by_role("link", name=TITLE).click()
    member.wait_for_url(f"**{request_url}")
    assert member.get_by_text(DESCRIPTION).is_visible()
    assert "Members at work" in member.locator("article").inner_text()

    member.goto(engagement_url)
    hours = member.get_by_role("region", name="Hours")
    assert "No hours logged yet." in hours.inner_text()
    hours.get_by_role("textbox", name="Hours").fill("3,5")
    hours.get_by_label("What was done").fill(WORK_DONE)
    hours.get_by_role("button", name="Log hours").click()
    member.wait_for_url(f"**{engagement_url}")
    assert member.get_by_role("status").inner_text() == "Hours logged. Thank you!"
    logged = (
        member.get_by_role("region", name="Hours").get_by_role("row").filter(has_text=WORK_DONE)
    )
    assert "3.5" in logged.inner_text() and personas.member_admin.full_name in logged.inner_text()
    assert "3.5" in member.locator("dl.ttc-facts").inner_text()
    member.get_by_role("button", name="The work is done: mark as delivered").click()
    member.wait_for_url(f"**{engagement_url}")
    assert member.get_by_role("status").inner_text().startswith("Marked as delivered.")
    assert "Delivered" in member.locator("dl.ttc-facts").inner_text()
    assert member.get_by_role("button", name="The work is done: mark as delivered").count() == 0
    assert outsider.goto(request_url).status == 404
    assert outsider.goto(engagement_url).status == 404

    # 4. The requester opens the engagement from the request and closes it.
    requester.goto(request_url)
    steps = progress_steps(requester)
    assert steps[4].startswith("✓ Work delivered")
    assert "(not yet)" in steps[5]
    at_work = requester.get_by_role("region", name="Members who took it on")
    assert "Delivered" in at_work.inner_text()
    at_work.get_by_role("link", name=company).click()
    requester.wait_for_url(f"**{engagement_url}")
    assert WORK_DONE in requester.get_by_role("region", name="Hours").inner_text()
    feedback = requester.get_by_role("region", name="Feedback")
    feedback.get_by_role("group", name="Did it help?").get_by_role("radio", name="Yes").check()
    feedback.get_by_role("group", name="Rating").get_by_role("radio", name="5").check()
    feedback.get_by_label("Comment").fill(COMMENT)
    feedback.get_by_role("button", name="Close with feedback").click()

    requester.wait_for_url(f"**{engagement_url}")
    assert requester.get_by_role("status").inner_text() == "Closed. Thank you for your feedback."
    given = requester.get_by_role("region", name="Feedback").inner_text()
    assert "It helped." in given and "Rating: 5 of 5." in given and COMMENT in given
    requester.get_by_role("link", name=TITLE).click()

    requester.wait_for_url(f"**{request_url}")
    assert f"#{help_request.pk} · Closed" in requester.locator("article").inner_text()
    steps = progress_steps(requester)
    assert all(step.startswith("✓") for step in steps)
    assert steps[-1].startswith("✓ Closed")
    assert "The help was delivered" in steps[-1]
    assert requester.get_by_role("button", name="Withdraw the request").count() == 0
    assert outsider.goto(request_url).status == 404

    help_request.refresh_from_db()
    assert help_request.status == RequestStatus.CLOSED
    engagement = Engagement.objects.get(request=help_request)
    assert engagement.organisation == personas.member_company
    assert engagement.hours_total() == Decimal("3.5")
    assert (engagement.feedback.helped, engagement.feedback.rating) == (True, 5)
