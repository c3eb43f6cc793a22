"""Proposals and comments on internal documents never reach past the label.

Expectations are written out by hand: a proposal is seen by its contributor
and the document's editors (coordinators, and an appointed member editor),
and only people the label reaches are ever told about it.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from ttc.core.models import Notification
from ttc.core.testing import PERSONA_NAMES, SEES, label_recipients
from ttc.core.tlp import TLP
from ttc.documents import services

pytestmark = pytest.mark.django_db

# For each label: recipients, who proposes, who is appointed editor.
SCENARIO = {
    TLP.RED: ("expert", "expert"),
    TLP.AMBER_STRICT: ("requester", "requester"),
    TLP.AMBER: ("expert", "member_admin"),
    TLP.GREEN: ("outsider", "member_admin"),
    TLP.CLEAR: ("umbrella", "member_admin"),
}


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_a_proposal_reaches_its_contributor_and_editors_only(personas, client_for, label):
    contributor, editor = SCENARIO[label]
    document = services.document_create(
        author=personas.coordinator,
        title="Intern draaiboek",
        tlp=label,
        sections=[("Stappen", "Eerst bellen.\n")],
        **label_recipients(personas, label),
    )
    services.document_set_editors(
        document=document, coordinator=personas.coordinator, editors=[personas.get(editor)]
    )
    section = document.sections.get()
    mail.outbox.clear()
    proposal = services.proposal_submit(
        document=document,
        section=section,
        contributor=personas.get(contributor),
        title="Leak probe proposal",
        body="Eerst bellen. Leak probe proposal body.\n",
    )
    services.comment_add(
        section=section, author=personas.get(contributor), body="Leak probe comment"
    )
    allowed = {"coordinator", contributor, editor}
    for persona in PERSONA_NAMES:
        client = client_for(persona)
        detail = client.get(proposal.get_absolute_url(), follow=True).content.decode()
        queue = client.get(reverse("document_proposal_queue"), follow=True).content.decode()
        api = client.get("/api/v1/document-proposals").content.decode()
        api_queue = client.get("/api/v1/document-proposals?queue=1").content.decode()
        seen = any("Leak probe proposal" in page for page in (detail, queue, api, api_queue))
        assert seen == (persona in allowed), persona
        thread = client.get(section.get_absolute_url(), follow=True).content.decode()
        assert ("Leak probe comment" in thread) == (persona in SEES[label]), persona

    # Editors are told within the label; coordinators' oversight does not widen it.
    told = {
        name
        for name in PERSONA_NAMES
        if name != "anonymous"
        and Notification.objects.filter(recipient=personas.get(name)).exists()
    }
    expected = {editor} | ({"coordinator"} if label in (TLP.GREEN, TLP.CLEAR) else set())
    assert told == expected - {contributor}
    mailed = {address for message in mail.outbox for address in message.to}
    assert mailed == {personas.get(name).email for name in told}
    assert all("Leak probe proposal body" not in message.body for message in mail.outbox)


def test_a_contributor_who_loses_access_loses_their_proposal(personas, client_for):
    document = services.document_create(
        author=personas.coordinator,
        title="Intern",
        tlp=TLP.AMBER_STRICT,
        organisations=[personas.hospital],
        sections=[("Stappen", "Eerst bellen.\n")],
    )
    proposal = services.proposal_submit(
        document=document,
        section=document.sections.get(),
        contributor=personas.requester,
        title="Leak probe proposal",
        body="Eerst mailen.\n",
    )
    client = client_for("requester")
    assert client.get(proposal.get_absolute_url()).status_code == 200
    type(personas.hospital).objects.filter(pk=personas.hospital.pk).update(status="suspended")
    assert client.get(proposal.get_absolute_url()).status_code == 404
    assert "Leak probe" not in client.get(reverse("document_proposal_queue")).content.decode()
    # Deciding afterwards tells nobody outside the label.
    mail.outbox.clear()
    services.proposal_decline(proposal=proposal, editor=personas.coordinator, reason="Nee.")
    assert not mail.outbox
