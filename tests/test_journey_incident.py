"""A ransomware night, in headless Chromium: a hospital reports a ransomware
incident, a coordinator acknowledges it and asks a responder, the responder
accepts, pastes a vendor report, reviews and saves the extracted indicators and
exports STIX. Each person signs in through the real form, in a browser of
their own; a member of another company never sees the incident."""

from __future__ import annotations

import json

import pytest
from stix2validator import ValidationOptions, validate_string

from ttc.accounts.models import User
from ttc.helprequests.testing import make_market
from ttc.incidents.models import Incident, Indicator, Responder, Status
from ttc.incidents.testing import VENDOR_REPORT

# serialized_rollback: the test needs the skill taxonomy and the Code of Conduct
# that migrations load, which an earlier transactional test may have flushed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "Ransomware op de PACS-servers"
WHAT = "Om 03:10 tonen alle radiologiewerkplekken een losgeldbrief; PACS is onbereikbaar."


def test_a_ransomware_night_from_report_to_stix(signed_in, live_server, personas, tmp_path):
    make_market(personas)  # the expert offers incident response and has free hours
    User.objects.update(preferred_language="en")
    requester = signed_in(personas.requester)
    coordinator = signed_in(personas.coordinator)
    expert = signed_in(personas.expert)
    outsider = signed_in(personas.outsider)

    # 1. The hospital reports the incident at night.
    requester.goto("/incidents/report/")
    assert requester.get_by_role("heading", level=1).inner_text() == "Report a security incident"
    requester.get_by_label("In a few words").fill(TITLE)
    requester.get_by_label("What happened?").fill(WHAT)
    requester.get_by_role("radio", name="Malicious code (ransomware, virus, trojan)").check()
    requester.get_by_role("radio", name="Critical:").check()
    requester.get_by_label("Phone number we can call now").fill("+31 50 123 4567")
    assert requester.get_by_role("radio", name="TLP:AMBER+STRICT").is_checked()
    requester.get_by_role("button", name="Report incident").click()
    requester.wait_for_url("**/incidents/TTC-*/")
    incident = Incident.objects.get(title=TITLE)
    assert (
        requester.get_by_role("status")
        .inner_text()
        .startswith(f"Incident {incident.reference} is reported.")
    )
    clocks = requester.get_by_role("region", name="Response deadlines").inner_text()
    assert "Acknowledged" in clocks and "left" in clocks

    # 2. A coordinator finds it at the top of the queue and acknowledges it.
    coordinator.goto("/incidents/")
    coordinator.get_by_role("link", name=f"{incident.reference} {TITLE}").click()
    coordinator.wait_for_url(f"**{incident.get_absolute_url()}")
    coordinator.get_by_role("button", name="Acknowledge").click()
    assert coordinator.get_by_role("status").inner_text() == "The status is changed."
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED

    # 3. … and asks the best-ranked responder.
    coordinator.get_by_role("link", name="Find responders").click()
    coordinator.get_by_role("button", name="Ask Eva Expert").click()
    assert "Eva Expert is asked to respond" in coordinator.get_by_role("status").inner_text()

    # 4. The expert sees the kind of incident only, and accepts.
    place = Responder.objects.get(incident=incident)
    expert.goto(f"/incidents/invitations/{place.pk}/")
    invitation = expert.locator("main").inner_text()
    assert "Hospital" in invitation and TITLE not in invitation and "PACS" not in invitation
    expert.get_by_role("button", name="Accept").click()
    expert.wait_for_url(f"**{incident.get_absolute_url()}")
    assert expert.get_by_role("heading", level=1).inner_text() == TITLE

    # 5. The responder pastes the vendor report and reviews what was found.
    expert.get_by_role("link", name="Paste text with indicators").click()
    expert.get_by_role("textbox").first.fill(VENDOR_REPORT)
    expert.get_by_role("button", name="Find indicators").click()
    assert expert.get_by_role("heading", level=1).inner_text() == "Review the indicators"
    found = expert.get_by_role("table", name="Indicators found in the text")
    values = [
        field.input_value() for field in found.get_by_role("textbox", name="Value of row").all()
    ]
    assert "185.220.101.47" in values and "update-check.example-c2.com" in values
    assert "invoice@factuur-zorg.nl" in values
    rejected = expert.get_by_role("region", name="Not taken over").inner_text()
    assert "10.0.0.12" in rejected and "192.168.1.5" in rejected
    # The dropper's file name is too generic to share: not saved.
    row = values.index("Factuur_2026.exe")
    expert.get_by_role("checkbox", name=f"Save row {row + 1}:").uncheck()
    expert.get_by_role("button", name="Save selected").click()
    expert.wait_for_url(f"**{incident.get_absolute_url()}#indicators")
    saved = set(Indicator.objects.filter(incident=incident).values_list("value", flat=True))
    assert {"185.220.101.47", "update-check.example-c2.com", "invoice@factuur-zorg.nl"} <= saved
    assert "Factuur_2026.exe" not in saved
    assert "10.0.0.12" not in saved
    section = expert.get_by_role("region", name="Indicators of compromise").inner_text()
    assert "185.220.101.47" in section

    # 6. … and exports STIX for the hospital's firewall team.
    with expert.expect_download() as download:
        expert.get_by_role("link", name="STIX 2.1").click()
    path = tmp_path / "bundle.json"
    download.value.save_as(path)
    bundle = path.read_text()
    assert validate_string(bundle, ValidationOptions(version="2.1")).is_valid
    patterns = [
        obj["pattern"] for obj in json.loads(bundle)["objects"] if obj["type"] == "indicator"
    ]
    assert "[ipv4-addr:value = '185.220.101.47']" in patterns

    # 7. A member of another company never sees it.
    response = outsider.goto(incident.get_absolute_url())
    assert response is not None and response.status == 404
    outsider.goto("/incidents/")
    assert incident.reference not in outsider.locator("main").inner_text()
