"""No persona sees what a label forbids: every labelled model × persona × surface.

The expectations are written out by hand from DESIGN.md §5 (not computed by
the policy under test). The scenario: RED names the expert; AMBER+STRICT names
the hospital; AMBER names the member company, which declares the hospital as a
client; GREEN and CLEAR name nobody.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from ttc.core.models import Notification
from ttc.core.testing import (
    PERSONA_NAMES,
    RULE,
    SEES,
    LabelledSurfaces,
    label_recipients,
    labelled_surfaces,
)
from ttc.core.tlp import TLP

LEAK_REGISTRY = labelled_surfaces()

# Who is told of new content: everyone the rule lets see it who has an account.
NOTIFIED = {label: people - {"anonymous"} for label, people in RULE.items()}
# "home" is the front page, which sends signed-in people on to their dashboard.
SURFACES = ["home", "list", "detail", "search", "api_list", "api_detail"]


def seen_on(surface: str, spec: LabelledSurfaces, obj, client: Client) -> bool:
    """Whether the object's title or body reaches this client on this surface."""
    url = {
        "home": "/",
        "list": spec.list_url,
        "detail": spec.detail_url(obj),
        "search": spec.search_url(obj),
        "api_list": spec.api_list_url,
        "api_detail": spec.api_detail_url(obj),
    }[surface]
    response = client.get(url, follow=True)
    assert response.status_code in (200, 302, 401, 404), (url, response.status_code)
    content = response.content.decode()
    return "Leak probe" in content or f"{obj.tlp} secret body" in content


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LEAK_REGISTRY, ids=lambda spec: spec.model.__name__)
@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_nobody_sees_what_the_label_forbids(personas, client_for, spec, label, persona):
    obj = spec.make(personas, label, **label_recipients(personas, label))
    client = client_for(persona)
    allowed = persona in SEES[label]
    for surface in SURFACES:
        seen = seen_on(surface, spec, obj, client)
        if surface in spec.partial_surfaces:
            assert allowed or not seen, f"{persona} on {surface}: seen={seen}"
        else:
            assert seen == allowed, f"{persona} on {surface}: seen={seen}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spec",
    [spec for spec in LEAK_REGISTRY if spec.broadcasts],
    ids=lambda spec: spec.model.__name__,
)
@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_notifications_reach_only_the_audience(personas, client_for, spec, label):
    mail.outbox.clear()
    obj = spec.make(personas, label, **label_recipients(personas, label))
    notified = {
        name
        for name in PERSONA_NAMES
        if name != "anonymous"
        and Notification.objects.filter(
            recipient=personas.get(name), url=spec.detail_url(obj)
        ).exists()
    }
    assert notified == NOTIFIED[label]
    for name in PERSONA_NAMES:
        client = client_for(name)
        page = client.get("/notifications/", follow=True).content.decode()
        api = client.get("/api/v1/me/notifications").content.decode()
        assert ("Leak probe" in page) == (name in NOTIFIED[label]), f"{name} notification page"
        assert ("Leak probe" in api) == (name in NOTIFIED[label]), f"{name} notification API"
    mailed = {address for message in mail.outbox for address in message.to}
    expected = {personas.get(name).email for name in NOTIFIED[label]}
    assert mailed == expected
    for message in mail.outbox:
        assert len(message.to) == 1, "one message per person: recipients never see each other"
        carries_body = f"{label} secret body" in message.body
        assert carries_body == (label in (TLP.GREEN, TLP.CLEAR)), message.body


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LEAK_REGISTRY, ids=lambda spec: spec.model.__name__)
@pytest.mark.parametrize(
    "status", ["applied", "under_review", "info_requested", "suspended", "ended", "rejected"]
)
def test_an_organisation_that_is_not_approved_receives_nothing_confidential(
    personas, client_for, spec, status
):
    """The hospital is named on AMBER+STRICT and is a declared client for AMBER:
    once it is no longer approved its people see neither, old or new."""
    before = spec.make(personas, TLP.AMBER_STRICT, people=[], organisations=[personas.hospital])
    type(personas.hospital).objects.filter(pk=personas.hospital.pk).update(status=status)
    after = spec.make(personas, TLP.AMBER, people=[], organisations=[personas.member_company])
    client = client_for("requester")
    for obj in (before, after):
        for surface in SURFACES:
            assert not seen_on(surface, spec, obj, client), f"{status}: {obj.tlp} on {surface}"
    assert not Notification.objects.filter(
        recipient=personas.requester, url=spec.detail_url(after)
    ).exists()
    # The member company's own people still see what was sent to it.
    assert seen_on("detail", spec, after, client_for("expert"))
